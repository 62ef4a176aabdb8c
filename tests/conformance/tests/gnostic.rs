//! gnostic's protoc-gen-openapi examples in its five option modes, compared
//! with its goldens as YAML data (not text). Prints a report: per golden,
//! equal or its differences (JSON pointers). Every example must generate
//! and our YAML must parse back to the same data as our JSON.

#![cfg(feature = "corpus")]

use protoway_codegen::compile::request_bytes;
use protoway_codegen::plugin::respond;
use serde_json::Value;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// The corpus' `conformance/gnostic`.
fn gnostic() -> String {
    let corpus = conformance::corpus::dir().unwrap_or_else(|missing| panic!("{missing}"));
    format!("{}/conformance/gnostic", corpus.display())
}

/// gnostic's `openapiTests` table (cmd/protoc-gen-openapi/plugin_test.go).
const EXAMPLES: &[&str] = &[
    "google/example/library/v1/library.proto",
    "tests/bodymapping/message.proto",
    "tests/mapfields/message.proto",
    "tests/pathparams/message.proto",
    "tests/protobuftypes/message.proto",
    "tests/rpctypes/message.proto",
    "tests/jsonoptions/message.proto",
    "tests/noannotations/message.proto",
    "tests/enumoptions/message.proto",
    "tests/openapiv3annotations/message.proto",
    "tests/allofwrap/message.proto",
    "tests/additional_bindings/message.proto",
];

/// gnostic's five modes: golden file and the options its test passes.
/// `error_schema=status` asks for gnostic's google.rpc.Status error body.
const MODES: &[(&str, &str)] = &[
    ("openapi.yaml", "naming=proto"),
    ("openapi_fq_schema_naming.yaml", "fq_schema_naming=1"),
    ("openapi_json.yaml", "version=1.2.3"),
    ("openapi_string_enum.yaml", "enum_type=string"),
    ("openapi_default_response.yaml", "default_response=true"),
];

fn generate(file: &str, parameter: &str) -> Result<String, String> {
    let includes = [
        gnostic(),
        format!("{}/third_party", gnostic()),
        format!("{}/cmd/protoc-gen-openapi/examples", gnostic()),
        format!("{ROOT}/proto"),
    ];
    let bytes = request_bytes(&[file], &includes, parameter)?;
    let response = respond(&bytes, protoc_gen_openapi::generate)?;
    if let Some(e) = response.error {
        return Err(e);
    }
    Ok(response.file[0].content.clone().unwrap_or_default())
}

/// JSON pointers where `a` and `b` differ.
fn differences(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match y.get(k) {
                    Some(w) => differences(v, w, p, out),
                    None => out.push(format!("only ours: {p}")),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(format!(
                    "only gnostic: {at}/{}",
                    k.replace('~', "~0").replace('/', "~1")
                ));
            }
        }
        // Parameters are compared by `in:name`, not by position.
        (Value::Array(x), Value::Array(y)) if at.ends_with("/parameters") => {
            let key = |p: &Value| {
                format!(
                    "{}:{}",
                    p["in"].as_str().unwrap_or(""),
                    p["name"].as_str().unwrap_or("")
                )
            };
            let theirs: std::collections::BTreeMap<String, &Value> =
                y.iter().map(|p| (key(p), p)).collect();
            let ours: std::collections::BTreeMap<String, &Value> =
                x.iter().map(|p| (key(p), p)).collect();
            for (k, v) in &ours {
                match theirs.get(k) {
                    Some(w) => differences(v, w, format!("{at}[{k}]"), out),
                    None => out.push(format!("only ours: {at}[{k}]")),
                }
            }
            for k in theirs.keys().filter(|k| !ours.contains_key(*k)) {
                out.push(format!("only gnostic: {at}[{k}]"));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                differences(v, w, format!("{at}/{i}"), out);
            }
        }
        _ if a == b => {}
        _ => out.push(format!("differs: {at}")),
    }
}

/// Deliberate differences from gnostic (README table), by the shape of the
/// difference line; anything else fails the test.
fn category(d: &str) -> Option<&'static str> {
    let ours = d.starts_with("only ours:");
    let theirs = d.starts_with("only gnostic:");
    let query_param = d.contains("/parameters[query:");
    Some(if d.ends_with("/summary") || d.ends_with("/description") {
        "comments: summary + description, no leading spaces, (-- --) removed (#305, #462)"
    } else if ((ours || theirs) && d.contains("/requestBody/content/application~1json/schema/"))
        || (theirs
            && d.starts_with("only gnostic: /components/schemas/")
            && d.matches('/').count() == 3)
    {
        "body: \"*\" schemas leave out path-bound fields, inline (#323)"
    } else if ours && d.ends_with("/requestBody/content/application~1x-www-form-urlencoded") {
        "form bodies of plain messages listed beside JSON (the server binds them)"
    } else if d.starts_with("differs:") && d.ends_with("/format") {
        "bytes use OpenAPI's `byte` format (base64), not `bytes`"
    } else if ours && (d.ends_with("/x-proto3-optional") || d.ends_with("/x-oneof")) {
        "proto3 optional and oneof members marked (#251)"
    } else if ours && d.ends_with("/minLength") {
        "REQUIRED strings are non-empty (proto3 has no absent string)"
    } else if ours && d.ends_with("/format") {
        "int64/uint64 carry their format"
    } else if d.ends_with("/responses/200/content/application~1json") {
        "google.protobuf.Empty replies are JSON objects"
    } else if d.contains("content/*~1*")
        || (theirs && d.ends_with("/requestBody/content/application~1json"))
    {
        "HttpBody is raw */* bytes"
    } else if query_param && ours && d.ends_with("/required") {
        "REQUIRED query parameters (#379, #427)"
    } else if query_param
        && ((ours && (d.ends_with("]") || d.ends_with("/content")))
            || (theirs && d.ends_with("/schema")))
    {
        "query forms the server reads: maps as deepObject, Struct/Value as JSON text"
    } else if query_param && theirs && d.ends_with("]") {
        "repeated Struct/Value have no query form"
    } else if d.ends_with("/operationId") {
        "additional bindings get their own operationId (#372)"
    } else if d.contains("/components/schemas/")
        && (d.contains("TimeZone")
            || d.contains("DateTime")
            || d.ends_with("/Date")
            || d.ends_with(".Date")
            || (ours && d.ends_with("/allOf"))
            || (theirs && (d.ends_with("/type") || d.ends_with("/format"))))
    {
        "google.type.Date/DateTime are objects"
    } else {
        return None;
    })
}

#[test]
fn gnostic_examples_report() {
    let mut categories: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut unexplained: Vec<String> = Vec::new();
    let examples = format!("{}/cmd/protoc-gen-openapi/examples", gnostic());
    let (mut equal, mut different, mut goldens) = (0, 0, 0);
    let mut rejected = Vec::new();
    let mut report = String::new();
    for example in EXAMPLES {
        let dir = std::path::Path::new(example).parent().unwrap();
        for (golden, options) in MODES {
            let path = format!("{examples}/{}/{golden}", dir.display());
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            goldens += 1;
            let theirs: Value = serde_yaml::from_str(&text).unwrap();
            let ours_text = match generate(example, &format!("{options},error_schema=status")) {
                Ok(text) => text,
                Err(e) => {
                    rejected.push(format!("{}/{golden}", dir.display()));
                    report.push_str(&format!("REJECTED  {}/{golden}: {e}\n", dir.display()));
                    continue;
                }
            };
            let ours: Value = serde_yaml::from_str(&ours_text)
                .unwrap_or_else(|e| panic!("{example} ({options}): our YAML does not parse: {e}"));
            let json: Value = serde_json::from_str(
                &generate(
                    example,
                    &format!("{options},error_schema=status,format=json"),
                )
                .unwrap(),
            )
            .unwrap();
            assert_eq!(ours, json, "{example}: YAML and JSON outputs differ");
            let mut diffs = Vec::new();
            differences(&ours, &theirs, String::new(), &mut diffs);
            if diffs.is_empty() {
                equal += 1;
                report.push_str(&format!("EQUAL     {}/{golden}\n", dir.display()));
            } else {
                different += 1;
                report.push_str(&format!(
                    "DIFFERENT {}/{golden}: {} differences\n",
                    dir.display(),
                    diffs.len()
                ));
                for d in &diffs {
                    match category(d) {
                        Some(c) => *categories.entry(c).or_default() += 1,
                        None => unexplained.push(format!("{}/{golden}: {d}", dir.display())),
                    }
                    report.push_str(&format!("    {d}\n"));
                }
            }
        }
    }
    println!("{report}");
    println!(
        "gnostic goldens: {goldens}, equal {equal}, different {different}, rejected {}",
        rejected.len()
    );
    for (c, n) in &categories {
        println!("  {n:4} x {c}");
    }
    assert!(
        unexplained.is_empty(),
        "differences that are not deliberate:\n{}",
        unexplained.join("\n")
    );
    assert_eq!(goldens, 52);
    // allofwrap, noannotations, enumoptions and openapiv3annotations bind
    // `{message_id}`, a field their message does not have: the server
    // generator rejects such a rule, so the document does too.
    let rejected_examples: std::collections::BTreeSet<&str> = rejected
        .iter()
        .map(|r| r.rsplit_once('/').unwrap().0)
        .collect();
    assert_eq!(
        rejected_examples.into_iter().collect::<Vec<_>>(),
        [
            "tests/allofwrap",
            "tests/enumoptions",
            "tests/noannotations",
            "tests/openapiv3annotations"
        ]
    );
}

/// Writes our document for one example and mode to stdout (debug aid):
/// `GNOSTIC_DUMP=tests/protobuftypes/message.proto,naming=proto cargo conformance --test gnostic dump -- --nocapture`
#[test]
fn dump() {
    if let Ok(spec) = std::env::var("GNOSTIC_DUMP") {
        let (file, options) = spec.split_once(',').unwrap_or((&spec, ""));
        println!(
            "{}",
            generate(file, &format!("{options},error_schema=status")).unwrap()
        );
    }
}
