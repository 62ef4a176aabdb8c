//! The typed values of the builder's plugin options, and their parameter
//! text.

use protoc_gen_openapi::config::{ErrorSchema, Naming, OutputMode};
use protoway_codegen::output::Emit;

/// The OpenAPI version a document declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenApiVersion {
    /// 3.0.3 (the default).
    V3_0,
    /// 3.1.0 (JSON Schema 2020-12).
    V3_1,
}

/// How enum schemas are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumType {
    /// `type: integer` (the default, gnostic's).
    Integer,
    /// `type: string` with the value names.
    String,
}

/// A typed option's value as plugin parameter text.
pub(crate) trait ParameterValue {
    fn parameter(self) -> &'static str;
}

impl ParameterValue for Emit {
    fn parameter(self) -> &'static str {
        match self {
            Emit::File => "file",
            Emit::Include => "include",
            Emit::Insert => "insert",
        }
    }
}

impl ParameterValue for Naming {
    fn parameter(self) -> &'static str {
        match self {
            Naming::Json => "json",
            Naming::Proto => "proto",
        }
    }
}

impl ParameterValue for OutputMode {
    fn parameter(self) -> &'static str {
        match self {
            OutputMode::Merged => "merged",
            OutputMode::SourceRelative => "source_relative",
        }
    }
}

impl ParameterValue for ErrorSchema {
    fn parameter(self) -> &'static str {
        match self {
            ErrorSchema::Protoway => "protoway",
            ErrorSchema::Status => "status",
        }
    }
}

impl ParameterValue for OpenApiVersion {
    fn parameter(self) -> &'static str {
        match self {
            OpenApiVersion::V3_0 => "3.0.3",
            OpenApiVersion::V3_1 => "3.1.0",
        }
    }
}

impl ParameterValue for EnumType {
    fn parameter(self) -> &'static str {
        match self {
            EnumType::Integer => "integer",
            EnumType::String => "string",
        }
    }
}
