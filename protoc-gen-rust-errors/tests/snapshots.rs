//! Generated code for the testdata protos, reviewed as insta snapshots.

use protoway_codegen::compile::{request_bytes, respond_to_protos};
use protoway_codegen::plugin::respond;

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/errors");
const PROTO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../proto");

fn generate(files: &[&str], parameter: &str) -> prost_types::compiler::CodeGeneratorResponse {
    respond_to_protos(
        files,
        &[TESTDATA, PROTO],
        parameter,
        protoc_gen_rust_errors::generate,
    )
    .unwrap()
}

fn only_file(files: &[&str]) -> (String, String) {
    protoway_codegen::compile::only_rust_file(&generate(files, "")).unwrap()
}

#[test]
fn kratos_error_reason() {
    let (name, content) = only_file(&["helloworld/v1/error_reason.proto"]);
    assert_eq!(name, "helloworld/v1/helloworld.v1.errors.rs");
    insta::assert_snapshot!(content);
}

#[test]
fn nested_enums() {
    let (name, content) = only_file(&["nested.proto"]);
    assert_eq!(name, "testdata/nested/testdata.nested.errors.rs");
    insta::assert_snapshot!(content);
}

#[test]
fn comments_deprecation_keywords_aliases_and_uncoded_values() {
    let (name, content) = only_file(&["mixed.proto"]);
    assert_eq!(name, "testdata/mixed/testdata.mixed.errors.rs");
    insta::assert_snapshot!(content);
}

#[test]
fn files_without_errors_generate_nothing() {
    let response = generate(&["plain.proto"], "");
    assert_eq!(response.error, None);
    assert!(response.file.is_empty());
}

#[test]
fn bad_codes_are_located_errors() {
    let response = generate(&["bad/bad_codes.proto"], "");
    assert!(response.file.is_empty());
    insta::assert_snapshot!(response.error.unwrap());
}

#[test]
fn helper_name_collisions_are_located_errors() {
    let response = generate(&["bad/collision.proto"], "");
    assert!(response.file.is_empty());
    insta::assert_snapshot!(response.error.unwrap());
}

#[test]
fn unknown_parameter_lists_known_ones() {
    let response = generate(&["plain.proto"], "emit=file,flavour=mild");
    insta::assert_snapshot!(response.error.unwrap());
}

#[test]
fn insertion_point_modes() {
    let response = generate(&["helloworld/v1/error_reason.proto"], "emit=insert");
    assert_eq!(response.file.len(), 1);
    assert_eq!(
        response.file[0].name.as_deref(),
        Some("helloworld/v1/helloworld.v1.rs")
    );
    assert_eq!(response.file[0].insertion_point.as_deref(), Some("module"));
    assert!(
        response.file[0]
            .content
            .as_deref()
            .unwrap()
            .contains("pub fn is_user_not_found")
    );

    let response = generate(
        &["helloworld/v1/error_reason.proto"],
        "emit=include,runtime_crate=crate::rt",
    );
    assert_eq!(response.file.len(), 2);
    assert!(
        response.file[0]
            .content
            .as_deref()
            .unwrap()
            .contains("crate::rt::Error")
    );
    assert_eq!(
        response.file[1].content.as_deref(),
        Some("include!(\"helloworld.v1.errors.rs\");\n")
    );
}

#[test]
fn several_packages_give_one_file_each() {
    let response = generate(
        &[
            "helloworld/v1/error_reason.proto",
            "nested.proto",
            "plain.proto",
        ],
        "",
    );
    let names: Vec<_> = response
        .file
        .iter()
        .map(|f| f.name.clone().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "helloworld/v1/helloworld.v1.errors.rs",
            "testdata/nested/testdata.nested.errors.rs"
        ]
    );
}

/// The binary's shortcut (no descriptor pool when no file to generate has
/// error options) answers `true` exactly where the full path answers no
/// files and no error: every testdata proto of the three plugins, alone.
#[test]
fn nothing_to_do_agrees_with_generate() {
    use protoway_codegen::compile::{compiler, raw_request};
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata");
    let mut checked = 0;
    let mut shortcuts = 0;
    for dir in ["errors", "http", "openapi", "codegen"] {
        let include = format!("{root}/{dir}");
        let mut protos = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(&include)];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "proto") {
                    protos.push(path.strip_prefix(&include).unwrap().to_owned());
                }
            }
        }
        protos.sort();
        for proto in protos {
            let mut compiler = compiler(&[include.as_str(), PROTO]);
            if compiler.open_files([&proto]).is_err() {
                continue; // testdata meant not to compile
            }
            for parameter in ["", "emit=include", "bogus=1"] {
                let raw = raw_request(&compiler, parameter);
                let response = respond(
                    &prost::Message::encode_to_vec(&raw),
                    protoc_gen_rust_errors::generate,
                )
                .unwrap();
                let nothing = response.file.is_empty() && response.error.is_none();
                assert_eq!(
                    protoc_gen_rust_errors::nothing_to_do(&raw),
                    nothing,
                    "{dir}/{} with `{parameter}`",
                    proto.display()
                );
                checked += 1;
                shortcuts += usize::from(nothing);
            }
        }
    }
    assert!(
        checked >= 30 && shortcuts >= 10 && checked - shortcuts >= 10,
        "{checked} checked, {shortcuts} shortcuts"
    );
    // A file to generate that the request lacks goes the full way (an error).
    let raw = protoway_codegen::request::RawCodeGeneratorRequest {
        file_to_generate: vec!["missing.proto".into()],
        ..Default::default()
    };
    assert!(!protoc_gen_rust_errors::nothing_to_do(&raw));
}

/// Code 600, the end of kratos' range: generated with a located warning,
/// or a located error under `strict`.
#[test]
fn code_600_is_a_warning_or_with_strict_an_error() {
    let bytes = request_bytes(&["kratos_range.proto"], &[TESTDATA, PROTO], "").unwrap();
    let (response, warnings) =
        protoway_codegen::plugin::respond_with_warnings(&bytes, protoc_gen_rust_errors::generate)
            .unwrap();
    assert_eq!(response.error, None);
    assert!(response.file[0].content().contains("Self::Custom => 600,"));
    assert_eq!(
        warnings,
        [
            "kratos_range.proto:11:3: enum value CUSTOM: code 600 is not an HTTP status (100-599); kratos accepts it, and so does protoway unless the parameter strict is set"
        ]
    );
    let strict = generate(&["kratos_range.proto"], "strict");
    assert_eq!(
        strict.error.as_deref(),
        Some(
            "kratos_range.proto:11:3: enum value CUSTOM: code 600 is not an HTTP status (100-599); kratos accepts it, and so does protoway unless the parameter strict is set"
        )
    );
}
