//! Properties of the path-template parser and the matcher (the fuzz
//! targets' units, in the normal test suite): any input parses or fails
//! without panicking; a parsed template prints to a canonical form that
//! parses back to the same template; a template matches the path built from
//! it, capturing the values that were put in.

use proptest::prelude::*;
use protoway::internals::matcher::{Matcher, Outcome};
use protoway::path;

/// A literal segment: unreserved characters only.
fn literal() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9._~-]{0,6}"
}

/// A valid template: literals and variables, optional `**` tail, optional verb.
fn template() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        3 => literal(),
        1 => Just("*".to_owned()),
        2 => ("[a-z][a-z_]{0,5}", proptest::option::of(prop::collection::vec(literal(), 1..3)))
            .prop_map(|(field, pattern)| match pattern {
                None => format!("{{{field}}}"),
                Some(p) => format!("{{{field}={}}}", p.join("/") + "/*"),
            }),
    ];
    (
        prop::collection::vec(segment, 1..6),
        any::<bool>(),
        proptest::option::of("[a-z]{1,6}"),
    )
        .prop_map(|(segments, double_star, verb)| {
            let mut t = format!("/{}", segments.join("/"));
            if double_star {
                t.push_str("/**");
            }
            if let Some(v) = verb {
                t.push(':');
                t.push_str(&v);
            }
            t
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_input_parses_or_fails_cleanly(input in "\\PC{0,40}|[/{}=*:.a-z%]{0,40}") {
        let _ = path::parse(&input);
    }

    #[test]
    fn printing_is_canonical(t in template()) {
        // Field names may repeat in a random template: that is an error, fine.
        if let Ok(parsed) = path::parse(&t) {
            let printed = parsed.to_string();
            let reparsed = path::parse(&printed).expect("the printed form parses");
            prop_assert_eq!(&reparsed, &parsed);
            prop_assert_eq!(reparsed.to_string(), printed);
        }
    }

    #[test]
    fn matcher_never_panics_on_any_path(
        t in template(),
        request in "/[\\PC/%]{0,60}",
        method in prop_oneof![Just("GET"), Just("POST"), Just("HEAD"), Just("BREW")],
    ) {
        if let Ok(parsed) = path::parse(&t) {
            let mut matcher = Matcher::new();
            if matcher.insert("GET", &parsed.to_string(), ()).is_ok() {
                let _ = matcher.find(method, &request);
            }
        }
    }
}

#[test]
fn matcher_captures_what_the_path_carries() {
    let mut matcher = Matcher::new();
    matcher
        .insert("GET", "/v1/{name=shelves/*/books/*}:read", 1)
        .unwrap();
    match matcher.find("GET", "/v1/shelves/a%2Fb/books/7:read") {
        Outcome::Found { value, captures } => {
            assert_eq!(*value, 1);
            // Multi-segment captures keep `%2F` (google/api/http.proto).
            assert_eq!(captures[0].1, "shelves/a%2Fb/books/7");
        }
        _ => panic!("no match"),
    }
}
