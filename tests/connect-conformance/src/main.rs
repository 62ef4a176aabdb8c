//! The Connect conformance suite's server under test (see `server.rs`).
//! Built without the suite's protos (clippy with every feature, say), it
//! only says what it needs.

#[cfg(conformance_protos)]
mod server;

#[cfg(conformance_protos)]
#[tokio::main]
async fn main() {
    server::main().await
}

#[cfg(not(conformance_protos))]
fn main() {
    eprintln!(
        "built without CONNECT_CONFORMANCE_PROTO: set it to the proto/ directory of the Go module \
         connectrpc.com/conformance and build again (.ci/e2e does)"
    );
    std::process::exit(2);
}
