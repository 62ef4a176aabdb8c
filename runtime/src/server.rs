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
use crate::path;
use crate::spec::{Cardinality, FieldSpec, Kind, MessageSpec, WellKnown};
use crate::{Error, wire};

/// Default request body limit: 4 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 4 << 20;

/// The operation a request was routed to, `/{package}.{Service}/{Method}`;
/// in the request extensions before binding (so layers see it even when
/// binding fails) and in the response extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation(pub &'static str);

/// Path captures of the matched route, in template order.
#[derive(Debug, Clone)]
struct PathValues(Vec<String>);

/// A top-level field a rule names (`body: "book"`, `response_body: "books"`).
#[derive(Debug)]
pub struct FieldRef {
    /// Proto name.
    pub name: &'static str,
    /// JSON name.
    pub json_name: &'static str,
    /// Field number.
    pub number: u32,
}

/// Where the request body goes.
#[derive(Debug)]
pub enum BodyRule {
    /// No body: everything from query and path.
    None,
    /// `body: "*"`: the whole message; no query parameters.
    All,
    /// The request message is `google.api.HttpBody`: raw bytes.
    AllHttpBody,
    /// `body: "<field>"`, or a nested `"a.b"` (grpc-gateway): the path from
    /// the request message to the field, outermost first.
    Field(&'static [FieldRef]),
    /// `body: "<field>"` where the field is a `google.api.HttpBody`.
    FieldHttpBody(&'static [FieldRef]),
}

/// What the response body is.
#[derive(Debug)]
pub enum ResponseBody {
    /// The whole reply message.
    Whole,
    /// `response_body: "<field>"`.
    Field(FieldRef),
    /// The reply is a `google.api.HttpBody`: sent raw.
    HttpBody,
    /// `response_body` names a `google.api.HttpBody` field: sent raw.
    FieldHttpBody(FieldRef),
}

/// One generated binding: a route to an RPC.
#[derive(Debug)]
pub struct RouteSpec {
    /// `/{package}.{Service}/{Method}`.
    pub operation: &'static str,
    /// HTTP method, or `*` for any.
    pub method: &'static str,
    /// The path template.
    pub template: &'static str,
    /// Request message description.
    pub request: &'static MessageSpec,
    /// Reply message description.
    pub reply: &'static MessageSpec,
    /// Body rule.
    pub body: BodyRule,
    /// Response body rule.
    pub response_body: ResponseBody,
}

/// A request message plus what came with it: headers, extensions (set by
/// tower layers), method, URI and the operation.
#[derive(Debug)]
pub struct Request<T> {
    message: T,
    parts: http::request::Parts,
    operation: &'static str,
}

impl<T> Request<T> {
    /// A request with empty headers, for calling a service in-process.
    pub fn new(message: T) -> Self {
        Request {
            message,
            parts: http::Request::new(()).into_parts().0,
            operation: "",
        }
    }

    /// The message.
    pub fn get_ref(&self) -> &T {
        &self.message
    }

    /// The message, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.message
    }

    /// The message, consuming the request.
    pub fn into_inner(self) -> T {
        self.message
    }

    /// Request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// Request headers, mutably.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.parts.headers
    }

    /// Extensions, including whatever tower layers inserted.
    pub fn extensions(&self) -> &http::Extensions {
        &self.parts.extensions
    }

    /// Extensions, mutably.
    pub fn extensions_mut(&mut self) -> &mut http::Extensions {
        &mut self.parts.extensions
    }

    /// The HTTP method.
    pub fn method(&self) -> &http::Method {
        &self.parts.method
    }

    /// The request URI.
    pub fn uri(&self) -> &http::Uri {
        &self.parts.uri
    }

    /// `/{package}.{Service}/{Method}` (empty for [`Request::new`]).
    pub fn operation(&self) -> &'static str {
        self.operation
    }
}

/// A reply message plus the status (200 unless set) and extra headers.
#[derive(Debug, Clone)]
pub struct Response<T> {
    message: T,
    status: StatusCode,
    headers: HeaderMap,
}

impl<T> Response<T> {
    /// A 200 reply.
    pub fn new(message: T) -> Self {
        Response {
            message,
            status: StatusCode::OK,
            headers: HeaderMap::new(),
        }
    }

    /// Sets a success status other than 200, e.g. 201 Created.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Response headers, mutably.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// The message.
    pub fn get_ref(&self) -> &T {
        &self.message
    }

    /// The message, consuming the response.
    pub fn into_inner(self) -> T {
        self.message
    }
}

impl<T> From<T> for Response<T> {
    fn from(message: T) -> Self {
        Response::new(message)
    }
}

/// Router settings.
#[derive(Debug, Clone)]
struct Config {
    body_limit: usize,
    body_timeout: Option<std::time::Duration>,
    emit_defaults: bool,
}

type Endpoint = BoxCloneSyncService<http::Request<Body>, axum::response::Response, Infallible>;
type MakeEndpoint = Arc<dyn Fn(Arc<Config>) -> Endpoint + Send + Sync>;

struct Entry {
    spec: &'static RouteSpec,
    make: MakeEndpoint,
}

/// Routes of one or more generated services; turn them into an
/// [`axum::Router`] with [`Routes::into_router`].
#[derive(Clone)]
pub struct Routes {
    entries: Vec<Arc<Entry>>,
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

    /// Adds a generated binding; `handler` calls the service method.
    pub fn add<M, R, F, Fut>(mut self, spec: &'static RouteSpec, handler: F) -> Self
    where
        M: prost::Message + Default + serde::de::DeserializeOwned + Send + 'static,
        R: prost::Message + serde::Serialize + Send + 'static,
        F: Fn(Request<M>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<Response<R>, Error>> + Send + 'static,
    {
        let variables: Vec<Vec<String>> = path::parse(spec.template)
            .map(|t| t.variables.into_iter().map(|v| v.field_path).collect())
            .unwrap_or_default();
        // Query keys at or below these fields are ignored: the path or the
        // body field supplies them.
        let mut query_excluded = variables.clone();
        if let BodyRule::Field(body) | BodyRule::FieldHttpBody(body) = &spec.body {
            query_excluded.push(body.iter().map(|f| f.name.to_string()).collect());
        }
        let variables = Arc::new(BoundFields {
            variables,
            query_excluded,
        });
        let make: MakeEndpoint = Arc::new(move |config: Arc<Config>| {
            let handler = handler.clone();
            let variables = variables.clone();
            BoxCloneSyncService::new(tower::service_fn(move |req: http::Request<Body>| {
                let handler = handler.clone();
                let config = config.clone();
                let variables = variables.clone();
                async move {
                    Ok::<_, Infallible>(
                        serve::<M, R, F, Fut>(spec, &config, &variables, handler, req).await,
                    )
                }
            }))
        });
        self.entries.push(Arc::new(Entry { spec, make }));
        self
    }

    /// Adds a generated binding served by `call(service, request)`: what
    /// generated `routes()` functions use, one shared service per router.
    pub fn route<S, M, R, F, Fut>(self, spec: &'static RouteSpec, service: &Arc<S>, call: F) -> Self
    where
        S: Send + Sync + 'static,
        M: prost::Message + Default + serde::de::DeserializeOwned + Send + 'static,
        R: prost::Message + serde::Serialize + Send + 'static,
        F: Fn(Arc<S>, Request<M>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<Response<R>, Error>> + Send + 'static,
    {
        let service = service.clone();
        self.add(spec, move |request| call(service.clone(), request))
    }

    /// Adds every route of `other` (its layers stay on its routes).
    pub fn merge(mut self, other: Routes) -> Self {
        self.entries.extend(other.entries);
        self
    }

    /// Wraps every route added so far in `layer`. It runs after matching,
    /// before binding: [`Operation`] is in the request extensions.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Endpoint> + Clone + Send + Sync + 'static,
        L::Service: Service<http::Request<Body>, Response = axum::response::Response, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as Service<http::Request<Body>>>::Future: Send + 'static,
    {
        self.entries = self
            .entries
            .into_iter()
            .map(|e| {
                let inner = e.make.clone();
                let layer = layer.clone();
                Arc::new(Entry {
                    spec: e.spec,
                    make: Arc::new(move |c| BoxCloneSyncService::new(layer.layer(inner(c)))),
                })
            })
            .collect();
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
            // Templates were validated at generation time.
            if let Err(err) = matcher.insert(
                e.spec.method,
                e.spec.template,
                (e.spec, (e.make)(config.clone())),
            ) {
                panic!(
                    "invalid template {:?} for {}: {err}",
                    e.spec.template, e.spec.operation
                );
            }
        }
        RoutesService {
            matcher: Arc::new(matcher),
        }
    }

    /// An axum router whose fallback answers these routes, so user routes
    /// merged into it take precedence and anything unmatched gets the
    /// protoway 404/405. Combine several services with [`Routes::merge`]
    /// first: two routers with fallbacks cannot be merged by axum.
    pub fn into_router<S: Clone + Send + Sync + 'static>(self) -> axum::Router<S> {
        axum::Router::new().fallback_service(self.into_service())
    }
}

/// The tower service behind [`Routes::into_router`].
#[derive(Clone)]
pub struct RoutesService {
    matcher: Arc<Matcher<(&'static RouteSpec, Endpoint)>>,
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
    type Future =
        std::pin::Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: http::Request<Body>) -> Self::Future {
        let outcome = self.matcher.find(req.method().as_str(), req.uri().path());
        match outcome {
            Outcome::Found {
                value: (spec, endpoint),
                captures,
            } => {
                let values = captures.into_iter().map(|(_, v)| v).collect();
                req.extensions_mut().insert(Operation(spec.operation));
                req.extensions_mut().insert(PathValues(values));
                let endpoint = endpoint.clone();
                Box::pin(endpoint.oneshot(req))
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

/// The whole life of one routed request.
async fn serve<M, R, F, Fut>(
    spec: &'static RouteSpec,
    config: &Config,
    fields: &BoundFields,
    handler: F,
    req: http::Request<Body>,
) -> axum::response::Response
where
    M: prost::Message + Default + serde::de::DeserializeOwned + Send + 'static,
    R: prost::Message + serde::Serialize + Send + 'static,
    F: Fn(Request<M>) -> Fut,
    Fut: Future<Output = Result<Response<R>, Error>>,
{
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let Some(codec) = codec::negotiate(accept) else {
        return with_operation(
            spec,
            error_response(
                Codec::Json,
                Error::new(
                    406,
                    "NOT_ACCEPTABLE",
                    "acceptable replies are application/json and application/x-protobuf",
                ),
            ),
        );
    };
    let (parts, body) = req.into_parts();
    let message = match bind_request::<M>(spec, config, fields, &parts, body).await {
        Ok(m) => m,
        Err(e) => return with_operation(spec, error_response(codec, e)),
    };
    let request = Request {
        message,
        parts,
        operation: spec.operation,
    };
    let response = match handler(request).await {
        Ok(reply) => encode_reply(spec, config, codec, reply),
        Err(e) => error_response(codec, e),
    };
    with_operation(spec, response)
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
        Some(timeout) => match tokio::time::timeout(timeout, collect).await {
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

fn decode_message<M: prost::Message + Default + serde::de::DeserializeOwned>(
    codec: Codec,
    bytes: &[u8],
) -> Result<M, Error> {
    if bytes.is_empty() {
        return Ok(M::default());
    }
    match codec {
        Codec::Json => serde_json::from_slice(bytes)
            .map_err(|e| Error::bad_request("INVALID_ARGUMENT", format!("invalid JSON body: {e}"))),
        Codec::Protobuf => M::decode(bytes).map_err(|e| {
            Error::bad_request("INVALID_ARGUMENT", format!("invalid protobuf body: {e}"))
        }),
    }
}

/// The field paths a route binds from its path and body.
struct BoundFields {
    /// Field path of each path variable, in template order.
    variables: Vec<Vec<String>>,
    /// Fields whose query keys are ignored: path variables and the body field.
    query_excluded: Vec<Vec<String>>,
}

/// `bytes` (the encoded innermost field value) wrapped as the request
/// message's field path, outermost first.
fn wrap_path(path: &[FieldRef], bytes: &[u8]) -> Vec<u8> {
    let mut encoded = bytes.to_vec();
    for field in path.iter().rev() {
        encoded = wire::wrap_field(field.number, &encoded);
    }
    encoded
}

async fn bind_request<M>(
    spec: &'static RouteSpec,
    config: &Config,
    fields: &BoundFields,
    parts: &http::request::Parts,
    body: Body,
) -> Result<M, Error>
where
    M: prost::Message + Default + serde::de::DeserializeOwned,
{
    let captures = parts
        .extensions
        .get::<PathValues>()
        .map(|p| p.0.as_slice())
        .unwrap_or(&[]);
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let bytes = match spec.body {
        BodyRule::None => Bytes::new(),
        _ => read_body(parts, body, config.body_limit, config.body_timeout).await?,
    };
    let body_codec = || {
        codec::request_codec(content_type).ok_or_else(|| {
            Error::new(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                format!(
                    "unsupported Content-Type {:?}: use application/json or application/x-protobuf",
                    content_type.unwrap_or("")
                ),
            )
        })
    };
    let mut builder = JsonBuilder::new();
    let query = parts.uri.query().unwrap_or("");
    let apply_path = |builder: &mut JsonBuilder| -> Result<(), Error> {
        for (field_path, value) in fields.variables.iter().zip(captures) {
            builder.path(spec.request, field_path, value)?;
        }
        Ok(())
    };
    // Body first, then query, then path: later sources win.
    let (mut message, builder) = match &spec.body {
        BodyRule::None => {
            builder.query(spec.request, query, &fields.query_excluded)?;
            apply_path(&mut builder)?;
            return bind::finish(builder);
        }
        BodyRule::All => {
            let codec = body_codec()?;
            let message: M = decode_message(codec, &bytes)?;
            apply_path(&mut builder)?;
            (message, builder)
        }
        BodyRule::AllHttpBody => {
            let encoded = wire::encode_http_body(content_type.unwrap_or(""), &bytes);
            let message = M::decode(encoded.as_slice())
                .map_err(|e| Error::bad_request("INVALID_ARGUMENT", e.to_string()))?;
            apply_path(&mut builder)?;
            (message, builder)
        }
        BodyRule::Field(path) => {
            let codec = body_codec()?;
            builder.query(spec.request, query, &fields.query_excluded)?;
            match codec {
                Codec::Json => {
                    if !bytes.is_empty() {
                        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
                            Error::bad_request(
                                "INVALID_ARGUMENT",
                                format!("invalid JSON body: {e}"),
                            )
                        })?;
                        builder.insert_at(path.iter().map(|f| f.json_name), value);
                    }
                    apply_path(&mut builder)?;
                    return bind::finish(builder).map_err(|e| {
                        if e.message().starts_with("invalid parameters") {
                            Error::bad_request(
                                "INVALID_ARGUMENT",
                                format!("invalid body: {}", e.message()),
                            )
                        } else {
                            e
                        }
                    });
                }
                Codec::Protobuf => {
                    let target = path.iter().try_fold(None, |parent: Option<&FieldSpec>, f| {
                        let message = match parent {
                            None => spec.request,
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
                            cardinality: crate::spec::Cardinality::Singular
                                | crate::spec::Cardinality::Optional,
                            ..
                        }))
                    );
                    let name = path.last().map_or("", |f| f.name);
                    if !is_message {
                        return Err(Error::new(
                            415,
                            "UNSUPPORTED_MEDIA_TYPE",
                            format!("field {name:?} is not a message: send it as JSON"),
                        ));
                    }
                    let message = M::decode(wrap_path(path, &bytes).as_slice()).map_err(|e| {
                        Error::bad_request(
                            "INVALID_ARGUMENT",
                            format!("invalid protobuf body: {e}"),
                        )
                    })?;
                    apply_path(&mut builder)?;
                    (message, builder)
                }
            }
        }
        BodyRule::FieldHttpBody(path) => {
            builder.query(spec.request, query, &fields.query_excluded)?;
            let hb = wire::encode_http_body(content_type.unwrap_or(""), &bytes);
            let message = M::decode(wrap_path(path, &hb).as_slice())
                .map_err(|e| Error::bad_request("INVALID_ARGUMENT", e.to_string()))?;
            apply_path(&mut builder)?;
            (message, builder)
        }
    };
    if !builder.is_empty() {
        let overlay: M = bind::finish(builder)?;
        message
            .merge(overlay.encode_to_vec().as_slice())
            .map_err(|e| Error::internal_server("MERGE", e.to_string()))?;
    }
    Ok(message)
}

fn encode_reply<R: prost::Message + serde::Serialize>(
    spec: &'static RouteSpec,
    config: &Config,
    codec: Codec,
    reply: Response<R>,
) -> axum::response::Response {
    let Response {
        message,
        status,
        mut headers,
    } = reply;
    let encoded: Result<(String, Vec<u8>), Error> = (|| match (&spec.response_body, codec) {
        (ResponseBody::HttpBody, _) => raw_http_body(&message.encode_to_vec()),
        (ResponseBody::FieldHttpBody(f), _) => {
            let field =
                wire::extract_len_field(&message.encode_to_vec(), f.number).unwrap_or_default();
            raw_http_body(&field)
        }
        (ResponseBody::Whole, Codec::Protobuf) => {
            Ok((codec.content_type().into(), message.encode_to_vec()))
        }
        (ResponseBody::Field(f), Codec::Protobuf) => Ok((
            codec.content_type().into(),
            wire::extract_len_field(&message.encode_to_vec(), f.number).unwrap_or_default(),
        )),
        (ResponseBody::Whole, Codec::Json) if !config.emit_defaults => Ok((
            codec.content_type().into(),
            serde_json::to_vec(&message).map_err(internal)?,
        )),
        (ResponseBody::Whole, Codec::Json) => {
            let mut v = serde_json::to_value(&message).map_err(internal)?;
            fill_defaults(spec.reply, &mut v);
            Ok((
                codec.content_type().into(),
                serde_json::to_vec(&v).map_err(internal)?,
            ))
        }
        (ResponseBody::Field(f), Codec::Json) => {
            let mut v = serde_json::to_value(&message).map_err(internal)?;
            if config.emit_defaults {
                fill_defaults(spec.reply, &mut v);
            }
            let field = v
                .get_mut(f.json_name)
                .map(Value::take)
                .or_else(|| spec.reply.field(f.name).map(default_json))
                .unwrap_or(Value::Null);
            Ok((
                codec.content_type().into(),
                serde_json::to_vec(&field).map_err(internal)?,
            ))
        }
    })();
    match encoded {
        Ok((content_type, body)) => {
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                headers.insert(header::CONTENT_TYPE, v);
            }
            let mut resp = (status, body).into_response();
            resp.headers_mut().extend(headers);
            resp
        }
        Err(e) => error_response(codec, e),
    }
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::internal_server("ENCODING", format!("encoding the reply failed: {e}"))
}

fn raw_http_body(encoded: &[u8]) -> Result<(String, Vec<u8>), Error> {
    let (content_type, data) =
        wire::decode_http_body(encoded).ok_or_else(|| internal("bad HttpBody"))?;
    let content_type = if content_type.is_empty() {
        "application/octet-stream".to_string()
    } else {
        content_type
    };
    Ok((content_type, data))
}

/// The proto3 JSON default a field has when unpopulated.
fn default_json(field: &FieldSpec) -> Value {
    if field.cardinality == Cardinality::Repeated {
        return Value::Array(Vec::new());
    }
    match field.kind {
        Kind::Bool => Value::Bool(false),
        Kind::String | Kind::Bytes => Value::String(String::new()),
        Kind::I32 | Kind::U32 | Kind::F32 | Kind::F64 => Value::from(0),
        Kind::I64 | Kind::U64 => Value::String("0".into()),
        Kind::Enum(e) => e
            .values
            .first()
            .map_or(Value::from(0), |(n, _)| Value::String((*n).into())),
        Kind::Map(_) => Value::Object(Default::default()),
        Kind::Message(_) | Kind::WellKnown(_) => Value::Null,
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

/// `google.rpc`-free protobuf form of an error: kratos' errors.Error.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ErrorProto {
    #[prost(int32, tag = "1")]
    pub(crate) code: i32,
    #[prost(string, tag = "2")]
    pub(crate) reason: String,
    #[prost(string, tag = "3")]
    pub(crate) message: String,
    #[prost(btree_map = "string, string", tag = "4")]
    pub(crate) metadata: std::collections::BTreeMap<String, String>,
}

/// An error as a response in `codec`: JSON (kratos' shape) or protobuf
/// (`errors.Error`).
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
