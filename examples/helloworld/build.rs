//! Generates prost messages and protoway error helpers from proto/, with no
//! protoc installed.

fn main() {
    protoway_build::configure()
        .compile(
            &[
                "helloworld/v1/greeter.proto",
                "helloworld/v1/error_reason.proto",
            ],
            &["proto"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
}
