//! protoway-build: one call in build.rs, shaped like tonic-build.
//!
//! ```no_run
//! protoway_build::configure()
//!     .compile(&["helloworld/v1/error_reason.proto"], &["proto"])
//!     .unwrap();
//! ```
//!
//! Compiles the protos with protox (no protoc), runs prost-build for the
//! messages and protoc-gen-rust-errors in-process, and writes everything to
//! `OUT_DIR`: `<package>.rs` and `<package>.errors.rs`. protoway's shipped
//! protos (`errors/errors.proto`, `google/api/*.proto`) are on the include path.

use std::path::{Path, PathBuf};

use protoway_codegen::Request;
use protoway_codegen::compile::{compiler, generate_into, raw_request};

/// Starts a build configuration.
pub fn configure() -> Builder {
    Builder::default()
}

/// What to generate and where.
#[derive(Debug, Clone, Default)]
pub struct Builder {
    out_dir: Option<PathBuf>,
    errors_parameter: Vec<String>,
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
        self.errors_parameter.push(format!("runtime_crate={path}"));
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
        fds.file.retain(|f| generate.iter().any(|g| g == f.name()));
        prost_build::Config::new()
            .out_dir(&out_dir)
            .compile_fds(fds)?;

        // protoway: the plugins, exactly as protoc would run them.
        let request = Request::from_raw(raw_request(&compiler, &self.errors_parameter.join(",")))?;
        generate_into(&request, protoc_gen_rust_errors::generate, &out_dir)
            .map_err(|e| format!("protoc-gen-rust-errors: {e}"))?;
        Ok(())
    }
}
