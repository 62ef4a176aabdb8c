//! Property: binding query parameters straight to protobuf wire bytes gives
//! the same message, or the same rejection, as binding them through the
//! message's JSON mapping — replacing a fresh message (GET) and merging over
//! a decoded body (POST with parameters). Queries mix every integer width's
//! plain and unusual spellings, bools, enum names and numbers, strings,
//! repeated and nested fields, a oneof and a proto3 `optional`.

use http_it::bookstore::v1::bookstore_http::ROUTE_QUERY_0;
use http_it::bookstore::v1::{Nested, QueryMessage};
use proptest::collection::vec;
use proptest::prelude::*;
use prost::Message;
use protoway::internals::bind::{JsonBuilder, ParamTarget, finish_into};
use protoway::message::{merge_params, replace_with_params};

/// The reference: parameters applied through the message's JSON mapping
/// only (a target that does not take protobuf bytes).
struct JsonOnly {
    message: QueryMessage,
    merge: bool,
}

impl ParamTarget for JsonOnly {
    fn apply(&mut self, json: &[u8]) -> Result<(), String> {
        let overlay: QueryMessage = serde_json::from_slice(json).map_err(|e| e.to_string())?;
        if self.merge {
            self.message
                .merge(overlay.encode_to_vec().as_slice())
                .map_err(|e| e.to_string())
        } else {
            self.message = overlay;
            Ok(())
        }
    }

    fn rejects(&mut self, json: &[u8]) -> Option<String> {
        serde_json::from_slice::<QueryMessage>(json)
            .err()
            .map(|e| e.to_string())
    }
}

type Outcome = Result<QueryMessage, u16>;

fn builder(query: &str) -> Result<JsonBuilder<'_>, u16> {
    let mut builder = JsonBuilder::new();
    builder
        .query(ROUTE_QUERY_0.request, query, &[])
        .map_err(|e| e.code())?;
    Ok(builder)
}

/// Through the JSON mapping only.
fn bind_json(query: &str, start: &QueryMessage, merge: bool) -> Outcome {
    let mut target = JsonOnly {
        message: start.clone(),
        merge,
    };
    if !(merge && builder(query)?.is_empty()) {
        finish_into(builder(query)?, &mut target).map_err(|e| e.code())?;
    }
    Ok(target.message)
}

/// As the server binds: the runtime's own functions.
fn bind_server(query: &str, start: &QueryMessage, merge: bool) -> Outcome {
    let mut message = start.clone();
    let builder = builder(query)?;
    if merge {
        merge_params(&mut message, builder).map_err(|e| e.code())?;
    } else {
        replace_with_params(&mut message, builder).map_err(|e| e.code())?;
    }
    Ok(message)
}

/// Whether the query takes the wire path.
fn plain(query: &str) -> bool {
    builder(query).unwrap().to_protobuf().is_some()
}

fn key() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "int32Value",
        "int64_value",
        "uint32Value",
        "uint64_value",
        "sint32Value",
        "fixed64Value",
        "boolValue",
        "string_value",
        "color",
        "tags",
        "numbers",
        "colors",
        "nested.label",
        "nested.count",
        "nested.tags",
        "nested.child.count",
        "nested.child.label",
        "choiceText",
        "choice_number",
        "maybe",
    ])
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i32>().prop_map(|n| n.to_string()),
        (-3i32..3).prop_map(|n| n.to_string()),
        prop::sample::select(vec![
            "0",
            "-0",
            "007",
            "+5",
            "1e2",
            "1.0",
            "",
            "abc",
            "true",
            "false",
            "1",
            "t",
            "F",
            "RED",
            "GREEN",
            "COLOR_UNSPECIFIED",
            "PURPLE",
            "%2D1",
            "a%20b",
            "x+y",
            "%ZZ",
            "4294967296",
            "-2147483649",
            "18446744073709551616",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,8}".prop_map(|s| s.replace(['&', '=', '%', '+', '#'], "_")),
    ]
}

fn body() -> impl Strategy<Value = QueryMessage> {
    (
        any::<i32>(),
        "[a-z]{0,4}",
        vec("[a-z]{0,3}", 0..3),
        any::<bool>(),
    )
        .prop_map(|(n, label, tags, has_nested)| QueryMessage {
            int32_value: n,
            string_value: label.clone(),
            tags,
            numbers: vec![n, 1],
            nested: has_nested.then(|| Nested {
                label,
                count: n,
                child: None,
                tags: vec!["t".into()],
            }),
            maybe: Some(n),
            ..Default::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn wire_binding_equals_json_binding(
        pairs in vec((key(), value()), 0..6),
        body in body(),
        merge in any::<bool>(),
    ) {
        let query = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let start = if merge { body } else { QueryMessage::default() };
        prop_assert_eq!(
            bind_server(&query, &start, merge),
            bind_json(&query, &start, merge),
            "query {:?}",
            query
        );
    }
}

/// The property above is not vacuous: plain values do take the wire path,
/// and the unusual spellings take the JSON path.
#[test]
fn plain_values_take_the_wire_path() {
    let start = QueryMessage::default();
    for query in [
        "int32Value=-5&uint64_value=18446744073709551615&sint32Value=-2147483648",
        "fixed64Value=7&boolValue=true&color=RED&colors=1&colors=GREEN",
        "nested.child.label=x&nested.count=0&choiceText=&maybe=0&tags=a&tags=b",
    ] {
        assert!(plain(query), "{query}");
        let bound = bind_server(query, &start, false);
        assert!(bound.is_ok(), "{query}");
        assert_eq!(bound, bind_json(query, &start, false), "{query}");
    }
    for query in [
        "int32Value=1e2",
        "int64_value=007",
        "uint32Value=+5",
        "double_value=1",
    ] {
        assert!(!plain(query), "{query}");
    }
    // Defaults: written for oneof members and proto3 optional, not for
    // implicit-presence fields (a merge keeps the body's value, as JSON does).
    let bound = bind_server("choice_number=0&maybe=0&int32Value=0", &start, false).unwrap();
    assert_eq!(bound.maybe, Some(0));
    assert!(bound.choice.is_some());
    let body = QueryMessage {
        int32_value: 9,
        ..Default::default()
    };
    assert_eq!(
        bind_server("int32Value=0", &body, true)
            .unwrap()
            .int32_value,
        9
    );
}
