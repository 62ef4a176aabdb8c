//! Generated servers for kratos' and grpc-gateway's protos, reviewed as
//! insta snapshots; every one valid Rust.

#![cfg(feature = "corpus")]

use protoway_codegen::compile::{request_bytes, respond_to_protos};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn shared() -> String {
    let corpus = conformance::corpus::dir().unwrap_or_else(|missing| panic!("{missing}"));
    corpus.display().to_string()
}

fn generate(
    files: &[&str],
    includes: &[String],
    parameter: &str,
) -> prost_types::compiler::CodeGeneratorResponse {
    let includes = [includes, &[format!("{ROOT}/proto")]].concat();
    respond_to_protos(files, &includes, parameter, protoc_gen_rust_http::generate).unwrap()
}

fn only_file(files: &[&str], includes: &[String]) -> (String, String) {
    protoway_codegen::compile::only_rust_file(&generate(files, includes, "")).unwrap()
}

#[test]
fn kratos_helloworld() {
    let shared = shared();
    let (name, content) = only_file(
        &["helloworld/helloworld.proto"],
        &[format!("{shared}/conformance/kratos/internal/testdata")],
    );
    assert_eq!(name, "helloworld/helloworld.http.rs");
    insta::assert_snapshot!(content);
}

#[test]
fn kratos_layout_greeter() {
    let shared = shared();
    let (name, content) = only_file(
        &["helloworld/v1/greeter.proto"],
        &[format!("{shared}/conformance/kratos-layout/api")],
    );
    assert_eq!(name, "helloworld/v1/helloworld.v1.http.rs");
    insta::assert_snapshot!(content);
}

#[test]
fn kratos_binding_has_no_services() {
    let shared = shared();
    let response = generate(
        &["binding/test.proto"],
        &[format!("{shared}/conformance/kratos/internal/testdata")],
        "",
    );
    assert_eq!(response.error, None);
}

/// grpc-gateway's hardest example; `a_bit_of_everything.rs` compiles and serves it.
#[test]
fn grpc_gateway_a_bit_of_everything() {
    let shared = shared();
    let (name, content) = only_file(
        &["examples/internal/proto/examplepb/a_bit_of_everything.proto"],
        &[
            format!("{shared}/conformance/grpc-gateway"),
            format!("{shared}/third_party/googleapis"),
        ],
    );
    assert_eq!(
        name,
        "grpc/gateway/examples/internal/proto/examplepb/grpc.gateway.examples.internal.proto.examplepb.http.rs"
    );
    insta::assert_snapshot!(content);
}

/// Every grpc-gateway example proto generates valid Rust
/// (a_bit_of_everything: nested body fields, repeated path fields, …).
#[test]
fn grpc_gateway_examples_generate() {
    let shared = shared();
    let dir = format!("{shared}/conformance/grpc-gateway/examples/internal/proto/examplepb");
    let includes = [
        format!("{shared}/conformance/grpc-gateway"),
        format!("{shared}/third_party/googleapis"),
    ];
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".proto"))
        .collect();
    names.sort();
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    let mut generated = 0;
    for name in &names {
        let file = format!("examples/internal/proto/examplepb/{name}");
        let mut all = includes.to_vec();
        all.push(format!("{ROOT}/proto"));
        // protox 0.10 has no editions: `edition = "2023"` files are skipped.
        let Ok(bytes) = request_bytes(&[&file], &all, "") else {
            skipped.push(name.clone());
            continue;
        };
        let response =
            protoway_codegen::plugin::respond(&bytes, protoc_gen_rust_http::generate).unwrap();
        if let Some(error) = response.error {
            failures.push(format!("{name}: {error}"));
            continue;
        }
        for f in &response.file {
            let content = f.content.as_deref().unwrap();
            syn::parse_file(content).unwrap_or_else(|e| panic!("{name}: {e}"));
            generated += 1;
        }
    }
    println!(
        "grpc-gateway examples: {} protos, {generated} files generated, skipped (editions): {skipped:?}",
        names.len()
    );
    assert!(skipped.len() <= 1, "{skipped:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
