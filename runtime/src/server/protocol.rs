//! Which protocol a request speaks, decided once from its method and
//! headers ([`Protocol::of`]), and the dispatch of RPC requests to their
//! protocol's module: `grpc` (gRPC, gRPC-Web) or `connect` (unary, GET,
//! streaming). An RPC request no protocol reads is answered here.

use std::sync::Arc;

use axum::body::Body;
use http::{HeaderValue, StatusCode, header};

use super::connect;
use super::rpc::{RpcTable, after_body};
use super::values::ResponseFuture;
use crate::Error;
use crate::codec::Codec;
use crate::status::GrpcCode;

#[cfg(feature = "grpc")]
use super::grpc;

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
        let versioned = || req.headers().contains_key(connect::PROTOCOL_VERSION);
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

/// Serves `req` over `protocol` when its path names an operation.
pub(super) fn serve(
    table: &Arc<RpcTable>,
    protocol: Protocol,
    req: http::Request<Body>,
) -> ResponseFuture {
    match protocol {
        #[cfg(feature = "grpc")]
        Protocol::Grpc(codec) => grpc::serve(table, codec, req),
        #[cfg(feature = "grpc")]
        Protocol::GrpcWeb(codec) => grpc::serve_web(table, codec, req),
        // Without the `grpc` feature: a content type this server does not read.
        #[cfg(not(feature = "grpc"))]
        Protocol::Grpc(_) | Protocol::GrpcWeb(_) => {
            let response = unsupported(415, &req);
            after_body(req, response)
        }
        Protocol::Connect(codec) => connect::unary(table, codec, None, req),
        Protocol::ConnectStream(codec) => connect::stream(table, codec, req),
        Protocol::ConnectGet => connect::get(table, req),
        Protocol::MaybeConnect => connect::unary(table, Codec::Json, None, req),
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
    let mut response = if req.headers().contains_key(connect::PROTOCOL_VERSION) {
        connect::error_reply(&Error::from_grpc(GrpcCode::Unknown, "", why))
    } else {
        axum::response::Response::new(Body::empty())
    };
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(allowed.0, HeaderValue::from_static(allowed.1));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(content_type: &str, versioned: bool) -> http::Request<Body> {
        let mut req = http::Request::post("/p.S/M").header(header::CONTENT_TYPE, content_type);
        if versioned {
            req = req.header(connect::PROTOCOL_VERSION, "1");
        }
        req.body(Body::empty()).unwrap()
    }

    #[test]
    fn the_protocol_is_read_from_the_content_type_once() {
        use super::Protocol::*;
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
