//! kratos' reason-name vectors (testdata/vectors/errors_and_status.json,
//! `case2camel`): kratos turns a reason into a Go name; our UpperCamel naming
//! (prost's, via heck) must agree on every one.

use protoway_codegen::names::to_upper_camel;

#[test]
fn case2camel_vectors() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/vectors/errors_and_status.json"
    );
    let vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = vectors["case2camel"].as_array().unwrap();
    assert_eq!(cases.len(), 8);
    for case in cases {
        let input = case["input"].as_str().unwrap();
        assert_eq!(
            to_upper_camel(input),
            case["expect"].as_str().unwrap(),
            "{input}"
        );
    }
}
