//! Feature `websocket`, client side: client and bidi streams over
//! WebSocket on the method's HTTP route, in kratos v3's framing as the
//! server's `websocket` feature serves it — a JSON message per request and
//! per reply, `\x1eend` ending the requests, `\x1eerror:` and the Error
//! (its JSON, or kratos' text) ending a failed call, a close with any other
//! code than 1000 a failure too.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use super::*;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the socket, starts sending `request`'s messages, and returns the
/// replies as they come.
pub(super) async fn open<M, R>(
    client: &Client,
    spec: &'static RouteSpec,
    request: Request<crate::Streaming<M>>,
) -> Result<Response<crate::Streaming<R>>, Error>
where
    M: EncodeMessage + 'static,
    R: serde::de::DeserializeOwned + Send + 'static,
{
    if spec.is_rpc_only() {
        return Err(Error::new(
            501,
            "UNIMPLEMENTED",
            format!("{}: no HTTP route to open a WebSocket on", spec.operation),
        ));
    }
    if spec.template.contains('{') {
        return Err(Error::new(
            501,
            "UNIMPLEMENTED",
            format!(
                "{}: a stream of requests cannot fill the path variables of {}",
                spec.operation, spec.template
            ),
        ));
    }
    let url = match client.base.strip_prefix("http") {
        Some(rest) => format!("ws{rest}{}", spec.template),
        None => format!("{}{}", client.base, spec.template),
    };
    let mut handshake =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            url.as_str(),
        )
        .map_err(|e| Error::new(500, "BAD_URL", format!("{url}: {e}")))?;
    let carried = client.forwarding_headers(&request.parts.headers).headers;
    for (name, value) in client.headers.iter().chain(carried.iter()) {
        handshake.headers_mut().append(name, value.clone());
    }
    let (socket, reply) = tokio_tungstenite::connect_async(handshake)
        .await
        .map_err(|e| Error::new(503, "UNAVAILABLE", format!("WebSocket to {url}: {e}")))?;
    let status = reply.status();
    let headers = reply.headers().clone();
    let (mut sink, stream) = socket.split();
    let mut requests = request.message;
    let writer = tokio::spawn(async move {
        // Each request as it comes; a failed request stream ends the
        // requests all the same (the server sees them end).
        while let Ok(Some(message)) = requests.message().await {
            let Ok(json) = message.to_json() else { break };
            let text = String::from_utf8_lossy(&json).into_owned();
            if sink.send(Message::text(text)).await.is_err() {
                return;
            }
        }
        let _ = sink.send(Message::text("\x1eend")).await;
    });
    Ok(Response {
        message: crate::Streaming::new(Replies::<R> {
            stream,
            writer,
            done: false,
            _reply: std::marker::PhantomData,
        }),
        status,
        headers,
        trailers: HeaderMap::new(),
    })
}

/// The socket's messages as replies; dropping it stops the writer.
struct Replies<R> {
    stream: futures_util::stream::SplitStream<Socket>,
    writer: tokio::task::JoinHandle<()>,
    done: bool,
    _reply: std::marker::PhantomData<fn() -> R>,
}

impl<R> Unpin for Replies<R> {}

impl<R> Drop for Replies<R> {
    fn drop(&mut self) {
        self.writer.abort();
    }
}

impl<R: serde::de::DeserializeOwned> crate::Stream for Replies<R> {
    type Item = Result<R, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            return match std::task::ready!(this.stream.poll_next_unpin(cx)) {
                Some(Ok(Message::Text(text))) => {
                    let item = reply::<R>(text.as_bytes());
                    this.done = item.is_err();
                    Poll::Ready(Some(item))
                }
                Some(Ok(Message::Binary(data))) => {
                    let item = reply::<R>(&data);
                    this.done = item.is_err();
                    Poll::Ready(Some(item))
                }
                Some(Ok(Message::Close(Some(frame)))) if u16::from(frame.code) != CLOSE_NORMAL => {
                    this.done = true;
                    let error = Error::new(500, "", frame.reason.as_str().to_owned());
                    Poll::Ready(Some(Err(error)))
                }
                Some(Ok(Message::Close(_))) | None => {
                    this.done = true;
                    Poll::Ready(None)
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    this.done = true;
                    Poll::Ready(Some(Err(Error::new(
                        503,
                        "UNAVAILABLE",
                        format!("the WebSocket failed: {e}"),
                    ))))
                }
            };
        }
    }
}

/// The close code of a call that ended well.
const CLOSE_NORMAL: u16 = 1000;

/// One socket message: a reply, or the call's error (`\x1eerror:` and the
/// Error's JSON from protoway, its text from kratos).
fn reply<R: serde::de::DeserializeOwned>(data: &[u8]) -> Result<R, Error> {
    if let Some(error) = data.strip_prefix(b"\x1eerror:") {
        return Err(Error::from_json(error)
            .unwrap_or_else(|_| Error::new(500, "", String::from_utf8_lossy(error).into_owned())));
    }
    serde_json::from_slice(data)
        .map_err(|e| Error::new(502, "BAD_REPLY", format!("cannot decode the reply: {e}")))
}
