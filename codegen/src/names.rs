//! Rust names exactly as prost-build makes them, so generated code refers to
//! prost's types with no configuration.
//!
//! Mirrors prost-build 0.14 (`ident.rs`, `extern_paths.rs`, `resolve_ident`):
//! snake_case modules and functions, UpperCamelCase types, keyword escaping,
//! enum-prefix stripping, relative `super::` paths between packages, and
//! `extern_path` mappings (the well-known types map to `::prost_types`).

use std::collections::BTreeMap;

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;

/// Escapes a Rust keyword the way prost-build does: `r#type`, `self_`, `_1abc`.
pub fn sanitize_identifier(ident: &str) -> String {
    match ident {
        "as" | "break" | "const" | "continue" | "else" | "enum" | "false" | "fn" | "for" | "if"
        | "impl" | "in" | "let" | "loop" | "match" | "mod" | "move" | "mut" | "pub" | "ref"
        | "return" | "static" | "struct" | "trait" | "true" | "type" | "unsafe" | "use"
        | "where" | "while" | "dyn" | "abstract" | "become" | "box" | "do" | "final" | "macro"
        | "override" | "priv" | "typeof" | "unsized" | "virtual" | "yield" | "async" | "await"
        | "try" | "gen" => format!("r#{ident}"),
        // Not allowed as raw identifiers.
        "_" | "super" | "self" | "Self" | "extern" | "crate" => format!("{ident}_"),
        s if s.starts_with(|c: char| c.is_numeric()) => format!("_{ident}"),
        _ => ident.to_owned(),
    }
}

/// `lower_snake` for modules, fields and functions (`r#type` for keywords).
pub fn to_snake(s: &str) -> String {
    sanitize_identifier(&s.to_snake_case())
}

/// `lower_snake` as text to build other names from (`type` stays `type`):
/// `type_http`, `OPERATION_TYPE`.
pub fn to_snake_unescaped(s: &str) -> String {
    s.to_snake_case()
}

/// `UpperCamel` for types and enum variants (`Self_` for `Self`).
pub fn to_upper_camel(s: &str) -> String {
    sanitize_identifier(&s.to_upper_camel_case())
}

/// prost's enum variant name: UpperCamel, with the enum's name stripped
/// from the front when it is a true prefix (`ERROR_REASON_FOO` in
/// `ErrorReason` becomes `Foo`).
pub fn enum_variant(enum_name: &str, value_name: &str) -> String {
    let enum_name = to_upper_camel(enum_name);
    let name = to_upper_camel(value_name);
    let stripped = name.strip_prefix(enum_name.as_str()).unwrap_or(&name);
    let stripped = if stripped.starts_with(char::is_uppercase) {
        stripped
    } else {
        &name
    };
    sanitize_identifier(stripped)
}

/// The Rust module path of a proto package: `helloworld.v1` → `["helloworld", "v1"]`.
pub fn package_module(package: &str) -> Vec<String> {
    package
        .split('.')
        .filter(|s| !s.is_empty())
        .map(to_snake)
        .collect()
}

/// The output file stem prost uses for a package (`helloworld.v1`, or `_` for none).
pub fn package_file_stem(package: &str, default: &str) -> String {
    let module = package_module(package);
    if module.is_empty() {
        default.to_owned()
    } else {
        module.join(".")
    }
}

/// Resolves proto type names to Rust type paths as prost-build does.
#[derive(Debug, Clone)]
pub struct TypePaths {
    /// Proto path (`.google.protobuf`, `.pkg.Msg`) to Rust path.
    extern_paths: BTreeMap<String, String>,
}

impl Default for TypePaths {
    fn default() -> Self {
        TypePaths::new(&BTreeMap::new()).expect("built-in extern paths are valid")
    }
}

/// The well-known types as protoway-generated code expects them:
/// `pbjson_types` (prost structs with proto3 JSON serde), except Timestamp
/// and FieldMask, whose pbjson-types JSON breaks the mapping
/// (`+00:00`, `{"paths": []}`) and which come from `{runtime_crate}::wkt`.
pub fn json_wkt_extern_paths(runtime_crate: &str) -> Vec<(String, String)> {
    vec![
        (".google.protobuf".into(), "::pbjson_types".into()),
        (
            ".google.protobuf.Timestamp".into(),
            format!("{runtime_crate}::wkt::Timestamp"),
        ),
        (
            ".google.protobuf.FieldMask".into(),
            format!("{runtime_crate}::wkt::FieldMask"),
        ),
    ]
}

impl TypePaths {
    /// prost-build's default mapping (well-known types to `::prost_types`,
    /// wrappers to Rust primitives) plus the user's `extern_path`s, which win.
    pub fn new(user: &BTreeMap<String, String>) -> Result<TypePaths, String> {
        let mut extern_paths: BTreeMap<String, String> = [
            (".google.protobuf", "::prost_types"),
            (".google.protobuf.BoolValue", "bool"),
            (
                ".google.protobuf.BytesValue",
                "::prost::alloc::vec::Vec<u8>",
            ),
            (".google.protobuf.DoubleValue", "f64"),
            (".google.protobuf.Empty", "()"),
            (".google.protobuf.FloatValue", "f32"),
            (".google.protobuf.Int32Value", "i32"),
            (".google.protobuf.Int64Value", "i64"),
            (
                ".google.protobuf.StringValue",
                "::prost::alloc::string::String",
            ),
            (".google.protobuf.UInt32Value", "u32"),
            (".google.protobuf.UInt64Value", "u64"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (proto, rust) in user {
            if !proto.starts_with('.') || proto[1..].split('.').any(str::is_empty) {
                return Err(format!(
                    "extern_path `{proto}` must be a fully-qualified proto path starting with `.`"
                ));
            }
            // A user mapping of `.google.protobuf` replaces every built-in one.
            if proto == ".google.protobuf" {
                extern_paths.retain(|k, _| !k.starts_with(".google.protobuf"));
            }
            extern_paths.insert(proto.clone(), rust.clone());
        }
        Ok(TypePaths { extern_paths })
    }

    /// The Rust path (as source text) of the fully-qualified proto type
    /// `fq_type` (`.pkg.Outer.Inner`), seen from the module of `from_package`.
    pub fn rust_path(&self, from_package: &str, fq_type: &str) -> String {
        if let Some(path) = self.resolve_extern(fq_type) {
            return path;
        }
        let fq = fq_type.trim_start_matches('.');
        let mut local = from_package.split('.').filter(|s| !s.is_empty()).peekable();
        let mut ident_path = fq.split('.');
        let ident_type = ident_path.next_back().unwrap_or_default();
        let mut ident_path = ident_path.peekable();
        while local.peek().is_some() && local.peek() == ident_path.peek() {
            local.next();
            ident_path.next();
        }
        local
            .map(|_| "super".to_owned())
            .chain(ident_path.map(to_snake))
            .chain(std::iter::once(to_upper_camel(ident_type)))
            .collect::<Vec<_>>()
            .join("::")
    }

    /// [`TypePaths::rust_path`] as tokens, ready for `quote!`.
    pub fn rust_type(&self, from_package: &str, fq_type: &str) -> TokenStream {
        self.rust_path(from_package, fq_type)
            .parse()
            .unwrap_or_else(|_| quote::quote!(()))
    }

    fn resolve_extern(&self, fq_type: &str) -> Option<String> {
        if let Some(path) = self.extern_paths.get(fq_type) {
            return Some(path.clone());
        }
        for (idx, _) in fq_type.rmatch_indices('.') {
            if let Some(rust) = self.extern_paths.get(&fq_type[..idx]) {
                let mut rest = fq_type[idx + 1..].split('.');
                let ident_type = rest.next_back().map(to_upper_camel);
                let segments = rust.split("::").enumerate().map(|(i, s)| {
                    // A leading `crate`/empty segment stays as written.
                    if (i == 0 && (s == "crate" || s.is_empty())) || s.starts_with("r#") {
                        s.to_owned()
                    } else {
                        to_snake(s)
                    }
                });
                return Some(
                    segments
                        .chain(rest.map(to_snake))
                        .chain(ident_type)
                        .collect::<Vec<_>>()
                        .join("::"),
                );
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_escaped_like_prost() {
        assert_eq!(to_snake("type"), "r#type");
        assert_eq!(to_snake("self"), "self_");
        assert_eq!(to_snake("Async"), "r#async");
        assert_eq!(to_upper_camel("self"), "Self_");
        assert_eq!(to_snake("FooBar"), "foo_bar");
        assert_eq!(to_upper_camel("foo_bar"), "FooBar");
        assert_eq!(to_snake("USER_NOT_FOUND"), "user_not_found");
        assert_eq!(sanitize_identifier("1abc"), "_1abc");
    }

    #[test]
    fn enum_prefix_is_stripped_only_when_real() {
        assert_eq!(
            enum_variant("ErrorReason", "USER_NOT_FOUND"),
            "UserNotFound"
        );
        assert_eq!(
            enum_variant("ErrorReason", "ERROR_REASON_UNSPECIFIED"),
            "Unspecified"
        );
        assert_eq!(enum_variant("Foo", "FOOBAR"), "Foobar");
        assert_eq!(enum_variant("Kind", "KIND_SELF"), "Self_");
        assert_eq!(enum_variant("Kind", "KIND_1"), "Kind1");
    }

    #[test]
    fn type_paths_follow_prost_resolve_ident() {
        let p = TypePaths::default();
        assert_eq!(
            p.rust_path("helloworld.v1", ".helloworld.v1.HelloRequest"),
            "HelloRequest"
        );
        assert_eq!(
            p.rust_path("helloworld.v1", ".helloworld.v1.Outer.Inner"),
            "outer::Inner"
        );
        assert_eq!(p.rust_path("a.b", ".a.c.Msg"), "super::c::Msg");
        assert_eq!(p.rust_path("a.b", ".x.y.Msg"), "super::super::x::y::Msg");
        assert_eq!(p.rust_path("", ".x.Msg"), "x::Msg");
        assert_eq!(p.rust_path("a", ".Top"), "super::Top");
        assert_eq!(
            p.rust_path("a", ".google.protobuf.Timestamp"),
            "::prost_types::Timestamp"
        );
        assert_eq!(p.rust_path("a", ".google.protobuf.Empty"), "()");
        assert_eq!(
            p.rust_path("a", ".google.protobuf.StringValue"),
            "::prost::alloc::string::String"
        );
        assert_eq!(p.rust_path("a.type", ".a.type.Msg"), "Msg");
        assert_eq!(p.rust_path("a", ".b.type.Msg"), "super::b::r#type::Msg");
    }

    #[test]
    fn extern_paths_take_the_longest_prefix() {
        let user: BTreeMap<String, String> = [
            (".foo", "::foo1"),
            (".foo.bar", "::foo2"),
            (".foo.Fuzz", "::foo4::Fuzz"),
            (".google.protobuf", "::pbjson_types"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        let p = TypePaths::new(&user).unwrap();
        assert_eq!(p.rust_path("x", ".foo.Fuzz"), "::foo4::Fuzz");
        assert_eq!(p.rust_path("x", ".foo.bar.Baz"), "::foo2::Baz");
        assert_eq!(
            p.rust_path("x", ".foo.qux.Inner.Msg"),
            "::foo1::qux::inner::Msg"
        );
        assert_eq!(
            p.rust_path("x", ".google.protobuf.Empty"),
            "::pbjson_types::Empty"
        );
        assert!(TypePaths::new(&[("foo".to_owned(), "::x".to_owned())].into()).is_err());
    }

    #[test]
    fn package_files_are_named_like_prost() {
        assert_eq!(package_file_stem("helloworld.v1", "_"), "helloworld.v1");
        assert_eq!(package_file_stem("", "_"), "_");
        assert_eq!(package_file_stem("My.Pkg", "_"), "my.pkg");
        assert_eq!(package_module("a.type"), vec!["a", "r#type"]);
    }
}
