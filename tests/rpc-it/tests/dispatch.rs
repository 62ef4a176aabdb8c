//! The dispatch order as one table: each request, the transport or step
//! that answers it (gRPC, gRPC-Web, Connect unary and streaming, HTTP
//! route, mounted gRPC service, fallback router, WebSocket upgrade,
//! 404/405/415), on the library example's service with its layers.

use axum::body::Body;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Who answered, told from the reply alone.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// gRPC with this `grpc-status`.
    Grpc(String),
    GrpcWeb,
    Connect(u16),
    ConnectStream,
    /// An HTTP route's JSON reply with this status.
    Http(u16),
    Fallback,
    /// protoway's own JSON error with this status and reason.
    Refused(u16, String),
    /// A bare refusal of an RPC request no transport reads, with the header
    /// naming what would do.
    Unreadable(u16, &'static str),
}

fn frame(message: &[u8]) -> Vec<u8> {
    let mut out = vec![0];
    out.extend_from_slice(&(message.len() as u32).to_be_bytes());
    out.extend_from_slice(message);
    out
}

async fn answer(method: &str, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
    let mut req = http::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let reply = library::app()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = reply.status().as_u16();
    let header = |name: &str| {
        reply
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let content_type = header("content-type");
    let (allow, accept_post) = (header("allow"), header("accept-post"));
    let in_headers = header("grpc-status");
    let collected = reply.into_body().collect().await.unwrap();
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let bytes = collected.to_bytes();
    if content_type.starts_with("application/grpc-web") {
        return Answer::GrpcWeb;
    }
    if content_type.starts_with("application/grpc") {
        let status = match trailers.get("grpc-status") {
            Some(v) => v.to_str().unwrap().to_owned(),
            None => in_headers,
        };
        return Answer::Grpc(status);
    }
    if content_type.starts_with("application/connect+") {
        return Answer::ConnectStream;
    }
    if content_type == "application/yaml" {
        return Answer::Fallback;
    }
    if bytes.is_empty() && !allow.is_empty() {
        return Answer::Unreadable(status, "allow");
    }
    if bytes.is_empty() && !accept_post.is_empty() {
        return Answer::Unreadable(status, "accept-post");
    }
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    if json["code"].is_string()
        || (status == 200
            && headers
                .iter()
                .any(|(n, _)| *n == "connect-protocol-version"))
    {
        return Answer::Connect(status);
    }
    match json["reason"].as_str() {
        Some(reason) if status >= 400 => Answer::Refused(status, reason.to_owned()),
        _ => Answer::Http(status),
    }
}

/// One row of the table: method, path, headers, body, who answers.
type Case = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
    Vec<u8>,
    Answer,
);

const GET_SHELF: &str = "/library.v1.LibraryService/GetShelf";

#[tokio::test]
async fn each_request_is_answered_by_the_step_its_headers_and_path_name() {
    let get_shelf = || frame(b"\x0a\x09shelves/1");
    let json = || br#"{"name":"shelves/1"}"#.to_vec();
    let grpc = ("content-type", "application/grpc");
    let connect = ("connect-protocol-version", "1");
    let cases: Vec<Case> = vec![
        (
            "POST",
            GET_SHELF,
            vec![grpc],
            get_shelf(),
            Answer::Grpc("0".into()),
        ),
        (
            "POST",
            GET_SHELF,
            vec![("content-type", "application/grpc+json")],
            frame(&json()),
            Answer::Grpc("0".into()),
        ),
        (
            "POST",
            "/library.v1.LibraryService/Nope",
            vec![grpc],
            get_shelf(),
            Answer::Grpc("12".into()),
        ),
        (
            "POST",
            "/grpc.health.v1.Health/Check",
            vec![grpc],
            frame(b""),
            Answer::Grpc("0".into()),
        ),
        (
            "POST",
            GET_SHELF,
            vec![("content-type", "application/grpc-web+proto")],
            get_shelf(),
            Answer::GrpcWeb,
        ),
        (
            "POST",
            GET_SHELF,
            vec![("content-type", "application/json"), connect],
            json(),
            Answer::Connect(200),
        ),
        (
            "POST",
            GET_SHELF,
            vec![("content-type", "application/proto"), connect],
            b"\x0a\x09shelves/1".to_vec(),
            Answer::Connect(200),
        ),
        // A JSON POST without Connect's header: Connect, where no HTTP route takes it.
        (
            "POST",
            GET_SHELF,
            vec![("content-type", "application/json")],
            br#"{"name":5}"#.to_vec(),
            Answer::Connect(400),
        ),
        (
            "POST",
            "/v1/shelves",
            vec![("content-type", "application/json")],
            br#"{"theme":5}"#.to_vec(),
            Answer::Refused(400, "INVALID_ARGUMENT".into()),
        ),
        (
            "POST",
            "/library.v1.LibraryService/Nope",
            vec![("content-type", "application/json"), connect],
            json(),
            Answer::Connect(404),
        ),
        (
            "GET",
            "/library.v1.LibraryService/GetShelf?connect=v1&encoding=json&message=%7B%7D",
            vec![],
            vec![],
            Answer::Connect(405),
        ),
        (
            "POST",
            GET_SHELF,
            vec![("content-type", "application/connect+json")],
            frame(&json()),
            Answer::ConnectStream,
        ),
        ("GET", "/v1/shelves/1", vec![], vec![], Answer::Http(200)),
        (
            "POST",
            "/v1/shelves",
            vec![("content-type", "application/json")],
            br#"{"theme":"t"}"#.to_vec(),
            Answer::Http(200),
        ),
        ("GET", "/openapi.yaml", vec![], vec![], Answer::Fallback),
        (
            "GET",
            "/nope",
            vec![],
            vec![],
            Answer::Refused(404, "NOT_FOUND".into()),
        ),
        (
            "PUT",
            "/v1/shelves",
            vec![],
            vec![],
            Answer::Refused(405, "METHOD_NOT_ALLOWED".into()),
        ),
        (
            "GET",
            "/v1/shelves/%zz",
            vec![],
            vec![],
            Answer::Refused(400, "BAD_PATH".into()),
        ),
        (
            "DELETE",
            GET_SHELF,
            vec![grpc],
            vec![],
            Answer::Unreadable(405, "allow"),
        ),
        (
            "POST",
            GET_SHELF,
            vec![("content-type", "text/plain")],
            vec![],
            Answer::Unreadable(415, "accept-post"),
        ),
        (
            "POST",
            GET_SHELF,
            vec![("content-type", "application/grpc+cbor")],
            vec![],
            Answer::Unreadable(415, "accept-post"),
        ),
    ];
    let mut wrong = Vec::new();
    for (method, path, headers, body, expected) in cases {
        let got = answer(method, path, &headers, body).await;
        if got != expected {
            wrong.push(format!(
                "{method} {path} {headers:?}: {got:?}, expected {expected:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A WebSocket upgrade of a streaming method's route, over a real socket
/// (the upgrade needs hyper's connection).
#[tokio::test]
async fn a_websocket_upgrade_is_answered_by_its_streaming_route() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, library::app().into_make_service()).await });
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    socket
        .write_all(
            b"GET /v1/books:check HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n\
              sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        )
        .await
        .unwrap();
    let mut head = [0u8; 12];
    socket.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 101", "{}", String::from_utf8_lossy(&head));
}
