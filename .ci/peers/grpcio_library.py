"""The library example over gRPC from Python's grpcio (stubs by grpcio-tools):
every unary method, and an Error read back as kratos sends it (status code,
ErrorInfo reason and metadata in grpc-status-details-bin).

usage: grpcio_library.py HOST:PORT STUB_DIR
"""
import sys

sys.path.insert(0, sys.argv[2])

import grpc  # noqa: E402
from google.protobuf import field_mask_pb2  # noqa: E402
from google.rpc import error_details_pb2  # noqa: E402
from grpc_status import rpc_status  # noqa: E402
from library.v1 import library_pb2 as pb  # noqa: E402
from library.v1 import library_pb2_grpc  # noqa: E402

channel = grpc.insecure_channel(sys.argv[1])
stub = library_pb2_grpc.LibraryServiceStub(channel)
calls = 0


def call(method, request):
    global calls
    calls += 1
    return getattr(stub, method)(request, timeout=10)


shelf = call("CreateShelf", pb.CreateShelfRequest(shelf=pb.Shelf(theme="grpcio")))
assert shelf.theme == "grpcio" and shelf.name.startswith("shelves/"), shelf
assert call("GetShelf", pb.GetShelfRequest(name=shelf.name)) == shelf
# Other tests may have filled the server: page through it.
names, token = [], ""
while True:
    page = call("ListShelves", pb.ListShelvesRequest(page_size=100, page_token=token))
    names += [s.name for s in page.shelves]
    token = page.next_page_token
    if not token:
        break
assert shelf.name in names, f"{shelf.name} not listed among {len(names)} shelves"
other = call("CreateShelf", pb.CreateShelfRequest(shelf=pb.Shelf(theme="other")))
book = call(
    "CreateBook",
    pb.CreateBookRequest(parent=shelf.name, book=pb.Book(title="Odes", author="Keats")),
)
assert book.name.startswith(shelf.name + "/books/"), book
assert call("GetBook", pb.GetBookRequest(name=book.name)) == book
books = call("ListBooks", pb.ListBooksRequest(parent=shelf.name))
assert [b.name for b in books.books] == [book.name], books
updated = call(
    "UpdateBook",
    pb.UpdateBookRequest(
        book=pb.Book(name=book.name, read=True),
        update_mask=field_mask_pb2.FieldMask(paths=["read"]),
    ),
)
assert updated.read and updated.title == "Odes", updated
moved = call("MoveBook", pb.MoveBookRequest(name=book.name, other_shelf_name=other.name))
assert moved.name.startswith(other.name + "/books/"), moved
call("DeleteBook", pb.DeleteBookRequest(name=moved.name))
call("DeleteShelf", pb.DeleteShelfRequest(name=other.name))

try:
    call("GetShelf", pb.GetShelfRequest(name=other.name))
    raise SystemExit("GetShelf of a deleted shelf succeeded")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.NOT_FOUND, e
    status = rpc_status.from_call(e)
    assert status is not None, "no grpc-status-details-bin"
    infos = []
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            infos.append(info)
    assert [i.reason for i in infos] == ["SHELF_NOT_FOUND"], status

try:
    call("CreateShelf", pb.CreateShelfRequest(shelf=pb.Shelf()))
    raise SystemExit("CreateShelf without a theme succeeded")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e

# Streams: server (WatchShelf, events as books change), client
# (CreateBooks), bidi (CheckBooks, ending at an error with its reason).
import threading  # noqa: E402

watched = call("CreateShelf", pb.CreateShelfRequest(shelf=pb.Shelf(theme="watched")))
events = stub.WatchShelf(pb.WatchShelfRequest(name=watched.name, max_events=2), timeout=10)
seen = []
reader = threading.Thread(target=lambda: seen.extend(events))
reader.start()
for _ in range(100):  # books until two events arrived (the watch opens first)
    call("CreateBook", pb.CreateBookRequest(parent=watched.name, book=pb.Book(title="w")))
    if not reader.is_alive():
        break
    threading.Event().wait(0.05)
reader.join(10)
assert len(seen) == 2 and all(e.kind == pb.ShelfEvent.CREATED for e in seen), seen
calls += 1

batch = stub.CreateBooks(
    iter([pb.CreateBookRequest(parent=watched.name, book=pb.Book(title=t)) for t in ["a", "b", "c"]]),
    timeout=10,
)
assert [b.title for b in batch.books] == ["a", "b", "c"], batch
calls += 1

checked = stub.CheckBooks(
    iter([pb.GetBookRequest(name=batch.books[0].name), pb.GetBookRequest(name="shelves/0/books/0")]),
    timeout=10,
)
got = []
try:
    for b in checked:
        got.append(b.title)
    raise SystemExit("CheckBooks of a missing book ended without an error")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.NOT_FOUND, e
    status = rpc_status.from_call(e)
    info = error_details_pb2.ErrorInfo()
    assert status is not None and status.details[0].Unpack(info), status
    assert info.reason == "BOOK_NOT_FOUND", info
assert got == ["a"], got
calls += 1

print(
    f"grpcio: {calls} calls, every unary method, NOT_FOUND with ErrorInfo reason SHELF_NOT_FOUND; "
    "server, client and bidi streams (BOOK_NOT_FOUND ends the bidi stream)"
)
