//! What the http-it test files share: the bookstore served on loopback,
//! and reading its replies.
// Each test file uses its own part of these.
#![allow(dead_code)]

use http_it::bookstore::v1::bookstore_http;
use http_it::store::Store;
use protoway::Error;
use protoway::server::Routes;
use serde_json::Value;

pub async fn serve(routes: Routes) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, routes.into_router::<()>())
            .await
            .unwrap()
    });
    format!("http://{addr}")
}

pub async fn server() -> String {
    serve(bookstore_http::routes(Store)).await
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

pub async fn json_of(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}")),
    )
}

pub async fn get(base: &str, path: &str) -> (u16, Value) {
    json_of(client().get(format!("{base}{path}")).send().await.unwrap()).await
}

/// A GET's status and its Error body.
pub async fn get_error(base: &str, path: &str) -> (u16, Error) {
    error_of(client().get(format!("{base}{path}")).send().await.unwrap()).await
}

pub async fn error_of(resp: reqwest::Response) -> (u16, Error) {
    let status = resp.status().as_u16();
    assert_eq!(resp.headers()["content-type"], "application/json");
    let bytes = resp.bytes().await.unwrap();
    (
        status,
        Error::from_json(&bytes).unwrap_or_else(|e| panic!("{e}: {bytes:?}")),
    )
}

/// An unknown path gets the JSON 404; DELETE on `get_only` (a path bound
/// to GET alone) the JSON 405 with `Allow: GET, HEAD`.
pub async fn unmatched_get_json_404_and_405(base: &str, get_only: &str) {
    let (status, err) = get_error(base, "/nope").await;
    assert_eq!((status, err.reason()), (404, "NOT_FOUND"));
    let resp = client()
        .delete(format!("{base}{get_only}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["allow"], "GET, HEAD");
    assert_eq!(error_of(resp).await.0, 405);
}
