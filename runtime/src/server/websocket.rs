//! Feature `websocket`: a streaming method's HTTP route over WebSocket. A
//! `GET` with `Upgrade: websocket` on the route's path (whatever the
//! route's method) opens a socket whose messages are the method's streams,
//! in kratos v3's framing (`transport/http/stream.go`): each request and
//! each reply one JSON text message (an `HttpBody` reply: its bytes); the
//! control message `\x1eend` ends the requests (WebSocket has no
//! half-close; an empty message does too, as grpc-websocket-proxy clients
//! send it); a failed call sends `\x1eerror:` and the Error's JSON, then
//! closes with 1011; a call that ends well closes with 1000. Client and
//! bidi streams get full duplex on HTTP/1.1 this way.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::IntoResponse;
use bytes::Bytes;
use http::{HeaderValue, header};
use http_body_util::BodyExt;

use super::values::{ResponseFuture, Target, WebSocketCall};
use super::{RouteSpec, stream};
use crate::Error;
use crate::axum_support::ErrorReply;
use crate::matcher::{Matcher, Outcome};
use crate::stream::Stream;

/// Whether `req` asks to open a WebSocket.
pub(super) fn is_upgrade(req: &http::Request<Body>) -> bool {
    req.method() == http::Method::GET
        && req
            .headers()
            .get(header::UPGRADE)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
}

/// The streaming route an upgrade request opens: the route matched for
/// `GET`, else the one matched for `POST` (stream routes are mostly POST).
pub(super) fn route<'m>(
    matcher: &'m Matcher<(&'static RouteSpec, Target)>,
    outcome: &Outcome<'m, (&'static RouteSpec, Target)>,
    req: &http::Request<Body>,
) -> Option<(&'static RouteSpec, Target, Vec<String>)> {
    streaming(outcome).or_else(|| streaming(&matcher.find("POST", req.uri().path())))
}

/// A match of a streaming route: its spec, target and path captures.
fn streaming(
    outcome: &Outcome<'_, (&'static RouteSpec, Target)>,
) -> Option<(&'static RouteSpec, Target, Vec<String>)> {
    match outcome {
        Outcome::Found {
            value: (spec, target),
            captures,
        } if spec.streams != crate::route::Streams::Unary => Some((
            *spec,
            target.clone(),
            captures.iter().map(|(_, v)| v.clone()).collect(),
        )),
        _ => None,
    }
}

/// Accepts the socket (101), then runs the route with the socket's
/// messages as the request body and sends its reply body's messages.
pub(super) fn serve(
    spec: &'static RouteSpec,
    target: Target,
    values: Vec<String>,
    req: http::Request<Body>,
) -> ResponseFuture {
    Box::pin(async move {
        let (mut parts, _) = req.into_parts();
        let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
            Ok(upgrade) => upgrade,
            Err(rejection) => return Ok(rejection.into_response()),
        };
        // The call as the route's own method, JSON lines both ways.
        parts.method =
            http::Method::from_bytes(spec.method.as_bytes()).unwrap_or(http::Method::POST);
        for name in [
            header::UPGRADE,
            header::CONNECTION,
            header::SEC_WEBSOCKET_KEY,
            header::SEC_WEBSOCKET_VERSION,
            header::SEC_WEBSOCKET_EXTENSIONS,
            header::SEC_WEBSOCKET_PROTOCOL,
        ] {
            parts.headers.remove(name);
        }
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(stream::NDJSON),
        );
        parts.headers.remove(header::ACCEPT);
        // Replies go one per socket message, not as JSON lines.
        parts.extensions.insert(WebSocketCall);
        Ok(upgrade.on_upgrade(move |socket| async move {
            let (send, receive) = tokio::sync::mpsc::channel(16);
            let req = http::Request::from_parts(parts, Body::from_stream(Received(receive)));
            let call = target.run(spec, req, values, None);
            relay(socket, send, call, !spec.streams.replies()).await;
        }))
    })
}

/// kratos v3's control messages: the caller's requests end; the call
/// failed (the Error's JSON follows).
const END: &[u8] = b"\x1eend";
const ERROR: &str = "\x1eerror:";

/// The socket's messages, for the request body.
struct Received(tokio::sync::mpsc::Receiver<Bytes>);

impl Stream for Received {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|m| m.map(Ok))
    }
}

enum Event {
    Received(Option<Result<Message, axum::Error>>),
    /// The call's response (its head; the body follows).
    Answered(axum::response::Response),
    /// A frame of the reply body: its data, if it is data.
    Reply(Option<Result<Option<Bytes>, axum::Error>>),
}

/// Moves messages both ways while the call runs: the socket's messages
/// into the request stream, the reply body's messages out, until the reply
/// ends (then the socket closes) or the caller goes away (then the call is
/// dropped with this future).
async fn relay(
    mut socket: WebSocket,
    send: tokio::sync::mpsc::Sender<Bytes>,
    call: ResponseFuture,
    unary_reply: bool,
) {
    let mut send = Some(send);
    let mut call = Some(call);
    let mut body: Option<Body> = None;
    // A client stream's one reply, gathered, sent as one message.
    let mut whole = Vec::new();
    loop {
        let event = std::future::poll_fn(|cx| {
            if send.is_some()
                && let Poll::Ready(m) = Pin::new(&mut socket).poll_next(cx)
            {
                return Poll::Ready(Event::Received(m));
            }
            if let Some(pending) = call.as_mut()
                && let Poll::Ready(Ok(response)) = pending.as_mut().poll(cx)
            {
                return Poll::Ready(Event::Answered(response));
            }
            match body.as_mut() {
                Some(b) => match axum::body::HttpBody::poll_frame(Pin::new(b), cx) {
                    Poll::Ready(f) => Poll::Ready(Event::Reply(
                        f.map(|f| f.map(|frame| frame.into_data().ok())),
                    )),
                    Poll::Pending => Poll::Pending,
                },
                None => Poll::Pending,
            }
        })
        .await;
        match event {
            Event::Received(Some(Ok(message))) => {
                let data: &[u8] = match &message {
                    Message::Text(text) => text.as_str().as_bytes(),
                    Message::Binary(data) => data,
                    Message::Close(_) => {
                        // The caller's side is done: the request stream ends.
                        send = None;
                        continue;
                    }
                    Message::Ping(_) | Message::Pong(_) => continue,
                };
                if data.is_empty() || data == END {
                    // The request stream ends; the socket stays open for
                    // the replies (a Close would end both).
                    send = None;
                    continue;
                }
                let mut line = Vec::with_capacity(data.len() + 1);
                line.extend_from_slice(data);
                line.push(b'\n');
                if let Some(s) = &send
                    && s.send(Bytes::from(line)).await.is_err()
                {
                    send = None;
                }
            }
            Event::Received(Some(Err(_)) | None) => send = None,
            Event::Answered(response) => {
                call = None;
                let (parts, reply) = response.into_parts();
                if parts.status.is_success() {
                    body = Some(reply);
                    continue;
                }
                // Refused before any reply (binding, the handler's error,
                // a layer's answer): the call fails as a stream fails.
                let error = match parts.extensions.get::<ErrorReply>() {
                    Some(ErrorReply(error)) => error.clone(),
                    None => {
                        let text = match reply.collect().await {
                            Ok(c) => String::from_utf8_lossy(&c.to_bytes()).into_owned(),
                            Err(_) => String::new(),
                        };
                        Error::new(parts.status.as_u16(), "", text)
                    }
                };
                fail(&mut socket, &error).await;
                return;
            }
            Event::Reply(Some(Ok(frame))) => {
                let Some(data) = frame else { continue };
                if unary_reply {
                    whole.extend_from_slice(&data);
                    continue;
                }
                if socket.send(message(data)).await.is_err() {
                    return; // the caller left: the call is dropped here
                }
            }
            Event::Reply(None) if unary_reply => {
                let _ = socket.send(message(Bytes::from(whole))).await;
                close(&mut socket, CLOSE_NORMAL, "").await;
                return;
            }
            Event::Reply(Some(Err(e))) => {
                let error = Error::find(&e)
                    .cloned()
                    .unwrap_or_else(|| Error::from_error(e));
                fail(&mut socket, &error).await;
                return;
            }
            Event::Reply(None) => {
                close(&mut socket, CLOSE_NORMAL, "").await;
                return;
            }
        }
    }
}

/// WebSocket close codes: the call ended; it failed (internal error).
const CLOSE_NORMAL: u16 = 1000;
const CLOSE_FAILED: u16 = 1011;

/// A reply as a socket message: text when it is UTF-8 (JSON always is), as
/// kratos sends it; an `HttpBody`'s other bytes binary.
fn message(data: Bytes) -> Message {
    if std::str::from_utf8(&data).is_ok() {
        Message::Text(Utf8Bytes::try_from(data).unwrap_or_default())
    } else {
        Message::Binary(data)
    }
}

/// Ends the call with `error`: `\x1eerror:` and its JSON, then a 1011
/// close whose reason is its message (cut to the 123 bytes a close frame
/// holds).
async fn fail(socket: &mut WebSocket, error: &Error) {
    let mut text = String::from(ERROR);
    text.push_str(&String::from_utf8_lossy(&error.to_json()));
    let _ = socket.send(Message::Text(text.into())).await;
    let message = error.message();
    let mut cut = message.len().min(123);
    while !message.is_char_boundary(cut) {
        cut -= 1;
    }
    close(socket, CLOSE_FAILED, &message[..cut]).await;
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = axum::extract::ws::CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}
