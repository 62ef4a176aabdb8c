//! A handler that forwards its incoming `Request` through the generated
//! client, over loopback, as users write service-to-service calls: only
//! kratos' global metadata crosses, and the downstream's reply is encoded
//! again cleanly for the caller.

use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use http_it::bookstore::v1::bookstore_http::{self, Bookstore, BookstoreClient};
use http_it::bookstore::v1::*;
use prost::Message;
use protoway::client::Client;
use protoway::server::{Request, Response, Routes};

/// The downstream: a hand-written axum route for `GET /v1/shelves/{shelf}`
/// that answers pretty-printed JSON (a Content-Length the upstream's own
/// encoding will not match) and records the headers it was sent.
async fn downstream(seen: Arc<Mutex<Vec<HeaderMap>>>) -> String {
    let app = axum::Router::new().route(
        "/v1/shelves/{shelf}",
        axum::routing::get(
            move |axum::extract::Path(shelf): axum::extract::Path<String>, headers: HeaderMap| {
                seen.lock().unwrap().push(headers);
                async move {
                    let body = format!(
                        "{{\n    \"name\": \"shelves/{shelf}\",\n    \"theme\": \"poetry\"\n}}\n"
                    );
                    (
                        [
                            ("content-type", "application/json"),
                            ("x-downstream", "yes"),
                        ],
                        body,
                    )
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// The upstream: a generated binding whose handler forwards its `Request`,
/// through the client's inherent method (which takes a message or a
/// `Request`) or through the service trait the client implements.
async fn upstream(downstream: BookstoreClient, through_trait: bool) -> String {
    let downstream = Arc::new(downstream);
    let routes = Routes::new().add(
        &bookstore_http::ROUTE_GET_SHELF_0,
        move |request: Request<GetShelfRequest>| {
            let downstream = downstream.clone();
            async move {
                if through_trait {
                    Bookstore::get_shelf(&*downstream, request).await
                } else {
                    downstream.get_shelf(request).await.map(Response::from)
                }
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, routes.into_service().into_make_service())
            .await
            .unwrap()
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn forwarded_calls_send_only_global_metadata_and_reencode_cleanly() {
    for through_trait in [false, true] {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let down = downstream(seen.clone()).await;
        let up = upstream(BookstoreClient::connect(down), through_trait).await;

        let caller = reqwest::Client::new();
        let reply = caller
            .get(format!("{up}/v1/shelves/7"))
            .header("accept", "application/x-protobuf")
            .header("authorization", "Bearer secret")
            .header("cookie", "session=1")
            .header("x-forwarded-for", "10.0.0.1")
            .header("x-md-local-tenant", "a")
            .header("x-md-global-trace", "t1")
            .send()
            .await
            .unwrap();
        // The reply completes, well-formed, in the codec the caller asked for.
        assert_eq!(reply.status(), 200);
        assert_eq!(
            reply.headers()["content-type"],
            "application/x-protobuf",
            "{:?}",
            reply.headers()
        );
        // The trait method returns the downstream's Response, headers and
        // all; the inherent one its message.
        assert_eq!(reply.headers().get("x-downstream").is_some(), through_trait);
        let bytes = reply.bytes().await.unwrap();
        let shelf = Shelf::decode(bytes).unwrap();
        assert_eq!(
            shelf,
            Shelf {
                name: "shelves/7".into(),
                theme: "poetry".into()
            }
        );
        // And as JSON, whose length differs from the downstream's spaced text.
        let json = caller
            .get(format!("{up}/v1/shelves/8"))
            .send()
            .await
            .unwrap();
        let length: usize = json.headers()["content-length"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let text = json.text().await.unwrap();
        assert_eq!(text, r#"{"name":"shelves/8","theme":"poetry"}"#);
        assert_eq!(length, text.len());

        // The downstream saw global metadata and what the client itself sets;
        // no credential, cookie, address or local metadata.
        let seen = seen.lock().unwrap();
        let first = &seen[0];
        assert_eq!(first["x-md-global-trace"], "t1");
        for name in [
            "authorization",
            "cookie",
            "x-forwarded-for",
            "x-md-local-tenant",
        ] {
            assert!(first.get(name).is_none(), "{name} crossed: {first:?}");
        }
        let mut names: Vec<&str> = first.keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["accept", "host", "x-md-global-trace"], "{first:?}");
    }
}

/// More prefixes can be allowed, or none at all.
#[tokio::test]
async fn propagated_prefixes_are_configurable() {
    type Configure = fn(Client) -> Client;
    let cases: [(Configure, &[&str]); 2] = [
        (
            |c| c.propagate_prefix("X-Team-"),
            &["accept", "host", "x-md-global-trace", "x-team-flag"],
        ),
        (|c| c.propagate_nothing(), &["accept", "host"]),
    ];
    for (configure, expect) in cases {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let down = downstream(seen.clone()).await;
        let client = configure(Client::new(down));
        let up = upstream(BookstoreClient::with_client(client), true).await;
        reqwest::Client::new()
            .get(format!("{up}/v1/shelves/1"))
            .header("x-md-global-trace", "t1")
            .header("x-team-flag", "on")
            .header("authorization", "Bearer secret")
            .send()
            .await
            .unwrap();
        let seen = seen.lock().unwrap();
        let mut names: Vec<&str> = seen[0].keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, expect);
    }
}
