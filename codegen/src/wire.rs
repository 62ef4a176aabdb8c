//! Scanning encoded protobuf messages field by field without decoding them.
//!
//! Decoding a whole `FileDescriptorProto` or `SourceCodeInfo` allocates for
//! every element; the request reader only needs to cut fields out of them
//! (`source_code_info` set aside) and the source index only needs to find
//! where each location starts. Both walk the bytes with [`fields`].

use prost::encoding::{WireType, decode_key, decode_varint};

/// One field of an encoded message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// Field number.
    pub number: u32,
    /// Where the field's key starts and where its value ends, in the message.
    pub start: usize,
    /// Where the field's value ends.
    pub end: usize,
    /// The value.
    pub value: Value<'a>,
}

/// A field's value, as far as the wire type tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// A varint (integers, enums, bools).
    Varint(u64),
    /// Length-delimited: a string, bytes, a message or a packed repeated field.
    Bytes(&'a [u8]),
    /// A fixed 32- or 64-bit value (not needed here beyond skipping it).
    Fixed,
}

/// The fields of `message` in order; `None` at the first byte that does not
/// scan (groups included: no descriptor protoc writes uses them), after
/// which the iterator ends.
pub fn fields(message: &[u8]) -> impl Iterator<Item = Option<Field<'_>>> {
    let mut rest = message;
    let mut failed = false;
    std::iter::from_fn(move || {
        if rest.is_empty() || failed {
            return None;
        }
        let field = next_field(message, &mut rest);
        failed = field.is_none();
        Some(field)
    })
}

fn next_field<'a>(message: &'a [u8], rest: &mut &'a [u8]) -> Option<Field<'a>> {
    let start = message.len() - rest.len();
    let (number, wire_type) = decode_key(rest).ok()?;
    let value = match wire_type {
        WireType::Varint => Value::Varint(decode_varint(rest).ok()?),
        WireType::SixtyFourBit | WireType::ThirtyTwoBit => {
            let width = if wire_type == WireType::SixtyFourBit {
                8
            } else {
                4
            };
            *rest = rest.get(width..)?;
            Value::Fixed
        }
        WireType::LengthDelimited => {
            let len = usize::try_from(decode_varint(rest).ok()?).ok()?;
            let (value, after) = (rest.get(..len)?, rest.get(len..)?);
            *rest = after;
            Value::Bytes(value)
        }
        WireType::StartGroup | WireType::EndGroup => return None,
    };
    Some(Field {
        number,
        start,
        end: message.len() - rest.len(),
        value,
    })
}

/// The `int32` values of a repeated field's occurrences, packed or not, in
/// order, as prost decodes them (a varint truncated to 32 bits).
pub fn int32s<'a>(value: Value<'a>) -> impl Iterator<Item = i32> + 'a {
    let (single, mut packed) = match value {
        Value::Varint(v) => (Some(v as i32), &[][..]),
        Value::Bytes(bytes) => (None, bytes),
        Value::Fixed => (None, &[][..]),
    };
    single.into_iter().chain(std::iter::from_fn(move || {
        if packed.is_empty() {
            return None;
        }
        match decode_varint(&mut packed) {
            Ok(v) => Some(v as i32),
            Err(_) => {
                packed = &[];
                None
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn scans_every_wire_type() {
        // 1: varint 150; 2: "hi"; 3: fixed32; 4: fixed64.
        let bytes = [
            0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i', 0x1d, 1, 2, 3, 4, 0x21, 1, 2, 3, 4, 5, 6, 7,
            8,
        ];
        let scanned: Vec<_> = fields(&bytes).collect::<Option<_>>().unwrap();
        let summary: Vec<_> = scanned
            .iter()
            .map(|f| (f.number, f.start, f.end, f.value))
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, 0, 3, Value::Varint(150)),
                (2, 3, 7, Value::Bytes(b"hi")),
                (3, 7, 12, Value::Fixed),
                (4, 12, 21, Value::Fixed),
            ]
        );
    }

    #[test]
    fn stops_at_bytes_that_do_not_scan() {
        // A length running past the end, a group, a truncated varint.
        for bad in [&[0x12, 0x05, b'a'][..], &[0x0b, 0x0c], &[0x08, 0x80]] {
            let scanned: Vec<_> = fields(bad).collect();
            assert_eq!(scanned.last(), Some(&None), "{bad:?}");
        }
        assert_eq!(fields(&[]).count(), 0);
    }

    #[test]
    fn reads_int32s_packed_or_not() {
        let location = prost_types::source_code_info::Location {
            path: vec![4, 0, 2, -1, 300],
            ..Default::default()
        };
        let bytes = location.encode_to_vec();
        let path: Vec<i32> = fields(&bytes)
            .flatten()
            .filter(|f| f.number == 1)
            .flat_map(|f| int32s(f.value))
            .collect();
        assert_eq!(path, [4, 0, 2, -1, 300]);
        // Unpacked, one varint per occurrence.
        let unpacked = [0x08, 0x04, 0x08, 0x00];
        let path: Vec<i32> = fields(&unpacked)
            .flatten()
            .flat_map(|f| int32s(f.value))
            .collect();
        assert_eq!(path, [4, 0]);
    }
}
