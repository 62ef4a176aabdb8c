//! The error enums of a package: which values get helpers, with which codes
//! and names, validated before anything is rendered.

use std::collections::BTreeMap;

use prost_reflect::{EnumDescriptor, FileDescriptor, MessageDescriptor};
use protoway_codegen::names::{enum_variant, to_snake, to_upper_camel};
use protoway_codegen::options::{errors_code, errors_default_code, is_deprecated};
use protoway_codegen::source::Element;
use protoway_codegen::{Diagnostic, Problem, Request};

/// HTTP statuses an error may carry.
const STATUS_RANGE: std::ops::RangeInclusive<i32> = 100..=599;

/// The code kratos also accepts (its range ends at 600): a warning, or an
/// error under `strict`.
const KRATOS_LAST_CODE: i32 = 600;

/// `code` (of `option`, on `element`) as an HTTP status: in range; 600 with
/// a warning (an error under `strict`); anything else an error.
fn checked_code(
    request: &Request,
    element: &impl Element,
    option: &'static str,
    code: i32,
    strict: bool,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<u16> {
    if STATUS_RANGE.contains(&code) {
        return Some(code as u16);
    }
    if code == KRATOS_LAST_CODE {
        let warning = request.diagnostic(
            element,
            Problem::StatusCode {
                option,
                code,
                lenient: true,
            },
        );
        if strict {
            diagnostics.push(warning);
            return None;
        }
        request.warn(warning);
        return Some(code as u16);
    }
    diagnostics.push(request.diagnostic(
        element,
        Problem::StatusCode {
            option,
            code,
            lenient: false,
        },
    ));
    None
}

/// One enum with at least one value that has an effective code.
#[derive(Debug, Clone)]
pub struct ErrorEnum {
    /// Rust path of the prost enum relative to the package module (`outer::Reason`).
    pub rust_path: String,
    /// Proto name relative to the package (`Outer.Reason`), for docs.
    pub proto_name: String,
    /// Marked `deprecated` in the proto.
    pub deprecated: bool,
    /// Every prost variant (aliases folded), each with its code if any.
    pub variants: Vec<Variant>,
    /// Values with an effective code: they get `is_*` / `error_*`.
    pub errors: Vec<ErrorValue>,
}

/// A prost enum variant and its effective code.
#[derive(Debug, Clone)]
pub struct Variant {
    /// prost's variant name (`UserNotFound`).
    pub rust_name: String,
    /// Its `errors.code`, or the enum's default code.
    pub code: Option<u16>,
    /// Marked `deprecated` in the proto.
    pub deprecated: bool,
}

/// A value that gets `is_<name>` / `error_<name>` functions.
#[derive(Debug, Clone)]
pub struct ErrorValue {
    /// The reason sent on the wire: the proto value name (`USER_NOT_FOUND`).
    pub reason: String,
    /// `user_not_found` (prefixed with the parent messages for nested enums).
    pub fn_suffix: String,
    /// The HTTP status its errors carry.
    pub code: u16,
    /// Marked `deprecated` in the proto.
    pub deprecated: bool,
    /// The value's proto comment, line by line.
    pub doc: Vec<String>,
}

/// Collects and validates the error enums of the files of one package.
pub fn package_errors(
    request: &Request,
    package: &str,
    files: &[FileDescriptor],
    strict: bool,
) -> Result<Vec<ErrorEnum>, Vec<Diagnostic>> {
    let mut enums = Vec::new();
    let mut diagnostics = Vec::new();
    for file in files {
        let mut all = file.enums().collect::<Vec<_>>();
        file.messages().for_each(|m| nested_enums(&m, &mut all));
        for e in all {
            match error_enum(request, &e, strict) {
                Ok(Some(found)) => enums.push(found),
                Ok(None) => {}
                Err(mut found) => diagnostics.append(&mut found),
            }
        }
    }
    check_unique_functions(request, package, files, &enums, &mut diagnostics);
    if diagnostics.is_empty() {
        Ok(enums)
    } else {
        Err(diagnostics)
    }
}

fn nested_enums(message: &MessageDescriptor, out: &mut Vec<EnumDescriptor>) {
    out.extend(message.child_enums());
    for child in message.child_messages() {
        nested_enums(&child, out);
    }
}

fn error_enum(
    request: &Request,
    e: &EnumDescriptor,
    strict: bool,
) -> Result<Option<ErrorEnum>, Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let default_code = match errors_default_code(e) {
        Some(0) | None => None,
        Some(code) => checked_code(request, e, "default_code", code, strict, &mut diagnostics),
    };

    // Message path inside the package: `Outer.Inner` for `Outer.Inner.Reason`.
    let relative = e.label().trim_start_matches("enum ").to_owned();
    let parents: Vec<&str> = relative.split('.').collect();
    let parents = &parents[..parents.len() - 1];
    let rust_path = parents
        .iter()
        .map(|p| to_snake(p))
        .chain(std::iter::once(to_upper_camel(e.name())))
        .collect::<Vec<_>>()
        .join("::");
    let fn_prefix: String = parents
        .iter()
        .map(|p| format!("{}_", heck_snake(p)))
        .collect();

    let mut variants = Vec::new();
    let mut errors = Vec::new();
    let mut seen_numbers = std::collections::HashSet::new();
    let enum_deprecated = is_deprecated(e);
    // Declaration order, as prost-build reads it (the pool sorts by number),
    // so the first of several aliases is the one prost keeps as a variant.
    let declared = e
        .enum_descriptor_proto()
        .value
        .iter()
        .filter_map(|v| e.get_value_by_name(v.name()));
    for value in declared {
        let code = match errors_code(&value) {
            Some(0) | None => default_code,
            Some(code) => checked_code(request, &value, "code", code, strict, &mut diagnostics),
        };
        let deprecated = is_deprecated(&value);
        // prost keeps the first value of each number; later ones are aliases.
        if seen_numbers.insert(value.number()) {
            variants.push(Variant {
                rust_name: enum_variant(e.name(), value.name()),
                code,
                deprecated,
            });
        }
        if let Some(code) = code {
            errors.push(ErrorValue {
                reason: value.name().to_owned(),
                fn_suffix: format!("{fn_prefix}{}", heck_snake(value.name())),
                code,
                deprecated: deprecated || enum_deprecated,
                doc: request.comments(&value).doc_lines(),
            });
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    Ok((!errors.is_empty()).then_some(ErrorEnum {
        rust_path,
        proto_name: relative,
        deprecated: enum_deprecated,
        variants,
        errors,
    }))
}

/// snake_case without keyword escaping: the name is always used with a prefix.
fn heck_snake(name: &str) -> String {
    to_snake(name)
        .trim_start_matches("r#")
        .trim_end_matches('_')
        .to_owned()
}

/// Two values whose helpers would share a name (possible only with nested
/// enums, since proto scopes value names per parent) are reported, not renamed.
fn check_unique_functions(
    request: &Request,
    package: &str,
    files: &[FileDescriptor],
    enums: &[ErrorEnum],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for e in enums {
        for v in &e.errors {
            if let Some(first) = seen.insert(&v.fn_suffix, &e.proto_name) {
                let full = if package.is_empty() {
                    e.proto_name.clone()
                } else {
                    format!("{package}.{}", e.proto_name)
                };
                let located = request
                    .pool()
                    .get_enum_by_name(&full)
                    .and_then(|d| d.get_value_by_name(&v.reason))
                    .map(|value| request.diagnostic(&value, ""));
                let (file, position, element) = match located {
                    Some(d) => (d.file, d.position, d.element),
                    None => (
                        files[0].name().to_owned(),
                        None,
                        format!("enum value {}", v.reason),
                    ),
                };
                diagnostics.push(Diagnostic::new(
                    file,
                    position,
                    element,
                    format!(
                        "helpers `is_{0}`/`error_{0}` would also be generated for enum {first}; rename one of the values",
                        v.fn_suffix
                    ),
                ));
            }
        }
    }
}
