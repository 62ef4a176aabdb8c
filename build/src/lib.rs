//! protoway-build: one call in build.rs, shaped like tonic-build.
//!
//! ```no_run
//! protoway_build::configure()
//!     .openapi(format!("{}/openapi.yaml", std::env::var("OUT_DIR").unwrap()))
//!     .compile(&["library/v1/library.proto"], &["proto"])
//!     .unwrap();
//! ```
//!
//! Compiles the protos ([`descriptors`]: protox in-process, or protoc when
//! `PROTOC` is set or [`Builder::protoc`] asks), runs prost-build and
//! pbjson-build for the messages (well-known types from `pbjson_types`, but
//! Timestamp and FieldMask from `protoway::wkt`, whose JSON follows the
//! mapping), then protoc-gen-rust-http and protoc-gen-rust-errors in-process,
//! and writes everything to `OUT_DIR`: `<package>.rs`, `<package>.serde.rs`,
//! `<package>.http.rs` and `<package>.errors.rs`. protoway's shipped protos
//! (`errors/errors.proto`, `google/api/*.proto`, `openapiv3/*.proto`) are on
//! the include path after the user's, so users vendor nothing and their own
//! copies win.

pub mod descriptors;

use std::path::{Path, PathBuf};

use protoway_codegen::Request;
use protoway_codegen::compile::generate_into;
use protoway_codegen::names::json_wkt_extern_paths;

pub use descriptors::Compiled;

/// Starts a build configuration.
pub fn configure() -> Builder {
    Builder::default()
}

/// What to generate and where. Every parameter of the three plugins has a
/// method here; options that shape routes (`default_routes*`,
/// `allow_delete_body`) go to the server and the OpenAPI document alike, so
/// the two cannot disagree.
#[derive(Debug, Clone, Default)]
pub struct Builder {
    out_dir: Option<PathBuf>,
    compiler: CompilerChoice,
    errors_parameter: Vec<String>,
    http_parameter: Vec<String>,
    openapi_parameter: Vec<String>,
    extern_paths: Vec<(String, String)>,
    runtime_crate: Option<String>,
    default_package_filename: Option<String>,
    openapi_out: Option<PathBuf>,
    errors: Option<bool>,
    emit_rerun_if_changed: Option<bool>,
}

impl Builder {
    /// Where the files go (default: `$OUT_DIR`).
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Compile with this protoc binary instead of protox. Without this call,
    /// protoc is used when the `PROTOC` environment variable is set (as
    /// prost-build reads it), protox otherwise.
    pub fn protoc(mut self, path: impl Into<PathBuf>) -> Self {
        self.compiler = CompilerChoice::Protoc(Some(path.into()));
        self
    }

    /// `true`: compile with protoc (`$PROTOC`, else `protoc` on `PATH`);
    /// `false`: with protox even when `PROTOC` is set.
    pub fn use_protoc(mut self, yes: bool) -> Self {
        self.compiler = if yes {
            CompilerChoice::Protoc(None)
        } else {
            CompilerChoice::Protox
        };
        self
    }

    /// Path of the runtime crate in generated code (default `::protoway`);
    /// `runtime_crate` of the HTTP and errors plugins.
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

    /// File stem for protos without a package (prost's
    /// `default_package_filename`, default `_`), for every generator.
    pub fn default_package_filename(mut self, stem: &str) -> Self {
        self.default_package_filename = Some(stem.to_owned());
        for parameter in [&mut self.http_parameter, &mut self.errors_parameter] {
            parameter.push(format!("default_package_filename={stem}"));
        }
        self
    }

    /// Where the HTTP and errors code goes: `"file"` (default: own
    /// `<package>.http.rs` / `.errors.rs`), `"include"` (those files plus an
    /// `include!` of them appended to prost's `<package>.rs`) or `"insert"`
    /// (the code itself appended to prost's file). With `include`/`insert`,
    /// `include!` of `<package>.rs` alone brings everything but serde.
    pub fn emit(mut self, mode: &str) -> Self {
        for parameter in [&mut self.http_parameter, &mut self.errors_parameter] {
            parameter.push(format!("emit={mode}"));
        }
        self
    }

    /// Passes the generated HTTP and errors code through rustfmt (default
    /// false: prettyplease's layout, as prost-build writes it, with no
    /// process started). Needs a runnable rustfmt: `$RUSTFMT`, the one beside
    /// `$CARGO`, or `rustfmt` on `PATH`; prost's message files are not
    /// affected.
    pub fn rustfmt(mut self, yes: bool) -> Self {
        for parameter in [&mut self.http_parameter, &mut self.errors_parameter] {
            parameter.push(format!("rustfmt={yes}"));
        }
        self
    }

    /// Turns what kratos accepts with a warning into errors (default false:
    /// warnings): a GET or DELETE rule with a body (the body is ignored),
    /// `errors.code` 600. Server, errors and document alike.
    pub fn strict(mut self, yes: bool) -> Self {
        self.errors_parameter.push(format!("strict={yes}"));
        self.route_parameter(format!("strict={yes}"));
        self
    }

    /// Routes for methods without a `google.api.http` rule
    /// (`POST {prefix}/{package}.{Service}/{Method}`), like kratos'
    /// `omitempty=false`. Server and document alike.
    pub fn default_routes(mut self, yes: bool) -> Self {
        self.route_parameter(format!("default_routes={yes}"));
        self
    }

    /// Prefix of the default routes (`"/rpc"`). Server and document alike.
    pub fn default_routes_prefix(mut self, prefix: &str) -> Self {
        self.route_parameter(format!("default_routes_prefix={prefix}"));
        self
    }

    /// Accept a body on DELETE rules (grpc-gateway's `allow_delete_body`).
    /// Server and document alike.
    pub fn allow_delete_body(mut self, yes: bool) -> Self {
        self.route_parameter(format!("allow_delete_body={yes}"));
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

    /// Whether to run protoc-gen-rust-errors (default true).
    pub fn errors(mut self, yes: bool) -> Self {
        self.errors = Some(yes);
        self
    }

    /// Also writes the OpenAPI document of the compiled services to `path`
    /// (`.json` → JSON, anything else YAML), as protoc-gen-openapi would.
    pub fn openapi(mut self, path: impl Into<PathBuf>) -> Self {
        self.openapi_out = Some(path.into());
        self
    }

    /// Any protoc-gen-openapi parameter as text (`"naming=proto"`); the typed
    /// methods below set the same parameters.
    pub fn openapi_parameter(mut self, parameter: &str) -> Self {
        self.openapi_parameter.push(parameter.to_owned());
        self
    }

    /// `info.title` (gnostic's `title`).
    pub fn openapi_title(self, title: &str) -> Self {
        self.openapi_parameter(&format!("title={title}"))
    }

    /// `info.description` (gnostic's `description`).
    pub fn openapi_description(self, description: &str) -> Self {
        self.openapi_parameter(&format!("description={description}"))
    }

    /// `info.version` (gnostic's `version`, default `0.0.1`).
    pub fn openapi_info_version(self, version: &str) -> Self {
        self.openapi_parameter(&format!("version={version}"))
    }

    /// Field names: `"json"` (lowerCamel, default) or `"proto"`.
    pub fn openapi_naming(self, naming: &str) -> Self {
        self.openapi_parameter(&format!("naming={naming}"))
    }

    /// Schemas named by full proto name (`library.v1.Book`).
    pub fn openapi_fq_schema_naming(self, yes: bool) -> Self {
        self.openapi_parameter(&format!("fq_schema_naming={yes}"))
    }

    /// Enums as `"integer"` (default) or `"string"` schemas.
    pub fn openapi_enum_type(self, enum_type: &str) -> Self {
        self.openapi_parameter(&format!("enum_type={enum_type}"))
    }

    /// How often one message may recur in flattened query parameters (default 2).
    pub fn openapi_depth(self, depth: usize) -> Self {
        self.openapi_parameter(&format!("depth={depth}"))
    }

    /// Whether operations get a `default` error response (default true).
    pub fn openapi_default_response(self, yes: bool) -> Self {
        self.openapi_parameter(&format!("default_response={yes}"))
    }

    /// `"merged"` (default, one document) or `"source_relative"` (one per
    /// proto file, written beside the path given to [`Builder::openapi`]).
    pub fn openapi_output_mode(self, mode: &str) -> Self {
        self.openapi_parameter(&format!("output_mode={mode}"))
    }

    /// The OpenAPI version: `"3.0.3"` (default) or `"3.1.0"`.
    pub fn openapi_version(self, version: &str) -> Self {
        self.openapi_parameter(&format!("openapi={version}"))
    }

    /// `"yaml"` or `"json"` (default: from the extension of the path).
    pub fn openapi_format(self, format: &str) -> Self {
        self.openapi_parameter(&format!("format={format}"))
    }

    /// The default error response: `"protoway"` (the Error JSON the runtime
    /// sends, default) or `"status"` (google.rpc.Status).
    pub fn openapi_error_schema(self, schema: &str) -> Self {
        self.openapi_parameter(&format!("error_schema={schema}"))
    }

    /// Whether to print `cargo:rerun-if-changed` lines (default: when run by cargo).
    pub fn emit_rerun_if_changed(mut self, yes: bool) -> Self {
        self.emit_rerun_if_changed = Some(yes);
        self
    }

    fn route_parameter(&mut self, parameter: String) {
        self.http_parameter.push(parameter.clone());
        self.openapi_parameter.insert(0, parameter);
    }

    /// The protoc to run, if any.
    fn protoc_binary(&self) -> Option<PathBuf> {
        let from_env = || {
            std::env::var_os("PROTOC")
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
        };
        match &self.compiler {
            CompilerChoice::Protox => None,
            CompilerChoice::Default => from_env(),
            CompilerChoice::Protoc(Some(path)) => Some(path.clone()),
            CompilerChoice::Protoc(None) => Some(from_env().unwrap_or_else(|| "protoc".into())),
        }
    }

    /// Compiles `files` (paths under one of `includes`) and writes prost's and
    /// protoway's code. Errors carry protox's, protoc's or the plugin's
    /// located message.
    pub fn compile(
        self,
        files: &[impl AsRef<Path>],
        includes: &[impl AsRef<Path>],
    ) -> Result<(), Box<dyn std::error::Error>> {
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?),
        };
        std::fs::create_dir_all(&out_dir)?;
        let compiled = match self.protoc_binary() {
            Some(protoc) => descriptors::with_protoc(&protoc, files, includes, &out_dir)?,
            None => descriptors::with_protox(files, includes)?,
        };
        if self
            .emit_rerun_if_changed
            .unwrap_or(std::env::var_os("CARGO").is_some())
        {
            println!("cargo:rerun-if-env-changed=PROTOC");
            for path in compiled.source_paths(includes) {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
        self.messages(&compiled, &out_dir)?;
        self.protoway(&compiled, &out_dir)?;
        Ok(())
    }

    /// prost-build and pbjson-build: messages and enums of the requested
    /// files, with the same extern paths the HTTP generator uses.
    fn messages(
        &self,
        compiled: &Compiled,
        out_dir: &Path,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let mut fds = compiled.file_descriptor_set()?;
        // The requested files and the imports whose types they use (not
        // every import, as prost-build would: an annotation proto such as
        // google/api/http.proto would become an unused `google.api.rs`).
        // Extern packages stay in the set: prost resolves their types
        // (derive checks) but generates no code for them.
        let generate = descriptors::used_files(&fds, &compiled.to_generate);
        fds.file
            .retain(|f| generate.contains(f.name()) || f.package() == "google.protobuf");
        let mut packages: Vec<String> = fds
            .file
            .iter()
            .filter(|f| f.package() != "google.protobuf")
            .map(|f| format!(".{}", f.package()))
            .collect();
        packages.sort();
        packages.dedup();

        let mut prost = prost_build::Config::new();
        prost.out_dir(out_dir).compile_well_known_types();
        if let Some(stem) = &self.default_package_filename {
            prost.default_package_filename(stem);
        }
        let mut pbjson = pbjson_build::Builder::new();
        pbjson.out_dir(out_dir).ignore_unknown_fields();
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
        Ok(())
    }

    /// Our three plugins, in-process, exactly as protoc would run them.
    fn protoway(
        &self,
        compiled: &Compiled,
        out_dir: &Path,
    ) -> Result<(), Box<dyn std::error::Error>> {
        // prost-build writes flat `<package>.rs` files; ours go beside them.
        let rust_parameter = |own: &[String]| {
            std::iter::once("flat_output_dir")
                .chain(own.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(",")
        };
        // The generators share one rule model, so they may warn about the
        // same element: each warning is shown once.
        let mut warnings = std::collections::BTreeSet::new();
        let request = Request::from_raw(compiled.request(&rust_parameter(&self.http_parameter)))?;
        generate_into(&request, protoc_gen_rust_http::generate, out_dir)
            .map_err(|e| format!("protoc-gen-rust-http: {e}"))?;
        warnings.extend(request.take_warnings().iter().map(ToString::to_string));
        if self.errors.unwrap_or(true) {
            let request =
                Request::from_raw(compiled.request(&rust_parameter(&self.errors_parameter)))?;
            generate_into(&request, protoc_gen_rust_errors::generate, out_dir)
                .map_err(|e| format!("protoc-gen-rust-errors: {e}"))?;
            warnings.extend(request.take_warnings().iter().map(ToString::to_string));
        }
        let result = self.write_openapi(compiled, &mut warnings);
        // In a build script, cargo shows `cargo:warning` lines; elsewhere stderr.
        let build_script = std::env::var_os("OUT_DIR").is_some() && self.out_dir.is_none();
        for warning in &warnings {
            if build_script {
                println!("cargo:warning=protoway: {warning}");
            } else {
                eprintln!("protoway: warning: {warning}");
            }
        }
        result
    }

    /// protoc-gen-openapi in-process, when a document is asked for.
    fn write_openapi(
        &self,
        compiled: &Compiled,
        warnings: &mut std::collections::BTreeSet<String>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let Some(path) = &self.openapi_out else {
            return Ok(());
        };
        let mut parameter = Vec::new();
        if path.extension().is_some_and(|e| e == "json") {
            parameter.push("format=json".to_owned());
        }
        parameter.extend(self.openapi_parameter.iter().cloned());
        let request = Request::from_raw(compiled.request(&parameter.join(",")))?;
        let documents = protoc_gen_openapi::generate(&request).map_err(|d| {
            let lines: Vec<String> = d.iter().map(ToString::to_string).collect();
            format!("protoc-gen-openapi: {}", lines.join("\n"))
        })?;
        warnings.extend(request.take_warnings().iter().map(ToString::to_string));
        if documents.is_empty() {
            return Err("protoc-gen-openapi: no document (no service has HTTP rules)".into());
        }
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir)?;
        }
        let source_relative = self
            .openapi_parameter
            .iter()
            .any(|p| p == "output_mode=source_relative");
        if !source_relative {
            std::fs::write(path, documents[0].content())?;
        } else {
            // source_relative: one document per proto, beside `path`.
            let dir = dir.unwrap_or(Path::new("."));
            for document in &documents {
                let target = dir.join(document.name());
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(target, document.content())?;
            }
        }
        Ok(())
    }
}

/// Which compiler turns the protos into descriptors.
#[derive(Debug, Clone, Default)]
enum CompilerChoice {
    /// protoc when `PROTOC` is set, protox otherwise.
    #[default]
    Default,
    Protox,
    /// The given protoc, or `$PROTOC`, or `protoc` on `PATH`.
    Protoc(Option<PathBuf>),
}
