//! Serves the library on 127.0.0.1:8000 (or `$ADDR`).

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let addr = listener.local_addr()?;
    println!("library listening on http://{addr}");
    println!("try:");
    println!("  curl -s http://{addr}/v1/shelves");
    println!("  curl -s -X POST http://{addr}/v1/shelves -d '{{\"theme\":\"poetry\"}}'");
    println!(
        "  curl -s -X POST http://{addr}/v1/shelves/1/books -d '{{\"title\":\"Odes\",\"author\":\"Keats\"}}'"
    );
    println!("  curl -s 'http://{addr}/v1/shelves/1/books?pageSize=2&filter=Keats'");
    println!(
        "  curl -s -X PATCH 'http://{addr}/v1/shelves/1/books/1?updateMask=read' -d '{{\"read\":true}}'"
    );
    println!(
        "  curl -s -X POST http://{addr}/v1/shelves/1/books/1:move -d '{{\"otherShelfName\":\"shelves/2\"}}'"
    );
    println!(
        "  curl -i http://{addr}/v1/shelves/404      # 404 SHELF_NOT_FOUND, kratos error JSON"
    );
    println!("  curl -s http://{addr}/openapi.yaml        # the generated OpenAPI document");
    axum::serve(listener, library_example::app().into_make_service()).await
}
