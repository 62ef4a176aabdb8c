//! protoc-gen-rust-http: axum servers from `google.api.http` annotations.
//!
//! For every service with annotated methods it emits, in
//! `<package>.http.rs` beside prost's `<package>.rs`, a module
//! `<service>_http` with `OPERATION_*` constants, a service trait (one
//! async method per bound RPC), `routes()` / `router()` and static route
//! and message tables that the `protoway` runtime matches and binds with.
//!
//! [`generate`] is the whole plugin. [`model`] reads and validates the
//! services; [`render`] turns the model into Rust.

pub mod model;
pub mod render;

use std::collections::BTreeMap;

use protoway_codegen::names::{TypePaths, json_wkt_extern_paths};
use protoway_codegen::output::Output;
use protoway_codegen::params::Params;
use protoway_codegen::{Diagnostic, Request, ResponseFile};

/// Plugin parameters (`--rust-http_opt=...`).
pub const PARAMETERS: &[&str] = &[
    "emit",
    "default_package_filename",
    "flat_output_dir",
    "rustfmt",
    "runtime_crate",
    "extern_path",
    "default_routes",
    "default_routes_prefix",
    "allow_delete_body",
    "strict",
    "default_stubs",
    "client",
    "server",
];

/// Settings taken from the plugin parameter.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the code goes (`emit=file|include|insert`).
    pub output: Output,
    /// Path of the runtime crate in generated code (`runtime_crate=::protoway`).
    pub runtime_crate: String,
    /// `extern_path=.proto.pkg=::rust::path` mappings (repeatable). The
    /// well-known types default to `::pbjson_types`, which carry the proto3
    /// JSON serde impls the server needs, except Timestamp and FieldMask,
    /// which come from the runtime's `wkt` module (see
    /// [`json_wkt_extern_paths`]).
    pub extern_paths: BTreeMap<String, String>,
    /// Route methods without a rule as `POST {prefix}/{package}.{Service}/{Method}`.
    pub default_routes: bool,
    /// Prefix of the default routes (empty by default).
    pub default_routes_prefix: String,
    /// Accept a body on DELETE (grpc-gateway's `allow_delete_body`).
    pub allow_delete_body: bool,
    /// Rules kratos accepts with a warning are errors.
    pub strict: bool,
    /// Trait methods get a default body answering 501 UNIMPLEMENTED
    /// (tonic-build's `generate_default_stubs`).
    pub default_stubs: bool,
    /// Also generate `<Service>Client` (needs protoway's `client` feature).
    pub client: bool,
    /// Also generate `routes()` / `router()` (needs protoway's `server`
    /// feature); `server=false` for a client-only crate.
    pub server: bool,
}

impl Config {
    /// The rule-reading choices shared with the other plugins.
    pub fn http_options(&self) -> protoway_codegen::http::HttpOptions {
        protoway_codegen::http::HttpOptions {
            default_routes: self.default_routes,
            default_routes_prefix: self.default_routes_prefix.clone(),
            allow_delete_body: self.allow_delete_body,
            strict: self.strict,
        }
    }

    /// The plugin parameter parsed; an error naming a bad or unknown key.
    pub fn from_parameter(parameter: &str) -> Result<Config, String> {
        let params = Params::parse(parameter, PARAMETERS)?;
        let (output, runtime_crate) = params.common("http")?;
        let mut extern_paths: BTreeMap<String, String> =
            json_wkt_extern_paths(&runtime_crate).into_iter().collect();
        extern_paths.extend(params.mappings("extern_path")?);
        TypePaths::new(&extern_paths)?;
        let prefix = params.get("default_routes_prefix").unwrap_or("").to_owned();
        if !prefix.is_empty() && !prefix.starts_with('/') {
            return Err(format!(
                "parameter `default_routes_prefix` must start with '/': `{prefix}`"
            ));
        }
        Ok(Config {
            output,
            runtime_crate,
            extern_paths,
            default_routes: params.flag("default_routes", false)?,
            default_routes_prefix: prefix,
            allow_delete_body: params.flag("allow_delete_body", false)?,
            strict: params.flag("strict", false)?,
            default_stubs: params.flag("default_stubs", false)?,
            client: params.flag("client", true)?,
            server: params.flag("server", true)?,
        })
    }

    /// Proto type → Rust path resolution with this config's extern paths.
    pub fn type_paths(&self) -> TypePaths {
        TypePaths::new(&self.extern_paths).unwrap_or_default()
    }
}

/// The plugin: one `<package>.http.rs` per package with HTTP services.
pub fn generate(request: &Request) -> Result<Vec<ResponseFile>, Vec<Diagnostic>> {
    let config =
        Config::from_parameter(request.parameter()).map_err(|e| vec![Diagnostic::general(e)])?;
    protoway_codegen::plugin::each_package(request, &config.output, |package, files| {
        match model::package(request, &config, package, files)? {
            p if p.services.is_empty() => Ok(None),
            p => render::render_package(&p, &config)
                .map(Some)
                .map_err(|e| vec![Diagnostic::general(e)]),
        }
    })
}
