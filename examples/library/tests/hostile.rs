//! Hostile HTTP against the library over raw loopback TCP (so nothing
//! between us and the server cleans the bytes up): every case gets its
//! status and the Error JSON, never a 500, a panic or a dropped connection.

use std::time::Duration;

use library::Library;
use library::pb::library::v1::library_service_http;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;

async fn serve(service: protoway::server::RoutesService) -> String {
    common::serve(service).await.to_string()
}

/// Sends `head` + `body` as written, reads the whole reply (the request asks
/// the server to close), returns status and JSON body.
async fn raw(addr: &str, head: &[u8], body: &[u8]) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut reply))
        .await
        .expect("the server answers")
        .expect("the connection is not reset");
    parse(&reply)
}

fn parse(reply: &[u8]) -> (u16, Value) {
    let text = String::from_utf8_lossy(reply);
    let status = text
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn request(method: &str, target: &[u8], content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut head = format!("{method} ").into_bytes();
    head.extend_from_slice(target);
    head.extend_from_slice(
        format!(
            " HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    head
}

async fn send(addr: &str, method: &str, target: &[u8], body: &[u8]) -> (u16, Value) {
    let head = request(method, target, "application/json", body);
    raw(addr, &head, body).await
}

/// The Error JSON with `code` equal to the status, and a reason.
fn assert_error(case: &str, (status, body): (u16, Value), expected: u16) {
    assert_eq!(status, expected, "{case}: {body}");
    assert_eq!(body["code"], expected, "{case}: {body}");
    assert!(
        body["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{case}: {body}"
    );
}

#[tokio::test]
async fn oversize_body_is_413() {
    let addr = serve(library::app()).await;
    // A declared length over the limit is refused before any body byte is
    // read. (Sending nothing more keeps the close clean: unread bytes would
    // make the kernel reset the connection and lose the reply.)
    let head = request(
        "POST",
        b"/v1/shelves",
        "application/json",
        &vec![b' '; 5 << 20],
    );
    assert_error("5 MiB content-length", raw(&addr, &head, b"").await, 413);
    // Chunked, no length up front: the limit holds while reading. One byte
    // over 4 MiB, and nothing after it for the same reason.
    let over = (4 << 20) + 1;
    let mut head = b"POST /v1/shelves HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    head.extend_from_slice(format!("{over:x}\r\n").as_bytes());
    assert_error(
        "4 MiB + 1 chunked",
        raw(&addr, &head, &vec![b' '; over]).await,
        413,
    );
}

#[tokio::test]
async fn deeply_nested_json_is_400_without_stack_overflow() {
    let addr = serve(library::app()).await;
    for depth in [200, 100_000] {
        let body = format!("{{\"theme\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
        let reply = send(&addr, "POST", b"/v1/shelves", body.as_bytes()).await;
        assert_error(&format!("depth {depth}, body *"), reply, 400);
        // A body field (`book`) goes another way through the binder.
        let body = format!(
            "{{\"title\":{}{}}}",
            "{\"a\":".repeat(depth),
            "}".repeat(depth)
        );
        let reply = send(&addr, "POST", b"/v1/shelves/1/books", body.as_bytes()).await;
        assert_error(&format!("depth {depth}, body field"), reply, 400);
    }
}

#[tokio::test]
async fn huge_numbers_are_400() {
    let addr = serve(library::app()).await;
    for target in [
        &b"/v1/shelves?pageSize=99999999999999999999999"[..],
        b"/v1/shelves?pageSize=1e999",
        b"/v1/shelves?pageSize=-2147483649",
        b"/v1/shelves?pageSize=NaN",
    ] {
        let reply = send(&addr, "GET", target, b"").await;
        assert_error(&String::from_utf8_lossy(target), reply, 400);
    }
    let reply = send(&addr, "POST", b"/v1/shelves", br#"{"theme": 1e999999}"#).await;
    assert_error("1e999999 in a string field", reply, 400);
}

#[tokio::test]
async fn invalid_utf8_in_path_query_and_body_is_400() {
    let addr = serve(library::app()).await;
    let reply = send(&addr, "GET", b"/v1/shelves/%FF%FE", b"").await;
    assert_error("escaped invalid UTF-8 in the path", reply, 400);
    let reply = send(&addr, "GET", b"/v1/shelves?pageToken=%C3%28", b"").await;
    assert_error("escaped invalid UTF-8 in the query", reply, 400);
    let reply = send(&addr, "GET", b"/v1/shelves?page%FFToken=1", b"").await;
    assert_error("escaped invalid UTF-8 in a query key", reply, 400);
    let reply = send(&addr, "POST", b"/v1/shelves", b"{\"theme\":\"\xFF\xFE\"}").await;
    assert_error("raw invalid UTF-8 in the body", reply, 400);
    // Raw (unescaped) bytes above 0x7F in the request target: hyper refuses
    // them before routing with a bare 400; the connection still answers.
    let (status, _) = send(&addr, "GET", b"/v1/shelves/\xFF", b"").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn encoded_slashes_and_dots_do_not_escape_their_segment() {
    let addr = serve(library::app()).await;
    // `%2F` is data inside one segment: shelf "1/books/1" does not exist.
    let reply = send(&addr, "GET", b"/v1/shelves/1%2Fbooks%2F1", b"").await;
    assert_error("%2F in a single-segment variable", reply, 404);
    // Dot segments, escaped or not, never walk up to another route.
    for target in [
        &b"/v1/shelves/%2e%2e/shelves/1"[..],
        b"/v1/shelves/1/books/%2E%2E",
        b"/v1/shelves/../shelves/1",
        b"/v1/shelves/1/books/..%2F..%2Fshelves",
    ] {
        let (status, body) = send(&addr, "GET", target, b"").await;
        assert!(
            [400, 404].contains(&status) && body["code"] == status,
            "{}: {status} {body}",
            String::from_utf8_lossy(target)
        );
    }
}

#[tokio::test]
async fn duplicate_singular_query_keys_are_400() {
    let addr = serve(library::app()).await;
    let (status, body) = send(&addr, "GET", b"/v1/shelves?pageSize=1&pageSize=2", b"").await;
    assert_error("duplicate pageSize", (status, body.clone()), 400);
    assert!(
        body["message"].as_str().unwrap().contains("pageSize"),
        "{body}"
    );
}

#[tokio::test]
async fn long_urls_and_many_query_keys_are_answered() {
    let addr = serve(library::app()).await;
    // 5,000 unknown keys (about 40 KB of query): ignored, 200.
    let query: String = (0..5_000).map(|i| format!("k{i}=v&")).collect();
    let target = format!("/v1/shelves?{query}pageSize=1");
    let (status, body) = send(&addr, "GET", target.as_bytes(), b"").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["shelves"].as_array().unwrap().len(), 1);
    // A 32 KB path segment: a shelf that does not exist.
    let target = format!("/v1/shelves/{}", "9".repeat(32 << 10));
    let reply = send(&addr, "GET", target.as_bytes(), b"").await;
    assert_error("32 KB path segment", reply, 404);
    // Past hyper's request-head buffer (1 MB request line): hyper answers
    // 431 itself, before the router (so without the Error JSON), and the
    // server keeps serving.
    let target = format!("/v1/shelves?{}", "a".repeat(1 << 20));
    let (status, _) = send(&addr, "GET", target.as_bytes(), b"").await;
    assert_eq!(status, 431);
    let (status, _) = send(&addr, "GET", b"/v1/shelves", b"").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn slow_bodies_finish_or_time_out_with_408() {
    let routes = library_service_http::routes(Library::default())
        .body_timeout(Some(Duration::from_millis(400)));
    let addr = serve(routes.into_service()).await;
    let body = br#"{"theme":"slow but in time"}"#;
    // Slow, but inside the limit: served.
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(&request("POST", b"/v1/shelves", "application/json", body))
        .await
        .unwrap();
    for piece in body.chunks(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        stream.write_all(piece).await.unwrap();
    }
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.unwrap();
    let (status, shelf) = parse(&reply);
    assert_eq!(status, 200, "{shelf}");
    assert_eq!(shelf["theme"], "slow but in time");
    // Stalls half way: 408 with the Error JSON, not a hung connection.
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(&request("POST", b"/v1/shelves", "application/json", body))
        .await
        .unwrap();
    stream.write_all(&body[..5]).await.unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut reply))
        .await
        .expect("answered after the body timeout")
        .unwrap();
    assert_error("stalled body", parse(&reply), 408);
}
