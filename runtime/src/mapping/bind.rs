//! Query and path parameters → a proto3 JSON tree, driven by the static
//! [`MessageSpec`] generated for the request type. The tree is then
//! deserialized by the message's own pbjson serde impl, so every value
//! syntax the JSON mapping accepts (names or numbers for enums, RFC 3339,
//! `"1.5s"`, base64 in either alphabet, int64 as text) is accepted here too,
//! and range checks are the mapping's own.
//!
//! The tree ([`Node`]) borrows keys (static field names) and values (the
//! request's own text unless escaped) and is written out as JSON text, which
//! the message's serde impl reads through `serde_json::from_slice`: the one
//! deserializer a message's codec already instantiates, so binding adds no
//! per-message-type code. When deserialization fails, the parameters are
//! bound again one by one to name the culprit: errors pay for the
//! bookkeeping, successes don't.
//!
//! Keys: `a.b.c` (proto or JSON names), `m[key]` and `m.key` for maps,
//! repeated keys for repeated fields. Unknown keys are ignored, like
//! grpc-gateway; a singular field given twice, a path through a scalar or a
//! repeated message, and two members of one oneof are errors naming the key.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

use crate::Error;
use crate::spec::{Cardinality, Kind, MessageSpec, WellKnown};
use crate::strs::{self, Strs};

/// Why a parameter was rejected; becomes a 400 naming the parameter.
fn bad(param: impl fmt::Display, why: impl fmt::Display) -> Error {
    Error::bad_request(
        "INVALID_ARGUMENT",
        format!(
            "invalid parameter \"{}\": {why}",
            param.to_string().escape_debug()
        ),
    )
}

/// A parameter's name for error messages: a query key, or a path
/// variable's field path (joined only when an error needs it).
#[derive(Clone, Copy)]
enum Param<'p> {
    Key(&'p str),
    Path(&'p [&'p str]),
}

impl fmt::Display for Param<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Param::Key(k) => f.write_str(k),
            Param::Path(p) => f.write_str(&p.join(".")),
        }
    }
}

/// A proto3 JSON value under construction; written out as JSON text.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    /// A string (also numbers, bytes, timestamps: the mapping reads text).
    Str(Cow<'a, str>),
    /// A bool.
    Bool(bool),
    /// An enum number, or an integer in parsed JSON.
    Int(i64),
    /// An integer above `i64::MAX` in parsed JSON.
    Uint(u64),
    /// A number with a fraction or exponent in parsed JSON.
    Float(f64),
    /// `null` (`google.protobuf.NullValue`, or in parsed JSON).
    Null,
    /// A repeated field.
    Arr(Vec<Node<'a>>),
    /// A message or map: (JSON name or map key, value).
    Obj(Vec<(Cow<'a, str>, Node<'a>)>),
}

type Object<'a> = Vec<(Cow<'a, str>, Node<'a>)>;

fn get_mut<'o, 'a>(object: &'o mut Object<'a>, key: &str) -> Option<&'o mut Node<'a>> {
    object.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn insert<'a>(object: &mut Object<'a>, key: Cow<'a, str>, value: Node<'a>) {
    match get_mut(object, &key) {
        Some(slot) => *slot = value,
        None => object.push((key, value)),
    }
}

/// The object at `key`, created (or replacing a non-object) if needed.
fn child<'o, 'a>(object: &'o mut Object<'a>, key: &'static str) -> &'o mut Object<'a> {
    let index = match object.iter().position(|(k, _)| k == key) {
        Some(i) => i,
        None => {
            object.push((Cow::Borrowed(key), Node::Obj(Vec::new())));
            object.len() - 1
        }
    };
    let slot = &mut object[index].1;
    if !matches!(slot, Node::Obj(_)) {
        *slot = Node::Obj(Vec::new());
    }
    match slot {
        Node::Obj(o) => o,
        _ => unreachable!("just made an object"),
    }
}

/// Accumulates parameters into a proto3 JSON tree.
#[derive(Debug, Default)]
pub struct JsonBuilder<'a> {
    object: Object<'a>,
    /// What was applied, to bind again one by one when an error needs a name.
    spec: Option<&'static MessageSpec>,
    query: &'a str,
    excluded: &'a [&'a [&'a str]],
    variables: &'a [&'a [&'a str]],
    values: &'a [String],
}

impl<'a> JsonBuilder<'a> {
    /// An empty builder.
    pub fn new() -> Self {
        JsonBuilder {
            object: Vec::new(),
            spec: None,
            query: "",
            excluded: &[],
            variables: &[],
            values: &[],
        }
    }

    /// Applies a raw query string (`a=1&b.c=x`), ignoring keys at or below
    /// an `excluded` field path (proto names): the fields the path and the
    /// body bind, as grpc-gateway filters them.
    pub fn query(
        &mut self,
        spec: &'static MessageSpec,
        query: &'a str,
        excluded: &'a [&'a [&'a str]],
    ) -> Result<(), Error> {
        self.spec = Some(spec);
        self.query = query;
        self.excluded = excluded;
        for pair in strs::split(query, b'&').filter(|p| !p.is_empty()) {
            self.query_pair(spec, pair, excluded)?;
        }
        Ok(())
    }

    fn query_pair(
        &mut self,
        spec: &'static MessageSpec,
        pair: &'a str,
        excluded: &[&[&str]],
    ) -> Result<(), Error> {
        let (raw_key, raw_value) = strs::split_once(pair, b'=').unwrap_or((pair, ""));
        // Borrowed unless escaped: most keys and values need no copy.
        let key = form_decode(raw_key).ok_or_else(|| bad(raw_key, "malformed percent-escape"))?;
        let value = form_decode(raw_value).ok_or_else(|| bad(&key, "malformed percent-escape"))?;
        let Ok(components) = split_key(&key) else {
            return Ok(());
        };
        self.set(spec, Param::Key(&key), &components, value, false, excluded)
    }

    /// Applies the path captures (`values[i]` binds `variables[i]`, a field
    /// path of proto names); they override anything already set.
    pub fn paths(
        &mut self,
        spec: &'static MessageSpec,
        variables: &'a [&'a [&'a str]],
        values: &'a [String],
    ) -> Result<(), Error> {
        self.spec = Some(spec);
        self.variables = variables;
        self.values = values;
        for (field_path, value) in variables.iter().zip(values) {
            self.path(spec, field_path, value)?;
        }
        Ok(())
    }

    fn path(
        &mut self,
        spec: &'static MessageSpec,
        field_path: &'a [&'a str],
        value: &'a str,
    ) -> Result<(), Error> {
        let param = Param::Path(field_path);
        self.set(spec, param, field_path, Cow::Borrowed(value), true, &[])
    }

    fn set<S: AsRef<str>>(
        &mut self,
        spec: &'static MessageSpec,
        param: Param<'_>,
        components: &[S],
        value: Cow<'a, str>,
        overwrite: bool,
        excluded: &[&[&str]],
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
        let mut i = 0;
        loop {
            let name = components[i].as_ref();
            let Some(field) = message.field(name) else {
                // Unknown keys are ignored (grpc-gateway does the same).
                return Ok(());
            };
            if let Some(slot) = proto_path.get_mut(i) {
                *slot = field.name;
                let walked = &proto_path[..=i];
                if excluded.contains(&walked) {
                    return Ok(());
                }
            }
            if let Some(oneof) = field.oneof
                && let Some(other) = message.fields.iter().find(|f| {
                    f.oneof == Some(oneof)
                        && f.number != field.number
                        && object.iter().any(|(k, _)| k == f.json_name)
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
                    object = child(object, field.json_name);
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
                    insert(child(object, field.json_name), Cow::Owned(key), v);
                    return Ok(());
                }
                _ if !last => {
                    return Err(bad(param, format!("{:?} is not a message", field.name)));
                }
                kind if overwrite && field.cardinality == Cardinality::Repeated => {
                    // A repeated field in the path: comma-separated values
                    // (grpc-gateway), replacing anything the query set.
                    let items = split_commas(value)
                        .into_iter()
                        .map(|item| scalar(param, kind, item))
                        .collect::<Result<Vec<_>, _>>()?;
                    insert(object, Cow::Borrowed(field.json_name), Node::Arr(items));
                    return Ok(());
                }
                kind => {
                    let v = scalar(param, kind, value)?;
                    let repeated = field.cardinality == Cardinality::Repeated;
                    match get_mut(object, field.json_name) {
                        Some(Node::Arr(items)) if repeated && !overwrite => items.push(v),
                        Some(Node::Str(mask))
                            if matches!(kind, Kind::WellKnown(WellKnown::FieldMask))
                                && !overwrite =>
                        {
                            // Repeated keys of a FieldMask join into one mask.
                            if let Node::Str(more) = &v {
                                let mask = mask.to_mut();
                                mask.push(',');
                                mask.push_str(more);
                            }
                        }
                        Some(_) if !overwrite => {
                            return Err(bad(param, "given more than once for a singular field"));
                        }
                        _ => {
                            let stored = if repeated { Node::Arr(vec![v]) } else { v };
                            insert(object, Cow::Borrowed(field.json_name), stored);
                        }
                    }
                    return Ok(());
                }
            }
        }
    }

    /// True when nothing was applied.
    pub fn is_empty(&self) -> bool {
        self.object.is_empty()
    }

    /// The tree built so far.
    pub fn tree(&self) -> &[(Cow<'a, str>, Node<'a>)] {
        &self.object
    }
}

/// `value` split at commas, borrowing when `value` does.
fn split_commas(value: Cow<'_, str>) -> Vec<Cow<'_, str>> {
    match value {
        Cow::Borrowed(v) => v.split(',').map(Cow::Borrowed).collect(),
        Cow::Owned(v) => v.split(',').map(|s| Cow::Owned(s.to_string())).collect(),
    }
}

impl Node<'_> {
    /// Appends this value as JSON text.
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Node::Str(s) => write_str(out, s),
            Node::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Node::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
            Node::Uint(n) => out.extend_from_slice(n.to_string().as_bytes()),
            // Parsed JSON is finite; serde_json prints the shortest round trip.
            Node::Float(n) => {
                let _ = serde_json::to_writer(&mut *out, n);
            }
            Node::Null => out.extend_from_slice(b"null"),
            Node::Arr(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write_json(out);
                }
                out.push(b']');
            }
            Node::Obj(entries) => {
                out.push(b'{');
                write_entries(out, entries);
                out.push(b'}');
            }
        }
    }
}

/// `"k":v,"k2":v2` (no braces): an object's entries, for callers that put
/// them beside other members.
fn write_entries(out: &mut Vec<u8>, entries: &[(Cow<'_, str>, Node<'_>)]) {
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, key);
        out.push(b':');
        value.write_json(out);
    }
}

/// A JSON string literal, escaped as serde_json escapes (no copy for the
/// common case of nothing to escape).
fn write_str(out: &mut Vec<u8>, s: &str) {
    let plain = s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
    if plain {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

impl Node<'static> {
    /// Parsed JSON (`Struct`, `Value`, `ListValue` from a query) as a tree.
    fn from_json(value: Value) -> Self {
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(b),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => Node::Int(i),
                (None, Some(u)) => Node::Uint(u),
                _ => Node::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => Node::Str(Cow::Owned(s)),
            Value::Array(items) => Node::Arr(items.into_iter().map(Node::from_json).collect()),
            Value::Object(entries) => Node::Obj(
                entries
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k), Node::from_json(v)))
                    .collect(),
            ),
        }
    }
}

/// Splits `a.b[k].c` into `["a", "b", "k", "c"]`; `m[a.b]` keeps `a.b`;
/// `Err` for text after a `]` that is not `.…`.
fn split_key(key: &str) -> Result<Strs<'_, 8>, ()> {
    let mut out = Strs::new();
    let mut rest = key;
    while !rest.is_empty() {
        // `m[k]` at the end of the key takes everything up to the last `]`,
        // so map keys may contain brackets themselves (`m[]]`, `m[a[b]`).
        let close_of = |open: usize| {
            if rest.ends_with(']') {
                Some(rest.len() - 1)
            } else {
                strs::find(&rest[open..], b']').map(|c| c + open)
            }
        };
        if let Some(open) = strs::find(rest, b'[')
            && let Some(close) = close_of(open)
            && strs::find(&rest[..open], b'.').is_none()
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
        match strs::split_once(rest, b'.') {
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
pub(crate) fn form_decode(s: &str) -> Option<Cow<'_, str>> {
    if !s.bytes().any(|b| b == b'+' || b == b'%') {
        return Some(Cow::Borrowed(s));
    }
    let replaced = s.replace('+', " ");
    crate::percent::decode(&replaced)
        .ok()
        .map(|c| Cow::Owned(c.into_owned()))
}

/// One textual value as the JSON the mapping expects for `kind`.
fn scalar<'a>(param: Param<'_>, kind: Kind, text: Cow<'a, str>) -> Result<Node<'a>, Error> {
    Ok(match kind.unwrapped() {
        Kind::Bool => Node::Bool(match &*text {
            "true" | "True" | "TRUE" | "t" | "T" | "1" => true,
            "false" | "False" | "FALSE" | "f" | "F" | "0" => false,
            _ => return Err(bad(param, format!("{text:?} is not a bool"))),
        }),
        Kind::Enum(e) => match text.parse::<i32>() {
            Ok(n) if e.values.iter().any(|(_, v)| *v == n) => Node::Int(n.into()),
            Ok(n) => return Err(bad(param, format!("{n} is not a value of {}", e.name))),
            Err(_) if e.values.iter().any(|(name, _)| *name == text) => Node::Str(text),
            Err(_) => return Err(bad(param, format!("{text:?} is not a value of {}", e.name))),
        },
        Kind::WellKnown(WellKnown::Struct | WellKnown::Value | WellKnown::ListValue) => {
            match serde_json::from_str::<Value>(&text) {
                Ok(v) => Node::from_json(v),
                Err(_) if matches!(kind, Kind::WellKnown(WellKnown::Value)) => Node::Str(text),
                Err(e) => return Err(bad(param, format!("not JSON: {e}"))),
            }
        }
        Kind::WellKnown(WellKnown::NullValue) => Node::Null,
        // The mapping's `"1.5s"`, and Go's `1h2m3.5s` that grpc-gateway and
        // kratos clients send.
        Kind::WellKnown(WellKnown::Duration) => match go_duration_to_json(&text) {
            Some(converted) => Node::Str(Cow::Owned(converted)),
            None => Node::Str(text),
        },
        Kind::Message(_) | Kind::Map(_) | Kind::WellKnown(WellKnown::Any | WellKnown::Empty) => {
            return Err(bad(param, "a message needs a field path (a.b=…)"));
        }
        // Numbers, strings, bytes, Timestamp, Duration, FieldMask: the JSON
        // mapping reads them from strings and checks them itself.
        _ => Node::Str(text),
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

/// What bound parameters are applied to: behind a trait object, so that
/// binding and naming the culprit are compiled once, not per message type.
pub trait ParamTarget {
    /// Applies the parameters, given as a JSON object's text.
    fn apply(&mut self, json: &[u8]) -> Result<(), String>;
    /// Why `json` would be rejected on its own (`None`: accepted); does not
    /// change the target.
    fn rejects(&mut self, json: &[u8]) -> Option<String>;
    /// Applies the parameters given as protobuf wire bytes, when the target
    /// is a protobuf message (`None`: it is not; they go as JSON).
    fn apply_protobuf(&mut self, _wire: &[u8]) -> Option<Result<(), String>> {
        None
    }
}

impl JsonBuilder<'_> {
    /// The tree as a JSON object's text.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.push(b'{');
        write_entries(&mut out, &self.object);
        out.push(b'}');
        out
    }

    /// The tree as the request message's protobuf encoding, when every
    /// value has one plain encoding (strings, bools, enums, decimal
    /// integers, messages of those); `None` when the JSON mapping is needed.
    pub fn to_protobuf(&self) -> Option<Vec<u8>> {
        if self.object.is_empty() {
            return Some(Vec::new());
        }
        let mut out = Vec::with_capacity(64);
        super::bind_wire::write_message(self.spec?, &self.object, &mut out)?;
        Some(out)
    }
}

/// Applies the built parameters to `target`: as protobuf wire bytes when
/// they all have a plain encoding and the target takes them, else as JSON
/// text; on failure, names the first parameter that fails on its own.
pub fn finish_into(builder: JsonBuilder<'_>, target: &mut dyn ParamTarget) -> Result<(), Error> {
    if let Some(wire) = builder.to_protobuf()
        && let Some(applied) = target.apply_protobuf(&wire)
    {
        // Bytes written from checked values: only prost's nesting limit
        // (a key 100 messages deep) can reject them.
        return applied.map_err(|e| {
            Error::bad_request("INVALID_ARGUMENT", format!("invalid parameters: {e}"))
        });
    }
    let json = builder.to_json();
    match target.apply(&json) {
        Ok(()) => Ok(()),
        Err(e) => {
            let mut rejects = |one: JsonBuilder<'_>| target.rejects(&one.to_json());
            Err(name_culprit(&builder, &mut rejects, &e))
        }
    }
}

/// serde_json's message without " at line L column C": for JSON text the
/// runtime wrote itself, where positions mean nothing to the caller.
pub(crate) fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) if e.line() > 0 => text[..at].to_string(),
        _ => text,
    }
}

/// The built parameters as a new `M` (deserialized from their JSON text):
/// for tests (the server merges into a message it made).
#[cfg(any(test, feature = "internals"))]
pub fn finish<M: serde::de::DeserializeOwned>(builder: JsonBuilder<'_>) -> Result<M, Error> {
    struct Fresh<M>(Option<M>);
    impl<M: serde::de::DeserializeOwned> ParamTarget for Fresh<M> {
        fn apply(&mut self, json: &[u8]) -> Result<(), String> {
            self.0 = Some(serde_json::from_slice(json).map_err(|e| without_position(&e))?);
            Ok(())
        }
        fn rejects(&mut self, json: &[u8]) -> Option<String> {
            serde_json::from_slice::<M>(json)
                .err()
                .map(|e| without_position(&e))
        }
    }
    let mut fresh = Fresh(None);
    finish_into(builder, &mut fresh)?;
    fresh
        .0
        .ok_or_else(|| Error::internal_server("BIND", "no message"))
}

/// The error for the first source of `sources` that `fails_alone` rejects
/// on its own. Not generic: only the deserialization is per message type.
fn name_culprit(
    sources: &JsonBuilder<'_>,
    fails_alone: &mut dyn FnMut(JsonBuilder<'_>) -> Option<String>,
    error: &str,
) -> Error {
    if let Some(spec) = sources.spec {
        for pair in strs::split(sources.query, b'&').filter(|p| !p.is_empty()) {
            let mut one = JsonBuilder::new();
            if one.query_pair(spec, pair, sources.excluded).is_ok()
                && let Some(why) = fails_alone(one)
            {
                let raw_key = pair.split_once('=').map_or(pair, |(k, _)| k);
                let key = form_decode(raw_key).unwrap_or(Cow::Borrowed(raw_key));
                return bad(key, why);
            }
        }
        for (field_path, value) in sources.variables.iter().zip(sources.values) {
            let mut one = JsonBuilder::new();
            if one.path(spec, field_path, value).is_ok()
                && let Some(why) = fails_alone(one)
            {
                return bad(Param::Path(field_path), why);
            }
        }
    }
    Error::bad_request("INVALID_ARGUMENT", format!("invalid parameters: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split() {
        assert_eq!(&*split_key("a.b.c").unwrap(), ["a", "b", "c"]);
        assert_eq!(&*split_key("m[k.x]").unwrap(), ["m", "k.x"]);
        assert_eq!(&*split_key("m[k]").unwrap(), ["m", "k"]);
        assert_eq!(&*split_key("m[k].v").unwrap(), ["m", "k", "v"]);
        assert_eq!(&*split_key("a").unwrap(), ["a"]);
        assert_eq!(&*split_key("m.").unwrap(), ["m", ""]);
        assert!(split_key("").unwrap().is_empty());
        assert!(split_key("m[k]=").is_err());
        assert_eq!(&*split_key("m[]]").unwrap(), ["m", "]"]);
        assert_eq!(&*split_key("m[a[b]").unwrap(), ["m", "a[b"]);
        assert_eq!(&*split_key("m[a]b]").unwrap(), ["m", "a]b"]);
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
