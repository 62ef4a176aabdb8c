//! The benchmark service's code, generated as any user's would be; and the
//! same service as a plain tonic server (tonic-prost-build, on the same
//! prost messages), the gRPC benchmark's baseline.

fn main() {
    protoway_build::configure()
        .client(false)
        .compile(&["bench/v1/bench.proto"], &["proto"])
        .unwrap_or_else(|e| panic!("{e}"));
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("tonic");
    std::fs::create_dir_all(&out).expect("tonic out dir");
    let fds = protox::Compiler::new(["proto", "../proto"])
        .and_then(|mut c| {
            c.include_imports(true);
            c.open_file("bench/v1/bench.proto")?;
            Ok(c.file_descriptor_set())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    tonic_prost_build::configure()
        .out_dir(&out)
        .extern_path(".bench.v1", "crate::pb::bench::v1")
        .build_client(true)
        .compile_fds(fds)
        .unwrap_or_else(|e| panic!("{e}"));
}
