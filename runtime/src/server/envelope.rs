//! Connect's streaming protocol (`application/connect+proto`, `+json`):
//! enveloped messages both ways (a flags byte, a big-endian length, the
//! message), and an end-of-stream envelope closing the reply with the
//! error, if any, and the trailers as JSON. Every Connect stream answers
//! HTTP 200; what went wrong is in the end-of-stream message.
//!
//! Server, client and bidi streams (bidi needs HTTP/2: an HTTP/1.1 caller
//! sends its whole request stream before reading replies), and unary
//! methods called with the streaming protocol, all run the route's target
//! as the other transports do.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use super::rpc::{Rpc, RpcTable, connect_error_json, deadline_exceeded, within};
use super::*;
use crate::status::GrpcCode;
use crate::stream::Stream;

/// Flag of a compressed envelope (compression is not supported here).
const COMPRESSED: u8 = 0x01;
/// Flag of the end-of-stream envelope.
const END_STREAM: u8 = 0x02;

const CONNECT_TIMEOUT_MS: http::HeaderName = http::HeaderName::from_static("connect-timeout-ms");
const CONNECT_CONTENT_ENCODING: http::HeaderName =
    http::HeaderName::from_static("connect-content-encoding");

/// One Connect streaming call.
pub(super) fn connect_stream(
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
        return end_with(Error::from_grpc(
            GrpcCode::Unimplemented,
            "",
            format!("no method {} on this server", req.uri().path()),
        ));
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
    let deadline = match req.headers().get(CONNECT_TIMEOUT_MS) {
        None => None,
        Some(ms) => match ms.to_str().ok().and_then(|v| v.parse::<u64>().ok()) {
            Some(ms) => Some(Duration::from_millis(ms)),
            None => {
                return end_with(Error::from_grpc(
                    GrpcCode::InvalidArgument,
                    "",
                    format!("Connect-Timeout-Ms {ms:?} is not a number of milliseconds"),
                ));
            }
        },
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
        end.insert("error".into(), connect_error_json(error));
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
