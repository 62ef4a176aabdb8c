// The library's bidi stream CheckBooks over WebSocket from npm's `ws`, in
// kratos v3's framing: one JSON message per WebSocket message each way, a
// reply per request before the next is sent, a `\x1eerror:` message (the
// Error's JSON) and a 1011 close ending the failed call.
// usage: node ws_library.mjs ws://HOST:PORT
import WebSocket from "ws";

const [base] = process.argv.slice(2);
// Books of our own: other clients (schemathesis) have changed the seeded ones.
const http = base.replace(/^ws/, "http");
const post = async (path, body) =>
  (await fetch(`${http}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  })).json();
const shelf = await post("/v1/shelves", { theme: "ws" });
const odes = await post(`/v1/${shelf.name}/books`, { title: "Odes" });
const dune = await post(`/v1/${shelf.name}/books`, { title: "Dune" });
const socket = new WebSocket(`${base}/v1/books:check`);
const replies = [];
let waiting = null;
socket.on("message", (data) => {
  const text = data.toString();
  replies.push(text.startsWith("\x1eerror:") ? { error: JSON.parse(text.slice(7)) } : JSON.parse(text));
  if (waiting) waiting();
});
const next = () =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no reply within 10 s")), 10000);
    waiting = () => {
      clearTimeout(timer);
      waiting = null;
      resolve(replies.shift());
    };
    if (replies.length) waiting();
  });
const closed = new Promise((resolve) => socket.on("close", (code) => resolve(code)));
await new Promise((resolve, reject) => {
  socket.on("open", resolve);
  socket.on("error", reject);
});

function assert(ok, what) {
  if (!ok) throw new Error(`assertion failed: ${what}`);
}

socket.send(JSON.stringify({ name: odes.name }));
const first = await next();
assert(first.name === odes.name, `first reply ${JSON.stringify(first)}`);
socket.send(JSON.stringify({ name: dune.name }));
const second = await next();
assert(second.title === "Dune", `second reply ${JSON.stringify(second)}`);
socket.send(JSON.stringify({ name: "shelves/0/books/0" }));
const error = await next();
assert(error.error && error.error.reason === "BOOK_NOT_FOUND", `error ${JSON.stringify(error)}`);
const code = await closed;
assert(code === 1011, `close code ${code}`);
console.log("ws: bidi CheckBooks over WebSocket (kratos v3 framing), 2 replies each before the next request, BOOK_NOT_FOUND and a 1011 close end it");
