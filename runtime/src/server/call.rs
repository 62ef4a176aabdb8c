//! Call: one matched request, from negotiation and the body read to the
//! service's method; compiled once per route, behind one trait object
//! (see "Compile cost" in the module doc of `server`).

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::binding::{BindingMessage, RequestTarget, bind_request};
use super::reply::{error_response, rpc_error_response, with_operation};
#[cfg(feature = "websocket")]
use super::values::WebSocketCall;
use super::values::{CallRoute, Incoming, ResponseFuture, RouteState, Rpc, StreamFormat};
use super::{BodyFieldFn, BodyRule, ReplyTo, rpc};
use crate::codec::Codec;
use crate::context::CallContext;
use crate::metadata::GLOBAL_METADATA_PREFIX;
use crate::route::{Request, Response};
use crate::{Error, codec};

/// A generated call function: the service's method called with the bound
/// request, its reply sent through [`ReplyTo`], as one boxed future:
///
/// ```ignore
/// fn call_get_shelf<S: LibraryService>(
///     service: Arc<S>,
///     request: Request<GetShelfRequest>,
///     reply: ReplyTo,
/// ) -> ReplyFuture {
///     Box::new(async move { reply.send(service.get_shelf(request).await) })
/// }
/// ```
pub type ServiceCall<S, M> = fn(Arc<S>, Request<M>, ReplyTo) -> ReplyFuture;

/// What a [`ServiceCall`] returns: the HTTP response's future, boxed and
/// not yet pinned. The runtime pins it (`Box::into_pin`, compiled once for
/// the trait object), so a route compiles `Box::new` alone, not
/// `Box::pin` and `Box::new`.
pub type ReplyFuture =
    Box<dyn Future<Output = Result<axum::response::Response, Infallible>> + Send>;

/// A route's service, its call function and its body field accessor.
/// [`CallRoute::call`] is the only code compiled per route (per service
/// and request type) besides the generated call's own future.
pub(super) struct Bound<S, M> {
    pub(super) service: Arc<S>,
    pub(super) call: ServiceCall<S, M>,
    pub(super) field: Option<BodyFieldFn<M>>,
}

impl<S, M> CallRoute for Bound<S, M>
where
    S: Send + Sync + 'static,
    M: prost::Message + Default + serde::de::DeserializeOwned + Send + 'static,
{
    fn call(&self, incoming: Incoming<'_>) -> ResponseFuture {
        let mut message = M::default();
        let mut target = RequestTarget {
            message: &mut message,
            field: self.field,
        };
        // A pattern, not `Option::is_some`: no function compiled per route.
        #[allow(clippy::redundant_pattern_matching)]
        let has_field = matches!(self.field, Some(_));
        let target = BindingMessage {
            has_field,
            message: &mut target,
        };
        match bind_incoming(incoming, target) {
            Ok(BoundParts {
                parts,
                operation,
                reply,
            }) => {
                let context = call_context(operation, &parts.headers, &reply);
                let call = (self.call)(
                    self.service.clone(),
                    Request {
                        parts,
                        operation,
                        message,
                    },
                    reply,
                );
                in_context(context, call)
            }
            Err(failed) => failed,
        }
    }
}

/// The call context of a bound request, and the deadline an HTTP/JSON
/// route enforces itself (the RPC transports enforce theirs).
pub(super) struct ContextOf {
    context: CallContext,
    http_deadline: Option<(std::time::Instant, Codec)>,
}

/// The context a handler runs in: the call's operation, global metadata
/// and deadline (`grpc-timeout`, read on HTTP/JSON too as grpc-gateway
/// does, or `Connect-Timeout-Ms`), read in one pass over the headers.
/// `None` for a call that carries neither: nothing to propagate, and no
/// scope to pay for (one allocation per call).
pub(super) fn call_context(
    operation: &'static str,
    headers: &HeaderMap,
    reply: &ReplyTo,
) -> Option<ContextOf> {
    let mut metadata = HeaderMap::new();
    let mut timeout = None;
    for (name, value) in headers {
        if name.as_str().starts_with(GLOBAL_METADATA_PREFIX) {
            metadata.append(name.clone(), value.clone());
        } else if name == rpc::GRPC_TIMEOUT {
            timeout = rpc::parse_grpc_timeout(value);
        } else if name == rpc::CONNECT_TIMEOUT_MS && timeout.is_none() {
            timeout = rpc::parse_connect_timeout(value);
        }
    }
    if metadata.is_empty() && timeout.is_none() {
        return None;
    }
    let context = CallContext::of(operation, metadata, timeout);
    let http_deadline = match (reply.rpc, context.deadline()) {
        (false, Some(deadline)) => Some((deadline, reply.codec)),
        _ => None,
    };
    Some(ContextOf {
        context,
        http_deadline,
    })
}

/// Runs a generated call's future with its [`CallContext`] current, and
/// an HTTP/JSON call's deadline: once it passes, the handler is dropped
/// and the caller gets 504 `DEADLINE_EXCEEDED`. Compiled once, not per
/// route.
pub(super) fn in_context(context: Option<ContextOf>, call: ReplyFuture) -> ResponseFuture {
    let call = Box::into_pin(call);
    let Some(ContextOf {
        context,
        http_deadline,
    }) = context
    else {
        return call;
    };
    Box::pin(context.scope(async move {
        match http_deadline {
            None => call.await,
            Some((deadline, codec)) => match tokio::time::timeout_at(deadline.into(), call).await {
                Ok(reply) => reply,
                Err(_) => Ok(error_response(codec, rpc::deadline_exceeded())),
            },
        }
    }))
}

/// What a bound request carries besides its message.
pub(super) struct BoundParts {
    pub(super) parts: Box<http::request::Parts>,
    pub(super) operation: &'static str,
    pub(super) reply: ReplyTo,
}

/// Binds `incoming` into `target`: what comes with the message, or the
/// reply to a request that could not be bound. Everything of a route's
/// call but creating the message and calling the service, kept out of the
/// code compiled per route.
pub(super) fn bind_incoming(
    incoming: Incoming<'_>,
    mut target: BindingMessage<'_>,
) -> Result<BoundParts, ResponseFuture> {
    let Incoming {
        route,
        parts,
        bytes,
        values,
        codec,
        rpc,
        stream_format,
        ..
    } = incoming;
    let whole = rpc.then_some(codec);
    match bind_request(route, &parts, bytes, values, whole, &mut target) {
        Ok(()) => Ok(BoundParts {
            parts,
            operation: route.spec.operation,
            reply: ReplyTo::new(route, codec, rpc, stream_format),
        }),
        Err(e) if rpc => Err(ready(route, rpc_error_response(e))),
        Err(e) => Err(ready(route, error_response(codec, e))),
    }
}

/// [`Routes::add`]'s call function: the closure is the "service".
pub(super) fn call_closure<M, R, F, Fut>(
    handler: Arc<F>,
    request: Request<M>,
    reply: ReplyTo,
) -> ReplyFuture
where
    R: prost::Message + serde::Serialize + Send + 'static,
    F: Fn(Request<M>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<R>, Error>> + Send + 'static,
{
    let reply_future = handler(request);
    Box::new(async move { reply.send(reply_future.await) })
}

/// A request up to its first await: negotiation, and for body-less routes
/// binding and the handler call, happen here, so the future boxed per
/// request holds only what lives across an await (a smaller allocation).
pub(super) fn start(
    route: &Arc<RouteState>,
    req: http::Request<Body>,
    values: Vec<String>,
    mut rpc: Option<Rpc>,
) -> ResponseFuture {
    let spec = route.spec;
    // An RPC transport's codec is its content type's; its body is read.
    let accept = match rpc {
        Some(_) => None,
        None => req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok()),
    };
    let stream_format = match (&rpc, spec.streams.replies()) {
        (Some(rpc), _) => StreamFormat::Frames { direct: rpc.direct },
        (None, true) => match StreamFormat::for_http(spec, accept) {
            // One JSON reply per WebSocket message, not JSON lines.
            #[cfg(feature = "websocket")]
            StreamFormat::Ndjson if req.extensions().get::<WebSocketCall>().is_some() => {
                StreamFormat::Frames { direct: false }
            }
            format => format,
        },
        (None, false) => StreamFormat::Ndjson,
    };
    let codec = match (&rpc, stream_format) {
        (Some(rpc), _) => Some(rpc.codec),
        (None, StreamFormat::Frames { .. }) => Some(Codec::Json),
        // A stream of JSON lines or events, whatever else Accept lists.
        (None, StreamFormat::Ndjson | StreamFormat::Sse) if spec.streams.replies() => {
            Some(Codec::Json)
        }
        (None, _) => codec::negotiate(accept),
    };
    let Some(codec) = codec else {
        let error = Error::new(
            406,
            "NOT_ACCEPTABLE",
            "acceptable replies are application/json and application/x-protobuf",
        );
        return ready(route, error_response(Codec::Json, error));
    };
    let (parts, body) = req.into_parts();
    let is_rpc = rpc.is_some();
    if spec.streams.requests() {
        // The body is the stream of requests: not read here.
        return route.call.call(Incoming {
            route,
            parts: Box::new(parts),
            bytes: Bytes::new(),
            body,
            values: &values,
            codec,
            rpc: is_rpc,
            stream_format,
        });
    }
    // Read already: a gRPC message tonic decoded; no body at all.
    let read = match rpc.as_mut() {
        Some(rpc) => rpc.message.take(),
        None if matches!(spec.body, BodyRule::None) => Some(Bytes::new()),
        None => None,
    };
    let parts = Box::new(parts);
    if let Some(bytes) = read {
        return route.call.call(Incoming {
            route,
            parts,
            bytes,
            body: Body::empty(),
            values: &values,
            codec,
            rpc: is_rpc,
            stream_format,
        });
    }
    Box::pin(read_then_respond(
        route.clone(),
        codec,
        is_rpc,
        stream_format,
        parts,
        body,
        values,
    ))
}

pub(super) fn ready(route: &RouteState, response: axum::response::Response) -> ResponseFuture {
    let response = with_operation(route.spec, &route.config, response);
    Box::pin(std::future::ready(Ok(response)))
}

/// Reads the body, then binds, calls the handler and encodes its reply.
pub(super) async fn read_then_respond(
    route: Arc<RouteState>,
    codec: Codec,
    rpc: bool,
    stream_format: StreamFormat,
    parts: Box<http::request::Parts>,
    body: Body,
    values: Vec<String>,
) -> Result<axum::response::Response, Infallible> {
    let config = &route.config;
    match read_body(&parts, body, config.body_limit, config.body_timeout).await {
        Ok(bytes) => {
            let incoming = Incoming {
                route: &route,
                parts,
                bytes,
                body: Body::empty(),
                values: &values,
                codec,
                rpc,
                stream_format,
            };
            route.call.call(incoming).await
        }
        Err(e) => Ok(with_operation(
            route.spec,
            &route.config,
            error_response(codec, e),
        )),
    }
}

pub(super) async fn read_body(
    parts: &http::request::Parts,
    body: Body,
    limit: usize,
    timeout: Option<std::time::Duration>,
) -> Result<Bytes, Error> {
    let too_large = || {
        Error::new(
            413,
            "PAYLOAD_TOO_LARGE",
            format!("request body exceeds {limit} bytes"),
        )
    };
    if let Some(len) = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit as u64
    {
        return Err(too_large());
    }
    let collect = Limited::new(body, limit).collect();
    let collected = match timeout {
        None => collect.await,
        // Boxed: a timer is large and most routers set no timeout.
        Some(timeout) => match Box::pin(tokio::time::timeout(timeout, collect)).await {
            Ok(collected) => collected,
            Err(_) => {
                return Err(Error::new(
                    408,
                    "REQUEST_TIMEOUT",
                    format!("the request body did not arrive within {timeout:?}"),
                ));
            }
        },
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(too_large()),
        Err(e) => Err(Error::bad_request(
            "BAD_BODY",
            format!("reading the request body failed: {e}"),
        )),
    }
}
