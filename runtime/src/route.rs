//! The route model server and client share: one generated binding
//! ([`RouteSpec`]: operation, method, template, body and response rules,
//! message tables) and the [`Request`] / [`Response`] every service method
//! takes and gives, whichever side of the wire it is on. Needs neither
//! axum nor reqwest.

use http::{HeaderMap, HeaderValue, StatusCode, header};

use crate::path::{ParseError, Template};
use crate::spec::{Cardinality, FieldSpec, Kind, MessageSpec};

/// A field path of proto names, outermost first (`["book", "name"]`).
pub type FieldPath = &'static [&'static str];

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

impl FieldRef {
    /// What generated route tables write.
    pub const fn new(name: &'static str, json_name: &'static str, number: u32) -> Self {
        FieldRef {
            name,
            json_name,
            number,
        }
    }
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

/// Which sides of an RPC are streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Streams {
    /// One request, one reply.
    #[default]
    Unary,
    /// One request, a stream of replies.
    Server,
    /// A stream of requests, one reply.
    Client,
    /// Streams both ways.
    Bidi,
}

impl Streams {
    /// Whether the replies are a stream.
    pub const fn replies(self) -> bool {
        matches!(self, Streams::Server | Streams::Bidi)
    }

    /// Whether the requests are a stream.
    pub const fn requests(self) -> bool {
        matches!(self, Streams::Client | Streams::Bidi)
    }
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
    /// The field path of each path variable, in template order (computed
    /// at generation time; [`Routes`](crate::server::Routes) checks it
    /// against the template).
    pub path_fields: &'static [FieldPath],
    /// The fields the query may not set, because the path or the body field
    /// supplies them: the server ignores such keys, the client does not send
    /// them (computed at generation time).
    pub query_excluded: &'static [FieldPath],
    /// The method is marked `idempotency_level = NO_SIDE_EFFECTS`: Connect
    /// callers may use GET.
    pub no_side_effects: bool,
    /// Which sides stream.
    pub streams: Streams,
    /// `template` parsed, the first time server or client needs it.
    parsed: std::sync::OnceLock<Result<Template, ParseError>>,
}

impl RouteSpec {
    /// The field a `body: "field"` rule names (nested paths followed
    /// through messages); `None` for other rules or a path that does not
    /// resolve.
    pub fn body_field(&self) -> Option<&'static FieldSpec> {
        let (BodyRule::Field(path) | BodyRule::FieldHttpBody(path)) = &self.body else {
            return None;
        };
        path.iter()
            .try_fold(None, |parent: Option<&'static FieldSpec>, f| {
                let message = match parent {
                    None => self.request,
                    Some(FieldSpec {
                        kind: Kind::Message(m),
                        ..
                    }) => m,
                    Some(_) => return None,
                };
                message.field(f.name).map(Some)
            })
            .flatten()
    }

    /// Whether the body field can travel as protobuf: a singular message
    /// (a bare scalar or a repeated field has no protobuf encoding of its
    /// own). The server answers 415 otherwise, the client sends JSON only.
    pub fn body_field_is_message(&self) -> bool {
        self.body_field().is_some_and(|f| {
            matches!(f.kind, Kind::Message(_)) && f.cardinality != Cardinality::Repeated
        })
    }

    /// Whether the query carries fields: every rule but `body: "*"` (whose
    /// body is the whole message), on server and client alike.
    pub fn takes_query(&self) -> bool {
        !matches!(self.body, BodyRule::All | BodyRule::AllHttpBody)
    }

    /// The template parsed: once per process, shared by the server (when
    /// routes are added) and the client (on every call).
    pub fn parsed_template(&self) -> Result<&Template, &ParseError> {
        self.parsed
            .get_or_init(|| crate::path::parse(self.template))
            .as_ref()
    }

    /// A binding with no body and the whole reply as the response body;
    /// generated code declares its `ROUTE_*` statics with this and the two
    /// setters below, so a field added here breaks no generated file.
    pub const fn new(
        operation: &'static str,
        method: &'static str,
        template: &'static str,
        request: &'static MessageSpec,
        reply: &'static MessageSpec,
    ) -> Self {
        RouteSpec {
            operation,
            method,
            template,
            request,
            reply,
            body: BodyRule::None,
            response_body: ResponseBody::Whole,
            path_fields: &[],
            query_excluded: &[],
            no_side_effects: false,
            streams: Streams::Unary,
            parsed: std::sync::OnceLock::new(),
        }
    }

    /// A method with no HTTP binding, served over gRPC, gRPC-Web and
    /// Connect only (at its `operation` path): no method, no template.
    pub const fn rpc_only(
        operation: &'static str,
        request: &'static MessageSpec,
        reply: &'static MessageSpec,
    ) -> Self {
        RouteSpec::new(operation, "", "", request, reply).body(BodyRule::All)
    }

    /// Whether this spec has no HTTP binding ([`RouteSpec::rpc_only`]).
    pub const fn is_rpc_only(&self) -> bool {
        self.method.is_empty()
    }

    /// The body rule.
    pub const fn body(mut self, body: BodyRule) -> Self {
        self.body = body;
        self
    }

    /// The response body rule.
    pub const fn response_body(mut self, response_body: ResponseBody) -> Self {
        self.response_body = response_body;
        self
    }

    /// The method has no side effects (Connect GET allowed).
    pub const fn no_side_effects(mut self) -> Self {
        self.no_side_effects = true;
        self
    }

    /// Which sides of the method stream (`stream` in the proto).
    pub const fn streams(mut self, streams: Streams) -> Self {
        self.streams = streams;
        self
    }

    /// The path variables' field paths, in template order.
    pub const fn path_fields(mut self, path_fields: &'static [FieldPath]) -> Self {
        self.path_fields = path_fields;
        self
    }

    /// The fields the query may not set: the path variables' and the body
    /// field.
    pub const fn query_excluded(mut self, query_excluded: &'static [FieldPath]) -> Self {
        self.query_excluded = query_excluded;
        self
    }
}

/// A request message plus what came with it: headers, extensions (set by
/// tower layers), method, URI and the operation.
///
/// `T` may be unsized: a generated client forwards `&Request<M>` as
/// `&Request<dyn EncodeMessage>`, so its forwarding code is compiled once
/// per reply type, not once per RPC.
#[derive(Debug)]
pub struct Request<T: ?Sized> {
    /// Boxed: request futures hold the request, and a smaller future is a
    /// cheaper allocation per request.
    pub(crate) parts: Box<http::request::Parts>,
    pub(crate) operation: &'static str,
    /// Last, so that the request can be unsized.
    pub(crate) message: T,
}

impl<T> Request<T> {
    /// A request with empty headers, for calling a service in-process.
    pub fn new(message: T) -> Self {
        Request {
            message,
            parts: Box::new(http::Request::new(()).into_parts().0),
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
    pub(crate) message: T,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    /// Sent after the message where the transport has trailers (gRPC,
    /// gRPC-Web; Connect as `trailer-` headers).
    pub(crate) trailers: HeaderMap,
}

impl<T> Response<T> {
    /// A 200 reply.
    pub fn new(message: T) -> Self {
        Response {
            message,
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            trailers: HeaderMap::new(),
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
    /// Adds a trailer: gRPC and gRPC-Web send it after the message, Connect
    /// as a `trailer-{name}` header; HTTP/JSON replies do not carry it.
    pub fn with_trailer(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.trailers.append(name, value);
        self
    }

    /// Trailers, mutably.
    pub fn trailers_mut(&mut self) -> &mut HeaderMap {
        &mut self.trailers
    }

    /// Reply headers, mutably.
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
