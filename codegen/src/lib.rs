//! protoway-codegen: the one descriptor model every protoway plugin reads.
//!
//! A plugin is a pure function from a [`Request`] to a [`Response`]; this crate
//! supplies everything between the bytes protoc sends and the Rust (or YAML)
//! a plugin renders. Entry points: [`plugin::main`] (a plugin binary's whole
//! `main`), [`Request`] (the decoded request), [`http::method_bindings`] (the
//! rule model every generator shares) and, with feature `protox`,
//! `compile::request_bytes` (a request built in-process, no protoc).
//!
//! - [`request`]: decode a `CodeGeneratorRequest` into a prost-reflect pool
//!   that keeps custom options (prost-types would drop their extensions).
//! - [`options`]: typed access to `google.api.http`, kratos' `errors.*`,
//!   `google.api.field_behavior` and `deprecated`.
//! - [`source`]: comments and line:column locations from `source_code_info`.
//! - [`wire`]: scanning encoded messages field by field without decoding them.
//! - [`names`]: Rust names and type paths exactly as prost-build makes them.
//! - [`params`]: the shared `key=value,flag` plugin parameter syntax.
//! - [`output`]: per-package output files and prost's `module` insertion point.
//! - [`diagnostic`]: generation errors that name file, line:column and element.
//! - [`render`]: `quote` tokens to source via `syn` + `prettyplease` (rustfmt on request).
//! - [`plugin`]: the stdin/stdout protocol shared by every plugin binary.
//! - [`shipped`]: the annotation protos protoway ships, and their export.

pub mod diagnostic;
pub mod http;
pub mod names;
pub mod options;
pub mod output;
pub mod params;
pub mod plugin;
pub mod render;
pub mod request;
pub mod shipped;
pub mod source;
pub mod wire;

#[cfg(feature = "protox")]
pub mod compile;

pub use diagnostic::{Diagnostic, Problem};
pub use request::Request;

/// What a plugin answers: the files it produced.
pub type Response = prost_types::compiler::CodeGeneratorResponse;
/// One file of a [`Response`].
pub type ResponseFile = prost_types::compiler::code_generator_response::File;
