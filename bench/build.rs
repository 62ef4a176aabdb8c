//! The benchmark service's code, generated as any user's would be.

fn main() {
    protoway_build::configure()
        .client(false)
        .compile(&["bench/v1/bench.proto"], &["proto"])
        .unwrap_or_else(|e| panic!("{e}"));
}
