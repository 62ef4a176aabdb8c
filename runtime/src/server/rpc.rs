//! What the RPC protocols (gRPC and gRPC-Web in `grpc`, Connect in
//! `connect`) share: the operation table, how a call reaches its route's
//! target ([`Rpc`]), its deadline, and the early answers' body handling.
//! A request is classified once (`protocol::Protocol::of`), then runs the
//! same route target as an HTTP request (the same route layers, the same
//! binding and call), with an [`Rpc`] that makes binding decode the whole
//! message from the body and the reply encode the whole message.
//!
//! Kept for speed (each measured with callgrind against plain tonic): the
//! [`Rpc`] value is an argument of [`Target::run`], an extension only
//! where route layers are; operations are found with an FNV hash
//! ([`PathHasher`]).

use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http_body_util::BodyExt;

use super::values::{ResponseFuture, Target};
use super::{DEFAULT_BODY_LIMIT, RouteSpec};
use crate::Error;
use crate::status::GrpcCode;

#[cfg(feature = "grpc")]
use super::values::GrpcEndpoint;

/// Reads what is left of a request body (up to the default limit) before
/// an early answer: an HTTP/1.1 connection whose request body was not read
/// is closed after the reply, and a client that already reused it (or is
/// still writing) sees a reset instead of the answer.
pub(super) async fn drain<B>(body: B)
where
    B: axum::body::HttpBody<Data = Bytes>,
    B::Error: Into<tower::BoxError>,
{
    let _ = http_body_util::Limited::new(body, DEFAULT_BODY_LIMIT)
        .collect()
        .await;
}

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
    #[cfg(feature = "grpc")]
    pub(super) services: Vec<(String, GrpcEndpoint)>,
}

impl RpcTable {
    pub(super) fn get(&self, path: &str) -> Option<&(&'static RouteSpec, Target)> {
        self.operations.get(path)
    }

    pub(super) fn contains_key(&self, path: &str) -> bool {
        self.operations.contains_key(path)
    }

    #[cfg(feature = "grpc")]
    pub(super) fn service(&self, path: &str) -> Option<&GrpcEndpoint> {
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

/// The error for a path that names no method here, on every RPC protocol
/// (UNIMPLEMENTED, as gRPC and connect-go answer it).
pub(super) fn no_method(path: &str) -> Error {
    Error::from_grpc(
        GrpcCode::Unimplemented,
        "",
        format!("no method {path} on this server"),
    )
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

/// `response`, once the request body is read (see [`drain`]).
pub(super) fn after_body(
    req: http::Request<Body>,
    response: axum::response::Response,
) -> ResponseFuture {
    Box::pin(async move {
        drain(req.into_body()).await;
        Ok(response)
    })
}

/// `grpc-timeout`: gRPC's deadline header, which HTTP/JSON callers send
/// too (grpc-gateway reads it).
pub(super) const GRPC_TIMEOUT: http::HeaderName = http::HeaderName::from_static("grpc-timeout");

/// The caller's `grpc-timeout` (gRPC's deadline header, which HTTP/JSON
/// callers send too, as grpc-gateway reads it): `None` without one, `Err`
/// for a value that is not one.
#[cfg(feature = "grpc")]
pub(super) fn grpc_timeout(headers: &http::HeaderMap) -> Option<Result<Duration, ()>> {
    let value = headers.get(GRPC_TIMEOUT)?;
    Some(parse_grpc_timeout(value).ok_or(()))
}

/// A `grpc-timeout` value; `None` for one that is not.
pub(super) fn parse_grpc_timeout(value: &http::HeaderValue) -> Option<Duration> {
    value.to_str().ok().and_then(parse_timeout)
}

/// `grpc-timeout`: up to 8 digits and a unit (H, M, S, m, u, n).
fn parse_timeout(value: &str) -> Option<Duration> {
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

/// `Connect-Timeout-Ms`: a Connect caller's deadline.
pub(super) const CONNECT_TIMEOUT_MS: http::HeaderName =
    http::HeaderName::from_static("connect-timeout-ms");

/// A `Connect-Timeout-Ms` value: at most 10 digits; `None` for one that
/// is not.
pub(super) fn parse_connect_timeout(value: &http::HeaderValue) -> Option<Duration> {
    value
        .to_str()
        .ok()
        .filter(|v| v.len() <= 10)
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_in_every_unit() {
        assert_eq!(parse_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_timeout("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse_timeout("3S"), Some(Duration::from_secs(3)));
        assert_eq!(parse_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_timeout("7u"), Some(Duration::from_micros(7)));
        assert_eq!(parse_timeout("9n"), Some(Duration::from_nanos(9)));
        for bad in ["", "S", "123456789S", "1x", "-1S", "1.5S"] {
            assert_eq!(parse_timeout(bad), None, "{bad}");
        }
    }
}
