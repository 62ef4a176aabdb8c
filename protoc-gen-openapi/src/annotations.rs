//! gnostic's `openapi.v3` annotations (extension 1143 on files, methods,
//! messages and fields) as OpenAPI JSON, and their merge into the
//! generated document the way gnostic merges them: objects merged key by
//! key, lists appended, scalars replaced by the annotation.
//!
//! The extensions are read from the request's own descriptor pool (users
//! import gnostic's `openapiv3/annotations.proto`), and OpenAPIv3.proto's
//! messages are converted generically: fields become lowerCamel keys
//! (`_ref` → `$ref`, `_default` → `default`), `repeated Named*` fields
//! (`additional_properties`, `path`, `specification_extension`, …) become
//! map entries, `*OrReference`-style oneof wrappers collapse to their set
//! member, `StringArray` to its list and `Any` to its YAML/JSON value.

use heck::ToLowerCamelCase;
use prost_reflect::{DynamicMessage, ReflectMessage, Value as PValue};
use protoway_codegen::options::message_option;
use serde_json::{Map, Value};

/// `openapi.v3.document` on a file.
pub const DOCUMENT: &str = "openapi.v3.document";
/// `openapi.v3.operation` on a method.
pub const OPERATION: &str = "openapi.v3.operation";
/// `openapi.v3.schema` on a message.
pub const SCHEMA: &str = "openapi.v3.schema";
/// `openapi.v3.property` on a field.
pub const PROPERTY: &str = "openapi.v3.property";

/// The annotation `name` on `options`, as OpenAPI JSON.
pub fn annotation(options: &DynamicMessage, name: &str) -> Option<Value> {
    message_option(options, name).map(|m| to_openapi(&m))
}

/// One OpenAPIv3.proto message as the OpenAPI object it stands for.
pub fn to_openapi(message: &DynamicMessage) -> Value {
    let descriptor = message.descriptor();
    let full_name = descriptor.full_name();
    if full_name == "openapi.v3.Any" {
        let yaml = message
            .get_field_by_name("yaml")
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        return scalar_text(&yaml);
    }
    // Wrappers whose fields all sit in one oneof: the member that is set.
    let fields: Vec<_> = descriptor.fields().collect();
    if !fields.is_empty() && fields.iter().all(|f| f.containing_oneof().is_some()) {
        for f in &fields {
            if message.has_field(f) {
                return field_value(&message.get_field(f));
            }
        }
        return Value::Null;
    }
    // `StringArray { repeated string value = 1; }`.
    if let [only] = fields.as_slice()
        && only.name() == "value"
        && only.is_list()
    {
        return field_value(&message.get_field(only));
    }
    let mut object = Map::new();
    for f in &fields {
        if !message.has_field(f) {
            continue;
        }
        let value = message.get_field(f);
        let named = matches!(f.kind(), prost_reflect::Kind::Message(ref m) if m.name().starts_with("Named"));
        if f.is_list() && named {
            for entry in value.as_list().into_iter().flatten() {
                if let Some(m) = entry.as_message() {
                    let key = m
                        .get_field_by_name("name")
                        .and_then(|n| n.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    let v = m
                        .get_field_by_name("value")
                        .map(|v| field_value(&v))
                        .unwrap_or(Value::Null);
                    object.insert(key, v);
                }
            }
            continue;
        }
        object.insert(key_name(f.name()), field_value(&value));
    }
    Value::Object(object)
}

/// `max_length` → `maxLength`, `_ref` → `$ref`, `_default` → `default`.
fn key_name(field: &str) -> String {
    if field == "_ref" {
        return "$ref".into();
    }
    field.trim_start_matches('_').to_lower_camel_case()
}

fn field_value(value: &PValue) -> Value {
    match value {
        PValue::Bool(b) => Value::Bool(*b),
        PValue::I32(n) => Value::from(*n),
        PValue::I64(n) => Value::from(*n),
        PValue::U32(n) => Value::from(*n),
        PValue::U64(n) => Value::from(*n),
        PValue::F32(n) => {
            serde_json::Number::from_f64(f64::from(*n)).map_or(Value::Null, Value::Number)
        }
        PValue::F64(n) => number(*n),
        PValue::String(s) => Value::String(s.clone()),
        PValue::Bytes(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        PValue::EnumNumber(n) => Value::from(*n),
        PValue::Message(m) => to_openapi(m),
        PValue::List(items) => Value::Array(items.iter().map(field_value).collect()),
        PValue::Map(_) => Value::Null,
    }
}

/// Whole numbers as integers (`maximum: 10`, not `10.0`).
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

/// gnostic's `Any.yaml`: JSON scalars and JSON text as values, anything
/// else as a string.
fn scalar_text(text: &str) -> Value {
    let trimmed = text.trim();
    serde_json::from_str(trimmed).unwrap_or_else(|_| Value::String(trimmed.to_string()))
}

/// gnostic's merge: objects key by key, lists appended, scalars replaced.
pub fn merge(target: &mut Value, annotation: Value) {
    match (target, annotation) {
        (Value::Object(t), Value::Object(a)) => {
            for (k, v) in a {
                match t.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        t.insert(k, v);
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(a)) => t.extend(a),
        (t, a) => *t = a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_and_merge() {
        assert_eq!(key_name("max_length"), "maxLength");
        assert_eq!(key_name("_ref"), "$ref");
        assert_eq!(key_name("_default"), "default");
        let mut doc = json!({"info": {"title": "A", "version": "1"}, "tags": [{"name": "x"}]});
        merge(
            &mut doc,
            json!({"info": {"title": "B"}, "tags": [{"name": "y"}]}),
        );
        assert_eq!(
            doc,
            json!({"info": {"title": "B", "version": "1"}, "tags": [{"name": "x"}, {"name": "y"}]})
        );
        assert_eq!(scalar_text("true"), json!(true));
        assert_eq!(scalar_text("hello"), json!("hello"));
    }
}
