//! Feature `server`: what generated axum servers call. [`Routes`] collects
//! the generated routes of one or more services, matches requests with
//! [`crate::matcher`], binds body/query/path into the request message, calls
//! the service trait and encodes the reply with the negotiated codec.
//!
//! Order of a request: match (404/405/400) → [`Operation`] into the request
//! extensions → the per-route tower layers added with [`Routes::layer`] →
//! Accept (406) → body limit (413) → Content-Type (415) → binding (400) →
//! the service method → encoding.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use axum::body::Body;
use axum::response::IntoResponse;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service, ServiceExt};

use crate::bind::{self, JsonBuilder};
use crate::codec::{self, Codec};
use crate::matcher::{Matcher, Outcome};
use crate::message::{
    DecodeMessage, EncodeMessage, invalid_json, merge_params, replace_with_params, wrap_json,
};
use crate::path;
use crate::spec::{Cardinality, FieldSpec, Kind, MessageSpec, WellKnown};
use crate::{Error, wire};

use crate::route::ErrorProto;
pub use crate::route::{BodyRule, FieldRef, Request, Response, ResponseBody, RouteSpec};

/// Default request body limit: 4 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 4 << 20;

/// The operation a request was routed to, `/{package}.{Service}/{Method}`:
/// in the request extensions seen by [`Routes::layer`] layers (before
/// binding, so they see it even when binding fails), in the response
/// extensions for layers around the router, and [`Request::operation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation(pub &'static str);

/// Path captures of the matched route, in template order: carried in the
/// request extensions only through [`Routes::layer`] layers.
#[derive(Debug, Clone)]
struct PathValues(Vec<String>);

/// Router settings.
#[derive(Debug, Clone)]
struct Config {
    body_limit: usize,
    body_timeout: Option<std::time::Duration>,
    emit_defaults: bool,
}

type Endpoint = BoxCloneSyncService<http::Request<Body>, axum::response::Response, Infallible>;
type ResponseFuture =
    std::pin::Pin<Box<dyn Future<Output = Result<axum::response::Response, Infallible>> + Send>>;
/// Serves one matched request, given its path captures: called directly
/// (no service clone, one boxed future) unless the route has layers.
type Handler = Arc<dyn Fn(http::Request<Body>, Vec<String>) -> ResponseFuture + Send + Sync>;
type MakeHandler = Arc<dyn Fn(Arc<Config>) -> Handler + Send + Sync>;
type WrapEndpoint = Arc<dyn Fn(Endpoint) -> Endpoint + Send + Sync>;

#[derive(Clone)]
struct Entry {
    spec: &'static RouteSpec,
    /// The requests this route matches: two entries with the same shape
    /// would tie on every request.
    shape: RouteShape,
    make: MakeHandler,
    /// [`Routes::layer`] layers, innermost first.
    layers: Vec<WrapEndpoint>,
}

/// A route's method and template shape (literals, `*`, `**`, verb):
/// variable names do not matter to matching.
#[derive(Clone, PartialEq, Eq)]
struct RouteShape {
    method: &'static str,
    segments: Vec<path::Segment>,
    verb: Option<String>,
}

impl RouteShape {
    /// # Panics
    ///
    /// On a template that does not parse (generated specs never have one).
    fn of(spec: &'static RouteSpec) -> (RouteShape, path::Template) {
        let template = path::parse(spec.template).unwrap_or_else(|err| {
            panic!(
                "invalid template {:?} for {}: {err}",
                spec.template, spec.operation
            )
        });
        let shape = RouteShape {
            method: spec.method,
            segments: template.segments.clone(),
            verb: template.verb.clone(),
        };
        (shape, template)
    }
}

/// What a matched route runs.
enum Target {
    Direct(Handler),
    /// Through tower layers: the captures travel as [`PathValues`].
    Layered(Endpoint),
}

/// Routes of one or more generated services; turn them into an
/// [`axum::Router`] with [`Routes::into_router`].
#[derive(Clone)]
pub struct Routes {
    entries: Vec<Entry>,
    config: Config,
}

impl std::fmt::Debug for Routes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routes")
            .field(
                "routes",
                &self
                    .entries
                    .iter()
                    .map(|e| (e.spec.method, e.spec.template))
                    .collect::<Vec<_>>(),
            )
            .field("config", &self.config)
            .finish()
    }
}

impl Default for Routes {
    fn default() -> Self {
        Routes {
            entries: Vec::new(),
            config: Config {
                body_limit: DEFAULT_BODY_LIMIT,
                body_timeout: None,
                emit_defaults: false,
            },
        }
    }
}

impl Routes {
    /// No routes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a binding served by `handler` (a closure over your own state;
    /// generated code uses [`Routes::route`]).
    ///
    /// # Panics
    ///
    /// When `spec.template` does not parse, or a route already added has
    /// the same method and template shape (variable names aside), as axum's
    /// `Router::route` panics on an overlap.
    pub fn add<M, R, F, Fut>(self, spec: &'static RouteSpec, handler: F) -> Self
    where
        M: prost::Message + Default + serde::de::DeserializeOwned + Send + 'static,
        R: prost::Message + serde::Serialize + Send + 'static,
        F: Fn(Request<M>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Response<R>, Error>> + Send + 'static,
    {
        let bound = Bound {
            service: Arc::new(handler),
            call: call_closure::<M, R, F, Fut>,
            field: None,
        };
        self.add_erased(spec, Box::new(bound))
    }

    /// Adds a generated binding served by `call(service, request, reply)`:
    /// what generated `routes()` functions use, one shared service per
    /// router. `call` is a generated function, not a closure, and returns
    /// the boxed future itself, so this is compiled once per service and
    /// request type, whatever the handler's future.
    ///
    /// # Panics
    ///
    /// As [`Routes::add`].
    pub fn route<S, M>(
        self,
        spec: &'static RouteSpec,
        service: &Arc<S>,
        call: ServiceCall<S, M>,
    ) -> Self
    where
        S: Send + Sync + 'static,
        M: prost::Message + Default + serde::de::DeserializeOwned + Send + 'static,
    {
        // The `Bound` literal is written out here and in `route_body`, not
        // shared through a generic helper: each generic function is one
        // more function compiled per route (~3 M rustc instructions each).
        let bound = Bound {
            service: service.clone(),
            call,
            field: None,
        };
        self.add_erased(spec, Box::new(bound))
    }

    /// [`Routes::route`] for a `body: "field"` rule naming a singular
    /// message field: `field` returns it (`|m| body_field(&mut m.book)`), so
    /// the body is decoded straight into it.
    ///
    /// # Panics
    ///
    /// As [`Routes::add`].
    pub fn route_body<S, M>(
        self,
        spec: &'static RouteSpec,
        service: &Arc<S>,
        call: ServiceCall<S, M>,
        field: BodyFieldFn<M>,
    ) -> Self
    where
        S: Send + Sync + 'static,
        M: prost::Message + Default + serde::de::DeserializeOwned + Send + 'static,
    {
        let bound = Bound {
            service: service.clone(),
            call,
            field: Some(field),
        };
        self.add_erased(spec, Box::new(bound))
    }

    /// Takes the route boxed, not in an `Arc`: `Box::new` is one function
    /// compiled per route, `Arc::new` two (it boxes an `ArcInner`).
    fn add_erased(mut self, spec: &'static RouteSpec, call: Box<dyn CallRoute>) -> Self {
        let call: CallFn = Arc::from(call);
        let (shape, template) = RouteShape::of(spec);
        self.reject_duplicate(spec, &shape);
        let variables: Vec<Vec<String>> = template
            .variables
            .into_iter()
            .map(|v| v.field_path)
            .collect();
        // Query keys at or below these fields are ignored: the path or the
        // body field supplies them.
        let mut query_excluded = variables.clone();
        if let BodyRule::Field(body) | BodyRule::FieldHttpBody(body) = &spec.body {
            query_excluded.push(body.iter().map(|f| f.name.to_string()).collect());
        }
        let fields = BoundFields {
            variables,
            query_excluded,
        };
        let make: MakeHandler = Arc::new(move |config: Arc<Config>| {
            // One Arc per route: a request clones it once.
            let route = Arc::new(RouteState {
                spec,
                call: call.clone(),
                fields: fields.clone(),
                config,
            });
            Arc::new(move |req: http::Request<Body>, values: Vec<String>| {
                start(&route, req, values)
            }) as Handler
        });
        self.entries.push(Entry {
            spec,
            shape,
            make,
            layers: Vec::new(),
        });
        self
    }

    /// Panics when a route already added matches exactly the requests
    /// `shape` matches: one of the two could never be reached.
    fn reject_duplicate(&self, spec: &'static RouteSpec, shape: &RouteShape) {
        if let Some(other) = self.entries.iter().find(|e| e.shape == *shape) {
            panic!(
                "duplicate route: {} {} ({}) matches exactly the requests of {} {} ({})",
                spec.method,
                spec.template,
                spec.operation,
                other.spec.method,
                other.spec.template,
                other.spec.operation
            );
        }
    }

    /// Adds every route of `other` (its layers stay on its routes).
    ///
    /// # Panics
    ///
    /// When a route of `other` has the method and template shape of one
    /// already here (as axum's `Router::merge` panics on an overlap):
    /// protoway-generated services never collide with themselves, since
    /// generation rejects such a pair.
    pub fn merge(mut self, other: Routes) -> Self {
        for entry in other.entries {
            self.reject_duplicate(entry.spec, &entry.shape);
            self.entries.push(entry);
        }
        self
    }

    /// Wraps every route added so far in `layer`. It runs after matching,
    /// before binding: [`Operation`] is in the request extensions.
    ///
    /// The layer's service may fail (`tower::timeout`, tower-http's
    /// layers): its error becomes the Error JSON reply, a
    /// [`crate::Error`] with its own code, a timeout (`tower::timeout`'s
    /// `Elapsed`) 504 `TIMEOUT`, anything else 500.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Endpoint> + Clone + Send + Sync + 'static,
        L::Service: Service<http::Request<Body>, Response = axum::response::Response>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as Service<http::Request<Body>>>::Error: Into<tower::BoxError>,
        <L::Service as Service<http::Request<Body>>>::Future: Send + 'static,
    {
        let wrap: WrapEndpoint = Arc::new(move |inner| {
            let layered = layer.layer(inner);
            BoxCloneSyncService::new(tower::service_fn(move |req: http::Request<Body>| {
                let layered = layered.clone();
                async move {
                    Ok::<_, Infallible>(
                        layered
                            .oneshot(req)
                            .await
                            .unwrap_or_else(layer_error_response),
                    )
                }
            }))
        });
        for entry in &mut self.entries {
            entry.layers.push(wrap.clone());
        }
        self
    }

    /// Maximum request body size (default 4 MiB); larger bodies get 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.config.body_limit = bytes;
        self
    }

    /// How long reading a request body may take; a client that sends it
    /// slower gets 408 and the connection's slot back. Default `None` (wait,
    /// as axum does): a timeout needs a tokio runtime with timers enabled,
    /// which `#[tokio::main]` has but a bare `Builder` does not.
    pub fn body_timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
        self.config.body_timeout = timeout;
        self
    }

    /// Emit fields with default values in JSON replies (proto3 JSON's
    /// "emit unpopulated" option).
    pub fn emit_defaults(mut self, emit: bool) -> Self {
        self.config.emit_defaults = emit;
        self
    }

    /// The (method, template, operation) of every route, in order added.
    pub fn routes(&self) -> impl Iterator<Item = (&'static str, &'static str, &'static str)> + '_ {
        self.entries
            .iter()
            .map(|e| (e.spec.method, e.spec.template, e.spec.operation))
    }

    /// A tower service answering every route (404/405 for anything else).
    pub fn into_service(self) -> RoutesService {
        let config = Arc::new(self.config);
        let mut matcher = Matcher::new();
        for e in &self.entries {
            let handler = (e.make)(config.clone());
            let target = if e.layers.is_empty() {
                Target::Direct(handler)
            } else {
                let innermost = tower::service_fn(move |mut req: http::Request<Body>| {
                    let values = req
                        .extensions_mut()
                        .remove::<PathValues>()
                        .map(|p| p.0)
                        .unwrap_or_default();
                    handler(req, values)
                });
                let endpoint = e
                    .layers
                    .iter()
                    .fold(BoxCloneSyncService::new(innermost), |inner, wrap| {
                        wrap(inner)
                    });
                Target::Layered(endpoint)
            };
            // Templates were parsed when the route was added.
            let (_, template) = RouteShape::of(e.spec);
            matcher.insert_parsed(
                crate::matcher::MethodFilter::new(e.spec.method),
                &template,
                (e.spec, target),
            );
        }
        RoutesService {
            matcher: Arc::new(matcher),
            fallback: None,
        }
    }

    /// An axum router whose fallback answers these routes, so user routes
    /// merged into it take precedence and anything unmatched gets the
    /// protoway 404/405. Combine several services with [`Routes::merge`]
    /// first: two routers with fallbacks cannot be merged by axum.
    pub fn into_router<S: Clone + Send + Sync + 'static>(self) -> axum::Router<S> {
        axum::Router::new().fallback_service(self.into_service())
    }

    /// [`Routes::into_router`] without state, as generated `router()`
    /// functions return it: not generic, so axum's router construction is
    /// compiled once here rather than in every crate with generated code.
    pub fn router(self) -> axum::Router {
        self.into_router()
    }
}

/// The generated routes as a tower service: protoway's matcher decides
/// first, so a matched request costs one routing step. What it does not
/// match gets a JSON 404/405/400, or goes to the [`RoutesService::fallback`]
/// router. [`Routes::into_router`] wraps it the other way round (an axum
/// `Router` whose fallback it is), which costs a second routing step.
#[derive(Clone)]
pub struct RoutesService {
    matcher: Arc<Matcher<(&'static RouteSpec, Target)>>,
    /// User routes for what the matcher does not match.
    fallback: Option<axum::Router>,
}

impl RoutesService {
    /// Sends every request no protoway route matches (unknown path, other
    /// method, undecodable path) to `router`, so an application's own axum
    /// routes (health, docs, metrics) sit beside the generated ones while
    /// generated routes keep the single routing step. What `router` does not
    /// route either gets protoway's JSON 404/405/400: `router`'s own
    /// fallback, if it has one, is replaced; route `/{*rest}` instead.
    pub fn fallback(mut self, router: axum::Router) -> Self {
        let unmatched = RoutesService {
            matcher: self.matcher.clone(),
            fallback: None,
        };
        self.fallback = Some(router.fallback_service(unmatched));
        self
    }

    /// The make-service `axum::serve` takes: every connection gets a clone.
    pub fn into_make_service(self) -> axum::routing::IntoMakeService<Self> {
        axum::ServiceExt::<http::Request<Body>>::into_make_service(self)
    }
}

impl std::fmt::Debug for RoutesService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoutesService")
            .field("routes", &self.matcher.len())
            .finish()
    }
}

impl Service<http::Request<Body>> for RoutesService {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: http::Request<Body>) -> Self::Future {
        let outcome = self.matcher.find(req.method().as_str(), req.uri().path());
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
                match target {
                    Target::Direct(handler) => handler(req, values),
                    Target::Layered(endpoint) => {
                        req.extensions_mut().insert(Operation(spec.operation));
                        req.extensions_mut().insert(PathValues(values));
                        Box::pin(endpoint.clone().oneshot(req))
                    }
                }
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

/// What every request of one route shares.
struct RouteState {
    spec: &'static RouteSpec,
    call: CallFn,
    fields: BoundFields,
    config: Arc<Config>,
}

/// Binds and calls one route: its [`Bound`] behind a trait object, so
/// that everything around it is compiled once.
type CallFn = Arc<dyn CallRoute>;

/// One route's request: bound, handed to the service, its reply encoded.
trait CallRoute: Send + Sync {
    fn call(&self, incoming: Incoming<'_>) -> ResponseFuture;
}

/// A matched request with its body read: what a route binds from.
struct Incoming<'a> {
    route: &'a RouteState,
    parts: Box<http::request::Parts>,
    bytes: Bytes,
    /// Path captures.
    values: &'a [String],
    /// The negotiated reply codec.
    codec: Codec,
}

/// A generated call function: the service's method called with the bound
/// request, its reply sent through [`ReplyTo`], as one boxed future:
///
/// ```ignore
/// fn call_get_shelf<S: LibraryService>(
///     service: Arc<S>,
///     request: Request<GetShelfRequest>,
///     reply: ReplyTo,
/// ) -> ReplyFuture {
///     Box::new(async move { reply.send(service.get_shelf(request).await) })
/// }
/// ```
pub type ServiceCall<S, M> = fn(Arc<S>, Request<M>, ReplyTo) -> ReplyFuture;

/// What a [`ServiceCall`] returns: the HTTP response's future, boxed and
/// not yet pinned. The runtime pins it (`Box::into_pin`, compiled once for
/// the trait object), so a route compiles `Box::new` alone, not
/// `Box::pin` and `Box::new`.
pub type ReplyFuture =
    Box<dyn Future<Output = Result<axum::response::Response, Infallible>> + Send>;

/// A route's service, its call function and its body field accessor.
/// [`CallRoute::call`] is the only code compiled per route (per service
/// and request type) besides the generated call's own future.
struct Bound<S, M> {
    service: Arc<S>,
    call: ServiceCall<S, M>,
    field: Option<BodyFieldFn<M>>,
}

impl<S, M> CallRoute for Bound<S, M>
where
    S: Send + Sync + 'static,
    M: prost::Message + Default + serde::de::DeserializeOwned + Send + 'static,
{
    fn call(&self, incoming: Incoming<'_>) -> ResponseFuture {
        let mut message = M::default();
        let mut target = RequestTarget {
            message: &mut message,
            field: self.field,
        };
        // A pattern, not `Option::is_some`: no function compiled per route.
        #[allow(clippy::redundant_pattern_matching)]
        let has_field = matches!(self.field, Some(_));
        let target = BindingMessage {
            has_field,
            message: &mut target,
        };
        match bind_incoming(incoming, target) {
            Ok(BoundParts {
                parts,
                operation,
                reply,
            }) => Box::into_pin((self.call)(
                self.service.clone(),
                Request {
                    parts,
                    operation,
                    message,
                },
                reply,
            )),
            Err(failed) => failed,
        }
    }
}

/// What a bound request carries besides its message.
struct BoundParts {
    parts: Box<http::request::Parts>,
    operation: &'static str,
    reply: ReplyTo,
}

/// Binds `incoming` into `target`: what comes with the message, or the
/// reply to a request that could not be bound. Everything of a route's
/// call but creating the message and calling the service, kept out of the
/// code compiled per route.
fn bind_incoming(
    incoming: Incoming<'_>,
    mut target: BindingMessage<'_>,
) -> Result<BoundParts, ResponseFuture> {
    let Incoming {
        route,
        parts,
        bytes,
        values,
        codec,
    } = incoming;
    match bind_request(route, &parts, bytes, values, &mut target) {
        Ok(()) => Ok(BoundParts {
            parts,
            operation: route.spec.operation,
            reply: ReplyTo::new(route, codec),
        }),
        Err(e) => Err(ready(route.spec, error_response(codec, e))),
    }
}

/// [`Routes::add`]'s call function: the closure is the "service".
fn call_closure<M, R, F, Fut>(handler: Arc<F>, request: Request<M>, reply: ReplyTo) -> ReplyFuture
where
    R: prost::Message + serde::Serialize + Send + 'static,
    F: Fn(Request<M>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<R>, Error>> + Send + 'static,
{
    let reply_future = handler(request);
    Box::new(async move { reply.send(reply_future.await) })
}

/// Where a handler's reply goes: encoded as the route and the request's
/// negotiated codec say. Generated call functions end with
/// [`ReplyTo::send`].
pub struct ReplyTo {
    spec: &'static RouteSpec,
    config: Arc<Config>,
    codec: Codec,
}

impl std::fmt::Debug for ReplyTo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplyTo")
            .field("operation", &self.spec.operation)
            .field("codec", &self.codec)
            .finish()
    }
}

impl ReplyTo {
    fn new(route: &RouteState, codec: Codec) -> ReplyTo {
        ReplyTo {
            spec: route.spec,
            config: route.config.clone(),
            codec,
        }
    }

    /// The handler's outcome as the HTTP response: the message encoded
    /// (JSON or protobuf, `response_body` applied), or the error's JSON.
    pub fn send<R: EncodeMessage>(
        self,
        reply: Result<Response<R>, Error>,
    ) -> Result<axum::response::Response, Infallible> {
        let response = match reply {
            Ok(Response {
                message,
                status,
                headers,
            }) => encode_reply(
                self.spec,
                &self.config,
                self.codec,
                &message,
                status,
                headers,
            ),
            Err(e) => error_response(self.codec, e),
        };
        Ok(with_operation(self.spec, response))
    }
}

/// A request message's body field, for `body: "field"` rules naming a
/// singular message field (generated: `|m| body_field(&mut m.book)`).
pub type BodyFieldFn<M> = fn(&mut M) -> &mut dyn DecodeMessage;

/// The message being bound, and its body field when the route names one.
struct RequestTarget<'m, M> {
    message: &'m mut M,
    field: Option<BodyFieldFn<M>>,
}

/// [`RequestTarget`] without its type: one method, so a route compiles one
/// function for it.
trait BindTarget {
    /// The body field's message (set to its default first if unset) when
    /// `field` and the route has one; else the whole message.
    fn message(&mut self, field: bool) -> &mut dyn DecodeMessage;
}

impl<M: DecodeMessage> BindTarget for RequestTarget<'_, M> {
    fn message(&mut self, field: bool) -> &mut dyn DecodeMessage {
        match self.field {
            Some(accessor) if field => accessor(self.message),
            _ => self.message,
        }
    }
}

/// The binder's view of the message being bound.
struct BindingMessage<'a> {
    message: &'a mut dyn BindTarget,
    /// Whether the route has a body field accessor.
    has_field: bool,
}

impl BindingMessage<'_> {
    fn whole(&mut self) -> &mut dyn DecodeMessage {
        self.message.message(false)
    }

    fn has_body_field(&self) -> bool {
        self.has_field
    }

    fn body_field(&mut self) -> Option<&mut dyn DecodeMessage> {
        if self.has_field {
            Some(self.message.message(true))
        } else {
            None
        }
    }
}

/// A request up to its first await: negotiation, and for body-less routes
/// binding and the handler call, happen here, so the future boxed per
/// request holds only what lives across an await (a smaller allocation).
fn start(route: &Arc<RouteState>, req: http::Request<Body>, values: Vec<String>) -> ResponseFuture {
    let spec = route.spec;
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let Some(codec) = codec::negotiate(accept) else {
        let error = Error::new(
            406,
            "NOT_ACCEPTABLE",
            "acceptable replies are application/json and application/x-protobuf",
        );
        return ready(spec, error_response(Codec::Json, error));
    };
    let (parts, body) = req.into_parts();
    let parts = Box::new(parts);
    if let BodyRule::None = spec.body {
        return route.call.call(Incoming {
            route,
            parts,
            bytes: Bytes::new(),
            values: &values,
            codec,
        });
    }
    Box::pin(read_then_respond(route.clone(), codec, parts, body, values))
}

fn ready(spec: &'static RouteSpec, response: axum::response::Response) -> ResponseFuture {
    Box::pin(std::future::ready(Ok(with_operation(spec, response))))
}

/// Reads the body, then binds, calls the handler and encodes its reply.
async fn read_then_respond(
    route: Arc<RouteState>,
    codec: Codec,
    parts: Box<http::request::Parts>,
    body: Body,
    values: Vec<String>,
) -> Result<axum::response::Response, Infallible> {
    let config = &route.config;
    match read_body(&parts, body, config.body_limit, config.body_timeout).await {
        Ok(bytes) => {
            let incoming = Incoming {
                route: &route,
                parts,
                bytes,
                values: &values,
                codec,
            };
            route.call.call(incoming).await
        }
        Err(e) => Ok(with_operation(route.spec, error_response(codec, e))),
    }
}

fn with_operation(
    spec: &'static RouteSpec,
    mut resp: axum::response::Response,
) -> axum::response::Response {
    resp.extensions_mut().insert(Operation(spec.operation));
    resp
}

async fn read_body(
    parts: &http::request::Parts,
    body: Body,
    limit: usize,
    timeout: Option<std::time::Duration>,
) -> Result<Bytes, Error> {
    let too_large = || {
        Error::new(
            413,
            "PAYLOAD_TOO_LARGE",
            format!("request body exceeds {limit} bytes"),
        )
    };
    if let Some(len) = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit as u64
    {
        return Err(too_large());
    }
    let collect = Limited::new(body, limit).collect();
    let collected = match timeout {
        None => collect.await,
        // Boxed: a timer is large and most routers set no timeout.
        Some(timeout) => match Box::pin(tokio::time::timeout(timeout, collect)).await {
            Ok(collected) => collected,
            Err(_) => {
                return Err(Error::new(
                    408,
                    "REQUEST_TIMEOUT",
                    format!("the request body did not arrive within {timeout:?}"),
                ));
            }
        },
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(too_large()),
        Err(e) => Err(Error::bad_request(
            "BAD_BODY",
            format!("reading the request body failed: {e}"),
        )),
    }
}

/// The field paths a route binds from its path and body.
#[derive(Clone)]
struct BoundFields {
    /// Field path of each path variable, in template order.
    variables: Vec<Vec<String>>,
    /// Fields whose query keys are ignored: path variables and the body field.
    query_excluded: Vec<Vec<String>>,
}

fn unsupported_media(content_type: Option<&str>) -> Error {
    Error::new(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        format!(
            "unsupported Content-Type {:?}: use application/json or application/x-protobuf",
            content_type.unwrap_or("")
        ),
    )
}

/// `body: "a.b"` in protobuf needs a singular message field there.
fn check_protobuf_field(request: &'static MessageSpec, path: &[FieldRef]) -> Result<(), Error> {
    let target = path.iter().try_fold(None, |parent: Option<&FieldSpec>, f| {
        let message = match parent {
            None => request,
            Some(FieldSpec {
                kind: Kind::Message(m),
                ..
            }) => m,
            Some(_) => return None,
        };
        message.field(f.name).map(Some)
    });
    let is_message = matches!(
        target,
        Some(Some(FieldSpec {
            kind: Kind::Message(_),
            cardinality: Cardinality::Singular | Cardinality::Optional,
            ..
        }))
    );
    if is_message {
        Ok(())
    } else {
        let name = path.last().map_or("", |f| f.name);
        Err(Error::new(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            format!("field {name:?} is not a message: send it as JSON"),
        ))
    }
}

fn invalid_protobuf(e: prost::DecodeError) -> Error {
    Error::bad_request("INVALID_ARGUMENT", format!("invalid protobuf body: {e}"))
}

/// The query and path parameters of one request, bound on demand (twice
/// when an error must name its source).
struct Params<'a> {
    spec: &'static RouteSpec,
    fields: &'a BoundFields,
    query: &'a str,
    values: &'a [String],
}

impl<'a> Params<'a> {
    fn bind(&self) -> Result<JsonBuilder<'a>, Error> {
        let mut builder = JsonBuilder::new();
        // `body: "*"` takes no query parameters; every other rule does.
        if !matches!(self.spec.body, BodyRule::All | BodyRule::AllHttpBody) {
            builder.query(self.spec.request, self.query, &self.fields.query_excluded)?;
        }
        builder.paths(self.spec.request, &self.fields.variables, self.values)?;
        Ok(builder)
    }
}

/// How a request's message is decoded: decided without knowing its type,
/// so this part is compiled once, not per message type.
enum Plan {
    /// Query and path only.
    Params,
    /// Protobuf body at a field path (empty: the whole message).
    Protobuf(&'static [FieldRef], Bytes),
    /// JSON body at a field path.
    JsonField(&'static [FieldRef], Bytes),
    /// JSON body for the whole message (or an empty body).
    Json(Bytes),
    /// A form body (`a=1&b.c=x`), bound like query parameters into the
    /// message (empty path) or into the body field at the path.
    Form(&'static [FieldRef], Bytes),
}

fn plan(
    spec: &'static RouteSpec,
    parts: &http::request::Parts,
    bytes: Bytes,
) -> Result<Plan, Error> {
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let codec =
        || codec::request_codec(content_type).ok_or_else(|| unsupported_media(content_type));
    let http_body = || Bytes::from(wire::encode_http_body(content_type.unwrap_or(""), &bytes));
    Ok(match &spec.body {
        BodyRule::None => Plan::Params,
        BodyRule::AllHttpBody => Plan::Protobuf(&[], http_body()),
        BodyRule::FieldHttpBody(path) => Plan::Protobuf(path, http_body()),
        BodyRule::All if codec::is_form(content_type) => Plan::Form(&[], bytes),
        BodyRule::Field(path) if codec::is_form(content_type) => Plan::Form(path, bytes),
        BodyRule::All => match codec()? {
            Codec::Protobuf => Plan::Protobuf(&[], bytes),
            Codec::Json => Plan::Json(bytes),
        },
        BodyRule::Field(path) => match codec()? {
            Codec::Protobuf => {
                check_protobuf_field(spec.request, path)?;
                Plan::Protobuf(path, bytes)
            }
            Codec::Json if bytes.is_empty() => Plan::Json(bytes),
            Codec::Json => Plan::JsonField(path, bytes),
        },
    })
}

/// Decodes a JSON body into `message` (an empty body leaves it default).
fn decode_json(message: &mut dyn DecodeMessage, body: &[u8]) -> Result<(), Error> {
    if body.is_empty() {
        return Ok(());
    }
    message.replace_json(body).map_err(|e| invalid_json(&e))
}

/// The request message from body, query and path. Body first, then
/// query, then path: later sources win.
fn bind_request(
    route: &RouteState,
    parts: &http::request::Parts,
    bytes: Bytes,
    values: &[String],
    target: &mut BindingMessage<'_>,
) -> Result<(), Error> {
    let spec = route.spec;
    let params = Params {
        spec,
        fields: &route.fields,
        query: parts.uri.query().unwrap_or(""),
        values,
    };
    match plan(spec, parts, bytes)? {
        Plan::Params => replace_with_params(target.whole(), params.bind()?),
        Plan::Protobuf(path, body) => {
            let builder = params.bind()?;
            let decoded = if path.is_empty() {
                target.whole().merge_protobuf(&body)
            } else if target.has_body_field() {
                match target.body_field() {
                    Some(field) => field.merge_protobuf(&body),
                    None => Ok(()),
                }
            } else {
                // A oneof member: the body as the field, behind its key.
                let mut nested = wire::nesting_header(path.iter().map(|f| f.number), body.len());
                nested.extend_from_slice(&body);
                target.whole().merge_protobuf(&nested)
            };
            decoded.map_err(|e| {
                if matches!(
                    spec.body,
                    BodyRule::AllHttpBody | BodyRule::FieldHttpBody(_)
                ) {
                    Error::bad_request("INVALID_ARGUMENT", e.to_string())
                } else {
                    invalid_protobuf(e)
                }
            })?;
            merge_params(target.whole(), builder)
        }
        Plan::JsonField(path, body) => {
            decode_json_field(spec.request, path, &body, &params, target)
        }
        Plan::Json(body) => {
            let builder = params.bind()?;
            decode_json(target.whole(), &body)?;
            merge_params(target.whole(), builder)
        }
        Plan::Form(path, body) => {
            let form = std::str::from_utf8(&body).map_err(|_| {
                Error::bad_request("INVALID_ARGUMENT", "the form body is not UTF-8")
            })?;
            let query = form_as_query(path, form, params.query);
            let mut builder = JsonBuilder::new();
            // The form's keys may name the body field; only the path's
            // variables are excluded.
            builder.query(spec.request, &query, &route.fields.variables)?;
            builder.paths(spec.request, &route.fields.variables, values)?;
            replace_with_params(target.whole(), builder)
        }
    }
}

/// A form body as query text on the request message: with a `body:
/// "field"` rule its keys are the field's own (`title=x` for `body:
/// "book"` is `book.title=x`), and the URL's query comes first; a `body:
/// "*"` form is the whole message, without the URL's query (as a JSON body).
fn form_as_query(path: &[FieldRef], form: &str, url_query: &str) -> String {
    if path.is_empty() {
        return form.to_owned();
    }
    let prefix: String = path.iter().map(|f| format!("{}.", f.name)).collect();
    let mut query = String::with_capacity(url_query.len() + form.len() * 2);
    query.push_str(url_query);
    for pair in form.split('&').filter(|p| !p.is_empty()) {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&prefix);
        query.push_str(pair);
    }
    query
}

/// A JSON body that is the value of the field at `path` (`body: "item"`),
/// plus the query and path parameters `params` binds. A singular message
/// field is decoded straight into its message; when the parameters do not
/// touch that field they are bound first (no merge). Other fields (scalars,
/// maps, oneof members) are read as `{"item": <body>}` once the body is
/// known to be one JSON value.
fn decode_json_field(
    request: &'static MessageSpec,
    path: &[FieldRef],
    body: &[u8],
    params: &Params<'_>,
    target: &mut BindingMessage<'_>,
) -> Result<(), Error> {
    let builder = params.bind()?;
    let outer = path.first().map_or("", |f| f.name);
    let disjoint = request
        .field(outer)
        .is_some_and(|f| f.oneof.is_none() && builder.tree().iter().all(|(k, _)| k != f.json_name));
    if target.has_body_field() {
        if disjoint {
            replace_with_params(target.whole(), builder)?;
            let field = target
                .body_field()
                .ok_or_else(|| internal("no body field"))?;
            return decode_json(field, body);
        }
        let field = target
            .body_field()
            .ok_or_else(|| internal("no body field"))?;
        decode_json(field, body)?;
        return merge_params(target.whole(), builder);
    }
    let wrapped =
        wrap_json(path.iter().map(|f| f.json_name), body).map_err(|e| invalid_json(&e))?;
    target.whole().replace_json(&wrapped).map_err(|e| {
        Error::bad_request(
            "INVALID_ARGUMENT",
            format!("invalid JSON body: {}", bind::without_position(&e)),
        )
    })?;
    merge_params(target.whole(), builder)
}

/// A handler's reply in `codec`, per the route's `response_body`.
fn encode_reply(
    spec: &'static RouteSpec,
    config: &Config,
    codec: Codec,
    message: &dyn EncodeMessage,
    status: StatusCode,
    mut headers: HeaderMap,
) -> axum::response::Response {
    let encoded: Result<(HeaderValue, Vec<u8>), Error> = (|| match (&spec.response_body, codec) {
        (ResponseBody::HttpBody, _) => raw_http_body(&message.to_protobuf()),
        (ResponseBody::FieldHttpBody(f), _) => {
            let field =
                wire::extract_len_field(&message.to_protobuf(), f.number).unwrap_or_default();
            raw_http_body(&field)
        }
        (ResponseBody::Whole, Codec::Protobuf) => Ok((
            HeaderValue::from_static(codec.content_type()),
            message.to_protobuf(),
        )),
        (ResponseBody::Field(f), Codec::Protobuf) => Ok((
            HeaderValue::from_static(codec.content_type()),
            wire::extract_len_field(&message.to_protobuf(), f.number).unwrap_or_default(),
        )),
        (ResponseBody::Whole, Codec::Json) if !config.emit_defaults => Ok((
            HeaderValue::from_static(codec.content_type()),
            message.to_json().map_err(internal)?,
        )),
        (ResponseBody::Whole, Codec::Json) => {
            let mut v = json_value(message)?;
            fill_defaults(spec.reply, &mut v);
            Ok((
                HeaderValue::from_static(codec.content_type()),
                serde_json::to_vec(&v).map_err(internal)?,
            ))
        }
        (ResponseBody::Field(f), Codec::Json) => {
            let mut v = json_value(message)?;
            if config.emit_defaults {
                fill_defaults(spec.reply, &mut v);
            }
            let field = v
                .get_mut(f.json_name)
                .map(Value::take)
                .or_else(|| spec.reply.field(f.name).map(default_json))
                .unwrap_or(Value::Null);
            Ok((
                HeaderValue::from_static(codec.content_type()),
                serde_json::to_vec(&field).map_err(internal)?,
            ))
        }
    })();
    match encoded {
        Ok((content_type, body)) => {
            // Built in place: `(status, body).into_response()` would set a
            // content type of its own, then copy the handler's headers over.
            // The handler's framing headers (a downstream reply's
            // Content-Length, say) describe other bytes than these.
            crate::metadata::strip_framing(&mut headers);
            headers.insert(header::CONTENT_TYPE, content_type);
            let mut resp = axum::response::Response::new(axum::body::Body::from(body));
            *resp.status_mut() = status;
            *resp.headers_mut() = headers;
            resp
        }
        Err(e) => error_response(codec, e),
    }
}

/// The reply as a JSON tree (through its text: one serializer per message).
fn json_value(message: &dyn EncodeMessage) -> Result<Value, Error> {
    let text = message.to_json().map_err(internal)?;
    serde_json::from_slice(&text).map_err(internal)
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::internal_server("ENCODING", format!("encoding the reply failed: {e}"))
}

fn raw_http_body(encoded: &[u8]) -> Result<(HeaderValue, Vec<u8>), Error> {
    let (content_type, data) =
        wire::decode_http_body(encoded).ok_or_else(|| internal("bad HttpBody"))?;
    // An empty or unsendable (control characters) type: plain bytes.
    let content_type = HeaderValue::from_str(&content_type)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((content_type, data))
}

/// The proto3 JSON default a field has when unpopulated.
fn default_json(field: &FieldSpec) -> Value {
    if field.cardinality == Cardinality::Repeated {
        return Value::Array(Vec::new());
    }
    if let Some(scalar) = field.kind.scalar_default_json() {
        return scalar;
    }
    match field.kind {
        Kind::Enum(e) => e
            .values
            .first()
            .map_or(Value::from(0), |(n, _)| Value::String((*n).into())),
        Kind::Map(_) => Value::Object(Default::default()),
        _ => Value::Null,
    }
}

/// Adds every unpopulated field (except oneof members and explicit-presence
/// fields) with its default, recursively.
fn fill_defaults(spec: &MessageSpec, value: &mut Value) {
    let Value::Object(obj) = value else { return };
    for field in spec.fields {
        match obj.get_mut(field.json_name) {
            None if field.oneof.is_none() && field.cardinality != Cardinality::Optional => {
                obj.insert(field.json_name.to_string(), default_json(field));
            }
            Some(v) => match field.kind {
                Kind::Message(inner) => match v {
                    Value::Array(items) => items.iter_mut().for_each(|i| fill_defaults(inner, i)),
                    other => fill_defaults(inner, other),
                },
                Kind::Map(map) => {
                    if let (Kind::Message(inner), Value::Object(m)) = (map.value, v) {
                        m.values_mut().for_each(|i| fill_defaults(inner, i));
                    }
                }
                _ => {}
            },
            None => {}
        }
    }
    let _ = WellKnown::Empty;
}

/// An error as a response in `codec`: JSON (kratos' shape) or protobuf
/// (`errors.Error`).
/// A tower layer's error as the Error JSON reply.
fn layer_error_response(err: impl Into<tower::BoxError>) -> axum::response::Response {
    let err: tower::BoxError = err.into();
    let error = if err.is::<tower::timeout::error::Elapsed>() {
        Error::gateway_timeout("TIMEOUT", "the request timed out")
    } else {
        Error::from_error(err)
    };
    error_response(Codec::Json, error)
}

pub fn error_response(codec: Codec, err: Error) -> axum::response::Response {
    match codec {
        Codec::Json => err.into_response(),
        Codec::Protobuf => {
            let mut resp = err.clone().into_response();
            let proto = ErrorProto {
                code: i32::from(err.code()),
                reason: err.reason().to_string(),
                message: err.message().to_string(),
                metadata: err
                    .metadata()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            };
            *resp.body_mut() = Body::from(prost::Message::encode_to_vec(&proto));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-protobuf"),
            );
            resp
        }
    }
}
