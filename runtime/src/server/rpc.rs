//! RPC transports on the routes' port: gRPC, gRPC-Web and Connect (unary)
//! at `/{package}.{Service}/{Method}`, beside the HTTP/JSON routes, served
//! by the same routes: a request is classified once ([`Protocol::of`]),
//! then runs the same route target as an HTTP request (the same
//! [`Routes::layer`] layers, the same binding and call), marked with an
//! [`Rpc`] extension that makes binding decode the whole message from the
//! body and the reply encode the whole message.
//!
//! gRPC framing, compression and status trailers are tonic's
//! (`tonic::server::Grpc`), gRPC-Web is tonic-web's layer. The codec tonic
//! runs is [`RawCodec`] (frames ⇄ bytes), not tonic-prost's per-message
//! codec: the message is decoded by the route's own `DecodeMessage`, as on
//! the HTTP path, so no code is compiled per message type for gRPC. The
//! Connect unary protocol (a POST body, a JSON error) is small and ours.
//!
//! Kept for speed (each measured with callgrind against plain tonic): the
//! [`Rpc`] marker is an argument of [`Target::run`], an extension only
//! where layers are; operations are found with an FNV hash
//! ([`PathHasher`]); a reply's one buffer is taken as it is, not collected.

use std::time::Duration;

use base64::Engine;
use tonic::codec::{DecodeBuf, Decoder, EncodeBuf, Encoder};

use super::*;
use crate::route::Streams;
use crate::status::GrpcCode;
use crate::stream::Stream;

/// How an RPC request reached its route's target ([`Target::run`]): the
/// request message is the whole body in this codec (or `message`, already
/// read: a gRPC frame tonic decoded, a Connect GET's query), the reply the
/// whole reply message.
#[derive(Debug, Clone)]
pub(super) struct Rpc {
    pub(super) codec: Codec,
    pub(super) message: Option<Bytes>,
    /// No layer is between the route's reply and the transport
    /// (`Target::Direct`): a stream of replies is handed over as it is.
    pub(super) direct: bool,
}

impl Rpc {
    /// `direct` is for [`Target::run`] to say.
    pub(super) fn new(codec: Codec, message: Option<Bytes>) -> Rpc {
        Rpc {
            codec,
            message,
            direct: false,
        }
    }
}

/// A gRPC-Web request in JSON (`application/grpc-web+json`), through
/// tonic-web (which sees `+proto`) to the gRPC side: binding and reply use
/// JSON.
#[derive(Debug, Clone, Copy)]
struct GrpcJson;

/// Reads what is left of a request body (up to the default limit) before
/// an early answer: an HTTP/1.1 connection whose request body was not read
/// is closed after the reply, and a client that already reused it (or is
/// still writing) sees a reset instead of the answer.
async fn drain<B>(body: B)
where
    B: axum::body::HttpBody<Data = Bytes>,
    B::Error: Into<tower::BoxError>,
{
    let _ = http_body_util::Limited::new(body, DEFAULT_BODY_LIMIT)
        .collect()
        .await;
}

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

/// An RPC protocol, decided once per request from its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Protocol {
    /// `application/grpc`, `application/grpc+proto`, `+json`.
    Grpc(Codec),
    /// `application/grpc-web`, `-web+proto`, `-web-text`, `+json` (tonic-web).
    GrpcWeb(Codec),
    /// Connect unary: `application/proto` or `application/json` with a
    /// `Connect-Protocol-Version` header.
    Connect(Codec),
    /// Connect streams: `application/connect+proto`, `+json`.
    ConnectStream(Codec),
    /// A JSON POST without the header: Connect when no HTTP route takes it.
    MaybeConnect,
    /// Connect's GET (`?connect=v1&encoding=…&message=…`), for methods
    /// marked `NO_SIDE_EFFECTS`.
    ConnectGet,
    /// An RPC request this server cannot read: another method than POST
    /// (405), or a content type or codec no transport speaks (415).
    Unsupported(u16),
}

impl Protocol {
    pub(super) fn of(req: &http::Request<Body>) -> Option<Protocol> {
        // Looked up only when needed: a header lookup hashes its name.
        let versioned = || req.headers().contains_key(CONNECT_PROTOCOL_VERSION);
        if req.method() == http::Method::GET
            && req
                .uri()
                .query()
                .is_some_and(|q| q.split('&').any(|p| p == "connect=v1"))
        {
            return Some(Protocol::ConnectGet);
        }
        if req.method() != http::Method::POST {
            // Connect's header or a gRPC content type says an RPC was meant.
            let grpc = || {
                req.headers()
                    .get(header::CONTENT_TYPE)
                    .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
            };
            return (versioned() || grpc()).then_some(Protocol::Unsupported(405));
        }
        let Some(content_type) = req.headers().get(header::CONTENT_TYPE) else {
            return versioned().then_some(Protocol::Unsupported(415));
        };
        // What gRPC clients send, compared whole before any parsing.
        if content_type.as_bytes() == b"application/grpc" {
            return Some(Protocol::Grpc(Codec::Protobuf));
        }
        let content_type = content_type.to_str().ok()?;
        let media = content_type.split(';').next().unwrap_or("").trim();
        // Case-insensitive without a lowercase copy: once per request.
        let starts = |prefix: &str| {
            media.len() >= prefix.len() && media[..prefix.len()].eq_ignore_ascii_case(prefix)
        };
        let is = |name: &str| media.eq_ignore_ascii_case(name);
        let codec = if media.len() >= 5 && media[media.len() - 5..].eq_ignore_ascii_case("+json") {
            Codec::Json
        } else {
            Codec::Protobuf
        };
        if starts("application/grpc-web") {
            return Some(Protocol::GrpcWeb(codec));
        }
        if is("application/grpc") || is("application/grpc+proto") || is("application/grpc+json") {
            return Some(Protocol::Grpc(codec));
        }
        if starts("application/grpc+") {
            // A codec this server does not speak.
            return Some(Protocol::Unsupported(415));
        }
        if starts("application/connect+") {
            return match codec {
                Codec::Json => Some(Protocol::ConnectStream(Codec::Json)),
                _ if is("application/connect+proto") => {
                    Some(Protocol::ConnectStream(Codec::Protobuf))
                }
                _ => Some(Protocol::Unsupported(415)),
            };
        }
        if is("application/proto") {
            Some(Protocol::Connect(Codec::Protobuf))
        } else if is("application/json") && !versioned() {
            Some(Protocol::MaybeConnect)
        } else if is("application/json") {
            Some(Protocol::Connect(Codec::Json))
        } else if versioned() {
            Some(Protocol::Unsupported(415))
        } else {
            None
        }
    }
}

// Header names as constants: a `&str` name is parsed on every lookup.
const CONNECT_PROTOCOL_VERSION: http::HeaderName =
    http::HeaderName::from_static("connect-protocol-version");
const CONNECT_TIMEOUT_MS: http::HeaderName = http::HeaderName::from_static("connect-timeout-ms");
const GRPC_TIMEOUT: http::HeaderName = http::HeaderName::from_static("grpc-timeout");

/// The RPC side of the routes: one target per operation (the first
/// binding's), and whole gRPC services mounted beside them.
#[derive(Default)]
pub(super) struct RpcTable {
    pub(super) operations: std::collections::HashMap<
        &'static str,
        (&'static RouteSpec, Target),
        std::hash::BuildHasherDefault<PathHasher>,
    >,
    /// `/{service name}/` and the service ([`Routes::grpc_service`]).
    pub(super) services: Vec<(String, GrpcEndpoint)>,
}

impl RpcTable {
    pub(super) fn get(&self, path: &str) -> Option<&(&'static RouteSpec, Target)> {
        self.operations.get(path)
    }

    pub(super) fn contains_key(&self, path: &str) -> bool {
        self.operations.contains_key(path)
    }

    fn service(&self, path: &str) -> Option<&GrpcEndpoint> {
        self.services
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix.as_str()))
            .map(|(_, service)| service)
    }
}

/// FNV-1a over a method path: looked up once per RPC, with short keys the
/// server chose itself (no flooding to defend against), where std's
/// SipHash costs more than the rest of the lookup.
#[derive(Default)]
pub(super) struct PathHasher(u64);

impl std::hash::Hasher for PathHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A mounted gRPC service (tonic-health's, tonic-reflection's, a
/// tonic-generated server), boxed.
pub(super) type GrpcEndpoint = BoxCloneSyncService<
    http::Request<tonic::body::Body>,
    http::Response<tonic::body::Body>,
    Infallible,
>;

/// Serves `req` over `protocol` when its path names an operation.
pub(super) fn serve(
    table: &Arc<RpcTable>,
    protocol: Protocol,
    req: http::Request<Body>,
) -> ResponseFuture {
    let mut req = req;
    if protocol == Protocol::GrpcWeb(Codec::Json) {
        req.extensions_mut().insert(GrpcJson);
        {
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
    }
    match protocol {
        Protocol::Grpc(Codec::Json) => {
            let call = grpc_call(table, req, Codec::Json);
            Box::pin(async move { call.await.map(json_content_type) })
        }
        Protocol::Grpc(codec) => grpc_call(table, req, codec),
        Protocol::GrpcWeb(codec) => {
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
        Protocol::Connect(codec) => connect(table, codec, None, req),
        Protocol::ConnectStream(codec) => super::envelope::connect_stream(table, codec, req),
        Protocol::ConnectGet => match connect_get_message(table, &req) {
            Ok((codec, message)) => connect(table, codec, Some(message), req),
            Err(reply) => reply,
        },
        Protocol::MaybeConnect => connect(table, Codec::Json, None, req),
        Protocol::Unsupported(status) => {
            let response = unsupported(status, &req);
            after_body(req, response)
        }
    }
}

/// The reply to an RPC request no transport reads: 405 with `Allow`, or 415
/// with `Accept-Post`, as connect-go answers. A Connect caller (its version
/// header) also gets a Connect error saying why; gRPC and gRPC-Web clients
/// read the status only, so their reply has no body (a JSON body would be
/// taken for a Connect error and misread).
fn unsupported(status: u16, req: &http::Request<Body>) -> axum::response::Response {
    let (status, why, allowed) = match status {
        405 => (
            StatusCode::METHOD_NOT_ALLOWED,
            format!("method {} is not allowed: use POST", req.method()),
            (header::ALLOW, "POST"),
        ),
        _ => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported content type: use application/json or application/proto".into(),
            (
                http::HeaderName::from_static("accept-post"),
                "application/json, application/proto, application/connect+json, \
                 application/connect+proto, application/grpc, application/grpc+json, \
                 application/grpc-web, application/grpc-web+json",
            ),
        ),
    };
    let mut response = if req.headers().contains_key(CONNECT_PROTOCOL_VERSION) {
        connect_error(&Error::from_grpc(GrpcCode::Unknown, "", why))
    } else {
        axum::response::Response::new(Body::empty())
    };
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(allowed.0, HeaderValue::from_static(allowed.1));
    response
}

// ---------------------------------------------------------------- gRPC

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
        let status =
            tonic::Status::unimplemented(format!("no method {} on this server", req.uri().path()));
        // The body is read (up to the default limit) before answering: an
        // HTTP/1.1 client still writing it would see the connection reset.
        return Box::pin(async move {
            drain(req.into_body()).await;
            Ok(status.into_http())
        });
    };
    let deadline = req
        .headers()
        .get(GRPC_TIMEOUT)
        .and_then(|v| v.to_str().ok())
        .and_then(grpc_timeout);
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

/// `grpc-timeout`: up to 8 digits and a unit (H, M, S, m, u, n).
fn grpc_timeout(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// The deadline a caller sent, on any transport: `grpc-timeout` (gRPC,
/// gRPC-Web, and HTTP/JSON as grpc-gateway reads it) or
/// `Connect-Timeout-Ms`. Invalid values are none here (the transports
/// answer them).
pub(super) fn call_timeout(headers: &HeaderMap) -> Option<Duration> {
    if headers.is_empty() {
        return None;
    }
    if let Some(value) = headers.get(GRPC_TIMEOUT) {
        return value.to_str().ok().and_then(grpc_timeout);
    }
    let ms = headers.get(CONNECT_TIMEOUT_MS)?.to_str().ok()?;
    (ms.len() <= 10)
        .then(|| ms.parse().ok().map(Duration::from_millis))
        .flatten()
}

/// `future`, unless `deadline` passes first (then the future is dropped).
pub(super) async fn within<F: Future>(deadline: Option<Duration>, future: F) -> Option<F::Output> {
    match deadline {
        None => Some(future.await),
        Some(deadline) => tokio::time::timeout(deadline, future).await.ok(),
    }
}

pub(super) fn deadline_exceeded() -> Error {
    Error::gateway_timeout("DEADLINE_EXCEEDED", "the deadline passed before the reply")
}

// ------------------------------------------------------------- Connect

/// A Connect unary call: the body is the message in `codec`, the reply
/// the message in the same codec, an error Connect's JSON.
fn connect(
    table: &Arc<RpcTable>,
    codec: Codec,
    message: Option<Bytes>,
    req: http::Request<Body>,
) -> ResponseFuture {
    let Some((spec, target)) = table.get(req.uri().path()).cloned() else {
        // As connect-go answers an unknown procedure: 404, `unimplemented`.
        let error = Error::from_grpc(
            GrpcCode::Unimplemented,
            "",
            format!("no method {} on this server", req.uri().path()),
        );
        let mut response = connect_error(&error);
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
        let mut response = connect_error(&error);
        *response.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
        return after_body(req, response);
    }
    if let Some(version) = req.headers().get(CONNECT_PROTOCOL_VERSION)
        && version != "1"
    {
        let error = Error::bad_request(
            "INVALID_ARGUMENT",
            format!("Connect-Protocol-Version {version:?} is not supported: send 1"),
        );
        return after_body(req, connect_error(&error));
    }
    let deadline = match req.headers().get(CONNECT_TIMEOUT_MS) {
        None => None,
        Some(ms) => match ms.to_str().ok().and_then(|v| v.parse::<u64>().ok()) {
            Some(ms) if ms.to_string().len() <= 10 => Some(Duration::from_millis(ms)),
            _ => {
                let error = Error::bad_request(
                    "INVALID_ARGUMENT",
                    format!("Connect-Timeout-Ms {ms:?} is not a number of milliseconds"),
                );
                return after_body(req, connect_error(&error));
            }
        },
    };
    if let Some(encoding) = req.headers().get(header::CONTENT_ENCODING)
        && encoding != "identity"
    {
        let error = Error::new(
            501,
            "UNIMPLEMENTED",
            format!("Content-Encoding {encoding:?} is not supported"),
        );
        return after_body(req, connect_error(&error));
    }
    let run = target.run(spec, req, Vec::new(), Some(Rpc::new(codec, message)));
    Box::pin(async move {
        let Some(Ok(mut response)) = within(deadline, run).await else {
            return Ok(connect_error(&deadline_exceeded()));
        };
        if let Some(ErrorReply(error)) = response.extensions().get::<ErrorReply>() {
            return Ok(connect_error(error));
        }
        if !response.status().is_success() {
            return Ok(connect_error(&status_error(response.status())));
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

/// `response`, once the request body is read (see [`drain`]).
fn after_body(req: http::Request<Body>, response: axum::response::Response) -> ResponseFuture {
    Box::pin(async move {
        drain(req.into_body()).await;
        Ok(response)
    })
}

/// The codec and message of a Connect GET: `encoding`, `message`
/// (percent-encoded, or base64url with `base64=1`), no `compression`.
fn connect_get_message(
    table: &RpcTable,
    req: &http::Request<Body>,
) -> Result<(Codec, Bytes), ResponseFuture> {
    // The error reply: a Connect error with `status`.
    let reply = |status: StatusCode, error: Error| -> ResponseFuture {
        let mut response = connect_error(&error);
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
            let error = Error::from_grpc(
                GrpcCode::Unimplemented,
                "",
                format!("no method {} on this server", req.uri().path()),
            );
            return Err(reply(StatusCode::NOT_FOUND, error));
        }
    }
    let (mut encoding, mut message, mut base64_flag) = (None, None, false);
    for pair in req.uri().query().unwrap_or("").split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = crate::bind::form_decode(value)
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

/// Connect's error JSON: code, message, and the reason and metadata as a
/// `google.rpc.ErrorInfo` detail (what kratos puts in the gRPC status).
pub(super) fn connect_error(error: &Error) -> axum::response::Response {
    let code = error.grpc_code();
    let body = connect_error_json(error);
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
pub(super) fn connect_error_json(error: &Error) -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_in_every_unit() {
        assert_eq!(grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(grpc_timeout("2M"), Some(Duration::from_secs(120)));
        assert_eq!(grpc_timeout("3S"), Some(Duration::from_secs(3)));
        assert_eq!(grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(grpc_timeout("7u"), Some(Duration::from_micros(7)));
        assert_eq!(grpc_timeout("9n"), Some(Duration::from_nanos(9)));
        for bad in ["", "S", "123456789S", "1x", "-1S", "1.5S"] {
            assert_eq!(grpc_timeout(bad), None, "{bad}");
        }
    }

    #[test]
    fn connect_codes_and_statuses_follow_the_protocol() {
        let not_found = Error::not_found("BOOK_MISSING", "no book");
        assert_eq!(not_found.grpc_code().connect_name(), "not_found");
        let response = connect_error(&not_found);
        assert_eq!(response.status(), 404);
        assert_eq!(GrpcCode::ResourceExhausted.connect_http_status(), 429);
        assert_eq!(GrpcCode::Cancelled.connect_http_status(), 499);
    }

    fn request(content_type: &str, versioned: bool) -> http::Request<Body> {
        let mut req = http::Request::post("/p.S/M").header(header::CONTENT_TYPE, content_type);
        if versioned {
            req = req.header(CONNECT_PROTOCOL_VERSION, "1");
        }
        req.body(Body::empty()).unwrap()
    }

    #[test]
    fn the_protocol_is_read_from_the_content_type_once() {
        use Protocol::*;
        assert_eq!(
            Protocol::of(&request("application/grpc", false)),
            Some(Grpc(Codec::Protobuf))
        );
        assert_eq!(
            Protocol::of(&request("application/grpc+proto", false)),
            Some(Grpc(Codec::Protobuf))
        );
        assert_eq!(
            Protocol::of(&request("application/grpc-web-text", false)),
            Some(GrpcWeb(Codec::Protobuf))
        );
        assert_eq!(
            Protocol::of(&request("application/grpc-web+json", false)),
            Some(GrpcWeb(Codec::Json))
        );
        assert_eq!(
            Protocol::of(&request("application/grpc+JSON", false)),
            Some(Grpc(Codec::Json))
        );
        assert_eq!(
            Protocol::of(&request("application/proto", false)),
            Some(Connect(Codec::Protobuf))
        );
        assert_eq!(
            Protocol::of(&request("application/json; charset=utf-8", true)),
            Some(Connect(Codec::Json))
        );
        assert_eq!(
            Protocol::of(&request("application/json", false)),
            Some(MaybeConnect)
        );
        assert_eq!(Protocol::of(&request("text/plain", false)), None);
    }
}
