// The library example from @connectrpc/connect-node with code from
// @bufbuild/protoc-gen-es, over each of its transports: Connect (JSON and
// binary), gRPC (HTTP/2) and gRPC-Web (HTTP/1.1), against one server port.
// usage: node connect_node_library.mjs http://HOST:PORT GEN_DIR
// (run from a directory whose node_modules holds the packages).
import { createClient, ConnectError, Code } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";

const [baseUrl, gen] = process.argv.slice(2);
const { LibraryService } = await import(`${gen}/library/v1/library_pb.js`);

const transports = {
  "connect+json": createConnectTransport({ baseUrl, httpVersion: "1.1" }),
  "connect+proto": createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: true }),
  "connect+proto h2": createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }),
  grpc: createGrpcTransport({ baseUrl }),
  "grpc-web": createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
};

function assert(ok, what) {
  if (!ok) throw new Error(`assertion failed: ${what}`);
}

// ErrorInfo.reason is field 1 (a string) of the detail's bytes.
function reasonOf(err) {
  for (const d of err.details) {
    if (d.type === "google.rpc.ErrorInfo" && d.value[0] === 0x0a) {
      return new TextDecoder().decode(d.value.slice(2, 2 + d.value[1]));
    }
  }
  return undefined;
}

let calls = 0;
for (const [name, transport] of Object.entries(transports)) {
  const client = createClient(LibraryService, transport);
  const shelf = await client.createShelf({ shelf: { theme: name } });
  calls++;
  assert(shelf.theme === name && shelf.name.startsWith("shelves/"), `${name}: createShelf`);
  const got = await client.getShelf({ name: shelf.name });
  calls++;
  assert(got.theme === name, `${name}: getShelf`);
  const book = await client.createBook({ parent: shelf.name, book: { title: "Odes" } });
  calls++;
  const books = await client.listBooks({ parent: shelf.name });
  calls++;
  assert(books.books.length === 1 && books.books[0].name === book.name, `${name}: listBooks`);
  await client.deleteBook({ name: book.name });
  calls++;
  await client.deleteShelf({ name: shelf.name });
  calls++;
  try {
    await client.getShelf({ name: shelf.name });
    throw new Error(`${name}: getShelf of a deleted shelf succeeded`);
  } catch (e) {
    const err = ConnectError.from(e);
    assert(err.code === Code.NotFound, `${name}: code ${Code[err.code]}`);
    assert(reasonOf(err) === "SHELF_NOT_FOUND", `${name}: reason ${reasonOf(err)}`);
  }
  calls++;

  // Server streams on every transport; client and bidi streams where the
  // transport has them (gRPC, Connect over HTTP/2; bidi needs HTTP/2).
  const watched = await client.createShelf({ shelf: { theme: `${name} watched` } });
  const events = [];
  const watching = (async () => {
    for await (const e of client.watchShelf({ name: watched.name, maxEvents: 2 })) events.push(e);
  })();
  // Books until two events arrived (the watch may open after the first).
  for (let i = 0; i < 100 && events.length < 2; i++) {
    await client.createBook({ parent: watched.name, book: { title: `w${i}` } });
    await new Promise((r) => setTimeout(r, 20));
  }
  await watching;
  assert(events.length === 2 && events[0].book.name.startsWith(watched.name), `${name}: watchShelf`);
  calls++;
  if (name === "grpc" || name === "connect+proto h2") {
    async function* requests(titles) {
      for (const title of titles) yield { parent: watched.name, book: { title } };
    }
    const batch = await client.createBooks(requests(["a", "b"]));
    assert(batch.books.map((b) => b.title).join() === "a,b", `${name}: createBooks`);
    calls++;
    async function* names() {
      yield { name: batch.books[1].name };
      yield { name: "shelves/0/books/0" };
    }
    const titles = [];
    try {
      for await (const b of client.checkBooks(names())) titles.push(b.title);
      throw new Error(`${name}: checkBooks of a missing book ended without an error`);
    } catch (e) {
      const err = ConnectError.from(e);
      assert(err.code === Code.NotFound, `${name}: checkBooks code ${Code[err.code]} ${err.message}`);
      assert(reasonOf(err) === "BOOK_NOT_FOUND", `${name}: checkBooks reason ${reasonOf(err)}`);
    }
    assert(titles.join() === "b", `${name}: checkBooks replies ${titles}`);
    calls++;
  }
  console.log(`connect-node ${name}: ok`);
}
console.log(`connect-node: ${calls} calls over ${Object.keys(transports).length} transports, NOT_FOUND with ErrorInfo reason on each; server streams on each, client and bidi streams over gRPC and Connect h2`);
