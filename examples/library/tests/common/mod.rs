//! What the library's test files share.

/// `service` served on a loopback port (HTTP/1.1 and h2c): its address.
pub async fn serve(service: protoway::server::RoutesService) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, service.into_make_service())
            .await
            .unwrap()
    });
    addr
}
