//! Streams: a streaming method's replies encoded as they come (gRPC and
//! gRPC-Web frames through tonic, newline-delimited JSON, server-sent
//! events, or raw `HttpBody` bytes), and its requests decoded as they come.
//!
//! Inside the runtime a stream is an HTTP body with one data frame per
//! message, so a streaming call runs the same route target (layers,
//! binding, call) as a unary one. Nothing is buffered: the handler's
//! stream is polled when the connection wants the next frame, so a slow
//! reader slows the handler, and a reader that goes away drops it. Where
//! no layer is between a route and an RPC transport, the replies skip the
//! body and go to the transport as a stream ([`HandedOver`]: for speed).

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, header};

use super::call::{call_context, in_context};
use super::reply::{ReplyTrailers, error_response, with_operation};
use super::values::{CallRoute, Incoming, ResponseFuture, StreamFormat};
use super::{BodyRule, ReplyTo, ResponseBody, ServiceCall, binding, reply, rpc};
use crate::codec::Codec;
use crate::message::{EncodeMessage, invalid_json};
use crate::route::{Request, Response};
use crate::stream::{Stream, Streaming};
use crate::{Error, wire};

/// The content type of an HTTP stream of replies.
pub(super) const NDJSON: &str = "application/x-ndjson";
const EVENT_STREAM: &str = "text/event-stream";

impl ReplyTo {
    /// A streaming method's outcome as the HTTP response: its replies
    /// encoded as they come, or the error (before any reply) as a whole
    /// response.
    pub fn send_stream<R: EncodeMessage + Send + 'static>(
        self,
        reply: Result<Response<Streaming<R>>, Error>,
    ) -> Result<axum::response::Response, Infallible> {
        let Response {
            message: stream,
            status,
            mut headers,
            trailers,
        } = match reply {
            Ok(response) => response,
            Err(e) => {
                let response = error_response(self.codec, e);
                return Ok(with_operation(self.spec, &self.config, response));
            }
        };
        let format = self.stream_format;
        let content_type = match format {
            StreamFormat::Frames { .. } => None,
            StreamFormat::Ndjson => Some(NDJSON),
            StreamFormat::Sse => Some(EVENT_STREAM),
            StreamFormat::Raw => Some("application/octet-stream"),
        };
        crate::metadata::strip_framing(&mut headers);
        if let Some(content_type) = content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        if format == StreamFormat::Sse {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            // As kratos v3 sends it: nginx would otherwise buffer the events.
            headers.insert(
                http::HeaderName::from_static("x-accel-buffering"),
                HeaderValue::from_static("no"),
            );
        }
        let encoded = Encoded {
            stream: Some(stream),
            format,
            codec: self.codec,
            raw_field: match &self.spec.response_body {
                ResponseBody::FieldHttpBody(f) => Some(f.number),
                _ => None,
            },
            keep_alive: (format == StreamFormat::Sse).then(|| Timer::new(self.config.keep_alive)),
            idle: self.config.stream_idle_timeout.map(Timer::new),
        };
        let mut response = match format {
            StreamFormat::Frames { direct: true } => {
                let mut response = axum::response::Response::new(Body::empty());
                response.extensions_mut().insert(HandedOver::new(encoded));
                response
            }
            _ => axum::response::Response::new(Body::from_stream(encoded)),
        };
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        if !trailers.is_empty() {
            response.extensions_mut().insert(ReplyTrailers(trailers));
        }
        Ok(with_operation(self.spec, &self.config, response))
    }
}

/// A stream of replies as body frames.
struct Encoded<R> {
    /// `None` once ended (after an error line or event).
    stream: Option<Streaming<R>>,
    format: StreamFormat,
    codec: Codec,
    /// `response_body` naming an `HttpBody` field: its number.
    raw_field: Option<u32>,
    /// SSE: a comment when nothing was sent for a while.
    keep_alive: Option<Timer>,
    /// The stream ends when the handler sends nothing for this long.
    idle: Option<Timer>,
}

/// A resettable timer: fires `every` after the last reset.
struct Timer {
    sleep: Pin<Box<tokio::time::Sleep>>,
    every: Duration,
}

impl Timer {
    fn new(every: Duration) -> Timer {
        Timer {
            sleep: Box::pin(tokio::time::sleep(every)),
            every,
        }
    }

    fn reset(&mut self) {
        let at = tokio::time::Instant::now() + self.every;
        self.sleep.as_mut().reset(at);
    }

    /// Whether it fired (then it is reset).
    fn fired(&mut self, cx: &mut Context<'_>) -> bool {
        let fired = self.sleep.as_mut().poll(cx).is_ready();
        if fired {
            self.reset();
        }
        fired
    }
}

impl<R: EncodeMessage> Encoded<R> {
    fn encode(&self, message: &R) -> Result<Bytes, Error> {
        Ok(Bytes::from(match self.format {
            StreamFormat::Frames { .. } => match self.codec {
                Codec::Protobuf => message.to_protobuf(),
                Codec::Json => message.to_json().map_err(reply::internal)?,
            },
            StreamFormat::Ndjson => {
                let json = message.to_json().map_err(reply::internal)?;
                let mut line = Vec::with_capacity(json.len() + 12);
                line.extend_from_slice(b"{\"result\":");
                line.extend_from_slice(&json);
                line.extend_from_slice(b"}\n");
                line
            }
            StreamFormat::Sse => {
                let json = message.to_json().map_err(reply::internal)?;
                let mut event = Vec::with_capacity(json.len() + 8);
                event.extend_from_slice(b"data: ");
                event.extend_from_slice(&json);
                event.extend_from_slice(b"\n\n");
                event
            }
            StreamFormat::Raw => {
                let bytes = message.to_protobuf();
                let body = match self.raw_field {
                    Some(number) => wire::extract_len_field(&bytes, number).unwrap_or_default(),
                    None => bytes,
                };
                // google.api.HttpBody: `data` is field 2.
                wire::extract_len_field(&body, 2).unwrap_or_default()
            }
        }))
    }

    /// The error as the stream's last frame (HTTP) or as the body's error
    /// (gRPC: tonic sends it as the status).
    fn end_with(&self, error: Error) -> Result<Bytes, Error> {
        match self.format {
            StreamFormat::Frames { .. } | StreamFormat::Raw => Err(error),
            StreamFormat::Ndjson => {
                let mut line = br#"{"error":"#.to_vec();
                line.extend_from_slice(&gateway_error_json(&error));
                line.extend_from_slice(b"}\n");
                Ok(Bytes::from(line))
            }
            StreamFormat::Sse => {
                let mut event = b"event: error\ndata: ".to_vec();
                event.extend_from_slice(&error.to_json());
                event.extend_from_slice(b"\n\n");
                Ok(Bytes::from(event))
            }
        }
    }
}

/// grpc-gateway's error in a stream: `{"code": <gRPC code>, "message",
/// "details": [ErrorInfo with reason and metadata]}`, plus kratos' HTTP
/// code and reason beside it.
pub(super) fn gateway_error_json(error: &Error) -> Vec<u8> {
    let mut info = serde_json::json!({
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": error.reason(),
    });
    if !error.metadata().is_empty() {
        info["metadata"] = serde_json::to_value(error.metadata()).unwrap_or_default();
    }
    serde_json::to_vec(&serde_json::json!({
        "code": error.grpc_code() as i32,
        "message": error.message(),
        "details": [info],
        "httpCode": error.code(),
        "reason": error.reason(),
    }))
    .unwrap_or_default()
}

impl<R: EncodeMessage> Unpin for Encoded<R> {}

impl<R: EncodeMessage> Stream for Encoded<R> {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(stream) = this.stream.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(stream).poll_next(cx) {
            Poll::Ready(Some(Ok(message))) => {
                for timer in [&mut this.keep_alive, &mut this.idle].into_iter().flatten() {
                    timer.reset();
                }
                match this.encode(&message) {
                    Ok(frame) => Poll::Ready(Some(Ok(frame))),
                    Err(e) => {
                        this.stream = None;
                        Poll::Ready(Some(this.end_with(e)))
                    }
                }
            }
            Poll::Ready(Some(Err(e))) => {
                this.stream = None;
                Poll::Ready(Some(this.end_with(e)))
            }
            Poll::Ready(None) => {
                this.stream = None;
                Poll::Ready(None)
            }
            Poll::Pending => {
                if this.idle.as_mut().is_some_and(|t| t.fired(cx)) {
                    this.stream = None;
                    let idle = Error::from_grpc(
                        crate::status::GrpcCode::DeadlineExceeded,
                        "IDLE_TIMEOUT",
                        "the stream sent nothing for longer than its idle timeout",
                    );
                    return Poll::Ready(Some(this.end_with(idle)));
                }
                if this.keep_alive.as_mut().is_some_and(|t| t.fired(cx)) {
                    return Poll::Ready(Some(Ok(Bytes::from_static(b": keep-alive\n\n"))));
                }
                Poll::Pending
            }
        }
    }
}

/// Encoded replies as a stream, for the transport to frame.
type FrameStream = Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send>>;

/// A stream of replies handed to the transport in the response's
/// extensions, its body left empty, where no layer is between the two
/// (`Target::Direct`): nothing can observe the body, so putting each
/// message in a body frame and reading it back would only cost (five
/// dynamic calls per message, about 10% of a gRPC stream's CPU). Through
/// layers the body carries the messages, so a layer may wrap or replace it.
#[derive(Clone)]
pub(super) struct HandedOver(Arc<std::sync::Mutex<Option<FrameStream>>>);

impl HandedOver {
    fn new<S: Stream<Item = Result<Bytes, Error>> + Send + 'static>(stream: S) -> HandedOver {
        HandedOver(Arc::new(std::sync::Mutex::new(Some(Box::pin(stream)))))
    }

    fn take(self) -> Option<FrameStream> {
        self.0.lock().ok()?.take()
    }
}

/// A reply read back as messages by the transports that frame them (gRPC
/// through tonic, Connect's envelopes): the stream handed over, or the
/// body, one message per frame. A failed body is the stream's error, the
/// call's deadline ends it with DEADLINE_EXCEEDED.
pub(super) struct ReplyMessages {
    source: Source,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    done: bool,
}

enum Source {
    HandedOver(FrameStream),
    Body(Body),
}

impl ReplyMessages {
    /// Reads the reply (`parts` lose the stream handed over, if any);
    /// `deadline` is when the call must end.
    pub(super) fn new(
        parts: &mut http::response::Parts,
        body: Body,
        deadline: Option<tokio::time::Instant>,
    ) -> ReplyMessages {
        let handed_over = parts
            .extensions
            .remove::<HandedOver>()
            .and_then(HandedOver::take);
        ReplyMessages {
            source: match handed_over {
                Some(stream) => Source::HandedOver(stream),
                None => Source::Body(body),
            },
            deadline: deadline.map(|at| Box::pin(tokio::time::sleep_until(at))),
            done: false,
        }
    }
}

impl Stream for ReplyMessages {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        if let Some(deadline) = this.deadline.as_mut()
            && deadline.as_mut().poll(cx).is_ready()
        {
            this.done = true;
            return Poll::Ready(Some(Err(rpc::deadline_exceeded())));
        }
        let body = match &mut this.source {
            Source::HandedOver(stream) => {
                let item = ready!(stream.as_mut().poll_next(cx));
                this.done = !matches!(item, Some(Ok(_)));
                return Poll::Ready(item);
            }
            Source::Body(body) => body,
        };
        loop {
            return match ready!(axum::body::HttpBody::poll_frame(Pin::new(&mut *body), cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => Poll::Ready(Some(Ok(data))),
                    Err(_) => continue,
                },
                Some(Err(e)) => {
                    this.done = true;
                    let error = Error::find(&e)
                        .cloned()
                        .unwrap_or_else(|| Error::from_error(e));
                    Poll::Ready(Some(Err(error)))
                }
                None => {
                    this.done = true;
                    Poll::Ready(None)
                }
            };
        }
    }
}

// ------------------------------------------------------------ requests

/// A stream of requests from a request body: one body frame per message
/// on the RPC transports (tonic or the Connect envelope reader split
/// them), newline-delimited JSON on HTTP.
pub(super) fn request_stream<M>(
    body: Body,
    codec: Codec,
    frames: bool,
    raw: Option<String>,
    limit: usize,
) -> Streaming<M>
where
    M: prost::Message + Default + serde::de::DeserializeOwned + Send + 'static,
{
    Streaming::new(Decoded::<M> {
        body,
        codec,
        frames,
        raw,
        limit,
        pending: bytes::BytesMut::new(),
        done: false,
        _message: std::marker::PhantomData,
    })
}

struct Decoded<M> {
    body: Body,
    codec: Codec,
    /// One frame per message (RPC), else NDJSON lines.
    frames: bool,
    /// A stream of `google.api.HttpBody` on HTTP: each piece of the body
    /// as it arrives is one message, with this content type.
    raw: Option<String>,
    /// Per-message size limit.
    limit: usize,
    /// NDJSON: bytes of an unfinished line.
    pending: bytes::BytesMut,
    done: bool,
    _message: std::marker::PhantomData<fn() -> M>,
}

impl<M> Unpin for Decoded<M> {}

impl<M: prost::Message + Default + serde::de::DeserializeOwned> Decoded<M> {
    fn decode(&self, bytes: &[u8]) -> Result<M, Error> {
        if bytes.len() > self.limit {
            return Err(Error::new(
                413,
                "PAYLOAD_TOO_LARGE",
                format!("a request message exceeds {} bytes", self.limit),
            ));
        }
        match self.codec {
            Codec::Protobuf => M::decode(bytes).map_err(binding::invalid_protobuf),
            Codec::Json => serde_json::from_slice(bytes).map_err(|e| invalid_json(&e)),
        }
    }

    /// The next complete NDJSON line, skipping blank ones.
    fn next_line(&mut self) -> Option<Bytes> {
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line = self.pending.split_to(end + 1).freeze();
            let trimmed = line.slice(..end);
            if !trimmed.iter().all(u8::is_ascii_whitespace) {
                return Some(trimmed);
            }
        }
        None
    }
}

impl<M: prost::Message + Default + serde::de::DeserializeOwned> Stream for Decoded<M> {
    type Item = Result<M, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if !this.frames
                && let Some(line) = this.next_line()
            {
                return Poll::Ready(Some(this.decode(&line)));
            }
            match ready!(axum::body::HttpBody::poll_frame(
                Pin::new(&mut this.body),
                cx
            )) {
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    if let Some(content_type) = &this.raw {
                        if data.is_empty() {
                            continue;
                        }
                        let message = wire::encode_http_body(content_type, &data);
                        return Poll::Ready(Some(
                            M::decode(message.as_slice()).map_err(binding::invalid_protobuf),
                        ));
                    }
                    if this.frames {
                        return Poll::Ready(Some(this.decode(&data)));
                    }
                    this.pending.extend_from_slice(&data);
                    if this.pending.len() > this.limit {
                        this.done = true;
                        return Poll::Ready(Some(Err(Error::new(
                            413,
                            "PAYLOAD_TOO_LARGE",
                            format!("a request message exceeds {} bytes", this.limit),
                        ))));
                    }
                }
                Some(Err(e)) => {
                    this.done = true;
                    let error = Error::find(&e).cloned().unwrap_or_else(|| {
                        Error::bad_request("BODY", format!("reading the request stream: {e}"))
                    });
                    return Poll::Ready(Some(Err(error)));
                }
                None => {
                    this.done = true;
                    // A last line without its newline.
                    let rest = std::mem::take(&mut this.pending);
                    if !this.frames && !rest.iter().all(u8::is_ascii_whitespace) {
                        return Poll::Ready(Some(this.decode(&rest)));
                    }
                    return Poll::Ready(None);
                }
            }
        }
    }
}

/// A route whose requests stream: its service, its call function; the
/// request body becomes the [`Streaming`] of requests.
pub(super) struct BoundStream<S, M> {
    pub(super) service: Arc<S>,
    pub(super) call: ServiceCall<S, Streaming<M>>,
}

impl<S, M> CallRoute for BoundStream<S, M>
where
    S: Send + Sync + 'static,
    M: prost::Message + Default + serde::de::DeserializeOwned + Send + 'static,
{
    fn call(&self, incoming: Incoming<'_>) -> ResponseFuture {
        let Incoming {
            route,
            parts,
            body,
            codec,
            rpc,
            stream_format,
            ..
        } = incoming;
        // A stream of HttpBody on HTTP: the raw body, piece by piece.
        let raw = (!rpc && matches!(route.spec.body, BodyRule::AllHttpBody)).then(|| {
            parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/octet-stream")
                .to_owned()
        });
        let message = request_stream::<M>(body, codec, rpc, raw, route.config.body_limit);
        let reply = ReplyTo::new(route, codec, rpc, stream_format);
        let context = call_context(route.spec.operation, &parts.headers, &reply);
        let call = (self.call)(
            self.service.clone(),
            Request {
                parts,
                operation: route.spec.operation,
                message,
            },
            reply,
        );
        in_context(context, call)
    }
}
