//! Percent-decoding of request paths, as google/api/http.proto specifies it:
//! single-segment captures are fully decoded, multi-segment captures keep
//! `%2F` so a decoded value never gains a `/` that was not a separator.

use std::borrow::Cow;

/// A malformed escape (`%`, `%2`, `%zz`) or bytes that are not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError;

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// True when every `%` in `s` starts a valid two-hex-digit escape.
pub fn is_well_formed(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if b.len() < i + 3 || hex(b[i + 1]).is_none() || hex(b[i + 2]).is_none() {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

fn decode_with(s: &str, keep_slash: bool) -> Result<Cow<'_, str>, DecodeError> {
    if !s.as_bytes().contains(&b'%') {
        return Ok(Cow::Borrowed(s));
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) else {
                return Err(DecodeError);
            };
            let byte = h << 4 | l;
            if keep_slash && byte == b'/' {
                out.extend_from_slice(&b[i..i + 3]);
            } else {
                out.push(byte);
            }
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| DecodeError)
}

/// Decodes every escape.
pub fn decode(s: &str) -> Result<Cow<'_, str>, DecodeError> {
    decode_with(s, false)
}

/// Decodes every escape except `%2F`/`%2f`, which stay as written.
pub fn decode_except_slash(s: &str) -> Result<Cow<'_, str>, DecodeError> {
    decode_with(s, true)
}

/// Percent-encodes every byte except RFC 3986 unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`): a single path segment or a query component.
pub fn encode(s: &str) -> Cow<'_, str> {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if s.bytes().all(unreserved) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + s.len() / 2);
    for b in s.bytes() {
        if unreserved(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips() {
        assert_eq!(encode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(encode("a b/c?d%e+第"), "a%20b%2Fc%3Fd%25e%2B%E7%AC%AC");
        for s in ["", "x y", "%2F", "第/二", "&=#"] {
            assert_eq!(decode(&encode(s)).unwrap(), s);
        }
    }

    #[test]
    fn table() {
        assert_eq!(decode("a%20b").unwrap(), "a b");
        assert_eq!(decode("a%2Fb").unwrap(), "a/b");
        assert_eq!(decode_except_slash("a%2Fb%2fc%3A").unwrap(), "a%2Fb%2fc:");
        assert_eq!(decode("%e7%ac%ac").unwrap(), "第");
        for bad in ["%", "%2", "a%2z", "%zz", "%ff"] {
            assert!(decode(bad).is_err(), "{bad}");
        }
        for (s, ok) in [("a%20", true), ("%", false), ("%2", false), ("x%g0", false)] {
            assert_eq!(is_well_formed(s), ok, "{s}");
        }
    }
}
