//! Reply: where a handler's result goes ([`ReplyTo`]), encoded per the
//! route's `response_body` in the negotiated codec; an Error as kratos'
//! JSON or its protobuf form.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::response::IntoResponse;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::Value;

use super::values::{Config, RouteState, StreamFormat};
use super::{Operation, ResponseBody, RouteSpec};
use crate::axum_support::ErrorReply;
use crate::codec::Codec;
use crate::message::EncodeMessage;
use crate::route::{ErrorProto, Response};
use crate::spec::{Cardinality, FieldSpec, Kind, MessageSpec};
use crate::{Error, wire};

/// Where a handler's reply goes: encoded as the route and the request's
/// negotiated codec say. Generated call functions end with
/// [`ReplyTo::send`].
pub struct ReplyTo {
    pub(super) spec: &'static RouteSpec,
    pub(super) config: Arc<Config>,
    pub(super) codec: Codec,
    /// An RPC transport's call: the whole reply, whatever `response_body`.
    pub(super) rpc: bool,
    /// How a stream of replies goes out ([`ReplyTo::send_stream`]).
    pub(super) stream_format: StreamFormat,
}

impl std::fmt::Debug for ReplyTo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplyTo")
            .field("operation", &self.spec.operation)
            .field("codec", &self.codec)
            .finish()
    }
}

impl ReplyTo {
    pub(super) fn new(
        route: &RouteState,
        codec: Codec,
        rpc: bool,
        stream_format: StreamFormat,
    ) -> ReplyTo {
        ReplyTo {
            spec: route.spec,
            config: route.config.clone(),
            codec,
            rpc,
            stream_format,
        }
    }

    /// The handler's outcome as the HTTP response: the message encoded
    /// (JSON or protobuf, `response_body` applied), or the error's JSON.
    pub fn send<R: EncodeMessage>(
        self,
        reply: Result<Response<R>, Error>,
    ) -> Result<axum::response::Response, Infallible> {
        let response = match reply {
            Ok(Response {
                message,
                status,
                headers,
                trailers,
            }) if self.rpc => {
                let mut response = encode_whole(self.codec, &message, status, headers);
                if !trailers.is_empty() {
                    response.extensions_mut().insert(ReplyTrailers(trailers));
                }
                response
            }
            Ok(Response {
                message,
                status,
                headers,
                ..
            }) => encode_reply(
                self.spec,
                &self.config,
                self.codec,
                &message,
                status,
                headers,
            ),
            Err(e) if self.rpc => rpc_error_response(e),
            Err(e) => error_response(self.codec, e),
        };
        Ok(with_operation(self.spec, &self.config, response))
    }
}

/// A handler's reply in `codec`, per the route's `response_body`.
pub(super) fn encode_reply(
    spec: &'static RouteSpec,
    config: &Config,
    codec: Codec,
    message: &dyn EncodeMessage,
    status: StatusCode,
    mut headers: HeaderMap,
) -> axum::response::Response {
    let encoded: Result<(HeaderValue, Vec<u8>), Error> = (|| match (&spec.response_body, codec) {
        (ResponseBody::HttpBody, _) => raw_http_body(&message.to_protobuf()),
        (ResponseBody::FieldHttpBody(f), _) => {
            let field =
                wire::extract_len_field(&message.to_protobuf(), f.number).unwrap_or_default();
            raw_http_body(&field)
        }
        (ResponseBody::Whole, Codec::Protobuf) => Ok((
            HeaderValue::from_static(codec.content_type()),
            message.to_protobuf(),
        )),
        (ResponseBody::Field(f), Codec::Protobuf) => Ok((
            HeaderValue::from_static(codec.content_type()),
            wire::extract_len_field(&message.to_protobuf(), f.number).unwrap_or_default(),
        )),
        (ResponseBody::Whole, Codec::Json) if !config.emit_defaults => Ok((
            HeaderValue::from_static(codec.content_type()),
            message.to_json().map_err(internal)?,
        )),
        (ResponseBody::Whole, Codec::Json) => {
            let mut v = json_value(message)?;
            fill_defaults(spec.reply, &mut v);
            Ok((
                HeaderValue::from_static(codec.content_type()),
                serde_json::to_vec(&v).map_err(internal)?,
            ))
        }
        (ResponseBody::Field(f), Codec::Json) => {
            let mut v = json_value(message)?;
            if config.emit_defaults {
                fill_defaults(spec.reply, &mut v);
            }
            let field = v
                .get_mut(f.json_name)
                .map(Value::take)
                .or_else(|| spec.reply.field(f.name).map(FieldSpec::unpopulated_json))
                .unwrap_or(Value::Null);
            Ok((
                HeaderValue::from_static(codec.content_type()),
                serde_json::to_vec(&field).map_err(internal)?,
            ))
        }
    })();
    match encoded {
        Ok((content_type, body)) => {
            // Built in place: `(status, body).into_response()` would set a
            // content type of its own, then copy the handler's headers over.
            // The handler's framing headers (a downstream reply's
            // Content-Length, say) describe other bytes than these.
            crate::metadata::strip_framing(&mut headers);
            headers.insert(header::CONTENT_TYPE, content_type);
            let mut resp = axum::response::Response::new(axum::body::Body::from(body));
            *resp.status_mut() = status;
            *resp.headers_mut() = headers;
            resp
        }
        Err(e) => error_response(codec, e),
    }
}

/// The whole reply in `codec`, for the RPC transports.
fn encode_whole(
    codec: Codec,
    message: &dyn EncodeMessage,
    status: StatusCode,
    mut headers: HeaderMap,
) -> axum::response::Response {
    let body = match codec {
        Codec::Protobuf => message.to_protobuf(),
        Codec::Json => match message.to_json() {
            Ok(json) => json,
            Err(e) => return error_response(codec, internal(e)),
        },
    };
    crate::metadata::strip_framing(&mut headers);
    let mut response = axum::response::Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// The reply as a JSON tree (through its text: one serializer per message).
pub(super) fn json_value(message: &dyn EncodeMessage) -> Result<Value, Error> {
    let text = message.to_json().map_err(internal)?;
    serde_json::from_slice(&text).map_err(internal)
}

pub(super) fn internal(e: impl std::fmt::Display) -> Error {
    Error::internal_server("ENCODING", format!("encoding the reply failed: {e}"))
}

pub(super) fn raw_http_body(encoded: &[u8]) -> Result<(HeaderValue, Vec<u8>), Error> {
    let (content_type, data) =
        wire::decode_http_body(encoded).ok_or_else(|| internal("bad HttpBody"))?;
    // An empty or unsendable (control characters) type: plain bytes.
    let content_type = HeaderValue::from_str(&content_type)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((content_type, data))
}

/// Adds every unpopulated field (except oneof members and explicit-presence
/// fields) with its default, recursively.
pub(super) fn fill_defaults(spec: &MessageSpec, value: &mut Value) {
    let Value::Object(obj) = value else { return };
    for field in spec.fields {
        match obj.get_mut(field.json_name) {
            None if field.oneof.is_none() && field.cardinality != Cardinality::Optional => {
                obj.insert(field.json_name.to_string(), field.unpopulated_json());
            }
            Some(v) => match field.kind {
                Kind::Message(inner) => match v {
                    Value::Array(items) => items.iter_mut().for_each(|i| fill_defaults(inner, i)),
                    other => fill_defaults(inner, other),
                },
                Kind::Map(map) => {
                    if let (Kind::Message(inner), Value::Object(m)) = (map.value, v) {
                        m.values_mut().for_each(|i| fill_defaults(inner, i));
                    }
                }
                _ => {}
            },
            None => {}
        }
    }
}

/// An error for an RPC transport to answer in its own form (a gRPC status,
/// Connect's JSON): its status and headers, the `Error` in the extensions,
/// no body (the transport never reads one; encoding kratos' JSON or
/// `errors.Error` here would be thrown away). A route layer sees the
/// status and the `Error`.
pub(super) fn rpc_error_response(err: Error) -> axum::response::Response {
    let status = StatusCode::from_u16(err.code())
        .ok()
        .filter(|s| !s.is_informational())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = axum::response::Response::new(Body::empty());
    *response.status_mut() = status;
    err.append_headers_to(response.headers_mut());
    response.extensions_mut().insert(ErrorReply(err));
    response
}

/// `resp`, with the [`Operation`] in its extensions where the routes ask
/// for it ([`Routes::operation_in_responses`]).
pub(super) fn with_operation(
    spec: &'static RouteSpec,
    config: &Config,
    mut resp: axum::response::Response,
) -> axum::response::Response {
    if config.operation_in_responses {
        resp.extensions_mut().insert(Operation(spec.operation));
    }
    resp
}

/// A tower layer's error as the Error JSON reply.
pub(super) fn layer_error_response(err: impl Into<tower::BoxError>) -> axum::response::Response {
    let err: tower::BoxError = err.into();
    let error = if err.is::<tower::timeout::error::Elapsed>() {
        Error::gateway_timeout("TIMEOUT", "the request timed out")
    } else {
        Error::from_error(err)
    };
    error_response(Codec::Json, error)
}

/// The error of a failed response that carries no [`Error`] (a tower-http
/// layer's 401 or 408): the code of its status, its reason phrase as the
/// message.
pub(super) fn status_error(status: StatusCode) -> Error {
    Error::new(
        status.as_u16(),
        "",
        status.canonical_reason().unwrap_or("the request failed"),
    )
}

/// An error as a response in `codec`: JSON (kratos' shape) or protobuf
/// (`errors.Error`), the `Error` in its extensions (the RPC transports
/// answer with their own error form).
pub(super) fn error_response(codec: Codec, err: Error) -> axum::response::Response {
    match codec {
        Codec::Json => err.into_response(),
        Codec::Protobuf => {
            let proto = ErrorProto {
                code: i32::from(err.code()),
                reason: err.reason().to_string(),
                message: err.message().to_string(),
                metadata: err
                    .metadata()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            };
            let mut resp = err.into_response();
            *resp.body_mut() = Body::from(prost::Message::encode_to_vec(&proto));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-protobuf"),
            );
            resp
        }
    }
}

/// A reply's trailers, in the response extensions for the RPC transports.
#[derive(Debug, Clone)]
pub(super) struct ReplyTrailers(pub(super) HeaderMap);

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body(response: axum::response::Response) -> (u16, Value) {
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    use crate::route::FieldRef;
    use crate::spec::{Cardinality, FieldSpec, Kind};

    /// A reply whose encodings are given: the reply step is tested on its
    /// own, without a generated message.
    struct Reply {
        json: &'static str,
        protobuf: &'static [u8],
    }

    impl EncodeMessage for Reply {
        fn to_json(&self) -> serde_json::Result<Vec<u8>> {
            Ok(self.json.as_bytes().to_vec())
        }
        fn to_protobuf(&self) -> Vec<u8> {
            self.protobuf.to_vec()
        }
    }

    static REPLY: MessageSpec = MessageSpec {
        name: "t.Reply",
        fields: &[
            FieldSpec {
                name: "title",
                json_name: "title",
                number: 1,
                kind: Kind::String,
                cardinality: Cardinality::Singular,
                oneof: None,
            },
            FieldSpec {
                name: "tags",
                json_name: "tags",
                number: 2,
                kind: Kind::String,
                cardinality: Cardinality::Repeated,
                oneof: None,
            },
        ],
    };
    static WHOLE: RouteSpec = RouteSpec::new("/t.S/M", "GET", "/m", &REPLY, &REPLY);
    static TITLE: RouteSpec = RouteSpec::new("/t.S/M", "GET", "/m", &REPLY, &REPLY)
        .response_body(ResponseBody::Field(FieldRef::new("title", "title", 1)));
    static TAGS: RouteSpec = RouteSpec::new("/t.S/M", "GET", "/m", &REPLY, &REPLY)
        .response_body(ResponseBody::Field(FieldRef::new("tags", "tags", 2)));
    static RAW: RouteSpec =
        RouteSpec::new("/t.S/M", "GET", "/m", &REPLY, &REPLY).response_body(ResponseBody::HttpBody);

    /// `title: "Dune"` in both encodings (field 1, 4 bytes).
    const DUNE: Reply = Reply {
        json: r#"{"title":"Dune"}"#,
        protobuf: b"\x0a\x04Dune",
    };

    fn config(emit_defaults: bool) -> Config {
        Config {
            body_limit: 1 << 20,
            body_timeout: None,
            emit_defaults,
            keep_alive: std::time::Duration::from_secs(15),
            stream_idle_timeout: None,
            operation_in_responses: false,
        }
    }

    async fn reply(
        spec: &'static RouteSpec,
        codec: Codec,
        emit_defaults: bool,
        message: &Reply,
    ) -> (u16, String, Vec<u8>) {
        let mut headers = HeaderMap::new();
        // A downstream reply's framing, which must not survive re-encoding.
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("999"));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        let response = encode_reply(
            spec,
            &config(emit_defaults),
            codec,
            message,
            StatusCode::CREATED,
            headers,
        );
        assert!(response.headers().get(header::CONTENT_LENGTH).is_none());
        let status = response.status().as_u16();
        let content_type = response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, content_type, bytes.to_vec())
    }

    #[tokio::test]
    async fn the_whole_reply_in_the_negotiated_codec_with_the_handlers_status() {
        let (status, content_type, body) = reply(&WHOLE, Codec::Json, false, &DUNE).await;
        assert_eq!((status, content_type.as_str()), (201, "application/json"));
        assert_eq!(body, DUNE.json.as_bytes());
        let (_, content_type, body) = reply(&WHOLE, Codec::Protobuf, false, &DUNE).await;
        assert_eq!(content_type, "application/x-protobuf");
        assert_eq!(body, DUNE.protobuf);
    }

    #[tokio::test]
    async fn emit_defaults_fills_every_unpopulated_field() {
        let (_, _, body) = reply(&WHOLE, Codec::Json, true, &DUNE).await;
        let json: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json, serde_json::json!({"title": "Dune", "tags": []}));
    }

    #[tokio::test]
    async fn response_body_sends_only_its_field_or_its_default() {
        let (_, _, body) = reply(&TITLE, Codec::Json, false, &DUNE).await;
        assert_eq!(body, br#""Dune""#);
        let (_, _, body) = reply(&TITLE, Codec::Protobuf, false, &DUNE).await;
        assert_eq!(body, b"Dune");
        // An unpopulated field is its proto3 JSON default, not `null`.
        let (_, _, body) = reply(&TAGS, Codec::Json, false, &DUNE).await;
        assert_eq!(body, b"[]");
    }

    #[tokio::test]
    async fn an_http_body_reply_is_sent_raw_with_its_own_content_type() {
        let page = Reply {
            json: "{}",
            // HttpBody { content_type: "text/plain", data: "hi" }
            protobuf: b"\x0a\x0atext/plain\x12\x02hi",
        };
        for codec in [Codec::Json, Codec::Protobuf] {
            let (status, content_type, body) = reply(&RAW, codec, false, &page).await;
            assert_eq!((status, content_type.as_str()), (201, "text/plain"));
            assert_eq!(body, b"hi");
        }
    }

    /// A tower layer's error as the Error JSON: a timeout, a protoway Error,
    /// anything else.
    #[tokio::test]
    async fn layer_errors_become_the_error_json() {
        let elapsed: tower::BoxError = Box::new(tower::timeout::error::Elapsed::new());
        let (status, json) = body(layer_error_response(elapsed)).await;
        assert_eq!((status, json["reason"].as_str()), (504, Some("TIMEOUT")));
        let own: tower::BoxError = Box::new(Error::forbidden("NOPE", "no"));
        let (status, json) = body(layer_error_response(own)).await;
        assert_eq!((status, json["reason"].as_str()), (403, Some("NOPE")));
        let (status, json) = body(layer_error_response("broken")).await;
        assert_eq!(
            (status, json["message"].as_str()),
            (500, Some("internal error"))
        );
    }
}
