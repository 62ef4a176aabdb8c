//! The call context: a handler's downstream calls through the generated
//! client carry the inbound call's global metadata and remaining deadline,
//! two hops deep, whether the first hop came over HTTP/JSON or gRPC, with
//! no argument passed; credentials never cross; outside a handler nothing
//! is carried; `tokio::spawn` needs the context carried across.

use std::time::Duration;

use library::pb::library::v1::library_service_http::{LibraryServiceClient, ROUTE_GET_SHELF_0};
use library::pb::library::v1::{GetShelfRequest, Shelf};
use protoway::context::CallContext;
use protoway::server::{Request, Response, Routes};

mod common;
use common::serve;

/// The last hop: answers with what reached it, as a shelf: `name` the
/// global metadata and credentials it saw, `theme` its deadline in ms.
async fn last_hop() -> String {
    let routes = Routes::new().add(
        &ROUTE_GET_SHELF_0,
        |req: Request<GetShelfRequest>| async move {
            let headers = req.headers();
            let seen = |name: &str| {
                headers
                    .get_all(name)
                    .iter()
                    .map(|v| v.to_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
                    .join("+")
            };
            // A call with metadata or a deadline runs in its context.
            let context = CallContext::current();
            if let Some(context) = &context {
                assert_eq!(context.operation(), "/library.v1.LibraryService/GetShelf");
            }
            Ok(Response::new(Shelf {
                name: format!(
                    "user={} auth={} local={}",
                    seen("x-md-global-user"),
                    seen("authorization"),
                    seen("x-md-local-tenant")
                ),
                theme: context
                    .and_then(|c| c.remaining())
                    .map(|d| d.as_millis().to_string())
                    .unwrap_or_default(),
            }))
        },
    );
    serve(routes.into_service()).await
}

/// A hop in the middle: calls `next` with a plain message, passing nothing
/// else; `how` says how (directly, from a spawned task, with the context
/// carried into it, with an explicit header).
async fn middle_hop(next: String, how: &'static str) -> String {
    let client = LibraryServiceClient::connect(next);
    let routes = Routes::new().add(&ROUTE_GET_SHELF_0, move |req: Request<GetShelfRequest>| {
        let client = client.clone();
        async move {
            let message = GetShelfRequest {
                name: req.into_inner().name,
            };
            let shelf = match how {
                "spawn" => tokio::spawn(async move { client.get_shelf(message).await })
                    .await
                    .unwrap()?,
                "spawn-carried" => {
                    let context = CallContext::current().unwrap();
                    tokio::spawn(context.scope(async move { client.get_shelf(message).await }))
                        .await
                        .unwrap()?
                }
                "explicit" => {
                    let mut request = Request::new(message);
                    request
                        .headers_mut()
                        .insert("x-md-global-user", "explicit".parse().unwrap());
                    client.get_shelf(request).await?
                }
                _ => client.get_shelf(message).await?,
            };
            Ok(Response::new(shelf))
        }
    });
    serve(routes.into_service()).await
}

/// first → second → last, each a server of its own.
async fn chain(how: &'static str) -> String {
    let last = last_hop().await;
    let second = middle_hop(last, "plain").await;
    middle_hop(second, how).await
}

async fn over_http(first: &str) -> Shelf {
    let reply = reqwest::Client::new()
        .get(format!("{first}/v1/shelves/1"))
        .header("x-md-global-user", "alice")
        .header("x-md-local-tenant", "t1")
        .header("authorization", "Bearer secret")
        .header("grpc-timeout", "5S")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let json: serde_json::Value = reply.json().await.unwrap();
    Shelf {
        name: json["name"].as_str().unwrap().to_owned(),
        theme: json["theme"].as_str().unwrap_or_default().to_owned(),
    }
}

async fn over_grpc(first: &str) -> Shelf {
    let mut client = rpc_it::library::v1::library_service_client::LibraryServiceClient::connect(
        first.to_owned(),
    )
    .await
    .unwrap();
    let mut request = tonic::Request::new(rpc_it::library::v1::GetShelfRequest {
        name: "shelves/1".into(),
    });
    request.set_timeout(Duration::from_secs(5));
    let metadata = request.metadata_mut();
    metadata.insert("x-md-global-user", "alice".parse().unwrap());
    metadata.insert("x-md-local-tenant", "t1".parse().unwrap());
    metadata.insert("authorization", "Bearer secret".parse().unwrap());
    let shelf = client.get_shelf(request).await.unwrap().into_inner();
    Shelf {
        name: shelf.name,
        theme: shelf.theme,
    }
}

/// The deadline the last hop saw: below the first one's 5 s, above 0.
fn assert_deadline_carried(shelf: &Shelf) {
    let ms: u64 = shelf
        .theme
        .parse()
        .unwrap_or_else(|_| panic!("no deadline: {shelf:?}"));
    assert!(ms > 0 && ms < 5_000, "{ms} ms");
}

#[tokio::test]
async fn metadata_and_deadline_cross_two_hops_over_http_and_grpc() {
    let first = chain("plain").await;
    for shelf in [over_http(&first).await, over_grpc(&first).await] {
        assert_eq!(
            shelf.name, "user=alice auth= local=",
            "only global metadata crosses"
        );
        assert_deadline_carried(&shelf);
    }
}

#[tokio::test]
async fn outside_a_handler_nothing_is_carried() {
    let last = last_hop().await;
    let client = LibraryServiceClient::connect(last);
    // The test's own task has no context.
    assert!(CallContext::current().is_none());
    let shelf = client
        .get_shelf(GetShelfRequest {
            name: "shelves/1".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        (shelf.name.as_str(), shelf.theme.as_str()),
        ("user= auth= local=", "")
    );
}

#[tokio::test]
async fn a_spawned_task_carries_the_context_only_when_given_it() {
    let shelf = over_http(&chain("spawn").await).await;
    assert_eq!(
        (shelf.name.as_str(), shelf.theme.as_str()),
        ("user= auth= local=", "")
    );
    let shelf = over_http(&chain("spawn-carried").await).await;
    assert_eq!(shelf.name, "user=alice auth= local=");
    assert_deadline_carried(&shelf);
}

#[tokio::test]
async fn an_explicit_header_wins_over_the_context() {
    let shelf = over_grpc(&chain("explicit").await).await;
    assert_eq!(shelf.name, "user=explicit auth= local=");
    assert_deadline_carried(&shelf);
}

#[tokio::test]
async fn an_http_call_past_its_deadline_is_ended() {
    let slow = Routes::new().add(&ROUTE_GET_SHELF_0, |_: Request<GetShelfRequest>| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok(Response::new(Shelf::default()))
    });
    let base = serve(slow.into_service()).await;
    let started = std::time::Instant::now();
    let reply = reqwest::Client::new()
        .get(format!("{base}/v1/shelves/1"))
        .header("grpc-timeout", "100m")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 504);
    let json: serde_json::Value = reply.json().await.unwrap();
    assert_eq!(json["reason"], "DEADLINE_EXCEEDED");
    assert!(started.elapsed() < Duration::from_secs(5));
}
