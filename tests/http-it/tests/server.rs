//! The generated bookstore server driven with real HTTP over loopback:
//! every rule form, every binding source, negotiation and the error paths.

use http_it::bookstore::v1::bookstore_http::{self};
use http_it::bookstore::v1::*;
use http_it::store::Store;

use prost::Message;
use serde_json::json;

mod common;
use common::{
    client, error_of, get, get_error, json_of, serve, server, unmatched_get_json_404_and_405,
};

#[tokio::test]
async fn path_variables_and_literal_precedence() {
    let base = server().await;
    assert_eq!(
        get(&base, "/v1/shelves/7").await,
        (
            200,
            json!({"name": "shelves/7", "theme": "/bookstore.v1.Bookstore/GetShelf"})
        )
    );
    // The literal route wins over `{shelf}` although it was declared after.
    assert_eq!(
        get(&base, "/v1/shelves/special").await.1["theme"],
        "special"
    );
    // Single-segment variables are fully decoded, %2F included.
    assert_eq!(
        get(&base, "/v1/shelves/a%2Fb%20c").await.1["name"],
        "shelves/a/b c"
    );
}

#[tokio::test]
async fn multi_segment_names_and_additional_bindings() {
    let base = server().await;
    let (status, book) = get(&base, "/v1/shelves/s%201/books/b%2F2").await;
    assert_eq!(status, 200);
    // Multi-segment captures are decoded except %2F.
    assert_eq!(book["name"], "shelves/s 1/books/b%2F2");
    // int64 is a JSON string.
    assert_eq!(book["pages"], "1099511627776");
    let (status, book) = get(&base, "/v1/books/a/b/c").await;
    assert_eq!((status, book["name"].as_str()), (200, Some("a/b/c")));
    // A path that does not fit the pattern is not this route.
    assert_eq!(get(&base, "/v1/shelves/1/books").await.0, 200); // ListBooks
    assert_eq!(get(&base, "/v1/shelves/1/magazines/2").await.0, 404);
}

#[tokio::test]
async fn body_star_in_json_and_protobuf_with_status() {
    let base = server().await;
    let resp = client()
        .post(format!("{base}/v1/shelves"))
        .body(r#"{"shelf_id": "9", "shelf": {"theme": "sf"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(resp).await,
        (201, json!({"name": "shelves/9", "theme": "sf"}))
    );
    let body = CreateShelfRequest {
        shelf: Some(Shelf {
            name: String::new(),
            theme: "pb".into(),
        }),
        shelf_id: "3".into(),
    };
    let resp = client()
        .post(format!("{base}/v1/shelves"))
        .header("content-type", "application/x-protobuf")
        .header("accept", "application/x-protobuf")
        .body(body.encode_to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["content-type"], "application/x-protobuf");
    let shelf = Shelf::decode(resp.bytes().await.unwrap()).unwrap();
    assert_eq!(
        (shelf.name.as_str(), shelf.theme.as_str()),
        ("shelves/3", "pb")
    );
}

#[tokio::test]
async fn body_field_plus_query_plus_path_path_wins() {
    let base = server().await;
    let resp = client()
        .patch(format!(
            "{base}/v1/shelves/1/books/2?updateMask=title,author&update_mask=pages"
        ))
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"name": "shelves/x/books/y", "title": "New"}"#)
        .send()
        .await
        .unwrap();
    let (status, book) = json_of(resp).await;
    assert_eq!(status, 200, "{book}");
    assert_eq!(book["name"], "shelves/1/books/2");
    assert_eq!(book["title"], "New");
    assert_eq!(book["author"], "title+author+pages");
    // The same in protobuf: the body is the encoded Book.
    let resp = client()
        .patch(format!("{base}/v1/shelves/1/books/2"))
        .header("content-type", "application/protobuf")
        .body(
            Book {
                name: "other".into(),
                title: "PB".into(),
                ..Default::default()
            }
            .encode_to_vec(),
        )
        .send()
        .await
        .unwrap();
    let (_, book) = json_of(resp).await;
    assert_eq!(
        (book["name"].as_str(), book["title"].as_str()),
        (Some("shelves/1/books/2"), Some("PB"))
    );
}

#[tokio::test]
async fn response_body_and_query_names() {
    let base = server().await;
    let (status, page) = get(&base, "/v1/shelves/4/books:page?pageSize=5&page_token=abc").await;
    assert_eq!((status, page), (200, json!({"size": 5, "token": "abc"})));
    let (_, whole) = get(&base, "/v1/shelves/4/books?filter=x%20y+z").await;
    assert_eq!(whole["nextPageToken"], "x y z");
    assert_eq!(whole["books"][0]["name"], "shelves/4/books/1");
    // In protobuf the response_body field alone is sent.
    let resp = client()
        .get(format!("{base}/v1/shelves/4/books:page?pageSize=6"))
        .header("accept", "application/x-protobuf")
        .send()
        .await
        .unwrap();
    assert_eq!(Page::decode(resp.bytes().await.unwrap()).unwrap().size, 6);
}

#[tokio::test]
async fn custom_verb_head_and_any_method() {
    let base = server().await;
    let resp = client()
        .post(format!("{base}/v1/shelves/1/books/2:move"))
        .body(r#"{"otherShelf": "shelves/3"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(resp).await.1,
        json!({"name": "shelves/1/books/2", "title": "shelves/3"})
    );
    // Without the verb the same path is GetBook, and POST there is 405.
    let resp = client()
        .post(format!("{base}/v1/shelves/1/books/2"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "DELETE, GET, HEAD, PATCH");

    let resp = client()
        .head(format!("{base}/v1/check/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-shelf"], "yes");
    let resp = client()
        .head(format!("{base}/v1/check/missing"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = client()
        .get(format!("{base}/v1/check/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            resp.status().as_u16(),
            resp.headers()["allow"].to_str().unwrap()
        ),
        (405, "HEAD")
    );
    // HEAD on a GET route is answered by the GET route.
    assert_eq!(
        client()
            .head(format!("{base}/v1/shelves/1"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    for method in ["GET", "PUT", "OPTIONS", "LOCK"] {
        let resp = client()
            .request(
                http::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{base}/v1/echo/e1?note=hi"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            json_of(resp).await.1,
            json!({"id": "e1", "note": format!("{method} hi")}),
            "{method}"
        );
    }
}

#[tokio::test]
async fn every_query_type() {
    let base = server().await;
    let query = [
        "double_value=1.5",
        "floatValue=-2.25",
        "int32_value=-7",
        "int64Value=-9007199254740993",
        "uint32_value=4000000000",
        "uint64_value=18446744073709551615",
        "sint32_value=-3",
        "fixed64_value=5",
        "bool_value=true",
        "string_value=a%26b",
        "bytes_value=_-8%3D",
        "color=GREEN",
        "tags=a&tags=b",
        "numbers=1&numbers=2",
        "colors=RED&colors=2",
        "labels%5Bk1%5D=v1&labels.k2=v2",
        "counts[x]=3",
        "nested.label=n&nested.child.count=4&nested.child.tags=t",
        "when=2024-01-02T03:04:05.5Z",
        "timeout=1.5s",
        "mask=a.b,c",
        "wrapped_int=12&wrappedBool=false&wrapped_string=w",
        "attributes=%7B%22k%22%3A%5B1%5D%7D",
        "choice_number=8",
        "maybe=0",
        "unknown_key=ignored",
    ]
    .join("&");
    let (status, v) = get(&base, &format!("/v1/query?{query}")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v,
        json!({
            "doubleValue": 1.5, "floatValue": -2.25, "int32Value": -7,
            "int64Value": "-9007199254740993", "uint32Value": 4000000000u32,
            "uint64Value": "18446744073709551615", "sint32Value": -3, "fixed64Value": "5",
            "boolValue": true, "stringValue": "a&b", "bytesValue": "/+8=", "color": "GREEN",
            "tags": ["a", "b"], "numbers": [1, 2], "colors": ["RED", "GREEN"],
            "labels": {"k1": "v1", "k2": "v2"}, "counts": {"x": 3},
            "nested": {"label": "n", "child": {"count": 4, "tags": ["t"]}},
            // protoway::wkt: RFC 3339 with `Z`, FieldMask as lowerCamel text.
            "when": "2024-01-02T03:04:05.500Z", "timeout": "1.500s", "mask": "a.b,c",
            "wrappedInt": "12", "wrappedBool": false, "wrappedString": "w",
            "attributes": {"k": [1.0]}, "choiceNumber": 8, "maybe": 0
        })
    );
}

#[tokio::test]
async fn integer_and_enum_path_variables() {
    let base = server().await;
    assert_eq!(
        get(&base, "/v1/numbers/42/PRIME").await.1,
        json!({"id": "42", "kind": "PRIME"})
    );
    assert_eq!(
        get(&base, "/v1/numbers/-1/2?extra=x").await.1,
        json!({"id": "-1", "kind": "EVEN", "extra": "x"})
    );
    // The path wins over the query.
    assert_eq!(get(&base, "/v1/numbers/1/EVEN?id=5").await.1["id"], "1");
}

#[tokio::test]
async fn bad_requests_are_400_naming_the_parameter() {
    let base = server().await;
    let cases = [
        ("/v1/numbers/abc/PRIME", "id"),
        ("/v1/numbers/99999999999999999999/PRIME", "id"),
        ("/v1/numbers/1/PURPLE", "kind"),
        ("/v1/query?int32_value=2147483648", "int32_value"),
        ("/v1/query?uint32_value=-1", "uint32_value"),
        ("/v1/query?bool_value=yes", "bool_value"),
        ("/v1/query?color=PURPLE", "color"),
        ("/v1/query?colors=9", "colors"),
        ("/v1/query?when=yesterday", "when"),
        ("/v1/query?timeout=5", "timeout"),
        ("/v1/query?string_value=a&string_value=b", "string_value"),
        ("/v1/query?choice_text=a&choice_number=1", "choice_number"),
        ("/v1/query?nested.label.x=1", "nested.label.x"),
        ("/v1/query?bytes_value=%%%", "bytes_value"),
        ("/v1/query?nested=1", "nested"),
    ];
    for (path, param) in cases {
        let (status, err) = get_error(&base, path).await;
        assert_eq!(status, 400, "{path}: {err:?}");
        assert!(
            err.message().contains(&format!("\"{param}\"")),
            "{path}: {}",
            err.message()
        );
    }
    // Malformed escapes in the path.
    let (status, err) = get_error(&base, "/v1/shelves/%zz").await;
    assert_eq!((status, err.reason()), (400, "BAD_PATH"));
    // Bad JSON bodies.
    for body in ["{", r#"{"shelf": 5}"#, r#"{"shelf": {"theme": 1}}"#] {
        let resp = client()
            .post(format!("{base}/v1/shelves"))
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, err) = error_of(resp).await;
        assert_eq!(status, 400, "{body}: {err:?}");
        assert!(err.message().contains("JSON"), "{}", err.message());
    }
}

#[tokio::test]
async fn not_found_method_not_allowed_not_acceptable_unsupported() {
    let base = server().await;
    unmatched_get_json_404_and_405(&base, "/v1/shelves/1").await;
    let resp = client()
        .get(format!("{base}/v1/shelves/1"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await.0, 406);
    let resp = client()
        .post(format!("{base}/v1/shelves"))
        .header("content-type", "text/csv")
        .body("a,b")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await.0, 415);
}

#[tokio::test]
async fn body_limit_gives_413() {
    let base = serve(bookstore_http::routes(Store).body_limit(64)).await;
    let big = format!(r#"{{"shelf_id": "{}"}}"#, "x".repeat(100));
    let resp = client()
        .post(format!("{base}/v1/shelves"))
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await.0, 413);
    // Chunked, without Content-Length, is cut off too.
    let stream = futures_body(big);
    let resp = client()
        .post(format!("{base}/v1/shelves"))
        .body(stream)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await.0, 413);
    let resp = client()
        .post(format!("{base}/v1/shelves"))
        .body(r#"{"shelf_id": "1"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
}

fn futures_body(text: String) -> reqwest::Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    tokio::spawn(async move {
        for chunk in text.into_bytes().chunks(16) {
            let _ = tx.send(Ok(chunk.to_vec())).await;
        }
    });
    reqwest::Body::wrap_stream(ReceiverStream(rx))
}

struct ReceiverStream(tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>);

impl futures_core::Stream for ReceiverStream {
    type Item = Result<Vec<u8>, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}
