//! Building a `CodeGeneratorRequest` in-process with protox (no protoc needed),
//! for build scripts and tests.
//!
//! protoway's own annotation protos (`errors/errors.proto`,
//! `google/api/*.proto`, `openapiv3/*.proto`) are compiled into this crate and resolved after the
//! user's include directories, so users vendor nothing and their own copies win.

use std::path::Path;

use prost::Message;
use protox::Compiler;
use protox::file::{
    ChainFileResolver, File, FileResolver, GoogleFileResolver, IncludeFileResolver,
};

use crate::request::RawCodeGeneratorRequest;

pub use crate::shipped::SHIPPED_PROTOS;

/// Resolves [`SHIPPED_PROTOS`].
struct ShippedProtos;

impl FileResolver for ShippedProtos {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match SHIPPED_PROTOS.iter().find(|(n, _)| *n == name) {
            Some((name, source)) => File::from_source(name, source),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// A protox compiler over `includes`, then protoway's shipped protos, then
/// the well-known types; with imports and source info (comments, positions).
pub fn compiler(includes: &[impl AsRef<Path>]) -> Compiler {
    let mut resolver = ChainFileResolver::new();
    for include in includes {
        resolver.add(IncludeFileResolver::new(include.as_ref().to_owned()));
    }
    resolver.add(ShippedProtos);
    resolver.add(GoogleFileResolver::new());
    let mut compiler = Compiler::with_file_resolver(resolver);
    compiler.include_imports(true).include_source_info(true);
    compiler
}

/// Compiles `files` (paths under one of `includes`) and returns the encoded
/// request protoc would send a plugin, options and source info included.
pub fn request_bytes(
    files: &[impl AsRef<Path>],
    includes: &[impl AsRef<Path>],
    parameter: &str,
) -> Result<Vec<u8>, String> {
    let mut compiler = compiler(includes);
    compiler.open_files(files).map_err(|e| format!("{e:?}"))?;
    Ok(raw_request(&compiler, parameter).encode_to_vec())
}

/// Compiles `files` in-process and runs `generate` on them, as protoc
/// would run the plugin: what plugin tests call.
pub fn respond_to_protos(
    files: &[impl AsRef<Path>],
    includes: &[impl AsRef<Path>],
    parameter: &str,
    generate: crate::plugin::Generator,
) -> Result<crate::Response, String> {
    crate::plugin::respond(&request_bytes(files, includes, parameter)?, generate)
}

/// The one file of a generator's `response`, as (name, content), checked
/// to parse as Rust: what plugin tests review. `Err` says what the
/// response holds instead (an error, no file, several).
pub fn only_rust_file(response: &crate::Response) -> Result<(String, String), String> {
    if let Some(error) = &response.error {
        return Err(error.clone());
    }
    let [file] = response.file.as_slice() else {
        let names: Vec<&str> = response.file.iter().map(|f| f.name()).collect();
        return Err(format!("expected one file, got {names:?}"));
    };
    syn::parse_file(file.content())
        .map_err(|e| format!("{}: generated code does not parse: {e}", file.name()))?;
    Ok((file.name().to_owned(), file.content().to_owned()))
}

/// The request for the files opened in `compiler`, undecoded.
pub fn raw_request(compiler: &Compiler, parameter: &str) -> RawCodeGeneratorRequest {
    let opened: std::collections::HashSet<&str> = compiler
        .files()
        .filter(|f| !f.is_import())
        .map(|f| f.name())
        .collect();
    let pool = compiler.descriptor_pool();
    // Pool order is dependency order; keep it for file_to_generate too.
    let file_to_generate = pool
        .files()
        .filter(|f| opened.contains(f.name()))
        .map(|f| f.name().to_owned())
        .collect();
    // The pool's own encoding keeps extension options (FileDescriptorProto would not).
    let proto_file = pool.files().map(|f| f.encode_to_vec()).collect();
    RawCodeGeneratorRequest {
        file_to_generate,
        parameter: (!parameter.is_empty()).then(|| parameter.to_owned()),
        proto_file,
        compiler_version: None,
    }
}

/// Runs `generate` on `request` in-process and writes the files it answers
/// into `out_dir` (a build script's `OUT_DIR`). Insertions go where protoc
/// puts them: before the insertion point's marker in the file an earlier
/// generator wrote, or, as prost-build writes no markers, at its end. Returns the paths written; a
/// generation error comes back as the located message.
pub fn generate_into(
    request: &crate::Request,
    generate: crate::plugin::Generator,
    out_dir: &Path,
) -> Result<Vec<std::path::PathBuf>, String> {
    let response = crate::plugin::respond_to(request, generate);
    if let Some(error) = response.error {
        return Err(error);
    }
    let mut written = Vec::new();
    for file in response.file {
        let path = out_dir.join(file.name());
        if let Some(point) = &file.insertion_point {
            insert(&path, point, file.content())?;
            written.push(path);
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&path, file.content()).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Applies one insertion like protoc does for `@@protoc_insertion_point(point)`.
fn insert(path: &Path, point: &str, content: &str) -> Result<(), String> {
    let existing = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: insertion point `{point}`: {e}", path.display()))?;
    let marker = format!("// @@protoc_insertion_point({point})");
    let updated = match existing.find(&marker) {
        Some(at) => {
            let line_start = existing[..at].rfind('\n').map_or(0, |i| i + 1);
            format!(
                "{}{content}{}",
                &existing[..line_start],
                &existing[line_start..]
            )
        }
        None if existing.is_empty() || existing.ends_with('\n') => format!("{existing}{content}"),
        None => format!("{existing}\n{content}"),
    };
    std::fs::write(path, updated).map_err(|e| format!("{}: {e}", path.display()))
}
