//! The HTTP rules of a method, read and validated from its
//! `google.api.http` option: every binding's method, path template, body
//! and response body, checked against the request and reply messages. All
//! three plugins read this model, so the server, the client and the
//! OpenAPI document agree on what a rule means.

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor, MethodDescriptor};
use protoway::path::{self, Template};

use crate::diagnostic::{BodyFieldReason, PathFieldReason};
use crate::options::{self, HttpPattern, HttpRule};
use crate::{Diagnostic, Problem, Request};

/// Fully-qualified name of the raw-body message.
pub const HTTP_BODY: &str = "google.api.HttpBody";

/// Choices that change which rules are valid or implied.
#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    /// Methods without a rule get `POST {prefix}/{package}.{Service}/{Method}`
    /// with body `*` (kratos' `omitempty=false`).
    pub default_routes: bool,
    /// Prefix of the default routes.
    pub default_routes_prefix: String,
    /// DELETE may have a body (grpc-gateway's `allow_delete_body`).
    pub allow_delete_body: bool,
    /// What kratos accepts with a warning (a GET or DELETE rule's body,
    /// ignored) is an error instead (parameter `strict`).
    pub strict: bool,
}

/// One route to a method.
#[derive(Debug)]
pub struct Binding {
    /// `GET`, a custom token, or `*`.
    pub method: String,
    /// The path template as written (`/v1/{name=shelves/*}`).
    pub template: String,
    /// The field path (proto names) of each path variable, in template order.
    pub path_fields: Vec<Vec<String>>,
    /// Where the request body goes.
    pub body: Body,
    /// What the response body is.
    pub response_body: ResponseBody,
}

impl Binding {
    /// The fields the query may not set, because the path or the body field
    /// supplies them: the path variables', then the body field's. (A `body:
    /// "*"` rule reads no query at all.)
    pub fn query_excluded(&self) -> Vec<Vec<String>> {
        let mut excluded = self.path_fields.clone();
        if let Body::Field(path) | Body::FieldHttpBody(path) = &self.body {
            excluded.push(path.iter().map(|f| f.name.clone()).collect());
        }
        excluded
    }
}

/// A top-level field named by a rule.
#[derive(Debug, Clone)]
pub struct FieldRef {
    /// Proto name.
    pub name: String,
    /// JSON name.
    pub json_name: String,
    /// Field number.
    pub number: u32,
}

/// Where a rule's request body goes (the runtime's `route::BodyRule`).
#[derive(Debug)]
pub enum Body {
    /// No body: everything from query and path.
    None,
    /// `body: "*"`: the whole message.
    All,
    /// `body: "*"` of a `google.api.HttpBody` request: raw bytes.
    AllHttpBody,
    /// The body field's path, outermost first (`payload.input_value`).
    Field(Vec<FieldRef>),
    /// A `body` field that is a `google.api.HttpBody`: raw bytes.
    FieldHttpBody(Vec<FieldRef>),
}

/// What a rule's response body is (the runtime's `route::ResponseBody`).
#[derive(Debug)]
pub enum ResponseBody {
    /// The whole reply message.
    Whole,
    /// The reply is a `google.api.HttpBody`: sent raw.
    HttpBody,
    /// `response_body: "<field>"`.
    Field(FieldRef),
    /// `response_body` names a `google.api.HttpBody` field: sent raw.
    FieldHttpBody(FieldRef),
}

/// The bindings of `method`: `Ok(None)` when it has no rule (and no
/// default route); located diagnostics for invalid rules. Streaming
/// methods bind as unary ones do (a stream of requests is the body).
pub fn method_bindings(
    request: &Request,
    method: &MethodDescriptor,
    options: &HttpOptions,
) -> Result<Option<Vec<Binding>>, Vec<Diagnostic>> {
    let rule = match options::http_rule(method) {
        Some(rule) => rule,
        None if options.default_routes => HttpRule {
            pattern: Some(HttpPattern::Post(format!(
                "{}/{}/{}",
                options.default_routes_prefix.trim_end_matches('/'),
                method.parent_service().full_name(),
                method.name()
            ))),
            body: "*".into(),
            ..Default::default()
        },
        None => return Ok(None),
    };
    let input = method.input();
    let output = method.output();
    let mut diagnostics = Vec::new();
    let mut bindings = Vec::new();
    let mut rules = vec![(&rule, true)];
    rules.extend(rule.additional_bindings.iter().map(|r| (r, false)));
    for (r, primary) in rules {
        if !primary && !r.additional_bindings.is_empty() {
            diagnostics.push(request.diagnostic(method, Problem::NestedAdditionalBindings));
            continue;
        }
        match read_binding(options, &input, &output, r) {
            Ok((b, warnings)) => {
                for warning in warnings {
                    let warning = request.diagnostic(method, warning);
                    match options.strict {
                        true => diagnostics.push(warning),
                        false => request.warn(warning),
                    }
                }
                bindings.push(b);
            }
            Err(e) => diagnostics.push(request.diagnostic(method, e)),
        }
    }
    if diagnostics.is_empty() {
        Ok(Some(bindings))
    } else {
        Err(diagnostics)
    }
}

/// One binding, and what kratos would accept with a warning (an error
/// under `strict`).
fn read_binding(
    config: &HttpOptions,
    input: &MessageDescriptor,
    output: &MessageDescriptor,
    rule: &HttpRule,
) -> Result<(Binding, Vec<Problem>), Problem> {
    let Some(pattern) = &rule.pattern else {
        return Err(Problem::NoMethod);
    };
    let (method, template) = pattern.method_and_path();
    if method.is_empty()
        || !(method == "*"
            || method
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)))
    {
        return Err(Problem::MethodToken {
            method: method.to_owned(),
        });
    }
    let parsed = path::parse(template).map_err(|error| Problem::Template {
        template: template.to_owned(),
        error,
    })?;
    check_path_fields(input, &parsed, template)?;
    let mut warnings = Vec::new();
    let body = match rule.body.as_str() {
        "" => Body::None,
        // kratos warns and ignores the body; grpc-gateway rejects the rule.
        _ if method == "GET" || (method == "DELETE" && !config.allow_delete_body) => {
            warnings.push(Problem::BodyIgnored {
                method: method.to_owned(),
                template: template.to_owned(),
            });
            Body::None
        }
        "*" if input.full_name() == HTTP_BODY => Body::AllHttpBody,
        "*" => Body::All,
        name => {
            let path = body_field_path(input, name)?;
            let refs = path.iter().map(field_ref).collect();
            if is_http_body(path.last().expect("non-empty")) {
                Body::FieldHttpBody(refs)
            } else {
                Body::Field(refs)
            }
        }
    };
    let response_body = match rule.response_body.as_str() {
        "" if output.full_name() == HTTP_BODY => ResponseBody::HttpBody,
        "" => ResponseBody::Whole,
        name => {
            let field = top_level_field(output, name, "response_body")?;
            if is_http_body(&field) {
                ResponseBody::FieldHttpBody(field_ref(&field))
            } else {
                ResponseBody::Field(field_ref(&field))
            }
        }
    };
    let binding = Binding {
        method: method.to_string(),
        template: template.to_string(),
        path_fields: parsed
            .variables
            .iter()
            .map(|v| v.field_path.clone())
            .collect(),
        body,
        response_body,
    };
    Ok((binding, warnings))
}

fn is_http_body(field: &FieldDescriptor) -> bool {
    matches!(field.kind(), Kind::Message(m) if m.full_name() == HTTP_BODY) && !field.is_list()
}

fn field_ref(field: &FieldDescriptor) -> FieldRef {
    FieldRef {
        name: field.name().to_string(),
        json_name: field.json_name().to_string(),
        number: field.number(),
    }
}

fn top_level_field(
    message: &MessageDescriptor,
    name: &str,
    option: &'static str,
) -> Result<FieldDescriptor, Problem> {
    field_on_path(message, name, name, option)
}

/// Field `segment` of `message`, on the way along `option`'s `dotted` path.
fn field_on_path(
    message: &MessageDescriptor,
    dotted: &str,
    segment: &str,
    option: &'static str,
) -> Result<FieldDescriptor, Problem> {
    message
        .get_field_by_name(segment)
        .ok_or_else(|| Problem::BodyField {
            option,
            field: dotted.to_owned(),
            reason: BodyFieldReason::Missing {
                segment: segment.to_owned(),
                message: message.full_name().to_owned(),
            },
        })
}

/// The fields `body: "a.b"` walks: singular messages down to the body field
/// (grpc-gateway accepts nested body fields; http.proto names a top-level one).
fn body_field_path(
    input: &MessageDescriptor,
    dotted: &str,
) -> Result<Vec<FieldDescriptor>, Problem> {
    let mut message = input.clone();
    let mut path = Vec::new();
    let names: Vec<&str> = dotted.split('.').collect();
    for (i, name) in names.iter().enumerate() {
        let field = field_on_path(&message, dotted, name, "body")?;
        if i + 1 < names.len() {
            match field.kind() {
                Kind::Message(m) if !field.is_list() && !field.is_map() => message = m,
                _ => {
                    return Err(Problem::BodyField {
                        option: "body",
                        field: dotted.to_owned(),
                        reason: BodyFieldReason::NotASingularMessage {
                            segment: (*name).to_owned(),
                        },
                    });
                }
            }
        }
        path.push(field);
    }
    Ok(path)
}

/// Every path variable names a scalar reachable through singular message
/// fields; the last field may be a repeated scalar (comma-separated values,
/// as grpc-gateway).
fn check_path_fields(
    input: &MessageDescriptor,
    template: &Template,
    text: &str,
) -> Result<(), Problem> {
    for var in &template.variables {
        let mut message = input.clone();
        let fail = |reason| Problem::PathField {
            template: text.to_owned(),
            field: var.dotted(),
            reason,
        };
        for (i, name) in var.field_path.iter().enumerate() {
            let Some(field) = message.get_field_by_name(name) else {
                return Err(fail(PathFieldReason::Missing {
                    segment: name.clone(),
                    message: message.full_name().to_owned(),
                }));
            };
            let last = i + 1 == var.field_path.len();
            if field.is_map() {
                return Err(fail(PathFieldReason::Map));
            }
            if field.is_list() && (!last || matches!(field.kind(), Kind::Message(_))) {
                return Err(fail(PathFieldReason::Repeated));
            }
            match field.kind() {
                Kind::Message(m) if !last => message = m,
                Kind::Message(m) => {
                    return Err(fail(PathFieldReason::Message(m.full_name().to_owned())));
                }
                _ if !last => {
                    return Err(fail(PathFieldReason::NotAMessage {
                        segment: name.clone(),
                    }));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The bindings generated so far, to find two that match exactly the same
/// requests (same method, same template shape; variable names aside), within
/// a service or across the services generated together: the later one could
/// never be reached. Real APIs declare such pairs (googleapis' BigQuery
/// Storage and Discovery Engine do), so by default the later binding is
/// left out with a located warning naming both; under `strict` it is an
/// error.
#[derive(Debug, Default)]
pub struct RouteSet {
    seen: Vec<(RouteShape, String)>,
}

#[derive(Debug, PartialEq, Eq)]
struct RouteShape {
    method: String,
    segments: Vec<path::Segment>,
    verb: Option<String>,
}

impl RouteSet {
    /// Whether `binding` of `method` is routed: `Ok(true)` for a new shape;
    /// for a shape bound earlier, a warning and `Ok(false)`, or with
    /// `strict` the error.
    pub fn admit(
        &mut self,
        request: &Request,
        method: &MethodDescriptor,
        binding: &Binding,
        strict: bool,
    ) -> Result<bool, Diagnostic> {
        match self.insert(request, method, binding) {
            Ok(()) => Ok(true),
            Err(duplicate) if strict => Err(duplicate),
            Err(mut duplicate) => {
                if let Problem::DuplicateBinding { left_out, .. } = &mut *duplicate.problem {
                    *left_out = true;
                }
                request.warn(duplicate);
                Ok(false)
            }
        }
    }

    /// Records `binding` of `method`; an error naming the earlier binding
    /// when one has the same shape.
    pub fn insert(
        &mut self,
        request: &Request,
        method: &MethodDescriptor,
        binding: &Binding,
    ) -> Result<(), Diagnostic> {
        // Bindings reach here validated: their templates parse.
        let Ok(template) = path::parse(&binding.template) else {
            return Ok(());
        };
        let shape = RouteShape {
            method: binding.method.clone(),
            segments: template.segments,
            verb: template.verb,
        };
        let label = format!("{} {}", binding.method, binding.template);
        if let Some((_, earlier)) = self.seen.iter().find(|(s, _)| *s == shape) {
            return Err(request.diagnostic(
                method,
                Problem::DuplicateBinding {
                    binding: label,
                    earlier: earlier.clone(),
                    left_out: false,
                },
            ));
        }
        self.seen
            .push((shape, format!("{label} ({})", method.full_name())));
        Ok(())
    }
}
