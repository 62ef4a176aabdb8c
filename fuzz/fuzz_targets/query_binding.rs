//! Query binding and body decoding through the library example's generated
//! router: any query string (GET) or body (POST) gets a 2xx/4xx, never a 500
//! or a panic.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let request = if selector % 2 == 0 {
        // Bytes as the query, escaped only where a URI must be.
        let query: String = rest
            .iter()
            .map(|&b| match b {
                b'a'..=b'z'
                | b'A'..=b'Z'
                | b'0'..=b'9'
                | b'&'
                | b'='
                | b'.'
                | b'['
                | b']'
                | b'%'
                | b'-'
                | b'_' => (b as char).to_string(),
                other => format!("%{other:02X}"),
            })
            .collect();
        axum::http::Request::get(format!("/v1/shelves/1/books?{query}")).body(Body::empty())
    } else {
        let content_type = if selector % 4 == 1 {
            "application/json"
        } else {
            "application/x-protobuf"
        };
        axum::http::Request::patch("/v1/shelves/1/books/1?updateMask=title")
            .header("content-type", content_type)
            .body(Body::from(rest.to_vec()))
    };
    let Ok(request) = request else { return };
    let status = runtime().block_on(async {
        library::app()
            .oneshot(request)
            .await
            .expect("infallible")
            .status()
    });
    assert!(status.as_u16() < 500, "status {status}");
});
