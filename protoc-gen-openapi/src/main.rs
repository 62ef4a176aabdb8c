//! `protoc-gen-openapi`: the protoc plugin binary.

fn main() -> std::process::ExitCode {
    protoway_codegen::plugin::main(
        "protoc-gen-openapi",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_DESCRIPTION"),
        protoc_gen_openapi::generate,
    )
}
