//! grpc-gateway's a_bit_of_everything.proto as a generated protoway server,
//! over loopback: nested body fields, comma-separated repeated path fields,
//! a string body field with additional bindings, and 501 from the default
//! stubs of methods this test does not implement.

#![cfg(feature = "corpus")]

use conformance::gateway::grpc::gateway::examples::internal::proto::examplepb::{
    ABitOfEverythingRepeated, NestedBodyOneof, NestedBodyOneofRequest,
    a_bit_of_everything_service_http::{self, ABitOfEverythingService},
};
use conformance::gateway::grpc::gateway::examples::internal::proto::sub::StringMessage;
use protoway::Error;
use protoway::server::{Request, Response};
use serde_json::{Value, json};

struct Service;

impl ABitOfEverythingService for Service {
    async fn create_nested_body_oneof(
        &self,
        request: Request<NestedBodyOneofRequest>,
    ) -> Result<Response<NestedBodyOneof>, Error> {
        Ok(request.into_inner().payload.unwrap_or_default().into())
    }

    async fn get_repeated_query(
        &self,
        request: Request<ABitOfEverythingRepeated>,
    ) -> Result<Response<ABitOfEverythingRepeated>, Error> {
        Ok(request.into_inner().into())
    }

    async fn echo(
        &self,
        request: Request<StringMessage>,
    ) -> Result<Response<StringMessage>, Error> {
        Ok(request.into_inner().into())
    }
}

async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = a_bit_of_everything_service_http::router(Service);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

async fn call(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn nested_body_field_is_the_body() {
    let base = serve().await;
    let client = reqwest::Client::new();
    let url = format!("{base}/v1/example/a_bit_of_everything/nested_body_oneof");
    let (status, v) = call(
        client
            .post(&url)
            .header("content-type", "application/json")
            .body(r#""hello""#),
    )
    .await;
    assert_eq!((status, v), (200, json!({"inputValue": "hello"})));
    // The body is one JSON value: it cannot close the field it is the
    // value of and set others (the server reads it as `{"payload":
    // {"inputValue": <body>}}`).
    for hostile in [
        r#""a"}, "other": {"x": 1"#,
        r#""a"}}, {"payload": {"inputValue": "b""#,
        r#""a" "b""#,
        "",
    ] {
        let (status, v) = call(
            client
                .post(&url)
                .header("content-type", "application/json")
                .body(hostile),
        )
        .await;
        if hostile.is_empty() {
            assert_eq!((status, &v), (200, &json!({})), "{hostile}");
        } else {
            assert_eq!(status, 400, "{hostile}: {v}");
            assert_eq!(v["reason"], "INVALID_ARGUMENT", "{hostile}: {v}");
        }
    }
    // A string field has no protobuf body form.
    let (status, v) = call(
        client
            .post(&url)
            .header("content-type", "application/x-protobuf")
            .body("x"),
    )
    .await;
    assert_eq!(status, 415, "{v}");
}

#[tokio::test]
async fn repeated_path_fields_are_comma_separated() {
    let base = serve().await;
    let segments = [
        "1.5,2.5",
        "3.5",
        "-1,2",
        "4",
        "5,6",
        "7",
        "8",
        "true,false",
        "a,b%2Cc",
        "YWJj,ZGVm",
        "9",
        "ONE,ZERO",
        "-10",
        "11",
        "-12",
        "13",
    ];
    let url = format!(
        "{base}/v1/example/a_bit_of_everything_repeated/{}",
        segments.join("/")
    );
    let (status, v) = call(reqwest::Client::new().get(&url)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v,
        json!({
            "pathRepeatedFloatValue": [1.5, 2.5], "pathRepeatedDoubleValue": [3.5],
            "pathRepeatedInt64Value": ["-1", "2"], "pathRepeatedUint64Value": ["4"],
            "pathRepeatedInt32Value": [5, 6], "pathRepeatedFixed64Value": ["7"],
            "pathRepeatedFixed32Value": [8], "pathRepeatedBoolValue": [true, false],
            // `%2C` decodes to a comma after the split, as grpc-gateway.
            "pathRepeatedStringValue": ["a", "b", "c"],
            "pathRepeatedBytesValue": ["YWJj", "ZGVm"], "pathRepeatedUint32Value": [9],
            "pathRepeatedEnumValue": ["ONE", "ZERO"], "pathRepeatedSfixed32Value": [-10],
            "pathRepeatedSfixed64Value": ["11"], "pathRepeatedSint32Value": [-12],
            "pathRepeatedSint64Value": ["13"],
        })
    );
    // One bad item names the parameter.
    let bad = url.replace("/true,false/", "/true,maybe/");
    let (status, v) = call(reqwest::Client::new().get(&bad)).await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("path_repeated_bool_value"),
        "{v}"
    );
}

#[tokio::test]
async fn string_body_field_and_additional_bindings() {
    let base = serve().await;
    let client = reqwest::Client::new();
    let (status, v) = call(client.get(format!(
        "{base}/v1/example/a_bit_of_everything/echo/hi%20there"
    )))
    .await;
    assert_eq!((status, v), (200, json!({"value": "hi there"})));
    let (status, v) = call(
        client
            .post(format!("{base}/v2/example/echo"))
            .header("content-type", "application/json")
            .body(r#""posted""#),
    )
    .await;
    assert_eq!((status, v), (200, json!({"value": "posted"})));
    let (status, v) = call(client.get(format!("{base}/v2/example/echo?value=q"))).await;
    assert_eq!((status, v), (200, json!({"value": "q"})));
}

#[tokio::test]
async fn unimplemented_methods_answer_501() {
    let base = serve().await;
    let (status, v) = call(
        reqwest::Client::new().delete(format!("{base}/v1/example/a_bit_of_everything/some-uuid")),
    )
    .await;
    assert_eq!(status, 501, "{v}");
    assert_eq!(v["reason"], "UNIMPLEMENTED");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("ABitOfEverythingService/Delete"),
        "{v}"
    );
}

/// Every integer encoding (zigzag, fixed, sfixed) bound from query text the
/// way the server does, through protobuf wire bytes, reads back as given.
#[test]
fn integer_encodings_bind_through_wire_bytes() {
    use protoway::internals::bind::JsonBuilder;
    let query = "path_repeated_sint32_value=-12&path_repeated_sint32_value=2147483647\
        &path_repeated_sint64_value=-13&path_repeated_sint64_value=-9223372036854775808\
        &path_repeated_sfixed32_value=-10&path_repeated_sfixed64_value=-11\
        &path_repeated_fixed32_value=4294967295&path_repeated_fixed64_value=18446744073709551615\
        &path_repeated_uint32_value=9&path_repeated_int64_value=-1&path_repeated_enum_value=ONE";
    let mut builder = JsonBuilder::new();
    builder
        .query(
            a_bit_of_everything_service_http::ROUTE_GET_REPEATED_QUERY_0.request,
            query,
            &[],
        )
        .unwrap();
    assert!(builder.to_protobuf().is_some(), "takes the wire path");
    let mut message = ABitOfEverythingRepeated::default();
    protoway::message::replace_with_params(&mut message, builder).unwrap();
    assert_eq!(
        serde_json::to_value(&message).unwrap(),
        json!({
            "pathRepeatedSint32Value": [-12, 2147483647],
            "pathRepeatedSint64Value": ["-13", "-9223372036854775808"],
            "pathRepeatedSfixed32Value": [-10], "pathRepeatedSfixed64Value": ["-11"],
            "pathRepeatedFixed32Value": [4294967295u32],
            "pathRepeatedFixed64Value": ["18446744073709551615"],
            "pathRepeatedUint32Value": [9], "pathRepeatedInt64Value": ["-1"],
            "pathRepeatedEnumValue": ["ONE"],
        })
    );
}
