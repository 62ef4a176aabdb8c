//! Decoding a `CodeGeneratorRequest` into a descriptor pool that keeps custom options.
//!
//! prost-types' `CodeGeneratorRequest` decodes `proto_file` into
//! `FileDescriptorProto`s, which silently drops every extension inside
//! `*Options` (our `google.api.http`, `errors.code`, …). So the request is
//! decoded here with `proto_file` kept as raw bytes, and those bytes go
//! straight into a prost-reflect `DescriptorPool`, which resolves extensions.

use prost::Message;
use prost_reflect::{DescriptorPool, FileDescriptor};

use crate::source::SourceIndex;
use crate::wire::Value;

/// `google.protobuf.compiler.CodeGeneratorRequest` with `proto_file` left encoded.
#[derive(Clone, PartialEq, Message)]
pub struct RawCodeGeneratorRequest {
    /// The files protoc asks code for (their dependencies are only read).
    #[prost(string, repeated, tag = "1")]
    pub file_to_generate: Vec<String>,
    /// The plugin parameter (`key=value,flag`).
    #[prost(string, optional, tag = "2")]
    pub parameter: Option<String>,
    /// Encoded `FileDescriptorProto`s, dependencies first.
    #[prost(bytes = "vec", repeated, tag = "15")]
    pub proto_file: Vec<Vec<u8>>,
    /// protoc's version.
    #[prost(message, optional, tag = "3")]
    pub compiler_version: Option<prost_types::compiler::Version>,
}

/// A decoded request: the pool, the files to generate and the parameter string.
#[derive(Debug)]
pub struct Request {
    pool: DescriptorPool,
    files_to_generate: Vec<FileDescriptor>,
    parameter: String,
    /// Per pool file (by file index): its `source_code_info`, kept out of
    /// the pool, still encoded.
    sources: Vec<SourceIndex>,
    /// What generation accepted but the user should know (a skipped
    /// method, a rule kratos accepts with a warning); printed on stderr by
    /// the plugin binaries, as `cargo:warning` by protoway-build.
    warnings: std::sync::Mutex<Vec<crate::Diagnostic>>,
}

impl Request {
    /// Decodes the bytes protoc writes to a plugin's stdin.
    pub fn decode(bytes: &[u8]) -> Result<Request, String> {
        let raw = RawCodeGeneratorRequest::decode(bytes)
            .map_err(|e| format!("stdin is not a CodeGeneratorRequest: {e}"))?;
        Request::from_raw(raw)
    }

    /// Builds the pool from an already decoded raw request.
    pub fn from_raw(raw: RawCodeGeneratorRequest) -> Result<Request, String> {
        // Re-frame the files as one FileDescriptorSet (field 1) so the pool
        // links them in one pass, whatever order protoc sent them in.
        // `source_code_info` (field 9) is most of the bytes (80% in a typical
        // googleapis request, comments of every import included) and most of
        // the pool's decoding time; it is set aside undecoded and only the
        // files a generator asks about are decoded, by `source`.
        check_dependency_graph(&raw.proto_file)?;
        let mut set = Vec::with_capacity(raw.proto_file.iter().map(|f| f.len() + 6).sum());
        let mut source_bytes = std::collections::HashMap::new();
        for file in &raw.proto_file {
            let (name, source) = split_source_info(file, &mut set);
            if let (Some(name), Some(source)) = (name, source) {
                source_bytes.insert(name, source);
            }
        }
        // prost-reflect 0.16.5 can panic on malformed descriptors (an index
        // out of bounds while labelling its own error; found by the
        // `plugin_request` fuzz target), so a panic here is bad input too.
        let decoded =
            std::panic::catch_unwind(|| DescriptorPool::decode(set.as_slice())).map_err(|_| {
                "invalid file descriptors in CodeGeneratorRequest (malformed)".to_owned()
            })?;
        let pool = decoded
            .map_err(|e| format!("invalid file descriptors in CodeGeneratorRequest: {e}"))?;
        let files_to_generate = raw
            .file_to_generate
            .iter()
            .map(|name| {
                pool.get_file_by_name(name).ok_or_else(|| {
                    format!("file_to_generate names `{name}`, which is not in proto_file")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let sources = pool
            .files()
            .map(|file| {
                let bytes = source_bytes.remove(file.name()).unwrap_or_default();
                SourceIndex::new(bytes.to_vec())
            })
            .collect();
        Ok(Request {
            pool,
            files_to_generate,
            parameter: raw.parameter.unwrap_or_default(),
            sources,
            warnings: Default::default(),
        })
    }

    /// Every file protoc sent, imports included.
    pub fn pool(&self) -> &DescriptorPool {
        &self.pool
    }

    /// The files the user asked to generate, in request order.
    pub fn files_to_generate(&self) -> &[FileDescriptor] {
        &self.files_to_generate
    }

    /// The raw parameter string (`--x_opt=...`).
    pub fn parameter(&self) -> &str {
        &self.parameter
    }

    /// Comments and positions of `file`, indexed on first use.
    pub fn source(&self, file: &FileDescriptor) -> &SourceIndex {
        &self.sources[file.index()]
    }

    /// The files to generate grouped by proto package, packages in first-seen order.
    ///
    /// prost emits one Rust file per package, so every protoway plugin does too.
    pub fn packages(&self) -> Vec<(String, Vec<FileDescriptor>)> {
        let mut packages: Vec<(String, Vec<FileDescriptor>)> = Vec::new();
        for file in &self.files_to_generate {
            let package = file.package_name().to_owned();
            match packages.iter_mut().find(|(p, _)| *p == package) {
                Some((_, files)) => files.push(file.clone()),
                None => packages.push((package, vec![file.clone()])),
            }
        }
        packages
    }
}

impl Request {
    /// Comments attached to `element` (empty when there are none).
    pub fn comments(&self, element: &impl crate::source::Element) -> crate::source::Comments {
        self.source(&element.file()).comments(element.path())
    }

    /// A diagnostic located at `element`: `file:line:col: element: message`.
    /// Records a warning: generation goes on.
    pub fn warn(&self, warning: crate::Diagnostic) {
        if let Ok(mut warnings) = self.warnings.lock()
            && !warnings.contains(&warning)
        {
            warnings.push(warning);
        }
    }

    /// The warnings recorded so far, taken out.
    pub fn take_warnings(&self) -> Vec<crate::Diagnostic> {
        self.warnings
            .lock()
            .map(|mut warnings| std::mem::take(&mut *warnings))
            .unwrap_or_default()
    }

    /// A diagnostic of `element`, located (file, line:column) from the
    /// request's source info.
    pub fn diagnostic(
        &self,
        element: &impl crate::source::Element,
        problem: impl Into<crate::Problem>,
    ) -> crate::Diagnostic {
        let file = element.file();
        crate::Diagnostic::new(
            file.name(),
            self.source(&file).position(element.path()),
            element.label(),
            problem,
        )
    }
}

/// Appends `file` to `set` as a `FileDescriptorSet.file` entry (field 1)
/// without its `source_code_info`, which is returned undecoded with the
/// file's name. Bytes that do not scan as a message go in unchanged, for the
/// pool to reject with its own error.
fn split_source_info<'a>(file: &'a [u8], set: &mut Vec<u8>) -> (Option<&'a str>, Option<&'a [u8]>) {
    let Some(fields) = crate::wire::fields(file).collect::<Option<Vec<_>>>() else {
        prost::encoding::encode_key(1, prost::encoding::WireType::LengthDelimited, set);
        prost::encoding::encode_varint(file.len() as u64, set);
        set.extend_from_slice(file);
        return (None, None);
    };
    let (mut name, mut source) = (None, None);
    let mut kept = 0;
    for field in &fields {
        match (field.number, field.value) {
            (1, Value::Bytes(bytes)) => name = std::str::from_utf8(bytes).ok(),
            (9, Value::Bytes(bytes)) => source = Some(bytes),
            _ => {}
        }
        if field.number != 9 {
            kept += field.end - field.start;
        }
    }
    prost::encoding::encode_key(1, prost::encoding::WireType::LengthDelimited, set);
    prost::encoding::encode_varint(kept as u64, set);
    for field in &fields {
        if field.number != 9 {
            set.extend_from_slice(&file[field.start..field.end]);
        }
    }
    (name, source)
}

/// The import list of a `FileDescriptorProto`, decoded without the rest.
#[derive(Clone, PartialEq, prost::Message)]
struct FileImports {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, repeated, tag = "3")]
    dependency: Vec<String>,
    #[prost(int32, repeated, packed = "false", tag = "10")]
    public_dependency: Vec<i32>,
}

/// Rejects import cycles and out-of-range public imports before the pool is
/// built: prost-reflect 0.16.5 recurses without end on a file that publicly
/// imports itself (a stack overflow no `catch_unwind` stops; found by the
/// `plugin_request` fuzz target). protoc never sends such a request.
fn check_dependency_graph(files: &[Vec<u8>]) -> Result<(), String> {
    use std::collections::HashMap;
    let headers = files
        .iter()
        .map(|bytes| FileImports::decode(bytes.as_slice()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("invalid file descriptors in CodeGeneratorRequest: {e}"))?;
    let index: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.name.as_deref().unwrap_or(""), i))
        .collect();
    for h in &headers {
        if h.public_dependency
            .iter()
            .any(|&d| usize::try_from(d).map_or(true, |d| d >= h.dependency.len()))
        {
            return Err(format!(
                "invalid file descriptors in CodeGeneratorRequest: {}: public import index out of range",
                h.name.as_deref().unwrap_or("")
            ));
        }
    }
    // Iterative depth-first search: 0 unvisited, 1 on the stack, 2 done.
    let mut state = vec![0u8; headers.len()];
    for start in 0..headers.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        state[start] = 1;
        while let Some((file, next)) = stack.pop() {
            let deps = &headers[file].dependency;
            if next == deps.len() {
                state[file] = 2;
                continue;
            }
            stack.push((file, next + 1));
            let Some(&dep) = index.get(deps[next].as_str()) else {
                continue; // a missing import is the pool's error to report
            };
            match state[dep] {
                0 => {
                    state[dep] = 1;
                    stack.push((dep, 0));
                }
                1 => {
                    return Err(format!(
                        "invalid file descriptors in CodeGeneratorRequest: import cycle through {}",
                        deps[next]
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(())
}
