//! The generated `BookstoreClient` against the generated server over
//! loopback: every rule form, both codecs, errors, transport failures, and
//! the client standing in for the service trait.

use std::time::Duration;

use http_it::bookstore::v1::bookstore_http::{self, Bookstore, BookstoreClient};
use http_it::bookstore::v1::*;
use http_it::google::api::HttpBody;
use http_it::store::Store;
use protoway::client::{CallOptions, Client};
use protoway::server::Request;
use protoway::wkt::{FieldMask, Timestamp};

async fn base() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, bookstore_http::router(Store))
            .await
            .unwrap()
    });
    format!("http://{addr}")
}

async fn client() -> BookstoreClient {
    BookstoreClient::connect(base().await)
}

fn query_message() -> QueryMessage {
    QueryMessage {
        double_value: 1.25,
        float_value: -2.5,
        int32_value: -7,
        int64_value: -9_007_199_254_740_993,
        uint32_value: 4_000_000_000,
        uint64_value: u64::MAX,
        sint32_value: -3,
        fixed64_value: 5,
        bool_value: true,
        string_value: "a&b=c d/é?".into(),
        bytes_value: vec![0xff, 0xfb, 0x00, b'?'],
        color: Color::Green as i32,
        tags: vec!["x".into(), "y z".into()],
        numbers: vec![1, -2],
        colors: vec![Color::Red as i32, Color::Green as i32],
        labels: [
            ("k 1".to_string(), "v&1".to_string()),
            ("k.2".into(), "".into()),
        ]
        .into(),
        counts: [("n".to_string(), 3)].into(),
        nested: Some(Nested {
            label: "n".into(),
            count: 4,
            child: Some(Box::new(Nested {
                tags: vec!["t".into()],
                ..Default::default()
            })),
            tags: vec![],
        }),
        when: Some(Timestamp {
            seconds: 1_704_164_645,
            nanos: 500_000_000,
        }),
        timeout: Some(pbjson_types::Duration {
            seconds: 1,
            nanos: 500_000_000,
        }),
        mask: Some(FieldMask::new(["book.display_name", "pages"])),
        wrapped_int: Some(pbjson_types::Int64Value { value: 12 }),
        wrapped_bool: Some(pbjson_types::BoolValue { value: false }),
        wrapped_string: Some(pbjson_types::StringValue { value: "w".into() }),
        attributes: Some(serde_json::from_str(r#"{"k":[1,"two",{"x":null}]}"#).unwrap()),
        choice: Some(query_message::Choice::ChoiceNumber(8)),
        maybe: Some(0),
    }
}

#[tokio::test]
async fn path_variables_with_reserved_characters() {
    let c = client().await;
    let shelf = c
        .get_shelf(GetShelfRequest {
            shelf: "a/b c?#%".into(),
        })
        .await
        .unwrap();
    assert_eq!(shelf.name, "shelves/a/b c?#%");
    // Literal routes still win: the client hits `/v1/shelves/special` only
    // through its own RPC.
    let special = c
        .get_special_shelf(GetShelfRequest::default())
        .await
        .unwrap();
    assert_eq!(special.theme, "special");
    // Multi-segment variable: segments encoded, `/` kept.
    let name = "shelves/s 1/books/b?x&y";
    let book = c
        .get_book(GetBookRequest { name: name.into() })
        .await
        .unwrap();
    assert_eq!(book.name, name);
    assert_eq!(book.pages, 1 << 40);
}

#[tokio::test]
async fn values_outside_the_pattern_fail_before_sending() {
    // Nothing listens here: a request that went out would be a CONNECT error.
    let c = BookstoreClient::connect("http://127.0.0.1:9");
    for name in ["", "books/1", "shelves/1/books/", "shelves/1/books/2/x"] {
        let e = c
            .get_book(GetBookRequest { name: name.into() })
            .await
            .unwrap_err();
        assert_eq!(
            (e.code(), e.reason()),
            (400, "INVALID_ARGUMENT"),
            "{name}: {e}"
        );
        assert!(e.message().contains("name"), "{e}");
    }
    let e = c.get_shelf(GetShelfRequest::default()).await.unwrap_err();
    assert_eq!(
        e.reason(),
        "INVALID_ARGUMENT",
        "empty single-segment variable: {e}"
    );
}

#[tokio::test]
async fn body_star_in_json_and_protobuf_keeps_the_status() {
    let c = client().await;
    let request = CreateShelfRequest {
        shelf: Some(Shelf {
            name: String::new(),
            theme: "t/1".into(),
        }),
        shelf_id: "s1".into(),
    };
    for options in [CallOptions::new(), CallOptions::new().protobuf()] {
        let reply = c
            .create_shelf_with(request.clone(), &options)
            .await
            .unwrap();
        assert_eq!(reply.status(), 201);
        assert_eq!(
            reply.get_ref(),
            &Shelf {
                name: "shelves/s1".into(),
                theme: "t/1".into()
            }
        );
    }
}

/// kratos #2069: a `body` naming a field sends that field as the body and
/// the rest as query parameters; the nested path field fills the path.
#[tokio::test]
async fn body_field_plus_query_plus_nested_path() {
    let c = client().await;
    let request = UpdateBookRequest {
        book: Some(Book {
            name: "shelves/1/books/2".into(),
            title: "T".into(),
            ..Default::default()
        }),
        update_mask: Some(FieldMask::new(["title", "published_at"])),
    };
    for options in [CallOptions::new(), CallOptions::new().protobuf()] {
        let book = c
            .update_book_with(request.clone(), &options)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(book.name, "shelves/1/books/2");
        assert_eq!(book.title, "T");
        // The store writes the mask it received into `author`.
        assert_eq!(book.author, "title+published_at");
    }
}

#[tokio::test]
async fn response_body_and_additional_bindings() {
    let base = base().await;
    let c = BookstoreClient::connect(base.clone());
    let request = ListBooksRequest {
        parent: "shelves/9".into(),
        page_size: 5,
        page_token: "tok".into(),
        filter: "f".into(),
    };
    let whole = c.list_books(request.clone()).await.unwrap();
    assert_eq!(whole.books[0].name, "shelves/9/books/1");
    assert_eq!(whole.next_page_token, "f");
    // The additional binding answers only its `page` field.
    let raw = Client::new(base);
    for options in [CallOptions::new(), CallOptions::new().protobuf()] {
        let page: ListBooksResponse = raw
            .call(&bookstore_http::ROUTE_LIST_BOOKS_1, &request, &options)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            page,
            ListBooksResponse {
                page: Some(Page {
                    size: 5,
                    token: "tok".into()
                }),
                ..Default::default()
            }
        );
    }
    // The second GetBook binding, `/v1/books/{name=**}`.
    let book: Book = raw
        .call(
            &bookstore_http::ROUTE_GET_BOOK_1,
            &GetBookRequest {
                name: "a/b/c".into(),
            },
            &CallOptions::new(),
        )
        .await
        .unwrap()
        .into_inner();
    assert_eq!(book.name, "a/b/c");
}

#[tokio::test]
async fn custom_verb_head_and_any_method() {
    let c = client().await;
    let book = c
        .move_book(MoveBookRequest {
            name: "shelves/1/books/2".into(),
            other_shelf: "shelves/3".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        (book.name.as_str(), book.title.as_str()),
        ("shelves/1/books/2", "shelves/3")
    );
    let head = c
        .check_shelf_with(GetShelfRequest { shelf: "1".into() }, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(head.headers()["x-shelf"], "yes");
    let e = c
        .check_shelf(GetShelfRequest {
            shelf: "missing".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), 404, "HEAD has no body, the status is kept: {e}");
    // `*` routes are called with POST; the rest goes in the query.
    let echo = c
        .echo(EchoMessage {
            id: "e1".into(),
            note: "hi".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        echo,
        EchoMessage {
            id: "e1".into(),
            note: "POST hi".into()
        }
    );
}

#[tokio::test]
async fn every_query_type_round_trips() {
    let c = client().await;
    let sent = query_message();
    assert_eq!(c.query(sent.clone()).await.unwrap(), sent);
    let proto = c
        .query_with(sent.clone(), &CallOptions::new().protobuf())
        .await
        .unwrap();
    assert_eq!(proto.headers()["content-type"], "application/x-protobuf");
    assert_eq!(proto.into_inner(), sent);
    let other = QueryMessage {
        choice: Some(query_message::Choice::ChoiceText("c".into())),
        maybe: None,
        ..Default::default()
    };
    assert_eq!(c.query(other.clone()).await.unwrap(), other);
}

#[tokio::test]
async fn int_and_enum_path_variables() {
    let c = client().await;
    let sent = NumberMessage {
        id: -5,
        kind: number_message::Kind::Prime as i32,
        extra: "x".into(),
    };
    assert_eq!(c.get_number(sent.clone()).await.unwrap(), sent);
    // Defaults still fill the path: `0` and the zero enum value.
    let zero = NumberMessage::default();
    assert_eq!(c.get_number(zero.clone()).await.unwrap(), zero);
}

#[tokio::test]
async fn http_body_in_and_out() {
    let c = client().await;
    let reply = c
        .upload(UploadRequest {
            name: "files/a".into(),
            data: Some(HttpBody {
                content_type: "image/png".into(),
                data: vec![1, 2, 3],
                extensions: vec![],
            }),
        })
        .await
        .unwrap();
    assert_eq!(reply.content_type, "text/plain");
    assert_eq!(
        String::from_utf8(reply.data).unwrap(),
        "files/a got 3 bytes of image/png"
    );
    let raw = HttpBody {
        content_type: "text/csv".into(),
        data: b"a,b\n1,2".to_vec(),
        extensions: vec![],
    };
    assert_eq!(c.raw_echo(raw.clone()).await.unwrap(), raw);
}

#[tokio::test]
async fn errors_with_metadata_in_both_codecs() {
    let c = client().await;
    for options in [CallOptions::new(), CallOptions::new().protobuf()] {
        let e = c
            .get_shelf_with(
                GetShelfRequest {
                    shelf: "missing".into(),
                },
                &options,
            )
            .await
            .unwrap_err();
        assert_eq!((e.code(), e.reason()), (404, "SHELF_NOT_FOUND"));
        assert_eq!(e.message(), "shelf missing not found");
        assert_eq!(
            e.metadata().get("shelf").map(String::as_str),
            Some("missing")
        );
        assert!(is_shelf_not_found(&e));
    }
}

#[tokio::test]
async fn non_error_bodies_and_transport_failures() {
    // A proxy answering 502 with HTML.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let proxy = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::BAD_GATEWAY,
            "<html>upstream down</html>",
        )
    });
    tokio::spawn(async move { axum::serve(listener, proxy).await.unwrap() });
    let c = BookstoreClient::connect(format!("http://{addr}"));
    let e = c
        .get_shelf(GetShelfRequest { shelf: "1".into() })
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.reason(), e.message()),
        (502, "BAD_GATEWAY", "<html>upstream down</html>")
    );

    // Nothing listening: CONNECT.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let e = BookstoreClient::connect(format!("http://{closed}"))
        .get_shelf(GetShelfRequest { shelf: "1".into() })
        .await
        .unwrap_err();
    assert_eq!(e.reason(), "CONNECT", "{e}");

    // A server that accepts and never answers: TIMEOUT.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let e = BookstoreClient::connect(format!("http://{silent_addr}"))
        .get_shelf_with(
            GetShelfRequest { shelf: "1".into() },
            &CallOptions::new().timeout(Duration::from_millis(100)),
        )
        .await
        .unwrap_err();
    assert_eq!(e.reason(), "TIMEOUT", "{e}");
    drop(silent);
}

/// Code written against the trait runs on the in-process store and on the
/// HTTP client alike, and the client forwards request headers.
#[tokio::test]
async fn the_client_stands_in_for_the_service() {
    async fn titles<S: Bookstore>(service: &S) -> (String, String) {
        let mut request = Request::new(GetBookRequest {
            name: "shelves/1/books/2".into(),
        });
        request
            .headers_mut()
            .insert("x-trace", http::HeaderValue::from_static("t1"));
        let book = service.get_book(request).await.unwrap().into_inner();
        let moved = service
            .move_book(Request::new(MoveBookRequest {
                name: book.name.clone(),
                other_shelf: "shelves/9".into(),
            }))
            .await
            .unwrap()
            .into_inner();
        (book.name, moved.title)
    }
    let local = titles(&Store).await;
    let remote = titles(&client().await).await;
    assert_eq!(local, remote);
    assert_eq!(
        remote,
        ("shelves/1/books/2".to_string(), "shelves/9".to_string())
    );
}

/// A method without an HTTP rule is in the trait all the same: the
/// generated client calls it over Connect at its operation path, in both
/// codecs, and reads a Connect error back with its reason and metadata.
#[tokio::test]
async fn a_method_without_http_rules_is_called_over_connect() {
    let base = base().await;
    for client in [
        BookstoreClient::connect(base.clone()),
        BookstoreClient::with_client(Client::new(base.clone())),
    ] {
        let shelf = client
            .internal(GetShelfRequest { shelf: "7".into() })
            .await
            .unwrap();
        assert_eq!(shelf.name, "internal/7");
        assert_eq!(shelf.theme, bookstore_http::OPERATION_INTERNAL);
    }
    let protobuf = BookstoreClient::connect(base.clone());
    let reply = protobuf
        .internal_with(
            GetShelfRequest { shelf: "8".into() },
            &CallOptions::new().protobuf(),
        )
        .await
        .unwrap();
    assert_eq!(reply.headers()["content-type"], "application/proto");
    assert_eq!(reply.into_inner().name, "internal/8");
    let err = protobuf
        .internal(GetShelfRequest {
            shelf: "missing".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (
            err.code(),
            err.reason(),
            err.metadata().get("shelf").map(String::as_str)
        ),
        (404, "SHELF_NOT_FOUND", Some("missing"))
    );
}

#[tokio::test]
async fn a_server_stream_arrives_as_a_stream_of_replies_ending_at_an_error() {
    let c = client().await;
    let mut shelves = c
        .watch_shelf(GetShelfRequest { shelf: "7".into() })
        .await
        .unwrap();
    let mut themes = Vec::new();
    while let Some(shelf) = shelves.message().await.unwrap() {
        assert_eq!(shelf.name, "shelves/7");
        themes.push(shelf.theme);
    }
    assert_eq!(themes, ["v1", "v2", "v3"]);

    // The error line ends the stream as an Error with its code and reason.
    let mut shelves = c
        .watch_shelf(GetShelfRequest {
            shelf: "broken".into(),
        })
        .await
        .unwrap();
    assert_eq!(shelves.message().await.unwrap().unwrap().theme, "v1");
    let error = shelves.message().await.unwrap_err();
    assert_eq!((error.code(), error.reason()), (503, "SHELF_OFFLINE"));
    assert!(shelves.message().await.unwrap().is_none());

    // Through the trait, as an in-process service would be called.
    let reply = Bookstore::watch_shelf(&c, Request::new(GetShelfRequest { shelf: "8".into() }))
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let mut stream = reply.into_inner();
    assert_eq!(stream.message().await.unwrap().unwrap().name, "shelves/8");
}
