//! Query and path parameters → a proto3 JSON object, driven by the static
//! [`MessageSpec`] generated for the request type. The object is then
//! deserialized by the message's own pbjson serde impl, so every value
//! syntax the JSON mapping accepts (names or numbers for enums, RFC 3339,
//! `"1.5s"`, base64 in either alphabet, int64 as text) is accepted here too,
//! and range checks are the mapping's own.
//!
//! Keys: `a.b.c` (proto or JSON names), `m[key]` and `m.key` for maps,
//! repeated keys for repeated fields. Unknown keys are ignored, like
//! grpc-gateway; a singular field given twice, a path through a scalar or a
//! repeated message, and two members of one oneof are errors naming the key.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::Error;
use crate::spec::{Cardinality, Kind, MessageSpec, WellKnown};

/// Why a parameter was rejected; becomes a 400 naming the parameter.
fn bad(param: &str, why: impl std::fmt::Display) -> Error {
    Error::bad_request(
        "INVALID_ARGUMENT",
        format!("invalid parameter {param:?}: {why}"),
    )
}

/// Accumulates parameters into a proto3 JSON object.
#[derive(Debug, Default)]
pub struct JsonBuilder {
    /// The object built so far (JSON field names).
    pub object: Map<String, Value>,
    /// Every parameter applied, for naming the culprit of a later
    /// deserialization error.
    pub applied: Vec<(String, Vec<Cow<'static, str>>, Value)>,
    /// Which of `applied` went into a repeated field.
    repeated: Vec<bool>,
}

impl JsonBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a raw query string (`a=1&b.c=x`), ignoring keys at or below
    /// an `excluded` field path (proto names): the fields the path and the
    /// body bind, as grpc-gateway filters them.
    pub fn query(
        &mut self,
        spec: &'static MessageSpec,
        query: &str,
        excluded: &[Vec<String>],
    ) -> Result<(), Error> {
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            // Borrowed unless escaped: most keys and values need no copy.
            let key =
                form_decode(raw_key).ok_or_else(|| bad(raw_key, "malformed percent-escape"))?;
            let value =
                form_decode(raw_value).ok_or_else(|| bad(&key, "malformed percent-escape"))?;
            let Ok(components) = split_key(&key) else {
                continue;
            };
            self.set(spec, &key, &components, &value, false, excluded)?;
        }
        Ok(())
    }

    /// Applies a path capture; it overrides anything already set.
    pub fn path(
        &mut self,
        spec: &'static MessageSpec,
        field_path: &[String],
        value: &str,
    ) -> Result<(), Error> {
        let param = field_path.join(".");
        self.set(spec, &param, field_path, value, true, &[])
    }

    fn set<S: AsRef<str>>(
        &mut self,
        spec: &'static MessageSpec,
        param: &str,
        components: &[S],
        value: &str,
        overwrite: bool,
        excluded: &[Vec<String>],
    ) -> Result<(), Error> {
        if components.is_empty() {
            // `=v` or `&=&`: no field named, nothing to bind.
            return Ok(());
        }
        let mut message = spec;
        // Proto names walked so far, for the exclusion check (no allocation
        // for paths up to 16 deep; deeper keys are never excluded paths).
        let mut proto_path: [&str; 16] = [""; 16];
        let mut object = &mut self.object;
        let mut json_path: Vec<Cow<'static, str>> = Vec::with_capacity(components.len());
        let mut i = 0;
        loop {
            let name = components[i].as_ref();
            let Some(field) = message.field(name) else {
                // Unknown keys are ignored (grpc-gateway does the same).
                return Ok(());
            };
            json_path.push(Cow::Borrowed(field.json_name));
            if let Some(slot) = proto_path.get_mut(i) {
                *slot = field.name;
                let walked = &proto_path[..=i];
                if excluded.iter().any(|p| p.iter().eq(walked.iter())) {
                    return Ok(());
                }
            }
            if let Some(oneof) = field.oneof
                && let Some(other) = message.fields.iter().find(|f| {
                    f.oneof == Some(oneof)
                        && f.number != field.number
                        && object.contains_key(f.json_name)
                })
            {
                return Err(bad(
                    param,
                    format!("oneof {oneof:?} already has {:?} set", other.name),
                ));
            }
            let last = i + 1 == components.len();
            match field.kind {
                Kind::Message(inner) if !last => {
                    if field.cardinality == Cardinality::Repeated {
                        return Err(bad(
                            param,
                            format!("{:?} is a repeated message", field.name),
                        ));
                    }
                    let slot = object
                        .entry(field.json_name)
                        .or_insert_with(|| Value::Object(Map::new()));
                    if !slot.is_object() {
                        *slot = Value::Object(Map::new());
                    }
                    object = slot.as_object_mut().expect("object");
                    message = inner;
                    i += 1;
                }
                Kind::Map(map) if !last => {
                    // `m.key` (kratos) — the rest of the key is the map key.
                    let key = components[i + 1..]
                        .iter()
                        .map(|c| c.as_ref())
                        .collect::<Vec<_>>()
                        .join(".");
                    let v = scalar(param, map.value, value)?;
                    let slot = object
                        .entry(field.json_name)
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(m) = slot {
                        m.insert(key.clone(), v.clone());
                    }
                    json_path.push(Cow::Owned(key));
                    self.applied.push((param.to_string(), json_path, v));
                    self.repeated.push(false);
                    return Ok(());
                }
                _ if !last => {
                    return Err(bad(param, format!("{:?} is not a message", field.name)));
                }
                kind if overwrite && field.cardinality == Cardinality::Repeated => {
                    // A repeated field in the path: comma-separated values
                    // (grpc-gateway), replacing anything the query set.
                    let items = value
                        .split(',')
                        .map(|item| scalar(param, kind, item))
                        .collect::<Result<Vec<_>, _>>()?;
                    for item in &items {
                        self.applied
                            .push((param.to_string(), json_path.clone(), item.clone()));
                        self.repeated.push(true);
                    }
                    object.insert(field.json_name.to_string(), Value::Array(items));
                    return Ok(());
                }
                kind => {
                    let v = scalar(param, kind, value)?;
                    let repeated = field.cardinality == Cardinality::Repeated;
                    match object.get_mut(field.json_name) {
                        Some(Value::Array(items)) if repeated && !overwrite => {
                            items.push(v.clone())
                        }
                        Some(Value::String(mask))
                            if matches!(kind, Kind::WellKnown(WellKnown::FieldMask))
                                && !overwrite =>
                        {
                            // Repeated keys of a FieldMask join into one mask.
                            if let Value::String(more) = &v {
                                mask.push(',');
                                mask.push_str(more);
                            }
                        }
                        Some(_) if !overwrite => {
                            return Err(bad(param, "given more than once for a singular field"));
                        }
                        _ => {
                            let stored = if repeated {
                                Value::Array(vec![v.clone()])
                            } else {
                                v.clone()
                            };
                            object.insert(field.json_name.to_string(), stored);
                        }
                    }
                    self.applied.push((param.to_string(), json_path, v));
                    self.repeated.push(repeated);
                    return Ok(());
                }
            }
        }
    }

    /// Puts a JSON value (a body field) at a JSON-name path.
    pub fn insert_at<'a>(&mut self, path: impl IntoIterator<Item = &'a str>, value: Value) {
        let mut object = &mut self.object;
        let mut path = path.into_iter().peekable();
        while let Some(key) = path.next() {
            if path.peek().is_none() {
                object.insert(key.to_string(), value);
                return;
            }
            let slot = object
                .entry(key)
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            object = slot.as_object_mut().expect("object");
        }
    }

    /// True when nothing was applied.
    pub fn is_empty(&self) -> bool {
        self.object.is_empty()
    }

    /// The single-parameter object for `applied[index]`, used to find which
    /// parameter a deserialization error came from.
    pub fn isolated(&self, index: usize) -> Value {
        let (_, path, value) = &self.applied[index];
        let mut v = if self.repeated[index] {
            Value::Array(vec![value.clone()])
        } else {
            value.clone()
        };
        for key in path.iter().rev() {
            let mut m = Map::new();
            m.insert(key.to_string(), v);
            v = Value::Object(m);
        }
        v
    }
}

/// Splits `a.b[k].c` into `["a", "b", "k", "c"]`; `m[a.b]` keeps `a.b`;
/// `Err` for text after a `]` that is not `.…`.
fn split_key(key: &str) -> Result<Vec<&str>, ()> {
    let mut out = Vec::new();
    let mut rest = key;
    while !rest.is_empty() {
        // `m[k]` at the end of the key takes everything up to the last `]`,
        // so map keys may contain brackets themselves (`m[]]`, `m[a[b]`).
        let close_of = |open: usize| {
            if rest.ends_with(']') {
                Some(rest.len() - 1)
            } else {
                rest[open..].find(']').map(|c| c + open)
            }
        };
        if let Some(open) = rest.find('[')
            && let Some(close) = close_of(open)
            && !rest[..open].contains('.')
        {
            out.push(&rest[..open]);
            out.push(&rest[open + 1..close]);
            rest = &rest[close + 1..];
            if !rest.is_empty() {
                // `m[k]x` names nothing: an unknown key, ignored.
                rest = rest.strip_prefix('.').ok_or(())?;
            }
            continue;
        }
        match rest.split_once('.') {
            Some((head, "")) => {
                // `m.` is map `m` with the empty key (kratos).
                out.push(head);
                out.push("");
                rest = "";
            }
            Some((head, tail)) => {
                out.push(head);
                rest = tail;
            }
            None => {
                out.push(rest);
                rest = "";
            }
        }
    }
    Ok(out)
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space.
fn form_decode(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains(['+', '%']) {
        return Some(Cow::Borrowed(s));
    }
    let replaced = s.replace('+', " ");
    crate::percent::decode(&replaced)
        .ok()
        .map(|c| Cow::Owned(c.into_owned()))
}

/// One textual value as the JSON the mapping expects for `kind`.
fn scalar(param: &str, kind: Kind, text: &str) -> Result<Value, Error> {
    Ok(match kind.unwrapped() {
        Kind::Bool => Value::Bool(match text {
            "true" | "True" | "TRUE" | "t" | "T" | "1" => true,
            "false" | "False" | "FALSE" | "f" | "F" | "0" => false,
            _ => return Err(bad(param, format!("{text:?} is not a bool"))),
        }),
        Kind::Enum(e) => match text.parse::<i32>() {
            Ok(n) if e.values.iter().any(|(_, v)| *v == n) => Value::from(n),
            Ok(n) => return Err(bad(param, format!("{n} is not a value of {}", e.name))),
            Err(_) if e.values.iter().any(|(name, _)| *name == text) => {
                Value::String(text.to_string())
            }
            Err(_) => return Err(bad(param, format!("{text:?} is not a value of {}", e.name))),
        },
        Kind::WellKnown(WellKnown::Struct | WellKnown::Value | WellKnown::ListValue) => {
            match serde_json::from_str::<Value>(text) {
                Ok(v) => v,
                Err(_) if matches!(kind, Kind::WellKnown(WellKnown::Value)) => {
                    Value::String(text.to_string())
                }
                Err(e) => return Err(bad(param, format!("not JSON: {e}"))),
            }
        }
        Kind::WellKnown(WellKnown::NullValue) => Value::Null,
        // The mapping's `"1.5s"`, and Go's `1h2m3.5s` that grpc-gateway and
        // kratos clients send.
        Kind::WellKnown(WellKnown::Duration) => {
            Value::String(go_duration_to_json(text).unwrap_or_else(|| text.to_string()))
        }
        Kind::Message(_) | Kind::Map(_) | Kind::WellKnown(WellKnown::Any | WellKnown::Empty) => {
            return Err(bad(param, "a message needs a field path (a.b=…)"));
        }
        // Numbers, strings, bytes, Timestamp, Duration, FieldMask: the JSON
        // mapping reads them from strings and checks them itself.
        _ => Value::String(text.to_string()),
    })
}

/// Go's duration syntax (`-1h2m3.5s`, units ns/us/µs/ms/s/m/h) as the
/// mapping's `"-3723.5s"`; `None` when `text` is not Go syntax (or is
/// already the mapping's form, which needs no change).
fn go_duration_to_json(text: &str) -> Option<String> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest.is_empty() || (rest.ends_with('s') && rest[..rest.len() - 1].parse::<f64>().is_ok()) {
        return None;
    }
    let mut nanos: i128 = 0;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let (number, tail) = rest.split_at(end);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && frac.is_empty() {
            return None;
        }
        let whole: i128 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        nanos = nanos.checked_add(whole.checked_mul(scale)?)?;
        let mut place = scale;
        for d in frac.chars() {
            place /= 10;
            nanos += i128::from(d.to_digit(10)?) * place;
        }
        rest = tail;
    }
    let (secs, sub) = (nanos / 1_000_000_000, nanos % 1_000_000_000);
    let sign = if negative && nanos != 0 { "-" } else { "" };
    Some(if sub == 0 {
        format!("{sign}{secs}s")
    } else {
        format!("{sign}{secs}.{sub:09}s")
    })
}

/// Deserializes the built object into `M`; on failure, names the first
/// parameter that fails on its own.
pub fn finish<M: serde::de::DeserializeOwned>(builder: JsonBuilder) -> Result<M, Error> {
    let JsonBuilder {
        object,
        applied,
        repeated,
    } = builder;
    match serde_json::from_value::<M>(Value::Object(object)) {
        Ok(m) => Ok(m),
        Err(e) => {
            let builder = JsonBuilder {
                object: Map::new(),
                applied,
                repeated,
            };
            for (i, (param, _, _)) in builder.applied.iter().enumerate() {
                if let Err(one) = serde_json::from_value::<M>(builder.isolated(i)) {
                    return Err(bad(param, one));
                }
            }
            Err(Error::bad_request(
                "INVALID_ARGUMENT",
                format!("invalid parameters: {e}"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split() {
        assert_eq!(split_key("a.b.c").unwrap(), ["a", "b", "c"]);
        assert_eq!(split_key("m[k.x]").unwrap(), ["m", "k.x"]);
        assert_eq!(split_key("m[k]").unwrap(), ["m", "k"]);
        assert_eq!(split_key("m[k].v").unwrap(), ["m", "k", "v"]);
        assert_eq!(split_key("a").unwrap(), ["a"]);
        assert_eq!(split_key("m.").unwrap(), ["m", ""]);
        assert!(split_key("").unwrap().is_empty());
        assert!(split_key("m[k]=").is_err());
        assert_eq!(split_key("m[]]").unwrap(), ["m", "]"]);
        assert_eq!(split_key("m[a[b]").unwrap(), ["m", "a[b"]);
        assert_eq!(split_key("m[a]b]").unwrap(), ["m", "a]b"]);
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration_to_json("13h0m0s").unwrap(), "46800s");
        assert_eq!(
            go_duration_to_json("2m0.000000022s").unwrap(),
            "120.000000022s"
        );
        assert_eq!(go_duration_to_json("-1m40s").unwrap(), "-100s");
        assert_eq!(go_duration_to_json("1.5h").unwrap(), "5400s");
        assert_eq!(go_duration_to_json("300ms").unwrap(), "0.300000000s");
        assert_eq!(go_duration_to_json("1.5s"), None);
        assert_eq!(go_duration_to_json("1x"), None);
        assert_eq!(go_duration_to_json("h"), None);
    }

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode("a+b%21").unwrap(), "a b!");
        assert!(form_decode("%zz").is_none());
    }
}
