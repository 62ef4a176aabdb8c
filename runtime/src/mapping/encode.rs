//! The client's direction of the `google.api.http` mapping: a request
//! message and its route become the path, query and body the server's
//! binding (`super::bind`) reads back into the same message.

use serde_json::{Map, Value};

use crate::codec::Codec;
use crate::message::EncodeMessage;
use crate::path::Segment;
use crate::route::{BodyRule, FieldRef, RouteSpec};
use crate::spec::{Cardinality, Kind, MessageSpec, WellKnown};
use crate::{Error, percent, wire};

/// A request ready to send: everything but the base URL and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedRequest {
    /// HTTP method (`*` routes use POST).
    pub method: String,
    /// `/v1/shelves/1/books?pageSize=10`.
    pub path_and_query: String,
    /// The body's Content-Type, when the rule has a body.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// Encodes `message` for the route `spec`: path, query and body.
pub fn encode_request<M>(
    spec: &'static RouteSpec,
    message: &M,
    codec: Codec,
) -> Result<EncodedRequest, Error>
where
    M: prost::Message + serde::Serialize,
{
    encode_dyn(spec, message, codec)
}

/// [`encode_request`] of a message behind `&dyn`: compiled once.
pub(crate) fn encode_dyn(
    spec: &'static RouteSpec,
    message: &dyn EncodeMessage,
    codec: Codec,
) -> Result<EncodedRequest, Error> {
    let json = message.to_json();
    let needs_protobuf = match spec.body {
        BodyRule::None => false,
        BodyRule::AllHttpBody | BodyRule::FieldHttpBody(_) => true,
        BodyRule::All | BodyRule::Field(_) => codec == Codec::Protobuf,
    };
    let protobuf = needs_protobuf.then(|| message.to_protobuf());
    encode_encoded(spec, json, protobuf.as_deref(), codec)
}

/// [`encode_request`] from the message's JSON text and, when the body needs
/// it, its protobuf encoding.
fn encode_encoded(
    spec: &'static RouteSpec,
    json: serde_json::Result<Vec<u8>>,
    protobuf: Option<&[u8]>,
    codec: Codec,
) -> Result<EncodedRequest, Error> {
    let encoded = || protobuf.map(<[u8]>::to_vec).unwrap_or_default();
    if spec.is_rpc_only() {
        // No HTTP binding: a Connect unary call at the operation path.
        let (content_type, body) = match codec {
            Codec::Protobuf => ("application/proto", encoded()),
            Codec::Json => (
                "application/json",
                json.map_err(|e| Error::bad_request("INVALID_ARGUMENT", e.to_string()))?,
            ),
        };
        return Ok(EncodedRequest {
            method: "POST".into(),
            path_and_query: spec.operation.into(),
            content_type: Some(content_type.into()),
            body,
        });
    }
    let template = spec.parsed_template().map_err(|e| {
        Error::internal_server("BAD_ROUTE", format!("template {}: {e}", spec.template))
    })?;
    // Through text, not `to_value`: a Value widens f32 to f64, and `11.23f32`
    // would be sent as `11.229999542236328`.
    let json = match json.and_then(|t| serde_json::from_slice(&t)) {
        Ok(Value::Object(map)) => map,
        Ok(_) => Map::new(),
        Err(e) => return Err(Error::bad_request("INVALID_ARGUMENT", e.to_string())),
    };

    // Path: literals as written, each variable from its field.
    let mut path = String::new();
    let mut i = 0;
    while i < template.segments.len() {
        path.push('/');
        if let Some(var) = template.variables.iter().find(|v| v.start == i) {
            let pattern = &template.segments[var.start..var.end];
            let value = path_value(spec.request, &json, &var.field_path)?;
            path.push_str(&render_variable(&var.dotted(), &value, pattern)?);
            i = var.end;
            continue;
        }
        match &template.segments[i] {
            Segment::Literal(text) => path.push_str(text),
            // A wildcard outside any variable matches anything: send `_`.
            Segment::Single | Segment::Multi => path.push('_'),
        }
        i += 1;
    }
    if let Some(verb) = &template.verb {
        path.push(':');
        path.push_str(verb);
    }

    // Query: what neither the path nor the body carries.
    let mut pairs = Vec::new();
    if spec.takes_query() {
        flatten(
            spec.request,
            &json,
            "",
            &mut Vec::new(),
            spec.query_excluded,
            &mut pairs,
        )?;
    }
    let mut path_and_query = path;
    for (n, (key, value)) in pairs.iter().enumerate() {
        path_and_query.push(if n == 0 { '?' } else { '&' });
        path_and_query.push_str(&percent::encode(key));
        path_and_query.push('=');
        path_and_query.push_str(&percent::encode(value));
    }

    let (content_type, body) = match &spec.body {
        BodyRule::None => (None, Vec::new()),
        BodyRule::All => match codec {
            Codec::Json => (Some(codec.content_type().to_string()), to_json(&json)?),
            Codec::Protobuf => (Some(codec.content_type().to_string()), encoded()),
        },
        BodyRule::AllHttpBody => {
            let (content_type, data) = wire::decode_http_body(&encoded()).unwrap_or_default();
            (Some(content_type), data)
        }
        BodyRule::FieldHttpBody(fields) => {
            let field = extract_path(&encoded(), fields);
            let (content_type, data) = wire::decode_http_body(&field).unwrap_or_default();
            (Some(content_type), data)
        }
        BodyRule::Field(fields) => {
            let target = spec.body_field();
            match codec {
                Codec::Json => {
                    let mut value = Some(&json);
                    let mut found = None;
                    for (n, f) in fields.iter().enumerate() {
                        let v = value.and_then(|m| m.get(f.json_name));
                        if n + 1 == fields.len() {
                            found = v;
                        } else {
                            value = v.and_then(Value::as_object);
                        }
                    }
                    let value = match (found, target) {
                        (Some(v), _) => v.clone(),
                        // An unset message body is an empty message.
                        (None, Some(f)) if matches!(f.kind, Kind::Message(_)) => {
                            Value::Object(Map::new())
                        }
                        (None, Some(f)) => f.unpopulated_json(),
                        (None, None) => Value::Null,
                    };
                    let body = serde_json::to_vec(&value)
                        .map_err(|e| Error::bad_request("INVALID_ARGUMENT", e.to_string()))?;
                    (Some(codec.content_type().to_string()), body)
                }
                Codec::Protobuf => {
                    if !spec.body_field_is_message() {
                        return Err(Error::bad_request(
                            "INVALID_ARGUMENT",
                            format!(
                                "body field {:?} is not a message: it can only be sent as JSON",
                                fields.last().map_or("", |f| f.name)
                            ),
                        ));
                    }
                    let body = extract_path(&encoded(), fields);
                    (Some(codec.content_type().to_string()), body)
                }
            }
        }
    };
    let method = if spec.method == "*" {
        "POST"
    } else {
        spec.method
    };
    Ok(EncodedRequest {
        method: method.to_string(),
        path_and_query,
        content_type,
        body,
    })
}

fn to_json(object: &Map<String, Value>) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(object).map_err(|e| Error::bad_request("INVALID_ARGUMENT", e.to_string()))
}

/// The encoded value of a (nested) length-delimited field; empty if unset.
fn extract_path(encoded: &[u8], path: &[FieldRef]) -> Vec<u8> {
    let mut bytes = encoded.to_vec();
    for f in path {
        bytes = wire::extract_len_field(&bytes, f.number).unwrap_or_default();
    }
    bytes
}

/// The text of a path variable: its field's value (defaults included), or
/// the items of a repeated field joined by `,`.
fn path_value(
    spec: &'static MessageSpec,
    json: &Map<String, Value>,
    field_path: &[String],
) -> Result<Vec<String>, Error> {
    let dotted = field_path.join(".");
    let mut message = spec;
    let mut object = Some(json);
    for (i, name) in field_path.iter().enumerate() {
        let field = message.field(name).ok_or_else(|| {
            Error::internal_server("BAD_ROUTE", format!("no field {dotted:?} in {}", spec.name))
        })?;
        let value = object.and_then(|o| o.get(field.json_name));
        if i + 1 < field_path.len() {
            let Kind::Message(inner) = field.kind else {
                return Err(Error::internal_server("BAD_ROUTE", dotted));
            };
            message = inner;
            object = value.and_then(Value::as_object);
            continue;
        }
        let value = value.cloned().unwrap_or_else(|| field.unpopulated_json());
        return Ok(match value {
            Value::Array(items) => items
                .iter()
                .map(|v| query_text(field.kind, v))
                .collect::<Result<_, _>>()?,
            v => vec![query_text(field.kind, &v)?],
        });
    }
    Err(Error::internal_server("BAD_ROUTE", "empty field path"))
}

/// A path segment percent-encoded. `.` and `..` cannot be sent: URL
/// parsers remove them as dot-segments, escaped (`%2E`) or not (WHATWG URL).
fn encode_segment(name: &str, segment: &str) -> Result<String, Error> {
    if segment == "." || segment == ".." {
        return Err(Error::bad_request(
            "INVALID_ARGUMENT",
            format!("path variable {name:?} has the segment {segment:?}, which URLs cannot carry"),
        ));
    }
    Ok(percent::encode(segment).into_owned())
}

/// Encodes a variable's value after checking it against its pattern.
fn render_variable(name: &str, values: &[String], pattern: &[Segment]) -> Result<String, Error> {
    // An unset variable is a mistake the server could not tell from a
    // deliberate empty `**`: refused on every pattern.
    if values.iter().all(String::is_empty) {
        return Err(Error::bad_request(
            "INVALID_ARGUMENT",
            format!("path variable {name:?} is empty"),
        ));
    }
    if matches!(pattern, [Segment::Single]) {
        let joined: Vec<String> = values
            .iter()
            .map(|v| percent::encode(v).into_owned())
            .collect();
        let text = joined.join(",");
        // `.`/`..` stay as they are under encoding: refuse them here too.
        return encode_segment(name, &text).map(|_| text);
    }
    let value = values.join(",");
    let parts: Vec<&str> = value.split('/').collect();
    let multi_at = pattern.iter().position(|s| matches!(s, Segment::Multi));
    if !crate::matcher::fills(pattern, multi_at, parts.len(), |i| parts[i], |l, s| l == s) {
        let shape: Vec<String> = pattern
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => l.clone(),
                Segment::Single => "*".into(),
                Segment::Multi => "**".into(),
            })
            .collect();
        return Err(Error::bad_request(
            "INVALID_ARGUMENT",
            format!(
                "path variable {name:?} = {value:?} does not match the pattern {:?}",
                shape.join("/")
            ),
        ));
    }
    let encoded = parts
        .iter()
        .map(|p| encode_segment(name, p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(encoded.join("/"))
}

/// Query pairs for every populated field of `object` not `excluded`.
fn flatten(
    spec: &'static MessageSpec,
    object: &Map<String, Value>,
    prefix: &str,
    proto_path: &mut Vec<&'static str>,
    excluded: &[&[&str]],
    out: &mut Vec<(String, String)>,
) -> Result<(), Error> {
    for field in spec.fields {
        let Some(value) = object.get(field.json_name) else {
            continue;
        };
        if value.is_null() {
            continue;
        }
        proto_path.push(field.name);
        if excluded.contains(&proto_path.as_slice()) {
            proto_path.pop();
            continue;
        }
        let key = if prefix.is_empty() {
            field.json_name.to_string()
        } else {
            format!("{prefix}.{}", field.json_name)
        };
        let cannot = |why: &str| {
            Error::bad_request(
                "INVALID_ARGUMENT",
                format!("field {key:?} {why}: it cannot be sent in the query; use a body"),
            )
        };
        match (field.kind, field.cardinality) {
            (Kind::Map(map), _) => {
                if matches!(map.value, Kind::Message(_)) {
                    return Err(cannot("is a map of messages"));
                }
                for (k, v) in value.as_object().into_iter().flatten() {
                    out.push((format!("{key}[{k}]"), query_text(map.value, v)?));
                }
            }
            (Kind::Message(_), Cardinality::Repeated) => {
                return Err(cannot("is a repeated message"));
            }
            (Kind::Message(inner), _) => {
                if let Some(inner_object) = value.as_object() {
                    flatten(inner, inner_object, &key, proto_path, excluded, out)?;
                }
            }
            (Kind::WellKnown(WellKnown::Any), _) => return Err(cannot("is an Any")),
            (Kind::WellKnown(WellKnown::Empty), _) => {}
            (kind, Cardinality::Repeated) => {
                for item in value.as_array().into_iter().flatten() {
                    out.push((key.clone(), query_text(kind, item)?));
                }
            }
            (kind, _) => out.push((key.clone(), query_text(kind, value)?)),
        }
        proto_path.pop();
    }
    Ok(())
}

/// One JSON value (pbjson's serialization) as query text.
fn query_text(kind: Kind, value: &Value) -> Result<String, Error> {
    Ok(match (kind.unwrapped(), value) {
        (Kind::WellKnown(WellKnown::Struct | WellKnown::Value | WellKnown::ListValue), v) => {
            v.to_string()
        }
        // URL-safe base64: nothing in it needs escaping but `=`.
        (Kind::Bytes, Value::String(s)) => s.replace('+', "-").replace('/', "_"),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Bool(b)) => b.to_string(),
        (_, Value::Number(n)) => n.to_string(),
        (_, v) => {
            return Err(Error::bad_request(
                "INVALID_ARGUMENT",
                format!("{v} cannot be sent as query text"),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(template: &str) -> Vec<Segment> {
        let t = crate::path::parse(template).unwrap();
        let v = &t.variables[0];
        t.segments[v.start..v.end].to_vec()
    }

    #[test]
    fn variables_match_their_patterns() {
        let books = pattern("/v1/{name=shelves/*/books/*}");
        let ok = render_variable("name", &["shelves/1/books/a b".into()], &books).unwrap();
        assert_eq!(ok, "shelves/1/books/a%20b");
        for bad in [
            "shelves/1",
            "shelves/1/books/",
            "x/1/books/2",
            "shelves/1/books/2/x",
            "",
        ] {
            assert!(
                render_variable("name", &[bad.into()], &books).is_err(),
                "{bad}"
            );
        }
        let rest = pattern("/v1/{path=**}");
        assert_eq!(
            render_variable("path", &["a/b/c".into()], &rest).unwrap(),
            "a/b/c"
        );
        assert!(render_variable("path", &["".into()], &rest).is_err());
        let tail = pattern("/v1/{path=files/**/raw}");
        assert!(render_variable("path", &["files/a/b/raw".into()], &tail).is_ok());
        // `**` may be empty, as the server matches it.
        assert!(render_variable("path", &["files/raw".into()], &tail).is_ok());
        assert!(render_variable("path", &["raw".into()], &tail).is_err());
        let single = pattern("/v1/{id}");
        assert_eq!(
            render_variable("id", &["a/b?c".into()], &single).unwrap(),
            "a%2Fb%3Fc"
        );
        assert_eq!(
            render_variable("id", &["1".into(), "2".into()], &single).unwrap(),
            "1,2"
        );
        assert!(render_variable("id", &["".into()], &single).is_err());
        assert!(render_variable("id", &["..".into()], &single).is_err());
        assert!(render_variable("path", &["a/./b".into()], &rest).is_err());
        assert_eq!(
            render_variable("id", &["...".into()], &single).unwrap(),
            "..."
        );
    }
}
