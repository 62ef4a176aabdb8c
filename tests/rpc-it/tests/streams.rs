//! Streaming methods of the library example over gRPC, driven by the
//! client tonic-prost-build generates: server, client and bidi streams,
//! errors mid-stream, and a caller that leaves early.

use rpc_it::library::v1::library_service_client::LibraryServiceClient;
use rpc_it::library::v1::shelf_event::Kind;
use rpc_it::library::v1::{Book, CreateBookRequest, GetBookRequest, WatchShelfRequest};

mod common;
use common::serve;

async fn client() -> LibraryServiceClient<tonic::transport::Channel> {
    LibraryServiceClient::connect(serve(library::app()).await)
        .await
        .unwrap()
}

fn book(parent: &str, title: &str) -> CreateBookRequest {
    CreateBookRequest {
        parent: parent.into(),
        book: Some(Book {
            title: title.into(),
            ..Book::default()
        }),
    }
}

#[tokio::test]
async fn server_stream_sends_each_event_as_it_happens() {
    let mut client = client().await;
    let mut events = client
        .watch_shelf(WatchShelfRequest {
            name: "shelves/1".into(),
            max_events: 2,
        })
        .await
        .unwrap()
        .into_inner();
    let mut writer = client.clone();
    writer
        .create_book(book("shelves/2", "elsewhere"))
        .await
        .unwrap();
    writer
        .create_book(book("shelves/1", "first"))
        .await
        .unwrap();
    let created = events.message().await.unwrap().unwrap();
    assert_eq!(created.kind, Kind::Created as i32);
    assert_eq!(created.book.unwrap().title, "first");
    writer
        .delete_book(rpc_it::library::v1::DeleteBookRequest {
            name: "shelves/1/books/1".into(),
        })
        .await
        .unwrap();
    let deleted = events.message().await.unwrap().unwrap();
    assert_eq!(deleted.kind, Kind::Deleted as i32);
    // max_events reached: the stream ends with status OK.
    assert!(events.message().await.unwrap().is_none());
}

#[tokio::test]
async fn server_stream_errors_before_the_first_message_are_the_status() {
    let mut client = client().await;
    let status = client
        .watch_shelf(WatchShelfRequest {
            name: "shelves/404".into(),
            max_events: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    assert_eq!(
        protoway::Error::from_status(&status).reason(),
        "SHELF_NOT_FOUND"
    );
}

#[tokio::test]
async fn client_stream_reads_every_request_then_replies() {
    let mut client = client().await;
    let requests = tokio_stream::iter(vec![book("shelves/1", "a"), book("shelves/2", "b")]);
    let created = client.create_books(requests).await.unwrap().into_inner();
    let titles: Vec<_> = created.books.iter().map(|b| b.title.as_str()).collect();
    assert_eq!(titles, ["a", "b"]);
    assert!(created.books[1].name.starts_with("shelves/2/books/"));

    // A bad request in the stream fails the call with its error.
    let requests = tokio_stream::iter(vec![book("shelves/1", "c"), book("shelves/1", "")]);
    let status = client.create_books(requests).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
}

#[tokio::test]
async fn bidi_answers_each_request_as_it_arrives_and_ends_at_an_error() {
    let mut client = client().await;
    let (send, receive) = tokio::sync::mpsc::channel(4);
    let mut books = client
        .check_books(tokio_stream::wrappers::ReceiverStream::new(receive))
        .await
        .unwrap()
        .into_inner();
    // One request, one reply, before the next request is even sent.
    send.send(GetBookRequest {
        name: "shelves/1/books/2".into(),
    })
    .await
    .unwrap();
    let first = books.message().await.unwrap().unwrap();
    assert_eq!(first.title, "Leaves of Grass");
    send.send(GetBookRequest {
        name: "shelves/2/books/3".into(),
    })
    .await
    .unwrap();
    assert_eq!(books.message().await.unwrap().unwrap().title, "Dune");
    send.send(GetBookRequest {
        name: "shelves/9/books/9".into(),
    })
    .await
    .unwrap();
    let status = books.message().await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    assert_eq!(
        protoway::Error::from_status(&status).reason(),
        "BOOK_NOT_FOUND"
    );
}

/// Waits (up to 5 s) until `library` has `n` watchers.
async fn watchers(library: &library::Library, n: usize) -> bool {
    for _ in 0..500 {
        if library.watchers() == n {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test]
async fn a_caller_that_leaves_drops_the_handlers_stream() {
    let library = library::Library::default();
    let base = serve(library::app_with(library.clone())).await;
    let mut client = LibraryServiceClient::connect(base.clone()).await.unwrap();
    let watch = WatchShelfRequest {
        name: "shelves/1".into(),
        max_events: 0,
    };
    // gRPC: the call's stream is reset when the caller drops it.
    let events = client
        .watch_shelf(watch.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(watchers(&library, 1).await);
    drop(events);
    assert!(
        watchers(&library, 0).await,
        "the handler's stream outlived its caller"
    );

    // HTTP: the connection closes.
    let reply = reqwest::get(format!("{base}/v1/shelves/1:watch"))
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert!(watchers(&library, 1).await);
    drop(reply);
    assert!(
        watchers(&library, 0).await,
        "the handler's stream outlived its caller"
    );
}

/// A Connect envelope: flags, big-endian length, message.
fn envelope(flags: u8, message: &[u8]) -> Vec<u8> {
    let mut out = vec![flags];
    out.extend_from_slice(&(message.len() as u32).to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// The envelopes of a Connect stream reply: (flags, message) each.
fn envelopes(mut body: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while body.len() >= 5 {
        let len = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
        out.push((body[0], body[5..5 + len].to_vec()));
        body = &body[5 + len..];
    }
    assert!(body.is_empty(), "a partial envelope");
    out
}

#[tokio::test]
async fn connect_streams_in_json_with_end_of_stream_messages() {
    let library = library::Library::default();
    let base = serve(library::app_with(library.clone())).await;
    let http = reqwest::Client::new();
    let call = |method: &str, body: Vec<u8>| {
        http.post(format!("{base}/library.v1.LibraryService/{method}"))
            .header("content-type", "application/connect+json")
            .body(body)
            .send()
    };

    // Bidi over HTTP/1.1 (half duplex): every request, then every reply,
    // the error of the third in the end-of-stream message.
    let mut body = envelope(0, br#"{"name":"shelves/1/books/2"}"#);
    body.extend(envelope(0, br#"{"name":"shelves/2/books/3"}"#));
    body.extend(envelope(0, br#"{"name":"shelves/9/books/9"}"#));
    let reply = call("CheckBooks", body).await.unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["content-type"], "application/connect+json");
    let out = envelopes(&reply.bytes().await.unwrap());
    assert_eq!(out.len(), 3);
    let first: serde_json::Value = serde_json::from_slice(&out[0].1).unwrap();
    assert_eq!(first["title"], "Leaves of Grass");
    assert_eq!(out[2].0, 2, "end of stream");
    let end: serde_json::Value = serde_json::from_slice(&out[2].1).unwrap();
    assert_eq!(end["error"]["code"], "not_found");

    // Client stream: the one reply, then an empty end-of-stream.
    let mut body = envelope(0, br#"{"parent":"shelves/1","book":{"title":"c1"}}"#);
    body.extend(envelope(
        0,
        br#"{"parent":"shelves/2","book":{"title":"c2"}}"#,
    ));
    let out = envelopes(
        &call("CreateBooks", body)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    );
    assert_eq!(out.len(), 2);
    let created: serde_json::Value = serde_json::from_slice(&out[0].1).unwrap();
    assert_eq!(created["books"][1]["title"], "c2");
    assert_eq!((out[1].0, out[1].1.as_slice()), (2, b"{}".as_slice()));

    // Server stream: an error before any message is the end-of-stream
    // message of a 200 reply.
    let body = envelope(0, br#"{"name":"shelves/404"}"#);
    let reply = call("WatchShelf", body).await.unwrap();
    assert_eq!(reply.status(), 200);
    let out = envelopes(&reply.bytes().await.unwrap());
    assert_eq!(out.len(), 1);
    let end: serde_json::Value = serde_json::from_slice(&out[0].1).unwrap();
    assert_eq!(end["error"]["code"], "not_found");
    // Its details carry the reason, as on the unary protocol.
    assert_eq!(end["error"]["details"][0]["type"], "google.rpc.ErrorInfo");

    // A stream sent with the unary protocol is refused.
    let reply = http
        .post(format!("{base}/library.v1.LibraryService/CheckBooks"))
        .header("content-type", "application/json")
        .header("connect-protocol-version", "1")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 415);
}

#[tokio::test]
async fn grpc_web_server_stream_over_http1() {
    use prost::Message;
    let library = library::Library::default();
    let base = serve(library::app_with(library.clone())).await;
    let watch = WatchShelfRequest {
        name: "shelves/2".into(),
        max_events: 2,
    };
    let reply = tokio::spawn(
        reqwest::Client::new()
            .post(format!("{base}/library.v1.LibraryService/WatchShelf"))
            .header("content-type", "application/grpc-web+proto")
            .body(envelope(0, &watch.encode_to_vec()))
            .send(),
    );
    assert!(watchers(&library, 1).await);
    let mut client = LibraryServiceClient::connect(base).await.unwrap();
    client.create_book(book("shelves/2", "w1")).await.unwrap();
    client.create_book(book("shelves/2", "w2")).await.unwrap();
    let reply = reply.await.unwrap().unwrap();
    assert_eq!(
        reply.headers()["content-type"],
        "application/grpc-web+proto"
    );
    let frames = envelopes(&reply.bytes().await.unwrap());
    // Two messages, then the trailers frame (flag 0x80).
    assert_eq!(frames.len(), 3);
    let titles: Vec<_> = frames[..2]
        .iter()
        .map(|(_, m)| {
            rpc_it::library::v1::ShelfEvent::decode(m.as_slice())
                .unwrap()
                .book
                .unwrap()
                .title
        })
        .collect();
    assert_eq!(titles, ["w1", "w2"]);
    assert_eq!(frames[2].0, 0x80);
    assert!(String::from_utf8_lossy(&frames[2].1).contains("grpc-status:0"));
}

#[tokio::test]
async fn a_deadline_ends_a_stream_with_deadline_exceeded() {
    let mut client = client().await;
    let mut request = tonic::Request::new(WatchShelfRequest {
        name: "shelves/1".into(),
        max_events: 0,
    });
    request.set_timeout(std::time::Duration::from_millis(200));
    let started = std::time::Instant::now();
    let mut events = client.watch_shelf(request).await.unwrap().into_inner();
    let status = events.message().await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::DeadlineExceeded);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn a_layer_sees_each_streamed_reply_in_the_body() {
    // Without layers a stream of replies goes to tonic as it is; with one,
    // the body carries them, so a layer that wraps the body sees each.
    use http_body_util::BodyExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let frames = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = frames.clone();
    let routes =
        library::pb::library::v1::library_service_http::routes(library::Library::default())
            .route_layer(tower::util::MapResponseLayer::new(
                move |response: axum::response::Response| {
                    let counted = counted.clone();
                    response.map(|body| {
                        axum::body::Body::new(body.map_frame(move |frame| {
                            if frame.is_data() {
                                counted.fetch_add(1, Ordering::Relaxed);
                            }
                            frame
                        }))
                    })
                },
            ));
    let mut client = LibraryServiceClient::connect(serve(routes.into_service()).await)
        .await
        .unwrap();
    let requests =
        ["shelves/1/books/2", "shelves/2/books/3"].map(|name| GetBookRequest { name: name.into() });
    let mut books = client
        .check_books(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    let mut titles = Vec::new();
    while let Some(book) = books.message().await.unwrap() {
        titles.push(book.title);
    }
    assert_eq!(titles, ["Leaves of Grass", "Dune"]);
    assert_eq!(
        frames.load(Ordering::Relaxed),
        2,
        "one body frame per reply"
    );
}
