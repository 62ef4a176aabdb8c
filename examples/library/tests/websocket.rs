//! The library's streaming methods over WebSocket on their HTTP routes,
//! from tokio-tungstenite, in kratos v3's framing: one JSON message per
//! WebSocket message each way, `\x1eend` ending the requests, a failed
//! call's `\x1eerror:` message (the Error's JSON) and a 1011 close.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

mod common;

async fn serve() -> String {
    format!("ws://{}", common::serve(library::app()).await)
}

async fn next_json<S>(socket: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match socket.next().await.expect("a message").expect("no error") {
            Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            Message::Close(_) => panic!("closed"),
            _ => continue,
        }
    }
}

/// The call's error message (`\x1eerror:` and the Error's JSON), then the
/// close code.
async fn failure<S>(socket: &mut S) -> (Value, u16)
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let error = match socket.next().await.expect("a message").expect("no error") {
        Message::Text(text) => {
            let json = text
                .as_str()
                .strip_prefix("\x1eerror:")
                .expect("an error message");
            serde_json::from_str(json).unwrap()
        }
        other => panic!("not an error message: {other:?}"),
    };
    match socket.next().await.expect("a close").expect("no error") {
        Message::Close(Some(frame)) => (error, u16::from(frame.code)),
        other => panic!("not a close: {other:?}"),
    }
}

#[tokio::test]
async fn bidi_over_websocket_answers_each_message_then_ends_at_an_error() {
    let base = serve().await;
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("{base}/v1/books:check"))
        .await
        .unwrap();
    // Full duplex: each reply arrives before the next request is sent.
    socket
        .send(Message::text(r#"{"name":"shelves/1/books/2"}"#))
        .await
        .unwrap();
    let reply = next_json(&mut socket).await;
    assert_eq!(reply["title"], "Leaves of Grass");
    socket
        .send(Message::text(r#"{"name":"shelves/2/books/3"}"#))
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await["title"], "Dune");
    socket
        .send(Message::text(r#"{"name":"shelves/9/books/9"}"#))
        .await
        .unwrap();
    let (error, close) = failure(&mut socket).await;
    assert_eq!(
        (&error["reason"], &error["code"]),
        (&"BOOK_NOT_FOUND".into(), &404.into())
    );
    assert_eq!(close, 1011);
}

#[tokio::test]
async fn client_stream_over_websocket_replies_when_the_requests_end() {
    let base = serve().await;
    // kratos' control message ends the requests, as grpc-websocket-proxy
    // clients' empty message does; the reply still comes, then a normal
    // close.
    for end in ["\x1eend", ""] {
        let (mut socket, _) =
            tokio_tungstenite::connect_async(format!("{base}/v1/books:batchCreate"))
                .await
                .unwrap();
        for title in ["ws1", "ws2"] {
            let request = format!(r#"{{"parent":"shelves/1","book":{{"title":"{title}"}}}}"#);
            socket.send(Message::text(request)).await.unwrap();
        }
        socket.send(Message::text(end)).await.unwrap();
        let reply = next_json(&mut socket).await;
        let titles: Vec<&str> = reply["books"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, ["ws1", "ws2"], "ended with {end:?}");
        match socket.next().await.expect("a close").expect("no error") {
            Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 1000),
            other => panic!("not a close: {other:?}"),
        }
    }
}

#[tokio::test]
async fn server_stream_over_websocket_and_an_error_before_any_reply() {
    let base = serve().await;
    let http = base.replace("ws://", "http://");
    let (mut socket, _) =
        tokio_tungstenite::connect_async(format!("{base}/v1/shelves/2:watch?maxEvents=1"))
            .await
            .unwrap();
    // The watch is open once the handshake is done and the call started;
    // add books until its one event arrives.
    let watching = tokio::spawn(async move { next_json(&mut socket).await });
    let client = reqwest::Client::new();
    for _ in 0..100 {
        client
            .post(format!("{http}/v1/shelves/2/books"))
            .header("content-type", "application/json")
            .body(r#"{"title":"seen over ws"}"#)
            .send()
            .await
            .unwrap();
        if watching.is_finished() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let event = watching.await.unwrap();
    assert_eq!(event["kind"], "CREATED");

    let (mut socket, _) = tokio_tungstenite::connect_async(format!("{base}/v1/shelves/404:watch"))
        .await
        .unwrap();
    let (error, close) = failure(&mut socket).await;
    assert_eq!(error["reason"], "SHELF_NOT_FOUND");
    assert_eq!(close, 1011);
}

/// The generated reqwest client calls client and bidi streams over
/// WebSocket (protoway's `websocket` feature), through the service trait.
#[tokio::test]
async fn the_generated_client_sends_streams_of_requests_over_websocket() {
    use library::pb::library::v1::library_service_http::{LibraryService, LibraryServiceClient};
    use library::pb::library::v1::{Book, CreateBookRequest, GetBookRequest};
    use protoway::Streaming;
    use protoway::server::Request;

    let base = serve().await.replace("ws://", "http://");
    let client = LibraryServiceClient::connect(base);
    let names = [
        "shelves/1/books/2",
        "shelves/2/books/3",
        "shelves/9/books/9",
    ]
    .map(|name| GetBookRequest { name: name.into() });
    let mut books = client
        .check_books(Request::new(Streaming::from_messages(names)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        books.message().await.unwrap().unwrap().title,
        "Leaves of Grass"
    );
    assert_eq!(books.message().await.unwrap().unwrap().title, "Dune");
    let error = books.message().await.unwrap_err();
    assert_eq!((error.code(), error.reason()), (404, "BOOK_NOT_FOUND"));

    let requests = ["c1", "c2"].map(|title| CreateBookRequest {
        parent: "shelves/2".into(),
        book: Some(Book {
            title: title.into(),
            ..Book::default()
        }),
    });
    let created = client
        .create_books(Request::new(Streaming::from_messages(requests)))
        .await
        .unwrap()
        .into_inner();
    let titles: Vec<_> = created.books.iter().map(|b| b.title.as_str()).collect();
    assert_eq!(titles, ["c1", "c2"]);
}
