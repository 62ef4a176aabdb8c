//! Services → one OpenAPI document: a path item per binding (the
//! `protoway_codegen::http` model the server and client use), parameters
//! as the server binds them (path variables; every other field flattened
//! into dotted query keys, maps as `m[k]`), request and reply bodies as the
//! server reads and writes them, tags per service, servers from
//! `google.api.default_host`.

use std::collections::{BTreeMap, BTreeSet};

use prost_reflect::{FileDescriptor, Kind, MessageDescriptor, MethodDescriptor, ServiceDescriptor};
use protoway::path::{self, Segment};
use protoway_codegen::http::{self, Binding, Body, FieldRef, HTTP_BODY, ResponseBody};
use protoway_codegen::options::{self, FieldBehavior};
use protoway_codegen::{Diagnostic, Problem, Request};
use serde_json::{Map, Value, json};

use crate::annotations;
use crate::config::{Config, Naming};
use crate::schema::Schemas;

/// OpenAPI's order of operations within a path item.
const METHOD_ORDER: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The document for the services of `files`.
pub fn build(
    request: &Request,
    config: &Config,
    files: &[FileDescriptor],
) -> Result<Value, Vec<Diagnostic>> {
    let mut schemas = Schemas::new(request, config);
    let mut paths: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    let mut extensions: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    let mut tags = Vec::new();
    let mut servers: Vec<String> = Vec::new();
    let mut documented: Vec<ServiceDescriptor> = Vec::new();
    let mut diagnostics = Vec::new();
    let mut routes = http::RouteSet::default();
    for file in files {
        for service in file.services() {
            let mut bound = false;
            for method in service.methods() {
                match http::method_bindings(request, &method, &config.http) {
                    Ok(Some(bindings)) => {
                        for (i, b) in bindings.iter().enumerate() {
                            match routes.admit(request, &method, b, config.http.strict) {
                                Ok(true) => {}
                                Ok(false) => continue,
                                Err(d) => {
                                    diagnostics.push(d);
                                    continue;
                                }
                            }
                            let (path, verb, op) = operation(&mut schemas, &method, i, b);
                            // OpenAPI has fixed method keys; others (`*`,
                            // custom tokens) go to an `x-` extension.
                            let target = if METHOD_ORDER.contains(&verb.as_str()) {
                                &mut paths
                            } else {
                                &mut extensions
                            };
                            // Two routes OpenAPI writes alike (`/v1/{name}`
                            // from `{name=**}` and `{name}`) cannot both be
                            // documented: never drop one silently.
                            let operations = target.entry(path.clone()).or_default();
                            if let Some(earlier) = operations.get(&verb) {
                                let collision = request.diagnostic(
                                    &method,
                                    Problem::OpenApiCollision {
                                        binding: format!("{} {}", b.method, b.template),
                                        method: verb.clone(),
                                        path: path.clone(),
                                        earlier: earlier["operationId"].to_string(),
                                    },
                                );
                                if config.http.strict {
                                    diagnostics.push(collision);
                                } else {
                                    request.warn(collision);
                                }
                                continue;
                            }
                            operations.insert(verb, op);
                        }
                        bound = true;
                    }
                    Ok(None) => {}
                    Err(mut d) => diagnostics.append(&mut d),
                }
            }
            if bound {
                let mut tag = Map::new();
                tag.insert("name".into(), service.name().into());
                let doc = description_text(request.comments(&service).doc_lines());
                if !doc.is_empty() {
                    tag.insert("description".into(), doc.into());
                }
                tags.push(tag);
                if let Some(host) = options::default_host(&service) {
                    let url = if host.contains("://") {
                        host
                    } else {
                        format!("https://{host}")
                    };
                    if !servers.contains(&url) {
                        servers.push(url);
                    }
                }
                documented.push(service);
            }
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    schemas.finish();

    let mut info = Map::new();
    let title = match (&config.title, documented.as_slice()) {
        (Some(t), _) => t.clone(),
        (None, [one]) => format!("{} API", one.name()),
        (None, many) => many.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ") + " API",
    };
    info.insert("title".into(), title.into());
    let description = match (&config.description, documented.as_slice()) {
        (Some(d), _) => d.clone(),
        (None, [one]) => description_text(request.comments(one).doc_lines()),
        _ => String::new(),
    };
    if !description.is_empty() {
        info.insert("description".into(), description.into());
    }
    info.insert("version".into(), config.version.clone().into());

    let mut doc = Map::new();
    doc.insert("openapi".into(), config.openapi.clone().into());
    doc.insert("info".into(), Value::Object(info));
    if !servers.is_empty() {
        let list: Vec<Value> = servers
            .into_iter()
            .map(|url| json!({ "url": url }))
            .collect();
        doc.insert("servers".into(), Value::Array(list));
    }
    let mut path_items = Map::new();
    let all_paths: BTreeSet<String> = paths.keys().chain(extensions.keys()).cloned().collect();
    for path in all_paths {
        let mut item = Map::new();
        if let Some(mut ops) = paths.remove(&path) {
            for method in METHOD_ORDER {
                if let Some(op) = ops.remove(*method) {
                    item.insert((*method).to_string(), op);
                }
            }
        }
        if let Some(ops) = extensions.remove(&path) {
            // `x-protoway-methods`: operations OpenAPI 3.0 has no key for.
            let map: Map<String, Value> = ops.into_iter().collect();
            item.insert("x-protoway-methods".into(), Value::Object(map));
        }
        path_items.insert(path, Value::Object(item));
    }
    doc.insert("paths".into(), Value::Object(path_items));
    let components: Map<String, Value> = std::mem::take(&mut schemas.components)
        .into_iter()
        .collect();
    // Moved in, not through `json!`, which would copy every schema.
    let mut component_kinds = Map::new();
    component_kinds.insert("schemas".into(), Value::Object(components));
    doc.insert("components".into(), Value::Object(component_kinds));
    if !tags.is_empty() {
        // One service: its comment is the document's description already
        // (gnostic); several: each tag carries its own.
        if tags.len() == 1 {
            tags[0].remove("description");
        }
        doc.insert(
            "tags".into(),
            Value::Array(tags.into_iter().map(Value::Object).collect()),
        );
    }
    // `(openapi.v3.document)` file options, merged last: they win.
    let mut doc = Value::Object(doc);
    for file in files {
        if let Some(a) = annotations::annotation(&file.options(), annotations::DOCUMENT) {
            annotations::merge(&mut doc, a);
        }
    }
    Ok(doc)
}

/// Comment lines as one description: `(-- internal --)` notes removed.
pub fn description_text(lines: Vec<String>) -> String {
    let text = lines.join("\n");
    strip_internal(&text).trim().to_string()
}

/// Removes `(-- … --)` spans (AIP-192 internal comments), across lines.
fn strip_internal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("(--") {
        let Some(end) = rest[start..].find("--)") else {
            break;
        };
        out.push_str(&rest[..start]);
        rest = &rest[start + end + 3..];
    }
    out.push_str(rest);
    // Lines emptied by the removal collapse into paragraph breaks.
    let mut collapsed = String::new();
    let mut blank = false;
    for line in out.lines() {
        if line.trim().is_empty() {
            blank = true;
            continue;
        }
        if !collapsed.is_empty() {
            collapsed.push_str(if blank { "\n\n" } else { "\n" });
        }
        collapsed.push_str(line.trim_end());
        blank = false;
    }
    collapsed
}

/// Summary (first paragraph) and description (the rest) of a comment.
fn summary_and_description(text: &str) -> (Option<String>, Option<String>) {
    if text.is_empty() {
        return (None, None);
    }
    match text.split_once("\n\n") {
        Some((first, rest)) => (
            Some(first.replace('\n', " ")),
            Some(rest.trim().to_string()).filter(|r| !r.is_empty()),
        ),
        None => (Some(text.replace('\n', " ")), None),
    }
}

/// The path key, method key and operation object of one binding.
fn operation(
    schemas: &mut Schemas,
    method: &MethodDescriptor,
    index: usize,
    binding: &Binding,
) -> (String, String, Value) {
    let request = schemas.request;
    let config = schemas.config;
    let input = method.input();
    let output = method.output();
    let service = method.parent_service();
    let mut op = Map::new();
    op.insert("tags".into(), json!([service.name()]));
    let text = description_text(request.comments(method).doc_lines());
    let (summary, description) = summary_and_description(&text);
    if let Some(s) = summary {
        op.insert("summary".into(), s.into());
    }
    if let Some(d) = description {
        op.insert("description".into(), d.into());
    }
    if method.is_client_streaming() || method.is_server_streaming() {
        // OpenAPI has no WebSocket operations: said in words.
        let websocket = "A WebSocket (`GET` with `Upgrade: websocket` on this path) carries the same streams, one JSON message per WebSocket message (kratos v3's framing: U+001E then `end` ends the requests, U+001E then `error:` and the error's JSON end a failed call), where the server enables it.";
        let text = match op.get("description").and_then(Value::as_str) {
            Some(d) => format!("{d}\n\n{websocket}"),
            None => websocket.to_owned(),
        };
        op.insert("description".into(), text.into());
    }
    // Additional bindings get their own ids (gnostic repeats the first).
    let id = if index == 0 {
        format!("{}_{}", service.name(), method.name())
    } else {
        format!("{}_{}_{}", service.name(), method.name(), index)
    };
    op.insert("operationId".into(), id.into());

    let template = path::parse(&binding.template).expect("validated by the model");
    let mut parameters = Vec::new();
    let mut path_text = String::new();
    let mut i = 0;
    let mut used_names = BTreeSet::new();
    while i < template.segments.len() {
        path_text.push('/');
        if let Some(var) = template.variables.iter().find(|v| v.start == i) {
            let pattern = &template.segments[var.start..var.end];
            let field = resolve(&input, &var.field_path);
            if matches!(pattern, [Segment::Single]) {
                let name = doc_path_name(config, &input, &var.field_path);
                path_text.push_str(&format!("{{{name}}}"));
                let mut p = Map::new();
                p.insert("name".into(), name.clone().into());
                p.insert("in".into(), "path".into());
                if let Some(f) = &field {
                    let d = description_text(request.comments(f).doc_lines());
                    if !d.is_empty() {
                        p.insert("description".into(), d.into());
                    }
                }
                p.insert("required".into(), true.into());
                let schema = field
                    .as_ref()
                    .and_then(|f| schemas.kind_schema(&f.kind()))
                    .unwrap_or_else(|| json!({"type": "string"}));
                p.insert("schema".into(), schema);
                used_names.insert(name);
                parameters.push(Value::Object(p));
            } else {
                // `{name=shelves/*/books/*}`: literals stay, each wildcard is
                // a parameter named after the collection before it (gnostic).
                let mut previous: Option<&str> = None;
                for (n, segment) in pattern.iter().enumerate() {
                    if n > 0 {
                        path_text.push('/');
                    }
                    match segment {
                        Segment::Literal(l) => {
                            path_text.push_str(l);
                            previous = Some(l);
                        }
                        Segment::Single | Segment::Multi => {
                            let base = previous
                                .map(singular)
                                .unwrap_or_else(|| var.field_path.join("_"));
                            let mut name = base.clone();
                            let mut k = 1;
                            while !used_names.insert(name.clone()) {
                                k += 1;
                                name = format!("{base}{k}");
                            }
                            path_text.push_str(&format!("{{{name}}}"));
                            let description = match segment {
                                Segment::Multi => format!(
                                    "The rest of `{}`: one or more path segments.",
                                    var.dotted()
                                ),
                                _ => format!("The {base} id."),
                            };
                            parameters.push(json!({
                                "name": name,
                                "in": "path",
                                "description": description,
                                "required": true,
                                "schema": {"type": "string"},
                            }));
                        }
                    }
                }
            }
            i = var.end;
            continue;
        }
        match &template.segments[i] {
            Segment::Literal(l) => path_text.push_str(l),
            Segment::Single | Segment::Multi => {
                let name = format!("segment{i}");
                path_text.push_str(&format!("{{{name}}}"));
                parameters.push(json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}));
            }
        }
        i += 1;
    }
    if template.segments.is_empty() {
        path_text.push('/');
    }
    if let Some(verb) = &template.verb {
        path_text.push(':');
        path_text.push_str(verb);
    }

    // Query: everything neither the path nor the body binds.
    let takes_query =
        !matches!(binding.body, Body::All | Body::AllHttpBody) && input.full_name() != HTTP_BODY;
    if takes_query {
        let bound = binding.query_excluded();
        let mut stack = vec![input.full_name().to_string()];
        query_parameters(
            schemas,
            &input,
            &mut Vec::new(),
            &mut Vec::new(),
            &bound,
            &mut stack,
            &mut parameters,
        );
    }
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }

    // A message of plain fields is also accepted as a form body, bound like
    // query parameters (kratos' form codec): listed as an alternative.
    let json_body = |schema: Value, form: bool| {
        let mut content = Map::new();
        content.insert("application/json".into(), json!({"schema": schema}));
        if form {
            content.insert(
                "application/x-www-form-urlencoded".into(),
                json!({"schema": schema}),
            );
        }
        json!({"content": content, "required": true})
    };
    let raw_body = json!({"content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}, "required": true});
    match &binding.body {
        // A stream of requests: one JSON message per line.
        _ if method.is_client_streaming() => {
            let item = schemas.message_ref(&input);
            op.insert(
                "requestBody".into(),
                json!({
                    "description": "A stream of requests: one JSON message per line.",
                    "content": {"application/x-ndjson": stream_media(config, item)},
                    "required": true,
                }),
            );
        }
        Body::None => {}
        Body::All => {
            // Fields the path binds are not part of the body (gnostic #323).
            let from_path: Vec<&str> = template
                .variables
                .iter()
                .filter(|v| v.field_path.len() == 1)
                .map(|v| v.field_path[0].as_str())
                .collect();
            let schema = if from_path.is_empty() {
                schemas.message_ref(&input)
            } else {
                schemas.message_schema_without(&input, &from_path)
            };
            op.insert("requestBody".into(), json_body(schema, form_fields(&input)));
        }
        Body::AllHttpBody | Body::FieldHttpBody(_) => {
            op.insert("requestBody".into(), raw_body.clone());
        }
        Body::Field(path) => {
            let schema = body_field_schema(schemas, &input, path);
            let names: Vec<String> = path.iter().map(|f| f.name.clone()).collect();
            let form = resolve(&input, &names).is_some_and(|f| match f.kind() {
                Kind::Message(m) => !f.is_list() && !f.is_map() && form_fields(&m),
                _ => false,
            });
            op.insert("requestBody".into(), json_body(schema, form));
        }
    }

    let ok = match &binding.response_body {
        ResponseBody::HttpBody | ResponseBody::FieldHttpBody(_) if method.is_server_streaming() => {
            json!({"description": "A stream of bytes, sent as they come.", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}})
        }
        _ if method.is_server_streaming() => {
            let item = schemas
                .kind_schema(&Kind::Message(output.clone()))
                .unwrap_or_else(|| json!({"type": "object"}));
            server_stream_response(config, item)
        }
        ResponseBody::HttpBody | ResponseBody::FieldHttpBody(_) => {
            json!({"description": "OK", "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}})
        }
        ResponseBody::Whole => {
            let schema = schemas
                .kind_schema(&Kind::Message(output.clone()))
                .unwrap_or_else(|| json!({"type": "object"}));
            json!({"description": "OK", "content": {"application/json": {"schema": schema}}})
        }
        ResponseBody::Field(f) => {
            let schema = body_field_schema(schemas, &output, std::slice::from_ref(f));
            json!({"description": "OK", "content": {"application/json": {"schema": schema}}})
        }
    };
    let mut responses = Map::new();
    responses.insert("200".into(), ok);
    if config.default_response {
        let error = schemas.error_ref();
        responses.insert(
            "default".into(),
            json!({"description": "Default error response", "content": {"application/json": {"schema": error}}}),
        );
    }
    op.insert("responses".into(), Value::Object(responses));
    if options::is_deprecated(method) {
        op.insert("deprecated".into(), true.into());
    }
    let mut op = Value::Object(op);
    if let Some(a) = annotations::annotation(&method.options(), annotations::OPERATION) {
        annotations::merge(&mut op, a);
    }
    (path_text, binding.method.to_ascii_lowercase(), op)
}

/// `shelves` → `shelf`, `books` → `book`, `indices` → `index`-ish.
fn singular(collection: &str) -> String {
    let c = collection;
    if let Some(stem) = c.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = c.strip_suffix("ves") {
        format!("{stem}f")
    } else if let Some(stem) = c.strip_suffix("ses").or_else(|| c.strip_suffix("xes")) {
        format!("{stem}{}", &c[stem.len()..stem.len() + 1])
    } else if let Some(stem) = c.strip_suffix('s') {
        stem.to_string()
    } else {
        c.to_string()
    }
}

/// The field a (proto-named) path reaches.
fn resolve(message: &MessageDescriptor, path: &[String]) -> Option<prost_reflect::FieldDescriptor> {
    let mut m = message.clone();
    let mut found = None;
    for (i, name) in path.iter().enumerate() {
        let f = m.get_field_by_name(name)?;
        if i + 1 < path.len() {
            let Kind::Message(inner) = f.kind() else {
                return None;
            };
            m = inner;
        }
        found = Some(f);
    }
    found
}

/// A path variable's name in the document: JSON or proto names, dotted.
fn doc_path_name(config: &Config, message: &MessageDescriptor, path: &[String]) -> String {
    let mut m = message.clone();
    let mut names = Vec::new();
    for name in path {
        let Some(f) = m.get_field_by_name(name) else {
            names.push(name.clone());
            continue;
        };
        names.push(match config.naming {
            Naming::Json => f.json_name().to_string(),
            Naming::Proto => f.name().to_string(),
        });
        if let Kind::Message(inner) = f.kind() {
            m = inner;
        }
    }
    names.join(".")
}

/// The schema of a (nested) body or response_body field.
fn body_field_schema(
    schemas: &mut Schemas,
    message: &MessageDescriptor,
    path: &[FieldRef],
) -> Value {
    let names: Vec<String> = path.iter().map(|f| f.name.clone()).collect();
    match resolve(message, &names) {
        Some(f) => {
            let schema = if f.is_map() || f.is_list() {
                schemas.field_schema(&f)
            } else {
                schemas.kind_schema(&f.kind())
            };
            schema.unwrap_or_else(|| json!({"type": "object"}))
        }
        None => json!({"type": "object"}),
    }
}

/// Query parameters for the fields of `message` not bound elsewhere,
/// flattened into dotted keys (messages recur at most `depth` times).
#[allow(clippy::too_many_arguments)]
fn query_parameters(
    schemas: &mut Schemas,
    message: &MessageDescriptor,
    proto_prefix: &mut Vec<String>,
    doc_prefix: &mut Vec<String>,
    bound: &[Vec<String>],
    stack: &mut Vec<String>,
    out: &mut Vec<Value>,
) {
    for f in message.fields() {
        proto_prefix.push(f.name().to_string());
        if bound.iter().any(|b| b == proto_prefix) {
            proto_prefix.pop();
            continue;
        }
        doc_prefix.push(schemas.field_name(&f));
        let name = doc_prefix.join(".");
        let mut doc = description_text(schemas.request.comments(&f).doc_lines());
        if doc.is_empty()
            && matches!(f.kind(), Kind::Message(ref m) if m.full_name() == "google.protobuf.Duration")
        {
            doc = DURATION_DOC.to_string();
        }
        let required = options::field_behavior(&f).contains(&FieldBehavior::Required);
        // One query parameter: `schema` or `content` (JSON text), and a style.
        let mut param = |key: &str, value: Value, style: Option<&str>| {
            let mut p = Map::new();
            p.insert("name".into(), name.clone().into());
            p.insert("in".into(), "query".into());
            if !doc.is_empty() {
                p.insert("description".into(), doc.clone().into());
            }
            if required {
                p.insert("required".into(), true.into());
            }
            if let Some(style) = style {
                p.insert("style".into(), style.into());
                p.insert("explode".into(), true.into());
            }
            p.insert(key.into(), value);
            if options::is_deprecated(&f) {
                p.insert("deprecated".into(), true.into());
            }
            out.push(Value::Object(p));
        };
        match f.kind() {
            Kind::Message(entry) if f.is_map() => {
                // The server reads `m[k]=v`: OpenAPI's deepObject style.
                let value = entry.map_entry_value_field();
                let scalar_values =
                    !matches!(value.kind(), Kind::Message(ref m) if !is_scalar_wkt(m.full_name()));
                if scalar_values && let Some(v) = schemas.kind_schema(&value.kind()) {
                    param(
                        "schema",
                        json!({"type": "object", "additionalProperties": v}),
                        Some("deepObject"),
                    );
                }
            }
            Kind::Message(m) if is_json_text(m.full_name()) => {
                // The server reads Struct/Value/ListValue as JSON text: a
                // `content` parameter. Repeated ones have no OpenAPI form.
                if !f.is_list()
                    && let Some(schema) = schemas.kind_schema(&f.kind())
                {
                    param(
                        "content",
                        json!({"application/json": {"schema": schema}}),
                        None,
                    );
                }
            }
            Kind::Message(m) if is_scalar_wkt(m.full_name()) => {
                if let Some(schema) = schemas.kind_schema(&f.kind()) {
                    let schema = if f.is_list() {
                        json!({"type": "array", "items": schema})
                    } else {
                        schema
                    };
                    param("schema", schema, None);
                }
            }
            Kind::Message(m) => {
                let seen = stack.iter().filter(|s| *s == m.full_name()).count();
                if !f.is_list() && seen < schemas.config.depth {
                    stack.push(m.full_name().to_string());
                    query_parameters(schemas, &m, proto_prefix, doc_prefix, bound, stack, out);
                    stack.pop();
                }
            }
            kind => {
                if let Some(mut schema) = schemas.kind_schema(&kind) {
                    if f.is_list() {
                        schema = json!({"type": "array", "items": schema});
                    } else if let Some(Value::Object(a)) =
                        annotations::annotation(&f.options(), annotations::PROPERTY)
                        && let Some(object) = schema.as_object_mut()
                    {
                        // `(openapi.v3.property)` (a `pattern`, a `maxLength`)
                        // says what the server accepts here as in a body.
                        object.extend(a);
                    }
                    param("schema", schema, None);
                }
            }
        }
        doc_prefix.pop();
        proto_prefix.pop();
    }
}

/// Whether every field of `message` is a scalar or enum (repeated or not):
/// a form of such a message means the same as its query parameters.
fn form_fields(message: &MessageDescriptor) -> bool {
    message
        .fields()
        .all(|f| !matches!(f.kind(), Kind::Message(_)))
}

/// gnostic's description of a Duration query parameter.
const DURATION_DOC: &str = "Represents a a duration between -315,576,000,000s and 315,576,000,000s (around 10000 years). Precision is in nanoseconds. 1 nanosecond is represented as 0.000000001s";

/// Well-known messages the server reads from the query as JSON text.
fn is_json_text(full_name: &str) -> bool {
    matches!(
        full_name,
        "google.protobuf.Value" | "google.protobuf.Struct" | "google.protobuf.ListValue"
    )
}

/// Well-known messages whose JSON form is a single value the query can
/// carry (RFC 3339, `1.5s`, masks, wrappers, JSON text for Value).
fn is_scalar_wkt(full_name: &str) -> bool {
    matches!(
        full_name,
        "google.protobuf.Timestamp"
            | "google.protobuf.Duration"
            | "google.protobuf.FieldMask"
            | "google.protobuf.BoolValue"
            | "google.protobuf.StringValue"
            | "google.protobuf.BytesValue"
            | "google.protobuf.Int32Value"
            | "google.protobuf.UInt32Value"
            | "google.protobuf.Int64Value"
            | "google.protobuf.UInt64Value"
            | "google.protobuf.FloatValue"
            | "google.protobuf.DoubleValue"
    )
}

/// A media type of a stream whose items are `item`: OpenAPI 3.2's
/// `itemSchema`; before 3.2, `x-item-schema` (the same schema, as an
/// extension) beside a `schema` of one item.
fn stream_media(config: &crate::config::Config, item: Value) -> Value {
    let mut media = Map::new();
    if config.is_32() {
        media.insert("itemSchema".into(), item);
    } else {
        media.insert("schema".into(), item.clone());
        media.insert("x-item-schema".into(), item);
    }
    Value::Object(media)
}

/// The reply of a server stream: newline-delimited JSON lines (`result`
/// or a final `error`), or server-sent events when `Accept` asks.
fn server_stream_response(config: &crate::config::Config, item: Value) -> Value {
    let error = json!({
        "type": "object",
        "description": "The error that ended the stream (grpc-gateway's form, with kratos' code and reason).",
        "properties": {
            "code": {"type": "integer", "description": "gRPC code"},
            "message": {"type": "string"},
            "details": {"type": "array", "items": {"type": "object"}},
            "httpCode": {"type": "integer"},
            "reason": {"type": "string"},
        },
    });
    let line = json!({
        "type": "object",
        "properties": {"result": item.clone(), "error": error},
    });
    let event = if config.is_31() {
        json!({
            "type": "object",
            "properties": {
                "event": {"type": "string", "description": "`error` for the last event of a failed stream"},
                "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": item},
            },
            "required": ["data"],
        })
    } else {
        json!({
            "type": "object",
            "properties": {
                "event": {"type": "string", "description": "`error` for the last event of a failed stream"},
                "data": {"type": "string", "description": "the message as JSON"},
            },
            "required": ["data"],
        })
    };
    json!({
        "description": "A stream of replies: newline-delimited JSON (`{\"result\": …}` per line, a final `{\"error\": …}` line on failure), or server-sent events with `Accept: text/event-stream` (`data:` per reply, a final `error` event with the error JSON).",
        "content": {
            "application/x-ndjson": stream_media(config, line),
            "text/event-stream": stream_media(config, event),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singulars() {
        for (plural, one) in [
            ("shelves", "shelf"),
            ("books", "book"),
            ("policies", "policy"),
            ("addresses", "address"),
            ("boxes", "box"),
            ("data", "data"),
        ] {
            assert_eq!(singular(plural), one);
        }
    }

    #[test]
    fn comments_split_and_internal_notes_go() {
        let text = description_text(vec![
            "Gets a book.".into(),
            "(-- api-linter: core::0131=disabled".into(),
            "    aip.dev/not-precedent: reasons --)".into(),
            "".into(),
            "Returns NOT_FOUND.".into(),
        ]);
        assert_eq!(text, "Gets a book.\n\nReturns NOT_FOUND.");
        assert_eq!(
            summary_and_description(&text),
            (
                Some("Gets a book.".into()),
                Some("Returns NOT_FOUND.".into())
            )
        );
        assert_eq!(
            summary_and_description("One\nline."),
            (Some("One line.".into()), None)
        );
    }
}
