//! With feature `suite`: the conformance service from the suite's own
//! protos ($CONNECT_CONFORMANCE_PROTO), generated as any user's would be.

fn main() {
    println!("cargo:rerun-if-env-changed=CONNECT_CONFORMANCE_PROTO");
    println!("cargo::rustc-check-cfg=cfg(conformance_protos)");
    if std::env::var_os("CARGO_FEATURE_SUITE").is_none() {
        return;
    }
    let Some(dir) = std::env::var_os("CONNECT_CONFORMANCE_PROTO") else {
        println!(
            "cargo:warning=feature `suite` without CONNECT_CONFORMANCE_PROTO: the server \
             binary only explains what it needs (see .ci/e2e)"
        );
        return;
    };
    protoway_build::configure()
        .client(false)
        .default_stubs(true)
        .compile(
            &[
                "connectrpc/conformance/v1/service.proto",
                "connectrpc/conformance/v1/server_compat.proto",
            ],
            &[std::path::PathBuf::from(dir), "../../proto".into()],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    println!("cargo:rustc-cfg=conformance_protos");
}
