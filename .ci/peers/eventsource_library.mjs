// A browser's EventSource against the library example: headless Chromium
// (Debian's package) driven by playwright-core, on a page of the server's
// own origin. The page watches a shelf as server-sent events, adds a book
// once the stream is open, and reads the event.
// usage: node eventsource_library.mjs http://HOST:PORT
import { chromium } from "playwright-core";

const [base] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  await page.goto(`${base}/v1/shelves`); // any page of the same origin
  const event = await page.evaluate(
    () =>
      new Promise(async (resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no event within 10 s")), 10000);
        // A shelf of its own: other clients have changed the seeded ones.
        const shelf = await (await fetch("/v1/shelves", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ theme: "browser" }),
        })).json();
        const source = new EventSource(`/v1/${shelf.name}:watch?maxEvents=1`);
        source.onopen = () =>
          fetch(`/v1/${shelf.name}/books`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ title: "Seen by a browser" }),
          });
        source.onmessage = (e) => {
          clearTimeout(timer);
          source.close();
          resolve(JSON.parse(e.data));
        };
      }),
  );
  if (event.kind !== "CREATED" || event.book.title !== "Seen by a browser") {
    throw new Error(`unexpected event ${JSON.stringify(event)}`);
  }
  console.log(`EventSource in headless Chromium: ${event.kind} ${event.book.name} as a server-sent event`);
} finally {
  await browser.close();
}
