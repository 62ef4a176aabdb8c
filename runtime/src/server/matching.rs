//! Match: [`RoutesService`] finds the route of a request (404, 405 with
//! `Allow`, 400 for an unusable path), puts the [`Operation`] into the
//! request extensions and runs the route, through its layers if any.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, header};
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

use super::protocol::Protocol;
use super::reply::error_response;
use super::rpc::RpcTable;
use super::values::{Endpoint, ResponseFuture, Rpc, Target, WrapEndpoint};
use super::{Operation, PathValues, RouteSpec, protocol};
use crate::Error;
use crate::codec::Codec;
use crate::matcher::{Matcher, Outcome};

/// The generated routes as a tower service: protoway's matcher decides
/// first, so a matched request costs one routing step. What it does not
/// match gets a JSON 404/405/400, or goes to the [`RoutesService::fallback`]
/// router. [`Routes::into_router`](super::Routes::into_router) wraps it the other way round (an axum
/// `Router` whose fallback it is), which costs a second routing step.
/// [`Routes::layer`](super::Routes::layer) layers wrap all of it.
#[derive(Clone)]
pub struct RoutesService {
    dispatch: Dispatch,
    /// [`Routes::layer`] layers, innermost first.
    layers: Arc<[WrapEndpoint]>,
    /// `dispatch` inside `layers`, when there are any.
    layered: Option<Endpoint>,
}

/// Every transport's dispatch, in order: gRPC, gRPC-Web and Connect by
/// their headers, the HTTP routes, WebSocket upgrades, the fallback
/// router, then 404/405/400.
#[derive(Clone)]
pub(super) struct Dispatch {
    pub(super) matcher: Arc<Matcher<(&'static RouteSpec, Target)>>,
    /// The same targets by operation, for gRPC, gRPC-Web and Connect.
    pub(super) rpc: Arc<RpcTable>,
    /// User routes for what the matcher does not match.
    pub(super) fallback: Option<axum::Router>,
}

impl RoutesService {
    pub(super) fn new(dispatch: Dispatch, layers: Arc<[WrapEndpoint]>) -> RoutesService {
        let layered = (!layers.is_empty()).then(|| {
            let inner = dispatch.clone();
            let innermost =
                BoxCloneSyncService::new(tower::service_fn(move |req: http::Request<Body>| {
                    super::chain::dispatched(inner.call(req))
                }));
            layers.iter().fold(innermost, |inner, wrap| wrap(inner))
        });
        RoutesService {
            dispatch,
            layers,
            layered,
        }
    }

    /// Sends every request no protoway route matches (unknown path, other
    /// method, undecodable path) to `router`, so an application's own axum
    /// routes (health, docs, metrics) sit beside the generated ones while
    /// generated routes keep the single routing step. What `router` does not
    /// route either gets protoway's JSON 404/405/400: `router`'s own
    /// fallback, if it has one, is replaced; route `/{*rest}` instead.
    /// [`Routes::layer`](super::Routes::layer) layers cover it.
    pub fn fallback(self, router: axum::Router) -> Self {
        let unmatched = Dispatch {
            fallback: None,
            ..self.dispatch.clone()
        };
        let dispatch = Dispatch {
            fallback: Some(router.fallback_service(unmatched)),
            ..self.dispatch
        };
        RoutesService::new(dispatch, self.layers)
    }

    /// The make-service `axum::serve` takes: every connection gets a clone.
    pub fn into_make_service(self) -> axum::routing::IntoMakeService<Self> {
        axum::ServiceExt::<http::Request<Body>>::into_make_service(self)
    }
}

impl std::fmt::Debug for RoutesService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoutesService")
            .field("routes", &self.dispatch.matcher.len())
            .field("layers", &self.layers.len())
            .finish()
    }
}

/// Any request body, as axum's `Router` takes: served by `axum::serve`, or
/// by hyper directly (`Request<Incoming>`, behind TLS).
impl<B> Service<http::Request<B>> for RoutesService
where
    B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<tower::BoxError>,
{
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        // `Body::new` of a `Body` is the same body (no second box).
        let req = req.map(Body::new);
        match &self.layered {
            None => self.dispatch.call(req),
            Some(layered) => super::chain::call(layered.clone(), req),
        }
    }
}

impl Service<http::Request<Body>> for Dispatch {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> ResponseFuture {
        Dispatch::call(self, req)
    }
}

impl Dispatch {
    fn call(&self, req: http::Request<Body>) -> ResponseFuture {
        // Transport first, decided once: gRPC and gRPC-Web by content
        // type; Connect by its header or `application/proto`; a JSON POST
        // without the header is Connect only where no HTTP route takes it.
        let protocol = Protocol::of(&req);
        // Looked up only for requests that may be RPCs: an HTTP/JSON
        // request that matches a route pays for neither.
        let operation = || self.rpc.contains_key(req.uri().path());
        match protocol {
            Some(p @ (Protocol::Grpc(_) | Protocol::GrpcWeb(_))) => {
                return protocol::serve(&self.rpc, p, req);
            }
            Some(
                p @ (Protocol::Connect(_)
                | Protocol::ConnectStream(_)
                | Protocol::ConnectGet
                | Protocol::Unsupported(_)),
            ) if operation() => {
                return protocol::serve(&self.rpc, p, req);
            }
            _ => {}
        }
        let outcome = self.matcher.find(req.method().as_str(), req.uri().path());
        #[cfg(feature = "websocket")]
        if super::websocket::is_upgrade(&req)
            && let Some((spec, target, values)) =
                super::websocket::route(&self.matcher, &outcome, &req)
        {
            return super::websocket::serve(spec, target, values, req);
        }
        // Connect callers get Connect's errors where no HTTP route answers.
        if !matches!(outcome, Outcome::Found { .. }) {
            let rpc = match protocol {
                Some(Protocol::MaybeConnect) if operation() => Some(Protocol::MaybeConnect),
                // A POST to an operation in a content type no transport reads.
                None if req.method() == http::Method::POST && operation() => {
                    Some(Protocol::Unsupported(415))
                }
                Some(p @ Protocol::Connect(_)) if self.fallback.is_none() => Some(p),
                _ => None,
            };
            if let Some(p) = rpc {
                return protocol::serve(&self.rpc, p, req);
            }
        }
        if !matches!(outcome, Outcome::Found { .. })
            && let Some(router) = &self.fallback
        {
            return Box::pin(router.clone().call(req));
        }
        match outcome {
            Outcome::Found {
                value: (spec, target),
                captures,
            } => {
                let values = captures.into_iter().map(|(_, v)| v).collect();
                target.run(spec, req, values, None)
            }
            Outcome::MethodNotAllowed(allow) => {
                let mut resp = error_response(
                    Codec::Json,
                    Error::new(
                        405,
                        "METHOD_NOT_ALLOWED",
                        format!("method {} is not allowed for this path", req.method()),
                    ),
                );
                if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
                    resp.headers_mut().insert(header::ALLOW, v);
                }
                Box::pin(std::future::ready(Ok(resp)))
            }
            Outcome::NotFound => Box::pin(std::future::ready(Ok(error_response(
                Codec::Json,
                Error::not_found(
                    "NOT_FOUND",
                    format!("no route for {} {}", req.method(), req.uri().path()),
                ),
            )))),
            Outcome::BadRequest(why) => Box::pin(std::future::ready(Ok(error_response(
                Codec::Json,
                Error::bad_request("BAD_PATH", why),
            )))),
        }
    }
}

impl Target {
    /// Runs the route for `req`, through its layers if it has any.
    /// `rpc`: how an RPC transport's request reached it. Passed along,
    /// not in the extensions, where no layer is: an extension costs a map
    /// and a box per request.
    pub(super) fn run(
        &self,
        spec: &'static RouteSpec,
        mut req: http::Request<Body>,
        values: Vec<String>,
        rpc: Option<Rpc>,
    ) -> ResponseFuture {
        match self {
            Target::Direct(handler) => {
                let rpc = rpc.map(|rpc| Rpc {
                    direct: true,
                    ..rpc
                });
                handler(req, values, rpc)
            }
            Target::Layered(endpoint) => {
                req.extensions_mut().insert(Operation(spec.operation));
                req.extensions_mut().insert(PathValues(values));
                if let Some(rpc) = rpc {
                    req.extensions_mut().insert(rpc);
                }
                Box::pin(endpoint.clone().oneshot(req))
            }
        }
    }
}
