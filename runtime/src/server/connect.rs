//! Connect: unary calls (a POST body, or a GET's query for methods marked
//! `NO_SIDE_EFFECTS`; the reply the message, an error Connect's JSON) and
//! the streaming protocol (`application/connect+proto`, `+json`: enveloped
//! messages both ways — a flags byte, a big-endian length, the message —
//! and an end-of-stream envelope closing the reply with the error, if
//! any, and the trailers as JSON; every Connect stream answers HTTP 200).
//! Server, client and bidi streams (bidi needs HTTP/2: an HTTP/1.1 caller
//! sends its whole request stream before reading replies), and unary
//! methods called with the streaming protocol, all run the route's target
//! as the other transports do. This module holds Connect's facts: its
//! headers, `Connect-Timeout-Ms` and its parser, the error JSON.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Body;
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::Value;

use super::reply::{ReplyTrailers, status_error};
use super::rpc::{
    CONNECT_TIMEOUT_MS, RpcTable, after_body, deadline_exceeded, no_method, parse_connect_timeout,
    within,
};
use super::values::{ResponseFuture, Rpc};
use super::{DEFAULT_BODY_LIMIT, stream};
use crate::Error;
use crate::axum_support::ErrorReply;
use crate::codec::Codec;
use crate::route::Streams;
use crate::status::GrpcCode;
use crate::stream::Stream;

/// `Connect-Protocol-Version`: what marks a Connect unary call.
pub(super) const PROTOCOL_VERSION: http::HeaderName =
    http::HeaderName::from_static("connect-protocol-version");

/// The caller's `Connect-Timeout-Ms`: at most 10 digits, as the protocol
/// says; `Ok(None)` without one; an error naming a bad value.
pub(super) fn timeout(headers: &HeaderMap) -> Result<Option<Duration>, Error> {
    let Some(value) = headers.get(CONNECT_TIMEOUT_MS) else {
        return Ok(None);
    };
    match parse_connect_timeout(value) {
        Some(timeout) => Ok(Some(timeout)),
        None => Err(Error::from_grpc(
            GrpcCode::InvalidArgument,
            "INVALID_ARGUMENT",
            format!("Connect-Timeout-Ms {value:?} is not a number of milliseconds"),
        )),
    }
}

/// A Connect unary call: the body is the message in `codec`, the reply
/// the message in the same codec, an error Connect's JSON.
pub(super) fn unary(
    table: &Arc<RpcTable>,
    codec: Codec,
    message: Option<Bytes>,
    req: http::Request<Body>,
) -> ResponseFuture {
    let Some((spec, target)) = table.get(req.uri().path()).cloned() else {
        // As connect-go answers an unknown procedure: 404, `unimplemented`.
        let mut response = error_reply(&no_method(req.uri().path()));
        *response.status_mut() = StatusCode::NOT_FOUND;
        return after_body(req, response);
    };
    if spec.streams != Streams::Unary {
        // As connect-go: a stream needs the streaming protocol.
        let error = Error::from_grpc(
            GrpcCode::Unknown,
            "",
            format!(
                "{} streams: send application/connect+json or application/connect+proto",
                spec.operation
            ),
        );
        let mut response = error_reply(&error);
        *response.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
        return after_body(req, response);
    }
    if let Some(version) = req.headers().get(PROTOCOL_VERSION)
        && version != "1"
    {
        let error = Error::bad_request(
            "INVALID_ARGUMENT",
            format!("Connect-Protocol-Version {version:?} is not supported: send 1"),
        );
        return after_body(req, error_reply(&error));
    }
    let deadline = match timeout(req.headers()) {
        Ok(deadline) => deadline,
        Err(error) => return after_body(req, error_reply(&error)),
    };
    if let Some(encoding) = req.headers().get(header::CONTENT_ENCODING)
        && encoding != "identity"
    {
        let error = Error::new(
            501,
            "UNIMPLEMENTED",
            format!("Content-Encoding {encoding:?} is not supported"),
        );
        return after_body(req, error_reply(&error));
    }
    let run = target.run(spec, req, Vec::new(), Some(Rpc::new(codec, message)));
    Box::pin(async move {
        let Some(Ok(mut response)) = within(deadline, run).await else {
            return Ok(error_reply(&deadline_exceeded()));
        };
        if let Some(ErrorReply(error)) = response.extensions().get::<ErrorReply>() {
            return Ok(error_reply(error));
        }
        if !response.status().is_success() {
            return Ok(error_reply(&status_error(response.status())));
        }
        // A unary Connect reply sends trailers as `trailer-` headers.
        if let Some(ReplyTrailers(trailers)) = response.extensions_mut().remove::<ReplyTrailers>() {
            append_connect_trailers(response.headers_mut(), &trailers);
        }
        let content_type = match codec {
            Codec::Json => "application/json",
            Codec::Protobuf => "application/proto",
        };
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        Ok(response)
    })
}

/// A Connect GET (`?connect=v1&encoding=…&message=…`) of a method marked
/// `NO_SIDE_EFFECTS`: a unary call with the query's message.
pub(super) fn get(table: &Arc<RpcTable>, req: http::Request<Body>) -> ResponseFuture {
    match get_message(table, &req) {
        Ok((codec, message)) => unary(table, codec, Some(message), req),
        Err(reply) => reply,
    }
}

/// The codec and message of a Connect GET: `encoding`, `message`
/// (percent-encoded, or base64url with `base64=1`), no `compression`.
fn get_message(
    table: &RpcTable,
    req: &http::Request<Body>,
) -> Result<(Codec, Bytes), ResponseFuture> {
    // The error reply: a Connect error with `status`.
    let reply = |status: StatusCode, error: Error| -> ResponseFuture {
        let mut response = error_reply(&error);
        *response.status_mut() = status;
        Box::pin(std::future::ready(Ok(response)))
    };
    let unknown = |status: StatusCode, why: String| {
        reply(status, Error::from_grpc(GrpcCode::Unknown, "", why))
    };
    match table.get(req.uri().path()) {
        Some((spec, _)) if spec.no_side_effects => {}
        Some(_) => {
            return Err(unknown(
                StatusCode::METHOD_NOT_ALLOWED,
                "GET is for methods marked NO_SIDE_EFFECTS: use POST".into(),
            ));
        }
        None => {
            return Err(reply(StatusCode::NOT_FOUND, no_method(req.uri().path())));
        }
    }
    let (mut encoding, mut message, mut base64_flag) = (None, None, false);
    for pair in req.uri().query().unwrap_or("").split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = crate::mapping::bind::form_decode(value)
            .ok_or_else(|| unknown(StatusCode::BAD_REQUEST, format!("bad escape in {key:?}")))?;
        match key {
            "encoding" => encoding = Some(value.into_owned()),
            "message" => message = Some(value.into_owned()),
            "base64" => base64_flag = value == "1",
            "compression" if value != "identity" => {
                let error = Error::from_grpc(
                    GrpcCode::Unimplemented,
                    "",
                    format!("compression {value:?} is not supported"),
                );
                return Err(reply(StatusCode::NOT_IMPLEMENTED, error));
            }
            _ => {}
        }
    }
    let codec = match encoding.as_deref() {
        Some("json") => Codec::Json,
        Some("proto") => Codec::Protobuf,
        other => {
            return Err(unknown(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("encoding {other:?} is not supported: use json or proto"),
            ));
        }
    };
    let message = message.unwrap_or_default();
    let bytes = if base64_flag {
        let trimmed = message.trim_end_matches('=');
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(trimmed)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(trimmed))
            .map_err(|e| {
                let error = Error::bad_request("INVALID_ARGUMENT", format!("message: {e}"));
                reply(StatusCode::BAD_REQUEST, error)
            })?
    } else {
        message.into_bytes()
    };
    Ok((codec, Bytes::from(bytes)))
}

/// An error as Connect unary's reply: its JSON, with the HTTP status of
/// its code. Connect's error JSON: code, message, and the reason and metadata as a
/// `google.rpc.ErrorInfo` detail (what kratos puts in the gRPC status).
pub(super) fn error_reply(error: &Error) -> axum::response::Response {
    let code = error.grpc_code();
    let body = error_json(error);
    let mut response = axum::response::Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::from_u16(code.connect_http_status())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    error.append_headers_to(response.headers_mut());
    append_connect_trailers(response.headers_mut(), error.trailers());
    response
}

/// Connect's error object: code, message, details (ErrorInfo first).
pub(super) fn error_json(error: &Error) -> Value {
    let code = error.grpc_code();
    let details: Vec<Value> = crate::error_info::details_of(error)
        .into_iter()
        .map(|d| {
            let type_name = d.type_url.rsplit('/').next().unwrap_or_default().to_owned();
            serde_json::json!({
                "type": type_name,
                "value": base64::engine::general_purpose::STANDARD_NO_PAD.encode(d.value),
            })
        })
        .collect();
    let mut body = serde_json::json!({
        "code": code.connect_name(),
        "message": error.message(),
    });
    if !details.is_empty() {
        body["details"] = Value::Array(details);
    }
    body
}

/// Trailers of a unary Connect reply: `trailer-{name}` headers.
fn append_connect_trailers(headers: &mut HeaderMap, trailers: &HeaderMap) {
    for (name, value) in trailers {
        if let Ok(name) = http::HeaderName::try_from(format!("trailer-{name}")) {
            headers.append(name, value.clone());
        }
    }
}

// ------------------------------------------------------------ streaming

/// Flag of a compressed envelope (compression is not supported here).
const COMPRESSED: u8 = 0x01;
/// Flag of the end-of-stream envelope.
const END_STREAM: u8 = 0x02;

const CONNECT_CONTENT_ENCODING: http::HeaderName =
    http::HeaderName::from_static("connect-content-encoding");

/// One Connect streaming call.
pub(super) fn stream(
    table: &Arc<RpcTable>,
    codec: Codec,
    req: http::Request<Body>,
) -> ResponseFuture {
    let content_type = match codec {
        Codec::Json => "application/connect+json",
        Codec::Protobuf => "application/connect+proto",
    };
    // Every answer, error or not, is a stream: 200, enveloped.
    let end_with = move |error: Error| -> ResponseFuture {
        Box::pin(std::future::ready(Ok(ended(content_type, &error))))
    };
    let Some((spec, target)) = table.get(req.uri().path()).cloned() else {
        return end_with(no_method(req.uri().path()));
    };
    if let Some(encoding) = req.headers().get(CONNECT_CONTENT_ENCODING)
        && encoding != "identity"
    {
        return end_with(Error::from_grpc(
            GrpcCode::Unimplemented,
            "",
            format!("Connect-Content-Encoding {encoding:?} is not supported"),
        ));
    }
    let deadline = match timeout(req.headers()) {
        Ok(deadline) => deadline,
        Err(error) => return end_with(error),
    };
    let limit = DEFAULT_BODY_LIMIT;
    let (parts, body) = req.into_parts();
    let messages = Envelopes {
        body,
        buffer: bytes::BytesMut::new(),
        limit,
        done: false,
    };
    Box::pin(async move {
        let started = tokio::time::Instant::now();
        let (message, body) = if spec.streams.requests() {
            (None, Body::from_stream(messages))
        } else {
            // Exactly one request message: read before the call (as
            // connect-go, none or two are UNIMPLEMENTED).
            let mut messages = messages;
            let unexpected = |why: &'static str| Error::from_grpc(GrpcCode::Unimplemented, "", why);
            let message = match next(&mut messages).await {
                Some(Ok(message)) => message,
                Some(Err(e)) => return Ok(ended(content_type, &e)),
                None => return Ok(ended(content_type, &unexpected("no request message"))),
            };
            match next(&mut messages).await {
                None => (Some(message), Body::empty()),
                Some(Err(e)) => return Ok(ended(content_type, &e)),
                Some(Ok(_)) => {
                    let e = unexpected("more than one request message");
                    return Ok(ended(content_type, &e));
                }
            }
        };
        let req = http::Request::from_parts(parts, body);
        let run = target.run(spec, req, Vec::new(), Some(Rpc::new(codec, message)));
        let Some(Ok(response)) = within(deadline, run).await else {
            return Ok(ended(content_type, &deadline_exceeded()));
        };
        let (mut parts, body) = response.into_parts();
        if let Some(ErrorReply(error)) = parts.extensions.get::<ErrorReply>() {
            return Ok(ended(content_type, error));
        }
        if !parts.status.is_success() {
            return Ok(ended(content_type, &status_error(parts.status)));
        }
        let trailers = parts
            .extensions
            .remove::<ReplyTrailers>()
            .map(|t| t.0)
            .unwrap_or_default();
        crate::metadata::strip_framing(&mut parts.headers);
        parts.status = StatusCode::OK;
        parts
            .headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        let replies = Replies {
            messages: stream::ReplyMessages::new(&mut parts, body, deadline.map(|d| started + d)),
            trailers,
            done: false,
            unary: !spec.streams.replies(),
            whole: bytes::BytesMut::new(),
        };
        Ok(axum::response::Response::from_parts(
            parts,
            Body::from_stream(replies),
        ))
    })
}

/// The next request message.
async fn next(messages: &mut Envelopes) -> Option<Result<Bytes, Error>> {
    std::future::poll_fn(|cx| Pin::new(&mut *messages).poll_next(cx)).await
}

/// A stream that ends before any message: its end-of-stream envelope.
pub(super) fn ended(content_type: &'static str, error: &Error) -> axum::response::Response {
    let mut response =
        axum::response::Response::new(Body::from(end_of_stream(Some(error), error.trailers())));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    error.append_headers_to(response.headers_mut());
    response
}

/// One envelope.
fn envelope(flags: u8, message: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(5 + message.len());
    out.push(flags);
    out.extend_from_slice(&(message.len() as u32).to_be_bytes());
    out.extend_from_slice(message);
    Bytes::from(out)
}

/// The end-of-stream envelope: `{"error": …, "metadata": {name: [values]}}`.
fn end_of_stream(error: Option<&Error>, trailers: &HeaderMap) -> Bytes {
    let mut end = serde_json::Map::new();
    if let Some(error) = error {
        end.insert("error".into(), error_json(error));
    }
    let mut metadata = serde_json::Map::new();
    for name in trailers.keys() {
        let values: Vec<Value> = trailers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| Value::String(v.into()))
            .collect();
        metadata.insert(name.as_str().into(), Value::Array(values));
    }
    if !metadata.is_empty() {
        end.insert("metadata".into(), Value::Object(metadata));
    }
    envelope(
        END_STREAM,
        &serde_json::to_vec(&Value::Object(end)).unwrap_or_default(),
    )
}

/// The request body's envelopes as messages, one per item.
struct Envelopes {
    body: Body,
    buffer: bytes::BytesMut,
    limit: usize,
    done: bool,
}

impl Stream for Envelopes {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if this.buffer.len() >= 5 {
                let flags = this.buffer[0];
                let len = u32::from_be_bytes([
                    this.buffer[1],
                    this.buffer[2],
                    this.buffer[3],
                    this.buffer[4],
                ]) as usize;
                let fail = |this: &mut Self, code: GrpcCode, why: String| {
                    this.done = true;
                    Poll::Ready(Some(Err(Error::from_grpc(code, "", why))))
                };
                if flags & COMPRESSED != 0 {
                    return fail(
                        this,
                        GrpcCode::Internal,
                        "compressed messages are not supported".into(),
                    );
                }
                if len > this.limit {
                    return fail(
                        this,
                        GrpcCode::ResourceExhausted,
                        format!("a request message of {len} bytes exceeds {}", this.limit),
                    );
                }
                if this.buffer.len() >= 5 + len {
                    let _ = this.buffer.split_to(5);
                    let message = this.buffer.split_to(len).freeze();
                    if flags & END_STREAM != 0 {
                        // A client's end-of-stream: nothing after it.
                        this.done = true;
                        return Poll::Ready(None);
                    }
                    return Poll::Ready(Some(Ok(message)));
                }
            }
            match ready!(axum::body::HttpBody::poll_frame(
                Pin::new(&mut this.body),
                cx
            )) {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        this.buffer.extend_from_slice(&data);
                    }
                }
                Some(Err(e)) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(Error::from_grpc(
                        GrpcCode::Internal,
                        "",
                        format!("reading the request stream: {e}"),
                    ))));
                }
                None => {
                    this.done = true;
                    if !this.buffer.is_empty() {
                        return Poll::Ready(Some(Err(Error::from_grpc(
                            GrpcCode::InvalidArgument,
                            "",
                            "the request stream ends inside a message",
                        ))));
                    }
                    return Poll::Ready(None);
                }
            }
        }
    }
}

/// The reply's messages as envelopes, then the end-of-stream envelope:
/// with the reply's error if it failed (DEADLINE_EXCEEDED at the deadline)
/// and the trailers.
struct Replies {
    messages: stream::ReplyMessages,
    trailers: HeaderMap,
    done: bool,
    /// A unary reply: its one message may come in several frames,
    /// gathered in `whole`.
    unary: bool,
    whole: bytes::BytesMut,
}

impl Stream for Replies {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            return match ready!(Pin::new(&mut this.messages).poll_next(cx)) {
                // A unary reply is one message, whatever its frames.
                Some(Ok(data)) if this.unary => {
                    this.whole.extend_from_slice(&data);
                    continue;
                }
                Some(Ok(data)) => Poll::Ready(Some(Ok(envelope(0, &data)))),
                None if this.unary => {
                    this.unary = false;
                    let message = std::mem::take(&mut this.whole);
                    Poll::Ready(Some(Ok(envelope(0, &message))))
                }
                Some(Err(error)) => {
                    this.done = true;
                    let mut trailers = std::mem::take(&mut this.trailers);
                    trailers.extend(error.trailers().clone());
                    Poll::Ready(Some(Ok(end_of_stream(Some(&error), &trailers))))
                }
                None => {
                    this.done = true;
                    Poll::Ready(Some(Ok(end_of_stream(None, &this.trailers))))
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_codes_and_statuses_follow_the_protocol() {
        let not_found = Error::not_found("BOOK_MISSING", "no book");
        assert_eq!(not_found.grpc_code().connect_name(), "not_found");
        let response = error_reply(&not_found);
        assert_eq!(response.status(), 404);
        assert_eq!(GrpcCode::ResourceExhausted.connect_http_status(), 429);
        assert_eq!(GrpcCode::Cancelled.connect_http_status(), 499);
    }
}
