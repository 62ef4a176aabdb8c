//! The call context: while a handler runs, the inbound call it serves —
//! its operation, kratos' global metadata (`x-md-global-*`) and its
//! deadline — is the task's [`CallContext`], and every call a generated
//! client makes inside it carries the metadata and the remaining deadline
//! on, as kratos carries them in `ctx`, without the handler passing
//! anything.
//!
//! A task-local, not an argument: the service trait keeps its signature
//! (`async fn get_shelf(&self, Request<M>)`), a plain message
//! (`client.get_shelf(GetShelfRequest { .. })`) propagates as a forwarded
//! `Request` does, and a call that carries neither metadata nor a
//! deadline pays nothing (it has no context: there is nothing to carry;
//! its operation is [`Request::operation`](crate::route::Request::operation)).
//! The cost is the task-local's rule: it is the handler's future's, and
//! does not cross `tokio::spawn` (a new task) or reach a stream of replies
//! polled after the handler returned. Carry it across with
//! [`CallContext::current`] and [`CallContext::scope`]:
//!
//! ```
//! # async fn f() {
//! use protoway::context::CallContext;
//! let context = CallContext::current(); // inside the handler
//! tokio::spawn(async move {
//!     let work = async { /* client calls here carry the caller's metadata */ };
//!     match context {
//!         Some(context) => context.scope(work).await,
//!         None => work.await,
//!     }
//! });
//! # }
//! ```
//!
//! Outside a handler (a `main`, a background job) there is no context and
//! nothing is propagated. Credentials never cross: only the headers whose
//! names start with kratos' global prefix are kept.

use std::future::Future;
use std::time::{Duration, Instant};

use http::HeaderMap;

tokio::task_local! {
    static CURRENT: CallContext;
}

/// The inbound call a handler serves: what the calls it makes carry on.
#[derive(Debug, Clone)]
pub struct CallContext {
    operation: &'static str,
    metadata: HeaderMap,
    deadline: Option<Instant>,
}

impl CallContext {
    /// A context of `operation` with no metadata and no deadline (for
    /// tests, or work started outside a handler that should propagate).
    pub fn new(operation: &'static str) -> CallContext {
        CallContext {
            operation,
            metadata: HeaderMap::new(),
            deadline: None,
        }
    }

    /// The inbound call's context: its global metadata, and the deadline
    /// `timeout` from now (what the caller sent as `grpc-timeout` or
    /// `Connect-Timeout-Ms`).
    #[cfg(feature = "server")]
    pub(crate) fn of(
        operation: &'static str,
        metadata: HeaderMap,
        timeout: Option<Duration>,
    ) -> CallContext {
        CallContext {
            operation,
            metadata,
            deadline: timeout.and_then(|t| Instant::now().checked_add(t)),
        }
    }

    /// The context of the call this task is serving, if any (none outside
    /// a handler, and for a call with neither global metadata nor a
    /// deadline).
    pub fn current() -> Option<CallContext> {
        CURRENT.try_with(CallContext::clone).ok()
    }

    /// Runs `future` with this context as the current one: what crosses a
    /// `tokio::spawn`.
    pub fn scope<F: Future>(self, future: F) -> impl Future<Output = F::Output> {
        CURRENT.scope(self, future)
    }

    /// `/{package}.{Service}/{Method}` of the inbound call.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// kratos' global metadata of the inbound call (`x-md-global-*`).
    pub fn metadata(&self) -> &HeaderMap {
        &self.metadata
    }

    /// Global metadata to carry on, mutably (a handler adding a value for
    /// the calls it makes).
    pub fn metadata_mut(&mut self) -> &mut HeaderMap {
        &mut self.metadata
    }

    /// When the inbound call's deadline passes.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// This context with `deadline` (a handler tightening it).
    pub fn with_deadline(mut self, deadline: Instant) -> CallContext {
        self.deadline = Some(deadline);
        self
    }

    /// The time left before the deadline (zero once it passed).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Runs `f` with the current context, if any, without cloning it.
    #[cfg(feature = "client")]
    pub(crate) fn with_current<R>(f: impl FnOnce(Option<&CallContext>) -> R) -> R {
        let mut f = Some(f);
        match CURRENT.try_with(|c| (f.take().expect("called once"))(Some(c))) {
            Ok(r) => r,
            Err(_) => (f.take().expect("not called"))(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[cfg(feature = "server")]
    #[tokio::test]
    async fn the_context_is_the_scopes_and_crosses_a_spawn_only_when_carried() {
        let mut metadata = HeaderMap::new();
        metadata.append("x-md-global-trace", HeaderValue::from_static("t1"));
        metadata.append("x-md-global-trace", HeaderValue::from_static("t2"));
        let context = CallContext::of("/a.B/C", metadata, Some(Duration::from_secs(5)));
        assert_eq!(context.metadata().len(), 2);
        assert!(context.remaining().unwrap() <= Duration::from_secs(5));
        assert!(CallContext::current().is_none());
        context
            .clone()
            .scope(async {
                let current = CallContext::current().unwrap();
                assert_eq!(current.operation(), "/a.B/C");
                // A new task starts without it …
                let spawned = tokio::spawn(async { CallContext::current().is_none() });
                assert!(spawned.await.unwrap());
                // … unless it is carried across.
                let carried = CallContext::current().unwrap();
                let spawned = tokio::spawn(
                    carried.scope(async { CallContext::current().map(|c| c.metadata().len()) }),
                );
                assert_eq!(spawned.await.unwrap(), Some(2));
            })
            .await;
        assert!(CallContext::current().is_none());
    }
}
