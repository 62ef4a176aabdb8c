//! Building a `CodeGeneratorRequest` in-process with protox (no protoc needed),
//! for build scripts and tests.

use std::path::Path;

use prost::Message;

use crate::request::RawCodeGeneratorRequest;

/// Compiles `files` (paths under one of `includes`) and returns the encoded
/// request protoc would send a plugin, options and source info included.
pub fn request_bytes(
    files: &[impl AsRef<Path>],
    includes: &[impl AsRef<Path>],
    parameter: &str,
) -> Result<Vec<u8>, String> {
    Ok(raw_request(files, includes, parameter)?.encode_to_vec())
}

/// Like [`request_bytes`], undecoded.
pub fn raw_request(
    files: &[impl AsRef<Path>],
    includes: &[impl AsRef<Path>],
    parameter: &str,
) -> Result<RawCodeGeneratorRequest, String> {
    let mut compiler = protox::Compiler::new(includes).map_err(|e| e.to_string())?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(files).map_err(|e| format!("{e:?}"))?;
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
    Ok(RawCodeGeneratorRequest {
        file_to_generate,
        parameter: (!parameter.is_empty()).then(|| parameter.to_owned()),
        proto_file,
        compiler_version: None,
    })
}

/// Compiles `files`, runs `generate` on the request in-process and writes the
/// files it answers into `out_dir` (a build script's `OUT_DIR`). Returns the
/// paths written; a generation error comes back as the located message.
pub fn generate_into(
    files: &[impl AsRef<Path>],
    includes: &[impl AsRef<Path>],
    parameter: &str,
    generate: crate::plugin::Generator,
    out_dir: &Path,
) -> Result<Vec<std::path::PathBuf>, String> {
    let request = crate::Request::from_raw(raw_request(files, includes, parameter)?)?;
    let response = crate::plugin::respond_to(&request, generate);
    if let Some(error) = response.error {
        return Err(error);
    }
    let mut written = Vec::new();
    for file in response.file {
        if file.insertion_point.is_some() {
            return Err("emit=insert/include needs prost's file in the same protoc run; use emit=file from build.rs".into());
        }
        let path = out_dir.join(file.name());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&path, file.content()).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
