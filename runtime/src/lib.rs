//! protoway: the runtime that protoway-generated code calls.
//!
//! - [`Error`]: the error every generated handler and client speaks, with
//!   kratos-compatible wire JSON (`{"code","reason","message","metadata"}`).
//! - [`status`]: HTTP ⇄ gRPC status mapping (kratos' table).
//! - Feature `axum`: [`Error`] is an `IntoResponse`.
//! - Feature `tonic`: [`Error`] ⇄ `tonic::Status` with a `google.rpc.ErrorInfo` detail.

pub mod bind;
mod bind_wire;
pub mod codec;
mod error;
pub mod matcher;
pub mod path;
pub mod percent;
pub mod spec;
pub mod status;
mod strs;
pub mod wire;
#[cfg(feature = "wkt")]
pub mod wkt;

#[cfg(feature = "server")]
pub mod message;
#[cfg(feature = "server")]
pub mod server;

#[cfg(feature = "client")]
pub mod client;

/// The axum version generated routers are built on.
#[cfg(feature = "axum")]
pub use axum;

#[cfg(feature = "axum")]
mod axum_support;
#[cfg(feature = "tonic")]
mod tonic_support;

pub use error::{Error, Metadata};
