//! Feature `server`: what generated axum servers call. [`Routes`] collects
//! the generated routes of one or more services, matches requests with
//! protoway's matcher, binds body/query/path into the request message, calls
//! the service trait and encodes the reply with the negotiated codec.
//!
//! Order of a request: the [`Routes::layer`] layers (every request) →
//! the protocol, read once → match (404/405/400) → [`Operation`] into the
//! request extensions → the [`Routes::route_layer`] layers → Accept (406)
//! → body limit (413) → Content-Type (415) → binding (400) → the service
//! method, in its call context → encoding.
//!
//! One module per step of a request or per protocol, read top-down; each
//! imports only those below it, `values` (what the steps pass one
//! another) imports none:
//!
//! - `routes`: the [`Routes`] builder (the route table, layers, limits).
//! - `matching`: [`RoutesService`] and the dispatch order, then the
//!   route's target.
//! - `chain`: the service layers, and a layer's own answer in the caller's
//!   protocol.
//! - `protocol`: which protocol a request speaks; the RPC dispatch.
//! - `grpc` (feature `grpc`), `connect`: the RPC protocols, through the
//!   same route targets (layers, binding, call) as HTTP; `rpc`: what they
//!   share.
//! - `websocket` (feature `websocket`): streams over WebSocket on a route.
//! - `stream`: streaming methods' replies and requests, as they come.
//! - `call`: one matched request: Accept, the body read, then bind, the
//!   service's method in its call context, reply.
//! - `binding`: body, query and path into the request message.
//! - `reply`: the handler's reply, or an Error, encoded per the route and
//!   the negotiated codec.
//! - `values`: the values the steps pass one another.
//!
//! # Compile cost
//!
//! The glue stays small because the runtime is type-erased: each route is one
//! boxed `Bound<S, M>` behind a trait object (its generated call function, a
//! plain `fn` returning the boxed future that sends its own reply through
//! `server::ReplyTo`); the client is generic only over the reply type (requests
//! go as `&dyn EncodeMessage`, a forwarded `&Request<M>` as `&Request<dyn
//! EncodeMessage>`; every method returns the one named `CallFuture`); a message
//! type compiles two decoding methods and two encoding methods
//! (`DecodeMessage::decode_json`/`decode_protobuf` take what to do — replace,
//! merge or check — as an argument). Every function compiled per route or per
//! message type costs about 3 M rustc instructions in a dev build, measured.
//! Per message type the runtime instantiates only what a prost + pbjson user's
//! own code already does (`serde_json::from_slice`/`to_vec`, `Message::decode`
//! from a slice, `encode_to_vec`). Path and query parameters with plain values
//! (strings, bools, enums, decimal integers, nested messages of those) are
//! written as protobuf wire bytes and merged by the message's own decoder
//! (`spec::Kind` tells `sint`/`sfixed`/`fixed` apart), the rest as JSON text read
//! by its deserializer (`tests/http-it/tests/bind_wire_props.rs` checks both give
//! the same message or the same rejection); a `body: "field"` naming a message
//! field is decoded straight into it. Matching, binding, negotiation and reply
//! encoding are compiled once, in `protoway`.

pub use crate::route::{BodyRule, FieldRef, Request, Response, ResponseBody, RouteSpec};

mod binding;
mod call;
mod chain;
mod connect;
#[cfg(feature = "grpc")]
mod grpc;
mod matching;
mod protocol;
mod reply;
mod routes;
mod rpc;
mod stream;
mod values;
#[cfg(feature = "websocket")]
mod websocket;

pub use self::binding::BodyFieldFn;
pub use self::call::{ReplyFuture, ServiceCall};
pub use self::matching::RoutesService;
pub use self::reply::ReplyTo;
pub use self::routes::{Routes, RoutesLayer};
pub use crate::stream::Streaming;

/// Default request body limit: 4 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 4 << 20;

/// The operation a request was routed to, `/{package}.{Service}/{Method}`:
/// in the request extensions seen by [`Routes::layer`] layers (before
/// binding, so they see it even when binding fails), in the response
/// extensions for layers around the router when
/// [`Routes::operation_in_responses`] asks, and [`Request::operation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation(pub &'static str);

/// Path captures of the matched route, in template order: carried in the
/// request extensions only through [`Routes::layer`] layers.
#[derive(Debug, Clone)]
struct PathValues(Vec<String>);
