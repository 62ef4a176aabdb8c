//! Bind: the request body (JSON, protobuf, form, raw), the query and the
//! path captures into the request message, in that order (later sources
//! win).

use bytes::Bytes;
use http::header;

use super::reply::internal;
use super::values::RouteState;
use super::{BodyRule, FieldRef, RouteSpec};
use crate::codec::Codec;
use crate::mapping::bind;
use crate::mapping::bind::JsonBuilder;
use crate::message::{DecodeMessage, invalid_json, merge_params, replace_with_params, wrap_json};
use crate::spec::MessageSpec;
use crate::{Error, codec, wire};

/// A request message's body field, for `body: "field"` rules naming a
/// singular message field (generated: `|m| body_field(&mut m.book)`).
pub type BodyFieldFn<M> = fn(&mut M) -> &mut dyn DecodeMessage;

/// The message being bound, and its body field when the route names one.
pub(super) struct RequestTarget<'m, M> {
    pub(super) message: &'m mut M,
    pub(super) field: Option<BodyFieldFn<M>>,
}

/// [`RequestTarget`] without its type: one method, so a route compiles one
/// function for it.
pub(super) trait BindTarget {
    /// The body field's message (set to its default first if unset) when
    /// `field` and the route has one; else the whole message.
    fn message(&mut self, field: bool) -> &mut dyn DecodeMessage;
}

impl<M: DecodeMessage> BindTarget for RequestTarget<'_, M> {
    fn message(&mut self, field: bool) -> &mut dyn DecodeMessage {
        match self.field {
            Some(accessor) if field => accessor(self.message),
            _ => self.message,
        }
    }
}

/// The binder's view of the message being bound.
pub(super) struct BindingMessage<'a> {
    pub(super) message: &'a mut dyn BindTarget,
    /// Whether the route has a body field accessor.
    pub(super) has_field: bool,
}

impl BindingMessage<'_> {
    fn whole(&mut self) -> &mut dyn DecodeMessage {
        self.message.message(false)
    }

    fn has_body_field(&self) -> bool {
        self.has_field
    }

    fn body_field(&mut self) -> Option<&mut dyn DecodeMessage> {
        if self.has_field {
            Some(self.message.message(true))
        } else {
            None
        }
    }
}

pub(super) fn unsupported_media(content_type: Option<&str>) -> Error {
    Error::new(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        format!(
            "unsupported Content-Type {:?}: use application/json or application/x-protobuf",
            content_type.unwrap_or("")
        ),
    )
}

pub(super) fn invalid_protobuf(e: prost::DecodeError) -> Error {
    Error::bad_request("INVALID_ARGUMENT", format!("invalid protobuf body: {e}"))
}

/// The query and path parameters of one request, bound on demand (twice
/// when an error must name its source).
pub(super) struct Params<'a> {
    pub(super) spec: &'static RouteSpec,
    pub(super) query: &'a str,
    pub(super) values: &'a [String],
}

impl<'a> Params<'a> {
    fn bind(&self) -> Result<JsonBuilder<'a>, Error> {
        let mut builder = JsonBuilder::new();
        // `body: "*"` takes no query parameters; every other rule does.
        if self.spec.takes_query() {
            builder.query(self.spec.request, self.query, self.spec.query_excluded)?;
        }
        builder.paths(self.spec.request, self.spec.path_fields, self.values)?;
        Ok(builder)
    }
}

/// How a request's message is decoded: decided without knowing its type,
/// so this part is compiled once, not per message type.
pub(super) enum Plan {
    /// Query and path only.
    Params,
    /// Protobuf body at a field path (empty: the whole message).
    Protobuf(&'static [FieldRef], Bytes),
    /// JSON body at a field path.
    JsonField(&'static [FieldRef], Bytes),
    /// JSON body for the whole message (or an empty body).
    Json(Bytes),
    /// A form body (`a=1&b.c=x`), bound like query parameters into the
    /// message (empty path) or into the body field at the path.
    Form(&'static [FieldRef], Bytes),
}

pub(super) fn plan(
    spec: &'static RouteSpec,
    parts: &http::request::Parts,
    bytes: Bytes,
) -> Result<Plan, Error> {
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let codec =
        || codec::request_codec(content_type).ok_or_else(|| unsupported_media(content_type));
    let http_body = || Bytes::from(wire::encode_http_body(content_type.unwrap_or(""), &bytes));
    Ok(match &spec.body {
        BodyRule::None => Plan::Params,
        BodyRule::AllHttpBody => Plan::Protobuf(&[], http_body()),
        BodyRule::FieldHttpBody(path) => Plan::Protobuf(path, http_body()),
        BodyRule::All if codec::is_form(content_type) => Plan::Form(&[], bytes),
        BodyRule::Field(path) if codec::is_form(content_type) => Plan::Form(path, bytes),
        BodyRule::All => match codec()? {
            Codec::Protobuf => Plan::Protobuf(&[], bytes),
            Codec::Json => Plan::Json(bytes),
        },
        BodyRule::Field(path) => match codec()? {
            Codec::Protobuf => {
                if !spec.body_field_is_message() {
                    let name = path.last().map_or("", |f| f.name);
                    return Err(Error::new(
                        415,
                        "UNSUPPORTED_MEDIA_TYPE",
                        format!("field {name:?} is not a message: send it as JSON"),
                    ));
                }
                Plan::Protobuf(path, bytes)
            }
            Codec::Json if bytes.is_empty() => Plan::Json(bytes),
            Codec::Json => Plan::JsonField(path, bytes),
        },
    })
}

/// Decodes a JSON body into `message` (an empty body leaves it default).
pub(super) fn decode_json(message: &mut dyn DecodeMessage, body: &[u8]) -> Result<(), Error> {
    if body.is_empty() {
        return Ok(());
    }
    message.replace_json(body).map_err(|e| invalid_json(&e))
}

/// The request message from body, query and path. Body first, then
/// query, then path: later sources win.
pub(super) fn bind_request(
    route: &RouteState,
    parts: &http::request::Parts,
    bytes: Bytes,
    values: &[String],
    whole: Option<Codec>,
    target: &mut BindingMessage<'_>,
) -> Result<(), Error> {
    let spec = route.spec;
    if let Some(codec) = whole {
        // gRPC, gRPC-Web, Connect: the body is the whole message.
        return match codec {
            Codec::Protobuf => target
                .whole()
                .merge_protobuf(&bytes)
                .map_err(invalid_protobuf),
            Codec::Json => decode_json(target.whole(), &bytes),
        };
    }
    let params = Params {
        spec,
        query: parts.uri.query().unwrap_or(""),
        values,
    };
    match plan(spec, parts, bytes)? {
        Plan::Params => replace_with_params(target.whole(), params.bind()?),
        Plan::Protobuf(path, body) => {
            let builder = params.bind()?;
            let decoded = if path.is_empty() {
                target.whole().merge_protobuf(&body)
            } else if target.has_body_field() {
                match target.body_field() {
                    Some(field) => field.merge_protobuf(&body),
                    None => Ok(()),
                }
            } else {
                // A oneof member: the body as the field, behind its key.
                let mut nested = wire::nesting_header(path.iter().map(|f| f.number), body.len());
                nested.extend_from_slice(&body);
                target.whole().merge_protobuf(&nested)
            };
            decoded.map_err(|e| {
                if matches!(
                    spec.body,
                    BodyRule::AllHttpBody | BodyRule::FieldHttpBody(_)
                ) {
                    Error::bad_request("INVALID_ARGUMENT", e.to_string())
                } else {
                    invalid_protobuf(e)
                }
            })?;
            merge_params(target.whole(), builder)
        }
        Plan::JsonField(path, body) => {
            decode_json_field(spec.request, path, &body, &params, target)
        }
        Plan::Json(body) => {
            let builder = params.bind()?;
            decode_json(target.whole(), &body)?;
            merge_params(target.whole(), builder)
        }
        Plan::Form(path, body) => {
            let form = std::str::from_utf8(&body).map_err(|_| {
                Error::bad_request("INVALID_ARGUMENT", "the form body is not UTF-8")
            })?;
            let query = form_as_query(path, form, params.query);
            let mut builder = JsonBuilder::new();
            // The form's keys may name the body field; only the path's
            // variables are excluded.
            builder.query(spec.request, &query, spec.path_fields)?;
            builder.paths(spec.request, spec.path_fields, values)?;
            replace_with_params(target.whole(), builder)
        }
    }
}

/// A form body as query text on the request message: with a `body:
/// "field"` rule its keys are the field's own (`title=x` for `body:
/// "book"` is `book.title=x`), and the URL's query comes first; a `body:
/// "*"` form is the whole message, without the URL's query (as a JSON body).
pub(super) fn form_as_query(path: &[FieldRef], form: &str, url_query: &str) -> String {
    if path.is_empty() {
        return form.to_owned();
    }
    let prefix: String = path.iter().map(|f| format!("{}.", f.name)).collect();
    let mut query = String::with_capacity(url_query.len() + form.len() * 2);
    query.push_str(url_query);
    for pair in form.split('&').filter(|p| !p.is_empty()) {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&prefix);
        query.push_str(pair);
    }
    query
}

/// A JSON body that is the value of the field at `path` (`body: "item"`),
/// plus the query and path parameters `params` binds. A singular message
/// field is decoded straight into its message; when the parameters do not
/// touch that field they are bound first (no merge). Other fields (scalars,
/// maps, oneof members) are read as `{"item": <body>}` once the body is
/// known to be one JSON value.
pub(super) fn decode_json_field(
    request: &'static MessageSpec,
    path: &[FieldRef],
    body: &[u8],
    params: &Params<'_>,
    target: &mut BindingMessage<'_>,
) -> Result<(), Error> {
    let builder = params.bind()?;
    let outer = path.first().map_or("", |f| f.name);
    let disjoint = request
        .field(outer)
        .is_some_and(|f| f.oneof.is_none() && builder.tree().iter().all(|(k, _)| k != f.json_name));
    if target.has_body_field() {
        if disjoint {
            replace_with_params(target.whole(), builder)?;
            let field = target
                .body_field()
                .ok_or_else(|| internal("no body field"))?;
            return decode_json(field, body);
        }
        let field = target
            .body_field()
            .ok_or_else(|| internal("no body field"))?;
        decode_json(field, body)?;
        return merge_params(target.whole(), builder);
    }
    let wrapped =
        wrap_json(path.iter().map(|f| f.json_name), body).map_err(|e| invalid_json(&e))?;
    target.whole().replace_json(&wrapped).map_err(|e| {
        Error::bad_request(
            "INVALID_ARGUMENT",
            format!("invalid JSON body: {}", bind::without_position(&e)),
        )
    })?;
    merge_params(target.whole(), builder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Cardinality, FieldSpec, Kind};

    static INNER: MessageSpec = MessageSpec {
        name: "t.Inner",
        fields: &[],
    };
    static REQUEST: MessageSpec = MessageSpec {
        name: "t.Request",
        fields: &[
            FieldSpec {
                name: "book",
                json_name: "book",
                number: 1,
                kind: Kind::Message(&INNER),
                cardinality: Cardinality::Singular,
                oneof: None,
            },
            FieldSpec {
                name: "note",
                json_name: "note",
                number: 2,
                kind: Kind::String,
                cardinality: Cardinality::Singular,
                oneof: None,
            },
        ],
    };
    static ALL: RouteSpec =
        RouteSpec::new("/t.S/All", "POST", "/all", &REQUEST, &REQUEST).body(BodyRule::All);
    static BOOK: RouteSpec = RouteSpec::new("/t.S/Book", "POST", "/book", &REQUEST, &REQUEST)
        .body(BodyRule::Field(&[FieldRef::new("book", "book", 1)]));
    static NOTE: RouteSpec = RouteSpec::new("/t.S/Note", "POST", "/note", &REQUEST, &REQUEST)
        .body(BodyRule::Field(&[FieldRef::new("note", "note", 2)]));
    static NONE: RouteSpec = RouteSpec::new("/t.S/Get", "GET", "/get", &REQUEST, &REQUEST);

    fn parts(content_type: Option<&str>) -> http::request::Parts {
        let mut request = http::Request::builder().method("POST").uri("/x");
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        request.body(()).unwrap().into_parts().0
    }

    fn kind(spec: &'static RouteSpec, content_type: Option<&str>) -> Result<&'static str, u16> {
        match plan(spec, &parts(content_type), Bytes::from_static(b"x")) {
            Ok(Plan::Params) => Ok("params"),
            Ok(Plan::Protobuf(..)) => Ok("protobuf"),
            Ok(Plan::JsonField(..)) => Ok("json field"),
            Ok(Plan::Json(_)) => Ok("json"),
            Ok(Plan::Form(..)) => Ok("form"),
            Err(e) => Err(e.code()),
        }
    }

    /// Which decoding a request gets, by rule and content type, decided
    /// before its message type is known.
    #[test]
    fn the_plan_follows_the_rule_and_the_content_type() {
        let cases: &[(&'static RouteSpec, Option<&str>, Result<&str, u16>)] = &[
            (&NONE, Some("text/plain"), Ok("params")),
            (&ALL, None, Ok("json")),
            (&ALL, Some("application/json; charset=utf-8"), Ok("json")),
            (&ALL, Some("application/x-protobuf"), Ok("protobuf")),
            (&ALL, Some("application/x-www-form-urlencoded"), Ok("form")),
            (&ALL, Some("text/plain"), Err(415)),
            (&BOOK, Some("application/json"), Ok("json field")),
            (&BOOK, Some("application/protobuf"), Ok("protobuf")),
            (&BOOK, Some("application/x-www-form-urlencoded"), Ok("form")),
            // A bare string has no protobuf encoding of its own.
            (&NOTE, Some("application/x-protobuf"), Err(415)),
            (&NOTE, Some("application/json"), Ok("json field")),
        ];
        for (spec, content_type, want) in cases {
            assert_eq!(
                kind(spec, *content_type),
                *want,
                "{} {content_type:?}",
                spec.operation
            );
        }
    }

    #[test]
    fn form_keys_are_the_body_fields_own() {
        assert_eq!(form_as_query(&[], "a=1&b.c=x", "q=1"), "a=1&b.c=x");
        let book = [FieldRef::new("book", "book", 1)];
        assert_eq!(
            form_as_query(&book, "title=Odes&&year=1819", "updateMask=title"),
            "updateMask=title&book.title=Odes&book.year=1819"
        );
        assert_eq!(form_as_query(&book, "title=x", ""), "book.title=x");
    }

    /// `note` from the path; `book` is the body field: the query may set
    /// neither (grpc-gateway's filter), and a path value wins.
    static NOTE_IN_PATH: RouteSpec =
        RouteSpec::new("/t.S/Note", "POST", "/notes/{note}", &REQUEST, &REQUEST)
            .body(BodyRule::Field(&[FieldRef::new("book", "book", 1)]))
            .path_fields(&[&["note"]])
            .query_excluded(&[&["note"], &["book"]]);

    fn bound(spec: &'static RouteSpec, query: &str, values: &[String]) -> String {
        let params = Params {
            spec,
            query,
            values,
        };
        match params.bind() {
            Ok(builder) => String::from_utf8(builder.to_json()).unwrap(),
            Err(e) => format!("error {} {}", e.code(), e.message()),
        }
    }

    #[test]
    fn params_bind_the_path_over_a_query_that_may_not_set_it() {
        let path = ["from-path".to_owned()];
        assert_eq!(
            bound(&NOTE_IN_PATH, "note=from-query&book.x=1", &path),
            r#"{"note":"from-path"}"#
        );
        // Without the exclusion the query sets the field the path names.
        assert_eq!(
            bound(&BOOK, "note=from-query", &[]),
            r#"{"note":"from-query"}"#
        );
        // `body: "*"` reads no query at all.
        assert_eq!(bound(&ALL, "note=from-query", &[]), "{}");
    }

    #[test]
    fn a_bad_query_value_is_a_400_naming_the_parameter() {
        let bad = bound(&BOOK, "note=%zz", &[]);
        assert!(bad.starts_with("error 400"), "{bad}");
        assert!(bad.contains("note"), "{bad}");
    }
}
