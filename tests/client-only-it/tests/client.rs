//! The client-only crate's generated client against a hand-written axum
//! stand-in: a reply decoded, an Error read back, and no `routes()` generated.

use client_only_it::library::v1::library_service_http::LibraryServiceClient;
use client_only_it::library::v1::{GetShelfRequest, is_shelf_not_found};

async fn stand_in() -> String {
    let app = axum::Router::new().route(
        "/v1/shelves/{shelf}",
        axum::routing::get(|axum::extract::Path(shelf): axum::extract::Path<String>| async move {
            if shelf == "404" {
                return (
                    axum::http::StatusCode::NOT_FOUND,
                    axum::Json(serde_json::json!({
                        "code": 404, "reason": "SHELF_NOT_FOUND", "message": "no shelf", "metadata": {}
                    })),
                );
            }
            (
                axum::http::StatusCode::OK,
                axum::Json(serde_json::json!({"name": format!("shelves/{shelf}"), "theme": "poetry"})),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn the_generated_client_works_without_the_server_feature() {
    let client = LibraryServiceClient::connect(stand_in().await);
    let shelf = client
        .get_shelf(GetShelfRequest {
            name: "shelves/7".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        (shelf.name.as_str(), shelf.theme.as_str()),
        ("shelves/7", "poetry")
    );
    let err = client
        .get_shelf(GetShelfRequest {
            name: "shelves/404".into(),
        })
        .await
        .unwrap_err();
    assert!(is_shelf_not_found(&err), "{err:?}");
}

/// `server(false)`: the generated module has no `routes` or `router`.
#[test]
fn no_server_code_is_generated() {
    let generated =
        std::fs::read_to_string(concat!(env!("OUT_DIR"), "/library.v1.http.rs")).unwrap();
    assert!(!generated.contains("pub fn routes"));
    assert!(!generated.contains("pub fn router"));
    assert!(!generated.contains("::protoway::server::"));
}
