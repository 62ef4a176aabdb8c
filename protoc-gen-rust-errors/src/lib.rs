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
use protoway_codegen::{Diagnostic, Request, ResponseFile};

/// Plugin parameters (`--rust-errors_opt=...`).
pub const PARAMETERS: &[&str] = &[
    "emit",
    "default_package_filename",
    "flat_output_dir",
    "runtime_crate",
];

/// Settings taken from the plugin parameter.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the code goes (`emit=file|include|insert`).
    pub output: Output,
    /// Path of the runtime crate in generated code (`runtime_crate=::protoway`).
    pub runtime_crate: String,
}

impl Config {
    pub fn from_parameter(parameter: &str) -> Result<Config, String> {
        let params = Params::parse(parameter, PARAMETERS)?;
        let (output, runtime_crate) = params.common("errors")?;
        Ok(Config {
            output,
            runtime_crate,
        })
    }
}

/// The plugin: one `<package>.errors.rs` per package that has error enums.
pub fn generate(request: &Request) -> Result<Vec<ResponseFile>, Vec<Diagnostic>> {
    let config =
        Config::from_parameter(request.parameter()).map_err(|e| vec![Diagnostic::general(e)])?;
    protoway_codegen::plugin::each_package(request, &config.output, |package, files| {
        match model::package_errors(request, package, files)? {
            enums if enums.is_empty() => Ok(None),
            enums => render::render_package(&enums, &config)
                .map(Some)
                .map_err(|e| vec![Diagnostic::general(e)]),
        }
    })
}
