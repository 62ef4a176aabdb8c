//! `protoway-bench http`: the generated server against hand-written axum and
//! bare hyper, interleaved A/B/C rounds with the same load generator.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use prost::Message;

use crate::load::{self, Run, Shape};
use crate::pb::bench::v1::Item;
use crate::servers;

pub struct Settings {
    pub secs: f64,
    pub rounds: usize,
    pub concurrency: usize,
    /// Only the cases whose name contains this (`GET`, `JSON`, `protobuf`).
    pub only: Option<String>,
}

struct Case {
    name: &'static str,
    shape: Shape,
}

pub fn item_2kb() -> Item {
    Item {
        name: String::new(),
        title: "A benchmark item with a title of moderate length".into(),
        tags: (0..20).map(|i| format!("tag-number-{i}")).collect(),
        size: 0,
        description: "lorem ipsum dolor sit amet ".repeat(60),
    }
}

fn cases() -> Vec<Case> {
    let item = item_2kb();
    let json = Bytes::from(serde_json::to_vec(&item).expect("json"));
    let protobuf = Bytes::from(item.encode_to_vec());
    vec![
        Case {
            name: "GET path + 3 query params, small JSON reply",
            shape: Shape {
                method: hyper::Method::GET,
                path_and_query: "/v1/shelves/s1/items?pageSize=10&pageToken=abc&filter=rust".into(),
                content_type: None,
                accept: None,
                body: Bytes::new(),
                expect_status: 200,
            },
        },
        Case {
            name: "POST 2 KB JSON body",
            shape: Shape {
                method: hyper::Method::POST,
                path_and_query: "/v1/shelves/s1/items".into(),
                content_type: Some("application/json"),
                accept: None,
                body: json,
                expect_status: 200,
            },
        },
        Case {
            name: "POST same body as protobuf",
            shape: Shape {
                method: hyper::Method::POST,
                path_and_query: "/v1/shelves/s1/items".into(),
                content_type: Some("application/x-protobuf"),
                accept: Some("application/x-protobuf"),
                body: protobuf,
                expect_status: 200,
            },
        },
    ]
}

pub fn run(settings: &Settings) {
    let (server_rt, client_rt) = runtimes();
    let generated = server_rt.block_on(servers::serve_service(servers::generated()));
    let handwritten = server_rt.block_on(servers::serve_axum(servers::handwritten()));
    let router = server_rt.block_on(servers::serve_axum(servers::generated_router()));

    println!(
        "HTTP overhead: {} rounds x {:.1}s per server, concurrency {}, interleaved generated/hand-written/bare",
        settings.rounds, settings.secs, settings.concurrency
    );
    let mut failed = Vec::new();
    let selected = cases().into_iter().filter(|c| {
        settings
            .only
            .as_ref()
            .is_none_or(|o| c.name.contains(o.as_str()))
    });
    for case in selected {
        // The floor answers exactly what the generated server answers.
        let sample = client_rt.block_on(load::run(
            generated,
            &case.shape,
            1,
            Duration::from_millis(50),
        ));
        let content_type = case.shape.content_type.unwrap_or("application/json");
        let bare = server_rt.block_on(servers::serve_bare(sample.first_body.clone(), content_type));
        // The fourth is informative: the generated `router()`, an axum
        // `Router` with the generated routes as its fallback (the targets
        // are checked on `generated`, the form the library example serves).
        let targets: [(&str, SocketAddr); 4] = [
            ("generated", generated),
            ("hand-written", handwritten),
            ("bare hyper", bare),
            ("gen. router()", router),
        ];
        let mut totals: [Run; 4] = Default::default();
        let mut server_cpu = [0.0f64; 4];
        // Warm-up, not counted.
        for (_, addr) in &targets {
            client_rt.block_on(load::run(
                *addr,
                &case.shape,
                settings.concurrency,
                Duration::from_millis(500),
            ));
        }
        // Per round, generated/hand-written throughput: the servers run in
        // turn (order reversed every other round, so neither always follows
        // the other), and a disturbance of the machine mostly hits one round.
        let mut round_ratios = Vec::with_capacity(settings.rounds);
        for round in 0..settings.rounds {
            let mut order = [0, 1, 2, 3];
            if round % 2 == 1 {
                order.reverse();
            }
            let mut rps = [0.0; 4];
            for i in order {
                let (process0, client0) = (process_cpu(), thread_cpu());
                let run = client_rt.block_on(load::run(
                    targets[i].1,
                    &case.shape,
                    settings.concurrency,
                    Duration::from_secs_f64(settings.secs),
                ));
                // The load generator runs on this thread; the rest of the
                // process's CPU time is the server's (its one worker).
                server_cpu[i] += (process_cpu() - process0) - (thread_cpu() - client0);
                rps[i] = run.per_second();
                totals[i].merge(run);
            }
            round_ratios.push(rps[0] / rps[1]);
        }
        round_ratios.sort_by(f64::total_cmp);
        let median_ratio = crate::median(&round_ratios);
        let same_bytes = totals[0].first_body == totals[1].first_body;
        println!(
            "\n{}  (reply {} bytes; generated and hand-written bytes identical: {})",
            case.name,
            totals[0].first_body.len(),
            same_bytes
        );
        println!(
            "  {:<13} {:>10} {:>9} {:>9} {:>7}",
            "server", "req/s", "p50 us", "p99 us", "errors"
        );
        let mut stats = Vec::new();
        for (i, (name, _)) in targets.iter().enumerate() {
            let t = &mut totals[i];
            let (rps, p50, p99) = (t.per_second(), t.quantile(0.50), t.quantile(0.99));
            println!("  {name:<13} {rps:>10.0} {p50:>9} {p99:>9} {:>7}", t.errors);
            stats.push((rps, p50 as f64, p99 as f64, t.errors));
        }
        let (g, h, b, v) = (stats[0], stats[1], stats[2], stats[3]);
        let throughput = g.0 / h.0;
        let p50 = g.1 / h.1.max(1.0);
        let p99 = g.2 / h.2.max(1.0);
        let floor = g.0 / b.0;
        println!(
            "  ratios: generated/hand-written throughput {throughput:.3} pooled, {median_ratio:.3} median of rounds (target >= 0.97), p50 {p50:.3}, p99 {p99:.3} (target <= 1.10); generated/bare hyper throughput {floor:.3}"
        );
        println!(
            "  per-round generated/hand-written throughput: {}",
            crate::ratios_text(&round_ratios)
        );
        println!(
            "  generated router() (axum Router around the routes)/hand-written: throughput {:.3}, p99 {:.3}",
            v.0 / h.0,
            v.2 / h.2.max(1.0)
        );
        // Server CPU time per request: what the server itself spends,
        // hyper and the kernel's socket work included, unaffected by how
        // the two cores happen to be shared between server and load.
        let cpu_us = |i: usize| server_cpu[i] * 1e6 / totals[i].requests.max(1) as f64;
        println!(
            "  server CPU per request: generated {:.2} us, hand-written {:.2} us, router() {:.2} us, bare {:.2} us; generated/hand-written {:.3}, router()/hand-written {:.3}",
            cpu_us(0),
            cpu_us(1),
            cpu_us(3),
            cpu_us(2),
            cpu_us(0) / cpu_us(1),
            cpu_us(3) / cpu_us(1)
        );
        // The median of paired rounds is the estimate the target is checked
        // on: robust to one disturbed round, which the pooled ratio is not.
        let throughput = median_ratio;
        if throughput < 0.97 || p99 > 1.10 {
            failed.push(format!(
                "{}: throughput {throughput:.3}, p99 {p99:.3}",
                case.name
            ));
        }
        if case.shape.method == hyper::Method::GET && floor < 0.80 {
            failed.push(format!("{}: generated/bare {floor:.3} < 0.80", case.name));
        }
        if !same_bytes || g.3 + h.3 + b.3 + v.3 > 0 {
            failed.push(format!("{}: errors or differing bytes", case.name));
        }
    }
    println!();
    if failed.is_empty() {
        println!("all HTTP targets met");
    } else {
        println!("targets missed:");
        for f in failed {
            println!("  {f}");
        }
    }
}

/// Servers on one worker thread, the load generator on another: the two
/// cores of a CI machine, the same split for every server.
pub fn runtimes() -> (tokio::runtime::Runtime, tokio::runtime::Runtime) {
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("server runtime");
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    (server, client)
}

/// CPU time (user + system) of the whole process, in seconds.
pub fn process_cpu() -> f64 {
    cpu_clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// CPU time (user + system) of the calling thread, in seconds.
pub fn thread_cpu() -> f64 {
    cpu_clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

fn cpu_clock(clock: libc::clockid_t) -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec we own.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}
