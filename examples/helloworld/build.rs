//! Generates prost messages and protoway error helpers from proto/, with no
//! protoc installed. (protoway-build will make this one call.)

use std::path::PathBuf;

const FILES: &[&str] = &[
    "helloworld/v1/greeter.proto",
    "helloworld/v1/error_reason.proto",
];
/// The example's protos, then protoway's shipped annotation protos.
const INCLUDES: &[&str] = &["proto", "../../proto"];

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    for dir in INCLUDES {
        println!("cargo:rerun-if-changed={dir}");
    }
    let mut compiler = protox::Compiler::new(INCLUDES).unwrap();
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(FILES).unwrap();
    let mut fds = compiler.file_descriptor_set();
    fds.file.retain(|f| FILES.contains(&f.name()));
    prost_build::Config::new()
        .out_dir(&out)
        .compile_fds(fds)
        .unwrap();

    protoway_codegen::compile::generate_into(
        FILES,
        INCLUDES,
        "",
        protoc_gen_rust_errors::generate,
        &out,
    )
    .unwrap_or_else(|e| panic!("protoc-gen-rust-errors: {e}"));
}
