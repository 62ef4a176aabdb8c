//! Decoding a `CodeGeneratorRequest` into a descriptor pool that keeps custom options.
//!
//! prost-types' `CodeGeneratorRequest` decodes `proto_file` into
//! `FileDescriptorProto`s, which silently drops every extension inside
//! `*Options` (our `google.api.http`, `errors.code`, …). So the request is
//! decoded here with `proto_file` kept as raw bytes, and those bytes go
//! straight into a prost-reflect `DescriptorPool`, which resolves extensions.

use std::sync::OnceLock;

use prost::Message;
use prost_reflect::{DescriptorPool, FileDescriptor};

use crate::source::SourceIndex;

/// `google.protobuf.compiler.CodeGeneratorRequest` with `proto_file` left encoded.
#[derive(Clone, PartialEq, Message)]
pub struct RawCodeGeneratorRequest {
    #[prost(string, repeated, tag = "1")]
    pub file_to_generate: Vec<String>,
    #[prost(string, optional, tag = "2")]
    pub parameter: Option<String>,
    /// Encoded `FileDescriptorProto`s, dependencies first.
    #[prost(bytes = "vec", repeated, tag = "15")]
    pub proto_file: Vec<Vec<u8>>,
    #[prost(message, optional, tag = "3")]
    pub compiler_version: Option<prost_types::compiler::Version>,
}

/// A decoded request: the pool, the files to generate and the parameter string.
#[derive(Debug)]
pub struct Request {
    pool: DescriptorPool,
    files_to_generate: Vec<FileDescriptor>,
    parameter: String,
    /// One lazily built source index per pool file, by file index.
    sources: Vec<OnceLock<SourceIndex>>,
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
        let mut set = Vec::with_capacity(raw.proto_file.iter().map(|f| f.len() + 6).sum());
        for file in &raw.proto_file {
            prost::encoding::bytes::encode(1, file, &mut set);
        }
        let pool = DescriptorPool::decode(set.as_slice())
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
        let sources = (0..pool.files().len()).map(|_| OnceLock::new()).collect();
        Ok(Request {
            pool,
            files_to_generate,
            parameter: raw.parameter.unwrap_or_default(),
            sources,
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
        self.sources[file.index()].get_or_init(|| SourceIndex::new(file.file_descriptor_proto()))
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
    pub fn diagnostic(
        &self,
        element: &impl crate::source::Element,
        message: impl Into<String>,
    ) -> crate::Diagnostic {
        let file = element.file();
        crate::Diagnostic::new(
            file.name(),
            self.source(&file).position(element.path()),
            element.label(),
            message,
        )
    }
}
