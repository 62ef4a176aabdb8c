//! The route table: [`Routes`] collects generated and hand-written
//! bindings, their tower layers and the router settings, then compiles
//! them into the [`RoutesService`] that serves them.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service, ServiceExt};

use super::call::{Bound, call_closure, start};
use super::matching::Dispatch;
use super::reply::layer_error_response;
use super::rpc::RpcTable;
use super::values::{
    CallFn, CallRoute, Config, Endpoint, Handler, MakeHandler, RouteState, Rpc, Target,
    WrapEndpoint,
};
use super::{
    BodyFieldFn, DEFAULT_BODY_LIMIT, PathValues, RouteSpec, RoutesService, ServiceCall, stream,
};
use crate::matcher::Matcher;
use crate::route::{Request, Response};
use crate::{Error, path};

#[cfg(feature = "grpc")]
use super::values::GrpcEndpoint;

#[derive(Clone)]
pub(super) struct Entry {
    pub(super) spec: &'static RouteSpec,
    /// The requests this route matches: two entries with the same shape
    /// would tie on every request. `None` for an RPC-only method.
    pub(super) shape: Option<RouteShape>,
    pub(super) make: MakeHandler,
    /// [`Routes::layer`] layers, innermost first.
    pub(super) layers: Vec<WrapEndpoint>,
}

/// A route's method and template shape (literals, `*`, `**`, verb):
/// variable names do not matter to matching.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct RouteShape {
    pub(super) method: &'static str,
    pub(super) segments: Vec<path::Segment>,
    pub(super) verb: Option<String>,
}

/// A tower layer [`Routes::layer`] and [`Routes::route_layer`] take: any
/// [`Layer`] whose service takes `http::Request<axum::body::Body>` and
/// answers an `http::Response` with any body (axum's, tower-http's
/// wrappers), failing with any error (which becomes an Error reply).
/// Implemented for every such layer; it cannot be implemented by hand.
pub trait RoutesLayer: sealed::Sealed {
    /// The layer as a wrapper of endpoints: its response body boxed into
    /// axum's, its service's errors turned into Error replies.
    #[doc(hidden)]
    fn into_wrap(self) -> WrapEndpoint;
}

mod sealed {
    /// Seals [`super::RoutesLayer`].
    pub trait Sealed {}

    /// A response of any body, as axum's.
    pub trait IntoAxumResponse {
        /// The same response, its body boxed.
        fn into_axum(self) -> axum::response::Response;
    }

    impl<B> IntoAxumResponse for http::Response<B>
    where
        B: axum::body::HttpBody<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<tower::BoxError>,
    {
        fn into_axum(self) -> axum::response::Response {
            self.map(axum::body::Body::new)
        }
    }
}

type LayerService<L> = <L as Layer<Endpoint>>::Service;

impl<L> sealed::Sealed for L where L: Layer<Endpoint> {}

impl<L> RoutesLayer for L
where
    L: Layer<Endpoint> + Clone + Send + Sync + 'static,
    LayerService<L>: Service<http::Request<Body>> + Clone + Send + Sync + 'static,
    <LayerService<L> as Service<http::Request<Body>>>::Response: sealed::IntoAxumResponse,
    <LayerService<L> as Service<http::Request<Body>>>::Error: Into<tower::BoxError>,
    <LayerService<L> as Service<http::Request<Body>>>::Future: Send + 'static,
{
    fn into_wrap(self) -> WrapEndpoint {
        let layer = self;
        Arc::new(move |inner| {
            let layered = layer.layer(inner);
            BoxCloneSyncService::new(tower::service_fn(move |req: http::Request<Body>| {
                let layered = layered.clone();
                async move {
                    Ok::<_, Infallible>(match layered.oneshot(req).await {
                        Ok(response) => sealed::IntoAxumResponse::into_axum(response),
                        Err(e) => layer_error_response(e),
                    })
                }
            }))
        })
    }
}

impl RouteShape {
    /// # Panics
    ///
    /// On a template that does not parse (generated specs never have one).
    fn of(spec: &'static RouteSpec) -> (RouteShape, &'static path::Template) {
        let template = spec.parsed_template().unwrap_or_else(|err| {
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

/// Routes of one or more generated services; turn them into an
/// [`axum::Router`] with [`Routes::into_router`].
#[derive(Clone)]
pub struct Routes {
    pub(super) entries: Vec<Entry>,
    /// Whole gRPC services served beside the routes.
    #[cfg(feature = "grpc")]
    pub(super) grpc_services: Vec<(String, GrpcEndpoint)>,
    /// [`Routes::layer`] layers, innermost first.
    pub(super) service_layers: Vec<WrapEndpoint>,
    pub(super) fallback: Option<axum::Router>,
    pub(super) config: Config,
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
            #[cfg(feature = "grpc")]
            grpc_services: Vec::new(),
            service_layers: Vec::new(),
            fallback: None,
            config: Config {
                body_limit: DEFAULT_BODY_LIMIT,
                body_timeout: None,
                emit_defaults: false,
                keep_alive: std::time::Duration::from_secs(15),
                stream_idle_timeout: None,
                operation_in_responses: false,
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
    /// When `spec.template` does not parse, when `spec.path_fields` are
    /// not its variables (generated specs always agree), or a route already
    /// added has the same method and template shape (variable names aside),
    /// as axum's `Router::route` panics on an overlap.
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

    /// [`Routes::route`] for a method whose requests stream (client and
    /// bidi streams): the handler gets a [`Streaming`](crate::Streaming)
    /// of requests, read as they come (one message per gRPC frame, per
    /// Connect envelope, per line of newline-delimited JSON on HTTP).
    ///
    /// # Panics
    ///
    /// As [`Routes::add`].
    pub fn route_stream<S, M>(
        self,
        spec: &'static RouteSpec,
        service: &Arc<S>,
        call: ServiceCall<S, crate::Streaming<M>>,
    ) -> Self
    where
        S: Send + Sync + 'static,
        M: prost::Message + Default + serde::de::DeserializeOwned + Send + 'static,
    {
        let bound = stream::BoundStream {
            service: service.clone(),
            call,
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
        let shape = if spec.is_rpc_only() {
            None
        } else {
            let (shape, template) = RouteShape::of(spec);
            self.reject_duplicate(spec, &shape);
            let variables = template.variables.iter().map(|v| &v.field_path);
            if !variables.eq(spec.path_fields.iter()) {
                panic!(
                    "route {} {} ({}): path_fields {:?} are not the template's variables",
                    spec.method, spec.template, spec.operation, spec.path_fields
                );
            }
            Some(shape)
        };
        let make: MakeHandler = Arc::new(move |config: Arc<Config>| {
            // One Arc per route: a request clones it once.
            let route = Arc::new(RouteState {
                spec,
                call: call.clone(),
                config,
            });
            Arc::new(
                move |req: http::Request<Body>, values: Vec<String>, rpc: Option<Rpc>| {
                    start(&route, req, values, rpc)
                },
            ) as Handler
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
        if let Some(other) = self
            .entries
            .iter()
            .find(|e| e.shape.as_ref() == Some(shape))
        {
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

    /// Adds every route of `other`. Its [`Routes::route_layer`] layers stay
    /// on its routes; its [`Routes::layer`] layers become route layers of
    /// its routes (they no longer see its unmatched requests); its fallback
    /// is used if this one has none.
    ///
    /// # Panics
    ///
    /// When a route of `other` has the method and template shape of one
    /// already here (as axum's `Router::merge` panics on an overlap):
    /// protoway-generated services never collide with themselves, since
    /// generation rejects such a pair.
    pub fn merge(mut self, other: Routes) -> Self {
        for mut entry in other.entries {
            entry.layers.extend(other.service_layers.iter().cloned());
            if let Some(shape) = &entry.shape {
                self.reject_duplicate(entry.spec, shape);
            }
            self.entries.push(entry);
        }
        #[cfg(feature = "grpc")]
        self.grpc_services.extend(other.grpc_services);
        if self.fallback.is_none() {
            self.fallback = other.fallback;
        }
        self
    }

    /// Wraps the whole service in `layer`, as axum's `Router::layer`: it
    /// sees every request before matching, on every transport (HTTP/JSON,
    /// gRPC, gRPC-Web, Connect, WebSocket upgrades), CORS preflights, the
    /// gRPC services added with [`Routes::grpc_service`] and the
    /// [`Routes::fallback`] router, whatever is added after it. Layers
    /// added later wrap the earlier ones. Any tower or tower-http layer
    /// fits, whatever its response body type.
    ///
    /// What the layer answers by itself reaches each caller in its own
    /// protocol: return a [`crate::Error`] (`error.into_response()`, or as
    /// the layer's service error) and an HTTP caller gets kratos' error
    /// JSON, a gRPC or gRPC-Web caller a status with the message and the
    /// `google.rpc.ErrorInfo` detail, a Connect caller a Connect error. A
    /// failed response without an `Error` (tower-http's 401 or 408) gets
    /// the code of its HTTP status. Other errors of the layer's service are
    /// 500, a timeout (`tower::timeout`'s `Elapsed`) 504 `TIMEOUT`. The
    /// headers the layer set (CORS, request ids) are kept.
    ///
    /// No [`Operation`](super::Operation) yet: the request is not matched. Use
    /// [`Routes::route_layer`] for layers that need it.
    pub fn layer<L: RoutesLayer>(mut self, layer: L) -> Self {
        self.service_layers.push(layer.into_wrap());
        self
    }

    /// Wraps every route added so far in `layer`, as axum's
    /// `Router::route_layer`: it runs after matching, before binding, for
    /// matched calls only, on every transport; [`Operation`](super::Operation) is in the
    /// request extensions. Requests no route matches (404, 405) do not
    /// reach it.
    ///
    /// What it answers by itself reaches each caller in its own protocol,
    /// as with [`Routes::layer`].
    pub fn route_layer<L: RoutesLayer>(mut self, layer: L) -> Self {
        let wrap = layer.into_wrap();
        for entry in &mut self.entries {
            entry.layers.push(wrap.clone());
        }
        self
    }

    /// Sends every request no route answers (unknown path, other method,
    /// undecodable path) to `router`: see [`RoutesService::fallback`].
    /// [`Routes::layer`] layers cover it.
    pub fn fallback(mut self, router: axum::Router) -> Self {
        self.fallback = Some(router);
        self
    }

    /// Serves a whole gRPC service beside the routes, on the same port:
    /// every gRPC and gRPC-Web call to `/{S::NAME}/…`. One call each for the
    /// standard services: health (`tonic_health::server::health_reporter()`)
    /// and server reflection (`tonic_reflection::server::Builder`), or any
    /// tonic-generated server. Feature `grpc`.
    #[cfg(feature = "grpc")]
    pub fn grpc_service<S>(mut self, service: S) -> Self
    where
        S: Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<tonic::body::Body>,
                Error = Infallible,
            > + tonic::server::NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.grpc_services
            .push((format!("/{}/", S::NAME), BoxCloneSyncService::new(service)));
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

    /// Puts the [`Operation`](super::Operation) into every response's extensions too, for
    /// layers around the whole service (a metrics or access-log layer
    /// outside [`Routes::into_service`], which sees the request before any
    /// route is chosen). Default `false`: it costs an extension map and two
    /// boxes per request (about 3% of a small gRPC call's CPU), and layers
    /// added with [`Routes::layer`] see the `Operation` in the request
    /// extensions without it, as axum's route layers see `MatchedPath`.
    pub fn operation_in_responses(mut self, on: bool) -> Self {
        self.config.operation_in_responses = on;
        self
    }

    /// How often an idle server-sent-events stream sends a comment line
    /// (`: keep-alive`), so that proxies keep the connection. Default 15 s.
    pub fn sse_keep_alive(mut self, interval: std::time::Duration) -> Self {
        self.config.keep_alive = interval;
        self
    }

    /// How long a stream of replies may send nothing: then it ends with
    /// DEADLINE_EXCEEDED (`IDLE_TIMEOUT`) on every transport and the
    /// handler's stream is dropped. Default `None` (a watch may be quiet).
    pub fn stream_idle_timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
        self.config.stream_idle_timeout = timeout;
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
        let mut rpc = RpcTable {
            #[cfg(feature = "grpc")]
            services: self.grpc_services,
            ..RpcTable::default()
        };
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
                    let rpc = req.extensions_mut().remove::<Rpc>();
                    handler(req, values, rpc)
                });
                let endpoint = e
                    .layers
                    .iter()
                    .fold(BoxCloneSyncService::new(innermost), |inner, wrap| {
                        wrap(inner)
                    });
                Target::Layered(endpoint)
            };
            // The first binding of an operation serves its RPC transports.
            rpc.operations
                .entry(e.spec.operation)
                .or_insert_with(|| (e.spec, target.clone()));
            if e.spec.is_rpc_only() {
                continue;
            }
            // Templates were parsed when the route was added.
            let (_, template) = RouteShape::of(e.spec);
            matcher.insert_parsed(
                crate::matcher::MethodFilter::new(e.spec.method),
                template,
                (e.spec, target),
            );
        }
        let dispatch = Dispatch {
            matcher: Arc::new(matcher),
            rpc: Arc::new(rpc),
            fallback: None,
        };
        let service = RoutesService::new(dispatch, self.service_layers.into());
        match self.fallback {
            Some(router) => service.fallback(router),
            None => service,
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
