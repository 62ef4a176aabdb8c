//! [`Streaming`]: the messages of a streaming method's stream side, on
//! every transport — the requests of client and bidi streams, the replies
//! of server and bidi streams.
//!
//! One named, boxed type rather than `impl Stream` in the generated trait:
//! a boxed stream is one type per message, so the runtime's stream code is
//! compiled once per message type, not once per handler, and the trait
//! reads the same for every method.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use futures_core::Stream;

use crate::Error;

/// A stream of messages, each one or an [`Error`]. A stream of replies ends
/// at its first error: the caller receives the error (a final gRPC status,
/// Connect end-of-stream message, SSE `error` event or NDJSON `error` line)
/// and nothing after it.
pub struct Streaming<T> {
    inner: Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>,
}

impl<T> Streaming<T> {
    /// Wraps any stream of results (`tokio_stream::wrappers::ReceiverStream`,
    /// `futures::stream::iter`, an `async-stream` block).
    pub fn new<S>(stream: S) -> Self
    where
        S: Stream<Item = Result<T, Error>> + Send + 'static,
    {
        Streaming {
            inner: Box::pin(stream),
        }
    }

    /// The next message: `Ok(None)` once the stream has ended.
    pub async fn message(&mut self) -> Result<Option<T>, Error> {
        std::future::poll_fn(|cx| self.inner.as_mut().poll_next(cx))
            .await
            .transpose()
    }
}

impl<T: Send + 'static> Streaming<T> {
    /// A stream of the given messages.
    pub fn from_messages(messages: impl IntoIterator<Item = T>) -> Self {
        Streaming::new(Iter(
            messages
                .into_iter()
                .collect::<std::collections::VecDeque<_>>(),
        ))
    }
}

/// Messages as a stream (without a futures-util dependency).
struct Iter<T>(std::collections::VecDeque<T>);

impl<T> Unpin for Iter<T> {}

impl<T> Stream for Iter<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.pop_front().map(Ok))
    }
}

impl<T> Stream for Streaming<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<T> fmt::Debug for Streaming<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Streaming")
    }
}
