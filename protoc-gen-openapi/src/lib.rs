//! protoc-gen-openapi: OpenAPI 3 documents for the services of a
//! CodeGeneratorRequest, read from the same rule model
//! (`protoway_codegen::http`) the server and client generators use, so the
//! paths, parameters and encodings are exactly what protoway serves.
//!
//! Entry points: the `protoc-gen-openapi` binary (run by protoc or buf) and
//! [`generate`], the whole plugin as a function (what protoway-build calls).
//!
//! Modules: [`config`] (plugin parameters, gnostic's plus ours),
//! [`document`] (services → paths and operations), [`schema`] (messages,
//! enums and well-known types → JSON Schema), [`yaml`] (output).

pub mod annotations;
pub mod config;
pub mod document;
pub mod schema;
pub mod yaml;

use protoway_codegen::{Diagnostic, Request, ResponseFile};

pub use config::Config;

/// Plugin entry point: one document (`output_mode=merged`, the default) or
/// one per proto file with services (`source_relative`).
pub fn generate(request: &Request) -> Result<Vec<ResponseFile>, Vec<Diagnostic>> {
    let config =
        Config::from_parameter(request.parameter()).map_err(|e| vec![Diagnostic::general(e)])?;
    // Files without services give no document (gnostic writes an empty
    // one): buf's per-directory strategy runs the plugin on every directory,
    // and a second `openapi.yaml` would collide with the real one.
    let has_services = request
        .files_to_generate()
        .iter()
        .any(|f| f.services().len() > 0);
    let groups: Vec<(String, Vec<prost_reflect::FileDescriptor>)> = match config.output_mode {
        config::OutputMode::Merged if !has_services => Vec::new(),
        config::OutputMode::Merged => vec![(
            format!("openapi.{}", config.format.extension()),
            request.files_to_generate().to_vec(),
        )],
        config::OutputMode::SourceRelative => request
            .files_to_generate()
            .iter()
            .filter(|f| f.services().len() > 0)
            .map(|f| {
                let stem = f.name().strip_suffix(".proto").unwrap_or(f.name());
                (
                    format!("{stem}.openapi.{}", config.format.extension()),
                    vec![f.clone()],
                )
            })
            .collect(),
    };
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for (name, group) in groups {
        match document::build(request, &config, &group) {
            Ok(doc) => files.push(ResponseFile {
                name: Some(name),
                content: Some(config.format.render(&doc)),
                ..Default::default()
            }),
            Err(mut d) => diagnostics.append(&mut d),
        }
    }
    if diagnostics.is_empty() {
        Ok(files)
    } else {
        Err(diagnostics)
    }
}
