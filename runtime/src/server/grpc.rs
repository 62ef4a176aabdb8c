//! gRPC and gRPC-Web: framing, compression and status trailers are
//! tonic's (`tonic::server::Grpc`), gRPC-Web is tonic-web's layer, around
//! the same route targets as HTTP. The codec tonic runs is [`RawCodec`]
//! (frames ⇄ bytes), not tonic-prost's per-message codec: the message is
//! decoded by the route's own `DecodeMessage`, as on the HTTP path, so no
//! code is compiled per message type for gRPC. This module holds gRPC's
//! facts: its content types, its framing, an Error as a status
//! (`grpc-timeout`, which HTTP/JSON callers send too, is `rpc`'s).
//! Feature `grpc`.
//!
//! Kept for speed: a reply's one buffer is taken as it is, not collected;
//! a stream of replies is tonic's named stream type, not a boxed one.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, header};
use http_body_util::BodyExt;
use tonic::codec::{DecodeBuf, Decoder, EncodeBuf, Encoder};
use tower::{Layer, Service, ServiceExt};

use super::reply::{ReplyTrailers, status_error};
use super::rpc::{RpcTable, deadline_exceeded, drain, grpc_timeout, no_method, within};
use super::values::{ResponseFuture, Rpc, Target};
use super::{DEFAULT_BODY_LIMIT, RouteSpec, stream};
use crate::Error;
use crate::axum_support::ErrorReply;
use crate::codec::Codec;
use crate::route::Streams;
use crate::stream::Stream;

/// A gRPC call over h2 in `codec` (`application/grpc`, `+proto`, `+json`).
pub(super) fn serve(
    table: &Arc<RpcTable>,
    codec: Codec,
    req: http::Request<Body>,
) -> ResponseFuture {
    match codec {
        Codec::Json => {
            let call = grpc_call(table, req, Codec::Json);
            Box::pin(async move { call.await.map(json_content_type) })
        }
        Codec::Protobuf => grpc_call(table, req, codec),
    }
}

/// A gRPC-Web call (`application/grpc-web`, `-web-text`, `+json`), through
/// tonic-web to the gRPC side.
pub(super) fn serve_web(
    table: &Arc<RpcTable>,
    codec: Codec,
    mut req: http::Request<Body>,
) -> ResponseFuture {
    if codec == Codec::Json {
        req.extensions_mut().insert(GrpcJson);
        // tonic-web refuses `+json` (it frames any codec alike): it
        // sees `+proto`, binding and reply see `GrpcJson`.
        for name in [header::CONTENT_TYPE, header::ACCEPT] {
            let Some(value) = req.headers().get(&name).and_then(|v| v.to_str().ok()) else {
                continue;
            };
            let media = value.split(';').next().unwrap_or("").trim();
            let proto = if media.eq_ignore_ascii_case("application/grpc-web-text+json") {
                "application/grpc-web-text+proto"
            } else if media.eq_ignore_ascii_case("application/grpc-web+json") {
                "application/grpc-web+proto"
            } else {
                continue;
            };
            req.headers_mut()
                .insert(name, HeaderValue::from_static(proto));
        }
    }
    let mut web = tonic_web::GrpcWebLayer::new().layer(GrpcService {
        table: table.clone(),
    });
    Box::pin(async move {
        let req = match read_whole_on_http1(req).await {
            Ok(req) => req,
            Err(refused) => return Ok(refused),
        };
        let response = web.call(req).await.map(|r| r.map(Body::new));
        if codec == Codec::Json {
            response.map(json_content_type)
        } else {
            response
        }
    })
}

/// `error` as a trailers-only reply to a gRPC or gRPC-Web caller whose
/// content type is `content_type`: the status in the headers.
pub(super) fn error_reply(error: &Error, content_type: &'static str) -> axum::response::Response {
    let mut reply = error.to_status().into_http::<Body>();
    reply
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    reply
}

/// A gRPC-Web request in JSON (`application/grpc-web+json`), through
/// tonic-web (which sees `+proto`) to the gRPC side: binding and reply use
/// JSON.
#[derive(Debug, Clone, Copy)]
struct GrpcJson;

/// An HTTP/1.1 gRPC-Web request with its (unary, small) body read whole:
/// tonic may answer an error before reading it all (see [`drain`]). A body
/// over the limit is RESOURCE_EXHAUSTED.
async fn read_whole_on_http1(
    req: http::Request<Body>,
) -> Result<http::Request<Body>, axum::response::Response> {
    if req.version() >= http::Version::HTTP_2 {
        return Ok(req);
    }
    let (parts, body) = req.into_parts();
    match http_body_util::Limited::new(body, DEFAULT_BODY_LIMIT)
        .collect()
        .await
    {
        Ok(collected) => Ok(http::Request::from_parts(
            parts,
            Body::from(collected.to_bytes()),
        )),
        Err(e) => Err(tonic::Status::resource_exhausted(format!(
            "the request body could not be read whole: {e}"
        ))
        .into_http()),
    }
}

/// Replaces the content type a gRPC reply got from tonic or tonic-web
/// (`application/grpc`, `…-web+proto`, `…-web-text+proto`) with the JSON
/// one the caller sent.
fn json_content_type(mut response: axum::response::Response) -> axum::response::Response {
    let json = match response.headers().get(header::CONTENT_TYPE) {
        None => return response,
        Some(v) if v.as_bytes().starts_with(b"application/grpc-web-text") => {
            "application/grpc-web-text+json"
        }
        Some(v) if v.as_bytes().starts_with(b"application/grpc-web") => "application/grpc-web+json",
        Some(_) => "application/grpc+json",
    };
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(json));
    response
}

/// What tonic frames: message bytes in, message bytes out.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct RawCodec;

impl tonic::codec::Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = tonic::Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        bytes::BufMut::put(dst, item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, tonic::Status> {
        let len = bytes::Buf::remaining(src);
        Ok(Some(bytes::Buf::copy_to_bytes(src, len)))
    }
}

/// The gRPC side of the routes, as tonic-web wraps it.
#[derive(Clone)]
pub(super) struct GrpcService {
    table: Arc<RpcTable>,
}

impl Service<http::Request<tonic::body::Body>> for GrpcService {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> ResponseFuture {
        let codec = match req.extensions().get::<GrpcJson>() {
            Some(_) => Codec::Json,
            None => Codec::Protobuf,
        };
        grpc_call(&self.table, req, codec)
    }
}

/// One gRPC request (from h2 directly, or from tonic-web): an operation
/// through tonic's machinery for its kind (unary, server, client or bidi
/// streams), or a mounted service.
fn grpc_call<B>(table: &Arc<RpcTable>, mut req: http::Request<B>, codec: Codec) -> ResponseFuture
where
    B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<tower::BoxError> + Send,
{
    let Some((spec, target)) = table.get(req.uri().path()).cloned() else {
        if let Some(service) = table.service(req.uri().path()) {
            let service = service.clone();
            return Box::pin(async move {
                let response = service.oneshot(req.map(tonic::body::Body::new)).await;
                response.map(|r| r.map(Body::new))
            });
        }
        let status = no_method(req.uri().path()).to_status();
        // The body is read (up to the default limit) before answering: an
        // HTTP/1.1 client still writing it would see the connection reset.
        return Box::pin(async move {
            drain(req.into_body()).await;
            Ok(status.into_http())
        });
    };
    let deadline = grpc_timeout(req.headers()).and_then(Result::ok);
    // Moved, not cloned (a clone allocates): tonic reads no URI.
    let uri = std::mem::take(req.uri_mut());
    Box::pin(async move {
        let call = GrpcCall {
            spec,
            target,
            deadline,
            codec,
            uri,
        };
        let mut grpc = tonic::server::Grpc::new(RawCodec);
        let mut response = match spec.streams {
            Streams::Unary => grpc.unary(call, req).await,
            Streams::Server => grpc.server_streaming(call, req).await,
            Streams::Client => grpc.client_streaming(call, req).await,
            Streams::Bidi => grpc.streaming(call, req).await,
        };
        match response.extensions_mut().remove::<ReplyTrailers>() {
            None => Ok(response.map(Body::new)),
            // The handler's trailers join tonic's (grpc-status) at the end.
            Some(ReplyTrailers(trailers)) => Ok(response.map(|body| {
                Body::new(body.map_frame(move |mut frame| {
                    if let Some(end) = frame.trailers_mut() {
                        for (name, value) in &trailers {
                            end.append(name, value.clone());
                        }
                    }
                    frame
                }))
            })),
        }
    })
}

/// One gRPC call, once tonic has read its message.
struct GrpcCall {
    spec: &'static RouteSpec,
    target: Target,
    deadline: Option<Duration>,
    codec: Codec,
    /// The request's URI (the handler sees it, as on HTTP).
    uri: http::Uri,
}

type GrpcFuture<T> =
    std::pin::Pin<Box<dyn Future<Output = Result<tonic::Response<T>, tonic::Status>> + Send>>;

impl GrpcCall {
    /// The route target run for one call: the request rebuilt from what
    /// tonic read (metadata, extensions, and the message or the stream of
    /// messages as `body`).
    fn run(
        &mut self,
        metadata: tonic::metadata::MetadataMap,
        extensions: http::Extensions,
        message: Option<Bytes>,
        body: Body,
    ) -> ResponseFuture {
        let mut req = http::Request::new(body);
        *req.method_mut() = http::Method::POST;
        // Called once per call: the URI moves.
        *req.uri_mut() = std::mem::take(&mut self.uri);
        *req.headers_mut() = metadata.into_headers();
        *req.extensions_mut() = extensions;
        let rpc = Rpc::new(self.codec, message);
        self.target.run(self.spec, req, Vec::new(), Some(rpc))
    }

    /// A call with one request message, as tonic read it.
    fn run_message(&mut self, request: tonic::Request<Bytes>) -> ResponseFuture {
        let (metadata, extensions, message) = request.into_parts();
        self.run(metadata, extensions, Some(message), Body::empty())
    }

    /// A call whose requests stream: tonic's stream of messages as the
    /// request body, one frame per message.
    fn run_stream(&mut self, request: tonic::Request<tonic::Streaming<Bytes>>) -> ResponseFuture {
        let (metadata, extensions, messages) = request.into_parts();
        let body = Body::from_stream(StatusAsError(messages));
        self.run(metadata, extensions, None, body)
    }
}

/// The reply's parts, or the status of an error reply.
fn reply_parts(
    response: axum::response::Response,
) -> Result<(http::response::Parts, Body), tonic::Status> {
    let (parts, body) = response.into_parts();
    if let Some(ErrorReply(error)) = parts.extensions.get::<ErrorReply>() {
        return Err(error.to_status());
    }
    if !parts.status.is_success() {
        return Err(status_error(parts.status).to_status());
    }
    Ok((parts, body))
}

/// tonic's response around `message` with the reply's headers as metadata.
fn tonic_response<T>(mut parts: http::response::Parts, message: T) -> tonic::Response<T> {
    // The reply's own headers (a layer's Content-Type included) go out as
    // metadata; tonic writes the framing ones.
    crate::metadata::strip_framing(&mut parts.headers);
    tonic::Response::from_parts(
        tonic::metadata::MetadataMap::from_headers(parts.headers),
        message,
        parts.extensions,
    )
}

/// One reply message.
async fn unary_reply(
    run: ResponseFuture,
    deadline: Option<Duration>,
) -> Result<tonic::Response<Bytes>, tonic::Status> {
    let Some(Ok(response)) = within(deadline, run).await else {
        return Err(deadline_exceeded().to_status());
    };
    let (parts, body) = reply_parts(response)?;
    let bytes = whole(body)
        .await
        .map_err(|e| tonic::Status::internal(e.to_string()))?;
    Ok(tonic_response(parts, bytes))
}

/// A stream of replies: the body's frames, until the deadline.
async fn stream_reply(
    run: ResponseFuture,
    deadline: Option<Duration>,
) -> Result<tonic::Response<ReplyFrames>, tonic::Status> {
    let started = tokio::time::Instant::now();
    let Some(Ok(response)) = within(deadline, run).await else {
        return Err(deadline_exceeded().to_status());
    };
    let (mut parts, body) = reply_parts(response)?;
    let frames = ReplyFrames(stream::ReplyMessages::new(
        &mut parts,
        body,
        deadline.map(|d| started + d),
    ));
    Ok(tonic_response(parts, frames))
}

impl tonic::server::UnaryService<Bytes> for GrpcCall {
    type Response = Bytes;
    type Future = GrpcFuture<Bytes>;

    fn call(&mut self, request: tonic::Request<Bytes>) -> Self::Future {
        let run = self.run_message(request);
        Box::pin(unary_reply(run, self.deadline))
    }
}

impl tonic::server::ServerStreamingService<Bytes> for GrpcCall {
    type Response = Bytes;
    type ResponseStream = ReplyFrames;
    type Future = GrpcFuture<ReplyFrames>;

    fn call(&mut self, request: tonic::Request<Bytes>) -> Self::Future {
        let run = self.run_message(request);
        Box::pin(stream_reply(run, self.deadline))
    }
}

impl tonic::server::ClientStreamingService<Bytes> for GrpcCall {
    type Response = Bytes;
    type Future = GrpcFuture<Bytes>;

    fn call(&mut self, request: tonic::Request<tonic::Streaming<Bytes>>) -> Self::Future {
        let run = self.run_stream(request);
        Box::pin(unary_reply(run, self.deadline))
    }
}

impl tonic::server::StreamingService<Bytes> for GrpcCall {
    type Response = Bytes;
    type ResponseStream = ReplyFrames;
    type Future = GrpcFuture<ReplyFrames>;

    fn call(&mut self, request: tonic::Request<tonic::Streaming<Bytes>>) -> Self::Future {
        let run = self.run_stream(request);
        Box::pin(stream_reply(run, self.deadline))
    }
}

/// tonic's request stream with its statuses as [`Error`]s, for the body.
struct StatusAsError(tonic::Streaming<Bytes>);

impl Stream for StatusAsError {
    type Item = Result<Bytes, Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::pin::Pin::new(&mut self.0)
            .poll_next(cx)
            .map(|item| item.map(|r| r.map_err(|status| Error::from_status(&status))))
    }
}

/// A reply's messages as tonic's stream, an error as the call's status: a
/// named type, not a boxed stream (one dynamic call less per message).
pub(super) struct ReplyFrames(stream::ReplyMessages);

impl Stream for ReplyFrames {
    type Item = Result<Bytes, tonic::Status>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::pin::Pin::new(&mut self.0)
            .poll_next(cx)
            .map(|item| item.map(|r| r.map_err(|e| e.to_status())))
    }
}

/// A reply body's bytes: the reply step encoded one buffer, so the first
/// frame is all of it (no list of buffers collected); a body a layer
/// replaced is read whole.
async fn whole(mut body: Body) -> Result<Bytes, axum::Error> {
    let first = match body.frame().await.transpose()? {
        None => return Ok(Bytes::new()),
        Some(frame) => frame.into_data().unwrap_or_default(),
    };
    if axum::body::HttpBody::is_end_stream(&body) {
        return Ok(first);
    }
    let rest = body.collect().await?.to_bytes();
    let mut all = bytes::BytesMut::with_capacity(first.len() + rest.len());
    all.extend_from_slice(&first);
    all.extend_from_slice(&rest);
    Ok(all.freeze())
}
