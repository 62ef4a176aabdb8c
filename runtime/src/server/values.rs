//! The values the steps pass one another, in one leaf module that every
//! step imports and that imports none of them: the router's settings, a
//! route's target and handler, how an RPC call reaches it ([`Rpc`]), a
//! matched request with its body read ([`Incoming`]) and how a stream of
//! replies goes out ([`StreamFormat`]).

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use bytes::Bytes;
use tower::util::BoxCloneSyncService;

use super::{ResponseBody, RouteSpec};
use crate::codec::Codec;

/// Router settings.
#[derive(Debug, Clone)]
pub(super) struct Config {
    pub(super) body_limit: usize,
    pub(super) body_timeout: Option<std::time::Duration>,
    pub(super) emit_defaults: bool,
    /// An idle SSE stream's comment interval.
    pub(super) keep_alive: std::time::Duration,
    /// How long a stream of replies may send nothing before it ends.
    pub(super) stream_idle_timeout: Option<std::time::Duration>,
    /// [`Operation`](super::Operation) in every response's extensions.
    pub(super) operation_in_responses: bool,
}

pub(super) type Endpoint =
    BoxCloneSyncService<http::Request<Body>, axum::response::Response, Infallible>;
pub(super) type ResponseFuture =
    std::pin::Pin<Box<dyn Future<Output = Result<axum::response::Response, Infallible>> + Send>>;
/// Serves one matched request, given its path captures: called directly
/// (no service clone, one boxed future) unless the route has layers.
pub(super) type Handler =
    Arc<dyn Fn(http::Request<Body>, Vec<String>, Option<Rpc>) -> ResponseFuture + Send + Sync>;
pub(super) type MakeHandler = Arc<dyn Fn(Arc<Config>) -> Handler + Send + Sync>;
pub(super) type WrapEndpoint = Arc<dyn Fn(Endpoint) -> Endpoint + Send + Sync>;

/// What a matched route runs.
#[derive(Clone)]
pub(super) enum Target {
    Direct(Handler),
    /// Through tower layers: the captures travel as [`PathValues`].
    Layered(Endpoint),
}

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

#[cfg(feature = "grpc")]
/// A mounted gRPC service (tonic-health's, tonic-reflection's, a
/// tonic-generated server), boxed.
pub(super) type GrpcEndpoint = BoxCloneSyncService<
    http::Request<tonic::body::Body>,
    http::Response<tonic::body::Body>,
    Infallible,
>;

/// What every request of one route shares.
pub(super) struct RouteState {
    pub(super) spec: &'static RouteSpec,
    pub(super) call: CallFn,
    pub(super) config: Arc<Config>,
}

/// Binds and calls one route: its [`Bound`] behind a trait object, so
/// that everything around it is compiled once.
pub(super) type CallFn = Arc<dyn CallRoute>;

/// One route's request: bound, handed to the service, its reply encoded.
pub(super) trait CallRoute: Send + Sync {
    fn call(&self, incoming: Incoming<'_>) -> ResponseFuture;
}

/// A matched request with its body read: what a route binds from.
pub(super) struct Incoming<'a> {
    pub(super) route: &'a RouteState,
    pub(super) parts: Box<http::request::Parts>,
    pub(super) bytes: Bytes,
    /// The unread body, for a route whose requests stream (else empty).
    pub(super) body: Body,
    /// Path captures.
    pub(super) values: &'a [String],
    /// The negotiated reply codec.
    pub(super) codec: Codec,
    /// An RPC transport's request: the body is the whole message, the
    /// reply the whole reply, in `codec`.
    pub(super) rpc: bool,
    /// How a stream of replies goes out.
    pub(super) stream_format: StreamFormat,
}

/// How a stream of replies goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StreamFormat {
    /// gRPC, gRPC-Web, Connect: one message per body frame, in the codec;
    /// the transport frames them. An error ends the body with the Error.
    /// `direct`: no layer is between the reply and the transport, so the
    /// messages are handed over as a stream ([`HandedOver`]), not put in
    /// body frames and read back.
    Frames { direct: bool },
    /// `application/x-ndjson`: `{"result": …}` per line, a final
    /// `{"error": …}` line (grpc-gateway's form).
    Ndjson,
    /// `text/event-stream` (asked for with `Accept`): `data: …` per
    /// message, a final `event: error`, comments to keep the connection
    /// alive.
    Sse,
    /// A stream of `google.api.HttpBody`: the bytes as they come.
    Raw,
}

impl StreamFormat {
    /// The format for an HTTP/JSON request: SSE when `Accept` asks for it.
    pub(super) fn for_http(spec: &RouteSpec, accept: Option<&str>) -> StreamFormat {
        if matches!(
            spec.response_body,
            ResponseBody::HttpBody | ResponseBody::FieldHttpBody(_)
        ) {
            StreamFormat::Raw
        } else if accept.is_some_and(|a| a.contains("text/event-stream")) {
            StreamFormat::Sse
        } else {
            StreamFormat::Ndjson
        }
    }
}

#[cfg(feature = "websocket")]
/// Marks a call made over a WebSocket: its replies are one message per
/// body frame (`StreamFormat::Frames`), not JSON lines.
#[derive(Debug, Clone, Copy)]
pub(super) struct WebSocketCall;
