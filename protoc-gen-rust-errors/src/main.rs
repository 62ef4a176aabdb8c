//! `protoc-gen-rust-errors`: the protoc plugin binary.

fn main() -> std::process::ExitCode {
    protoway_codegen::render::start_rustfmt_early();
    protoway_codegen::plugin::main(
        "protoc-gen-rust-errors",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_DESCRIPTION"),
        protoc_gen_rust_errors::generate,
    )
}
