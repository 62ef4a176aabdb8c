//! The library over real HTTP on loopback: the flows the README's curl
//! lines show, and its errors.

use serde_json::{Value, json};

mod common;

async fn serve() -> String {
    format!("http://{}", common::serve(library::app()).await)
}

async fn call(method: &str, url: String, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut req = client.request(method.parse().unwrap(), url);
    if let Some(body) = body {
        req = req.body(body.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn shelves_and_books_round_trip() {
    let base = serve().await;
    let (status, shelf) = call(
        "POST",
        format!("{base}/v1/shelves"),
        Some(json!({"theme": "Plays"})),
    )
    .await;
    assert_eq!(
        (status, &shelf),
        (200, &json!({"name": "shelves/3", "theme": "Plays"}))
    );
    let (status, book) = call(
        "POST",
        format!("{base}/v1/shelves/3/books"),
        Some(json!({"title": "Hamlet", "author": "Shakespeare"})),
    )
    .await;
    assert_eq!(status, 200);
    let name = book["name"].as_str().unwrap().to_string();
    let (_, book) = call(
        "PATCH",
        format!("{base}/v1/{name}?updateMask=read"),
        Some(json!({"read": true, "title": "x"})),
    )
    .await;
    assert_eq!(
        (book["read"].as_bool(), book["title"].as_str()),
        (Some(true), Some("Hamlet"))
    );
    let (_, book) = call(
        "PUT",
        format!("{base}/v1/{name}"),
        Some(json!({"title": "Macbeth", "author": "S"})),
    )
    .await;
    assert_eq!(book["title"], "Macbeth");
    let (_, moved) = call(
        "POST",
        format!("{base}/v1/{name}:move"),
        Some(json!({"otherShelfName": "shelves/1"})),
    )
    .await;
    assert!(
        moved["name"]
            .as_str()
            .unwrap()
            .starts_with("shelves/1/books/")
    );
    let (status, _) = call("GET", format!("{base}/v1/{name}"), None).await;
    assert_eq!(status, 404);
    let (status, _) = call("DELETE", format!("{base}/v1/shelves/3"), None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn pagination_filter_and_errors() {
    let base = serve().await;
    let (_, page1) = call("GET", format!("{base}/v1/shelves/1/books?pageSize=1"), None).await;
    assert_eq!(page1["books"].as_array().unwrap().len(), 1);
    let token = page1["nextPageToken"].as_str().unwrap();
    let (_, page2) = call(
        "GET",
        format!("{base}/v1/shelves/1/books?pageSize=1&pageToken={token}"),
        None,
    )
    .await;
    assert_eq!(page2["books"][0]["author"], "Whitman");
    assert!(page2.get("nextPageToken").is_none());
    let (_, filtered) = call(
        "GET",
        format!("{base}/v1/shelves/1/books?filter=Keats"),
        None,
    )
    .await;
    assert_eq!(filtered["books"].as_array().unwrap().len(), 1);
    let (status, err) = call(
        "GET",
        format!("{base}/v1/shelves/1/books?pageToken=zz"),
        None,
    )
    .await;
    assert_eq!(
        (status, err["reason"].as_str()),
        (400, Some("INVALID_PAGE_TOKEN"))
    );
    // Every token the document's pattern (`^[0-9]{0,9}$`) allows is
    // accepted: past the end is an empty page. Ten digits are not allowed.
    for token in ["999999999", "0", ""] {
        let (status, page) = call(
            "GET",
            format!("{base}/v1/shelves/1/books?pageToken={token}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{token}: {page}");
    }
    let (_, past_end) = call(
        "GET",
        format!("{base}/v1/shelves?pageToken=999999999"),
        None,
    )
    .await;
    assert_eq!(past_end, json!({}));
    let (status, _) = call(
        "GET",
        format!("{base}/v1/shelves?pageToken=1234567890"),
        None,
    )
    .await;
    assert_eq!(status, 400);
    let (status, err) = call("GET", format!("{base}/v1/shelves/404"), None).await;
    assert_eq!(
        (status, err["reason"].as_str()),
        (404, Some("SHELF_NOT_FOUND"))
    );
    let (status, err) = call("GET", format!("{base}/v1/shelves?pageSize=abc"), None).await;
    assert_eq!((status, err["code"].as_u64()), (400, Some(400)));
}

/// The document protoway-build generated is served next to the API.
#[tokio::test]
async fn serves_its_openapi_document() {
    let base = serve().await;
    let resp = reqwest::get(format!("{base}/openapi.yaml")).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/yaml");
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("openapi: \"3.0.3\"")
            && text.contains("/v1/shelves/{shelf}/books/{book}:move:"),
        "{text}"
    );
}

/// Every curl line `cargo run -p library` prints, sent as curl sends it
/// (`Accept: */*`; a body only with `Content-Type: application/json`), in
/// order on a fresh server: each gets the status it promises.
#[tokio::test]
async fn printed_curl_lines_work_as_printed() {
    let base = serve().await;
    let client = reqwest::Client::new();
    for request in library::TRY_IT {
        let mut send = client
            .request(
                request.method.parse().unwrap(),
                format!("{base}{}", request.target),
            )
            .header("accept", "*/*");
        if let Some(json) = request.json {
            let content_type = match request.stream {
                true => "application/x-ndjson",
                false => "application/json",
            };
            send = send.header("content-type", content_type).body(json);
        }
        if request.connect {
            send = send.header("connect-protocol-version", "1");
        }
        let reply = send.send().await.unwrap();
        let status = reply.status().as_u16();
        let text = reply.text().await.unwrap();
        assert_eq!(status, request.status, "{}: {text}", request.curl("host"));
    }
    // `curl -d 'theme=poetry'` alone sends a form body: bound like query
    // parameters (kratos' form codec).
    let form = client
        .post(format!("{base}/v1/shelves"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("theme=Plays+and+poems")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 200);
    let shelf: serde_json::Value = serde_json::from_slice(&form.bytes().await.unwrap()).unwrap();
    assert_eq!(shelf["theme"], "Plays and poems");
}
