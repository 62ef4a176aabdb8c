//! Feature `axum`: an [`Error`] is a response: status = code, body = wire JSON,
//! and the `Error` itself in the response extensions ([`ErrorReply`]), so that
//! whatever answers the caller in another protocol (gRPC, gRPC-Web, Connect)
//! encodes the same error in that protocol's form.

use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};

use crate::Error;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        // A code that is not an HTTP status (0, 1000) must still answer.
        let status = StatusCode::from_u16(self.code())
            .ok()
            .filter(|s| !s.is_informational())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            self.to_json(),
        )
            .into_response();
        // The error's own headers; the body's framing stays ours.
        self.append_headers_to(response.headers_mut());
        response.extensions_mut().insert(ErrorReply(self));
        response
    }
}

/// The [`Error`] an error response was made from, in its extensions: a
/// layer's `Error::into_response()` reaches a gRPC caller as a status with
/// the message and `ErrorInfo`, a Connect caller as a Connect error.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "server"), allow(dead_code))] // read by the server's transports
pub(crate) struct ErrorReply(pub(crate) Error);

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderName, HeaderValue};

    #[test]
    fn an_error_reply_carries_its_headers_but_keeps_its_framing() {
        let response = Error::new(401, "NO_TOKEN", "sign in")
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
            .with_header(header::CONTENT_TYPE, HeaderValue::from_static("text/html"))
            .with_trailer(
                HeaderName::from_static("x-trailer"),
                HeaderValue::from_static("1"),
            )
            .into_response();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        assert!(response.headers().get("x-trailer").is_none());
        let ErrorReply(kept) = response.extensions().get::<ErrorReply>().unwrap();
        assert_eq!((kept.code(), kept.reason()), (401, "NO_TOKEN"));
    }
}
