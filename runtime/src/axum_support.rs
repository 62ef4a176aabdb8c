//! Feature `axum`: an [`Error`] is a response: status = code, body = wire JSON.

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
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            self.to_json(),
        )
            .into_response()
    }
}
