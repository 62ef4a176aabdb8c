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

use crate::Error;
use crate::codec::Codec;
use crate::context::CallContext;
use crate::message::{DecodeMessage, EncodeMessage, wrap_json};
use crate::route::{ErrorProto, Request, Response, ResponseBody, RouteSpec};

mod reply;
#[cfg(feature = "websocket")]
mod websocket;

use crate::mapping::encode::encode_dyn;
pub use crate::mapping::encode::{EncodedRequest, encode_request};
use reply::{decode_error, decode_reply};

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
    /// The request to send.
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
