//! Generated servers for the testdata protos,
//! reviewed as insta snapshots; every one valid Rust.

use protoway_codegen::compile::{request_bytes, respond_to_protos};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

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
fn bookstore_every_rule_form() {
    let (name, content) = only_file(
        &["bookstore/v1/bookstore.proto"],
        &[format!("{ROOT}/testdata/http")],
    );
    assert_eq!(name, "bookstore/v1/bookstore.v1.http.rs");
    insta::assert_snapshot!(content);
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
        content.contains(r#""/rpc/bookstore.v1.Bookstore/Internal""#),
        "default route missing"
    );
    assert!(content.contains("fn internal("));
    // Streaming methods keep their own route.
    assert!(content.contains("fn watch_shelf("));
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

/// Bindings that tie on every request, within a service and across the
/// services of a package: the later one is left out with a located warning
/// (real APIs declare such pairs), or with `strict` a located error.
#[test]
fn duplicate_routes_are_left_out_with_a_warning_or_strict_errors() {
    let bytes = request_bytes(
        &["bad/duplicate_routes.proto"],
        &[format!("{ROOT}/testdata/http"), format!("{ROOT}/proto")],
        "",
    )
    .unwrap();
    let (response, warnings) =
        protoway_codegen::plugin::respond_with_warnings(&bytes, protoc_gen_rust_http::generate)
            .unwrap();
    assert_eq!(response.error, None);
    let content = response.file[0].content();
    // GetOther has no route left: not in the trait; Run keeps its POST.
    assert!(!content.contains("fn get_other("), "{content}");
    assert!(content.contains("ROUTE_RUN_0") && !content.contains("ROUTE_RUN_1"));
    assert_eq!(
        warnings,
        [
            "bad/duplicate_routes.proto:14:3: method First.GetOther: GET /v1/things/{id} matches exactly the requests of GET /v1/things/{name} (dup.v1.First.GetThing), bound earlier; left out (parameter strict makes this an error)",
            "bad/duplicate_routes.proto:24:3: method Second.Run: GET /v1/{name=things/*} matches exactly the requests of GET /v1/things/{name} (dup.v1.First.GetThing), bound earlier; left out (parameter strict makes this an error)",
        ]
    );
    let strict = generate(
        &["bad/duplicate_routes.proto"],
        &[format!("{ROOT}/testdata/http")],
        "strict",
    );
    assert!(strict.file.is_empty());
    assert_eq!(
        strict.error.expect("errors"),
        "bad/duplicate_routes.proto:14:3: method First.GetOther: GET /v1/things/{id} matches exactly the requests of GET /v1/things/{name} (dup.v1.First.GetThing), bound earlier\n\
         bad/duplicate_routes.proto:24:3: method Second.Run: GET /v1/{name=things/*} matches exactly the requests of GET /v1/things/{name} (dup.v1.First.GetThing), bound earlier"
    );
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
