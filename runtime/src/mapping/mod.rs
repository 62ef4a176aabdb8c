//! The `google.api.http` mapping, its two directions side by side, as
//! kratos' `transport/http` keeps binding and `BuildPath` together:
//! [`bind`] (the server's: path, query and body into the request message)
//! and `encode` (the client's: the message into path, query and body, which
//! `bind` reads back). `bind_wire` writes plain path and query values as
//! protobuf wire bytes for binding.

pub mod bind;
mod bind_wire;
#[cfg(feature = "client")]
pub(crate) mod encode;
