//! The protoc plugin protocol, shared by every plugin binary.
//!
//! A plugin is a pure [`Generator`]; [`respond`] turns request bytes into a
//! response (problems go to `CodeGeneratorResponse.error`, as protoc expects),
//! and [`main`] is the whole of a plugin's `fn main`.

use std::io::{Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;

use prost::Message;

use crate::request::RawCodeGeneratorRequest;
use crate::{Diagnostic, Request, Response, ResponseFile};

/// `CodeGeneratorResponse.Feature.FEATURE_PROTO3_OPTIONAL`.
pub const FEATURE_PROTO3_OPTIONAL: u64 = 1;

/// What a plugin does: files for the request, or the problems that stop it.
pub type Generator = fn(&Request) -> Result<Vec<ResponseFile>, Vec<Diagnostic>>;

/// Runs `generate` on an encoded `CodeGeneratorRequest`.
///
/// `Err` only when the bytes are not a request at all; everything about the
/// protos themselves is reported in the response's `error`. A panic inside
/// the generator is a bug, but still becomes an error response, not a crash.
/// The per-package loop of the Rust generators: `render` returns a
/// package's file content (`None` when it has nothing to emit), written
/// under `output`'s naming; every package's diagnostics are collected.
pub fn each_package(
    request: &Request,
    output: &crate::output::Output,
    mut render: impl FnMut(
        &str,
        &[prost_reflect::FileDescriptor],
    ) -> Result<Option<String>, Vec<Diagnostic>>,
) -> Result<Vec<ResponseFile>, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for (package, package_files) in request.packages() {
        match render(&package, &package_files) {
            Ok(Some(content)) => files.extend(output.files(&package, content)),
            Ok(None) => {}
            Err(mut found) => diagnostics.append(&mut found),
        }
    }
    if diagnostics.is_empty() {
        Ok(files)
    } else {
        Err(diagnostics)
    }
}

/// The response to an encoded `CodeGeneratorRequest`: `generate`'s files,
/// or its diagnostics as the response's error; `Err` when `bytes` is not a
/// request.
pub fn respond(bytes: &[u8], generate: Generator) -> Result<Response, String> {
    let request = Request::decode(bytes)?;
    Ok(respond_to(&request, generate))
}

/// [`respond`], plus the warnings generation recorded, as the text a
/// plugin binary prints on stderr: what tests of warnings call.
pub fn respond_with_warnings(
    bytes: &[u8],
    generate: Generator,
) -> Result<(Response, Vec<String>), String> {
    let request = Request::decode(bytes)?;
    let response = respond_to(&request, generate);
    let warnings = request
        .take_warnings()
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok((response, warnings))
}

/// Runs `generate` on a decoded request.
pub fn respond_to(request: &Request, generate: Generator) -> Response {
    let outcome = catch_unwind(AssertUnwindSafe(|| generate(request)));
    let (file, error) = match outcome {
        Ok(Ok(files)) => (files, None),
        Ok(Err(diagnostics)) => (Vec::new(), Some(crate::diagnostic::join(&diagnostics))),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            (
                Vec::new(),
                Some(format!("internal error (please report): {what}")),
            )
        }
    };
    Response {
        error,
        supported_features: Some(FEATURE_PROTO3_OPTIONAL),
        file,
    }
}

/// What a plugin binary does besides generating (see [`run`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Setup {
    /// A check on the undecoded request: `true` when it certainly generates
    /// nothing and reports nothing, so the answer is an empty response with
    /// no descriptor pool built (the errors plugin on the many packages
    /// without error enums).
    pub nothing_to_do: Option<fn(&RawCodeGeneratorRequest) -> bool>,
}

/// The body of a plugin binary's `main` that needs no [`Setup`].
pub fn main(name: &str, version: &str, about: &str, generate: Generator) -> ExitCode {
    run(name, version, about, generate, Setup::default())
}

/// The body of a plugin binary's `main`.
///
/// `--version` and `--help` answer on stdout; otherwise the request is read
/// from stdin and the response written to stdout. Input that is not a
/// request exits 1 with one line on stderr and no backtrace.
pub fn run(name: &str, version: &str, about: &str, generate: Generator, setup: Setup) -> ExitCode {
    if let Some(arg) = std::env::args().nth(1) {
        return match arg.as_str() {
            "--export-protos" => {
                let Some(dir) = std::env::args().nth(2) else {
                    eprintln!("{name}: --export-protos DIR: name the directory");
                    return ExitCode::from(2);
                };
                match crate::shipped::export(std::path::Path::new(&dir)) {
                    Ok(written) => {
                        for path in written {
                            println!("{}", path.display());
                        }
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("{name}: --export-protos {dir}: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
            "--version" | "-V" => {
                println!("{name} {version}");
                ExitCode::SUCCESS
            }
            "--help" | "-h" => {
                println!(
                    "{name} {version}\n{about}\n\nA protoc plugin: run it through protoc, e.g. protoc --{}_out=OUT_DIR file.proto\n\n--export-protos DIR  writes the protos protoway ships (google/api, errors, openapiv3) under DIR, for protoc -I or a buf module",
                    name.trim_start_matches("protoc-gen-")
                );
                ExitCode::SUCCESS
            }
            other => {
                eprintln!(
                    "{name}: unexpected argument `{other}` (protoc passes the request on stdin; try --help)"
                );
                ExitCode::from(2)
            }
        };
    }
    // Generator bugs are reported through the response; keep the default
    // hook from printing a backtrace to protoc's terminal.
    std::panic::set_hook(Box::new(|_| {}));
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("{name}: cannot read stdin: {e}");
        return ExitCode::FAILURE;
    }
    let raw = match RawCodeGeneratorRequest::decode(input.as_slice()) {
        Ok(raw) => raw,
        Err(e) => {
            eprintln!("{name}: stdin is not a CodeGeneratorRequest: {e}");
            return ExitCode::FAILURE;
        }
    };
    let response = if setup.nothing_to_do.is_some_and(|nothing| nothing(&raw)) {
        Response {
            supported_features: Some(FEATURE_PROTO3_OPTIONAL),
            ..Default::default()
        }
    } else {
        let request = match Request::from_raw(raw) {
            Ok(request) => request,
            Err(e) => {
                eprintln!("{name}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let response = respond_to(&request, generate);
        for warning in request.take_warnings() {
            eprintln!("{name}: warning: {warning}");
        }
        // The process exits next: freeing the descriptor pool piece by
        // piece would cost 15% of a small request's time for nothing.
        std::mem::forget(request);
        response
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(&response.encode_to_vec())
        .and_then(|_| stdout.flush())
    {
        eprintln!("{name}: cannot write the response: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
