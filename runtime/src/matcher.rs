//! The compiled route matcher: (method, template) routes → the most specific
//! route for a request, its captured variables, or 404 / 405 / 400.
//!
//! Specificity follows grpc-httpjson-transcoding, not registration order:
//! comparing the request's segments left to right, a literal beats `*`,
//! which beats `**`; a route with a matching custom verb beats one without;
//! only a full tie falls back to registration order.

use std::borrow::Cow;

use crate::path::{Segment, Template};
use crate::percent;
use crate::strs::{self, Strs};

/// Which HTTP methods a route answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MethodFilter {
    /// `custom { kind: "*" }`: every method.
    Any,
    /// One method token, e.g. `GET` or `LOCK`.
    Exact(String),
}

impl MethodFilter {
    /// `*` is any method; anything else is matched exactly.
    pub fn new(method: &str) -> MethodFilter {
        if method == "*" {
            MethodFilter::Any
        } else {
            MethodFilter::Exact(method.to_string())
        }
    }

    fn accepts(&self, method: &str) -> bool {
        match self {
            MethodFilter::Any => true,
            MethodFilter::Exact(m) => m == method,
        }
    }
}

#[derive(Debug)]
struct Route<T> {
    method: MethodFilter,
    /// The template's segments, literals percent-decoded.
    parts: Vec<Segment>,
    multi_at: Option<usize>,
    verb: Option<String>,
    variables: Vec<Capture>,
    value: T,
}

#[derive(Debug)]
struct Capture {
    field_path: Vec<String>,
    start: usize,
    end: usize,
    /// One `*` (or literal) segment: fully decoded.
    single: bool,
}

/// A set of compiled routes.
#[derive(Debug)]
pub struct Matcher<T> {
    routes: Vec<Route<T>>,
}

impl<T> Default for Matcher<T> {
    fn default() -> Self {
        Matcher { routes: Vec::new() }
    }
}

/// What matching a request found.
#[derive(Debug)]
pub enum Outcome<'m, T> {
    /// The best route and its captures (field path, decoded value).
    Found {
        /// The route's payload.
        value: &'m T,
        /// Captured variables in template order.
        captures: Vec<(&'m [String], String)>,
    },
    /// The path exists for other methods, listed for `Allow`.
    MethodNotAllowed(Vec<String>),
    /// No route has this path.
    NotFound,
    /// The path itself is unusable (no leading `/`, malformed escape,
    /// not UTF-8 after decoding).
    BadRequest(&'static str),
}

impl<T> Matcher<T> {
    /// An empty matcher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route (tests; the server adds parsed ones).
    #[cfg(any(test, feature = "internals"))]
    pub fn insert(
        &mut self,
        method: &str,
        template: &str,
        value: T,
    ) -> Result<(), crate::path::ParseError> {
        let t = crate::path::parse(template)?;
        self.insert_parsed(MethodFilter::new(method), &t, value);
        Ok(())
    }

    /// Adds an already parsed route.
    pub fn insert_parsed(&mut self, method: MethodFilter, template: &Template, value: T) {
        let parts = template
            .segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => {
                    Segment::Literal(percent::decode(l).map_or_else(|_| l.clone(), Cow::into_owned))
                }
                other => other.clone(),
            })
            .collect::<Vec<_>>();
        let multi_at = parts.iter().position(|p| matches!(p, Segment::Multi));
        let variables = template
            .variables
            .iter()
            .map(|v| Capture {
                field_path: v.field_path.clone(),
                start: v.start,
                end: v.end,
                single: v.end == v.start + 1 && !matches!(parts[v.start], Segment::Multi),
            })
            .collect();
        self.routes.push(Route {
            method,
            parts,
            multi_at,
            verb: template.verb.clone(),
            variables,
            value,
        });
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// True when no route was added (tests).
    #[cfg(any(test, feature = "internals"))]
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Finds the route for `method` and the raw (still escaped) `path`.
    /// HEAD falls back to GET routes when no route names HEAD.
    pub fn find(&self, method: &str, path: &str) -> Outcome<'_, T> {
        let Some(rest) = path.strip_prefix('/') else {
            return Outcome::BadRequest("the request path must start with '/'");
        };
        if !percent::is_well_formed(rest) {
            return Outcome::BadRequest("malformed percent-escape in the request path");
        }
        let segments: Strs<'_, 16> = if rest.is_empty() {
            Strs::new()
        } else {
            strs::split(rest, b'/').collect()
        };
        let mut best = self.best(&segments, |m| m.accepts(method));
        if best.is_none() && method == "HEAD" {
            best = self.best(&segments, |m| m.accepts("GET"));
        }
        match best {
            Some(Ok((route, view))) => match captures(route, &view) {
                Ok(captures) => Outcome::Found {
                    value: &route.value,
                    captures,
                },
                Err(_) => Outcome::BadRequest("request path is not UTF-8 after percent-decoding"),
            },
            Some(Err(e)) => Outcome::BadRequest(e),
            None => {
                let matching: Vec<&Route<T>> = self
                    .routes
                    .iter()
                    .filter(|r| route_matches(r, &segments).is_some())
                    .collect();
                // `/x/1:move` names the `:move` resource when a route has
                // that verb; only those routes' methods are allowed there.
                let with_verb = matching.iter().any(|r| r.verb.is_some());
                let mut allow: Vec<String> = Vec::new();
                for route in matching.iter().filter(|r| !with_verb || r.verb.is_some()) {
                    match &route.method {
                        MethodFilter::Any => {}
                        MethodFilter::Exact(m) => allow.push(m.clone()),
                    }
                }
                if allow.is_empty() {
                    Outcome::NotFound
                } else {
                    if allow.iter().any(|m| m == "GET") {
                        allow.push("HEAD".into());
                    }
                    allow.sort();
                    allow.dedup();
                    Outcome::MethodNotAllowed(allow)
                }
            }
        }
    }

    fn best<'m, 's, 'p>(
        &'m self,
        segments: &'s [&'p str],
        method_ok: impl Fn(&MethodFilter) -> bool,
    ) -> Option<Result<(&'m Route<T>, View<'s, 'p>), &'static str>> {
        // A last segment ending in `:verb` that some route registers names
        // that verb's resource: only routes with the verb are candidates
        // (grpc-httpjson-transcoding). `GET /person/jason:verb` with
        // `/person/{id=*}` and `/{x=**}:verb` picks the verb route.
        let verb_named = self.names_registered_verb(segments);
        let mut best: Option<(&Route<T>, View<'s, 'p>)> = None;
        let candidates = self
            .routes
            .iter()
            .filter(|r| method_ok(&r.method) && (!verb_named || r.verb.is_some()));
        for route in candidates {
            let Some(view) = route_matches(route, segments) else {
                continue;
            };
            // Strictly more specific only: a full tie keeps the earlier route.
            if best
                .as_ref()
                .is_none_or(|(b, bv)| specificity(route, view.len()).lt(specificity(b, bv.len())))
            {
                best = Some((route, view));
            }
        }
        best.map(Ok)
    }
}

impl<T> Matcher<T> {
    /// Whether the request's last segment ends in `:verb` for a verb some
    /// route registers (whatever its method).
    fn names_registered_verb(&self, segments: &[&str]) -> bool {
        let Some(last) = segments.last() else {
            return false;
        };
        self.routes.iter().any(|r| {
            r.verb.as_deref().is_some_and(|verb| {
                last.strip_suffix(verb)
                    .is_some_and(|stem| stem.ends_with(':'))
            })
        })
    }
}

/// The request segments a route sees: the verb stripped from the last one.
/// A view instead of a copy, so trying a route allocates nothing.
#[derive(Debug, Clone, Copy)]
struct View<'s, 'p> {
    segments: &'s [&'p str],
    /// The last segment without its `:verb`, when the route has one.
    last: Option<&'p str>,
}

impl<'p> View<'_, 'p> {
    fn len(&self) -> usize {
        self.segments.len()
    }

    fn get(&self, i: usize) -> &'p str {
        match self.last {
            Some(stem) if i + 1 == self.segments.len() => stem,
            _ => self.segments[i],
        }
    }

    /// Segments `start..end` joined with `/`.
    fn join(&self, start: usize, end: usize) -> String {
        let mut out = String::new();
        for i in start..end {
            if i > start {
                out.push('/');
            }
            out.push_str(self.get(i));
        }
        out
    }
}

/// The view a route sees when it matches the request segments.
fn route_matches<'s, 'p, T>(route: &Route<T>, segments: &'s [&'p str]) -> Option<View<'s, 'p>> {
    let mut view = View {
        segments,
        last: None,
    };
    if let Some(verb) = &route.verb {
        let last = segments.last()?;
        let stem = last.strip_suffix(verb.as_str())?.strip_suffix(':')?;
        if segments.len() == 1 && stem.is_empty() && route.parts.is_empty() {
            // `/:verb` on the root template: no segments at all.
            view.segments = &[];
        } else {
            view.last = Some(stem);
        }
    }
    let literal = |l: &str, segment: &str| percent::decode(segment).is_ok_and(|d| *d == *l);
    fills(
        &route.parts,
        route.multi_at,
        view.len(),
        |i| view.get(i),
        literal,
    )
    .then_some(view)
}

/// Whether `len` segments (the `i`th given by `segment`) fill `pattern`:
/// a literal as `literal` compares it, `*` exactly one non-empty segment,
/// the one `**` (at `multi_at`) any run of segments. The single definition
/// of `*` and `**`: the server matches request paths with it, the client
/// checks the values it puts in a path.
pub(crate) fn fills<'p>(
    pattern: &[Segment],
    multi_at: Option<usize>,
    len: usize,
    segment: impl Fn(usize) -> &'p str,
    literal: impl Fn(&str, &str) -> bool,
) -> bool {
    let part_fits = |part: &Segment, i: usize| match part {
        Segment::Literal(l) => literal(l, segment(i)),
        // An empty segment (`//`) never binds a `*`.
        Segment::Single => !segment(i).is_empty(),
        Segment::Multi => true,
    };
    match multi_at {
        None => len == pattern.len() && pattern.iter().enumerate().all(|(i, p)| part_fits(p, i)),
        Some(m) => {
            let tail = pattern.len() - m - 1;
            len + 1 >= pattern.len()
                && pattern[..m]
                    .iter()
                    .enumerate()
                    .all(|(i, p)| part_fits(p, i))
                && pattern[m + 1..]
                    .iter()
                    .enumerate()
                    .all(|(j, p)| part_fits(p, len - tail + j))
        }
    }
}

/// Lower is more specific, compared lexicographically: per request segment
/// 0 = literal, 1 = `*`, 2 = `**`; then 0 for a verb route, 1 without.
fn specificity<T>(route: &Route<T>, len: usize) -> impl Iterator<Item = u8> + '_ {
    (0..len)
        .map(move |i| match route.parts[template_index(route, len, i)] {
            Segment::Literal(_) => 0,
            Segment::Single => 1,
            Segment::Multi => 2,
        })
        .chain(std::iter::once(u8::from(route.verb.is_none())))
}

/// Which template part consumed request segment `i`.
fn template_index<T>(route: &Route<T>, len: usize, i: usize) -> usize {
    match route.multi_at {
        None => i,
        Some(m) => {
            let multi_len = len + 1 - route.parts.len();
            if i < m {
                i
            } else if i < m + multi_len {
                m
            } else {
                i - multi_len + 1
            }
        }
    }
}

/// Request segment range covered by template parts `start..end`.
fn segment_range<T>(route: &Route<T>, len: usize, start: usize, end: usize) -> (usize, usize) {
    match route.multi_at {
        None => (start, end),
        Some(m) => {
            let extra = len + 1 - route.parts.len();
            let map = |j: usize| if j <= m { j } else { j + extra - 1 };
            let s = map(start);
            let e = if end > m { end + extra - 1 } else { end };
            (s, e)
        }
    }
}

fn captures<'m, T>(
    route: &'m Route<T>,
    view: &View<'_, '_>,
) -> Result<Vec<(&'m [String], String)>, percent::DecodeError> {
    route
        .variables
        .iter()
        .map(|v| {
            let (s, e) = segment_range(route, view.len(), v.start, v.end);
            let value = if v.single {
                percent::decode(view.get(s))?.into_owned()
            } else {
                percent::decode_except_slash(&view.join(s, e))?.into_owned()
            };
            Ok((v.field_path.as_slice(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(m: &Matcher<usize>, method: &str, path: &str) -> Option<(usize, Vec<String>)> {
        match m.find(method, path) {
            Outcome::Found { value, captures } => Some((
                *value,
                captures
                    .into_iter()
                    .map(|(p, v)| format!("{}={v}", p.join(".")))
                    .collect(),
            )),
            _ => None,
        }
    }

    #[test]
    fn literal_beats_variable_in_any_order() {
        for order in [[0, 1], [1, 0]] {
            let templates = ["/v1/{name=shelves/*}", "/v1/shelves/special"];
            let mut m = Matcher::new();
            for i in order {
                m.insert("GET", templates[i], i).unwrap();
            }
            assert_eq!(found(&m, "GET", "/v1/shelves/special").unwrap().0, 1);
            assert_eq!(found(&m, "GET", "/v1/shelves/other").unwrap().0, 0);
        }
    }

    #[test]
    fn a_registered_verb_leaves_only_verb_routes() {
        for order in [[0, 1], [1, 0]] {
            let templates = ["/person/{id=*}", "/{x=**}:verb"];
            let mut m = Matcher::new();
            for i in order {
                m.insert("GET", templates[i], i).unwrap();
            }
            assert_eq!(
                found(&m, "GET", "/person/jason:verb").unwrap(),
                (1, vec!["x=person/jason".into()])
            );
            // An unregistered verb is part of the segment.
            assert_eq!(
                found(&m, "GET", "/person/jason:other").unwrap(),
                (0, vec!["id=jason:other".into()])
            );
            assert_eq!(found(&m, "GET", "/person/jason").unwrap().0, 0);
        }
        // Registered for another method: still names the verb's resource.
        let mut m = Matcher::new();
        m.insert("GET", "/a/{id}", 0).unwrap();
        m.insert("POST", "/a/{id}:run", 1).unwrap();
        assert!(matches!(
            m.find("GET", "/a/1:run"),
            Outcome::MethodNotAllowed(allow) if allow == ["POST"]
        ));
    }

    /// Two forms http.proto's grammar rejects and grpc-gateway accepts;
    /// protoway accepts them too (docs/conformance.md lists the choice).
    #[test]
    fn segments_after_double_star_and_a_verb_on_the_root() {
        let mut m = Matcher::new();
        m.insert("GET", "/a/{rest=**}/{leaf=*}", 0).unwrap();
        m.insert("POST", "/:reset", 1).unwrap();
        assert_eq!(
            found(&m, "GET", "/a/x/y/z").unwrap(),
            (0, vec!["rest=x/y".into(), "leaf=z".into()])
        );
        assert_eq!(
            found(&m, "GET", "/a/z").unwrap(),
            (0, vec!["rest=".into(), "leaf=z".into()])
        );
        assert_eq!(found(&m, "POST", "/:reset").unwrap(), (1, vec![]));
    }

    #[test]
    fn captures_and_decoding() {
        let mut m = Matcher::new();
        m.insert("GET", "/v1/{name=shelves/*/books/*}", 0).unwrap();
        m.insert("GET", "/v1/{id}/x", 1).unwrap();
        m.insert("POST", "/v1/{name=**}:move", 2).unwrap();
        m.insert("GET", "/files/{path=**}/{leaf}", 3).unwrap();
        assert_eq!(
            found(&m, "GET", "/v1/shelves/a%2Fb/books/c%20d").unwrap().1,
            ["name=shelves/a%2Fb/books/c d"]
        );
        assert_eq!(found(&m, "GET", "/v1/a%2Fb/x").unwrap().1, ["id=a/b"]);
        assert_eq!(
            found(&m, "POST", "/v1/a/b:move").unwrap(),
            (2, vec!["name=a/b".into()])
        );
        assert_eq!(
            found(&m, "GET", "/files/a/b/c").unwrap().1,
            ["path=a/b", "leaf=c"]
        );
        assert!(matches!(m.find("GET", "/v1/%zz/x"), Outcome::BadRequest(_)));
        assert!(matches!(m.find("GET", "/v1/%ff/x"), Outcome::BadRequest(_)));
        match m.find("DELETE", "/v1/a/x") {
            Outcome::MethodNotAllowed(allow) => assert_eq!(allow, ["GET", "HEAD"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(m.find("GET", "/nope"), Outcome::NotFound));
        // A verb path allows only the verb routes' methods.
        let mut v = Matcher::new();
        v.insert("GET", "/v1/{name=*}", 0).unwrap();
        v.insert("POST", "/v1/{name=*}:move", 1).unwrap();
        match v.find("DELETE", "/v1/a:move") {
            Outcome::MethodNotAllowed(allow) => assert_eq!(allow, ["POST"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(found(&m, "HEAD", "/v1/a/x").unwrap().0, 1);
    }
}
