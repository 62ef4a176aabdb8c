//! The data model of one package's HTTP services, read and validated from
//! descriptors: services, their bound methods, each binding's method,
//! template, body and response body, and the message tables binding needs.
//! Rendering reads only this model.

use std::collections::BTreeMap;

use prost_reflect::{FileDescriptor, Kind, MessageDescriptor, MethodDescriptor};
use protoway_codegen::http;
pub use protoway_codegen::http::{Binding, Body, FieldRef, HTTP_BODY, ResponseBody};
use protoway_codegen::names::{
    TypePaths, sanitize_identifier, to_snake, to_snake_unescaped, to_upper_camel,
};
use protoway_codegen::options;
use protoway_codegen::{Diagnostic, Request};

use crate::Config;

/// Everything one package's file contains.
#[derive(Debug, Default)]
pub struct Package {
    /// Services with at least one method (bound or skipped).
    pub services: Vec<Service>,
    /// Message tables by fully-qualified name.
    pub messages: BTreeMap<String, MessageTable>,
    /// Enum tables by fully-qualified name.
    pub enums: BTreeMap<String, EnumTable>,
}

/// A service.
#[derive(Debug)]
pub struct Service {
    /// Proto name, `Greeter`.
    pub name: String,
    /// `helloworld.v1.Greeter`.
    pub full_name: String,
    /// Rust module, `greeter_http`.
    pub module: String,
    /// Trait name, `Greeter`.
    pub trait_name: String,
    /// The service's proto comment, line by line.
    pub doc: Vec<String>,
    /// Marked `deprecated` in the proto.
    pub deprecated: bool,
    /// The methods served, in proto order.
    pub methods: Vec<Method>,
    /// Methods left out, with the reason (rendered as comments).
    pub skipped: Vec<(String, String)>,
}

/// A method with at least one binding.
#[derive(Debug)]
pub struct Method {
    /// Proto name, `SayHello`.
    pub name: String,
    /// Rust method name, `say_hello`.
    pub rust_name: String,
    /// `OPERATION_SAY_HELLO`.
    pub const_name: String,
    /// `/helloworld.v1.Greeter/SayHello`.
    pub operation: String,
    /// Rust path of the request type, relative to the package module.
    pub input: String,
    /// Rust path of the reply type.
    pub output: String,
    /// Fully-qualified request / reply names (for the tables).
    pub input_full: String,
    /// The reply's fully-qualified name.
    pub output_full: String,
    /// The method's proto comment, line by line.
    pub doc: Vec<String>,
    /// Marked `deprecated` in the proto.
    pub deprecated: bool,
    /// `idempotency_level = NO_SIDE_EFFECTS`.
    pub no_side_effects: bool,
    /// `stream` on the request / the reply.
    pub client_streaming: bool,
    /// `stream` on the reply.
    pub server_streaming: bool,
    /// Its HTTP bindings; none for a method served over gRPC, gRPC-Web
    /// and Connect only (one `RouteSpec::rpc_only` route).
    pub bindings: Vec<Binding>,
    /// Per binding (the RPC-only route when there is none): the Rust field names from the request message to a
    /// `body: "a.b"` field that the body can be decoded straight into
    /// (singular messages outside real oneofs, all the way down).
    pub body_fields: Vec<Option<Vec<String>>>,
}

/// A message's binding table.
#[derive(Debug)]
pub struct MessageTable {
    /// `library.v1.Book`.
    pub full_name: String,
    /// Its fields, in number order.
    pub fields: Vec<FieldTable>,
}

/// One field of a [`MessageTable`] (the runtime's `spec::FieldSpec`).
#[derive(Debug)]
pub struct FieldTable {
    /// Proto name.
    pub name: String,
    /// JSON name.
    pub json_name: String,
    /// Field number.
    pub number: u32,
    /// Its kind.
    pub kind: KindRef,
    /// `Singular`, `Optional` or `Repeated` (the runtime's `Cardinality`).
    pub cardinality: &'static str,
    /// The real oneof it is a member of.
    pub oneof: Option<String>,
}

/// A field's kind as the runtime's `spec::Kind` names it.
#[derive(Debug, Clone)]
pub enum KindRef {
    /// A unit variant (`Bool`, `I64`, …).
    Scalar(&'static str),
    /// `WellKnown(Timestamp)` and friends.
    WellKnown(&'static str),
    /// An enum, by its table's full name.
    Enum(String),
    /// A message, by its table's full name.
    Message(String),
    /// A map: key and value kinds.
    Map(Box<KindRef>, Box<KindRef>),
}

/// An enum's value names and numbers, for binding names to numbers.
#[derive(Debug)]
pub struct EnumTable {
    /// `library.v1.Kind`.
    pub full_name: String,
    /// Every value: proto name and number.
    pub values: Vec<(String, i32)>,
}

/// Reads and validates every service of `files` (one package).
pub fn package(
    request: &Request,
    config: &Config,
    package: &str,
    files: &[FileDescriptor],
) -> Result<Package, Vec<Diagnostic>> {
    let types = config.type_paths();
    let mut out = Package::default();
    let mut diagnostics = Vec::new();
    let mut routes = http::RouteSet::default();
    for file in files {
        for service in file.services() {
            let mut svc = Service {
                name: service.name().to_string(),
                full_name: service.full_name().to_string(),
                module: format!("{}_http", to_snake_unescaped(service.name())),
                trait_name: sanitize_identifier(&to_upper_camel(service.name())),
                doc: request.comments(&service).doc_lines(),
                deprecated: options::is_deprecated(&service),
                methods: Vec::new(),
                skipped: Vec::new(),
            };
            for method in service.methods() {
                let bindings = http::method_bindings(request, &method, &config.http_options());
                match bindings {
                    // No HTTP rule: in the trait all the same, served over
                    // gRPC, gRPC-Web and Connect at its operation path.
                    Ok(None) => {
                        match read_method(request, &types, package, &method, Vec::new(), &mut out) {
                            Ok(m) => svc.methods.push(m),
                            Err(mut d) => diagnostics.append(&mut d),
                        }
                    }
                    Ok(Some(bindings)) => {
                        let mut routed = Vec::new();
                        for b in bindings {
                            match routes.admit(request, &method, &b, config.strict) {
                                Ok(true) => routed.push(b),
                                Ok(false) => {}
                                Err(d) => diagnostics.push(d),
                            }
                        }
                        if routed.is_empty() {
                            svc.skipped.push((
                                method.name().to_string(),
                                "every route it declares is another method's".to_string(),
                            ));
                            continue;
                        }
                        let bindings = routed;
                        match read_method(request, &types, package, &method, bindings, &mut out) {
                            Ok(m) => svc.methods.push(m),
                            Err(mut d) => diagnostics.append(&mut d),
                        }
                    }
                    Err(mut d) => diagnostics.append(&mut d),
                }
            }
            if !svc.methods.is_empty() || !svc.skipped.is_empty() {
                out.services.push(svc);
            }
        }
    }
    if diagnostics.is_empty() {
        Ok(out)
    } else {
        Err(diagnostics)
    }
}

fn read_method(
    request: &Request,
    types: &TypePaths,
    package: &str,
    method: &MethodDescriptor,
    bindings: Vec<Binding>,
    out: &mut Package,
) -> Result<Method, Vec<Diagnostic>> {
    let input = method.input();
    let output = method.output();
    collect_root(&input, out);
    collect_root(&output, out);
    let rust_name = to_snake(method.name());
    let mut body_fields: Vec<_> = bindings
        .iter()
        .map(|b| match &b.body {
            Body::Field(path) | Body::FieldHttpBody(path) => body_field_names(&input, path),
            _ => None,
        })
        .collect();
    if bindings.is_empty() {
        // The RPC-only route.
        body_fields.push(None);
    }
    Ok(Method {
        body_fields,
        name: method.name().to_string(),
        const_name: format!(
            "OPERATION_{}",
            to_snake_unescaped(method.name()).to_uppercase()
        ),
        rust_name,
        operation: format!("/{}/{}", method.parent_service().full_name(), method.name()),
        input: types.rust_path(package, &format!(".{}", input.full_name())),
        output: types.rust_path(package, &format!(".{}", output.full_name())),
        input_full: input.full_name().to_string(),
        output_full: output.full_name().to_string(),
        doc: request.comments(method).doc_lines(),
        deprecated: options::is_deprecated(method),
        no_side_effects: options::has_no_side_effects(method),
        client_streaming: method.is_client_streaming(),
        server_streaming: method.is_server_streaming(),
        bindings,
    })
}

/// The prost field names along `path` when every field on it is a
/// singular, non-oneof message field of a generated (not well-known) type:
/// then `m.a.get_or_insert_with(..).b` reaches it.
fn body_field_names(input: &MessageDescriptor, path: &[FieldRef]) -> Option<Vec<String>> {
    let mut message = input.clone();
    let mut names = Vec::with_capacity(path.len());
    for f in path {
        let field = message.get_field_by_name(&f.name)?;
        let in_oneof = field.containing_oneof().is_some_and(|o| !o.is_synthetic());
        let Kind::Message(inner) = field.kind() else {
            return None;
        };
        if in_oneof
            || field.is_list()
            || field.is_map()
            || inner.full_name().starts_with("google.protobuf.")
        {
            return None;
        }
        names.push(to_snake(field.name()));
        message = inner;
    }
    Some(names)
}

/// Static name of a table: `SPEC_LIBRARY__V1__BOOK`.
pub fn table_ident(prefix: &str, full_name: &str) -> String {
    let parts: Vec<String> = full_name
        .split('.')
        .map(|p| to_snake_unescaped(p).to_uppercase())
        .collect();
    format!("{prefix}_{}", parts.join("__"))
}

const WELL_KNOWN: &[(&str, &str)] = &[
    ("google.protobuf.Timestamp", "Timestamp"),
    ("google.protobuf.Duration", "Duration"),
    ("google.protobuf.FieldMask", "FieldMask"),
    ("google.protobuf.Struct", "Struct"),
    ("google.protobuf.Value", "Value"),
    ("google.protobuf.ListValue", "ListValue"),
    ("google.protobuf.Any", "Any"),
    ("google.protobuf.Empty", "Empty"),
    ("google.protobuf.BoolValue", "BoolValue"),
    ("google.protobuf.StringValue", "StringValue"),
    ("google.protobuf.BytesValue", "BytesValue"),
    ("google.protobuf.Int32Value", "Int32Value"),
    ("google.protobuf.Int64Value", "Int64Value"),
    ("google.protobuf.UInt32Value", "UInt32Value"),
    ("google.protobuf.UInt64Value", "UInt64Value"),
    ("google.protobuf.FloatValue", "FloatValue"),
    ("google.protobuf.DoubleValue", "DoubleValue"),
];

fn well_known(full_name: &str) -> Option<&'static str> {
    WELL_KNOWN
        .iter()
        .find(|(n, _)| *n == full_name)
        .map(|(_, w)| *w)
}

fn kind_ref(kind: Kind, out: &mut Package) -> KindRef {
    match kind {
        Kind::Double => KindRef::Scalar("F64"),
        Kind::Float => KindRef::Scalar("F32"),
        Kind::Int32 => KindRef::Scalar("I32"),
        Kind::Int64 => KindRef::Scalar("I64"),
        Kind::Uint32 => KindRef::Scalar("U32"),
        Kind::Uint64 => KindRef::Scalar("U64"),
        Kind::Sint32 => KindRef::Scalar("SInt32"),
        Kind::Sint64 => KindRef::Scalar("SInt64"),
        Kind::Sfixed32 => KindRef::Scalar("SFixed32"),
        Kind::Sfixed64 => KindRef::Scalar("SFixed64"),
        Kind::Fixed32 => KindRef::Scalar("Fixed32"),
        Kind::Fixed64 => KindRef::Scalar("Fixed64"),
        Kind::Bool => KindRef::Scalar("Bool"),
        Kind::String => KindRef::Scalar("String"),
        Kind::Bytes => KindRef::Scalar("Bytes"),
        Kind::Enum(e) if e.full_name() == "google.protobuf.NullValue" => {
            KindRef::WellKnown("NullValue")
        }
        Kind::Enum(e) => {
            out.enums
                .entry(e.full_name().to_string())
                .or_insert_with(|| EnumTable {
                    full_name: e.full_name().to_string(),
                    values: e
                        .enum_descriptor_proto()
                        .value
                        .iter()
                        .map(|v| (v.name().to_string(), v.number()))
                        .collect(),
                });
            KindRef::Enum(e.full_name().to_string())
        }
        Kind::Message(m) => match well_known(m.full_name()) {
            Some(w) => KindRef::WellKnown(w),
            None => {
                collect_message(&m, out);
                KindRef::Message(m.full_name().to_string())
            }
        },
    }
}

/// Adds a request or reply type: well-known types too (`Empty` replies),
/// since route specs point at their tables.
fn collect_root(message: &MessageDescriptor, out: &mut Package) {
    collect(message, out);
}

/// Adds `message` and everything it reaches to the tables.
fn collect_message(message: &MessageDescriptor, out: &mut Package) {
    if well_known(message.full_name()).is_none() {
        collect(message, out);
    }
}

fn collect(message: &MessageDescriptor, out: &mut Package) {
    if out.messages.contains_key(message.full_name()) {
        return;
    }
    // Insert first so recursive messages terminate.
    out.messages.insert(
        message.full_name().to_string(),
        MessageTable {
            full_name: message.full_name().to_string(),
            fields: Vec::new(),
        },
    );
    let mut fields = Vec::new();
    for field in message.fields() {
        let kind = if field.is_map() {
            let Kind::Message(entry) = field.kind() else {
                continue;
            };
            let key = kind_ref(entry.map_entry_key_field().kind(), out);
            let value = kind_ref(entry.map_entry_value_field().kind(), out);
            KindRef::Map(Box::new(key), Box::new(value))
        } else {
            kind_ref(field.kind(), out)
        };
        let oneof = field
            .containing_oneof()
            .filter(|o| !o.is_synthetic())
            .map(|o| o.name().to_string());
        let cardinality = if field.is_list() {
            "Repeated"
        } else if field.supports_presence()
            && oneof.is_none()
            && !matches!(field.kind(), Kind::Message(_))
        {
            "Optional"
        } else {
            "Singular"
        };
        fields.push(FieldTable {
            name: field.name().to_string(),
            json_name: field.json_name().to_string(),
            number: field.number(),
            kind,
            cardinality,
            oneof,
        });
    }
    if let Some(t) = out.messages.get_mut(message.full_name()) {
        t.fields = fields;
    }
}
