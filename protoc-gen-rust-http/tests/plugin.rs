//! The plugin binary as protoc runs it: request on stdin, response on
//! stdout, warnings on stderr.

use std::io::Write;
use std::process::{Command, Stdio};

use prost::Message;
use protoway_codegen::compile::request_bytes;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// A streaming method with an HTTP rule is generated like any other (in
/// the trait, with a route), with no warning on stderr.
#[test]
fn streaming_methods_are_generated_without_warnings() {
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
    assert_eq!(stderr.trim_end(), "");
    let response =
        prost_types::compiler::CodeGeneratorResponse::decode(output.stdout.as_slice()).unwrap();
    assert_eq!(response.error, None);
    let content = response.file[0].content();
    assert!(content.contains("fn get_shelf("));
    assert!(content.contains("fn watch_shelf("));
    assert!(content.contains("Streams::Server"));
}

/// A GET or DELETE rule with a body: kratos warns and ignores the body, so
/// protoway generates the route without one and warns (file:line:col);
/// with `strict` both are errors.
#[test]
fn bodies_on_get_and_delete_are_warnings_or_with_strict_errors() {
    let bytes = |parameter: &str| {
        request_bytes(
            &["bad/kratos_lenient.proto"],
            &[format!("{ROOT}/testdata/http"), format!("{ROOT}/proto")],
            parameter,
        )
        .unwrap()
    };
    let (response, warnings) =
        protoway_codegen::plugin::respond_with_warnings(&bytes(""), protoc_gen_rust_http::generate)
            .unwrap();
    assert_eq!(response.error, None);
    let content = response.file[0].content();
    // Both routes are declared without a body rule (`RouteSpec::new` alone).
    assert_eq!(content.matches("RouteSpec::new(").count(), 2, "{content}");
    assert!(!content.contains(".body("), "{content}");
    assert_eq!(
        warnings,
        [
            "bad/kratos_lenient.proto:10:3: method Lenient.Find: GET /v1/things/{name} has a body: kratos ignores it, and so does protoway unless the parameter strict is set (grpc-gateway rejects the rule)",
            "bad/kratos_lenient.proto:13:3: method Lenient.Remove: DELETE /v1/things/{name} has a body: kratos ignores it, and so does protoway unless the parameter strict is set (allow_delete_body=true reads it, as grpc-gateway's option)",
        ]
    );
    let strict =
        protoway_codegen::plugin::respond(&bytes("strict"), protoc_gen_rust_http::generate)
            .unwrap();
    assert!(strict.file.is_empty());
    assert_eq!(strict.error.unwrap().lines().count(), 2);
}
