//! The protos protoway ships are written by us from the spec; these tests
//! hold them, and the plugins, to the peers' own copies.

#![cfg(feature = "corpus")]

use std::path::PathBuf;

use protoway_codegen::compile::request_bytes;
use protoway_codegen::plugin::respond;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn corpus(path: &str) -> String {
    let corpus: PathBuf = conformance::corpus::dir().unwrap_or_else(|missing| panic!("{missing}"));
    format!("{}/{path}", corpus.display())
}

/// protoway's `openapiv3/*.proto` are written by us, but an annotation written
/// for gnostic must mean the same thing: every message, field name, number,
/// type and label equals gnostic's, and the four extensions use 1143.
#[test]
fn shipped_openapiv3_protos_match_gnostic_wire_shape() {
    use prost_reflect::DescriptorPool;
    use prost_reflect::prost::Message as _;
    fn pool(includes: &[String]) -> DescriptorPool {
        let bytes = request_bytes(&["openapiv3/annotations.proto"], includes, "").unwrap();
        let request =
            prost_types::compiler::CodeGeneratorRequest::decode(bytes.as_slice()).unwrap();
        DescriptorPool::from_file_descriptor_set(prost_types::FileDescriptorSet {
            file: request.proto_file,
        })
        .unwrap()
    }
    fn shape(pool: &DescriptorPool) -> Vec<String> {
        let mut lines = Vec::new();
        for m in pool.all_messages() {
            if m.package_name() != "openapi.v3" {
                continue;
            }
            for f in m.fields() {
                lines.push(format!(
                    "{} {} {} {:?} {:?} {:?}",
                    m.full_name(),
                    f.number(),
                    f.name(),
                    f.kind(),
                    f.cardinality(),
                    f.containing_oneof().map(|o| o.name().to_owned())
                ));
            }
        }
        for e in pool.all_extensions() {
            lines.push(format!(
                "ext {} {} {} {:?}",
                e.containing_message().full_name(),
                e.number(),
                e.full_name(),
                e.kind()
            ));
        }
        lines.sort();
        lines
    }
    let corpus = conformance::corpus::dir().unwrap_or_else(|missing| panic!("{missing}"));
    let ours = shape(&pool(&[format!("{ROOT}/proto")]));
    let gnostic = shape(&pool(&[format!(
        "{}/conformance/gnostic",
        corpus.display()
    )]));
    assert!(ours.len() > 290, "{} fields", ours.len());
    assert_eq!(ours, gnostic);
}

/// kratos' own errors.proto and layout protos, unchanged: the layout's enum
/// carries no codes, so nothing is generated, and nothing is an error.
#[test]
fn errors_plugin_reads_the_kratos_layout_protos_unchanged() {
    let bytes = request_bytes(
        &["helloworld/v1/error_reason.proto"],
        &[
            corpus("conformance/kratos-layout/api"),
            corpus("conformance/kratos-layout/third_party"),
        ],
        "",
    )
    .unwrap();
    let response = respond(&bytes, protoc_gen_rust_errors::generate).unwrap();
    assert_eq!(response.error, None);
    assert!(response.file.is_empty(), "{:?}", response.file);
}
