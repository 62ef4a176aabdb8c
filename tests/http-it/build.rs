//! Runs prost, pbjson, protoc-gen-rust-http and protoc-gen-rust-errors
//! in-process over the HTTP testdata.

fn main() {
    protoway_build::configure()
        .compile(
            &[
                "bookstore/v1/bookstore.proto",
                "keywords/v1/keywords.proto",
                "google/api/httpbody.proto",
            ],
            &["../../testdata/http"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
}
