//! the corpus' conformance/vectors/query_params.json run in full against the
//! generated `QueryVectors` server over loopback: each case's raw query goes
//! to the RPC of its message, which echoes the bound request as JSON; cases
//! that exclude path-bound fields (`path_fields`) bind through the same
//! generated route tables with the runtime's binder directly, since those
//! exclusions (whole messages, repeated fields) are not legal path
//! variables. Also runs `kratos_map_key_syntax` and
//! `kratos_fieldmask_name_case`. (`encode_cases` and `kratos_value_format`
//! describe a client's encoding: `query_encode.rs` runs them.)
//!
//! Every case must agree with its peer except the deliberate deviations
//! pinned in [`DEVIATIONS`] (also listed in the README).

#![cfg(feature = "corpus")]

use std::collections::BTreeMap;

use conformance::vectors::Echo;
use conformance::vectors::grpc::gateway::runtime::internal::examplepb::Proto3Message;
use conformance::vectors::queryvectors::query_vectors_http;
use protoway::Error;
use protoway::internals::bind::{JsonBuilder, finish};
use protoway::wkt::FieldMask;
use serde_json::Value;

/// The corpus' `conformance/vectors/query_params.json`.
fn vectors() -> Value {
    let corpus = conformance::corpus::dir().unwrap_or_else(|missing| panic!("{missing}"));
    let path = corpus.join("conformance/vectors/query_params.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Cases (by index in `cases`) where protoway deliberately differs.
const DEVIATIONS: &[(usize, &str)] = &[];

/// `kratos_map_key_syntax` keys where protoway deliberately differs.
const MAP_KEY_DEVIATIONS: &[(&str, &str)] = &[(
    "map.kratos.v2",
    "everything after `m.` is the key, so string keys may hold dots (`labels.example.com`); kratos rejects the key",
)];

async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, query_vectors_http::router(Echo))
            .await
            .unwrap()
    });
    format!("http://{addr}")
}

/// What binding produced: the echoed message as JSON, or a status and body.
type Outcome = Result<Value, (u16, Value)>;

async fn over_http(client: &reqwest::Client, base: &str, path: &str, query: &str) -> Outcome {
    let response = client
        .get(format!("{base}{path}?{query}"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    if status == 200 {
        Ok(body)
    } else {
        Err((status, body))
    }
}

/// Binding with `path_fields` excluded, through the generated route's table.
fn excluding(message: &str, query: &str, path_fields: &[Vec<String>]) -> Outcome {
    assert_eq!(
        message,
        "grpc.gateway.runtime.internal.examplepb.Proto3Message"
    );
    let spec = query_vectors_http::ROUTE_PROTO3_0.request;
    let mut builder = JsonBuilder::new();
    let as_outcome = |e: Error| (e.code(), serde_json::to_value(&e).unwrap());
    let paths: Vec<Vec<&str>> = path_fields
        .iter()
        .map(|p| p.iter().map(String::as_str).collect())
        .collect();
    let excluded: Vec<&[&str]> = paths.iter().map(Vec::as_slice).collect();
    builder.query(spec, query, &excluded).map_err(as_outcome)?;
    let m: Proto3Message = finish(builder).map_err(as_outcome)?;
    Ok(serde_json::to_value(&m).unwrap())
}

/// JSON equality with numbers compared as values (`1` = `1.0`; float
/// fields widened from f32 match to 1e-6).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-6 * x.abs().max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Every key of `expected` is in `actual` with the same value.
fn subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            e.iter().all(|(k, v)| a.get(k).is_some_and(|w| same(v, w)))
        }
        _ => same(expected, actual),
    }
}

fn verdict(case: &Value, outcome: &Outcome) -> Result<(), String> {
    if case["expect_error"].as_bool() == Some(true) {
        return match outcome {
            Err((400, body)) if body["code"] == 400 && body["message"].is_string() => Ok(()),
            other => Err(format!("expected a 400 Error, got {other:?}")),
        };
    }
    let expected = &case["expect_json"];
    let json = outcome
        .as_ref()
        .map_err(|e| format!("expected {expected}, got {e:?}"))?;
    let ok = if case["match"] == "subset" {
        subset(expected, json)
    } else {
        same(expected, json)
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {expected}\n     got {json}"))
    }
}

#[tokio::test]
async fn query_params_vectors() {
    let vectors: Value = vectors();
    let base = serve().await;
    let client = reqwest::Client::new();

    let mut differing = BTreeMap::new();
    let cases = vectors["cases"].as_array().unwrap();
    for (i, case) in cases.iter().enumerate() {
        let message = case["message"].as_str().unwrap();
        let query = case["query"].as_str().unwrap();
        let path_fields: Vec<Vec<String>> = case["path_fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().split('.').map(String::from).collect())
            .collect();
        let outcome = if path_fields.is_empty() {
            let path = match message.rsplit('.').next().unwrap() {
                "Proto3Message" => "/proto3",
                "Proto2Message" => "/proto2",
                "Complex" => "/complex",
                "StructPb" => "/structpb",
                other => panic!("no route for {other}"),
            };
            over_http(&client, &base, path, query).await
        } else {
            excluding(message, query, &path_fields)
        };
        if let Err(why) = verdict(case, &outcome) {
            differing.insert(i, format!("case {i} ({}: {query}): {why}", case["source"]));
        }
    }

    let mut map_keys = BTreeMap::new();
    let key_cases = vectors["kratos_map_key_syntax"].as_array().unwrap();
    for case in key_cases {
        let key = case["key"].as_str().unwrap();
        let encoded: String = key
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        let outcome = over_http(&client, &base, "/complex", &format!("{encoded}=v")).await;
        let want = case["ok"].as_bool().unwrap();
        // Accepted means the map got an entry; where kratos accepts, it
        // must be exactly the entry kratos parses.
        let map = outcome
            .as_ref()
            .ok()
            .and_then(|json| json.get("map")?.as_object().cloned());
        let accepted = match (&map, want) {
            (Some(m), true) => {
                m.len() == 1 && m.get(case["map_key"].as_str().unwrap()) == Some(&Value::from("v"))
            }
            (Some(m), false) => !m.is_empty(),
            (None, _) => false,
        };
        if accepted != want {
            map_keys.insert(
                key.to_string(),
                format!("{key:?}: kratos ok={want}, ours {outcome:?}"),
            );
        }
    }

    let masks = vectors["kratos_fieldmask_name_case"].as_array().unwrap();
    for case in masks {
        let (camel, snake) = (
            case["camel"].as_str().unwrap(),
            case["snake"].as_str().unwrap(),
        );
        let parsed = FieldMask::from_json_text(camel);
        let want: Vec<&str> = if snake.is_empty() {
            vec![]
        } else {
            vec![snake]
        };
        assert_eq!(parsed.paths, want, "{camel}");
        assert_eq!(parsed.to_json_text().unwrap(), camel, "{snake}");
    }

    println!(
        "query_params.json: {} cases, {} equal to the peer, {} deliberate deviations; \
         kratos_map_key_syntax: {} keys, {} deviations; kratos_fieldmask_name_case: {} equal",
        cases.len(),
        cases.len() - differing.len(),
        differing.len(),
        key_cases.len(),
        map_keys.len(),
        masks.len()
    );
    for why in differing.values().chain(map_keys.values()) {
        println!("  differs: {why}");
    }
    let pinned: Vec<usize> = DEVIATIONS.iter().map(|(i, _)| *i).collect();
    assert_eq!(
        differing.keys().copied().collect::<Vec<_>>(),
        pinned,
        "unpinned differences"
    );
    let pinned_keys: Vec<&str> = MAP_KEY_DEVIATIONS.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        map_keys.keys().map(String::as_str).collect::<Vec<_>>(),
        pinned_keys
    );
}
