//! protoway-build: one call in build.rs, shaped like tonic-build.
//!
//! ```no_run
//! protoway_build::configure()
//!     .compile(&["helloworld/v1/error_reason.proto"], &["proto"])
//!     .unwrap();
//! ```
//!
//! Compiles the protos with protox (no protoc), runs prost-build and
//! pbjson-build for the messages (well-known types from `pbjson_types`, but
//! Timestamp and FieldMask from `protoway::wkt`, whose JSON follows the mapping), then
//! protoc-gen-rust-http and protoc-gen-rust-errors in-process, and writes
//! everything to `OUT_DIR`: `<package>.rs`, `<package>.serde.rs`,
//! `<package>.http.rs` and `<package>.errors.rs`. protoway's shipped protos
//! (`errors/errors.proto`, `google/api/*.proto`) are on the include path.

use std::path::{Path, PathBuf};

use protoway_codegen::Request;
use protoway_codegen::compile::{compiler, generate_into, raw_request};
use protoway_codegen::names::json_wkt_extern_paths;

/// Starts a build configuration.
pub fn configure() -> Builder {
    Builder::default()
}

/// What to generate and where.
#[derive(Debug, Clone, Default)]
pub struct Builder {
    out_dir: Option<PathBuf>,
    errors_parameter: Vec<String>,
    http_parameter: Vec<String>,
    extern_paths: Vec<(String, String)>,
    runtime_crate: Option<String>,
    openapi_out: Option<PathBuf>,
    openapi_parameter: Vec<String>,
    emit_rerun_if_changed: Option<bool>,
}

impl Builder {
    /// Where the files go (default: `$OUT_DIR`).
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Path of the runtime crate in generated code (default `::protoway`).
    pub fn runtime_crate(mut self, path: &str) -> Self {
        self.runtime_crate = Some(path.to_owned());
        self.errors_parameter.push(format!("runtime_crate={path}"));
        self.http_parameter.push(format!("runtime_crate={path}"));
        self
    }

    /// Maps a proto path to an existing Rust path, for prost, pbjson and the
    /// HTTP generator alike (`.google.protobuf` is `::pbjson_types` already).
    pub fn extern_path(mut self, proto: &str, rust: &str) -> Self {
        self.extern_paths.push((proto.to_owned(), rust.to_owned()));
        self.http_parameter
            .push(format!("extern_path={proto}={rust}"));
        self
    }

    /// Routes for methods without a `google.api.http` rule
    /// (`POST /{package}.{Service}/{Method}`), like kratos' `omitempty=false`.
    pub fn default_routes(mut self, yes: bool) -> Self {
        self.http_parameter.push(format!("default_routes={yes}"));
        self
    }

    /// Accept a body on DELETE rules (grpc-gateway's `allow_delete_body`).
    pub fn allow_delete_body(mut self, yes: bool) -> Self {
        self.http_parameter.push(format!("allow_delete_body={yes}"));
        self
    }

    /// Trait methods answer 501 UNIMPLEMENTED unless implemented, like
    /// tonic-build's `generate_default_stubs`.
    pub fn default_stubs(mut self, yes: bool) -> Self {
        self.http_parameter.push(format!("default_stubs={yes}"));
        self
    }

    /// Whether to generate `<Service>Client` types (default true; they need
    /// protoway's `client` feature).
    pub fn client(mut self, yes: bool) -> Self {
        self.http_parameter.push(format!("client={yes}"));
        self
    }

    /// Also writes the OpenAPI document of the compiled services to `path`
    /// (`.json` → JSON, anything else YAML), as protoc-gen-openapi would.
    pub fn openapi(mut self, path: impl Into<PathBuf>) -> Self {
        self.openapi_out = Some(path.into());
        self
    }

    /// A protoc-gen-openapi parameter (`"naming=proto"`, `"enum_type=string"`).
    pub fn openapi_parameter(mut self, parameter: &str) -> Self {
        self.openapi_parameter.push(parameter.to_owned());
        self
    }

    /// Whether to print `cargo:rerun-if-changed` lines (default: when run by cargo).
    pub fn emit_rerun_if_changed(mut self, yes: bool) -> Self {
        self.emit_rerun_if_changed = Some(yes);
        self
    }

    /// Compiles `files` (paths under one of `includes`) and writes prost's and
    /// protoway's code. Errors carry protox's or the plugin's located message.
    pub fn compile(
        self,
        files: &[impl AsRef<Path>],
        includes: &[impl AsRef<Path>],
    ) -> Result<(), Box<dyn std::error::Error>> {
        let out_dir = match self.out_dir {
            Some(dir) => dir,
            None => PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?),
        };
        let mut compiler = compiler(includes);
        compiler.open_files(files)?;

        if self
            .emit_rerun_if_changed
            .unwrap_or(std::env::var_os("CARGO").is_some())
        {
            for file in compiler.files() {
                if let Some(path) = file.path() {
                    println!("cargo:rerun-if-changed={}", path.display());
                }
            }
        }

        // prost: messages and enums of the requested files only.
        let mut fds = compiler.file_descriptor_set();
        let generate: Vec<String> = compiler
            .files()
            .filter(|f| !f.is_import())
            .map(|f| f.name().to_owned())
            .collect();
        // Extern packages stay in the set: prost resolves their types
        // (derive checks) but generates no code for them.
        fds.file
            .retain(|f| generate.iter().any(|g| g == f.name()) || f.package() == "google.protobuf");
        let packages: Vec<String> = {
            let mut p: Vec<String> = fds
                .file
                .iter()
                .filter(|f| f.package() != "google.protobuf")
                .map(|f| format!(".{}", f.package()))
                .collect();
            p.sort();
            p.dedup();
            p
        };
        let mut prost = prost_build::Config::new();
        prost.out_dir(&out_dir).compile_well_known_types();
        let mut pbjson = pbjson_build::Builder::new();
        pbjson.out_dir(&out_dir).ignore_unknown_fields();
        let runtime_crate = self.runtime_crate.as_deref().unwrap_or("::protoway");
        for (proto, rust) in json_wkt_extern_paths(runtime_crate)
            .iter()
            .filter(|(proto, _)| proto != ".google.protobuf")
        {
            prost.extern_path(proto, rust);
            pbjson.extern_path(proto, rust);
        }
        prost.extern_path(".google.protobuf", "::pbjson_types");
        for (proto, rust) in &self.extern_paths {
            prost.extern_path(proto, rust);
            pbjson.extern_path(proto, rust);
        }
        // pbjson sees the same files as prost, so the two outputs line up.
        let descriptors = prost::Message::encode_to_vec(&fds);
        prost.compile_fds(fds)?;
        pbjson
            .register_descriptors(&descriptors)?
            .build(&packages)?;

        // protoway: the plugins, exactly as protoc would run them.
        let request = Request::from_raw(raw_request(&compiler, &self.http_parameter.join(",")))?;
        generate_into(&request, protoc_gen_rust_http::generate, &out_dir)
            .map_err(|e| format!("protoc-gen-rust-http: {e}"))?;
        let request = Request::from_raw(raw_request(&compiler, &self.errors_parameter.join(",")))?;
        generate_into(&request, protoc_gen_rust_errors::generate, &out_dir)
            .map_err(|e| format!("protoc-gen-rust-errors: {e}"))?;
        if let Some(path) = &self.openapi_out {
            let mut parameter = self.openapi_parameter.clone();
            if path.extension().is_some_and(|e| e == "json") {
                parameter.push("format=json".into());
            }
            let request = Request::from_raw(raw_request(&compiler, &parameter.join(",")))?;
            let files = protoc_gen_openapi::generate(&request).map_err(|d| {
                let lines: Vec<String> = d.iter().map(ToString::to_string).collect();
                format!("protoc-gen-openapi: {}", lines.join("\n"))
            })?;
            let content = files
                .into_iter()
                .next()
                .and_then(|f| f.content)
                .ok_or("protoc-gen-openapi: no document (no service has HTTP rules)")?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(path, content)?;
        }
        Ok(())
    }
}
