//! What generated HTTP clients call: a request message and its generated
//! [`RouteSpec`] become a reqwest request the generated server (and a
//! kratos or grpc-gateway server) binds back into the same message, and the
//! reply becomes the reply message or a [`protoway::Error`](crate::Error).
//!
//! - Path: every variable filled from the request, nested fields included;
//!   single-segment variables percent-encode all but unreserved characters,
//!   multi-segment ones keep their `/`; a value that does not match the
//!   variable's pattern (`shelves/*/books/*`) is an Error before sending.
//!   Repeated path fields are joined with `,`.
//! - Query: every populated field not bound by the path or body, in the
//!   syntax the server binding reads: dotted JSON names, repeated keys,
//!   `m[k]=v` maps, enums by name, RFC 3339 Timestamps with `Z`, `"1.5s"`
//!   Durations, FieldMask text, URL-safe base64 bytes.
//! - Body: JSON by default, protobuf by [`CallOptions::protobuf`];
//!   `google.api.HttpBody` raw with its content type.
//! - Errors: a non-2xx body is decoded as an Error in either codec; other
//!   bodies become an Error with the status and the (cut) text; transport
//!   failures are Errors with reason `TIMEOUT`, `CONNECT` or `TRANSPORT`.

use std::borrow::Cow;
use std::future::Future;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use serde_json::{Map, Value};

use crate::Error;
use crate::codec::Codec;
use crate::context::CallContext;
use crate::message::{DecodeMessage, EncodeMessage, wrap_json};
use crate::path::Segment;
use crate::route::{BodyRule, ErrorProto, FieldRef, Request, Response, ResponseBody, RouteSpec};
use crate::spec::{Cardinality, Kind, MessageSpec, WellKnown};
use crate::{percent, wire};

#[cfg(feature = "websocket")]
mod websocket;

/// The longest piece of a non-Error reply body kept as an Error's message.
const MAX_ERROR_TEXT: usize = 512;

/// A connection to one server: base URL, a shared reqwest client, default
/// headers. Cheap to clone; generated clients wrap it.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    headers: HeaderMap,
    /// Header-name prefixes a forwarded request sends along.
    propagate: Vec<String>,
}

/// Per-call settings.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    headers: HeaderMap,
    timeout: Option<Duration>,
    /// The time left of the inbound call's deadline ([`CallContext`]).
    deadline: Option<Duration>,
    protobuf: bool,
}

impl CallOptions {
    /// JSON, no extra headers, the client's timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header to this call.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Fails the call with reason `TIMEOUT` after `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends the body and asks for the reply as binary protobuf.
    pub fn protobuf(mut self) -> Self {
        self.protobuf = true;
        self
    }

    /// The call's own timeout or the inbound deadline, whichever is sooner.
    fn time_left(&self) -> Option<Duration> {
        match (self.timeout, self.deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn codec(&self) -> Codec {
        if self.protobuf {
            Codec::Protobuf
        } else {
            Codec::Json
        }
    }
}

impl Client {
    /// A client of the server at `base_url` (`http://host:port[/prefix]`)
    /// with a new reqwest client.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self::with_http_client(reqwest::Client::new(), base_url)
    }

    /// A client sharing an existing reqwest client (its pool, TLS, proxies).
    pub fn with_http_client(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        let mut base = base_url.into();
        while base.ends_with('/') {
            base.pop();
        }
        Client {
            http,
            base,
            headers: HeaderMap::new(),
            propagate: vec![crate::metadata::GLOBAL_METADATA_PREFIX.to_owned()],
        }
    }

    /// Also forwards incoming headers whose name starts with `prefix`
    /// (lower-case) when a handler passes its [`Request`] on (the trait
    /// methods of a generated client). By default only kratos' global
    /// metadata, `x-md-global-*`, crosses: never credentials, cookies,
    /// client addresses, hop-by-hop headers or `x-md-local-*`.
    pub fn propagate_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.propagate.push(prefix.into().to_ascii_lowercase());
        self
    }

    /// Forwards no incoming header at all, not even global metadata.
    pub fn propagate_nothing(mut self) -> Self {
        self.propagate.clear();
        self
    }

    /// A header sent with every call.
    pub fn default_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// The base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Calls the RPC behind `spec` with `message`: the reply with its
    /// status and headers. The message is encoded before this returns, and
    /// the future borrows only the client. The message is taken as `&dyn`
    /// and only decoding the reply is per type: a crate compiles this once
    /// per reply type, not once per RPC.
    pub fn call<R>(
        &self,
        spec: &'static RouteSpec,
        message: &dyn EncodeMessage,
        options: &CallOptions,
    ) -> CallFuture<'_, Response<R>>
    where
        R: prost::Message + Default + serde::de::DeserializeOwned,
    {
        let codec = options.codec();
        let encoded = encode_dyn(spec, message, codec);
        let mut options = options.clone();
        self.carry_context(&mut options);
        CallFuture {
            sent: self.send(spec, encoded, Cow::Owned(options), codec),
            decode: decode_response::<R>,
        }
    }

    /// [`Client::call_request`] resolving to the reply message alone:
    /// what generated client methods return. A [`Request`] made from a
    /// bare message ([`IntoRequest`]) has no headers to send along.
    pub fn call_message<R>(
        &self,
        spec: &'static RouteSpec,
        request: &Request<dyn EncodeMessage + '_>,
    ) -> CallFuture<'_, R>
    where
        R: prost::Message + Default + serde::de::DeserializeOwned,
    {
        let options = self.forwarding(request);
        let codec = options.codec();
        let encoded = encode_dyn(spec, &request.message, codec);
        CallFuture {
            sent: self.send(spec, encoded, Cow::Owned(options), codec),
            decode: decode_message::<R>,
        }
    }

    /// The options of a call made on behalf of `request`: its global
    /// metadata (see [`Client::propagate_prefix`]), and inside a handler
    /// what its [`CallContext`] carries.
    fn forwarding(&self, request: &Request<dyn EncodeMessage + '_>) -> CallOptions {
        self.forwarding_headers(&request.parts.headers)
    }

    /// [`Client::forwarding`] for the headers of any request.
    pub(crate) fn forwarding_headers(&self, incoming: &HeaderMap) -> CallOptions {
        let mut options = CallOptions {
            headers: crate::metadata::propagated(incoming, &self.propagate),
            ..CallOptions::new()
        };
        self.carry_context(&mut options);
        options
    }

    /// Inside a handler: the inbound call's global metadata (a name the
    /// call sets itself wins: an explicit `Request` or header) and the time
    /// left of its deadline. Outside one, nothing.
    fn carry_context(&self, options: &mut CallOptions) {
        CallContext::with_current(|context| {
            let Some(context) = context else { return };
            let metadata = context.metadata();
            for name in metadata.keys() {
                let crosses = self
                    .propagate
                    .iter()
                    .any(|p| name.as_str().starts_with(p.as_str()));
                if !crosses || options.headers.contains_key(name) {
                    continue;
                }
                for value in metadata.get_all(name) {
                    options.headers.append(name.clone(), value.clone());
                }
            }
            options.deadline = context.remaining();
        });
    }

    /// Sends an encoded request; the reply's status, headers and body, or
    /// the error a failed status carries. Not generic, and boxed: the
    /// future's code is compiled once, here, not in every crate that awaits
    /// it (one allocation per call, next to a whole HTTP exchange).
    fn send<'a>(
        &'a self,
        spec: &'static RouteSpec,
        encoded: Result<EncodedRequest, Error>,
        options: Cow<'a, CallOptions>,
        codec: Codec,
    ) -> SendFuture<'a> {
        Box::pin(self.send_now(spec, encoded, options, codec))
    }

    async fn send_now(
        &self,
        spec: &'static RouteSpec,
        encoded: Result<EncodedRequest, Error>,
        options: Cow<'_, CallOptions>,
        codec: Codec,
    ) -> Result<Sent, Error> {
        let response = self.open(spec, encoded, options, codec).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(transport_error)?;
        Ok(Sent {
            spec,
            status,
            headers,
            bytes,
        })
    }

    /// Sends an encoded request: the reply with a success status, its body
    /// unread, or the error a failed status carries.
    async fn open(
        &self,
        spec: &'static RouteSpec,
        encoded: Result<EncodedRequest, Error>,
        options: Cow<'_, CallOptions>,
        codec: Codec,
    ) -> Result<reqwest::Response, Error> {
        let encoded = encoded?;
        let method = Method::from_bytes(encoded.method.as_bytes()).map_err(|e| {
            Error::internal_server("BAD_ROUTE", format!("method {}: {e}", encoded.method))
        })?;
        let mut builder = self
            .http
            .request(method, format!("{}{}", self.base, encoded.path_and_query))
            .headers(self.headers.clone())
            .header(header::ACCEPT, codec.content_type());
        if spec.is_rpc_only() {
            builder = builder.header("connect-protocol-version", "1");
        }
        if let Some(content_type) = &encoded.content_type {
            builder = builder
                .header(header::CONTENT_TYPE, content_type.as_str())
                .body(encoded.body);
        }
        for (name, value) in &options.as_ref().headers {
            builder = builder.header(name, value);
        }
        if let Some(timeout) = options.time_left() {
            // The server learns how long this caller waits (its handler's
            // context gets the deadline, for the calls it makes in turn).
            builder = builder
                .header(GRPC_TIMEOUT, grpc_timeout_value(timeout))
                .timeout(timeout);
        }
        let response = builder.send().await.map_err(transport_error)?;
        let status = response.status();
        if !status.is_success() {
            let headers = response.headers().clone();
            let bytes = response.bytes().await.map_err(transport_error)?;
            return Err(decode_error(status.as_u16(), &headers, &bytes));
        }
        Ok(response)
    }

    /// Calls with a server-style [`Request`] (a handler forwarding its own):
    /// only its global metadata is sent along (see
    /// [`Client::propagate_prefix`]). Generated clients implement the
    /// service trait with it, passing `&request` (a `&Request<M>` coerces
    /// to `&Request<dyn EncodeMessage>`).
    pub fn call_request<R>(
        &self,
        spec: &'static RouteSpec,
        request: &Request<dyn EncodeMessage + '_>,
    ) -> CallFuture<'_, Response<R>>
    where
        R: prost::Message + Default + serde::de::DeserializeOwned,
    {
        let options = self.forwarding(request);
        let codec = options.codec();
        let encoded = encode_dyn(spec, &request.message, codec);
        CallFuture {
            sent: self.send(spec, encoded, Cow::Owned(options), codec),
            decode: decode_response::<R>,
        }
    }
}

impl Client {
    /// A server-streaming call: the replies as they arrive (the server's
    /// newline-delimited JSON), ending at the first error line, which is
    /// yielded as the stream's last item.
    pub fn call_stream<'a, R>(
        &'a self,
        spec: &'static RouteSpec,
        request: &Request<dyn EncodeMessage + '_>,
    ) -> StreamFuture<'a, Response<crate::Streaming<R>>>
    where
        R: serde::de::DeserializeOwned + Send + 'static,
    {
        let options = self.forwarding(request);
        let encoded = encode_dyn(spec, &request.message, Codec::Json);
        Box::pin(async move {
            let response = self
                .open(spec, encoded, Cow::Owned(options), Codec::Json)
                .await?;
            let status = response.status();
            let headers = response.headers().clone();
            Ok(Response {
                message: crate::Streaming::new(ReplyLines::<R> {
                    response: Some(response),
                    reading: None,
                    pending: Vec::new(),
                    done: false,
                    _reply: std::marker::PhantomData,
                }),
                status,
                headers,
                trailers: HeaderMap::new(),
            })
        })
    }

    /// [`Client::call_stream`] resolving to the stream of replies alone:
    /// what generated client methods return.
    pub fn call_stream_messages<'a, R>(
        &'a self,
        spec: &'static RouteSpec,
        request: &Request<dyn EncodeMessage + '_>,
    ) -> StreamFuture<'a, crate::Streaming<R>>
    where
        R: serde::de::DeserializeOwned + Send + 'static,
    {
        let call = self.call_stream(spec, request);
        Box::pin(async move { call.await.map(Response::into_inner) })
    }
}

impl Client {
    /// A bidi-streaming call over WebSocket on the method's HTTP route
    /// (protoway's `websocket` feature; `ws://` only): `request`'s messages
    /// are sent as JSON as they come, the replies arrive as they are sent.
    /// Without the feature, an `UNIMPLEMENTED` error.
    pub fn call_bidi<M, R>(
        &self,
        spec: &'static RouteSpec,
        request: Request<crate::Streaming<M>>,
    ) -> StreamFuture<'_, Response<crate::Streaming<R>>>
    where
        M: EncodeMessage + 'static,
        R: serde::de::DeserializeOwned + Send + 'static,
    {
        #[cfg(feature = "websocket")]
        {
            Box::pin(websocket::open(self, spec, request))
        }
        #[cfg(not(feature = "websocket"))]
        {
            let _ = request;
            Box::pin(std::future::ready(Err(no_websocket(spec))))
        }
    }

    /// A client-streaming call over WebSocket: [`Client::call_bidi`], its
    /// one reply once the requests have ended.
    pub fn call_client_stream<M, R>(
        &self,
        spec: &'static RouteSpec,
        request: Request<crate::Streaming<M>>,
    ) -> StreamFuture<'_, Response<R>>
    where
        M: EncodeMessage + 'static,
        R: serde::de::DeserializeOwned + Send + 'static,
    {
        let call = self.call_bidi::<M, R>(spec, request);
        Box::pin(async move {
            let Response {
                message: mut replies,
                status,
                headers,
                trailers,
            } = call.await?;
            match replies.message().await? {
                Some(message) => Ok(Response {
                    message,
                    status,
                    headers,
                    trailers,
                }),
                None => Err(Error::new(
                    502,
                    "BAD_REPLY",
                    "the stream ended without a reply",
                )),
            }
        })
    }
}

#[cfg(not(feature = "websocket"))]
fn no_websocket(spec: &RouteSpec) -> Error {
    Error::new(
        501,
        "UNIMPLEMENTED",
        format!(
            "{}: streams of requests go over WebSocket: enable protoway's `websocket` feature",
            spec.operation
        ),
    )
}

/// The future of a server-streaming call: the stream of replies (or its
/// [`Response`]), once the server has answered.
pub type StreamFuture<'a, T> =
    std::pin::Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

type ChunkFuture = std::pin::Pin<
    Box<dyn Future<Output = (reqwest::Response, Result<Option<::bytes::Bytes>, Error>)> + Send>,
>;

/// A stream reply's lines, `{"result": …}` or `{"error": …}`, decoded as
/// they arrive.
struct ReplyLines<R> {
    /// The reply between chunk reads.
    response: Option<reqwest::Response>,
    reading: Option<ChunkFuture>,
    /// Bytes of an unfinished line.
    pending: Vec<u8>,
    done: bool,
    _reply: std::marker::PhantomData<fn() -> R>,
}

impl<R> Unpin for ReplyLines<R> {}

/// One line of a stream reply.
#[derive(serde::Deserialize)]
#[serde(bound = "R: serde::de::DeserializeOwned")]
struct ReplyLine<R> {
    result: Option<R>,
    error: Option<StreamError>,
}

/// The error line: grpc-gateway's form with kratos' code and reason.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct StreamError {
    #[serde(default)]
    http_code: Option<u16>,
    #[serde(default)]
    code: i32,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    message: String,
}

impl<R: serde::de::DeserializeOwned> ReplyLines<R> {
    fn decode(line: &[u8]) -> Result<R, Error> {
        let bad = |e: String| Error::new(502, "BAD_REPLY", format!("cannot decode the reply: {e}"));
        let line: ReplyLine<R> = serde_json::from_slice(line).map_err(|e| bad(e.to_string()))?;
        match (line.result, line.error) {
            (Some(reply), _) => Ok(reply),
            (None, Some(e)) => Err(match e.http_code {
                Some(code) => Error::new(code, e.reason, e.message),
                None => Error::from_grpc(
                    crate::status::GrpcCode::from_i32(e.code),
                    e.reason,
                    e.message,
                ),
            }),
            (None, None) => Err(bad("a line with neither result nor error".into())),
        }
    }
}

impl<R: serde::de::DeserializeOwned> crate::Stream for ReplyLines<R> {
    type Item = Result<R, Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        let this = &mut *self;
        loop {
            if let Some(end) = this.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = this.pending.drain(..=end).collect();
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let item = Self::decode(&line);
                if item.is_err() {
                    this.done = true;
                    this.pending.clear();
                }
                return Poll::Ready(Some(item));
            }
            if this.done {
                return Poll::Ready(None);
            }
            if this.reading.is_none() {
                let Some(mut response) = this.response.take() else {
                    return Poll::Ready(None);
                };
                this.reading = Some(Box::pin(async move {
                    let chunk = response.chunk().await.map_err(transport_error);
                    (response, chunk)
                }));
            }
            let Some(reading) = this.reading.as_mut() else {
                return Poll::Ready(None);
            };
            let (response, chunk) = std::task::ready!(reading.as_mut().poll(cx));
            this.reading = None;
            match chunk {
                Ok(Some(bytes)) => {
                    this.pending.extend_from_slice(&bytes);
                    this.response = Some(response);
                }
                Ok(None) => {
                    this.done = true;
                    if !this.pending.iter().all(u8::is_ascii_whitespace) {
                        let line = std::mem::take(&mut this.pending);
                        return Poll::Ready(Some(Self::decode(&line)));
                    }
                    return Poll::Ready(None);
                }
                Err(e) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }
}

/// What a generated client method takes: the request message, or a
/// server-style [`Request`] (a handler passing its own on, as tonic's
/// `IntoRequest`), so `client.get_shelf(message)` and
/// `client.get_shelf(request)` both work; with a `Request` only its global
/// metadata is sent along.
pub trait IntoRequest<M> {
    fn into_request(self) -> Request<M>;
}

impl<M: prost::Message> IntoRequest<M> for M {
    fn into_request(self) -> Request<M> {
        Request::new(self)
    }
}

impl<M> IntoRequest<M> for Request<M> {
    fn into_request(self) -> Request<M> {
        self
    }
}

/// The reply message of a sent call alone.
fn decode_message<R>(sent: Result<Sent, Error>) -> Result<R, Error>
where
    R: prost::Message + Default + serde::de::DeserializeOwned,
{
    let mut message = R::default();
    match decode_sent(sent, &mut message) {
        Ok(_) => Ok(message),
        Err(e) => Err(e),
    }
}

/// What [`Client::send`] returns.
type SendFuture<'a> = std::pin::Pin<Box<dyn Future<Output = Result<Sent, Error>> + Send + 'a>>;

/// A 2xx reply, before decoding.
struct Sent {
    spec: &'static RouteSpec,
    status: reqwest::StatusCode,
    headers: HeaderMap,
    bytes: ::bytes::Bytes,
}

/// The future of one call: resolves to the decoded reply (`T` is the reply
/// message, or its [`Response`]) or the [`Error`]. It borrows only the
/// client (the request was encoded when the call was made).
///
/// Named rather than `impl Future`, so that it can be stored; inside, the
/// sent call's boxed future, then its reply decoded by a function pointer
/// (not a closure), so every call of one reply type shares this one small
/// future type; the boxed future is `Unpin`, so no pin projection is needed.
#[must_use = "a call does nothing until awaited"]
pub struct CallFuture<'a, T> {
    sent: SendFuture<'a>,
    decode: fn(Result<Sent, Error>) -> Result<T, Error>,
}

impl<T> std::fmt::Debug for CallFuture<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallFuture").finish_non_exhaustive()
    }
}

impl<T> Future for CallFuture<'_, T> {
    type Output = Result<T, Error>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        // `CallFuture` is `Unpin` (a boxed future and a function pointer).
        let this = self.get_mut();
        match this.sent.as_mut().poll(cx) {
            std::task::Poll::Ready(sent) => std::task::Poll::Ready((this.decode)(sent)),
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    }
}

/// The reply message of a sent call, with its status and headers. Written
/// with `match` and a struct literal: the least code per reply type.
fn decode_response<R>(sent: Result<Sent, Error>) -> Result<Response<R>, Error>
where
    R: prost::Message + Default + serde::de::DeserializeOwned,
{
    let mut message = R::default();
    match decode_sent(sent, &mut message) {
        Ok((status, headers)) => Ok(Response {
            message,
            status,
            headers,
            trailers: http::HeaderMap::new(),
        }),
        Err(e) => Err(e),
    }
}

/// [`decode_response`]'s work, compiled once: the reply decoded into
/// `message`; its status and headers.
fn decode_sent(
    sent: Result<Sent, Error>,
    message: &mut dyn DecodeMessage,
) -> Result<(reqwest::StatusCode, HeaderMap), Error> {
    let sent = sent?;
    decode_reply(sent.spec, &sent.headers, &sent.bytes, message)?;
    Ok((sent.status, sent.headers))
}

fn transport_error(e: reqwest::Error) -> Error {
    let (code, reason) = if e.is_timeout() {
        (504, "TIMEOUT")
    } else if e.is_connect() {
        (503, "CONNECT")
    } else {
        (502, "TRANSPORT")
    };
    Error::new(code, reason, format!("request failed: {e}")).with_cause(e)
}

const GRPC_TIMEOUT: HeaderName = HeaderName::from_static("grpc-timeout");

/// `grpc-timeout`'s value for `timeout`: milliseconds (rounded up), or
/// seconds past the header's eight digits.
fn grpc_timeout_value(timeout: Duration) -> String {
    let ms = timeout.as_nanos().div_ceil(1_000_000);
    if ms < 100_000_000 {
        format!("{ms}m")
    } else {
        format!("{}S", timeout.as_secs().min(99_999_999))
    }
}

/// A request ready to send: everything but the base URL and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedRequest {
    /// HTTP method (`*` routes use POST).
    pub method: String,
    /// `/v1/shelves/1/books?pageSize=10`.
    pub path_and_query: String,
    /// The body's Content-Type, when the rule has a body.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// Encodes `message` for the route `spec`: path, query and body.
pub fn encode_request<M>(
    spec: &'static RouteSpec,
    message: &M,
    codec: Codec,
) -> Result<EncodedRequest, Error>
where
    M: prost::Message + serde::Serialize,
{
    encode_dyn(spec, message, codec)
}

/// [`encode_request`] of a message behind `&dyn`: compiled once.
fn encode_dyn(
    spec: &'static RouteSpec,
    message: &dyn EncodeMessage,
    codec: Codec,
) -> Result<EncodedRequest, Error> {
    let json = message.to_json();
    let needs_protobuf = match spec.body {
        BodyRule::None => false,
        BodyRule::AllHttpBody | BodyRule::FieldHttpBody(_) => true,
        BodyRule::All | BodyRule::Field(_) => codec == Codec::Protobuf,
    };
    let protobuf = needs_protobuf.then(|| message.to_protobuf());
    encode_encoded(spec, json, protobuf.as_deref(), codec)
}

/// [`encode_request`] from the message's JSON text and, when the body needs
/// it, its protobuf encoding.
fn encode_encoded(
    spec: &'static RouteSpec,
    json: serde_json::Result<Vec<u8>>,
    protobuf: Option<&[u8]>,
    codec: Codec,
) -> Result<EncodedRequest, Error> {
    let encoded = || protobuf.map(<[u8]>::to_vec).unwrap_or_default();
    if spec.is_rpc_only() {
        // No HTTP binding: a Connect unary call at the operation path.
        let (content_type, body) = match codec {
            Codec::Protobuf => ("application/proto", encoded()),
            Codec::Json => (
                "application/json",
                json.map_err(|e| Error::bad_request("INVALID_ARGUMENT", e.to_string()))?,
            ),
        };
        return Ok(EncodedRequest {
            method: "POST".into(),
            path_and_query: spec.operation.into(),
            content_type: Some(content_type.into()),
            body,
        });
    }
    let template = spec.parsed_template().map_err(|e| {
        Error::internal_server("BAD_ROUTE", format!("template {}: {e}", spec.template))
    })?;
    // Through text, not `to_value`: a Value widens f32 to f64, and `11.23f32`
    // would be sent as `11.229999542236328`.
    let json = match json.and_then(|t| serde_json::from_slice(&t)) {
        Ok(Value::Object(map)) => map,
        Ok(_) => Map::new(),
        Err(e) => return Err(Error::bad_request("INVALID_ARGUMENT", e.to_string())),
    };

    // Path: literals as written, each variable from its field.
    let mut path = String::new();
    let mut i = 0;
    while i < template.segments.len() {
        path.push('/');
        if let Some(var) = template.variables.iter().find(|v| v.start == i) {
            let pattern = &template.segments[var.start..var.end];
            let value = path_value(spec.request, &json, &var.field_path)?;
            path.push_str(&render_variable(&var.dotted(), &value, pattern)?);
            i = var.end;
            continue;
        }
        match &template.segments[i] {
            Segment::Literal(text) => path.push_str(text),
            // A wildcard outside any variable matches anything: send `_`.
            Segment::Single | Segment::Multi => path.push('_'),
        }
        i += 1;
    }
    if let Some(verb) = &template.verb {
        path.push(':');
        path.push_str(verb);
    }

    // Query: what neither the path nor the body carries.
    let mut pairs = Vec::new();
    if spec.takes_query() {
        flatten(
            spec.request,
            &json,
            "",
            &mut Vec::new(),
            spec.query_excluded,
            &mut pairs,
        )?;
    }
    let mut path_and_query = path;
    for (n, (key, value)) in pairs.iter().enumerate() {
        path_and_query.push(if n == 0 { '?' } else { '&' });
        path_and_query.push_str(&percent::encode(key));
        path_and_query.push('=');
        path_and_query.push_str(&percent::encode(value));
    }

    let (content_type, body) = match &spec.body {
        BodyRule::None => (None, Vec::new()),
        BodyRule::All => match codec {
            Codec::Json => (Some(codec.content_type().to_string()), to_json(&json)?),
            Codec::Protobuf => (Some(codec.content_type().to_string()), encoded()),
        },
        BodyRule::AllHttpBody => {
            let (content_type, data) = wire::decode_http_body(&encoded()).unwrap_or_default();
            (Some(content_type), data)
        }
        BodyRule::FieldHttpBody(fields) => {
            let field = extract_path(&encoded(), fields);
            let (content_type, data) = wire::decode_http_body(&field).unwrap_or_default();
            (Some(content_type), data)
        }
        BodyRule::Field(fields) => {
            let target = spec.body_field();
            match codec {
                Codec::Json => {
                    let mut value = Some(&json);
                    let mut found = None;
                    for (n, f) in fields.iter().enumerate() {
                        let v = value.and_then(|m| m.get(f.json_name));
                        if n + 1 == fields.len() {
                            found = v;
                        } else {
                            value = v.and_then(Value::as_object);
                        }
                    }
                    let value = match (found, target) {
                        (Some(v), _) => v.clone(),
                        // An unset message body is an empty message.
                        (None, Some(f)) if matches!(f.kind, Kind::Message(_)) => {
                            Value::Object(Map::new())
                        }
                        (None, Some(f)) => f.unpopulated_json(),
                        (None, None) => Value::Null,
                    };
                    let body = serde_json::to_vec(&value)
                        .map_err(|e| Error::bad_request("INVALID_ARGUMENT", e.to_string()))?;
                    (Some(codec.content_type().to_string()), body)
                }
                Codec::Protobuf => {
                    if !spec.body_field_is_message() {
                        return Err(Error::bad_request(
                            "INVALID_ARGUMENT",
                            format!(
                                "body field {:?} is not a message: it can only be sent as JSON",
                                fields.last().map_or("", |f| f.name)
                            ),
                        ));
                    }
                    let body = extract_path(&encoded(), fields);
                    (Some(codec.content_type().to_string()), body)
                }
            }
        }
    };
    let method = if spec.method == "*" {
        "POST"
    } else {
        spec.method
    };
    Ok(EncodedRequest {
        method: method.to_string(),
        path_and_query,
        content_type,
        body,
    })
}

fn to_json(object: &Map<String, Value>) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(object).map_err(|e| Error::bad_request("INVALID_ARGUMENT", e.to_string()))
}

/// The encoded value of a (nested) length-delimited field; empty if unset.
fn extract_path(encoded: &[u8], path: &[FieldRef]) -> Vec<u8> {
    let mut bytes = encoded.to_vec();
    for f in path {
        bytes = wire::extract_len_field(&bytes, f.number).unwrap_or_default();
    }
    bytes
}

/// The text of a path variable: its field's value (defaults included), or
/// the items of a repeated field joined by `,`.
fn path_value(
    spec: &'static MessageSpec,
    json: &Map<String, Value>,
    field_path: &[String],
) -> Result<Vec<String>, Error> {
    let dotted = field_path.join(".");
    let mut message = spec;
    let mut object = Some(json);
    for (i, name) in field_path.iter().enumerate() {
        let field = message.field(name).ok_or_else(|| {
            Error::internal_server("BAD_ROUTE", format!("no field {dotted:?} in {}", spec.name))
        })?;
        let value = object.and_then(|o| o.get(field.json_name));
        if i + 1 < field_path.len() {
            let Kind::Message(inner) = field.kind else {
                return Err(Error::internal_server("BAD_ROUTE", dotted));
            };
            message = inner;
            object = value.and_then(Value::as_object);
            continue;
        }
        let value = value.cloned().unwrap_or_else(|| field.unpopulated_json());
        return Ok(match value {
            Value::Array(items) => items
                .iter()
                .map(|v| query_text(field.kind, v))
                .collect::<Result<_, _>>()?,
            v => vec![query_text(field.kind, &v)?],
        });
    }
    Err(Error::internal_server("BAD_ROUTE", "empty field path"))
}

/// A path segment percent-encoded. `.` and `..` cannot be sent: URL
/// parsers remove them as dot-segments, escaped (`%2E`) or not (WHATWG URL).
fn encode_segment(name: &str, segment: &str) -> Result<String, Error> {
    if segment == "." || segment == ".." {
        return Err(Error::bad_request(
            "INVALID_ARGUMENT",
            format!("path variable {name:?} has the segment {segment:?}, which URLs cannot carry"),
        ));
    }
    Ok(percent::encode(segment).into_owned())
}

/// Encodes a variable's value after checking it against its pattern.
fn render_variable(name: &str, values: &[String], pattern: &[Segment]) -> Result<String, Error> {
    // An unset variable is a mistake the server could not tell from a
    // deliberate empty `**`: refused on every pattern.
    if values.iter().all(String::is_empty) {
        return Err(Error::bad_request(
            "INVALID_ARGUMENT",
            format!("path variable {name:?} is empty"),
        ));
    }
    if matches!(pattern, [Segment::Single]) {
        let joined: Vec<String> = values
            .iter()
            .map(|v| percent::encode(v).into_owned())
            .collect();
        let text = joined.join(",");
        // `.`/`..` stay as they are under encoding: refuse them here too.
        return encode_segment(name, &text).map(|_| text);
    }
    let value = values.join(",");
    let parts: Vec<&str> = value.split('/').collect();
    let multi_at = pattern.iter().position(|s| matches!(s, Segment::Multi));
    if !crate::matcher::fills(pattern, multi_at, parts.len(), |i| parts[i], |l, s| l == s) {
        let shape: Vec<String> = pattern
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => l.clone(),
                Segment::Single => "*".into(),
                Segment::Multi => "**".into(),
            })
            .collect();
        return Err(Error::bad_request(
            "INVALID_ARGUMENT",
            format!(
                "path variable {name:?} = {value:?} does not match the pattern {:?}",
                shape.join("/")
            ),
        ));
    }
    let encoded = parts
        .iter()
        .map(|p| encode_segment(name, p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(encoded.join("/"))
}

/// Query pairs for every populated field of `object` not `excluded`.
fn flatten(
    spec: &'static MessageSpec,
    object: &Map<String, Value>,
    prefix: &str,
    proto_path: &mut Vec<&'static str>,
    excluded: &[&[&str]],
    out: &mut Vec<(String, String)>,
) -> Result<(), Error> {
    for field in spec.fields {
        let Some(value) = object.get(field.json_name) else {
            continue;
        };
        if value.is_null() {
            continue;
        }
        proto_path.push(field.name);
        if excluded.contains(&proto_path.as_slice()) {
            proto_path.pop();
            continue;
        }
        let key = if prefix.is_empty() {
            field.json_name.to_string()
        } else {
            format!("{prefix}.{}", field.json_name)
        };
        let cannot = |why: &str| {
            Error::bad_request(
                "INVALID_ARGUMENT",
                format!("field {key:?} {why}: it cannot be sent in the query; use a body"),
            )
        };
        match (field.kind, field.cardinality) {
            (Kind::Map(map), _) => {
                if matches!(map.value, Kind::Message(_)) {
                    return Err(cannot("is a map of messages"));
                }
                for (k, v) in value.as_object().into_iter().flatten() {
                    out.push((format!("{key}[{k}]"), query_text(map.value, v)?));
                }
            }
            (Kind::Message(_), Cardinality::Repeated) => {
                return Err(cannot("is a repeated message"));
            }
            (Kind::Message(inner), _) => {
                if let Some(inner_object) = value.as_object() {
                    flatten(inner, inner_object, &key, proto_path, excluded, out)?;
                }
            }
            (Kind::WellKnown(WellKnown::Any), _) => return Err(cannot("is an Any")),
            (Kind::WellKnown(WellKnown::Empty), _) => {}
            (kind, Cardinality::Repeated) => {
                for item in value.as_array().into_iter().flatten() {
                    out.push((key.clone(), query_text(kind, item)?));
                }
            }
            (kind, _) => out.push((key.clone(), query_text(kind, value)?)),
        }
        proto_path.pop();
    }
    Ok(())
}

/// One JSON value (pbjson's serialization) as query text.
fn query_text(kind: Kind, value: &Value) -> Result<String, Error> {
    Ok(match (kind.unwrapped(), value) {
        (Kind::WellKnown(WellKnown::Struct | WellKnown::Value | WellKnown::ListValue), v) => {
            v.to_string()
        }
        // URL-safe base64: nothing in it needs escaping but `=`.
        (Kind::Bytes, Value::String(s)) => s.replace('+', "-").replace('/', "_"),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Bool(b)) => b.to_string(),
        (_, Value::Number(n)) => n.to_string(),
        (_, v) => {
            return Err(Error::bad_request(
                "INVALID_ARGUMENT",
                format!("{v} cannot be sent as query text"),
            ));
        }
    })
}

fn content_codec(headers: &HeaderMap) -> Codec {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    match crate::codec::request_codec(content_type) {
        Some(Codec::Protobuf) => Codec::Protobuf,
        _ => Codec::Json,
    }
}

/// A non-2xx reply as an Error.
fn decode_error(status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
    let decoded = match content_codec(headers) {
        Codec::Protobuf => <ErrorProto as prost::Message>::decode(body).ok().map(|p| {
            let code = u16::try_from(p.code).unwrap_or(status);
            Error::new(code, p.reason, p.message).with_metadata(p.metadata)
        }),
        Codec::Json => serde_json::from_slice::<Error>(body)
            .ok()
            .or_else(|| connect_error(body)),
    };
    decoded.unwrap_or_else(|| {
        let text = String::from_utf8_lossy(body);
        let mut cut = text.trim().to_string();
        if cut.len() > MAX_ERROR_TEXT {
            let mut end = MAX_ERROR_TEXT;
            while !cut.is_char_boundary(end) {
                end -= 1;
            }
            cut.truncate(end);
            cut.push('…');
        }
        let reason = http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("")
            .to_uppercase()
            .replace(' ', "_");
        Error::new(status, reason, cut)
    })
}

/// A Connect error (`{"code": "not_found", "message": …, "details": […]}`),
/// its reason and metadata from a `google.rpc.ErrorInfo` detail.
fn connect_error(body: &[u8]) -> Option<Error> {
    use base64::Engine;
    let value: Value = serde_json::from_slice(body).ok()?;
    let code = crate::status::GrpcCode::from_connect_name(value.get("code")?.as_str()?)?;
    let message = value.get("message").and_then(Value::as_str).unwrap_or("");
    let details = value
        .get("details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let type_name = d.get("type")?.as_str()?;
            let value = d.get("value")?.as_str()?.trim_end_matches('=');
            Some(crate::ErrorDetail {
                type_url: format!("{}{type_name}", crate::error_info::TYPE_URL_PREFIX),
                value: base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(value)
                    .ok()?,
            })
        });
    let error = Error::from_grpc(code, String::new(), message.to_owned());
    Some(crate::error_info::with_details(error, details))
}

/// A 2xx reply decoded into `reply`, per the route's response_body.
fn decode_reply(
    spec: &'static RouteSpec,
    headers: &HeaderMap,
    body: &[u8],
    reply: &mut dyn DecodeMessage,
) -> Result<(), Error> {
    let bad = |e: String| Error::new(502, "BAD_REPLY", format!("cannot decode the reply: {e}"));
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match &spec.response_body {
        ResponseBody::HttpBody => reply
            .merge_protobuf(&wire::encode_http_body(content_type, body))
            .map_err(|e| bad(e.to_string())),
        ResponseBody::FieldHttpBody(f) => {
            let hb = wire::encode_http_body(content_type, body);
            reply
                .merge_protobuf(&wire::wrap_field(f.number, &hb))
                .map_err(|e| bad(e.to_string()))
        }
        _ if body.is_empty() => Ok(()),
        ResponseBody::Whole => match content_codec(headers) {
            Codec::Json => reply.replace_json(body).map_err(|e| bad(e.to_string())),
            Codec::Protobuf => reply.merge_protobuf(body).map_err(|e| bad(e.to_string())),
        },
        ResponseBody::Field(f) => match content_codec(headers) {
            Codec::Json => {
                let wrapped = wrap_json(std::iter::once(f.json_name), body)
                    .map_err(|e| bad(e.to_string()))?;
                reply.replace_json(&wrapped).map_err(|e| bad(e.to_string()))
            }
            Codec::Protobuf => reply
                .merge_protobuf(&wire::wrap_field(f.number, body))
                .map_err(|e| bad(e.to_string())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(template: &str) -> Vec<Segment> {
        let t = crate::path::parse(template).unwrap();
        let v = &t.variables[0];
        t.segments[v.start..v.end].to_vec()
    }

    #[test]
    fn variables_match_their_patterns() {
        let books = pattern("/v1/{name=shelves/*/books/*}");
        let ok = render_variable("name", &["shelves/1/books/a b".into()], &books).unwrap();
        assert_eq!(ok, "shelves/1/books/a%20b");
        for bad in [
            "shelves/1",
            "shelves/1/books/",
            "x/1/books/2",
            "shelves/1/books/2/x",
            "",
        ] {
            assert!(
                render_variable("name", &[bad.into()], &books).is_err(),
                "{bad}"
            );
        }
        let rest = pattern("/v1/{path=**}");
        assert_eq!(
            render_variable("path", &["a/b/c".into()], &rest).unwrap(),
            "a/b/c"
        );
        assert!(render_variable("path", &["".into()], &rest).is_err());
        let tail = pattern("/v1/{path=files/**/raw}");
        assert!(render_variable("path", &["files/a/b/raw".into()], &tail).is_ok());
        // `**` may be empty, as the server matches it.
        assert!(render_variable("path", &["files/raw".into()], &tail).is_ok());
        assert!(render_variable("path", &["raw".into()], &tail).is_err());
        let single = pattern("/v1/{id}");
        assert_eq!(
            render_variable("id", &["a/b?c".into()], &single).unwrap(),
            "a%2Fb%3Fc"
        );
        assert_eq!(
            render_variable("id", &["1".into(), "2".into()], &single).unwrap(),
            "1,2"
        );
        assert!(render_variable("id", &["".into()], &single).is_err());
        assert!(render_variable("id", &["..".into()], &single).is_err());
        assert!(render_variable("path", &["a/./b".into()], &rest).is_err());
        assert_eq!(
            render_variable("id", &["...".into()], &single).unwrap(),
            "..."
        );
    }

    #[test]
    fn non_error_bodies_become_errors() {
        let e = decode_error(
            502,
            &HeaderMap::new(),
            "<html>bad gateway</html>".as_bytes(),
        );
        assert_eq!((e.code(), e.reason()), (502, "BAD_GATEWAY"));
        assert_eq!(e.message(), "<html>bad gateway</html>");
        let long = "x".repeat(2000);
        let e = decode_error(500, &HeaderMap::new(), long.as_bytes());
        assert!(e.message().len() <= MAX_ERROR_TEXT + 3);
        let json = br#"{"code":404,"reason":"NOT_FOUND","message":"m","metadata":{"k":"v"}}"#;
        let e = decode_error(404, &HeaderMap::new(), json);
        assert_eq!((e.code(), e.reason(), e.message()), (404, "NOT_FOUND", "m"));
    }
}
