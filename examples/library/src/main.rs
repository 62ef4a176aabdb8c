//! Serves the library on 127.0.0.1:8000 (or `$ADDR`).

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // The TraceLayer's spans and events (`RUST_LOG=tower_http=debug` shows
    // each request).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let addr = listener.local_addr()?;
    println!("library listening on http://{addr}");
    println!("try:");
    for request in library::TRY_IT {
        println!("  {}", request.curl(addr));
    }
    axum::serve(listener, library::app().into_make_service()).await
}
