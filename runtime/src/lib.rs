//! protoway: the runtime that protoway-generated code calls.
//!
//! Entry points:
//!
//! - [`Error`]: the error every generated handler and client speaks, with
//!   kratos-compatible wire JSON (`{"code","reason","message","metadata"}`).
//! - `server::Routes` (feature `server`): what a generated
//!   `<service>_http::routes(service)` returns; merge services, add tower
//!   layers, then `into_service()` or `router()` to serve it with axum.
//!   `server::Request` / `server::Response` are what handlers take and give.
//! - `client::Client` (feature `client`): the connection a generated
//!   `<Service>Client` calls through (reqwest; `rustls` for HTTPS).
//! - `wkt` (feature `wkt`): Timestamp and FieldMask with proto3-JSON serde.
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

#[cfg(feature = "route")]
pub mod message;
#[cfg(feature = "route")]
pub mod metadata;
#[cfg(feature = "route")]
pub mod route;
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
