//! protoway: the runtime that protoway-generated code calls.
//!
//! Entry points (features `server`, `grpc` and `client` are on by default):
//!
//! - [`Error`]: the error every generated handler and client speaks, with
//!   kratos-compatible wire JSON (`{"code","reason","message","metadata"}`).
//! - [`server::Routes`] (feature `server`): what a generated
//!   `<service>_http::routes(service)` returns; merge services, add tower
//!   layers ([`Routes::layer`](server::Routes::layer) for the whole
//!   service, [`Routes::route_layer`](server::Routes::route_layer) for
//!   matched calls), then [`into_service`](server::Routes::into_service)
//!   to serve it with axum. Handlers take a [`server::Request`] and give a
//!   [`server::Response`].
//! - [`client::Client`] (feature `client`, no axum): the connection a
//!   generated `<Service>Client` calls through (reqwest; `rustls` for
//!   HTTPS); [`client::IntoRequest`], what its methods take.
//! - [`context::CallContext`]: the inbound call a handler serves, whose
//!   global metadata and deadline generated clients send on.
//! - [`route`]: the model server and client share ([`route::RouteSpec`],
//!   one generated binding).
//! - [`metadata`]: which headers cross a service boundary (kratos' global
//!   metadata only).
//! - [`path`]: the one `google.api.http` path template parser.
//! - [`spec`]: the message tables generated code declares.
//! - [`wkt`]: Timestamp and FieldMask with proto3-JSON serde.
//! - [`status`]: HTTP ⇄ gRPC status mapping (kratos' table).
//! - Feature `axum`: [`Error`] is an `IntoResponse`; feature `tonic`:
//!   [`Error`] ⇄ `tonic::Status` with a `google.rpc.ErrorInfo` detail.

mod error;
#[cfg(any(feature = "server", feature = "client", feature = "tonic"))]
mod error_info;

/// Crate-private modules, public only through [`internals`] (a private
/// module cannot be re-exported, so each is declared twice; their items
/// are `pub` for that door). Each serves the server, the client or both:
/// one side alone leaves parts unused.
macro_rules! internal_modules {
    ($($name:ident),*) => {$(
        #[cfg(all(feature = "route", not(feature = "internals")))]
        #[cfg_attr(not(all(feature = "server", feature = "client")), allow(dead_code))]
        #[allow(unreachable_pub)]
        mod $name;
        #[cfg(feature = "internals")]
        #[doc(hidden)]
        pub mod $name;
    )*};
}
internal_modules!(codec, mapping, matcher, percent, strs, wire);

/// protoway's internals, for its own tests, benchmarks and fuzz targets
/// (feature `internals`): binding, matching, codecs and wire scanning,
/// with no stability promise.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::codec;
    pub use crate::mapping::bind;
    pub use crate::matcher;
    pub use crate::percent;
    pub use crate::wire;
}

pub mod path;
pub mod spec;
pub mod status;
#[cfg(feature = "wkt")]
pub mod wkt;

#[cfg(feature = "route")]
pub mod context;
#[cfg(feature = "route")]
pub mod message;
#[cfg(feature = "route")]
pub mod metadata;
#[cfg(feature = "route")]
pub mod route;
#[cfg(feature = "route")]
mod stream;
#[cfg(feature = "route")]
pub use stream::{Stream, Streaming};
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

pub use error::{Error, ErrorDetail, Metadata};
