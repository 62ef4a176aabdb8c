//! Runs prost-build and protoc-gen-rust-errors (in-process, no protoc) over the
//! errors testdata, so the crate compiles both outputs side by side.

use std::path::PathBuf;

const FILES: &[&str] = &[
    "helloworld/v1/error_reason.proto",
    "nested.proto",
    "mixed.proto",
    "plain.proto",
];
const INCLUDES: &[&str] = &["../../testdata/errors", "../../proto"];

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    for dir in INCLUDES {
        println!("cargo:rerun-if-changed={dir}");
    }

    // prost: messages and enums, for the files themselves only.
    let mut compiler = protox::Compiler::new(INCLUDES).unwrap();
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(FILES).unwrap();
    let mut fds = compiler.file_descriptor_set();
    fds.file.retain(|f| FILES.contains(&f.name()));
    prost_build::Config::new()
        .out_dir(&out)
        .compile_fds(fds)
        .unwrap();

    // protoway: the errors plugin, exactly as protoc would run it.
    protoway_codegen::compile::generate_into(
        FILES,
        INCLUDES,
        "",
        protoc_gen_rust_errors::generate,
        &out,
    )
    .unwrap_or_else(|e| panic!("protoc-gen-rust-errors: {e}"));
}
