//! The three servers the HTTP benchmark compares, with the same behaviour:
//! the generated protoway server, the same service hand-written with axum +
//! serde (Path/Query extractors, the same prost/pbjson types so the JSON bytes
//! are identical), and bare hyper answering fixed bytes (the floor).

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use bytes::Bytes;
use prost::Message;
use protoway::server::{Request, Response};

use crate::pb::bench::v1::catalog_http::{self, Catalog};
use crate::pb::bench::v1::*;

/// The business logic both real servers run.
pub fn list_items(
    shelf: &str,
    page_size: i32,
    page_token: &str,
    filter: &str,
) -> ListItemsResponse {
    let items = (1..=3)
        .map(|i| Item {
            name: format!("shelves/{shelf}/items/{i}"),
            title: format!("{filter} {i}"),
            tags: vec!["a".into(), "b".into()],
            size: i64::from(page_size) * i,
            description: String::new(),
        })
        .collect();
    ListItemsResponse {
        items,
        next_page_token: format!("{page_token}+{page_size}"),
    }
}

/// `count` small items, made as they are taken: every server of the stream
/// benchmark sends this stream.
pub struct ItemStream<E> {
    shelf: String,
    next: i64,
    count: i64,
    _error: std::marker::PhantomData<fn() -> E>,
}

impl<E> ItemStream<E> {
    pub fn new(shelf: &str, count: i32) -> Self {
        ItemStream {
            shelf: shelf.to_owned(),
            next: 0,
            count: i64::from(count),
            _error: std::marker::PhantomData,
        }
    }
}

impl<E> Unpin for ItemStream<E> {}

impl<E> tokio_stream::Stream for ItemStream<E> {
    type Item = Result<Item, E>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if self.next >= self.count {
            return std::task::Poll::Ready(None);
        }
        self.next += 1;
        let i = self.next;
        std::task::Poll::Ready(Some(Ok(Item {
            name: format!("shelves/{}/items/{i}", self.shelf),
            title: "streamed".into(),
            tags: vec!["a".into(), "b".into()],
            size: i,
            description: String::new(),
        })))
    }
}

pub fn create_item(shelf: &str, item: Item) -> Item {
    Item {
        name: format!("shelves/{shelf}/items/1"),
        size: item.description.len() as i64,
        description: String::new(),
        ..item
    }
}

#[derive(Clone)]
struct Generated;

impl Catalog for Generated {
    async fn list_items(
        &self,
        request: Request<ListItemsRequest>,
    ) -> Result<Response<ListItemsResponse>, protoway::Error> {
        let r = request.get_ref();
        Ok(list_items(&r.shelf, r.page_size, &r.page_token, &r.filter).into())
    }

    async fn create_item(
        &self,
        request: Request<CreateItemRequest>,
    ) -> Result<Response<Item>, protoway::Error> {
        let r = request.into_inner();
        Ok(create_item(&r.shelf, r.item.unwrap_or_default()).into())
    }

    async fn stream_items(
        &self,
        request: Request<StreamItemsRequest>,
    ) -> Result<Response<protoway::Streaming<Item>>, protoway::Error> {
        let r = request.get_ref();
        Ok(Response::new(protoway::Streaming::new(ItemStream::new(
            &r.shelf, r.count,
        ))))
    }
}

/// The generated server as the library example serves it: protoway's
/// matcher first, an application's own axum routes as its fallback.
pub fn generated() -> protoway::server::RoutesService {
    let own = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok" }));
    catalog_http::routes(Generated).into_service().fallback(own)
}

/// The generated `router()`: an axum `Router` whose fallback is the
/// generated routes (two routing steps per request; informative).
pub fn generated_router() -> axum::Router {
    catalog_http::router(Generated)
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    #[serde(default)]
    page_size: i32,
    #[serde(default)]
    page_token: String,
    #[serde(default)]
    filter: String,
}

const PROTOBUF: &str = "application/x-protobuf";

fn is_protobuf(headers: &HeaderMap, name: header::HeaderName) -> bool {
    headers
        .get(name)
        .is_some_and(|v| v.as_bytes().starts_with(PROTOBUF.as_bytes()))
}

fn json_reply<T: serde::Serialize>(message: &T) -> axum::response::Response {
    let body = serde_json::to_vec(message).expect("serializable");
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The same routes written by hand: axum extractors, serde, prost.
pub fn handwritten() -> axum::Router {
    async fn list(
        Path(shelf): Path<String>,
        Query(q): Query<ListQuery>,
    ) -> axum::response::Response {
        json_reply(&list_items(&shelf, q.page_size, &q.page_token, &q.filter))
    }
    async fn create(
        Path(shelf): Path<String>,
        headers: HeaderMap,
        body: Bytes,
    ) -> axum::response::Response {
        // Protobuf in, protobuf out when asked for (the clients send both headers).
        if is_protobuf(&headers, header::CONTENT_TYPE) && is_protobuf(&headers, header::ACCEPT) {
            match Item::decode(body) {
                Ok(item) => (
                    [(header::CONTENT_TYPE, PROTOBUF)],
                    create_item(&shelf, item).encode_to_vec(),
                )
                    .into_response(),
                Err(_) => StatusCode::BAD_REQUEST.into_response(),
            }
        } else {
            match serde_json::from_slice::<Item>(&body) {
                Ok(item) => json_reply(&create_item(&shelf, item)),
                Err(_) => StatusCode::BAD_REQUEST.into_response(),
            }
        }
    }
    axum::Router::new()
        .route(
            "/v1/shelves/{shelf}/items",
            axum::routing::get(list).post(create),
        )
        .route(
            "/v1/shelves/{shelf}/items:stream",
            axum::routing::get(stream),
        )
}

#[derive(serde::Deserialize)]
struct StreamQuery {
    #[serde(default)]
    count: i32,
}

/// The server stream by hand: axum's `Sse` when asked for, else
/// newline-delimited JSON lines through `Body::from_stream`.
async fn stream(
    Path(shelf): Path<String>,
    Query(q): Query<StreamQuery>,
    headers: HeaderMap,
) -> axum::response::Response {
    use tokio_stream::StreamExt;
    let items = ItemStream::<std::convert::Infallible>::new(&shelf, q.count);
    let sse = headers
        .get(header::ACCEPT)
        .is_some_and(|a| a.as_bytes().starts_with(b"text/event-stream"));
    if sse {
        let events = items.map(|item| {
            let json = serde_json::to_string(&item.expect("infallible")).expect("serializable");
            Ok::<_, std::convert::Infallible>(axum::response::sse::Event::default().data(json))
        });
        return axum::response::sse::Sse::new(events).into_response();
    }
    let lines = items.map(|item| {
        let mut line = br#"{"result":"#.to_vec();
        serde_json::to_writer(&mut line, &item.expect("infallible")).expect("serializable");
        line.extend_from_slice(b"}\n");
        Ok::<_, std::convert::Infallible>(Bytes::from(line))
    });
    (
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        axum::body::Body::from_stream(lines),
    )
        .into_response()
}

/// Starts `router` on a loopback port.
pub async fn serve_axum(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    addr
}

/// Starts a protoway `RoutesService` on a loopback port, as its own server.
pub async fn serve_service(service: protoway::server::RoutesService) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let make = axum::ServiceExt::<axum::extract::Request>::into_make_service(service);
    tokio::spawn(async move { axum::serve(listener, make).await.expect("serve") });
    addr
}

/// Bare hyper: every request answered with `body` (the floor).
pub async fn serve_bare(body: Bytes, content_type: &'static str) -> SocketAddr {
    use hyper::server::conn::http1;
    use hyper_util::rt::TokioIo;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let body = body.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: hyper::Request<hyper::body::Incoming>| {
                        let body = body.clone();
                        async move {
                            // Read the request body, as the real servers must.
                            let _ = http_body_util::BodyExt::collect(request.into_body()).await;
                            let response = hyper::Response::builder()
                                .header(header::CONTENT_TYPE, content_type)
                                .body(http_body_util::Full::new(body))
                                .expect("response");
                            Ok::<_, Infallible>(response)
                        }
                    },
                );
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}
