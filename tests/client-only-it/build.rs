//! The library API's messages, trait and client; no server (`server(false)`).

fn main() {
    protoway_build::configure()
        .server(false)
        .compile(
            &["library/v1/library.proto"],
            &["../../examples/library/proto"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
}
