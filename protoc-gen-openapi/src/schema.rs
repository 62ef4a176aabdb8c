//! Messages, enums and well-known types as OpenAPI schemas, in the proto3
//! JSON mapping's shapes (what protoway servers write and read): int64 as
//! strings, enums by name or number, Timestamp/Duration/FieldMask as
//! strings, Struct/Value/ListValue as free JSON. Referenced messages become
//! components, collected as they are first used.

use std::collections::{BTreeMap, BTreeSet};

use prost_reflect::{EnumDescriptor, FieldDescriptor, Kind, MessageDescriptor};
use protoway_codegen::Request;
use protoway_codegen::options::{self, FieldBehavior};
use serde_json::{Map, Value, json};

use crate::config::{Config, ErrorSchema, Naming};

/// Component schemas, and the messages still to describe.
pub struct Schemas<'a> {
    /// The request whose messages are described.
    pub request: &'a Request,
    /// The plugin's parameters.
    pub config: &'a Config,
    /// `components.schemas`, by schema name.
    pub components: BTreeMap<String, Value>,
    pending: Vec<MessageDescriptor>,
    queued: BTreeSet<String>,
}

/// Duration text per the JSON mapping (gnostic's pattern).
const DURATION_PATTERN: &str = r"^-?(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,9})?s$";

impl<'a> Schemas<'a> {
    /// No schemas yet.
    pub fn new(request: &'a Request, config: &'a Config) -> Self {
        Schemas {
            request,
            config,
            components: BTreeMap::new(),
            pending: Vec::new(),
            queued: BTreeSet::new(),
        }
    }

    /// A field's name in documents: JSON or proto, per `naming`.
    pub fn field_name(&self, f: &FieldDescriptor) -> String {
        match self.config.naming {
            Naming::Json => f.json_name().to_string(),
            Naming::Proto => f.name().to_string(),
        }
    }

    /// The component name of a message: gnostic's (`Outer_Inner`,
    /// `GoogleProtobufAny`) or its full name with `fq_schema_naming`.
    pub fn component_name(&self, full_name: &str, package: &str) -> String {
        let local = full_name
            .strip_prefix(package)
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or(full_name)
            .replace('.', "_");
        if self.config.fq_schema_naming {
            // gnostic: the package, then nested names joined by `_`.
            return if package.is_empty() {
                local
            } else {
                format!("{package}.{local}")
            };
        }
        match full_name {
            "google.protobuf.Any" => "GoogleProtobufAny".into(),
            "google.protobuf.Value" => "GoogleProtobufValue".into(),
            "google.rpc.Status" => "Status".into(),
            _ => local,
        }
    }

    fn reference_to(&mut self, name: &str) -> Value {
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }

    /// `$ref` to a message's component, queued for description.
    pub fn message_ref(&mut self, m: &MessageDescriptor) -> Value {
        let name = self.component_name(m.full_name(), m.package_name());
        if self.queued.insert(m.full_name().to_string()) {
            self.pending.push(m.clone());
        }
        self.reference_to(&name)
    }

    /// The schema of a field: repeated and maps included, with its
    /// description, field behaviour and deprecation. `None` for fields the
    /// JSON mapping never writes (google.protobuf.Empty).
    pub fn field_schema(&mut self, f: &FieldDescriptor) -> Option<Value> {
        let mut schema = if f.is_map() {
            let Kind::Message(entry) = f.kind() else {
                unreachable!("map fields are messages")
            };
            let value = entry.map_entry_value_field();
            json!({ "type": "object", "additionalProperties": self.kind_schema(&value.kind())? })
        } else if f.is_list() {
            json!({ "type": "array", "items": self.kind_schema(&f.kind())? })
        } else {
            self.kind_schema(&f.kind())?
        };
        let mut doc = self.request.comments(f).doc_lines().join("\n");
        // Enum values with comments are listed under the field's own text.
        if let Kind::Enum(e) = f.kind() {
            let values: Vec<String> = e
                .values()
                .filter_map(|v| {
                    let d = self.request.comments(&v).doc_lines().join(" ");
                    (!d.is_empty()).then(|| format!("- `{}`: {d}", v.name()))
                })
                .collect();
            if !values.is_empty() {
                if !doc.is_empty() {
                    doc.push_str("\n\n");
                }
                doc.push_str(&values.join("\n"));
            }
        }
        // A real oneof: at most one member may be set (gnostic #251).
        let oneof = f.containing_oneof().filter(|o| !o.is_synthetic());
        if let Some(o) = &oneof {
            let members: Vec<String> = o
                .fields()
                .map(|m| format!("`{}`", self.field_name(&m)))
                .collect();
            if !doc.is_empty() {
                doc.push_str("\n\n");
            }
            doc.push_str(&format!(
                "Member of oneof `{}`: set at most one of {}.",
                o.name(),
                members.join(", ")
            ));
        }
        let behaviors = options::field_behavior(f);
        let mut extra = Map::new();
        if !doc.is_empty() {
            extra.insert("description".into(), Value::String(doc));
        }
        if let Some(o) = &oneof {
            extra.insert("x-oneof".into(), Value::from(o.name()));
        }
        if f.supports_presence() && f.containing_oneof().is_some_and(|o| o.is_synthetic()) {
            // proto3 `optional`: present or absent, never defaulted.
            extra.insert("x-proto3-optional".into(), Value::Bool(true));
        }
        if behaviors.contains(&FieldBehavior::OutputOnly) {
            extra.insert("readOnly".into(), Value::Bool(true));
        }
        if behaviors.contains(&FieldBehavior::InputOnly) {
            extra.insert("writeOnly".into(), Value::Bool(true));
        }
        if options::is_deprecated(f) {
            extra.insert("deprecated".into(), Value::Bool(true));
        }
        // `(openapi.v3.property)` adds to or overrides the field's schema.
        let annotated = crate::annotations::annotation(&f.options(), crate::annotations::PROPERTY);
        if let Some(Value::Object(a)) = annotated {
            extra.extend(a);
        }
        if !extra.is_empty() {
            // A `$ref` takes no siblings in 3.0: wrap it (gnostic's allOf).
            if schema.get("$ref").is_some() {
                schema = json!({ "allOf": [schema] });
            }
            let object = schema.as_object_mut().expect("schemas are objects");
            object.extend(extra);
        }
        Some(schema)
    }

    /// The schema of one value of `kind`.
    pub fn kind_schema(&mut self, kind: &Kind) -> Option<Value> {
        Some(match kind {
            Kind::Double => json!({"type": "number", "format": "double"}),
            Kind::Float => json!({"type": "number", "format": "float"}),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
                json!({"type": "integer", "format": "int32"})
            }
            Kind::Uint32 | Kind::Fixed32 => json!({"type": "integer", "format": "uint32"}),
            // The JSON mapping writes 64-bit integers as strings.
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
                json!({"type": "string", "format": "int64"})
            }
            Kind::Uint64 | Kind::Fixed64 => json!({"type": "string", "format": "uint64"}),
            Kind::Bool => json!({"type": "boolean"}),
            Kind::String => json!({"type": "string"}),
            // Base64 text: OpenAPI's `byte` format (gnostic writes `bytes`).
            Kind::Bytes => json!({"type": "string", "format": "byte"}),
            Kind::Enum(e) => self.enum_schema(e),
            Kind::Message(m) => return self.message_kind(m),
        })
    }

    fn enum_schema(&self, e: &EnumDescriptor) -> Value {
        if self.config.enum_as_string {
            let names: Vec<Value> = e.values().map(|v| Value::from(v.name())).collect();
            json!({"enum": names, "type": "string", "format": "enum"})
        } else {
            json!({"type": "integer", "format": "enum"})
        }
    }

    /// Messages: well-known types inline in their JSON form, others as refs.
    fn message_kind(&mut self, m: &MessageDescriptor) -> Option<Value> {
        let wrapped = |k: Kind, s: &mut Self| s.kind_schema(&k);
        Some(match m.full_name() {
            "google.protobuf.Timestamp" => json!({"type": "string", "format": "date-time"}),
            "google.protobuf.Duration" => json!({"pattern": DURATION_PATTERN, "type": "string"}),
            "google.protobuf.FieldMask" => json!({"type": "string", "format": "field-mask"}),
            "google.protobuf.Struct" => json!({"type": "object"}),
            "google.protobuf.ListValue" => json!({"type": "array", "items": {}}),
            "google.protobuf.Empty" => return None,
            "google.protobuf.Value" => {
                self.components.insert(
                    self.component_name("google.protobuf.Value", "google.protobuf"),
                    json!({"description": "Represents a dynamically typed value which can be either null, a number, a string, a boolean, a recursive struct value, or a list of values."}),
                );
                let name = self.component_name("google.protobuf.Value", "google.protobuf");
                self.reference_to(&name)
            }
            "google.protobuf.Any" => {
                self.add_any();
                let name = self.component_name("google.protobuf.Any", "google.protobuf");
                self.reference_to(&name)
            }
            "google.protobuf.BoolValue" => return wrapped(Kind::Bool, self),
            "google.protobuf.StringValue" => return wrapped(Kind::String, self),
            "google.protobuf.BytesValue" => return wrapped(Kind::Bytes, self),
            "google.protobuf.Int32Value" => return wrapped(Kind::Int32, self),
            "google.protobuf.UInt32Value" => return wrapped(Kind::Uint32, self),
            "google.protobuf.Int64Value" => return wrapped(Kind::Int64, self),
            "google.protobuf.UInt64Value" => return wrapped(Kind::Uint64, self),
            "google.protobuf.FloatValue" => return wrapped(Kind::Float, self),
            "google.protobuf.DoubleValue" => return wrapped(Kind::Double, self),
            _ => self.message_ref(m),
        })
    }

    fn add_any(&mut self) {
        let name = self.component_name("google.protobuf.Any", "google.protobuf");
        self.components.insert(
            name,
            json!({
                "type": "object",
                "properties": {"@type": {"type": "string", "description": "The type of the serialized message."}},
                "additionalProperties": true,
                "description": "Contains an arbitrary serialized message along with a @type that describes the type of the serialized message."
            }),
        );
    }

    /// The object schema of a message: its fields as properties.
    fn message_schema(&mut self, m: &MessageDescriptor) -> Value {
        self.message_schema_without(m, &[])
    }

    /// The object schema of a message without the fields named (proto
    /// names): a `body: "*"` body whose path fields come from the path.
    pub fn message_schema_without(&mut self, m: &MessageDescriptor, skip: &[&str]) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for f in m.fields().filter(|f| !skip.contains(&f.name())) {
            let Some(schema) = self.field_schema(&f) else {
                continue;
            };
            let name = self.field_name(&f);
            let mut schema = schema;
            if options::field_behavior(&f).contains(&FieldBehavior::Required) {
                required.push(Value::String(name.clone()));
                // proto3 cannot tell an empty string from an absent one:
                // a REQUIRED string must be non-empty.
                if f.kind() == Kind::String && !f.is_list() && !f.is_map() {
                    schema["minLength"] = Value::from(1);
                }
            }
            properties.insert(name, schema);
        }
        let mut schema = Map::new();
        schema.insert("type".into(), "object".into());
        schema.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            schema.insert("required".into(), Value::Array(required));
        }
        let doc = self.request.comments(m).doc_lines().join("\n");
        if !doc.is_empty() {
            schema.insert("description".into(), Value::String(doc));
        }
        if options::is_deprecated(m) {
            schema.insert("deprecated".into(), Value::Bool(true));
        }
        let mut schema = Value::Object(schema);
        if let Some(a) = crate::annotations::annotation(&m.options(), crate::annotations::SCHEMA) {
            crate::annotations::merge(&mut schema, a);
        }
        schema
    }

    /// The error body of the default response, added as a component.
    pub fn error_ref(&mut self) -> Value {
        match self.config.error_schema {
            ErrorSchema::Status => {
                self.add_any();
                let any = self.component_name("google.protobuf.Any", "google.protobuf");
                let name = self.component_name("google.rpc.Status", "google.rpc");
                self.components.insert(name.clone(), json!({
                    "type": "object",
                    "properties": {
                        "code": {"type": "integer", "description": "The status code, which should be an enum value of [google.rpc.Code][google.rpc.Code].", "format": "int32"},
                        "message": {"type": "string", "description": "A developer-facing error message, which should be in English. Any user-facing error message should be localized and sent in the [google.rpc.Status.details][google.rpc.Status.details] field, or localized by the client."},
                        "details": {"type": "array", "items": {"$ref": format!("#/components/schemas/{any}")}, "description": "A list of messages that carry the error details.  There is a common set of message types for APIs to use."}
                    },
                    "description": "The `Status` type defines a logical error model that is suitable for different programming environments, including REST APIs and RPC APIs. It is used by [gRPC](https://github.com/grpc). Each `Status` message contains three pieces of data: error code, error message, and error details. You can find out more about this error model and how to work with it in the [API Design Guide](https://cloud.google.com/apis/design/errors)."
                }));
                self.reference_to(&name)
            }
            ErrorSchema::Protoway => {
                let name = if self.config.fq_schema_naming {
                    "protoway.Error".to_string()
                } else {
                    "ProtowayError".to_string()
                };
                self.components.insert(name.clone(), json!({
                    "type": "object",
                    "properties": {
                        "code": {"type": "integer", "format": "int32", "description": "The HTTP status code."},
                        "reason": {"type": "string", "description": "A machine-readable reason, e.g. an error enum value name."},
                        "message": {"type": "string", "description": "A human-readable message."},
                        "metadata": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Extra string key/value details."}
                    },
                    "required": ["code", "reason", "message"],
                    "description": "The error body every protoway (and kratos) service sends."
                }));
                self.reference_to(&name)
            }
        }
    }

    /// Describes every queued message (and what they reference in turn).
    pub fn finish(&mut self) {
        while let Some(m) = self.pending.pop() {
            let name = self.component_name(m.full_name(), m.package_name());
            // A component already there (the hard-wired google.rpc.Status
            // of the default response) stays as it is.
            if !self.components.contains_key(&name) {
                let schema = self.message_schema(&m);
                self.components.insert(name, schema);
            }
        }
    }
}
