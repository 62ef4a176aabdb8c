//! prost + pbjson messages, the HTTP server, the error helpers and the
//! OpenAPI document from proto/, with no protoc installed.

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    protoway_build::configure()
        .openapi(format!("{out}/openapi.yaml"))
        // For gRPC server reflection (grpcurl, Postman, …).
        .file_descriptor_set("library.bin")
        .compile(&["library/v1/library.proto"], &["proto"])
        .unwrap_or_else(|e| panic!("{e}"));
}
