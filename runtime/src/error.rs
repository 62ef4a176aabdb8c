//! `protoway::Error`: an HTTP status, a machine-readable reason, a message and
//! metadata — the error model of kratos, so Go and Rust services interoperate.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::status::{self, GrpcCode};

/// String key/value details carried with an error (sorted, so the wire JSON is stable).
pub type Metadata = BTreeMap<String, String>;

/// The message sent for errors that were not a `protoway::Error`: their own
/// text may leak internals, so it stays in [`Error::source`] only.
const INTERNAL_MESSAGE: &str = "internal error";

/// An error with an HTTP status `code`, a `reason` (an enum value name such as
/// `USER_NOT_FOUND`), a human-readable `message`, string `metadata`, and an
/// optional `cause` kept for logs but never sent over the wire.
///
/// On the wire it is exactly
/// `{"code":404,"reason":"USER_NOT_FOUND","message":"...","metadata":{}}`.
///
/// Equality follows kratos' `errors.Is`: two errors are equal when their code
/// and reason match, whatever their messages.
#[derive(Clone)]
pub struct Error {
    code: u16,
    reason: Cow<'static, str>,
    message: Cow<'static, str>,
    metadata: Metadata,
    cause: Option<Arc<dyn StdError + Send + Sync + 'static>>,
    /// The gRPC code it was made from ([`Error::from_grpc`]): kratos' table
    /// maps several codes to one HTTP status (409 is ALREADY_EXISTS and
    /// ABORTED), so the code is kept for gRPC and Connect replies.
    grpc: Option<GrpcCode>,
    /// What only gRPC and Connect replies, or some errors, carry: details,
    /// headers, trailers. Boxed, as most errors have none (and a `Result`
    /// with a large `Err` costs every call).
    extra: Option<Box<Extra>>,
}

/// The rarely used parts of an [`Error`].
#[derive(Debug, Clone, Default)]
struct Extra {
    /// Details for gRPC and Connect replies ([`Error::with_detail`]).
    details: Vec<ErrorDetail>,
    /// Reply headers ([`Error::with_header`]).
    #[cfg(any(feature = "route", feature = "axum", feature = "tonic"))]
    headers: http::HeaderMap,
    /// Reply trailers ([`Error::with_trailer`]).
    #[cfg(any(feature = "route", feature = "axum", feature = "tonic"))]
    trailers: http::HeaderMap,
}

/// What [`Error::headers`] and [`Error::trailers`] return when there are none.
#[cfg(any(feature = "route", feature = "axum", feature = "tonic"))]
static NO_HEADERS: std::sync::LazyLock<http::HeaderMap> =
    std::sync::LazyLock::new(http::HeaderMap::new);

/// A `google.protobuf.Any` attached to an [`Error`]: sent after the
/// `google.rpc.ErrorInfo` in a gRPC status's details and in a Connect
/// error's `details`; kratos' JSON has no place for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetail {
    /// `type.googleapis.com/{full message name}`.
    pub type_url: String,
    /// The encoded message.
    pub value: Vec<u8>,
}

macro_rules! status_helpers {
    ($( $code:literal $new:ident $is:ident $doc:literal; )*) => {
        impl Error {
            $(
                #[doc = concat!("A ", $doc, " (", stringify!($code), ") error.")]
                pub fn $new(
                    reason: impl Into<Cow<'static, str>>,
                    message: impl Into<Cow<'static, str>>,
                ) -> Error {
                    Error::new($code, reason, message)
                }

                #[doc = concat!("Whether the code is ", stringify!($code), " (", $doc, ").")]
                pub fn $is(&self) -> bool {
                    self.code == $code
                }
            )*
        }
    };
}

status_helpers! {
    400 bad_request is_bad_request "Bad Request";
    401 unauthorized is_unauthorized "Unauthorized";
    403 forbidden is_forbidden "Forbidden";
    404 not_found is_not_found "Not Found";
    409 conflict is_conflict "Conflict";
    429 too_many_requests is_too_many_requests "Too Many Requests";
    499 client_closed is_client_closed "Client Closed Request";
    500 internal_server is_internal_server "Internal Server Error";
    503 service_unavailable is_service_unavailable "Service Unavailable";
    504 gateway_timeout is_gateway_timeout "Gateway Timeout";
}

impl Error {
    /// An error with the given HTTP status, reason and message.
    pub fn new(
        code: u16,
        reason: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Error {
        Error {
            code,
            reason: reason.into(),
            message: message.into(),
            metadata: Metadata::new(),
            cause: None,
            grpc: None,
            extra: None,
        }
    }

    /// Converts any error: a `protoway::Error` (anywhere in the source chain)
    /// comes back as it is; anything else becomes a 500 with a generic
    /// message, the original kept as [`Error::source`] for logs.
    pub fn from_error(err: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Error {
        let err = err.into();
        let err = match err.downcast::<Error>() {
            Ok(own) => return *own,
            Err(other) => other,
        };
        if let Some(own) = Error::find(err.as_ref()) {
            return own.clone();
        }
        Error::internal_server("", INTERNAL_MESSAGE).with_cause_arc(Arc::from(err))
    }

    /// The first `protoway::Error` in `err`'s source chain, `err` included.
    pub fn find<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a Error> {
        let mut current = Some(err);
        while let Some(e) = current {
            if let Some(own) = e.downcast_ref::<Error>() {
                return Some(own);
            }
            current = e.source();
        }
        None
    }

    /// The HTTP status.
    pub fn code(&self) -> u16 {
        self.code
    }

    /// The machine-readable reason (`USER_NOT_FOUND`).
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// Details for gRPC and Connect replies.
    pub fn details(&self) -> &[ErrorDetail] {
        self.extra.as_ref().map_or(&[], |e| &e.details)
    }

    fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// Adds a detail (`type_url` as in `google.protobuf.Any`, the message
    /// encoded): gRPC and Connect callers read it back; kratos' JSON does
    /// not carry it.
    pub fn with_detail(mut self, type_url: impl Into<String>, value: impl Into<Vec<u8>>) -> Error {
        self.extra_mut().details.push(ErrorDetail {
            type_url: type_url.into(),
            value: value.into(),
        });
        self
    }

    /// The error that caused this one, if any (never serialized).
    pub fn cause(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        self.cause.as_deref()
    }

    /// Adds metadata entries (kept sorted by key; a repeated key is replaced).
    pub fn with_metadata<K, V>(mut self, entries: impl IntoIterator<Item = (K, V)>) -> Error
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.metadata
            .extend(entries.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Replaces the reason.
    pub fn with_reason(mut self, reason: impl Into<Cow<'static, str>>) -> Error {
        self.reason = reason.into();
        self
    }

    /// Replaces the message.
    pub fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> Error {
        self.message = message.into();
        self
    }

    /// Records the error that caused this one.
    pub fn with_cause(self, cause: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Error {
        self.with_cause_arc(Arc::from(cause.into()))
    }

    fn with_cause_arc(mut self, cause: Arc<dyn StdError + Send + Sync + 'static>) -> Error {
        self.cause = Some(cause);
        self
    }

    /// kratos' `errors.Is`: same code and same reason.
    pub fn is(&self, other: &Error) -> bool {
        self.code == other.code && self.reason == other.reason
    }

    /// The gRPC code: the one it was made from ([`Error::from_grpc`]), else
    /// the code for its HTTP status per kratos' table.
    pub fn grpc_code(&self) -> GrpcCode {
        self.grpc
            .unwrap_or_else(|| status::grpc_code_from_http(self.code))
    }

    /// An error from a gRPC code: its HTTP status per kratos' table.
    pub fn from_grpc(
        code: GrpcCode,
        reason: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Error {
        Error {
            grpc: Some(code),
            ..Error::new(status::http_from_grpc_code(code), reason, message)
        }
    }

    /// The wire JSON.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| {
            // Serializing strings and a string map cannot fail; stay total anyway.
            br#"{"code":500,"reason":"","message":"internal error","metadata":{}}"#.to_vec()
        })
    }

    /// Parses the wire JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Error, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// Reply headers and trailers (with HTTP types: `route`, `axum` or `tonic`).
#[cfg(any(feature = "route", feature = "axum", feature = "tonic"))]
impl Error {
    /// Adds a header to the error reply, as `Response::with_header` does
    /// to a successful one: on HTTP, gRPC (in the status's metadata) and
    /// Connect alike (`Retry-After`, `WWW-Authenticate`, a request id).
    /// A repeated name keeps every value.
    pub fn with_header(mut self, name: http::HeaderName, value: http::HeaderValue) -> Error {
        self.extra_mut().headers.append(name, value);
        self
    }

    /// Adds a trailer to the error reply: gRPC and gRPC-Web send it with
    /// the status, Connect as a `trailer-` header; HTTP/JSON has none.
    pub fn with_trailer(mut self, name: http::HeaderName, value: http::HeaderValue) -> Error {
        self.extra_mut().trailers.append(name, value);
        self
    }

    /// The headers of the error reply ([`Error::with_header`]).
    pub fn headers(&self) -> &http::HeaderMap {
        self.extra.as_ref().map_or(&NO_HEADERS, |e| &e.headers)
    }

    /// Appends the error's headers to a reply's, except the framing ones
    /// the reply sets itself (Content-Type, Content-Length).
    #[cfg(feature = "axum")]
    pub(crate) fn append_headers_to(&self, headers: &mut http::HeaderMap) {
        for (name, value) in self.headers() {
            if name != http::header::CONTENT_TYPE && name != http::header::CONTENT_LENGTH {
                headers.append(name, value.clone());
            }
        }
    }

    /// The trailers of the error reply ([`Error::with_trailer`]).
    pub fn trailers(&self) -> &http::HeaderMap {
        self.extra.as_ref().map_or(&NO_HEADERS, |e| &e.trailers)
    }
}

impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        self.is(other)
    }
}

impl Eq for Error {}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("code", &self.code)
            .field("reason", &self.reason)
            .field("message", &self.message)
            .field("metadata", &self.metadata);
        if let Some(cause) = &self.cause {
            d.field("cause", cause);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error: code = {} reason = {} message = {}",
            self.code, self.reason, self.message
        )?;
        if !self.metadata.is_empty() {
            write!(f, " metadata = {:?}", self.metadata)?;
        }
        if let Some(cause) = &self.cause {
            write!(f, " cause = {cause}")?;
        }
        Ok(())
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn StdError + 'static))
    }
}

/// The wire shape: all four fields, always (kratos emits unpopulated fields).
#[derive(Serialize, Deserialize)]
struct Wire<'a> {
    #[serde(default)]
    code: u16,
    #[serde(default, borrow)]
    reason: Cow<'a, str>,
    #[serde(default, borrow)]
    message: Cow<'a, str>,
    #[serde(default)]
    metadata: Metadata,
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct WireRef<'a> {
            code: u16,
            reason: &'a str,
            message: &'a str,
            metadata: &'a Metadata,
        }
        WireRef {
            code: self.code,
            reason: &self.reason,
            message: &self.message,
            metadata: &self.metadata,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Error {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Error, D::Error> {
        let wire = Wire::deserialize(deserializer)?;
        Ok(Error {
            metadata: wire.metadata,
            ..Error::new(
                wire.code,
                Cow::Owned(wire.reason.into_owned()),
                Cow::Owned(wire.message.into_owned()),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Io(&'static str, Option<Error>);
    impl fmt::Display for Io {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl StdError for Io {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_ref().map(|e| e as _)
        }
    }

    #[test]
    fn wire_json_is_kratos_shaped() {
        let err = Error::not_found("USER_NOT_FOUND", "user 42 not found");
        assert_eq!(
            String::from_utf8(err.to_json()).unwrap(),
            r#"{"code":404,"reason":"USER_NOT_FOUND","message":"user 42 not found","metadata":{}}"#
        );
        let err = err.with_metadata([("b", "2"), ("a", "1")]);
        assert_eq!(
            String::from_utf8(err.to_json()).unwrap(),
            r#"{"code":404,"reason":"USER_NOT_FOUND","message":"user 42 not found","metadata":{"a":"1","b":"2"}}"#
        );
    }

    #[test]
    fn serde_round_trip_keeps_every_field() {
        let err = Error::conflict("TAKEN", "name taken \"x\" ✓").with_metadata([("k", "v")]);
        let back = Error::from_json(&err.to_json()).unwrap();
        assert_eq!(back.code(), 409);
        assert_eq!(back.reason(), "TAKEN");
        assert_eq!(back.message(), "name taken \"x\" ✓");
        assert_eq!(back.metadata()["k"], "v");
    }

    #[test]
    fn missing_fields_default_and_bad_json_fails() {
        let err = Error::from_json(br#"{"code":503}"#).unwrap();
        assert_eq!((err.code(), err.reason(), err.message()), (503, "", ""));
        assert!(Error::from_json(br#"{"code":"x"}"#).is_err());
        assert!(Error::from_json(br#"{"code":70000}"#).is_err());
    }

    #[test]
    fn helpers_set_codes_and_is_checks_them() {
        type Case = (Error, u16, fn(&Error) -> bool);
        let cases: [Case; 10] = [
            (Error::bad_request("r", "m"), 400, Error::is_bad_request),
            (Error::unauthorized("r", "m"), 401, Error::is_unauthorized),
            (Error::forbidden("r", "m"), 403, Error::is_forbidden),
            (Error::not_found("r", "m"), 404, Error::is_not_found),
            (Error::conflict("r", "m"), 409, Error::is_conflict),
            (
                Error::too_many_requests("r", "m"),
                429,
                Error::is_too_many_requests,
            ),
            (Error::client_closed("r", "m"), 499, Error::is_client_closed),
            (
                Error::internal_server("r", "m"),
                500,
                Error::is_internal_server,
            ),
            (
                Error::service_unavailable("r", "m"),
                503,
                Error::is_service_unavailable,
            ),
            (
                Error::gateway_timeout("r", "m"),
                504,
                Error::is_gateway_timeout,
            ),
        ];
        for (i, (err, code, is)) in cases.iter().enumerate() {
            assert_eq!(err.code(), *code);
            for (j, (other, _, _)) in cases.iter().enumerate() {
                assert_eq!(is(other), i == j, "{code} vs {}", other.code());
            }
        }
    }

    #[test]
    fn equality_is_kratos_is() {
        let a = Error::not_found("USER_NOT_FOUND", "one");
        assert_eq!(a, Error::not_found("USER_NOT_FOUND", "two"));
        assert_ne!(a, Error::not_found("OTHER", "one"));
        assert_ne!(a, Error::bad_request("USER_NOT_FOUND", "one"));
    }

    #[test]
    fn from_error_passes_own_errors_through() {
        let own = Error::forbidden("NOPE", "no").with_metadata([("a", "b")]);
        let back = Error::from_error(own.clone());
        assert_eq!(back, own);
        assert_eq!(back.metadata()["a"], "b");
        assert_eq!(back.message(), "no");

        let wrapped = Io("wrapper", Some(own.clone()));
        assert_eq!(Error::from_error(wrapped).reason(), "NOPE");
    }

    #[test]
    fn from_error_hides_foreign_messages() {
        let err = Error::from_error(Io("db password is hunter2", None));
        assert_eq!(err.code(), 500);
        assert_eq!(err.message(), INTERNAL_MESSAGE);
        assert!(
            !String::from_utf8(err.to_json())
                .unwrap()
                .contains("hunter2")
        );
        assert_eq!(
            StdError::source(&err).unwrap().to_string(),
            "db password is hunter2"
        );
        assert!(err.to_string().contains("hunter2"), "kept for logs: {err}");
    }

    #[test]
    fn cause_chain_and_clone() {
        let err = Error::service_unavailable("DOWN", "later").with_cause("connection refused");
        let copy = err.clone();
        assert_eq!(copy.cause().unwrap().to_string(), "connection refused");
        assert!(
            !String::from_utf8(copy.to_json())
                .unwrap()
                .contains("refused")
        );
    }
}
