//! What the rpc-it test files share.

/// `service` served on a loopback port (HTTP/1.1 and h2c): its base URL.
pub async fn serve(service: protoway::server::RoutesService) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, service.into_make_service())
            .await
            .unwrap()
    });
    format!("http://{addr}")
}
