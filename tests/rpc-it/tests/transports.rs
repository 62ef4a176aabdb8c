//! The library example's one `routes(service)` value on one port, called
//! over gRPC by a tonic-prost-build client, over gRPC-Web and Connect with
//! plain HTTP requests, and over HTTP/JSON, all seeing the same state.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use prost::Message;
use rpc_it::library::v1::library_service_client::LibraryServiceClient;
use rpc_it::library::v1::{CreateShelfRequest, GetShelfRequest, Shelf};
use serde_json::{Value, json};

/// The library example's app on a loopback port.
async fn serve() -> String {
    serve_service(library::app()).await
}

mod common;
use common::serve as serve_service;

fn shelf(theme: &str) -> CreateShelfRequest {
    CreateShelfRequest {
        shelf: Some(Shelf {
            name: String::new(),
            theme: theme.into(),
        }),
    }
}

#[tokio::test]
async fn a_tonic_client_calls_every_kind_of_method_and_reads_errors_back() {
    let base = serve().await;
    let mut client = LibraryServiceClient::connect(base.clone()).await.unwrap();
    let created = client.create_shelf(shelf("poetry")).await.unwrap();
    let created = created.into_inner();
    assert_eq!(created.theme, "poetry");
    let got = client
        .get_shelf(GetShelfRequest {
            name: created.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, created);

    // The same state over HTTP/JSON on the same port.
    let http: Value = reqwest::get(format!("{base}/v1/{}", created.name))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(http["theme"], "poetry");

    // An Error comes back as kratos sends it: code, reason in ErrorInfo.
    let missing = client
        .get_shelf(GetShelfRequest {
            name: "shelves/999".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let error = protoway::Error::from_status(&missing);
    assert_eq!((error.code(), error.reason()), (404, "SHELF_NOT_FOUND"));
    let invalid = client.create_shelf(shelf("")).await.unwrap_err();
    assert_eq!(invalid.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        protoway::Error::from_status(&invalid).reason(),
        "INVALID_ARGUMENT"
    );

    // An unknown method is UNIMPLEMENTED, not a hang or an HTTP 404 body.
    let mut grpc = tonic::client::Grpc::new(
        tonic::transport::Endpoint::from_shared(base)
            .unwrap()
            .connect()
            .await
            .unwrap(),
    );
    grpc.ready().await.unwrap();
    let unknown: Result<tonic::Response<Shelf>, _> = grpc
        .unary(
            tonic::Request::new(GetShelfRequest::default()),
            "/library.v1.LibraryService/Nope".parse().unwrap(),
            tonic_prost::ProstCodec::default(),
        )
        .await;
    assert_eq!(unknown.unwrap_err().code(), tonic::Code::Unimplemented);
}

#[tokio::test]
async fn grpc_timeout_is_a_deadline() {
    let base = serve().await;
    let mut client = LibraryServiceClient::connect(base).await.unwrap();
    let mut request = tonic::Request::new(shelf("fast"));
    request.set_timeout(std::time::Duration::from_secs(5));
    // Within the deadline: answered.
    assert!(client.create_shelf(request).await.is_ok());
}

/// A gRPC-Web frame: flag, big-endian length, message.
fn frame(flag: u8, message: &[u8]) -> Bytes {
    let mut out = BytesMut::new();
    out.put_u8(flag);
    out.put_u32(message.len() as u32);
    out.put_slice(message);
    out.freeze()
}

#[tokio::test]
async fn grpc_web_over_http1_answers_with_a_message_and_trailers() {
    let base = serve().await;
    let http = reqwest::Client::new();
    let reply = http
        .post(format!("{base}/library.v1.LibraryService/CreateShelf"))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .body(frame(0, &shelf("web").encode_to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply.headers()["content-type"],
        "application/grpc-web+proto"
    );
    let mut body = reply.bytes().await.unwrap();
    assert_eq!(body.get_u8(), 0, "a message frame first");
    let len = body.get_u32() as usize;
    let created = Shelf::decode(&body[..len]).unwrap();
    assert_eq!(created.theme, "web");
    body.advance(len);
    assert_eq!(body.get_u8(), 0x80, "then the trailers frame");
    let len = body.get_u32() as usize;
    let trailers = String::from_utf8(body[..len].to_vec()).unwrap();
    assert!(trailers.contains("grpc-status:0"), "{trailers}");

    // An error travels in the trailers with its status.
    let reply = http
        .post(format!("{base}/library.v1.LibraryService/GetShelf"))
        .header("content-type", "application/grpc-web+proto")
        .body(frame(
            0,
            &GetShelfRequest {
                name: "shelves/404".into(),
            }
            .encode_to_vec(),
        ))
        .send()
        .await
        .unwrap();
    // A trailers-only reply: the status is in the headers (no frames).
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["grpc-status"], "5");
    let error =
        protoway::Error::from_status(&tonic::Status::from_header_map(reply.headers()).unwrap());
    assert_eq!((error.code(), error.reason()), (404, "SHELF_NOT_FOUND"));
}

#[tokio::test]
async fn grpc_web_with_the_json_codec_and_its_text_form() {
    let base = serve().await;
    let http = reqwest::Client::new();
    let url = format!("{base}/library.v1.LibraryService/CreateShelf");
    let message = json!({"shelf": {"theme": "web-json"}}).to_string();
    let reply = http
        .post(&url)
        .header("content-type", "application/grpc-web+json")
        .body(frame(0, message.as_bytes()))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["content-type"], "application/grpc-web+json");
    let mut body = reply.bytes().await.unwrap();
    assert_eq!(body.get_u8(), 0);
    let len = body.get_u32() as usize;
    let created: Value = serde_json::from_slice(&body[..len]).unwrap();
    assert_eq!(created["theme"], "web-json");

    // The text form: base64 of the same frames, both ways.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let reply = http
        .post(&url)
        .header("content-type", "application/grpc-web-text+json")
        .header("accept", "application/grpc-web-text+json")
        .body(b64.encode(frame(0, message.as_bytes())))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply.headers()["content-type"],
        "application/grpc-web-text+json"
    );
    let text = reply.text().await.unwrap();
    // The message frame is encoded on its own (its padding ends it).
    let head = b64.decode(&text[..8]).unwrap();
    let frame_len = 5 + u32::from_be_bytes(head[1..5].try_into().unwrap()) as usize;
    let mut body = Bytes::from(b64.decode(&text[..frame_len.div_ceil(3) * 4]).unwrap());
    assert_eq!(body.get_u8(), 0);
    let len = body.get_u32() as usize;
    let created: Value = serde_json::from_slice(&body[..len]).unwrap();
    assert_eq!(created["theme"], "web-json");
}

#[tokio::test]
async fn connect_unary_in_json_and_protobuf_with_connect_errors() {
    let base = serve().await;
    let http = reqwest::Client::new();
    let url = |method: &str| format!("{base}/library.v1.LibraryService/{method}");
    let reply = http
        .post(url("CreateShelf"))
        .header("content-type", "application/json")
        .header("connect-protocol-version", "1")
        .body(json!({"shelf": {"theme": "connect"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["content-type"], "application/json");
    let created: Value = reply.json().await.unwrap();
    assert_eq!(created["theme"], "connect");

    let reply = http
        .post(url("GetShelf"))
        .header("content-type", "application/proto")
        .body(
            GetShelfRequest {
                name: created["name"].as_str().unwrap().into(),
            }
            .encode_to_vec(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(reply.headers()["content-type"], "application/proto");
    let got = Shelf::decode(reply.bytes().await.unwrap()).unwrap();
    assert_eq!(got.theme, "connect");

    let reply = http
        .post(url("GetShelf"))
        .header("content-type", "application/json")
        .header("connect-protocol-version", "1")
        .body(r#"{"name": "shelves/31337"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 404);
    let error: Value = reply.json().await.unwrap();
    assert_eq!(error["code"], "not_found");
    assert_eq!(error["details"][0]["type"], "google.rpc.ErrorInfo");

    // Invalid JSON is Connect's invalid_argument, not a panic.
    let reply = http
        .post(url("GetShelf"))
        .header("content-type", "application/json")
        .header("connect-protocol-version", "1")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 400);
    let error: Value = reply.json().await.unwrap();
    assert_eq!(error["code"], "invalid_argument");
}

/// A GetShelf that answers after `delay`, behind a layer that records the
/// operation of every request it sees.
async fn slow_server(
    delay: std::time::Duration,
    seen: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
) -> String {
    use library::pb::library::v1 as pb;
    use protoway::server::{Operation, Request, Response, Routes};
    let routes = Routes::new()
        .add(
            &pb::library_service_http::ROUTE_GET_SHELF_0,
            move |request: Request<pb::GetShelfRequest>| async move {
                tokio::time::sleep(delay).await;
                Ok(Response::new(pb::Shelf {
                    name: request.into_inner().name,
                    theme: "slow".into(),
                }))
            },
        )
        .route_layer(tower::util::MapRequestLayer::new(
            move |req: http::Request<axum::body::Body>| {
                let operation = req.extensions().get::<Operation>().map(|o| o.0);
                let content_type = req
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                seen.lock()
                    .unwrap()
                    .push((operation.unwrap_or("").to_owned(), content_type));
                req
            },
        ));
    serve_service(routes.into_service()).await
}

#[tokio::test]
async fn deadlines_drop_the_handler_on_grpc_and_connect() {
    let seen = Default::default();
    let base = slow_server(std::time::Duration::from_secs(30), seen).await;
    let mut client = LibraryServiceClient::connect(base.clone()).await.unwrap();
    let mut request = tonic::Request::new(GetShelfRequest {
        name: "shelves/1".into(),
    });
    request.set_timeout(std::time::Duration::from_millis(100));
    let started = std::time::Instant::now();
    let status = client.get_shelf(request).await.unwrap_err();
    // tonic's channel enforces the same deadline on its side and may give
    // up first (CANCELLED); the server's own answer is checked below.
    assert!(
        matches!(
            status.code(),
            tonic::Code::DeadlineExceeded | tonic::Code::Cancelled
        ),
        "{status:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    // The server's answer, over gRPC-Web (a client that does not time out).
    let reply = reqwest::Client::new()
        .post(format!("{base}/library.v1.LibraryService/GetShelf"))
        .header("content-type", "application/grpc-web+proto")
        .header("grpc-timeout", "100m")
        .body(frame(0, &GetShelfRequest::default().encode_to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.headers()["grpc-status"], "4", "DEADLINE_EXCEEDED");

    let reply = reqwest::Client::new()
        .post(format!("{base}/library.v1.LibraryService/GetShelf"))
        .header("content-type", "application/json")
        .header("connect-protocol-version", "1")
        .header("connect-timeout-ms", "100")
        .body(r#"{"name": "shelves/1"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 504);
    let error: Value = reply.json().await.unwrap();
    assert_eq!(error["code"], "deadline_exceeded");
}

#[tokio::test]
async fn one_layer_sees_every_transport_with_the_operation() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let base = slow_server(std::time::Duration::ZERO, seen.clone()).await;
    let mut client = LibraryServiceClient::connect(base.clone()).await.unwrap();
    let name = GetShelfRequest {
        name: "shelves/7".into(),
    };
    let shelf = client.get_shelf(name.clone()).await.unwrap().into_inner();
    assert_eq!(shelf.theme, "slow");
    let http = reqwest::Client::new();
    let connect = http
        .post(format!("{base}/library.v1.LibraryService/GetShelf"))
        .header("content-type", "application/proto")
        .body(name.encode_to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(connect.status(), 200);
    let web = http
        .post(format!("{base}/library.v1.LibraryService/GetShelf"))
        .header("content-type", "application/grpc-web+proto")
        .body(frame(0, &name.encode_to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(web.status(), 200);
    let json = http
        .get(format!("{base}/v1/shelves/7"))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 200);
    let seen = seen.lock().unwrap().clone();
    let operation = "/library.v1.LibraryService/GetShelf";
    let kinds: Vec<(&str, &str)> = seen.iter().map(|(o, c)| (o.as_str(), c.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (operation, "application/grpc"),
            (operation, "application/proto"),
            (operation, "application/grpc"),
            (operation, ""),
        ],
        "gRPC, Connect, gRPC-Web (as gRPC, after tonic-web), HTTP/JSON"
    );
}

#[tokio::test]
async fn hostile_frames_get_a_grpc_status_never_a_hang() {
    let base = serve().await;
    let http = reqwest::Client::new();
    let message = shelf("x").encode_to_vec();
    let whole = frame(0, &message);
    let mut longer = BytesMut::new();
    longer.put_u8(0);
    longer.put_u32(1000);
    longer.put_slice(&message);
    let mut huge = BytesMut::new();
    huge.put_u8(0);
    huge.put_u32(u32::MAX);
    huge.put_slice(&message);
    let cases: [(&str, Bytes); 5] = [
        ("truncated frame", whole.slice(..whole.len() - 2)),
        ("length beyond the body", longer.freeze()),
        ("oversize length", huge.freeze()),
        ("compressed flag without grpc-encoding", frame(1, &message)),
        ("not protobuf", frame(0, b"\xff\xff\xff\xff")),
    ];
    for (what, body) in cases {
        let send = http
            .post(format!("{base}/library.v1.LibraryService/CreateShelf"))
            .header("content-type", "application/grpc-web+proto")
            .body(body)
            .send();
        let reply = tokio::time::timeout(std::time::Duration::from_secs(5), send)
            .await
            .unwrap_or_else(|_| panic!("{what}: no answer within 5 s"))
            .unwrap();
        let headers = reply.headers().clone();
        let body = reply.bytes().await.unwrap();
        let status = headers
            .get("grpc-status")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_else(|| {
                let text = String::from_utf8_lossy(&body);
                let at = text.find("grpc-status:").expect(what) + "grpc-status:".len();
                text[at..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect()
            });
        assert_ne!(status, "0", "{what}");
    }

    // An unknown content type on an operation path: 415, not a gRPC status.
    let reply = http
        .post(format!("{base}/library.v1.LibraryService/CreateShelf"))
        .header("content-type", "application/xml")
        .body("<shelf/>")
        .send()
        .await
        .unwrap();
    assert!(reply.status().is_client_error(), "{}", reply.status());
}

#[tokio::test]
async fn rpc_requests_no_transport_reads_get_405_or_415_as_connect_go_answers() {
    let base = serve().await;
    let http = reqwest::Client::new();
    let path = format!("{base}/library.v1.LibraryService/CreateShelf");
    let body = frame(0, &shelf("x").encode_to_vec());
    // (method, content type, Connect's version header) → status, the header
    // naming what is accepted, and whether a Connect error explains it.
    let cases = [
        ("DELETE", "application/grpc", false, 405, "allow", false),
        (
            "PUT",
            "application/grpc-web+proto",
            false,
            405,
            "allow",
            false,
        ),
        (
            "POST",
            "application/grpc+foo",
            false,
            415,
            "accept-post",
            false,
        ),
        ("POST", "image/jpeg", false, 415, "accept-post", false),
        ("POST", "image/jpeg", true, 415, "accept-post", true),
        ("DELETE", "application/json", true, 405, "allow", true),
    ];
    for (method, content_type, versioned, status, accepted, explained) in cases {
        let mut request = http
            .request(method.parse().unwrap(), &path)
            .header("content-type", content_type)
            .body(body.clone());
        if versioned {
            request = request.header("connect-protocol-version", "1");
        }
        let reply = request.send().await.unwrap();
        let what = format!("{method} {content_type} versioned={versioned}");
        assert_eq!(reply.status(), status, "{what}");
        assert!(reply.headers().contains_key(accepted), "{what}");
        let text = reply.text().await.unwrap();
        if explained {
            let error: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(error["code"], "unknown", "{what}");
        } else {
            // gRPC clients read the status; a JSON body would pass for a
            // Connect error.
            assert_eq!(text, "", "{what}");
        }
    }
}

#[tokio::test]
async fn health_and_reflection_are_served_beside_the_service() {
    let base = serve().await;
    let channel = tonic::transport::Endpoint::from_shared(base)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let status = health
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .unwrap()
        .into_inner()
        .status;
    assert_eq!(
        status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let mut reflection = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut replies = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let reply = replies.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("{reply:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"library.v1.LibraryService".to_owned()),
        "{names:?}"
    );
}

#[tokio::test]
async fn grpc_web_text_is_base64_both_ways() {
    use base64::Engine;
    let base = serve().await;
    let b64 = base64::engine::general_purpose::STANDARD;
    let body = b64.encode(frame(0, &shelf("text").encode_to_vec()));
    let reply = reqwest::Client::new()
        .post(format!("{base}/library.v1.LibraryService/CreateShelf"))
        .header("content-type", "application/grpc-web-text")
        .header("accept", "application/grpc-web-text")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply.headers()["content-type"],
        "application/grpc-web-text+proto"
    );
    let text = reply.text().await.unwrap();
    // Each frame is base64 on its own (padded): the message frame first,
    // its length in the first five bytes.
    let head = b64.decode(&text[..8]).unwrap();
    let frame_len = 5 + u32::from_be_bytes(head[1..5].try_into().unwrap()) as usize;
    let encoded_len = frame_len.div_ceil(3) * 4;
    let mut body = Bytes::from(b64.decode(&text[..encoded_len]).unwrap());
    assert!(text.len() > encoded_len, "a trailers frame follows");
    assert_eq!(body.get_u8(), 0);
    let len = body.get_u32() as usize;
    assert_eq!(Shelf::decode(&body[..len]).unwrap().theme, "text");
}

/// Methods the tests declare by hand: the library's messages, two
/// operations of their own (one marked NO_SIDE_EFFECTS, as generated specs
/// are for `idempotency_level = NO_SIDE_EFFECTS`).
mod probe {
    use library::pb::library::v1 as pb;
    use protoway::route::RouteSpec;

    pub static READ: RouteSpec = RouteSpec::rpc_only(
        "/probe.v1.Probe/Read",
        pb::library_service_http::ROUTE_GET_SHELF_0.request,
        pb::library_service_http::ROUTE_GET_SHELF_0.reply,
    )
    .no_side_effects();
    pub static WRITE: RouteSpec = RouteSpec::rpc_only(
        "/probe.v1.Probe/Write",
        pb::library_service_http::ROUTE_GET_SHELF_0.request,
        pb::library_service_http::ROUTE_GET_SHELF_0.reply,
    );
}

async fn probe_server() -> String {
    use library::pb::library::v1 as pb;
    use protoway::server::{Request, Response, Routes};
    let shelf = |request: Request<pb::GetShelfRequest>| async move {
        let name = request.into_inner().name;
        if name == "shelves/busy" {
            return Err(protoway::Error::new(429, "BUSY", "try later")
                .with_header(
                    http::HeaderName::from_static("retry-after"),
                    http::HeaderValue::from_static("7"),
                )
                .with_trailer(
                    http::HeaderName::from_static("x-checksum"),
                    http::HeaderValue::from_static("def"),
                ));
        }
        let shelf = pb::Shelf {
            name,
            theme: "probe".into(),
        };
        Ok(Response::new(shelf).with_trailer(
            http::HeaderName::from_static("x-checksum"),
            http::HeaderValue::from_static("abc"),
        ))
    };
    let routes = Routes::new()
        .add(&probe::READ, shelf)
        .add(&probe::WRITE, shelf);
    serve_service(routes.into_service()).await
}

#[tokio::test]
async fn connect_get_for_methods_without_side_effects_only() {
    let base = probe_server().await;
    let http = reqwest::Client::new();
    let message = "%7B%22name%22%3A%22shelves%2F9%22%7D"; // {"name":"shelves/9"}
    let read = http
        .get(format!(
            "{base}/probe.v1.Probe/Read?connect=v1&encoding=json&message={message}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.headers()["trailer-x-checksum"], "abc");
    let shelf: Value = read.json().await.unwrap();
    assert_eq!(shelf["name"], "shelves/9");
    // Protobuf, base64url.
    use base64::Engine;
    let proto = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
        GetShelfRequest {
            name: "shelves/10".into(),
        }
        .encode_to_vec(),
    );
    let read = http
        .get(format!(
            "{base}/probe.v1.Probe/Read?connect=v1&encoding=proto&base64=1&message={proto}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(read.headers()["content-type"], "application/proto");
    let shelf = Shelf::decode(read.bytes().await.unwrap()).unwrap();
    assert_eq!(shelf.name, "shelves/10");
    let write = http
        .get(format!(
            "{base}/probe.v1.Probe/Write?connect=v1&encoding=json&message={message}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 405);
}

#[tokio::test]
async fn trailers_reach_grpc_callers() {
    let base = probe_server().await;
    let mut grpc = tonic::client::Grpc::new(
        tonic::transport::Endpoint::from_shared(base)
            .unwrap()
            .connect()
            .await
            .unwrap(),
    );
    grpc.ready().await.unwrap();
    let reply: tonic::Response<Shelf> = grpc
        .unary(
            tonic::Request::new(GetShelfRequest {
                name: "shelves/1".into(),
            }),
            "/probe.v1.Probe/Write".parse().unwrap(),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap();
    // tonic merges a unary call's trailers into its metadata.
    assert_eq!(reply.metadata().get("x-checksum").unwrap(), "abc");
    assert_eq!(reply.into_inner().theme, "probe");
}

#[tokio::test]
async fn an_error_carries_its_headers_and_trailers_on_every_transport() {
    let base = probe_server().await;
    let busy = GetShelfRequest {
        name: "shelves/busy".into(),
    };
    // Connect: headers as headers, trailers as `trailer-` headers.
    let reply = reqwest::Client::new()
        .post(format!("{base}/probe.v1.Probe/Write"))
        .header("content-type", "application/json")
        .body(r#"{"name":"shelves/busy"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 429);
    assert_eq!(reply.headers()["retry-after"], "7");
    assert_eq!(reply.headers()["trailer-x-checksum"], "def");
    let error: Value = reply.json().await.unwrap();
    assert_eq!(error["code"], "resource_exhausted");

    // gRPC: both in the status's metadata, the reason in its ErrorInfo.
    let channel = tonic::transport::Endpoint::from_shared(base)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let status = grpc
        .unary::<_, Shelf, _>(
            tonic::Request::new(busy),
            http::uri::PathAndQuery::from_static("/probe.v1.Probe/Write"),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    assert_eq!(status.metadata().get("retry-after").unwrap(), "7");
    assert_eq!(status.metadata().get("x-checksum").unwrap(), "def");
    assert_eq!(protoway::Error::from_status(&status).reason(), "BUSY");
}

#[tokio::test]
async fn operation_in_responses_for_layers_around_the_service_when_asked() {
    use protoway::server::Operation;
    for on in [false, true] {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = seen.clone();
        let service =
            library::pb::library::v1::library_service_http::routes(library::Library::default())
                .operation_in_responses(on)
                .into_service();
        // A layer around the whole service: it sees the request before any
        // route is chosen, so only the response can name the operation.
        let outer = tower::ServiceExt::<axum::extract::Request>::map_response(
            service,
            move |response: axum::response::Response| {
                let operation = response.extensions().get::<Operation>().map(|o| o.0);
                record.lock().unwrap().push(operation);
                response
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, tower::make::Shared::new(outer))
                .await
                .unwrap()
        });
        let mut client = LibraryServiceClient::connect(base.clone()).await.unwrap();
        let request = GetShelfRequest {
            name: "shelves/1".into(),
        };
        client.get_shelf(request).await.unwrap();
        let json = reqwest::get(format!("{base}/v1/shelves/1")).await.unwrap();
        assert_eq!(json.status(), 200);
        let operation = "/library.v1.LibraryService/GetShelf";
        let expected = if on { Some(operation) } else { None };
        assert_eq!(
            *seen.lock().unwrap(),
            [expected, expected],
            "gRPC, then HTTP/JSON, operation_in_responses({on})"
        );
    }
}
