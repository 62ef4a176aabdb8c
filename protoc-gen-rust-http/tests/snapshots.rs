//! Generated servers for testdata, kratos' and grpc-gateway's protos,
//! reviewed as insta snapshots; every one rustfmt-clean and valid Rust.

use protoway_codegen::compile::request_bytes;
use protoway_codegen::plugin::respond;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared");

fn generate(
    files: &[&str],
    includes: &[String],
    parameter: &str,
) -> prost_types::compiler::CodeGeneratorResponse {
    let mut includes = includes.to_vec();
    includes.push(format!("{ROOT}/proto"));
    let bytes = request_bytes(files, &includes, parameter).expect("protos compile");
    respond(&bytes, protoc_gen_rust_http::generate).expect("request decodes")
}

fn only_file(files: &[&str], includes: &[String]) -> (String, String) {
    let response = generate(files, includes, "");
    assert_eq!(response.error, None);
    assert_eq!(
        response.file.len(),
        1,
        "{:?}",
        response.file.iter().map(|f| &f.name).collect::<Vec<_>>()
    );
    let file = &response.file[0];
    let content = file.content.clone().unwrap();
    syn::parse_file(&content).expect("generated code parses");
    protoway_codegen::render::rustfmt_check(&content).expect("rustfmt-clean");
    (file.name.clone().unwrap(), content)
}

#[test]
fn bookstore_every_rule_form() {
    let (name, content) = only_file(
        &["bookstore/v1/bookstore.proto"],
        &[format!("{ROOT}/testdata/http")],
    );
    assert_eq!(name, "bookstore/v1/bookstore.v1.http.rs");
    insta::assert_snapshot!(content);
}

#[test]
fn kratos_helloworld() {
    let (name, content) = only_file(
        &["helloworld/helloworld.proto"],
        &[format!("{SHARED}/conformance/kratos/internal/testdata")],
    );
    assert_eq!(name, "helloworld/helloworld.http.rs");
    insta::assert_snapshot!(content);
}

#[test]
fn kratos_layout_greeter() {
    let (name, content) = only_file(
        &["helloworld/v1/greeter.proto"],
        &[format!("{SHARED}/conformance/kratos-layout/api")],
    );
    assert_eq!(name, "helloworld/v1/helloworld.v1.http.rs");
    insta::assert_snapshot!(content);
}

#[test]
fn kratos_binding_has_no_services() {
    let response = generate(
        &["binding/test.proto"],
        &[format!("{SHARED}/conformance/kratos/internal/testdata")],
        "",
    );
    assert_eq!(response.error, None);
}

#[test]
fn default_routes_cover_unannotated_methods() {
    let response = generate(
        &["bookstore/v1/bookstore.proto"],
        &[format!("{ROOT}/testdata/http")],
        "default_routes=true,default_routes_prefix=/rpc",
    );
    assert_eq!(response.error, None);
    let content = response.file[0].content.clone().unwrap();
    assert!(
        content.contains(r#"template: "/rpc/bookstore.v1.Bookstore/Internal""#),
        "default route missing"
    );
    assert!(content.contains("fn internal("));
    // Streaming stays out even with default routes.
    assert!(!content.contains("fn watch_shelf("));
}

#[test]
fn bad_rules_are_located_errors() {
    let response = generate(
        &["bad/bad_rules.proto"],
        &[format!("{ROOT}/testdata/http")],
        "",
    );
    assert!(response.file.is_empty());
    insta::assert_snapshot!(response.error.expect("errors"));
}

#[test]
fn bad_parameters_are_errors() {
    for (parameter, needle) in [
        ("emit=nope", "emit"),
        ("colour=red", "colour"),
        ("default_routes_prefix=rpc", "must start with '/'"),
        ("runtime_crate=::a b c", "runtime_crate"),
        ("extern_path=google=::x", "extern_path"),
    ] {
        let response = generate(
            &["bookstore/v1/bookstore.proto"],
            &[format!("{ROOT}/testdata/http")],
            parameter,
        );
        let error = response.error.unwrap_or_default();
        assert!(error.contains(needle), "{parameter}: {error}");
    }
}

/// grpc-gateway's hardest example; tests/gateway-it compiles and serves it.
#[test]
fn grpc_gateway_a_bit_of_everything() {
    let (name, content) = only_file(
        &["examples/internal/proto/examplepb/a_bit_of_everything.proto"],
        &[
            format!("{SHARED}/conformance/grpc-gateway"),
            format!("{SHARED}/third_party/googleapis"),
        ],
    );
    assert_eq!(
        name,
        "grpc/gateway/examples/internal/proto/examplepb/grpc.gateway.examples.internal.proto.examplepb.http.rs"
    );
    insta::assert_snapshot!(content);
}

/// Every grpc-gateway example proto generates valid, rustfmt-clean Rust
/// (a_bit_of_everything: nested body fields, repeated path fields, …).
#[test]
fn grpc_gateway_examples_generate() {
    let dir = format!("{SHARED}/conformance/grpc-gateway/examples/internal/proto/examplepb");
    let includes = [
        format!("{SHARED}/conformance/grpc-gateway"),
        format!("{SHARED}/third_party/googleapis"),
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
        let response = respond(&bytes, protoc_gen_rust_http::generate).unwrap();
        if let Some(error) = response.error {
            failures.push(format!("{name}: {error}"));
            continue;
        }
        for f in &response.file {
            let content = f.content.as_deref().unwrap();
            syn::parse_file(content).unwrap_or_else(|e| panic!("{name}: {e}"));
            protoway_codegen::render::rustfmt_check(content).unwrap();
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
