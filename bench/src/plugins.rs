//! The bench binary doubles as every protoc plugin it times, chosen by the
//! name it is run under (symlinks in `target/bench-plugins/`): our three, the
//! stub (reads the request, answers an empty response: the plugin protocol's
//! own cost) and `capture` (saves the request for the per-plugin figures).
//! One executable for all keeps process start-up cost equal on both sides.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub const OURS: [&str; 3] = [
    "protoc-gen-rust-http",
    "protoc-gen-rust-errors",
    "protoc-gen-openapi",
];

/// `CodeGeneratorResponse { supported_features: 1 }` on the wire.
const SUPPORTS_PROTO3_OPTIONAL: &[u8] = &[0x10, 0x01];

/// Runs as a plugin if the executable's name says so.
pub fn dispatch() -> Option<ExitCode> {
    let argv0 = std::env::args_os().next()?;
    let name = Path::new(&argv0).file_name()?.to_str()?.to_owned();
    let version = env!("CARGO_PKG_VERSION");
    let run = protoway_codegen::plugin::run;
    // As their own binaries run.
    Some(match name.as_str() {
        "protoc-gen-rust-http" => {
            protoway_codegen::plugin::main(&name, version, "", protoc_gen_rust_http::generate)
        }
        "protoc-gen-rust-errors" => run(
            &name,
            version,
            "",
            protoc_gen_rust_errors::generate,
            protoc_gen_rust_errors::SETUP,
        ),
        "protoc-gen-openapi" => {
            protoway_codegen::plugin::main(&name, version, "", protoc_gen_openapi::generate)
        }
        n if n.starts_with("protoc-gen-stub") => {
            let mut request = Vec::new();
            std::io::stdin().read_to_end(&mut request).expect("stdin");
            std::hint::black_box(&request);
            // A response with no files that supports proto3 `optional`
            // (supported_features = 1), as every real plugin here answers.
            std::io::stdout()
                .write_all(SUPPORTS_PROTO3_OPTIONAL)
                .expect("stdout");
            ExitCode::SUCCESS
        }
        "protoc-gen-capture" => {
            let mut request = Vec::new();
            std::io::stdin().read_to_end(&mut request).expect("stdin");
            let path = std::env::var_os("PROTOWAY_CAPTURE").expect("PROTOWAY_CAPTURE");
            std::fs::write(path, request).expect("capture");
            std::io::stdout()
                .write_all(SUPPORTS_PROTO3_OPTIONAL)
                .expect("stdout");
            ExitCode::SUCCESS
        }
        _ => return None,
    })
}

/// Symlinks named after each plugin, pointing at this executable.
pub fn links() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().expect("exe dir").join("bench-plugins");
    std::fs::create_dir_all(&dir).expect("plugin dir");
    for name in OURS.iter().copied().chain([
        "protoc-gen-stub1",
        "protoc-gen-stub2",
        "protoc-gen-stub3",
        "protoc-gen-capture",
    ]) {
        let link = dir.join(name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&exe, &link).expect("symlink");
    }
    dir
}
