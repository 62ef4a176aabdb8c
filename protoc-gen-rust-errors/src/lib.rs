//! protoc-gen-rust-errors: kratos-style error helpers for prost enums.
//!
//! For every enum (top-level or nested) whose values carry an HTTP status
//! through kratos' `errors.default_code` / `errors.code` options, it emits
//! `is_<value>` / `error_<value>` functions and `code()`, `reason()`,
//! `error()`, `is()` methods plus `From<Enum> for protoway::Error`, in
//! `<package>.errors.rs` beside prost's `<package>.rs`.
//!
//! [`generate`] is the whole plugin: request in, files out. [`model`] reads
//! and validates the enums; [`render`] turns them into Rust.

pub mod model;
pub mod render;

use protoway_codegen::output::Output;
use protoway_codegen::params::Params;
use protoway_codegen::plugin::Setup;
use protoway_codegen::request::RawCodeGeneratorRequest;
use protoway_codegen::{Diagnostic, Request, ResponseFile};

/// Plugin parameters (`--rust-errors_opt=...`).
pub const PARAMETERS: &[&str] = &[
    "emit",
    "default_package_filename",
    "flat_output_dir",
    "rustfmt",
    "strict",
    "runtime_crate",
];

/// Settings taken from the plugin parameter.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the code goes (`emit=file|include|insert`).
    pub output: Output,
    /// Path of the runtime crate in generated code (`runtime_crate=::protoway`).
    pub runtime_crate: String,
    /// Codes kratos accepts with a warning (600) are errors.
    pub strict: bool,
}

impl Config {
    /// The plugin parameter parsed; an error naming a bad or unknown key.
    pub fn from_parameter(parameter: &str) -> Result<Config, String> {
        let params = Params::parse(parameter, PARAMETERS)?;
        let (output, runtime_crate) = params.common("errors")?;
        Ok(Config {
            output,
            runtime_crate,
            strict: params.flag("strict", false)?,
        })
    }
}

/// How the binary runs: no descriptor pool built for a request without
/// error options (see [`nothing_to_do`]).
pub const SETUP: Setup = Setup {
    nothing_to_do: Some(nothing_to_do),
};

/// `true` when no file to generate has an enum with `errors.default_code`
/// (field 1108 of `EnumOptions`) or a value with `errors.code` (1109 of
/// `EnumValueOptions`), found by scanning the undecoded descriptors, and the
/// parameter is valid: [`generate`] would answer no files and no error.
/// Anything the scan cannot read, or a file to generate that the request
/// lacks, answers `false`, for the full path to report.
pub fn nothing_to_do(request: &RawCodeGeneratorRequest) -> bool {
    use protoway_codegen::wire::{Value, fields};
    if Config::from_parameter(request.parameter.as_deref().unwrap_or("")).is_err() {
        return false;
    }
    /// What a length-delimited field holds, by where it was found.
    #[derive(Clone, Copy)]
    enum Scope {
        File,
        Message,
        Enum,
        EnumValue,
        EnumOptions,
        EnumValueOptions,
    }
    let mut found = 0;
    for file in &request.proto_file {
        let name = fields(file).find_map(|f| match f {
            Some(f) if f.number == 1 => Some(f.value),
            _ => None,
        });
        let Some(Value::Bytes(name)) = name else {
            continue;
        };
        if !request
            .file_to_generate
            .iter()
            .any(|f| f.as_bytes() == name)
        {
            continue;
        }
        found += 1;
        // Depth-first over nested messages, without recursion (the bytes
        // can nest as deep as they are long).
        let mut stack = vec![(Scope::File, file.as_slice())];
        while let Some((scope, bytes)) = stack.pop() {
            for field in fields(bytes) {
                let Some(field) = field else {
                    return false;
                };
                let next = match (scope, field.number) {
                    (Scope::EnumOptions, 1108) | (Scope::EnumValueOptions, 1109) => return false,
                    (Scope::File, 5) | (Scope::Message, 4) => Scope::Enum,
                    (Scope::File, 4) | (Scope::Message, 3) => Scope::Message,
                    (Scope::Enum, 3) => Scope::EnumOptions,
                    (Scope::Enum, 2) => Scope::EnumValue,
                    (Scope::EnumValue, 3) => Scope::EnumValueOptions,
                    _ => continue,
                };
                let Value::Bytes(inner) = field.value else {
                    return false;
                };
                stack.push((next, inner));
            }
        }
    }
    found == request.file_to_generate.len()
}

/// The plugin: one `<package>.errors.rs` per package that has error enums.
pub fn generate(request: &Request) -> Result<Vec<ResponseFile>, Vec<Diagnostic>> {
    let config =
        Config::from_parameter(request.parameter()).map_err(|e| vec![Diagnostic::general(e)])?;
    protoway_codegen::plugin::each_package(request, &config.output, |package, files| {
        match model::package_errors(request, package, files, config.strict)? {
            enums if enums.is_empty() => Ok(None),
            enums => render::render_package(&enums, &config)
                .map(Some)
                .map_err(|e| vec![Diagnostic::general(e)]),
        }
    })
}
