//! Feature `websocket`: a streaming method's HTTP route over WebSocket. A
//! `GET` with `Upgrade: websocket` on the route's path (whatever the
//! route's method) opens a socket whose messages are the method's streams,
//! as newline-delimited JSON is over plain HTTP, one line per WebSocket
//! message — the framing of grpc-gateway's WebSocket proxy
//! (tmc/grpc-websocket-proxy): requests are JSON messages; replies are
//! `{"result": …}`, and a failed call's last message `{"error": …}` before
//! the close. An empty message ends the request stream (WebSocket has no
//! half-close: a Close frame ends both ways). Client and bidi streams get
//! full duplex on HTTP/1.1 this way.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::FromRequestParts;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};

use super::*;
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
        Ok(upgrade.on_upgrade(move |socket| async move {
            let (send, receive) = tokio::sync::mpsc::channel(16);
            let req = http::Request::from_parts(parts, Body::from_stream(Received(receive)));
            let call = target.run(spec, req, values, None);
            relay(socket, send, call, !spec.streams.replies()).await;
        }))
    })
}

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
    // A client stream's one reply, gathered, sent as `{"result": …}`.
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
                if data.is_empty() {
                    // An empty message ends the request stream; the socket
                    // stays open for the replies (a Close would end both).
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
                // Refused before any reply (binding, the handler's error):
                // one error line, as a stream's error ends.
                let line = match parts.extensions.get::<ErrorReply>() {
                    Some(ErrorReply(error)) => stream_error_line(error),
                    None => whole_text(reply).await,
                };
                let _ = socket.send(Message::Text(line.into())).await;
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            Event::Reply(Some(Ok(frame))) => {
                let Some(data) = frame else { continue };
                if unary_reply {
                    whole.extend_from_slice(&data);
                    continue;
                }
                let text =
                    String::from_utf8_lossy(data.strip_suffix(b"\n").unwrap_or(&data)).into_owned();
                if socket.send(Message::Text(text.into())).await.is_err() {
                    return; // the caller left: the call is dropped here
                }
            }
            Event::Reply(None) if unary_reply => {
                let mut line = String::from(r#"{"result":"#);
                line.push_str(&String::from_utf8_lossy(&whole));
                line.push('}');
                let _ = socket.send(Message::Text(line.into())).await;
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            Event::Reply(Some(Err(e))) => {
                let error = Error::find(&e)
                    .cloned()
                    .unwrap_or_else(|| Error::from_error(e));
                let _ = socket
                    .send(Message::Text(stream_error_line(&error).into()))
                    .await;
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            Event::Reply(None) => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
        }
    }
}

/// The error line of a stream (`{"error": …}`).
fn stream_error_line(error: &Error) -> String {
    let mut line = String::from(r#"{"error":"#);
    line.push_str(&String::from_utf8_lossy(&stream::gateway_error_json(error)));
    line.push('}');
    line
}

async fn whole_text(body: Body) -> String {
    match body.collect().await {
        Ok(c) => String::from_utf8_lossy(&c.to_bytes()).into_owned(),
        Err(_) => String::new(),
    }
}
