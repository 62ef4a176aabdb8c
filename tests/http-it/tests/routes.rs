//! The generated bookstore server over loopback: errors in either codec,
//! `HttpBody`, layers, router settings and user routes, in-process calls,
//! closure routes, route-table checks, timeouts and streams.

use std::sync::{Arc, Mutex};

use http_it::bookstore::v1::bookstore_http::{self, Bookstore};
use http_it::bookstore::v1::*;
use http_it::store::Store;

use prost::Message;
use protoway::Error;
use protoway::route::RouteSpec;
use protoway::server::{Operation, Request, Routes};
use serde_json::{Value, json};

mod common;
use common::{client, get, get_error, serve, server, unmatched_get_json_404_and_405};

#[tokio::test]
async fn errors_carry_reason_metadata_in_either_codec() {
    let base = server().await;
    let (status, err) = get_error(&base, "/v1/shelves/missing").await;
    assert_eq!(status, 404);
    assert!(is_shelf_not_found(&err));
    assert_eq!(
        err.metadata().get("shelf").map(|s| s.as_ref()),
        Some("missing")
    );
    let resp = client()
        .get(format!("{base}/v1/shelves/missing"))
        .header("accept", "application/x-protobuf")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["content-type"], "application/x-protobuf");
    let bytes = resp.bytes().await.unwrap();
    // errors.Error: code = 1, reason = 2.
    assert_eq!(
        protoway::internals::wire::extract_len_field(&bytes, 2).unwrap(),
        b"SHELF_NOT_FOUND"
    );
}

#[tokio::test]
async fn http_body_in_and_out() {
    let base = server().await;
    let resp = client()
        .post(format!("{base}/v1/files/f1:upload"))
        .header("content-type", "image/png")
        .body(vec![0u8, 1, 2, 255])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/plain");
    assert_eq!(
        resp.text().await.unwrap(),
        "files/f1 got 4 bytes of image/png"
    );
    let resp = client()
        .post(format!("{base}/v1/raw"))
        .header("content-type", "application/octet-stream")
        .body(vec![9u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "application/octet-stream");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &[9u8; 10]);
}

#[tokio::test]
async fn layers_see_the_operation_even_when_binding_fails() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = seen.clone();
    let routes = bookstore_http::routes(Store).route_layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let record = record.clone();
            async move {
                let op = req
                    .extensions()
                    .get::<Operation>()
                    .map(|o| o.0.to_string())
                    .unwrap_or_default();
                record.lock().unwrap().push(op);
                next.run(req).await
            }
        },
    ));
    let base = serve(routes).await;
    assert_eq!(get(&base, "/v1/numbers/x/PRIME").await.0, 400);
    assert_eq!(get(&base, "/v1/shelves/1").await.0, 200);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            bookstore_http::OPERATION_GET_NUMBER,
            bookstore_http::OPERATION_GET_SHELF
        ]
    );
}

#[tokio::test]
async fn emit_defaults_is_a_router_setting_and_user_routes_merge() {
    let router = bookstore_http::routes(Store)
        .emit_defaults(true)
        .into_router()
        .route("/healthz", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let (_, v) = get(&base, "/v1/numbers/0/KIND_UNSPECIFIED").await;
    assert_eq!(
        v,
        json!({"id": "0", "kind": "KIND_UNSPECIFIED", "extra": ""})
    );
    let (_, v) = get(&base, "/v1/query?maybe=1").await;
    assert_eq!(v["tags"], json!([]));
    assert_eq!(v["labels"], json!({}));
    assert_eq!(v["nested"], Value::Null);
    assert!(v.get("choiceText").is_none(), "oneof members stay unset");
    assert_eq!(
        client()
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
}

#[tokio::test]
async fn user_routes_behind_the_service_fallback() {
    use axum::routing::delete;
    let user = axum::Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        // Same path as a generated binding, another method: the user's.
        .route("/v1/shelves/{id}", delete(|| async { "deleted by user" }))
        // Same path and method as a generated binding: protoway's wins.
        .route(
            "/v1/shelves/{id}/books",
            axum::routing::get(|| async { "shadowed" }),
        )
        // Replaced by protoway's JSON 404/405 (documented).
        .fallback(|| async { "user fallback" });
    let service = bookstore_http::routes(Store).into_service().fallback(user);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, service.into_make_service())
            .await
            .unwrap()
    });
    let text = |resp: reqwest::Response| async move { resp.text().await.unwrap() };
    let resp = client()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(text(resp).await, "ok");
    let resp = client()
        .delete(format!("{base}/v1/shelves/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(text(resp).await, "deleted by user");
    let (status, v) = get(&base, "/v1/shelves/1").await;
    assert_eq!((status, &v["name"]), (200, &json!("shelves/1")));
    let (status, _) = get(&base, "/v1/shelves/1/books").await;
    assert_eq!(
        status, 200,
        "the generated binding answers, not the user route"
    );
    unmatched_get_json_404_and_405(&base, "/v1/numbers/0/KIND_UNSPECIFIED").await;
    // A path both route: the user's method router answers the methods
    // neither has (axum's 405, listing the user's methods).
    let resp = client()
        .put(format!("{base}/v1/shelves/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(resp.headers()["allow"], "DELETE");
}

#[tokio::test]
#[allow(deprecated)]
async fn in_process_calls_need_no_http() {
    let reply = Store
        .old_get_shelf(Request::new(GetShelfRequest { shelf: "2".into() }))
        .await
        .unwrap();
    assert_eq!(reply.get_ref().name, "shelves/2");
}

/// `Routes::add` serves a binding with a closure over the application's own
/// state (no service trait): bound, called and encoded like a generated route.
#[tokio::test]
async fn closure_routes_with_routes_add() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let routes = Routes::new().add(
        &bookstore_http::ROUTE_GET_SHELF_0,
        move |request: Request<GetShelfRequest>| {
            let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                let shelf = request.get_ref().shelf.clone();
                if shelf == "0" {
                    return Err(Error::not_found("SHELF_NOT_FOUND", "no shelf 0"));
                }
                Ok(protoway::server::Response::new(Shelf {
                    name: format!("shelves/{shelf}"),
                    theme: format!("call {n} of {}", request.operation()),
                })
                .with_status(http::StatusCode::ACCEPTED))
            }
        },
    );
    let base = serve(routes).await;
    assert_eq!(
        get(&base, "/v1/shelves/7").await,
        (
            202,
            json!({"name": "shelves/7", "theme": "call 1 of /bookstore.v1.Bookstore/GetShelf"})
        )
    );
    let resp = client()
        .get(format!("{base}/v1/shelves/8"))
        .header("accept", "application/x-protobuf")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let shelf = Shelf::decode(resp.bytes().await.unwrap()).unwrap();
    assert_eq!(shelf.name, "shelves/8");
    let (status, err) = get_error(&base, "/v1/shelves/0").await;
    assert_eq!((status, err.reason()), (404, "SHELF_NOT_FOUND"));
    // Only the closure's binding is served.
    assert_eq!(get(&base, "/v1/shelves/7/books/1").await.0, 404);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

/// A hand-written spec whose path fields disagree with its template would
/// bind the wrong fields: adding it panics, naming the route.
#[test]
fn a_spec_whose_path_fields_are_not_its_variables_is_rejected() {
    static WRONG: RouteSpec = RouteSpec::new(
        "/bookstore.v1.Bookstore/GetShelf",
        "GET",
        "/v1/shelves/{shelf}",
        bookstore_http::ROUTE_GET_SHELF_0.request,
        bookstore_http::ROUTE_GET_SHELF_0.reply,
    )
    .path_fields(&[&["name"]]);
    let shelf = |_: Request<GetShelfRequest>| async { Ok(Shelf::default().into()) };
    let added = std::panic::catch_unwind(|| Routes::new().add(&WRONG, shelf));
    let message = *added.unwrap_err().downcast::<String>().unwrap();
    assert!(
        message.contains("path_fields [[\"name\"]] are not the template's variables"),
        "{message}"
    );
    // The generated spec carries them.
    assert_eq!(
        bookstore_http::ROUTE_GET_SHELF_0.path_fields,
        &[&["shelf"][..]]
    );
}

/// A second route with the method and template shape of one already added
/// could never be reached: adding or merging it panics, naming both.
#[test]
fn duplicate_routes_are_rejected_when_added_or_merged() {
    let shelf = |_: Request<GetShelfRequest>| async { Ok(Shelf::default().into()) };
    let twice = std::panic::catch_unwind(|| {
        Routes::new()
            .add(&bookstore_http::ROUTE_GET_SHELF_0, shelf)
            .add(&bookstore_http::ROUTE_GET_SHELF_0, shelf)
    });
    let message = *twice.unwrap_err().downcast::<String>().unwrap();
    assert_eq!(
        message,
        "duplicate route: GET /v1/shelves/{shelf} (/bookstore.v1.Bookstore/GetShelf) matches \
         exactly the requests of GET /v1/shelves/{shelf} (/bookstore.v1.Bookstore/GetShelf)"
    );
    let merged = std::panic::catch_unwind(|| {
        bookstore_http::routes(Store).merge(bookstore_http::routes(Store))
    });
    assert!(merged.is_err());
    // Other services' routes merge as before.
    let one = Routes::new().add(&bookstore_http::ROUTE_GET_SHELF_0, shelf);
    let other = Routes::new().add(
        &bookstore_http::ROUTE_GET_BOOK_0,
        |_: Request<GetBookRequest>| async { Ok(Book::default().into()) },
    );
    let _ = one.merge(other).into_service();
}

/// `application/x-www-form-urlencoded` bodies are bound like query
/// parameters (kratos' form codec): `body: "*"` from the whole message's
/// keys, `body: "book"` from the field's own keys, the URL's query and the
/// path still applying; `+` is a space; a body that is not UTF-8 is a 400.
#[tokio::test]
async fn form_bodies_bind_like_query_parameters() {
    let base = server().await;
    let form = |method: reqwest::Method, url: String, body: &'static [u8]| {
        client()
            .request(method, url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let created = form(
        reqwest::Method::POST,
        format!("{base}/v1/shelves"),
        b"shelfId=7&shelf.theme=Old+poems",
    )
    .await
    .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(
        serde_json::from_slice::<Value>(&created.bytes().await.unwrap()).unwrap(),
        json!({"name": "shelves/7", "theme": "Old poems"})
    );
    let updated = form(
        reqwest::Method::PATCH,
        format!("{base}/v1/shelves/1/books/2?updateMask=title"),
        b"title=Odes&name=ignored",
    )
    .await
    .unwrap();
    assert_eq!(updated.status(), 200);
    assert_eq!(
        serde_json::from_slice::<Value>(&updated.bytes().await.unwrap()).unwrap(),
        json!({"name": "shelves/1/books/2", "title": "Odes", "author": "title"})
    );
    let bad = form(
        reqwest::Method::POST,
        format!("{base}/v1/shelves"),
        b"shelfId=\xff",
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), 400);
    let wrong_type = form(
        reqwest::Method::POST,
        format!("{base}/v1/shelves"),
        b"shelf.theme=a&shelf.theme=b",
    )
    .await
    .unwrap();
    assert_eq!(wrong_type.status(), 400);
}

/// Layers whose service can fail work as they are: `tower::timeout`'s
/// `Elapsed` is 504 TIMEOUT, a `protoway::Error` keeps its code and reason,
/// anything else is 500; all as the Error JSON.
#[tokio::test]
async fn fallible_tower_layers_answer_with_the_error_json() {
    use std::time::Duration;
    let slow = Routes::new().add(
        &bookstore_http::ROUTE_GET_SHELF_0,
        |request: Request<GetShelfRequest>| async move {
            if request.get_ref().shelf == "slow" {
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            Ok(Shelf::default().into())
        },
    );
    let base =
        serve(slow.route_layer(tower::timeout::TimeoutLayer::new(Duration::from_millis(50)))).await;
    assert_eq!(get(&base, "/v1/shelves/fast").await.0, 200);
    let (status, err) = get_error(&base, "/v1/shelves/slow").await;
    assert_eq!((status, err.reason()), (504, "TIMEOUT"));

    #[derive(Clone)]
    struct Refuse<S>(S, bool);
    impl<S> tower::Service<axum::extract::Request> for Refuse<S>
    where
        S: tower::Service<axum::extract::Request, Response = axum::response::Response>,
    {
        type Response = axum::response::Response;
        type Error = tower::BoxError;
        type Future = std::future::Ready<Result<Self::Response, Self::Error>>;
        fn poll_ready(
            &mut self,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Self::Error>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn call(&mut self, _: axum::extract::Request) -> Self::Future {
            std::future::ready(Err(if self.1 {
                Error::too_many_requests("RATE_LIMITED", "slow down").into()
            } else {
                "the layer broke".into()
            }))
        }
    }
    for (own, status, reason) in [(true, 429, "RATE_LIMITED"), (false, 500, "")] {
        let layer = tower::layer::layer_fn(move |inner| Refuse(inner, own));
        let base = serve(bookstore_http::routes(Store).route_layer(layer)).await;
        let (got, err) = get_error(&base, "/v1/shelves/1").await;
        assert_eq!(got, status);
        if !reason.is_empty() {
            assert_eq!(err.reason(), reason);
        }
    }
}

#[tokio::test]
async fn a_server_stream_is_ndjson_or_server_sent_events() {
    let base = server().await;
    // Newline-delimited JSON by default, grpc-gateway's lines.
    let reply = client()
        .get(format!("{base}/v1/shelves/broken:watch"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["content-type"], "application/x-ndjson");
    let text = reply.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["result"]["theme"], "v1");
    let error = &lines[1]["error"];
    assert_eq!(error["code"], 14, "gRPC UNAVAILABLE: {error}");
    assert_eq!(error["httpCode"], 503);
    assert_eq!(error["reason"], "SHELF_OFFLINE");
    assert_eq!(error["details"][0]["reason"], "SHELF_OFFLINE");

    // Server-sent events when asked for: one `data:` per message, then an
    // `error` event carrying kratos' error JSON.
    let reply = client()
        .get(format!("{base}/v1/shelves/broken:watch"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.headers()["content-type"], "text/event-stream");
    assert_eq!(reply.headers()["cache-control"], "no-cache");
    assert_eq!(reply.headers()["x-accel-buffering"], "no");
    let text = reply.text().await.unwrap();
    let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert_eq!(events.len(), 2, "{text}");
    let first: Value = serde_json::from_str(events[0].strip_prefix("data: ").unwrap()).unwrap();
    assert_eq!(first["theme"], "v1");
    let error = events[1].strip_prefix("event: error\ndata: ").unwrap();
    let error: Value = serde_json::from_str(error).unwrap();
    assert_eq!(error["code"], 503);
    assert_eq!(error["reason"], "SHELF_OFFLINE");
}

#[tokio::test]
async fn idle_streams_send_keep_alive_comments_then_end_at_the_idle_timeout() {
    let routes = bookstore_http::routes(Store)
        .sse_keep_alive(std::time::Duration::from_millis(40))
        .stream_idle_timeout(Some(std::time::Duration::from_millis(300)));
    let base = serve(routes).await;
    let reply = client()
        .get(format!("{base}/v1/shelves/quiet:watch"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    let text = reply.text().await.unwrap();
    assert!(text.starts_with("data: {"), "{text}");
    assert!(text.contains("\n\n: keep-alive\n\n"), "{text}");
    let last = text.trim_end().rsplit("\n\n").next().unwrap();
    let error = last.strip_prefix("event: error\ndata: ").unwrap();
    let error: Value = serde_json::from_str(error).unwrap();
    assert_eq!(error["reason"], "IDLE_TIMEOUT");
    assert_eq!(error["code"], 504);
}

#[tokio::test]
async fn a_slow_reader_holds_the_handler_back() {
    use http_it::store::ENDLESS_SENT;
    use std::sync::atomic::Ordering;
    let base = server().await;
    let mut reply = client()
        .get(format!("{base}/v1/shelves/endless:watch"))
        .send()
        .await
        .unwrap();
    // Read a little, then stop reading: the handler's stream is polled
    // only as the connection drains, so it stalls once the socket buffers
    // are full.
    let first = reply.chunk().await.unwrap().unwrap();
    assert!(first.starts_with(b"{\"result\":"));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let stalled = ENDLESS_SENT.load(Ordering::Relaxed);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let later = ENDLESS_SENT.load(Ordering::Relaxed);
    assert_eq!(
        stalled, later,
        "the handler kept producing for a reader that does not read"
    );
    // What is buffered between them: socket buffers and hyper's, bounded.
    println!("produced ahead of a stalled reader: {later} messages of ~1 KiB");
    assert!(later < 50_000, "{later} messages buffered");
    drop(reply);
}

#[tokio::test]
async fn a_stream_of_http_body_gets_each_piece_of_the_body_as_it_arrives() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let base = server().await;
    let addr = base.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(
        b"POST /v1/uploads:stream HTTP/1.1\r\nhost: x\r\ncontent-type: image/png\r\n\
          transfer-encoding: chunked\r\nconnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    // Three pieces, apart in time: the handler sees three messages (a
    // body read whole first would be one).
    for piece in [&b"aaaa"[..], b"bbbbbb", b"cc"] {
        tcp.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
            .await
            .unwrap();
        tcp.write_all(piece).await.unwrap();
        tcp.write_all(b"\r\n").await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tcp.write_all(b"0\r\n\r\n").await.unwrap();
    let mut reply = String::new();
    tcp.read_to_string(&mut reply).await.unwrap();
    let body = reply.split("\r\n\r\n").nth(1).unwrap();
    let summary: Value = serde_json::from_str(body.trim()).unwrap_or_else(|_| {
        // A chunked reply: the JSON is the first chunk's payload.
        serde_json::from_str(body.lines().nth(1).unwrap()).unwrap()
    });
    assert_eq!(summary["bytes"], "12", "{reply}");
    assert_eq!(summary["chunks"], 3, "{reply}");
    assert_eq!(summary["contentType"], "image/png");
}

#[tokio::test]
async fn a_stream_of_http_body_is_sent_raw() {
    let base = server().await;
    let reply = client()
        .get(format!("{base}/v1/shelves/7:download"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["content-type"], "application/octet-stream");
    assert_eq!(reply.text().await.unwrap(), "first,second,7");
}
