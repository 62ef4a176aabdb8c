//! Serves the buf-generated library on 127.0.0.1:8001 (or `$ADDR`).

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:8001".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "library (buf-generated) listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, buf_example::app()).await
}
