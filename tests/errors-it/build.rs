//! Runs prost-build and protoc-gen-rust-errors (in-process, no protoc) over the
//! errors testdata, so the crate compiles both outputs side by side.

fn main() {
    protoway_build::configure()
        .compile(
            &[
                "helloworld/v1/error_reason.proto",
                "nested.proto",
                "mixed.proto",
                "plain.proto",
            ],
            // protoway's shipped errors.proto comes with protoway-build.
            &["../../testdata/errors"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
}
