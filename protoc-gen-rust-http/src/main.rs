//! `protoc-gen-rust-http`: the protoc plugin binary.

fn main() -> std::process::ExitCode {
    protoway_codegen::plugin::main(
        "protoc-gen-rust-http",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_DESCRIPTION"),
        protoc_gen_rust_http::generate,
    )
}
