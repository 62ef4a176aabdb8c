//! `protoway-bench micro`: the server side alone, in-process (no sockets):
//! each router answers the same requests through `tower::ServiceExt::oneshot`
//! in a loop; prints ns per request and the ratio. For profiling the runtime.

use std::time::Instant;

use axum::body::Body;
use tower::ServiceExt;

use crate::servers;

/// Counts allocations, to print allocations per request.
///
/// Per thread: a process-wide atomic counter would be written by the
/// client's and the server's threads at once in the socket benchmarks,
/// its cache line moving between cores on every allocation — a cost of
/// the instrument that falls hardest on whichever side allocates more.
pub struct Counting;

thread_local! {
    static ALLOCATED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The allocations made so far on the calling thread.
pub fn allocations() -> u64 {
    ALLOCATED.with(std::cell::Cell::get)
}

fn count() {
    // `try_with`: nothing to count into while the thread is torn down.
    let _ = ALLOCATED.try_with(|n| n.set(n.get() + 1));
}

unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        count();
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

type MakeRequest = fn() -> axum::http::Request<Body>;

fn requests() -> Vec<(&'static str, MakeRequest)> {
    vec![
        ("GET path + 3 query", || {
            axum::http::Request::get("/v1/shelves/s1/items?pageSize=10&pageToken=abc&filter=rust")
                .body(Body::empty())
                .expect("request")
        }),
        ("POST 2 KB JSON", || {
            let body = serde_json::to_vec(&crate::http_bench::item_2kb()).expect("json");
            axum::http::Request::post("/v1/shelves/s1/items")
                .header("content-type", "application/json")
                .body(Body::from(body))
                .expect("request")
        }),
        ("POST protobuf", || {
            use prost::Message;
            let body = crate::http_bench::item_2kb().encode_to_vec();
            axum::http::Request::post("/v1/shelves/s1/items")
                .header("content-type", "application/x-protobuf")
                .header("accept", "application/x-protobuf")
                .body(Body::from(body))
                .expect("request")
        }),
    ]
}

/// What a case is run against: the generated routes as protoway's own
/// service, or an axum `Router` (hand-written, or the generated `router()`).
enum Server {
    Router(axum::Router),
    Service(protoway::server::RoutesService),
}

/// Sends every request to `service` in turn, reading each reply whole.
async fn drive<S>(service: S, requests: Vec<axum::http::Request<Body>>)
where
    S: tower::Service<
            axum::http::Request<Body>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone,
{
    for request in requests {
        let response = service.clone().oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), 200);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        std::hint::black_box(body);
    }
}

/// `server` runs one of the three alone (`generated`, `hand-written`,
/// `router`), for a profiler.
pub fn run(iterations: usize, only: Option<&str>, server: Option<&str>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    for (name, make) in requests() {
        if only.is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let mut per_request = Vec::new();
        let servers: [(&str, Server); 3] = [
            ("generated", Server::Service(servers::generated())),
            ("hand-written", Server::Router(servers::handwritten())),
            ("router", Server::Router(servers::generated_router())),
        ];
        for (label, server_under_test) in servers {
            if server.is_some_and(|s| s != label) {
                continue;
            }
            let prepared: Vec<_> = (0..iterations).map(|_| make()).collect();
            let a0 = allocations();
            let t0 = Instant::now();
            match server_under_test {
                Server::Router(router) => rt.block_on(drive(router, prepared)),
                Server::Service(service) => rt.block_on(drive(service, prepared)),
            }
            let ns = t0.elapsed().as_nanos() as f64 / iterations as f64;
            let allocations = (allocations() - a0) as f64 / iterations as f64;
            println!(
                "  {name:<20} {label:<13} {ns:>8.0} ns/request {allocations:>6.1} allocations/request"
            );
            per_request.push(ns);
        }
        if let [generated, handwritten, router] = per_request[..] {
            println!(
                "  {name:<20} generated/hand-written time {:.3} (generated router(), an axum Router around the routes: {:.3})",
                generated / handwritten,
                router / handwritten
            );
        }
    }
}
