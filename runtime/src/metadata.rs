//! What headers may cross a service boundary, in either direction.
//!
//! Forwarding a request downstream sends only kratos' global metadata
//! (`x-md-global-*`, the prefixes configurable on the client): never
//! credentials (`Authorization`, `Cookie`), client addresses
//! (`X-Forwarded-For`), hop-by-hop headers or local metadata
//! (`x-md-local-*`). A reply's framing headers (`Content-Length`,
//! `Transfer-Encoding`, `Content-Type`, …) describe the bytes they came
//! with: a client's reply keeps them (they describe what it received), and
//! the server drops them from a handler's reply headers, because it encodes
//! the body again (a handler returning a downstream's `Response` as is).

#[cfg(any(feature = "client", feature = "server"))]
use http::HeaderMap;
#[cfg(feature = "server")]
use http::{HeaderName, header};

/// kratos' prefix for metadata that travels the whole call chain.
pub const GLOBAL_METADATA_PREFIX: &str = "x-md-global-";

/// The headers of `incoming` that a call made on its behalf sends along:
/// those whose (lower-case) name starts with one of `prefixes`.
#[cfg(feature = "client")]
pub(crate) fn propagated(incoming: &HeaderMap, prefixes: &[String]) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in incoming {
        if prefixes
            .iter()
            .any(|p| name.as_str().starts_with(p.as_str()))
        {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

#[cfg(feature = "server")]
const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");

/// Headers that describe one message's bytes or one connection, never
/// carried from one message to another.
#[cfg(feature = "server")]
const FRAMING: &[HeaderName] = &[
    header::CONTENT_LENGTH,
    header::CONTENT_TYPE,
    header::CONTENT_ENCODING,
    header::TRANSFER_ENCODING,
    header::CONNECTION,
    header::TE,
    header::TRAILER,
    header::UPGRADE,
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
];

/// Removes [`FRAMING`] headers and `Keep-Alive` from `headers`.
#[cfg(feature = "server")]
pub(crate) fn strip_framing(headers: &mut HeaderMap) {
    // Most replies set no headers: skip hashing the names.
    if headers.is_empty() {
        return;
    }
    for name in FRAMING {
        headers.remove(name);
    }
    headers.remove(KEEP_ALIVE);
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(*k, HeaderValue::from_static(v));
        }
        m
    }

    #[test]
    #[cfg(feature = "client")]
    fn only_global_metadata_is_propagated() {
        let incoming = map(&[
            ("authorization", "Bearer secret"),
            ("cookie", "session=1"),
            ("x-forwarded-for", "10.0.0.1"),
            ("x-md-local-tenant", "a"),
            ("x-md-global-trace", "t1"),
            ("x-md-global-trace", "t2"),
            ("connection", "keep-alive"),
            ("content-length", "12"),
            ("x-team-flag", "on"),
        ]);
        let sent = propagated(&incoming, &[GLOBAL_METADATA_PREFIX.to_owned()]);
        assert_eq!(sent.len(), 2);
        assert_eq!(
            sent.get_all("x-md-global-trace").iter().collect::<Vec<_>>(),
            ["t1", "t2"]
        );
        let sent = propagated(
            &incoming,
            &[GLOBAL_METADATA_PREFIX.to_owned(), "x-team-".to_owned()],
        );
        assert_eq!(sent.len(), 3);
        assert!(propagated(&incoming, &[]).is_empty());
    }

    #[test]
    #[cfg(feature = "server")]
    fn framing_headers_are_stripped() {
        let mut headers = map(&[
            ("content-length", "120"),
            ("content-type", "application/json"),
            ("transfer-encoding", "chunked"),
            ("keep-alive", "timeout=5"),
            ("connection", "close"),
            ("x-request-id", "r1"),
            ("etag", "\"v1\""),
        ]);
        strip_framing(&mut headers);
        let mut left: Vec<_> = headers.keys().map(|k| k.as_str()).collect();
        left.sort_unstable();
        assert_eq!(left, ["etag", "x-request-id"]);
    }
}
