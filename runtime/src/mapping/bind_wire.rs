//! The parameter tree written straight as protobuf wire bytes, when every
//! value in it has one obvious encoding: strings, bools, enums and integers
//! in their plain decimal form, nested in messages. Merging those bytes is
//! prost decoding a handful of fields, several times cheaper than writing
//! and parsing JSON text; anything else (floats, bytes, well-known types,
//! maps, unusual number syntax) returns `None` and goes through JSON, where
//! the mapping's own parsing and error messages apply.
//!
//! The bytes equal what prost would encode for the message the JSON path
//! builds: proto3 implicit-presence fields at their default are left out (a
//! merge over a body then leaves the body's value, as the JSON path does),
//! while optional fields, oneof members and messages are always written.

use std::borrow::Cow;

use crate::mapping::bind::Node;
use crate::spec::{Cardinality, FieldSpec, Kind, MessageSpec};
use crate::wire::{put_len_field, put_varint};

const VARINT: u64 = 0;
const FIXED64: u64 = 1;
const FIXED32: u64 = 5;

/// `entries` (a message's JSON names and values) as the message's encoding
/// appended to `out`; `None` when some value needs the JSON mapping.
pub(crate) fn write_message(
    spec: &MessageSpec,
    entries: &[(Cow<'_, str>, Node<'_>)],
    out: &mut Vec<u8>,
) -> Option<()> {
    for (name, node) in entries {
        let field = spec.fields.iter().find(|f| f.json_name == name)?;
        match (node, field.cardinality) {
            (Node::Arr(items), Cardinality::Repeated) => {
                // Unpacked: prost accepts either form for packable fields.
                for item in items {
                    write_value(field, item, true, out)?;
                }
            }
            (Node::Arr(_), _) | (_, Cardinality::Repeated) => return None,
            (node, cardinality) => {
                let always = cardinality == Cardinality::Optional || field.oneof.is_some();
                write_value(field, node, always, out)?;
            }
        }
    }
    Some(())
}

/// One value of `field`; a default value is written only if `always`.
fn write_value(field: &FieldSpec, node: &Node<'_>, always: bool, out: &mut Vec<u8>) -> Option<()> {
    let number = u64::from(field.number);
    let varint = |out: &mut Vec<u8>, v: u64| {
        if always || v != 0 {
            put_varint(out, number << 3 | VARINT);
            put_varint(out, v);
        }
    };
    match (field.kind, node) {
        (Kind::String, Node::Str(s)) => {
            if always || !s.is_empty() {
                put_len_field(out, field.number, s.as_bytes());
            }
        }
        (Kind::Bool, Node::Bool(b)) => varint(out, u64::from(*b)),
        (Kind::Enum(_), Node::Int(n)) => varint(out, i64::from(i32::try_from(*n).ok()?) as u64),
        (Kind::Enum(e), Node::Str(name)) => {
            let (_, n) = e.values.iter().find(|(v, _)| v == name)?;
            varint(out, i64::from(*n) as u64);
        }
        (Kind::I32, Node::Str(t)) => varint(out, i64::from(decimal::<i32>(t)?) as u64),
        (Kind::I64, Node::Str(t)) => varint(out, decimal::<i64>(t)? as u64),
        (Kind::U32, Node::Str(t)) => varint(out, u64::from(decimal::<u32>(t)?)),
        (Kind::U64, Node::Str(t)) => varint(out, decimal::<u64>(t)?),
        (Kind::SInt32, Node::Str(t)) => {
            let n = decimal::<i32>(t)?;
            varint(out, u64::from(((n << 1) ^ (n >> 31)) as u32));
        }
        (Kind::SInt64, Node::Str(t)) => {
            let n = decimal::<i64>(t)?;
            varint(out, ((n << 1) ^ (n >> 63)) as u64);
        }
        (Kind::SFixed32, Node::Str(t)) => fixed32(out, number, always, decimal::<i32>(t)? as u32),
        (Kind::Fixed32, Node::Str(t)) => fixed32(out, number, always, decimal::<u32>(t)?),
        (Kind::SFixed64, Node::Str(t)) => fixed64(out, number, always, decimal::<i64>(t)? as u64),
        (Kind::Fixed64, Node::Str(t)) => fixed64(out, number, always, decimal::<u64>(t)?),
        (Kind::Message(inner), Node::Obj(entries)) => {
            let mut nested = Vec::with_capacity(32);
            write_message(inner, entries, &mut nested)?;
            put_len_field(out, field.number, &nested);
        }
        _ => return None,
    }
    Some(())
}

fn fixed32(out: &mut Vec<u8>, number: u64, always: bool, v: u32) {
    if always || v != 0 {
        put_varint(out, number << 3 | FIXED32);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

fn fixed64(out: &mut Vec<u8>, number: u64, always: bool, v: u64) {
    if always || v != 0 {
        put_varint(out, number << 3 | FIXED64);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// `text` as an integer when it is plain decimal (`0`, `-12`, no sign `+`,
/// no leading zeros, no exponent) and in range; other spellings the JSON
/// mapping may accept (`1e3`, `"1.0"`) are left to it.
fn decimal<T: std::str::FromStr>(text: &str) -> Option<T> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let plain = match digits.as_bytes() {
        [] => false,
        [b'0'] => true,
        [b'0', ..] => false,
        bytes => bytes.iter().all(u8::is_ascii_digit),
    };
    if plain { text.parse().ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimals_only() {
        assert_eq!(decimal::<i32>("0"), Some(0));
        assert_eq!(decimal::<i32>("-12"), Some(-12));
        assert_eq!(decimal::<i32>("2147483647"), Some(i32::MAX));
        assert_eq!(decimal::<i32>("2147483648"), None);
        assert_eq!(decimal::<u32>("-1"), None);
        assert_eq!(decimal::<i64>("+1"), None);
        assert_eq!(decimal::<i64>("01"), None);
        assert_eq!(decimal::<i64>("1e3"), None);
        assert_eq!(decimal::<i64>("1.0"), None);
        assert_eq!(decimal::<i64>(""), None);
        assert_eq!(decimal::<i64>("-"), None);
        assert_eq!(decimal::<u64>("18446744073709551615"), Some(u64::MAX));
    }
}
