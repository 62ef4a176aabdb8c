//! The plugin binary as protoc runs it: request on stdin, response on
//! stdout, warnings on stderr.

use std::io::Write;
use std::process::{Command, Stdio};

use prost::Message;
use protoway_codegen::compile::request_bytes;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// A streaming method with an HTTP rule is left out, and the plugin says so
/// on stderr, naming file:line:col and the method; the response carries no
/// error and the rest of the service is generated.
#[test]
fn skipped_streaming_methods_are_named_on_stderr() {
    let bytes = request_bytes(
        &["bookstore/v1/bookstore.proto"],
        &[format!("{ROOT}/testdata/http"), format!("{ROOT}/proto")],
        "",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_protoc-gen-rust-http"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr.trim_end(),
        "protoc-gen-rust-http: warning: bookstore/v1/bookstore.proto:125:3: method Bookstore.WatchShelf: \
         streaming methods are not supported yet; left out",
    );
    let response =
        prost_types::compiler::CodeGeneratorResponse::decode(output.stdout.as_slice()).unwrap();
    assert_eq!(response.error, None);
    let content = response.file[0].content();
    assert!(content.contains("fn get_shelf("));
    assert!(!content.contains("fn watch_shelf("));
}
