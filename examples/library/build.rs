//! prost + pbjson messages, the HTTP server and the error helpers from
//! proto/, with no protoc installed.

fn main() {
    protoway_build::configure()
        .compile(&["library/v1/library.proto"], &["proto"])
        .unwrap_or_else(|e| panic!("{e}"));
}
