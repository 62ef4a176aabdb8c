//! Runs every row of testdata/vectors/errors_and_status.json
//! against `protoway::status`.

use protoway::status::{GrpcCode, grpc_code_from_http, http_from_grpc_code};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/vectors/errors_and_status.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn rows<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no table {key}"))
}

#[test]
fn kratos_http_to_grpc_table() {
    let v = vectors();
    let table = rows(&v, "kratos_http_to_grpc");
    assert_eq!(table.len(), 14);
    for row in table {
        let status = row["http_status"].as_u64().unwrap();
        // 100000 stands for "any unlisted status"; ours are u16.
        let status = u16::try_from(status).unwrap_or(599);
        let want = row["grpc_number"].as_i64().unwrap() as i32;
        let got = grpc_code_from_http(status);
        assert_eq!(got as i32, want, "{row}");
        if let Some(name) = row["grpc_code"].as_str() {
            assert_eq!(got.name(), name);
        }
    }
}

#[test]
fn kratos_grpc_to_http_table() {
    let v = vectors();
    let table = rows(&v, "kratos_grpc_to_http");
    assert_eq!(table.len(), 18);
    for row in table {
        let number = row["grpc_number"].as_i64().unwrap() as i32;
        let want = row["http_status"].as_u64().unwrap() as u16;
        assert_eq!(
            http_from_grpc_code(GrpcCode::from_i32(number)),
            want,
            "{row}"
        );
    }
}

/// grpc-gateway's table differs from kratos' in these rows; we follow kratos
/// (the crate README lists them). The test fails if the set of differences
/// changes, so a deviation is never silent.
#[test]
fn grpc_gateway_differences_are_exactly_the_documented_ones() {
    let v = vectors();
    let mut differences = Vec::new();
    for row in rows(&v, "grpc_gateway_grpc_to_http") {
        // The "any unknown code" row has no number; 10000 stands in for it.
        let number = row["grpc_number"].as_i64().unwrap_or(10_000) as i32;
        let theirs = row["http_status"].as_u64().unwrap() as u16;
        let ours = http_from_grpc_code(GrpcCode::from_i32(number));
        if ours != theirs {
            differences.push((GrpcCode::from_i32(number).name(), theirs, ours));
        }
    }
    assert_eq!(
        differences,
        vec![("FAILED_PRECONDITION", 400, 412)],
        "{differences:?}"
    );
}
