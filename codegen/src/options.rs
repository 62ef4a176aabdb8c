//! Typed access to the options protoway understands, extensions included.
//!
//! Each accessor looks its extension up by full name in the request's pool.
//! A file that never imports the extension simply has none of it: the
//! accessors answer `None`/empty, never an error.

use prost::Message;
use prost_reflect::{
    DynamicMessage, EnumDescriptor, EnumValueDescriptor, ExtensionDescriptor, FieldDescriptor,
    MethodDescriptor, ReflectMessage, Value,
};

use crate::source::Element;

/// `errors.default_code` (kratos, field 1108 of `EnumOptions`).
pub const ERRORS_DEFAULT_CODE: &str = "errors.default_code";
/// `errors.code` (kratos, field 1109 of `EnumValueOptions`).
pub const ERRORS_CODE: &str = "errors.code";
/// `google.api.http` (field 72295728 of `MethodOptions`).
pub const GOOGLE_API_HTTP: &str = "google.api.http";
/// `google.api.field_behavior` (field 1052 of `FieldOptions`).
pub const GOOGLE_API_FIELD_BEHAVIOR: &str = "google.api.field_behavior";

/// `google.api.default_host` (field 1049 of `ServiceOptions`).
pub const GOOGLE_API_DEFAULT_HOST: &str = "google.api.default_host";

/// The service's `google.api.default_host`, if set.
pub fn default_host(service: &impl Element) -> Option<String> {
    match extension_value(&service.options(), GOOGLE_API_DEFAULT_HOST)? {
        Value::String(host) if !host.is_empty() => Some(host),
        _ => None,
    }
}

/// A message-typed option extension by full name (`openapi.v3.operation`),
/// when the options message carries it and the pool knows the extension.
pub fn message_option(options: &DynamicMessage, name: &str) -> Option<DynamicMessage> {
    match extension_value(options, name)? {
        Value::Message(m) => Some(m),
        _ => None,
    }
}

fn extension(options: &DynamicMessage, name: &str) -> Option<ExtensionDescriptor> {
    let descriptor = options.descriptor();
    let ext = descriptor.parent_pool().get_extension_by_name(name)?;
    // Only trust an extension that extends the options message at hand.
    (ext.containing_message().full_name() == descriptor.full_name()).then_some(ext)
}

fn extension_value(options: &DynamicMessage, name: &str) -> Option<Value> {
    let ext = extension(options, name)?;
    options
        .has_extension(&ext)
        .then(|| options.get_extension(&ext).into_owned())
}

fn int32_extension(element: &impl Element, name: &str) -> Option<i32> {
    match extension_value(&element.options(), name)? {
        Value::I32(v) => Some(v),
        _ => None,
    }
}

/// The enum's `errors.default_code`, if set.
pub fn errors_default_code(e: &EnumDescriptor) -> Option<i32> {
    int32_extension(e, ERRORS_DEFAULT_CODE)
}

/// The value's `errors.code`, if set.
pub fn errors_code(v: &EnumValueDescriptor) -> Option<i32> {
    int32_extension(v, ERRORS_CODE)
}

/// Whether the element carries `deprecated = true` (every options message has it).
pub fn is_deprecated(element: &impl Element) -> bool {
    matches!(
        element.options().get_field_by_name("deprecated").as_deref(),
        Some(Value::Bool(true))
    )
}

/// `google.api.FieldBehavior` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldBehavior {
    /// `OPTIONAL`.
    Optional,
    /// `REQUIRED`.
    Required,
    /// `OUTPUT_ONLY`.
    OutputOnly,
    /// `INPUT_ONLY`.
    InputOnly,
    /// `IMMUTABLE`.
    Immutable,
    /// `UNORDERED_LIST`.
    UnorderedList,
    /// `NON_EMPTY_DEFAULT`.
    NonEmptyDefault,
    /// `IDENTIFIER`.
    Identifier,
    /// A value this version does not know.
    Unknown(i32),
}

impl FieldBehavior {
    fn from_number(n: i32) -> Self {
        match n {
            1 => Self::Optional,
            2 => Self::Required,
            3 => Self::OutputOnly,
            4 => Self::InputOnly,
            5 => Self::Immutable,
            6 => Self::UnorderedList,
            7 => Self::NonEmptyDefault,
            8 => Self::Identifier,
            other => Self::Unknown(other),
        }
    }
}

/// The field's `google.api.field_behavior` list.
pub fn field_behavior(f: &FieldDescriptor) -> Vec<FieldBehavior> {
    match extension_value(&f.options(), GOOGLE_API_FIELD_BEHAVIOR) {
        Some(Value::List(values)) => values
            .iter()
            .filter_map(|v| match v {
                Value::EnumNumber(n) => Some(FieldBehavior::from_number(*n)),
                _ => None,
            })
            .collect(),
        Some(Value::EnumNumber(n)) => vec![FieldBehavior::from_number(n)],
        _ => Vec::new(),
    }
}

/// `google.api.HttpRule`, wire-compatible with the spec's message.
#[derive(Clone, PartialEq, Message)]
pub struct HttpRule {
    /// The method it applies to (in `google.api.Http` rules).
    #[prost(string, tag = "1")]
    pub selector: String,
    /// The method and path template.
    #[prost(oneof = "HttpPattern", tags = "2, 3, 4, 5, 6, 8")]
    pub pattern: Option<HttpPattern>,
    /// The field the request body goes to (`*` for all).
    #[prost(string, tag = "7")]
    pub body: String,
    /// The reply field sent as the response body.
    #[prost(string, tag = "12")]
    pub response_body: String,
    /// More bindings of the same method.
    #[prost(message, repeated, tag = "11")]
    pub additional_bindings: Vec<HttpRule>,
}

/// The method and path template of an [`HttpRule`].
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum HttpPattern {
    /// `get: "<template>"`.
    #[prost(string, tag = "2")]
    Get(String),
    /// `put: "<template>"`.
    #[prost(string, tag = "3")]
    Put(String),
    /// `post: "<template>"`.
    #[prost(string, tag = "4")]
    Post(String),
    /// `delete: "<template>"`.
    #[prost(string, tag = "5")]
    Delete(String),
    /// `patch: "<template>"`.
    #[prost(string, tag = "6")]
    Patch(String),
    /// `custom: {kind, path}`.
    #[prost(message, tag = "8")]
    Custom(CustomHttpPattern),
}

/// `google.api.CustomHttpPattern`: any method token, `*` for any method.
#[derive(Clone, PartialEq, Message)]
pub struct CustomHttpPattern {
    /// The method token.
    #[prost(string, tag = "1")]
    pub kind: String,
    /// The path template.
    #[prost(string, tag = "2")]
    pub path: String,
}

impl HttpPattern {
    /// The HTTP method (`GET`, a custom token, or `*`) and the path template.
    pub fn method_and_path(&self) -> (&str, &str) {
        match self {
            HttpPattern::Get(p) => ("GET", p),
            HttpPattern::Put(p) => ("PUT", p),
            HttpPattern::Post(p) => ("POST", p),
            HttpPattern::Delete(p) => ("DELETE", p),
            HttpPattern::Patch(p) => ("PATCH", p),
            HttpPattern::Custom(c) => (&c.kind, &c.path),
        }
    }
}

/// The method's `google.api.http` rule, if any.
pub fn http_rule(m: &MethodDescriptor) -> Option<HttpRule> {
    match extension_value(&m.options(), GOOGLE_API_HTTP)? {
        Value::Message(rule) => HttpRule::decode(rule.encode_to_vec().as_slice()).ok(),
        _ => None,
    }
}

/// Whether `method` is marked `idempotency_level = NO_SIDE_EFFECTS`
/// (Connect callers may then use GET).
pub fn has_no_side_effects(method: &prost_reflect::MethodDescriptor) -> bool {
    use prost_types::method_options::IdempotencyLevel;
    method
        .method_descriptor_proto()
        .options
        .as_ref()
        .and_then(|o| o.idempotency_level)
        == Some(IdempotencyLevel::NoSideEffects as i32)
}
