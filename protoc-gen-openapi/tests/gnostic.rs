//! gnostic's protoc-gen-openapi examples in its five option modes, compared
//! with its goldens as YAML data (not text). Prints a report: per golden,
//! equal or its differences (JSON pointers). Every example must generate
//! and our YAML must parse back to the same data as our JSON.

use protoway_codegen::compile::request_bytes;
use protoway_codegen::plugin::respond;
use serde_json::Value;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const GNOSTIC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/conformance/gnostic"
);

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
        GNOSTIC.to_string(),
        format!("{GNOSTIC}/third_party"),
        format!("{GNOSTIC}/cmd/protoc-gen-openapi/examples"),
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
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                differences(v, w, format!("{at}/{i}"), out);
            }
        }
        _ if a == b => {}
        _ => out.push(format!("differs: {at}")),
    }
}

#[test]
fn gnostic_examples_report() {
    let examples = format!("{GNOSTIC}/cmd/protoc-gen-openapi/examples");
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
