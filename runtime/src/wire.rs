//! Just enough of the protobuf wire format to move one field in or out of
//! an encoded message without knowing its Rust type: a body bound to a
//! field is decoded as `{field: body}`, a `response_body` is cut out of the
//! encoded reply, and `google.api.HttpBody` is built and read by number.

/// Appends a base-128 varint.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

/// Appends field `number` as a length-delimited record holding `payload`.
#[inline]
pub fn put_len_field(out: &mut Vec<u8>, number: u32, payload: &[u8]) {
    put_varint(out, u64::from(number) << 3 | 2);
    put_varint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

/// The record headers (key, length) that nest a `len`-byte payload under
/// the fields `numbers`, outermost first: header + payload encodes the
/// outer message, so a body can be decoded in place (`Buf::chain`) instead
/// of copied behind the header.
pub fn nesting_header(numbers: impl DoubleEndedIterator<Item = u32>, len: usize) -> Vec<u8> {
    let mut header = Vec::with_capacity(16);
    let mut level = Vec::with_capacity(10);
    for number in numbers.rev() {
        level.clear();
        put_varint(&mut level, u64::from(number) << 3 | 2);
        put_varint(&mut level, (len + header.len()) as u64);
        header.splice(0..0, level.iter().copied());
    }
    header
}

/// `payload` as the encoding of a message whose field `number` holds it.
pub fn wrap_field(number: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 10);
    put_len_field(&mut out, number, payload);
    out
}

/// The concatenated payloads of every length-delimited record of field
/// `number` (protobuf merges repeated occurrences of a message field the
/// same way). `None` when the buffer is not a valid message.
pub fn extract_len_field(buf: &[u8], number: u32) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let key = get_varint(buf, &mut pos)?;
        let (field, wire) = ((key >> 3) as u32, key & 7);
        match wire {
            0 => {
                get_varint(buf, &mut pos)?;
            }
            1 => pos = pos.checked_add(8)?,
            5 => pos = pos.checked_add(4)?,
            2 => {
                let len = usize::try_from(get_varint(buf, &mut pos)?).ok()?;
                let end = pos.checked_add(len)?;
                let payload = buf.get(pos..end)?;
                if field == number {
                    out.extend_from_slice(payload);
                }
                pos = end;
            }
            _ => return None,
        }
        if pos > buf.len() {
            return None;
        }
    }
    Some(out)
}

/// A `google.api.HttpBody` (content_type = 1, data = 2) encoded.
pub fn encode_http_body(content_type: &str, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + content_type.len() + 12);
    put_len_field(&mut out, 1, content_type.as_bytes());
    put_len_field(&mut out, 2, data);
    out
}

/// `(content_type, data)` of an encoded `google.api.HttpBody`.
pub fn decode_http_body(buf: &[u8]) -> Option<(String, Vec<u8>)> {
    let content_type = String::from_utf8(extract_len_field(buf, 1)?).ok()?;
    let data = extract_len_field(buf, 2)?;
    Some((content_type, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_body_round_trip_and_field_cut() {
        let hb = encode_http_body("text/plain", b"hello");
        assert_eq!(
            decode_http_body(&hb).unwrap(),
            ("text/plain".into(), b"hello".to_vec())
        );
        let mut msg = vec![0x08, 0x96, 0x01]; // field 1 varint 150
        put_len_field(&mut msg, 3, b"abc");
        msg.extend_from_slice(&[0x25, 1, 2, 3, 4]); // field 4 fixed32
        assert_eq!(extract_len_field(&msg, 3).unwrap(), b"abc");
        assert_eq!(extract_len_field(&msg, 9).unwrap(), b"");
        assert!(extract_len_field(&[0x1a, 0x05, 1], 3).is_none());
        assert_eq!(extract_len_field(&wrap_field(7, b"xy"), 7).unwrap(), b"xy");
        // Nested: 1 { 2 { "xy" } } the same as wrapping twice.
        let mut nested = nesting_header([1, 2].into_iter(), 2);
        nested.extend_from_slice(b"xy");
        assert_eq!(nested, wrap_field(1, &wrap_field(2, b"xy")));
        let long = vec![7u8; 300];
        let mut nested = nesting_header([3, 200_000].into_iter(), long.len());
        nested.extend_from_slice(&long);
        assert_eq!(nested, wrap_field(3, &wrap_field(200_000, &long)));
    }
}
