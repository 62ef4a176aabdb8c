//! Rust keywords in proto names (service `Type`, methods `Match` and
//! `Async`, message `Self`, fields `type`/`ref`/`mod`): the generated server
//! compiles and binds them by their proto names.

use http_it::keywords::v1::type_http::{self, Type, TypeClient};
use http_it::keywords::v1::{Mod, Self_, self_};
use protoway::Error;
use protoway::server::{Request, Response};
use serde_json::{Value, json};

struct Keywords;

impl Type for Keywords {
    async fn r#match(&self, request: Request<Self_>) -> Result<Response<Self_>, Error> {
        Ok(request.into_inner().into())
    }
    async fn get_snake(&self, request: Request<Self_>) -> Result<Response<Self_>, Error> {
        Ok(request.into_inner().into())
    }
    async fn r#async(&self, request: Request<Self_>) -> Result<Response<Self_>, Error> {
        let mut m = request.into_inner();
        m.kind = self_::Type::Fn as i32;
        m.r#mod = Some(Mod { r#loop: "l".into() });
        Ok(m.into())
    }
}

#[tokio::test]
async fn keyword_names_round_trip() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, type_http::router(Keywords))
            .await
            .unwrap()
    });
    let client = reqwest::Client::new();
    let v: Value = serde_json::from_slice(
        &client
            .get(format!("{base}/v1/match/t1?ref=r1&kind=FN&mod.loop=x"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        v,
        json!({"type": "t1", "ref": "r1", "kind": "FN", "mod": {"loop": "x"}})
    );
    let response = client
        .post(format!("{base}/v1/async/r2"))
        .header("content-type", "application/json")
        .body(r#"{"type":"t2"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let v: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(
        v,
        json!({"type": "t2", "ref": "r2", "kind": "FN", "mod": {"loop": "l"}})
    );
    assert_eq!(type_http::OPERATION_MATCH, "/keywords.v1.Type/Match");
}

/// kratos' client drops snake_case path variables (issues 2857, 3303, 3560,
/// 3731): here they and a nested one reach the server.
#[tokio::test]
async fn client_fills_snake_case_and_nested_path_variables() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, type_http::router(Keywords))
            .await
            .unwrap()
    });
    let client = TypeClient::connect(base);
    let sent = Self_ {
        snake_case_id: "id 7/x".into(),
        r#mod: Some(Mod {
            r#loop: "l1".into(),
        }),
        r#type: "t".into(),
        kind: self_::Type::Fn as i32,
        ..Default::default()
    };
    assert_eq!(client.get_snake(sent.clone()).await.unwrap(), sent);
    assert_eq!(client.r#match(sent.clone()).await.unwrap(), sent);
}
