//! The service-level middleware chain: [`Routes::layer`] layers wrap the
//! whole dispatch (every transport, mounted gRPC services, the fallback,
//! CORS preflights, WebSocket upgrades), and what a layer answers by
//! itself is put in the caller's protocol here, outside every layer.
//!
//! The dispatch's own replies are marked ([`Dispatched`], in the response
//! extensions) and pass untouched, as does a reply already in the
//! caller's protocol (a layer may rebuild a response and drop the mark);
//! any other is the layer's own.

use axum::body::Body;
use http::header;
use tower::ServiceExt;

use super::connect;
use super::protocol::Protocol;
use super::reply::{error_response, status_error};
use super::values::{Endpoint, ResponseFuture};
use crate::Error;
use crate::axum_support::ErrorReply;
use crate::codec::Codec;

#[cfg(feature = "grpc")]
use super::grpc;

/// Serves `req` through the layered dispatch, then answers the caller in
/// its protocol.
pub(super) fn call(layered: Endpoint, req: http::Request<Body>) -> ResponseFuture {
    let caller = Caller::of(&req);
    Box::pin(async move {
        let Ok(response) = layered.oneshot(req).await;
        Ok(caller.answer(response))
    })
}

/// The mark of a reply the dispatch made, for [`Caller::answer`]: one
/// extension per request, only where there are service layers.
#[derive(Debug, Clone, Copy)]
struct Dispatched;

/// `reply`, marked as the dispatch's.
pub(super) fn dispatched(reply: ResponseFuture) -> ResponseFuture {
    Box::pin(async move {
        let Ok(mut response) = reply.await;
        response.extensions_mut().insert(Dispatched);
        Ok(response)
    })
}

/// Who is calling, as far as the form of an error goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// HTTP/JSON (and anything else): kratos' error JSON.
    Http,
    /// gRPC, or gRPC-Web with its content type: a trailers-only status.
    Grpc(&'static str),
    /// Connect unary (POST or GET): Connect's error JSON.
    Connect,
    /// Connect streaming with its content type: an end-of-stream message.
    ConnectStream(&'static str),
}

impl Caller {
    fn of(req: &http::Request<Body>) -> Caller {
        match Protocol::of(req) {
            Some(Protocol::Grpc(_)) => Caller::Grpc("application/grpc"),
            Some(Protocol::GrpcWeb(_)) => {
                let text = req
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc-web-text"));
                Caller::Grpc(if text {
                    "application/grpc-web-text+proto"
                } else {
                    "application/grpc-web+proto"
                })
            }
            Some(Protocol::Connect(_) | Protocol::ConnectGet) => Caller::Connect,
            Some(Protocol::ConnectStream(Codec::Json)) => {
                Caller::ConnectStream("application/connect+json")
            }
            Some(Protocol::ConnectStream(Codec::Protobuf)) => {
                Caller::ConnectStream("application/connect+proto")
            }
            _ => Caller::Http,
        }
    }

    /// `response` as this caller reads it.
    fn answer(self, mut response: axum::response::Response) -> axum::response::Response {
        if response.extensions_mut().remove::<Dispatched>().is_some() {
            return response;
        }
        let content_type = |response: &axum::response::Response, prefix: &[u8]| {
            response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(prefix))
        };
        match self {
            // A failed reply with no body (tower-http's 401, 408) gets the
            // Error JSON of its status; anything else is the layer's.
            Caller::Http => {
                let bare = !response.headers().contains_key(header::CONTENT_TYPE)
                    && axum::body::HttpBody::size_hint(response.body()).upper() == Some(0);
                match layer_error(&response) {
                    Some(error) if bare => {
                        let reply = error_response(Codec::Json, error);
                        keep_layer_headers(response, reply)
                    }
                    _ => response,
                }
            }
            Caller::Grpc(_) if content_type(&response, b"application/grpc") => response,
            #[cfg(not(feature = "grpc"))]
            Caller::Grpc(_) => response,
            #[cfg(feature = "grpc")]
            Caller::Grpc(grpc) => match layer_error(&response) {
                None => response,
                Some(error) => {
                    let reply = grpc::error_reply(&error, grpc);
                    keep_layer_headers(response, reply)
                }
            },
            Caller::Connect => {
                let connect_json = content_type(&response, b"application/json")
                    && response.extensions().get::<ErrorReply>().is_none();
                match layer_error(&response) {
                    Some(error) if !connect_json => {
                        let reply = connect::error_reply(&error);
                        keep_layer_headers(response, reply)
                    }
                    _ => response,
                }
            }
            Caller::ConnectStream(_) if content_type(&response, b"application/connect+") => {
                response
            }
            Caller::ConnectStream(connect) => match layer_error(&response) {
                None => response,
                Some(error) => {
                    let reply = connect::ended(connect, &error);
                    keep_layer_headers(response, reply)
                }
            },
        }
    }
}

/// The error a layer answered with: its [`Error`], or for a failed
/// response without one (tower-http's 401, 408, 413, …) the code of its
/// status. `None` for a success (a CORS preflight's 200).
fn layer_error(response: &axum::response::Response) -> Option<Error> {
    if let Some(ErrorReply(error)) = response.extensions().get::<ErrorReply>() {
        return Some(error.clone());
    }
    let status = response.status();
    (status.is_client_error() || status.is_server_error()).then(|| status_error(status))
}

/// `reply` with the headers and extensions `layered` had besides its
/// framing and error: what the layers added (CORS, request ids) stays; a
/// name the reply sets itself (its content type, the status) is the
/// reply's.
fn keep_layer_headers(
    layered: axum::response::Response,
    mut reply: axum::response::Response,
) -> axum::response::Response {
    let (mut parts, _) = layered.into_parts();
    crate::metadata::strip_framing(&mut parts.headers);
    parts.extensions.remove::<ErrorReply>();
    for name in parts.headers.keys() {
        if reply.headers().contains_key(name) {
            continue;
        }
        for value in parts.headers.get_all(name) {
            reply.headers_mut().append(name.clone(), value.clone());
        }
    }
    reply.extensions_mut().extend(parts.extensions);
    reply
}
