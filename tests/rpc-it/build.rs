//! The library example's proto through tonic-prost-build: its messages and
//! a tonic client, as a gRPC user of the service would generate them
//! (protox instead of protoc, so that no compiler need be installed).

fn main() {
    let fds = protox::Compiler::new(["../../examples/library/proto", "../../proto"])
        .and_then(|mut c| {
            c.include_imports(true);
            c.open_file("library/v1/library.proto")?;
            Ok(c.file_descriptor_set())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    tonic_prost_build::configure()
        .build_server(false)
        .compile_fds(fds)
        .unwrap_or_else(|e| panic!("{e}"));
    println!("cargo:rerun-if-changed=../../examples/library/proto");
}
