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
//!
//! Entry points: [`configure`] → [`Builder`] (typed options: [`Emit`],
//! [`Naming`], [`EnumType`], [`OutputMode`], [`OpenApiVersion`], [`Format`],
//! [`ErrorSchema`]) → [`Builder::compile`] or [`Builder::compile_with_config`]
//! (prost-build's own `Config` passed through); [`Builder::include_file`] for
//! one module tree over many packages.

pub mod descriptors;
mod options;

use std::path::{Path, PathBuf};

use protoway_codegen::Request;
use protoway_codegen::compile::generate_into;
use protoway_codegen::names::json_wkt_extern_paths;

pub use descriptors::Compiled;
pub use options::{EnumType, OpenApiVersion};
pub use protoc_gen_openapi::config::{ErrorSchema, Format, Naming, OutputMode};
pub use protoway_codegen::output::Emit;

use options::ParameterValue;

/// Starts a build configuration.
pub fn configure() -> Builder {
    Builder::default()
}

/// What to generate and where. Every parameter of the three plugins has a
/// typed method here; options that shape routes (`default_routes*`,
/// `allow_delete_body`, `strict`) go to the server and the OpenAPI document
/// alike, so the two cannot disagree. prost-build's own configuration
/// passes through [`Builder::compile_with_config`].
#[derive(Debug, Clone, Default)]
pub struct Builder {
    out_dir: Option<PathBuf>,
    compiler: CompilerChoice,
    extern_paths: Vec<(String, String)>,
    runtime_crate: Option<String>,
    default_package_filename: Option<String>,
    emit: Option<Emit>,
    rustfmt: bool,
    strict: bool,
    default_routes: bool,
    default_routes_prefix: Option<String>,
    allow_delete_body: bool,
    default_stubs: bool,
    client: Option<bool>,
    server: Option<bool>,
    errors: Option<bool>,
    openapi: OpenApi,
    include_file: Option<PathBuf>,
    file_descriptor_set: Option<PathBuf>,
    emit_rerun_if_changed: Option<bool>,
}

/// protoc-gen-openapi's settings, typed.
#[derive(Debug, Clone, Default)]
struct OpenApi {
    path: Option<PathBuf>,
    title: Option<String>,
    description: Option<String>,
    info_version: Option<String>,
    naming: Option<Naming>,
    fq_schema_naming: Option<bool>,
    enum_type: Option<EnumType>,
    depth: Option<usize>,
    default_response: Option<bool>,
    output_mode: Option<OutputMode>,
    version: Option<OpenApiVersion>,
    format: Option<Format>,
    error_schema: Option<ErrorSchema>,
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
        self
    }

    /// Maps a proto path to an existing Rust path, for prost, pbjson and the
    /// HTTP generator alike (`.google.protobuf` is `::pbjson_types` already).
    pub fn extern_path(mut self, proto: &str, rust: &str) -> Self {
        self.extern_paths.push((proto.to_owned(), rust.to_owned()));
        self
    }

    /// File stem for protos without a package (prost's
    /// `default_package_filename`, default `_`), for every generator.
    pub fn default_package_filename(mut self, stem: &str) -> Self {
        self.default_package_filename = Some(stem.to_owned());
        self
    }

    /// Where the HTTP and errors code goes: [`Emit::File`] (default: own
    /// `<package>.http.rs` / `.errors.rs`), [`Emit::Include`] (those files
    /// plus an `include!` of them appended to prost's `<package>.rs`) or
    /// [`Emit::Insert`] (the code itself appended to prost's file). With
    /// `Include`/`Insert`, `include!` of `<package>.rs` brings everything
    /// but serde.
    pub fn emit(mut self, emit: Emit) -> Self {
        self.emit = Some(emit);
        self
    }

    /// Passes the generated HTTP and errors code through rustfmt (default
    /// false: prettyplease's layout, as prost-build writes it, with no
    /// process started). Needs a runnable rustfmt: `$RUSTFMT`, the one beside
    /// `$CARGO`, or `rustfmt` on `PATH`; prost's message files are not
    /// affected.
    pub fn rustfmt(mut self, yes: bool) -> Self {
        self.rustfmt = yes;
        self
    }

    /// Turns what kratos accepts with a warning into errors (default false:
    /// warnings): a GET or DELETE rule with a body (the body is ignored),
    /// `errors.code` 600. Server, errors and document alike.
    pub fn strict(mut self, yes: bool) -> Self {
        self.strict = yes;
        self
    }

    /// Routes for methods without a `google.api.http` rule
    /// (`POST {prefix}/{package}.{Service}/{Method}`), like kratos'
    /// `omitempty=false`. Server and document alike.
    pub fn default_routes(mut self, yes: bool) -> Self {
        self.default_routes = yes;
        self
    }

    /// Prefix of the default routes (`"/rpc"`). Server and document alike.
    pub fn default_routes_prefix(mut self, prefix: &str) -> Self {
        self.default_routes_prefix = Some(prefix.to_owned());
        self
    }

    /// Accept a body on DELETE rules (grpc-gateway's `allow_delete_body`).
    /// Server and document alike.
    pub fn allow_delete_body(mut self, yes: bool) -> Self {
        self.allow_delete_body = yes;
        self
    }

    /// Trait methods answer 501 UNIMPLEMENTED unless implemented, like
    /// tonic-build's `generate_default_stubs`.
    pub fn default_stubs(mut self, yes: bool) -> Self {
        self.default_stubs = yes;
        self
    }

    /// Whether to generate `<Service>Client` types (default true; they need
    /// protoway's `client` feature).
    pub fn client(mut self, yes: bool) -> Self {
        self.client = Some(yes);
        self
    }

    /// Whether to generate `routes()` / `router()` (default true; they need
    /// protoway's `server` feature). `server(false)` leaves the trait and
    /// the client: a client-only crate compiles without axum.
    pub fn server(mut self, yes: bool) -> Self {
        self.server = Some(yes);
        self
    }

    /// Whether to run protoc-gen-rust-errors (default true).
    pub fn errors(mut self, yes: bool) -> Self {
        self.errors = Some(yes);
        self
    }

    /// Also writes a module tree that includes every generated file of
    /// every package (prost's, pbjson's, ours) at `path` (relative to the
    /// output directory), like prost-build's `include_file`:
    /// `include!(concat!(env!("OUT_DIR"), "/protos.rs"));` brings all
    /// packages as nested modules (`library::v1`, `google::api`, …).
    pub fn include_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.include_file = Some(path.into());
        self
    }

    /// Also writes the compiled files and their imports as an encoded
    /// `FileDescriptorSet` at `path` (relative to the output directory),
    /// like prost-build's `file_descriptor_set_path`: what gRPC server
    /// reflection serves (`tonic_reflection::server::Builder::
    /// register_encoded_file_descriptor_set`).
    pub fn file_descriptor_set(mut self, path: impl Into<PathBuf>) -> Self {
        self.file_descriptor_set = Some(path.into());
        self
    }

    /// Also writes the OpenAPI document of the compiled services to `path`
    /// (`.json` → JSON, anything else YAML), as protoc-gen-openapi would.
    pub fn openapi(mut self, path: impl Into<PathBuf>) -> Self {
        self.openapi.path = Some(path.into());
        self
    }

    /// `info.title` (gnostic's `title`).
    pub fn openapi_title(mut self, title: &str) -> Self {
        self.openapi.title = Some(title.to_owned());
        self
    }

    /// `info.description` (gnostic's `description`).
    pub fn openapi_description(mut self, description: &str) -> Self {
        self.openapi.description = Some(description.to_owned());
        self
    }

    /// `info.version` (gnostic's `version`, default `0.0.1`).
    pub fn openapi_info_version(mut self, version: &str) -> Self {
        self.openapi.info_version = Some(version.to_owned());
        self
    }

    /// Field names: [`Naming::Json`] (lowerCamel, default) or [`Naming::Proto`].
    pub fn openapi_naming(mut self, naming: Naming) -> Self {
        self.openapi.naming = Some(naming);
        self
    }

    /// Schemas named by full proto name (`library.v1.Book`).
    pub fn openapi_fq_schema_naming(mut self, yes: bool) -> Self {
        self.openapi.fq_schema_naming = Some(yes);
        self
    }

    /// Enums as [`EnumType::Integer`] (default) or [`EnumType::String`] schemas.
    pub fn openapi_enum_type(mut self, enum_type: EnumType) -> Self {
        self.openapi.enum_type = Some(enum_type);
        self
    }

    /// How often one message may recur in flattened query parameters (default 2).
    pub fn openapi_depth(mut self, depth: usize) -> Self {
        self.openapi.depth = Some(depth);
        self
    }

    /// Whether operations get a `default` error response (default true).
    pub fn openapi_default_response(mut self, yes: bool) -> Self {
        self.openapi.default_response = Some(yes);
        self
    }

    /// [`OutputMode::Merged`] (default, one document) or
    /// [`OutputMode::SourceRelative`] (one per proto file, written beside
    /// the path given to [`Builder::openapi`]).
    pub fn openapi_output_mode(mut self, mode: OutputMode) -> Self {
        self.openapi.output_mode = Some(mode);
        self
    }

    /// The OpenAPI version (default [`OpenApiVersion::V3_0`], 3.0.3).
    pub fn openapi_version(mut self, version: OpenApiVersion) -> Self {
        self.openapi.version = Some(version);
        self
    }

    /// YAML or JSON (default: from the extension of the path).
    pub fn openapi_format(mut self, format: Format) -> Self {
        self.openapi.format = Some(format);
        self
    }

    /// The default error response: [`ErrorSchema::Protoway`] (the Error
    /// JSON the runtime sends, default) or [`ErrorSchema::Status`]
    /// (google.rpc.Status).
    pub fn openapi_error_schema(mut self, schema: ErrorSchema) -> Self {
        self.openapi.error_schema = Some(schema);
        self
    }

    /// Whether to print `cargo:rerun-if-changed` lines (default: when run by cargo).
    pub fn emit_rerun_if_changed(mut self, yes: bool) -> Self {
        self.emit_rerun_if_changed = Some(yes);
        self
    }

    /// The parameters both Rust plugins share, then `own`.
    fn rust_parameter(&self, own: &[String]) -> String {
        // prost-build writes flat `<package>.rs` files; ours go beside them.
        let mut p = vec!["flat_output_dir".to_owned()];
        if let Some(path) = &self.runtime_crate {
            p.push(format!("runtime_crate={path}"));
        }
        if let Some(stem) = &self.default_package_filename {
            p.push(format!("default_package_filename={stem}"));
        }
        if let Some(emit) = self.emit {
            p.push(format!("emit={}", emit.parameter()));
        }
        p.push(format!("rustfmt={}", self.rustfmt));
        p.push(format!("strict={}", self.strict));
        p.extend(own.iter().cloned());
        p.join(",")
    }

    /// What shapes routes: the server's and the document's alike.
    fn route_parameters(&self) -> Vec<String> {
        let mut p = vec![
            format!("default_routes={}", self.default_routes),
            format!("allow_delete_body={}", self.allow_delete_body),
            format!("strict={}", self.strict),
        ];
        if let Some(prefix) = &self.default_routes_prefix {
            p.push(format!("default_routes_prefix={prefix}"));
        }
        p
    }

    fn http_parameter(&self) -> String {
        let mut own: Vec<String> = self
            .extern_paths
            .iter()
            .map(|(proto, rust)| format!("extern_path={proto}={rust}"))
            .collect();
        own.extend(self.route_parameters());
        own.push(format!("default_stubs={}", self.default_stubs));
        if let Some(client) = self.client {
            own.push(format!("client={client}"));
        }
        if let Some(server) = self.server {
            own.push(format!("server={server}"));
        }
        self.rust_parameter(&own)
    }

    fn openapi_parameter_text(&self, path: &Path) -> String {
        let o = &self.openapi;
        let mut p = self.route_parameters();
        let format = o
            .format
            .unwrap_or(if path.extension().is_some_and(|e| e == "json") {
                Format::Json
            } else {
                Format::Yaml
            });
        p.push(format!("format={}", format.extension()));
        let text = |key: &str, value: &Option<String>| value.as_ref().map(|v| format!("{key}={v}"));
        p.extend(text("title", &o.title));
        p.extend(text("description", &o.description));
        p.extend(text("version", &o.info_version));
        if let Some(naming) = o.naming {
            p.push(format!("naming={}", naming.parameter()));
        }
        if let Some(yes) = o.fq_schema_naming {
            p.push(format!("fq_schema_naming={yes}"));
        }
        if let Some(enum_type) = o.enum_type {
            p.push(format!("enum_type={}", enum_type.parameter()));
        }
        if let Some(depth) = o.depth {
            p.push(format!("depth={depth}"));
        }
        if let Some(yes) = o.default_response {
            p.push(format!("default_response={yes}"));
        }
        if let Some(mode) = o.output_mode {
            p.push(format!("output_mode={}", mode.parameter()));
        }
        if let Some(version) = o.version {
            p.push(format!("openapi={}", version.parameter()));
        }
        if let Some(schema) = o.error_schema {
            p.push(format!("error_schema={}", schema.parameter()));
        }
        p.join(",")
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
        self.compile_with_config(prost_build::Config::new(), files, includes)
    }

    /// [`Builder::compile`] with prost-build's own configuration
    /// (`type_attribute`, `bytes`, `btree_map`, `boxed`, …), as
    /// tonic-prost-build's `compile_with_config`. The builder then sets what
    /// the generated HTTP code relies on: the output directory, the
    /// well-known types and the extern paths.
    pub fn compile_with_config(
        self,
        prost: prost_build::Config,
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
        self.messages(prost, &compiled, &out_dir)?;
        self.protoway(&compiled, &out_dir)?;
        if let Some(name) = &self.include_file {
            write_include_file(&out_dir, name, &compiled)?;
        }
        if let Some(path) = &self.file_descriptor_set {
            let set = prost::Message::encode_to_vec(&compiled.file_descriptor_set()?);
            std::fs::write(out_dir.join(path), set)?;
        }
        Ok(())
    }

    /// prost-build and pbjson-build: messages and enums of the requested
    /// files, with the same extern paths the HTTP generator uses.
    fn messages(
        &self,
        mut prost: prost_build::Config,
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
        // The generators share one rule model, so they may warn about the
        // same element: each warning is shown once.
        let mut warnings = std::collections::BTreeSet::new();
        let request = Request::from_raw(compiled.request(&self.http_parameter()))?;
        generate_into(&request, protoc_gen_rust_http::generate, out_dir)
            .map_err(|e| format!("protoc-gen-rust-http: {e}"))?;
        warnings.extend(request.take_warnings().iter().map(ToString::to_string));
        if self.errors.unwrap_or(true) {
            let request = Request::from_raw(compiled.request(&self.rust_parameter(&[])))?;
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
        let Some(path) = &self.openapi.path else {
            return Ok(());
        };
        let parameter = self.openapi_parameter_text(path);
        let request = Request::from_raw(compiled.request(&parameter))?;
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
        if self.openapi.output_mode != Some(OutputMode::SourceRelative) {
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

/// prost-build's `include_file`, for every file of every package: one
/// nested module per package component, including the package's prost,
/// pbjson, HTTP and errors files that exist in `out_dir`.
fn write_include_file(
    out_dir: &Path,
    name: &Path,
    compiled: &Compiled,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut packages: Vec<String> = compiled
        .file_descriptor_set()?
        .file
        .iter()
        .map(|f| f.package().to_owned())
        .filter(|p| !p.is_empty() && p != "google.protobuf")
        .collect();
    packages.sort();
    packages.dedup();
    let mut tree = ModuleTree::default();
    for package in &packages {
        let files: Vec<String> = ["rs", "serde.rs", "http.rs", "errors.rs"]
            .iter()
            .map(|suffix| format!("{package}.{suffix}"))
            .filter(|file| out_dir.join(file).is_file())
            .collect();
        // With emit=include/insert, prost's file already brings ours.
        let files = match std::fs::read_to_string(out_dir.join(format!("{package}.rs"))) {
            Ok(prost) => files
                .into_iter()
                .filter(|f| !prost.contains(&format!("include!(\"{f}\");")))
                .collect(),
            Err(_) => files,
        };
        if !files.is_empty() {
            let module = protoway_codegen::names::package_module(package);
            tree.insert(&module, files);
        }
    }
    let mut text = String::from("// @generated by protoway-build. Do not edit.\n");
    tree.write(&mut text, 0);
    let path = out_dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)?;
    Ok(())
}

/// Modules by name, each with the files it includes.
#[derive(Default)]
struct ModuleTree {
    files: Vec<String>,
    children: std::collections::BTreeMap<String, ModuleTree>,
}

impl ModuleTree {
    fn insert(&mut self, path: &[String], files: Vec<String>) {
        match path.split_first() {
            None => self.files.extend(files),
            Some((first, rest)) => self
                .children
                .entry(first.clone())
                .or_default()
                .insert(rest, files),
        }
    }

    fn write(&self, out: &mut String, depth: usize) {
        let indent = "    ".repeat(depth);
        for file in &self.files {
            out.push_str(&format!(
                "{indent}include!(concat!(env!(\"OUT_DIR\"), \"/{file}\"));\n"
            ));
        }
        for (name, child) in &self.children {
            out.push_str(&format!("{indent}pub mod {name} {{\n"));
            child.write(out, depth + 1);
            out.push_str(&format!("{indent}}}\n"));
        }
    }
}
