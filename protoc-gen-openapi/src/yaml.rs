//! JSON values as block-style YAML: maps and lists on their own lines,
//! strings plain when YAML reads them back as the same string and
//! double-quoted (JSON escapes, valid YAML) otherwise.

use serde_json::Value;

/// `value` as a YAML document.
///
/// Everything is written straight into one `String` (no per-line or
/// per-scalar temporaries: a large document has ~100,000 lines).
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_list(&mut out, items, 0),
        scalar => {
            write_inline(&mut out, scalar);
            out.push('\n');
        }
    }
    out
}

const INDENT: usize = 4;

fn write_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (key, value) in map {
        write_indent(out, indent);
        write_string(out, key);
        out.push(':');
        write_value(out, value, indent);
    }
}

fn write_list(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        write_indent(out, indent);
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                // The first key shares the dash's line; the rest align with it.
                let mut first = true;
                for (key, value) in map {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        write_indent(out, indent + 2);
                    }
                    write_string(out, key);
                    out.push(':');
                    write_value(out, value, indent + 2);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_list(out, inner, indent + 2);
            }
            scalar => {
                out.push(' ');
                write_inline(out, scalar);
                out.push('\n');
            }
        }
    }
}

/// After `key:`: a nested block on the next lines, or a scalar on this one.
fn write_value(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, indent + INDENT);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_list(out, items, indent + INDENT);
        }
        scalar => {
            out.push(' ');
            write_inline(out, scalar);
            out.push('\n');
        }
    }
}

fn write_inline(out: &mut String, value: &Value) {
    use std::fmt::Write;
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_string(out, s),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// A string YAML reads back unchanged: plain when safe, else quoted.
fn write_string(out: &mut String, s: &str) {
    if is_plain(s) {
        out.push_str(s);
    } else {
        out.push_str(&serde_json::to_string(s).expect("strings serialize"));
    }
}

fn is_plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let special_word = [
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~",
    ]
    .iter()
    .any(|word| s.eq_ignore_ascii_case(word));
    (first.is_ascii_alphabetic() || first == '/' || first == '_' || first == '$')
        && !special_word
        && !s.ends_with(' ')
        && !s.ends_with(':')
        && !s.contains(": ")
        && !s.contains(" #")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || " _./$(){}-:=,;+<>".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn string(s: &str) -> String {
        let mut out = String::new();
        write_string(&mut out, s);
        out
    }

    #[test]
    fn strings_quote_when_yaml_would_change_them() {
        for plain in ["type", "/v1/messages:csv", "$ref", "Messaging API", "a.b_c"] {
            assert_eq!(string(plain), plain);
        }
        for quoted in [
            "",
            "200",
            "true",
            "No",
            "#/components/schemas/X",
            "@type",
            "a: b",
            "*/*",
            "x\ny",
            "0.0.1",
            "-1",
        ] {
            assert!(string(quoted).starts_with('"'), "{quoted}");
        }
    }

    #[test]
    fn blocks() {
        let v = json!({"a": {"b": [1, {"c": "d", "e": []}], "f": {}}, "g": "h"});
        assert_eq!(
            to_yaml(&v),
            "a:\n    b:\n        - 1\n        - c: d\n          e: []\n    f: {}\ng: h\n"
        );
    }
}
