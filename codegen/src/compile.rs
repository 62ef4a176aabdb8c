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
    let opened: std::collections::HashSet<&str> =
        compiler.files().filter(|f| !f.is_import()).map(|f| f.name()).collect();
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
