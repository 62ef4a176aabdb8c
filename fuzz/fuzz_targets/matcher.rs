//! The matcher: a few real routes, any request path and method.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use protoway::internals::matcher::Matcher;

fn matcher() -> &'static Matcher<u8> {
    static M: OnceLock<Matcher<u8>> = OnceLock::new();
    M.get_or_init(|| {
        let mut m = Matcher::new();
        for (i, (method, t)) in [
            ("GET", "/v1/{name=shelves/*}"),
            ("GET", "/v1/{name=shelves/*/books/*}"),
            ("POST", "/v1/{name=shelves/*/books/*}:move"),
            ("GET", "/v1/{parent=shelves/*}/books"),
            ("*", "/files/{path=**}"),
            ("GET", "/v1/{a.b.c}/x/*/{d=y/**}:verb"),
        ]
        .into_iter()
        .enumerate()
        {
            m.insert(method, t, i as u8).expect("valid template");
        }
        m
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (method, path) = text.split_once(' ').unwrap_or(("GET", text));
    let _ = matcher().find(method, path);
});
