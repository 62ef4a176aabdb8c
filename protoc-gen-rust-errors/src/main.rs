//! `protoc-gen-rust-errors`: the protoc plugin binary.

fn main() -> std::process::ExitCode {
    protoway_codegen::plugin::run(
        "protoc-gen-rust-errors",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_DESCRIPTION"),
        protoc_gen_rust_errors::generate,
        protoc_gen_rust_errors::SETUP,
    )
}
