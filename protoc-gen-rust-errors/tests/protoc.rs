//! The real binary through a real protoc (vendored), proving the stdin/stdout
//! protocol, and the binary's behaviour on input that is not a request.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_protoc-gen-rust-errors");
const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/errors");
const PROTO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../proto");

fn protoc() -> PathBuf {
    protoc_bin_vendored::protoc_bin_path().expect("vendored protoc")
}

fn protoc_include() -> PathBuf {
    protoc_bin_vendored::include_path().expect("vendored well-known types")
}

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_protoc(out: &Path, opt: &str, files: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(protoc());
    cmd.arg(format!("--plugin=protoc-gen-rust-errors={BIN}"))
        .arg(format!("--rust-errors_out={}", out.display()))
        .arg(format!("-I{TESTDATA}"))
        .arg(format!("-I{PROTO}"))
        .arg(format!("-I{}", protoc_include().display()));
    if !opt.is_empty() {
        cmd.arg(format!("--rust-errors_opt={opt}"));
    }
    cmd.args(files).output().unwrap()
}

#[test]
fn protoc_runs_the_plugin_and_matches_in_process_output() {
    let out = out_dir("protoc-ok");
    let output = run_protoc(
        &out,
        "",
        &["helloworld/v1/error_reason.proto", "nested.proto"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // protoc-gen-prost's layout: one directory per package component.
    let generated =
        std::fs::read_to_string(out.join("helloworld/v1/helloworld.v1.errors.rs")).unwrap();
    assert!(generated.contains("pub fn is_user_not_found(err: &::protoway::Error) -> bool"));
    assert!(
        out.join("testdata/nested/testdata.nested.errors.rs")
            .exists()
    );

    // protoc's request and protox's give the same code.
    let bytes = protoway_codegen::compile::request_bytes(
        &["helloworld/v1/error_reason.proto"],
        &[TESTDATA, PROTO],
        "",
    )
    .unwrap();
    let response =
        protoway_codegen::plugin::respond(&bytes, protoc_gen_rust_errors::generate).unwrap();
    assert_eq!(
        response.file[0].content.as_deref(),
        Some(generated.as_str())
    );
}

#[test]
fn protoc_reports_located_errors() {
    let out = out_dir("protoc-bad");
    let output = run_protoc(&out, "", &["bad/bad_codes.proto"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "bad/bad_codes.proto:11:3: enum value USER_NOT_FOUND: code 700 is not an HTTP status"
        ),
        "{stderr}"
    );
    let output = run_protoc(&out, "nope=1", &["plain.proto"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown parameter `nope`"));
}

fn run_plugin(stdin: &[u8], args: &[&str]) -> std::process::Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The plugin may exit before reading everything; a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn random_bytes_give_one_clean_line() {
    // A fixed xorshift stream: different garbage every length, same every run.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for len in [1usize, 7, 64, 1000, 65_536] {
        let garbage: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let output = run_plugin(&garbage, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "len {len}: {stderr}");
        assert!(output.stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "len {len}: {stderr}");
        assert!(stderr.starts_with("protoc-gen-rust-errors: "), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn valid_wire_but_inconsistent_request_is_a_clean_error() {
    // file_to_generate names a file that proto_file lacks.
    let raw = protoway_codegen::request::RawCodeGeneratorRequest {
        file_to_generate: vec!["missing.proto".into()],
        ..Default::default()
    };
    let output = run_plugin(&prost::Message::encode_to_vec(&raw), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing.proto"));
}

#[test]
fn empty_request_is_an_empty_response() {
    let output = run_plugin(&[], &[]);
    assert!(output.status.success());
    let response: prost_types::compiler::CodeGeneratorResponse =
        prost::Message::decode(output.stdout.as_slice()).unwrap();
    assert_eq!(response.error, None);
    assert_eq!(response.supported_features, Some(1));
}

#[test]
fn version_and_help() {
    let output = run_plugin(&[], &["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("protoc-gen-rust-errors {}", env!("CARGO_PKG_VERSION"))
    );
    assert!(run_plugin(&[], &["--help"]).status.success());
    assert_eq!(run_plugin(&[], &["--bogus"]).status.code(), Some(2));
}
