//! Content negotiation: which codec a request body uses (Content-Type) and
//! which one the reply uses (Accept, with q-values and wildcards).

/// A message codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// proto3 JSON mapping, `application/json`.
    Json,
    /// Binary protobuf, `application/x-protobuf` or `application/protobuf`.
    Protobuf,
}

impl Codec {
    /// The Content-Type a reply in this codec carries.
    pub fn content_type(self) -> &'static str {
        match self {
            Codec::Json => "application/json",
            Codec::Protobuf => "application/x-protobuf",
        }
    }
}

/// What a media type names; case-insensitive, without copying the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    Empty,
    Json,
    /// `application/…+json`.
    JsonSuffix,
    Protobuf,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `*/*`.
    Any,
    /// `application/*`.
    AnyApplication,
    Other,
}

fn media(value: &str) -> Media {
    let m = value.split(';').next().unwrap_or("").trim();
    let is = |name: &str| m.eq_ignore_ascii_case(name);
    // Bytes, not str slices: a header may cut a multi-byte character.
    let b = m.as_bytes();
    if m.is_empty() {
        Media::Empty
    } else if is("application/json") {
        Media::Json
    } else if is("application/x-protobuf")
        || is("application/protobuf")
        || is("application/vnd.google.protobuf")
        // Connect's name.
        || is("application/proto")
    {
        Media::Protobuf
    } else if is("application/x-www-form-urlencoded") {
        Media::Form
    } else if is("*/*") {
        Media::Any
    } else if is("application/*") {
        Media::AnyApplication
    } else if b.len() >= 17
        && b[..12].eq_ignore_ascii_case(b"application/")
        && b[b.len() - 5..].eq_ignore_ascii_case(b"+json")
    {
        Media::JsonSuffix
    } else {
        Media::Other
    }
}

/// The codec of a request body by its Content-Type; a missing header means
/// JSON. `None` for anything else (415).
/// Whether a request body is an HTML form (`application/x-www-form-urlencoded`),
/// bound like query parameters (kratos' form codec).
pub fn is_form(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| matches!(media(ct), Media::Form))
}

pub fn request_codec(content_type: Option<&str>) -> Option<Codec> {
    let Some(ct) = content_type else {
        return Some(Codec::Json);
    };
    match media(ct) {
        Media::Empty | Media::Json | Media::JsonSuffix => Some(Codec::Json),
        Media::Protobuf => Some(Codec::Protobuf),
        _ => None,
    }
}

/// Picks the reply codec from an Accept header: the highest q wins, JSON on
/// a tie; no header means JSON. `None` when nothing acceptable (406).
pub fn negotiate(accept: Option<&str>) -> Option<Codec> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(Codec::Json);
    };
    let mut json: Option<(u8, f32)> = None; // (specificity, q)
    let mut proto: Option<(u8, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = media(parts.next().unwrap_or(""));
        let mut q = 1.0f32;
        for p in parts {
            if let Some((k, v)) = p.split_once('=')
                && k.trim().eq_ignore_ascii_case("q")
            {
                q = v.trim().parse().unwrap_or(0.0);
            }
        }
        let consider = |slot: &mut Option<(u8, f32)>, specificity: u8| {
            if slot.is_none_or(|(s, _)| specificity > s) {
                *slot = Some((specificity, q));
            }
        };
        match media {
            Media::Any => {
                consider(&mut json, 0);
                consider(&mut proto, 0);
            }
            Media::AnyApplication => {
                consider(&mut json, 1);
                consider(&mut proto, 1);
            }
            Media::Json => consider(&mut json, 2),
            Media::Protobuf => consider(&mut proto, 2),
            _ => {}
        }
    }
    let jq = json.map_or(0.0, |(_, q)| q);
    let pq = proto.map_or(0.0, |(_, q)| q);
    if jq <= 0.0 && pq <= 0.0 {
        None
    } else if pq > jq {
        Some(Codec::Protobuf)
    } else {
        Some(Codec::Json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_table() {
        let cases: &[(Option<&str>, Option<Codec>)] = &[
            (None, Some(Codec::Json)),
            (Some("*/*"), Some(Codec::Json)),
            (Some("application/x-protobuf"), Some(Codec::Protobuf)),
            (
                Some("application/protobuf;q=0.9, application/json;q=0.5"),
                Some(Codec::Protobuf),
            ),
            (
                Some("application/json;q=0.5, */*;q=0.9"),
                Some(Codec::Protobuf),
            ),
            (Some("application/json;q=0, */*"), Some(Codec::Protobuf)),
            (Some("text/html"), None),
            (Some("application/*;q=0"), None),
            (Some("text/html, application/*;q=0.2"), Some(Codec::Json)),
        ];
        for (accept, want) in cases {
            assert_eq!(negotiate(*accept), *want, "{accept:?}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(request_codec(None), Some(Codec::Json));
        assert_eq!(
            request_codec(Some("application/json; charset=utf-8")),
            Some(Codec::Json)
        );
        assert_eq!(
            request_codec(Some("application/protobuf")),
            Some(Codec::Protobuf)
        );
        assert_eq!(request_codec(Some("text/plain")), None);
        assert_eq!(
            request_codec(Some("Application/Problem+JSON")),
            Some(Codec::Json)
        );
        assert_eq!(request_codec(Some("application/+json")), Some(Codec::Json));
        assert_eq!(request_codec(Some("applicatioé/x+jsoné+json")), None);
        assert_eq!(request_codec(Some("aéééééééééé+json")), None);
        assert_eq!(
            request_codec(Some("APPLICATION/X-PROTOBUF")),
            Some(Codec::Protobuf)
        );
        assert_eq!(request_codec(Some("application/jsonx")), None);
        assert_eq!(request_codec(Some("é")), None);
    }
}
