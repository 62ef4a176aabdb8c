//! Each plugin parameter changes the document the way it says, on the
//! library example and the bookstore testdata.

use protoway_codegen::compile::request_bytes;
use protoway_codegen::plugin::respond;
use serde_json::Value;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn generate(files: &[&str], parameter: &str) -> Vec<(String, String)> {
    let includes = [
        format!("{ROOT}/examples/library/proto"),
        format!("{ROOT}/testdata/http"),
        format!("{ROOT}/proto"),
    ];
    let bytes = request_bytes(files, &includes, parameter).unwrap();
    let response = respond(&bytes, protoc_gen_openapi::generate).unwrap();
    assert_eq!(response.error, None);
    response
        .file
        .into_iter()
        .map(|f| (f.name.unwrap(), f.content.unwrap()))
        .collect()
}

fn document(parameter: &str) -> Value {
    let files = generate(
        &["library/v1/library.proto"],
        &format!("format=json,{parameter}"),
    );
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].0, "openapi.json");
    serde_json::from_str(&files[0].1).unwrap()
}

#[test]
fn defaults_describe_the_protoway_server() {
    let doc = document("");
    assert_eq!(doc["openapi"], "3.0.3");
    assert_eq!(doc["info"]["title"], "LibraryService API");
    assert_eq!(doc["info"]["version"], "0.0.1");
    let get = &doc["paths"]["/v1/shelves/{shelf}/books/{book}"]["get"];
    assert_eq!(get["operationId"], "LibraryService_GetBook");
    let error = &get["responses"]["default"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(error, "#/components/schemas/ProtowayError");
    let props = &doc["components"]["schemas"]["ProtowayError"]["properties"];
    for key in ["code", "reason", "message", "metadata"] {
        assert!(props.get(key).is_some(), "{key}");
    }
    // JSON names in query parameters; REQUIRED fields are required.
    let list = &doc["paths"]["/v1/shelves/{shelf}/books"]["get"]["parameters"];
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["shelf", "pageSize", "pageToken", "filter"]);
    // `(openapi.v3.property)` on a query field reaches its parameter.
    assert_eq!(
        list[2]["schema"],
        serde_json::json!({"type": "string", "pattern": "^[0-9]{0,9}$"})
    );
    let book = &doc["components"]["schemas"]["Book"];
    assert_eq!(book["required"], serde_json::json!(["title"]));
    assert_eq!(book["properties"]["title"]["minLength"], 1);
    // The :move custom verb and its body without the path-bound name.
    let mv = &doc["paths"]["/v1/shelves/{shelf}/books/{book}:move"]["post"];
    let body = &mv["requestBody"]["content"]["application/json"]["schema"]["properties"];
    assert!(
        body.get("name").is_none() && body.get("otherShelfName").is_some(),
        "{body}"
    );
}

#[test]
fn every_parameter_takes_effect() {
    let proto = document("naming=proto");
    let list = &proto["paths"]["/v1/shelves/{shelf}/books"]["get"]["parameters"];
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "page_size")
    );

    let fq = document("fq_schema_naming=true");
    assert!(fq["components"]["schemas"].get("library.v1.Book").is_some());

    let strings = generate(
        &["bookstore/v1/bookstore.proto"],
        "format=json,enum_type=string",
    );
    assert!(
        strings[0].1.contains(r#""COLOR_UNSPECIFIED","#),
        "enum names listed"
    );
    let integers = generate(&["bookstore/v1/bookstore.proto"], "format=json");
    assert!(
        !integers[0].1.contains("COLOR_UNSPECIFIED\","),
        "no names by default"
    );

    let custom = document("title=Lib,description=Books,version=2.0.0,openapi=3.1.0");
    assert_eq!(custom["info"]["title"], "Lib");
    assert_eq!(custom["info"]["description"], "Books");
    assert_eq!(custom["info"]["version"], "2.0.0");
    assert_eq!(custom["openapi"], "3.1.0");

    let quiet = document("default_response=false");
    assert!(quiet.to_string().contains("\"200\"") && !quiet.to_string().contains("\"default\""));

    let status = document("error_schema=status");
    assert!(status["components"]["schemas"].get("Status").is_some());
    assert!(
        status["components"]["schemas"]
            .get("ProtowayError")
            .is_none()
    );

    // depth=0: no message type may recur, so no nested query parameters.
    let shallow = generate(&["bookstore/v1/bookstore.proto"], "format=json,depth=0");
    let doc: Value = serde_json::from_str(&shallow[0].1).unwrap();
    let q = doc["paths"]["/v1/query"]["get"]["parameters"].to_string();
    assert!(!q.contains("nested.label"), "{q}");
    let deep = generate(&["bookstore/v1/bookstore.proto"], "format=json");
    let doc: Value = serde_json::from_str(&deep[0].1).unwrap();
    let q = doc["paths"]["/v1/query"]["get"]["parameters"].to_string();
    assert!(
        q.contains("nested.label") && q.contains("nested.child.count"),
        "{q}"
    );
}

#[test]
fn source_relative_writes_one_document_per_file() {
    let files = generate(
        &["library/v1/library.proto", "bookstore/v1/bookstore.proto"],
        "output_mode=source_relative",
    );
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "library/v1/library.openapi.yaml",
            "bookstore/v1/bookstore.openapi.yaml"
        ]
    );
    assert!(files[0].1.contains("LibraryService") && !files[0].1.contains("Bookstore"));
}

#[test]
fn bad_parameters_are_errors() {
    let bytes = request_bytes(
        &["library/v1/library.proto"],
        &[
            format!("{ROOT}/examples/library/proto"),
            format!("{ROOT}/proto"),
        ],
        "naming=snake",
    )
    .unwrap();
    let response = respond(&bytes, protoc_gen_openapi::generate).unwrap();
    assert!(response.error.unwrap().contains("naming"));
}

/// gnostic's openapi.v3 annotations merge into the document, the operation,
/// the message schema and the field's schema.
#[test]
fn openapi_v3_annotations_merge() {
    // protoway's own openapiv3 protos resolve the import: nothing vendored.
    let includes = [format!("{ROOT}/testdata/openapi")];
    let bytes = request_bytes(&["annotated/v1/annotated.proto"], &includes, "format=json").unwrap();
    let response = respond(&bytes, protoc_gen_openapi::generate).unwrap();
    assert_eq!(response.error, None);
    let doc: Value = serde_json::from_str(response.file[0].content.as_deref().unwrap()).unwrap();
    assert_eq!(doc["info"]["title"], "Annotated API");
    assert_eq!(doc["info"]["version"], "3.2.1");
    assert_eq!(
        doc["info"]["contact"]["url"],
        "https://example.com/protoway"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["BasicAuth"],
        serde_json::json!({"type": "http", "scheme": "basic"})
    );
    let op = &doc["paths"]["/v1/notes/{id}"]["patch"];
    assert_eq!(op["summary"], "Update one note");
    assert_eq!(op["security"], serde_json::json!([{"BasicAuth": []}]));
    assert_eq!(op["operationId"], "Notes_UpdateNote");
    let note = &doc["components"]["schemas"]["Note"];
    assert_eq!(note["title"], "A short note");
    assert_eq!(note["description"], "A note.");
    assert_eq!(note["properties"]["text"]["title"], "The text");
    assert_eq!(note["properties"]["text"]["maxLength"], 255);
    // The generated parts stay: the generated schema type, the default response.
    assert_eq!(note["properties"]["text"]["type"], "string");
    assert!(op["responses"].get("default").is_some());
}

/// buf runs the plugin once per directory: a directory of plain messages
/// gives no document, so it cannot collide with the real `openapi.yaml`.
#[test]
fn files_without_services_give_no_document() {
    for mode in ["", "output_mode=source_relative"] {
        let bytes = request_bytes(
            &["shelfmark/v1/shelfmark.proto"],
            &[format!("{ROOT}/examples/buf/proto")],
            mode,
        )
        .unwrap();
        let response = respond(&bytes, protoc_gen_openapi::generate).unwrap();
        assert_eq!(response.error, None);
        assert!(response.file.is_empty(), "{mode}: {:?}", response.file);
    }
}

/// Two bindings that tie on every request: the later is left out of the
/// document with a located warning, never silently; with `strict` an error.
#[test]
fn operations_are_never_dropped_silently() {
    let bytes = |parameter: &str| {
        request_bytes(
            &["bad/duplicate_routes.proto"],
            &[format!("{ROOT}/testdata/http"), format!("{ROOT}/proto")],
            parameter,
        )
        .unwrap()
    };
    let (response, warnings) = protoway_codegen::plugin::respond_with_warnings(
        &bytes("format=json"),
        protoc_gen_openapi::generate,
    )
    .unwrap();
    assert_eq!(response.error, None);
    let doc: Value = serde_json::from_str(response.file[0].content()).unwrap();
    assert_eq!(
        doc["paths"]["/v1/things/{name}"]["get"]["operationId"],
        "First_GetThing"
    );
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].starts_with(
        "bad/duplicate_routes.proto:14:3: method First.GetOther: GET /v1/things/{id} matches exactly the requests of GET /v1/things/{name}"
    ));
    let strict = respond(&bytes("strict"), protoc_gen_openapi::generate).unwrap();
    assert_eq!(strict.error.expect("errors").lines().count(), 2);
}

#[test]
fn streams_are_documented_with_item_schemas() {
    // 3.2: `itemSchema` on each sequential media type.
    let doc = document("openapi=3.2.0");
    assert_eq!(doc["openapi"], "3.2.0");
    let watch = &doc["paths"]["/v1/shelves/{shelf}:watch"]["get"]["responses"]["200"]["content"];
    let line = &watch["application/x-ndjson"]["itemSchema"];
    assert_eq!(
        line["properties"]["result"]["$ref"],
        "#/components/schemas/ShelfEvent"
    );
    assert_eq!(
        line["properties"]["error"]["properties"]["reason"]["type"],
        "string"
    );
    let event = &watch["text/event-stream"]["itemSchema"];
    assert_eq!(
        event["properties"]["data"]["contentSchema"]["$ref"],
        "#/components/schemas/ShelfEvent"
    );
    assert!(watch["application/x-ndjson"].get("schema").is_none());
    let create = &doc["paths"]["/v1/books:batchCreate"]["post"]["requestBody"]["content"];
    assert_eq!(
        create["application/x-ndjson"]["itemSchema"]["$ref"],
        "#/components/schemas/CreateBookRequest"
    );

    // 3.0: the item as `schema` and as the `x-item-schema` extension.
    let doc = document("");
    let watch = &doc["paths"]["/v1/shelves/{shelf}:watch"]["get"]["responses"]["200"]["content"];
    let line = &watch["application/x-ndjson"];
    assert_eq!(line["schema"], line["x-item-schema"]);
    assert_eq!(
        line["schema"]["properties"]["result"]["$ref"],
        "#/components/schemas/ShelfEvent"
    );
    assert!(line.get("itemSchema").is_none());
    let description = doc["paths"]["/v1/books:check"]["post"]["description"]
        .as_str()
        .unwrap();
    assert!(description.contains("WebSocket"), "{description}");
}
