//! Property: any QueryMessage (every scalar width, strings with reserved
//! and non-ASCII characters, bytes, enums, repeated fields, maps, nested
//! messages, WKTs, oneofs, proto3 optional) sent by the generated client
//! comes back equal through the generated server, in JSON and in protobuf.
//! Also EchoMessage through the `*` route, whose id is a path variable.

use std::sync::OnceLock;

use http_it::bookstore::v1::bookstore_http::{self, BookstoreClient};
use http_it::bookstore::v1::*;
use http_it::store::Store;
use proptest::collection::{btree_map, hash_map, vec};
use proptest::prelude::*;
use protoway::client::CallOptions;
use protoway::wkt::{FieldMask, Timestamp};

/// One server and runtime for every case.
fn harness() -> &'static (tokio::runtime::Runtime, BookstoreClient) {
    static HARNESS: OnceLock<(tokio::runtime::Runtime, BookstoreClient)> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let base = rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move {
                axum::serve(listener, bookstore_http::router(Store))
                    .await
                    .unwrap()
            });
            format!("http://{addr}")
        });
        (rt, BookstoreClient::connect(base))
    })
}

fn text() -> impl Strategy<Value = String> {
    // Any characters, reserved ones and multi-byte UTF-8 included.
    prop_oneof!["[a-z]{0,6}", "\\PC{0,12}", "[ &=+%#?/.,\\[\\]]{0,6}"]
}

fn color() -> impl Strategy<Value = i32> {
    0..3i32
}

fn nested() -> impl Strategy<Value = Nested> {
    let leaf = (text(), any::<i32>(), vec(text(), 0..3)).prop_map(|(label, count, tags)| Nested {
        label,
        count,
        child: None,
        tags,
    });
    leaf.prop_recursive(2, 4, 1, |inner| {
        (text(), any::<i32>(), inner, vec(text(), 0..3)).prop_map(|(label, count, child, tags)| {
            Nested {
                label,
                count,
                child: Some(Box::new(child)),
                tags,
            }
        })
    })
}

fn snake_path() -> impl Strategy<Value = String> {
    "[a-z]{1,5}(_[a-z]{1,5}){0,2}(\\.[a-z]{1,5}(_[a-z]{1,5}){0,1}){0,1}"
}

fn struct_value() -> impl Strategy<Value = pbjson_types::Struct> {
    btree_map(
        "[a-z]{1,4}",
        prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            (-1000i32..1000).prop_map(serde_json::Value::from),
            "[a-z ]{0,5}".prop_map(serde_json::Value::from)
        ],
        0..4,
    )
    .prop_map(|m| {
        serde_json::from_value(serde_json::Value::Object(m.into_iter().collect())).unwrap()
    })
}

prop_compose! {
    fn scalars()(
        double_value in any::<f64>().prop_filter("finite", |f| f.is_finite()),
        float_value in any::<f32>().prop_filter("finite", |f| f.is_finite()),
        int32_value in any::<i32>(),
        int64_value in any::<i64>(),
        uint32_value in any::<u32>(),
        uint64_value in any::<u64>(),
        sint32_value in any::<i32>(),
        fixed64_value in any::<u64>(),
        bool_value in any::<bool>(),
        string_value in text(),
        bytes_value in vec(any::<u8>(), 0..12),
        color in color(),
    ) -> QueryMessage {
        QueryMessage {
            double_value, float_value, int32_value, int64_value, uint32_value, uint64_value,
            sint32_value, fixed64_value, bool_value, string_value, bytes_value, color,
            ..Default::default()
        }
    }
}

prop_compose! {
    fn query_message()(
        base in scalars(),
        tags in vec(text(), 0..4),
        numbers in vec(any::<i32>(), 0..4),
        colors in vec(color(), 0..4),
        labels in hash_map(text(), text(), 0..3),
        counts in hash_map("[a-z0-9]{0,4}", any::<i32>(), 0..3),
        nested in proptest::option::of(nested()),
        when in proptest::option::of((-62_135_596_800i64..253_402_300_799, 0..1_000_000_000i32)),
        timeout in proptest::option::of((-315_576_000_000i64..315_576_000_000, 0..1_000_000_000i32)),
        mask in proptest::option::of(vec(snake_path(), 0..3)),
        wrapped_int in proptest::option::of(any::<i64>()),
        wrapped_bool in proptest::option::of(any::<bool>()),
        wrapped_string in proptest::option::of(text()),
        attributes in proptest::option::of(struct_value()),
        choice in proptest::option::of(prop_oneof![
            text().prop_map(query_message::Choice::ChoiceText),
            any::<i32>().prop_map(query_message::Choice::ChoiceNumber),
        ]),
        maybe in proptest::option::of(any::<i32>()),
    ) -> QueryMessage {
        QueryMessage {
            tags, numbers, colors, labels, counts, nested,
            when: when.map(|(seconds, nanos)| Timestamp { seconds, nanos }),
            // A Duration's nanos carry the sign of its seconds.
            timeout: timeout.map(|(seconds, nanos)| pbjson_types::Duration {
                seconds,
                nanos: if seconds < 0 { -nanos } else { nanos },
            }),
            mask: mask.map(FieldMask::new),
            wrapped_int: wrapped_int.map(|value| pbjson_types::Int64Value { value }),
            wrapped_bool: wrapped_bool.map(|value| pbjson_types::BoolValue { value }),
            wrapped_string: wrapped_string.map(|value| pbjson_types::StringValue { value }),
            attributes, choice, maybe,
            ..base
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn query_messages_round_trip(sent in query_message(), protobuf in any::<bool>()) {
        let (rt, client) = harness();
        let options = if protobuf { CallOptions::new().protobuf() } else { CallOptions::new() };
        let got = rt.block_on(client.query_with(sent.clone(), &options)).unwrap().into_inner();
        prop_assert_eq!(got, sent);
    }

    #[test]
    fn path_and_query_strings_round_trip(
        id in "\\PC{1,12}".prop_filter("dot-segments cannot be sent", |s| s != "." && s != ".."),
        note in text(),
        protobuf in any::<bool>(),
    ) {
        let (rt, client) = harness();
        let options = if protobuf { CallOptions::new().protobuf() } else { CallOptions::new() };
        let sent = EchoMessage { id: id.clone(), note: note.clone() };
        let got = rt.block_on(client.echo_with(sent, &options)).unwrap().into_inner();
        prop_assert_eq!(got, EchoMessage { id, note: format!("POST {note}") });
    }
}
