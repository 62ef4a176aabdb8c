//! The buf-generated code serves and calls over loopback, like the build.rs one.

use buf_example::pb::library::v1::library_service_http::LibraryServiceClient;
use buf_example::pb::library::v1::*;
use buf_example::pb::shelfmark::v1::Shelfmark;

async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, buf_example::app()).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn generated_client_and_server_talk() {
    let client = LibraryServiceClient::connect(&serve().await);
    let shelves = client
        .list_shelves(ListShelvesRequest::default())
        .await
        .unwrap();
    assert_eq!(shelves.shelves.len(), 2);
    let book = client
        .get_book(GetBookRequest {
            name: "shelves/1/books/1".into(),
        })
        .await
        .unwrap();
    assert_eq!(book.title, "Odes");
    // Errors come back typed, from protoc-gen-rust-errors' helpers.
    let missing = client
        .get_shelf(GetShelfRequest {
            name: "shelves/404".into(),
        })
        .await
        .unwrap_err();
    assert!(is_shelf_not_found(&missing), "{missing:?}");
    assert_eq!(missing.code(), 404);
}

#[tokio::test]
async fn openapi_document_is_served() {
    let base = serve().await;
    let response = reqwest::get(format!("{base}/openapi.yaml")).await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.contains("/v1/shelves/{shelf}/books/{book}:move"));
}

#[test]
fn plain_messages_have_protobuf_json() {
    let mark = Shelfmark {
        book: "shelves/1/books/2".into(),
        page: 7,
    };
    let json = serde_json::to_value(&mark).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"book": "shelves/1/books/2", "page": 7})
    );
}
