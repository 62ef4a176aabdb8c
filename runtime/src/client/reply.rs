//! A reply as the client reads it: the message in the codec its content
//! type names, or an Error from a failed status in any form a server sends
//! one (kratos' JSON or protobuf, Connect's JSON, a plain text body).

use http::{HeaderMap, header};
use serde_json::Value;

use crate::client::{DecodeMessage, ErrorProto, ResponseBody, RouteSpec, wrap_json};
use crate::codec::Codec;
use crate::{Error, wire};

/// The longest piece of a non-Error reply body kept as an Error's message.
const MAX_ERROR_TEXT: usize = 512;

fn content_codec(headers: &HeaderMap) -> Codec {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    match crate::codec::request_codec(content_type) {
        Some(Codec::Protobuf) => Codec::Protobuf,
        _ => Codec::Json,
    }
}

/// A non-2xx reply as an Error.
pub(super) fn decode_error(status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
    let decoded = match content_codec(headers) {
        Codec::Protobuf => <ErrorProto as prost::Message>::decode(body).ok().map(|p| {
            let code = u16::try_from(p.code).unwrap_or(status);
            Error::new(code, p.reason, p.message).with_metadata(p.metadata)
        }),
        Codec::Json => serde_json::from_slice::<Error>(body)
            .ok()
            .or_else(|| connect_error(body)),
    };
    decoded.unwrap_or_else(|| {
        let text = String::from_utf8_lossy(body);
        let mut cut = text.trim().to_string();
        if cut.len() > MAX_ERROR_TEXT {
            let mut end = MAX_ERROR_TEXT;
            while !cut.is_char_boundary(end) {
                end -= 1;
            }
            cut.truncate(end);
            cut.push('…');
        }
        let reason = http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("")
            .to_uppercase()
            .replace(' ', "_");
        Error::new(status, reason, cut)
    })
}

/// A Connect error (`{"code": "not_found", "message": …, "details": […]}`),
/// its reason and metadata from a `google.rpc.ErrorInfo` detail.
pub(super) fn connect_error(body: &[u8]) -> Option<Error> {
    use base64::Engine;
    let value: Value = serde_json::from_slice(body).ok()?;
    let code = crate::status::GrpcCode::from_connect_name(value.get("code")?.as_str()?)?;
    let message = value.get("message").and_then(Value::as_str).unwrap_or("");
    let details = value
        .get("details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let type_name = d.get("type")?.as_str()?;
            let value = d.get("value")?.as_str()?.trim_end_matches('=');
            Some(crate::ErrorDetail {
                type_url: format!("{}{type_name}", crate::error_info::TYPE_URL_PREFIX),
                value: base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(value)
                    .ok()?,
            })
        });
    let error = Error::from_grpc(code, String::new(), message.to_owned());
    Some(crate::error_info::with_details(error, details))
}

/// A 2xx reply decoded into `reply`, per the route's response_body.
pub(super) fn decode_reply(
    spec: &'static RouteSpec,
    headers: &HeaderMap,
    body: &[u8],
    reply: &mut dyn DecodeMessage,
) -> Result<(), Error> {
    let bad = |e: String| Error::new(502, "BAD_REPLY", format!("cannot decode the reply: {e}"));
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match &spec.response_body {
        ResponseBody::HttpBody => reply
            .merge_protobuf(&wire::encode_http_body(content_type, body))
            .map_err(|e| bad(e.to_string())),
        ResponseBody::FieldHttpBody(f) => {
            let hb = wire::encode_http_body(content_type, body);
            reply
                .merge_protobuf(&wire::wrap_field(f.number, &hb))
                .map_err(|e| bad(e.to_string()))
        }
        _ if body.is_empty() => Ok(()),
        ResponseBody::Whole => match content_codec(headers) {
            Codec::Json => reply.replace_json(body).map_err(|e| bad(e.to_string())),
            Codec::Protobuf => reply.merge_protobuf(body).map_err(|e| bad(e.to_string())),
        },
        ResponseBody::Field(f) => match content_codec(headers) {
            Codec::Json => {
                let wrapped = wrap_json(std::iter::once(f.json_name), body)
                    .map_err(|e| bad(e.to_string()))?;
                reply.replace_json(&wrapped).map_err(|e| bad(e.to_string()))
            }
            Codec::Protobuf => reply
                .merge_protobuf(&wire::wrap_field(f.number, body))
                .map_err(|e| bad(e.to_string())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_error_bodies_become_errors() {
        let e = decode_error(
            502,
            &HeaderMap::new(),
            "<html>bad gateway</html>".as_bytes(),
        );
        assert_eq!((e.code(), e.reason()), (502, "BAD_GATEWAY"));
        assert_eq!(e.message(), "<html>bad gateway</html>");
        let long = "x".repeat(2000);
        let e = decode_error(500, &HeaderMap::new(), long.as_bytes());
        assert!(e.message().len() <= MAX_ERROR_TEXT + 3);
        let json = br#"{"code":404,"reason":"NOT_FOUND","message":"m","metadata":{"k":"v"}}"#;
        let e = decode_error(404, &HeaderMap::new(), json);
        assert_eq!((e.code(), e.reason(), e.message()), (404, "NOT_FOUND", "m"));
    }
}
