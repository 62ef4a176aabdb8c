//! Serves the greeter on 127.0.0.1:8002 (or `$ADDR`).

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:8002".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let addr = listener.local_addr()?;
    println!("helloworld greeter listening on http://{addr}");
    println!("try:");
    println!("  curl -i http://{addr}/helloworld/kratos");
    println!("  curl -i http://{addr}/helloworld/nobody   # 404 USER_NOT_FOUND, kratos error JSON");
    axum::serve(listener, helloworld::app()).await
}
