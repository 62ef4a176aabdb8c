//! Static descriptions of messages that generated code emits per request
//! and reply type: enough to bind query and path parameters and to emit
//! default values, with no descriptor pool or reflection at run time.

/// One message: its fields in declaration order.
#[derive(Debug)]
pub struct MessageSpec {
    /// Fully-qualified proto name, e.g. `library.v1.Book`.
    pub name: &'static str,
    /// Fields in declaration order.
    pub fields: &'static [FieldSpec],
}

/// One field of a message.
#[derive(Debug)]
pub struct FieldSpec {
    /// Proto field name (`page_size`).
    pub name: &'static str,
    /// proto3 JSON name (`pageSize`).
    pub json_name: &'static str,
    /// Field number.
    pub number: u32,
    /// Value type.
    pub kind: Kind,
    /// Singular, optional or repeated.
    pub cardinality: Cardinality,
    /// The real oneof this field belongs to (not proto3 `optional`).
    pub oneof: Option<&'static str>,
}

/// How many values a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cardinality {
    /// Implicit presence (proto3 scalar) or a message field.
    Singular,
    /// Explicit presence: proto2 optional or proto3 `optional`.
    Optional,
    /// `repeated` (maps have [`Kind::Map`] and are `Singular`).
    Repeated,
}

/// The value type of a field.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `bool`
    Bool,
    /// `string`
    String,
    /// `bytes` (base64 in JSON and query strings)
    Bytes,
    /// `int32`
    I32,
    /// `int64` (a string in JSON)
    I64,
    /// `uint32`
    U32,
    /// `uint64` (a string in JSON)
    U64,
    /// `sint32`: as `I32` in JSON, zigzag-encoded on the wire.
    SInt32,
    /// `sint64`: as `I64` in JSON, zigzag-encoded on the wire.
    SInt64,
    /// `sfixed32`: as `I32` in JSON, four bytes on the wire.
    SFixed32,
    /// `sfixed64`: as `I64` in JSON, eight bytes on the wire.
    SFixed64,
    /// `fixed32`: as `U32` in JSON, four bytes on the wire.
    Fixed32,
    /// `fixed64`: as `U64` in JSON, eight bytes on the wire.
    Fixed64,
    /// `float`
    F32,
    /// `double`
    F64,
    /// An enum.
    Enum(&'static EnumSpec),
    /// A message that is not a well-known type.
    Message(&'static MessageSpec),
    /// `map<K, V>`.
    Map(&'static MapSpec),
    /// A google.protobuf well-known type with a special JSON form.
    WellKnown(WellKnown),
}

/// An enum: value names and numbers, first declared first.
#[derive(Debug)]
pub struct EnumSpec {
    /// Fully-qualified proto name.
    pub name: &'static str,
    /// (name, number) in declaration order.
    pub values: &'static [(&'static str, i32)],
}

/// Key and value types of a map field.
#[derive(Debug)]
pub struct MapSpec {
    /// Key type (integral, bool or string).
    pub key: Kind,
    /// Value type.
    pub value: Kind,
}

/// Well-known types whose proto3 JSON form is not an object of fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WellKnown {
    /// RFC 3339 string.
    Timestamp,
    /// `"1.5s"`.
    Duration,
    /// `"a.b,c"`.
    FieldMask,
    /// Any JSON object.
    Struct,
    /// Any JSON value.
    Value,
    /// Any JSON array.
    ListValue,
    /// `null`.
    NullValue,
    /// `{"@type": …}`.
    Any,
    /// `{}`.
    Empty,
    /// google.protobuf.BoolValue
    BoolValue,
    /// google.protobuf.StringValue
    StringValue,
    /// google.protobuf.BytesValue
    BytesValue,
    /// google.protobuf.Int32Value
    Int32Value,
    /// google.protobuf.Int64Value
    Int64Value,
    /// google.protobuf.UInt32Value
    UInt32Value,
    /// google.protobuf.UInt64Value
    UInt64Value,
    /// google.protobuf.FloatValue
    FloatValue,
    /// google.protobuf.DoubleValue
    DoubleValue,
}

/// Compact constructors for generated tables: one short call per field
/// keeps the generated files small, which is what their parse and compile
/// time is proportional to.
impl FieldSpec {
    /// An implicit-presence (proto3 scalar) or message field.
    pub const fn singular(
        name: &'static str,
        json_name: &'static str,
        number: u32,
        kind: Kind,
    ) -> Self {
        FieldSpec {
            name,
            json_name,
            number,
            kind,
            cardinality: Cardinality::Singular,
            oneof: None,
        }
    }

    /// An explicit-presence field (proto2 `optional`, proto3 `optional`).
    pub const fn optional(
        name: &'static str,
        json_name: &'static str,
        number: u32,
        kind: Kind,
    ) -> Self {
        FieldSpec {
            cardinality: Cardinality::Optional,
            ..FieldSpec::singular(name, json_name, number, kind)
        }
    }

    /// A `repeated` field.
    pub const fn repeated(
        name: &'static str,
        json_name: &'static str,
        number: u32,
        kind: Kind,
    ) -> Self {
        FieldSpec {
            cardinality: Cardinality::Repeated,
            ..FieldSpec::singular(name, json_name, number, kind)
        }
    }

    /// The same field as a member of the oneof `oneof`.
    pub const fn in_oneof(self, oneof: &'static str) -> Self {
        FieldSpec {
            oneof: Some(oneof),
            ..self
        }
    }
}

impl FieldSpec {
    /// The proto3 JSON of this field when unpopulated, as protojson's
    /// `EmitUnpopulated` writes it: `[]`, `{}` for a map, the scalar's zero,
    /// an enum's first declared value (its default in proto2 and proto3),
    /// `null` for a message. One definition for server and client.
    pub fn unpopulated_json(&self) -> serde_json::Value {
        use serde_json::Value;
        if self.cardinality == Cardinality::Repeated {
            return Value::Array(Vec::new());
        }
        if let Some(scalar) = self.kind.scalar_default_json() {
            return scalar;
        }
        match self.kind {
            Kind::Enum(e) => e
                .values
                .first()
                .map_or(Value::from(0), |(n, _)| Value::String((*n).into())),
            Kind::Map(_) => Value::Object(Default::default()),
            _ => Value::Null,
        }
    }
}

impl MessageSpec {
    /// The field called `name` by its proto or JSON name.
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields
            .iter()
            .find(|f| f.name == name || f.json_name == name)
    }
}

impl Kind {
    /// The proto3 JSON of a bool, string, bytes or number field at its
    /// default (64-bit integers are strings); `None` for other kinds.
    pub fn scalar_default_json(self) -> Option<serde_json::Value> {
        use serde_json::Value;
        Some(match self {
            Kind::Bool => Value::Bool(false),
            Kind::String | Kind::Bytes => Value::String(String::new()),
            Kind::I64 | Kind::U64 | Kind::SInt64 | Kind::SFixed64 | Kind::Fixed64 => {
                Value::String("0".into())
            }
            Kind::I32
            | Kind::U32
            | Kind::SInt32
            | Kind::SFixed32
            | Kind::Fixed32
            | Kind::F32
            | Kind::F64 => Value::from(0),
            _ => return None,
        })
    }

    /// The scalar kind a well-known wrapper carries, if it is one.
    pub fn unwrapped(self) -> Kind {
        match self {
            Kind::WellKnown(w) => match w {
                WellKnown::BoolValue => Kind::Bool,
                WellKnown::StringValue => Kind::String,
                WellKnown::BytesValue => Kind::Bytes,
                WellKnown::Int32Value => Kind::I32,
                WellKnown::Int64Value => Kind::I64,
                WellKnown::UInt32Value => Kind::U32,
                WellKnown::UInt64Value => Kind::U64,
                WellKnown::FloatValue => Kind::F32,
                WellKnown::DoubleValue => Kind::F64,
                _ => self,
            },
            _ => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(kind: Kind, cardinality: Cardinality) -> FieldSpec {
        FieldSpec {
            name: "f",
            json_name: "f",
            number: 1,
            kind,
            cardinality,
            oneof: None,
        }
    }

    #[test]
    fn unpopulated_fields_as_protojson_emits_them() {
        static COLOR: EnumSpec = EnumSpec {
            name: "p.Color",
            values: &[("COLOR_UNSPECIFIED", 0), ("RED", 1)],
        };
        static EMPTY: MessageSpec = MessageSpec {
            name: "p.M",
            fields: &[],
        };
        let cases = [
            (field(Kind::Bool, Cardinality::Singular), json!(false)),
            (field(Kind::I64, Cardinality::Singular), json!("0")),
            (field(Kind::String, Cardinality::Repeated), json!([])),
            (
                field(Kind::Enum(&COLOR), Cardinality::Singular),
                json!("COLOR_UNSPECIFIED"),
            ),
            (
                field(Kind::Message(&EMPTY), Cardinality::Singular),
                json!(null),
            ),
        ];
        for (field, want) in cases {
            assert_eq!(field.unpopulated_json(), want, "{:?}", field.kind);
        }
    }
}
