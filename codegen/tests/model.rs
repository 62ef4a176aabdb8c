//! The descriptor model over real protos compiled in-process with protox.

use prost::Message;
use protoway_codegen::Request;
use protoway_codegen::compile::request_bytes;
use protoway_codegen::options::{
    FieldBehavior, HttpPattern, errors_code, errors_default_code, field_behavior, http_rule,
    is_deprecated,
};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/codegen");
const PROTO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../proto");

fn field(
    pool: &prost_reflect::DescriptorPool,
    message: &str,
    name: &str,
) -> prost_reflect::FieldDescriptor {
    pool.get_message_by_name(message)
        .unwrap()
        .get_field_by_name(name)
        .unwrap()
}

fn request(files: &[&str]) -> Request {
    Request::decode(&request_bytes(files, &[TESTDATA, PROTO], "a=b").unwrap()).unwrap()
}

#[test]
fn request_basics() {
    let req = request(&["model.proto"]);
    assert_eq!(req.parameter(), "a=b");
    let names: Vec<_> = req
        .files_to_generate()
        .iter()
        .map(|f| f.name().to_owned())
        .collect();
    assert_eq!(names, ["model.proto"]);
    // Imports are in the pool, not in files_to_generate.
    assert!(
        req.pool()
            .get_file_by_name("google/api/http.proto")
            .is_some()
    );
    assert_eq!(req.packages().len(), 1);
}

#[test]
fn every_http_rule_form() {
    let req = request(&["model.proto"]);
    let service = req.pool().get_service_by_name("model.v1.Library").unwrap();
    let rule = |name: &str| http_rule(&service.methods().find(|m| m.name() == name).unwrap());

    let get = rule("GetBook").unwrap();
    assert_eq!(
        get.pattern.as_ref().unwrap().method_and_path(),
        ("GET", "/v1/{name=shelves/*/books/*}")
    );
    assert_eq!(get.additional_bindings.len(), 2);
    assert_eq!(
        get.additional_bindings[0].pattern,
        Some(HttpPattern::Get("/v1/books/{name}".into()))
    );
    assert_eq!(get.additional_bindings[1].body, "*");
    assert_eq!(
        get.additional_bindings[1]
            .pattern
            .as_ref()
            .unwrap()
            .method_and_path(),
        ("POST", "/v1/{name=shelves/*/books/*}:get")
    );

    let update = rule("UpdateBook").unwrap();
    assert_eq!(
        update.pattern.as_ref().unwrap().method_and_path(),
        ("PATCH", "/v1/{book.name=shelves/*/books/*}")
    );
    assert_eq!(
        (update.body.as_str(), update.response_body.as_str()),
        ("book", "title")
    );

    assert_eq!(
        rule("Head").unwrap().pattern.unwrap().method_and_path(),
        ("HEAD", "/v1/{name}")
    );
    assert_eq!(
        rule("Put").unwrap().pattern,
        Some(HttpPattern::Put("/v1/books".into()))
    );
    assert_eq!(
        rule("Delete").unwrap().pattern,
        Some(HttpPattern::Delete("/v1/{name}".into()))
    );
    assert_eq!(rule("Post").unwrap().body, "*");
    assert_eq!(rule("Plain"), None);
}

#[test]
fn field_behavior_and_error_codes() {
    let req = request(&["model.proto"]);
    let pool = req.pool();
    let name = field(pool, "model.v1.GetBookRequest", "name");
    assert_eq!(
        field_behavior(&name),
        [FieldBehavior::Required, FieldBehavior::Identifier]
    );
    let book_name = field(pool, "model.v1.Book", "name");
    assert_eq!(field_behavior(&book_name), [FieldBehavior::OutputOnly]);
    let title = field(pool, "model.v1.Book", "title");
    assert!(field_behavior(&title).is_empty());

    let shelf = pool.get_enum_by_name("model.v1.Shelf").unwrap();
    assert_eq!(errors_default_code(&shelf), Some(404));
    assert_eq!(
        errors_code(&shelf.get_value_by_name("SHELF_UNSPECIFIED").unwrap()),
        Some(400)
    );
    assert_eq!(
        errors_code(&shelf.get_value_by_name("FICTION").unwrap()),
        None
    );
}

#[test]
fn deprecated_on_every_element_kind() {
    let req = request(&["model.proto"]);
    let pool = req.pool();
    let service = pool.get_service_by_name("model.v1.Library").unwrap();
    assert!(is_deprecated(&service));
    assert!(is_deprecated(
        &service
            .methods()
            .find(|m| m.name() == "UpdateBook")
            .unwrap()
    ));
    assert!(!is_deprecated(
        &service.methods().find(|m| m.name() == "GetBook").unwrap()
    ));
    let book = pool.get_message_by_name("model.v1.Book").unwrap();
    assert!(is_deprecated(&book));
    assert!(is_deprecated(&book.get_field_by_name("title").unwrap()));
    assert!(!is_deprecated(&book.get_field_by_name("name").unwrap()));
    let shelf = pool.get_enum_by_name("model.v1.Shelf").unwrap();
    assert!(is_deprecated(&shelf));
    assert!(is_deprecated(
        &shelf.get_value_by_name("SHELF_UNSPECIFIED").unwrap()
    ));
    assert!(!is_deprecated(&shelf.get_value_by_name("FICTION").unwrap()));
    let file = pool.get_file_by_name("model.proto").unwrap();
    assert_eq!(
        file.options().get_field_by_name("deprecated").as_deref(),
        Some(&prost_reflect::Value::Bool(true))
    );
}

#[test]
fn comments_and_locations() {
    let req = request(&["model.proto"]);
    let pool = req.pool();
    let service = pool.get_service_by_name("model.v1.Library").unwrap();
    let comments = req.comments(&service);
    assert_eq!(
        comments.leading.as_deref(),
        Some(" The library service.\n Second line.\n")
    );
    assert_eq!(comments.leading_detached, [" Detached from the service.\n"]);
    assert_eq!(
        comments.doc_lines(),
        ["The library service.", "Second line."]
    );

    let book = pool.get_message_by_name("model.v1.Book").unwrap();
    let name = book.get_field_by_name("name").unwrap();
    assert_eq!(
        req.comments(&name).trailing.as_deref(),
        Some(" Trailing name.\n")
    );
    assert_eq!(req.comments(&name).doc_lines(), ["Trailing name."]);

    // source_code_info is kept out of the pool (most of a request's bytes)
    // and decoded per file on demand, imports included.
    for file in pool.files() {
        assert!(file.file_descriptor_proto().source_code_info.is_none());
    }
    let rule = pool.get_message_by_name("google.api.HttpRule").unwrap();
    assert!(!req.comments(&rule).doc_lines().is_empty());

    let d = req.diagnostic(&name, "something is wrong");
    assert_eq!(
        d.to_string(),
        "model.proto:71:3: field Book.name: something is wrong"
    );
    let method = service
        .methods()
        .find(|m| m.name() == "UpdateBook")
        .unwrap();
    assert_eq!(
        req.diagnostic(&method, "x").to_string(),
        "model.proto:29:3: method Library.UpdateBook: x"
    );
    let value = pool
        .get_enum_by_name("model.v1.Shelf")
        .unwrap()
        .get_value_by_name("FICTION")
        .unwrap();
    assert_eq!(
        req.diagnostic(&value, "x").to_string(),
        "model.proto:82:3: enum value FICTION: x"
    );
}

#[test]
fn files_without_extensions_have_none() {
    let req = request(&["plain.proto"]);
    let pool = req.pool();
    let method = pool
        .get_service_by_name("plain.S")
        .unwrap()
        .methods()
        .next()
        .unwrap();
    assert_eq!(http_rule(&method), None);
    let field = field(pool, "plain.Msg", "a");
    assert!(field_behavior(&field).is_empty());
    let e = pool.get_enum_by_name("plain.E").unwrap();
    assert_eq!(errors_default_code(&e), None);
    assert!(!is_deprecated(&e));
    assert!(req.comments(&e).is_empty());
}

fn first_library_method(req: &Request) -> prost_reflect::MethodDescriptor {
    let service = req.pool().get_service_by_name("model.v1.Library").unwrap();
    service.methods().next().unwrap()
}

/// Why the request is decoded with raw `proto_file` bytes: prost-types'
/// CodeGeneratorRequest drops every extension inside the options.
#[test]
fn prost_types_request_would_drop_extensions() {
    let bytes = request_bytes(&["model.proto"], &[TESTDATA, PROTO], "").unwrap();
    let via_prost_types =
        prost_types::compiler::CodeGeneratorRequest::decode(bytes.as_slice()).unwrap();
    let reencoded = via_prost_types.encode_to_vec();
    let lossy = Request::decode(&reencoded).unwrap();
    assert_eq!(
        http_rule(&first_library_method(&lossy)),
        None,
        "prost-types kept the extension after all"
    );

    let ours = Request::decode(&bytes).unwrap();
    assert!(http_rule(&first_library_method(&ours)).is_some());
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert!(Request::decode(b"\xff\xff\xff\xff").is_err());
    // A file that names an unknown dependency.
    let file = prost_types::FileDescriptorProto {
        name: Some("a.proto".into()),
        dependency: vec!["missing.proto".into()],
        ..Default::default()
    };
    let raw = protoway_codegen::request::RawCodeGeneratorRequest {
        file_to_generate: vec!["a.proto".into()],
        proto_file: vec![file.encode_to_vec()],
        ..Default::default()
    };
    let err = Request::decode(&raw.encode_to_vec()).unwrap_err();
    assert!(err.contains("invalid file descriptors"), "{err}");
    // Found by the `plugin_request` fuzz target: prost-reflect panics while
    // labelling the error for these 12 bytes; still just an error here.
    let err = Request::decode(b"\x7a\x0a\x62\x01\x5a\x62\x01\x5a\x62\x02\x01\x5a").unwrap_err();
    assert!(err.contains("invalid file descriptors"), "{err}");
    // Also the fuzzer's: a file that publicly imports itself made prost-reflect
    // recurse until the stack overflowed.
    let cyclic = prost_types::FileDescriptorProto {
        name: Some("a.proto".into()),
        dependency: vec!["a.proto".into()],
        public_dependency: vec![0],
        ..Default::default()
    };
    let raw = protoway_codegen::request::RawCodeGeneratorRequest {
        proto_file: vec![cyclic.encode_to_vec()],
        ..Default::default()
    };
    let err = Request::decode(&raw.encode_to_vec()).unwrap_err();
    assert!(err.contains("import cycle"), "{err}");
}

/// The lazily indexed source info answers every path as decoding the whole
/// `source_code_info` does: the first location with a full span wins.
#[test]
fn source_index_matches_a_full_decode() {
    use protoway_codegen::source::SourceIndex;
    let compiled = {
        let mut compiler = protoway_codegen::compile::compiler(&[TESTDATA, PROTO]);
        compiler.open_files(["model.proto"]).unwrap();
        compiler.file_descriptor_set()
    };
    let mut paths = 0;
    for file in &compiled.file {
        let info = file.source_code_info.clone().unwrap_or_default();
        let index = SourceIndex::new(info.encode_to_vec());
        for location in &info.location {
            let first = info
                .location
                .iter()
                .find(|l| l.path == location.path && l.span.len() >= 3);
            let expected_position = first.map(|l| (l.span[0] as u32 + 1, l.span[1] as u32 + 1));
            assert_eq!(index.position(&location.path), expected_position);
            let comments = index.comments(&location.path);
            assert_eq!(
                comments.leading,
                first.and_then(|l| l.leading_comments.clone())
            );
            assert_eq!(
                comments.trailing,
                first.and_then(|l| l.trailing_comments.clone())
            );
            assert_eq!(
                comments.leading_detached,
                first
                    .map(|l| l.leading_detached_comments.clone())
                    .unwrap_or_default()
            );
            paths += 1;
        }
        // A path no location has.
        assert_eq!(index.position(&[999, 999]), None);
        assert!(index.comments(&[999]).is_empty());
    }
    assert!(paths > 100, "{paths} locations checked");
    // Bytes that do not decode lose positions, never panic.
    assert_eq!(SourceIndex::new(vec![0x0a, 0xff]).position(&[]), None);
}
