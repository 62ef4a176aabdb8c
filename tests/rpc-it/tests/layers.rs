//! The two layer levels on the library example, over every transport:
//! `Routes::layer` (the whole service, before matching: CORS preflights,
//! mounted gRPC services, the fallback) and `Routes::route_layer` (matched
//! calls, with the `Operation`). A layer's own answer reaches each caller
//! in its protocol: HTTP kratos JSON, a gRPC status with message and
//! ErrorInfo, a Connect error.

use bytes::{BufMut, Bytes, BytesMut};
use prost::Message;
use protoway::Error;
use protoway::server::Routes;
use rpc_it::library::v1::GetShelfRequest;
use rpc_it::library::v1::library_service_client::LibraryServiceClient;
use serde_json::Value;

mod common;
use common::serve;

fn routes() -> Routes {
    library::routes_with(library::Library::default())
}

fn frame(message: &[u8]) -> Bytes {
    let mut out = BytesMut::new();
    out.put_u8(0);
    out.put_u32(message.len() as u32);
    out.put_slice(message);
    out.freeze()
}

/// An auth layer as a user writes it: `authorization: Bearer good`, or
/// protoway's Error as the response.
async fn auth(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match req.headers().get("authorization") {
        Some(v) if v == "Bearer good" => next.run(req).await,
        _ => Error::unauthorized("NO_TOKEN", "sign in first").into_response(),
    }
}

/// What each transport's caller got back from a server that refuses it:
/// (transport, the Error it read).
async fn refused_everywhere(
    base: &str,
    token: Option<&str>,
) -> Vec<(&'static str, Result<(), Error>)> {
    let http = reqwest::Client::new();
    let with_token = |r: reqwest::RequestBuilder| match token {
        Some(t) => r.header("authorization", format!("Bearer {t}")),
        None => r,
    };
    let mut seen = Vec::new();

    // HTTP/JSON: kratos' error JSON.
    let reply = with_token(http.get(format!("{base}/v1/shelves/1")))
        .send()
        .await
        .unwrap();
    seen.push(("http", http_result(reply).await));

    // gRPC: a tonic-prost-build client.
    let channel = tonic::transport::Endpoint::from_shared(base.to_owned())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = LibraryServiceClient::new(channel.clone());
    let mut request = tonic::Request::new(GetShelfRequest {
        name: "shelves/1".into(),
    });
    if let Some(t) = token {
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    let got = client.get_shelf(request).await;
    seen.push(("grpc", grpc_result(got.map(drop))));

    // gRPC-Web: the status in the headers of a trailers-only reply, or the
    // trailers frame.
    let reply = with_token(http.post(format!("{base}/library.v1.LibraryService/GetShelf")))
        .header("content-type", "application/grpc-web+proto")
        .body(frame(
            &GetShelfRequest {
                name: "shelves/1".into(),
            }
            .encode_to_vec(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200, "gRPC-Web answers 200");
    let status = match tonic::Status::from_header_map(reply.headers()) {
        Some(status) => status,
        None => {
            let body = reply.bytes().await.unwrap();
            let text = String::from_utf8_lossy(&body);
            assert!(text.contains("grpc-status:0"), "{text}");
            tonic::Status::ok("")
        }
    };
    seen.push((
        "grpc-web",
        grpc_result(if status.code() == tonic::Code::Ok {
            Ok(())
        } else {
            Err(status)
        }),
    ));

    // Connect unary: Connect's error JSON.
    let reply = with_token(http.post(format!("{base}/library.v1.LibraryService/GetShelf")))
        .header("content-type", "application/json")
        .header("connect-protocol-version", "1")
        .body(r#"{"name":"shelves/1"}"#)
        .send()
        .await
        .unwrap();
    seen.push(("connect", connect_result(reply).await));

    // A mounted gRPC service: tonic-health's.
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let mut request = tonic::Request::new(tonic_health::pb::HealthCheckRequest {
        service: String::new(),
    });
    if let Some(t) = token {
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    seen.push(("health", grpc_result(health.check(request).await.map(drop))));

    // The fallback router.
    let reply = with_token(http.get(format!("{base}/openapi.yaml")))
        .send()
        .await
        .unwrap();
    seen.push(("fallback", http_result(reply).await));
    seen
}

async fn http_result(reply: reqwest::Response) -> Result<(), Error> {
    let status = reply.status().as_u16();
    if status == 200 {
        return Ok(());
    }
    let json: Value = reply.json().await.unwrap();
    Err(Error::new(
        status,
        json["reason"].as_str().unwrap().to_owned(),
        json["message"].as_str().unwrap().to_owned(),
    ))
}

fn grpc_result(got: Result<(), tonic::Status>) -> Result<(), Error> {
    got.map_err(|status| Error::from_status(&status))
}

async fn connect_result(reply: reqwest::Response) -> Result<(), Error> {
    let status = reply.status().as_u16();
    let json: Value = reply.json().await.unwrap();
    if status == 200 {
        return Ok(());
    }
    // The reason travels as an ErrorInfo detail; its type is named.
    let details = json["details"].as_array().cloned().unwrap_or_default();
    let info = details
        .iter()
        .find(|d| d["type"] == "google.rpc.ErrorInfo")
        .map(|d| {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(d["value"].as_str().unwrap().trim_end_matches('='))
                .unwrap();
            // ErrorInfo's field 1 is the reason.
            #[derive(prost::Message)]
            struct ErrorInfo {
                #[prost(string, tag = "1")]
                reason: String,
            }
            ErrorInfo::decode(bytes.as_slice()).unwrap().reason
        })
        .unwrap_or_default();
    let code = protoway::status::GrpcCode::from_connect_name(json["code"].as_str().unwrap())
        .expect("a Connect code");
    Err(Error::from_grpc(
        code,
        info,
        json["message"].as_str().unwrap().to_owned(),
    ))
}

#[tokio::test]
async fn an_auth_layer_on_the_service_answers_every_transport_in_its_protocol() {
    let base = serve(
        routes()
            .layer(axum::middleware::from_fn(auth))
            .into_service(),
    )
    .await;
    let refused = refused_everywhere(&base, None).await;
    assert_eq!(refused.len(), 6);
    for (transport, got) in refused {
        let error = got.expect_err(transport);
        assert_eq!(
            (error.code(), error.reason(), error.message()),
            (401, "NO_TOKEN", "sign in first"),
            "{transport}"
        );
    }
    for (transport, got) in refused_everywhere(&base, Some("good")).await {
        assert!(got.is_ok(), "{transport}: {got:?}");
    }
    // Connect's streaming protocol: 200 and an end-of-stream message.
    let reply = reqwest::Client::new()
        .post(format!("{base}/library.v1.LibraryService/GetShelf"))
        .header("content-type", "application/connect+json")
        .body(frame(br#"{"name":"shelves/1"}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["content-type"], "application/connect+json");
    let body = reply.bytes().await.unwrap();
    assert_eq!(body[0], 0x02, "an end-of-stream envelope");
    let end: Value = serde_json::from_slice(&body[5..]).unwrap();
    assert_eq!(end["error"]["code"], "unauthenticated");
    assert_eq!(end["error"]["message"], "sign in first");
}

#[tokio::test]
async fn an_auth_layer_on_the_routes_answers_matched_calls_in_their_protocol() {
    let base = serve(
        routes()
            .route_layer(axum::middleware::from_fn(auth))
            .into_service(),
    )
    .await;
    for (transport, got) in refused_everywhere(&base, None).await {
        match transport {
            // Not routes: the route layer does not see them.
            "health" | "fallback" => assert!(got.is_ok(), "{transport}: {got:?}"),
            _ => {
                let error = got.expect_err(transport);
                assert_eq!(
                    (error.code(), error.reason(), error.message()),
                    (401, "NO_TOKEN", "sign in first"),
                    "{transport}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_layer_answering_without_an_error_gets_the_code_of_its_status() {
    // tower-http's bearer check answers a bare 401.
    #[allow(deprecated)]
    let layer = tower_http::validate_request::ValidateRequestHeaderLayer::bearer("good");
    let base = serve(routes().layer(layer).into_service()).await;
    for (transport, got) in refused_everywhere(&base, None).await {
        let error = got.expect_err(transport);
        assert_eq!(
            (error.code(), error.message()),
            (401, "Unauthorized"),
            "{transport}"
        );
    }
    for (transport, got) in refused_everywhere(&base, Some("good")).await {
        assert!(got.is_ok(), "{transport}: {got:?}");
    }
}

#[tokio::test]
async fn a_cors_preflight_is_answered_for_routes_rpcs_and_the_fallback() {
    let base = serve(
        routes()
            .layer(tower_http::cors::CorsLayer::permissive())
            .into_service(),
    )
    .await;
    let http = reqwest::Client::new();
    for path in [
        "/v1/shelves",
        "/library.v1.LibraryService/GetShelf",
        "/grpc.health.v1.Health/Check",
        "/openapi.yaml",
    ] {
        let reply = http
            .request(reqwest::Method::OPTIONS, format!("{base}{path}"))
            .header("origin", "https://app.example")
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,connect-protocol-version,x-grpc-web",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "{path}");
        assert_eq!(
            reply.headers()["access-control-allow-origin"],
            "*",
            "{path}"
        );
    }
    // The call itself carries the header too, on every transport.
    let reply = http
        .post(format!("{base}/library.v1.LibraryService/GetShelf"))
        .header("origin", "https://app.example")
        .header("content-type", "application/json")
        .header("connect-protocol-version", "1")
        .body(r#"{"name":"shelves/1"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["access-control-allow-origin"], "*");
    // An error from inside keeps the layer's headers.
    let reply = http
        .post(format!("{base}/library.v1.LibraryService/GetShelf"))
        .header("origin", "https://app.example")
        .header("content-type", "application/grpc-web+proto")
        .body(frame(
            &GetShelfRequest {
                name: "shelves/404".into(),
            }
            .encode_to_vec(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.headers()["access-control-allow-origin"], "*");
    assert_eq!(reply.headers()["grpc-status"], "5");
}

#[tokio::test]
async fn a_layers_error_reaches_every_caller_and_keeps_the_cors_headers() {
    // Inside CORS, so the refusal still carries CORS' headers.
    let base = serve(
        routes()
            .layer(axum::middleware::from_fn(auth))
            .layer(tower_http::cors::CorsLayer::permissive())
            .into_service(),
    )
    .await;
    let reply = reqwest::Client::new()
        .post(format!("{base}/library.v1.LibraryService/GetShelf"))
        .header("origin", "https://app.example")
        .header("content-type", "application/grpc-web+proto")
        .body(frame(&[]))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        reply.headers()["content-type"],
        "application/grpc-web+proto"
    );
    assert_eq!(reply.headers()["grpc-status"], "16");
    assert_eq!(reply.headers()["grpc-message"], "sign%20in%20first");
}

#[tokio::test]
async fn a_timeout_layer_ends_slow_calls_on_every_transport() {
    // tower's TimeoutLayer fails its service (Elapsed): 504 TIMEOUT, as a
    // gRPC DEADLINE_EXCEEDED.
    let routes = Routes::new().add(
        &library::pb::library::v1::library_service_http::ROUTE_GET_SHELF_0,
        |_: protoway::server::Request<library::pb::library::v1::GetShelfRequest>| async {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            Ok(protoway::server::Response::new(
                library::pb::library::v1::Shelf::default(),
            ))
        },
    );
    let base = serve(
        routes
            .layer(tower::timeout::TimeoutLayer::new(
                std::time::Duration::from_millis(100),
            ))
            .into_service(),
    )
    .await;
    let reply = reqwest::get(format!("{base}/v1/shelves/1")).await.unwrap();
    let error = http_result(reply).await.unwrap_err();
    assert_eq!((error.code(), error.reason()), (504, "TIMEOUT"));
    let mut client = LibraryServiceClient::connect(base).await.unwrap();
    let status = client
        .get_shelf(GetShelfRequest {
            name: "shelves/1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::DeadlineExceeded);
    assert_eq!(Error::from_status(&status).reason(), "TIMEOUT");
}

/// Every layer the README names compiles on both levels, as it is, and
/// the service still answers each transport through them.
#[tokio::test]
async fn tower_http_layers_compile_on_both_levels_as_they_are() {
    use std::time::Duration;
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    #[allow(deprecated)]
    let timeout = || tower_http::timeout::TimeoutLayer::new(Duration::from_secs(10));
    let sensitive = || {
        tower_http::sensitive_headers::SetSensitiveHeadersLayer::new([http::header::AUTHORIZATION])
    };
    let routes = routes()
        .route_layer(tower_http::trace::TraceLayer::new_for_http())
        .route_layer(tower_http::compression::CompressionLayer::new())
        .route_layer(timeout())
        .route_layer(sensitive())
        .route_layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .route_layer(tower::limit::ConcurrencyLimitLayer::new(64))
        .layer(tower_http::trace::TraceLayer::new_for_grpc())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(timeout())
        .layer(sensitive())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(tower::limit::ConcurrencyLimitLayer::new(64))
        .layer(tower_http::cors::CorsLayer::permissive());
    let base = serve(routes.into_service()).await;
    let reply = reqwest::get(format!("{base}/v1/shelves/1")).await.unwrap();
    assert_eq!(reply.status(), 200);
    assert!(reply.headers().contains_key("x-request-id"));
    for (transport, got) in refused_everywhere(&base, None).await {
        assert!(got.is_ok(), "{transport}: {got:?}");
    }
}
