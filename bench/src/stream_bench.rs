//! `protoway-bench stream`: a server stream of small items through the
//! generated server against the same stream written by hand — axum's `Sse`
//! and an NDJSON `Body::from_stream` on the same hyper server — and the
//! generated server over gRPC against plain tonic (tonic-prost-build),
//! in interleaved rounds. Prints messages per second and server CPU per
//! message, and the medians of the paired rounds' ratios (targets:
//! throughput ≥ 0.95, CPU per message ≤ 1.05).

use std::net::SocketAddr;
use std::time::Instant;

use http_body_util::BodyExt;

use crate::http_bench::{self, process_cpu, thread_cpu};
use crate::pb::bench::v1::StreamItemsRequest;
use crate::pb::tonic::catalog_client::CatalogClient;
use crate::{grpc_bench, servers};

pub struct Settings {
    pub rounds: usize,
    /// Messages per stream (one stream per round and server).
    pub messages: i32,
}

#[derive(Clone, Copy)]
enum Wire {
    Ndjson,
    Sse,
    Grpc,
}

/// Reads one stream of `count` messages; the number of messages read.
async fn read(addr: SocketAddr, wire: Wire, count: i32) -> u64 {
    match wire {
        Wire::Grpc => {
            let mut client = CatalogClient::connect(format!("http://{addr}"))
                .await
                .expect("connect");
            let mut stream = client
                .stream_items(StreamItemsRequest {
                    shelf: "s1".into(),
                    count,
                })
                .await
                .expect("stream")
                .into_inner();
            let mut n = 0;
            while stream.message().await.expect("message").is_some() {
                n += 1;
            }
            n
        }
        Wire::Ndjson | Wire::Sse => {
            let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
                    .await
                    .expect("handshake");
            tokio::spawn(connection);
            let accept = match wire {
                Wire::Sse => "text/event-stream",
                _ => "application/x-ndjson",
            };
            let request = hyper::Request::get(format!("/v1/shelves/s1/items:stream?count={count}"))
                .header("host", "bench")
                .header("accept", accept)
                .body(http_body_util::Empty::<bytes::Bytes>::new())
                .expect("request");
            let mut body = sender
                .send_request(request)
                .await
                .expect("send")
                .into_body();
            // Messages end with "\n" (NDJSON) or "\n\n" (SSE): count ends.
            let (mut n, mut last) = (0u64, 0u8);
            while let Some(frame) = body.frame().await {
                let Ok(data) = frame.expect("frame").into_data() else {
                    continue;
                };
                for &b in data.iter() {
                    match wire {
                        Wire::Sse if b == b'\n' && last == b'\n' => n += 1,
                        Wire::Ndjson if b == b'\n' => n += 1,
                        _ => {}
                    }
                    last = b;
                }
            }
            n
        }
    }
}

pub fn run(settings: &Settings) {
    let (server_rt, client_rt) = http_bench::runtimes();
    let generated = server_rt.block_on(grpc_bench::serve_protoway());
    let handwritten = server_rt.block_on(servers::serve_axum(servers::handwritten()));
    let tonic = server_rt.block_on(grpc_bench::serve_tonic());
    println!(
        "server streams: {} rounds x {} messages per server, interleaved (same hyper server, same client per pair)",
        settings.rounds, settings.messages
    );
    let cases = [
        (
            "NDJSON: generated vs hand-written axum",
            Wire::Ndjson,
            [generated, handwritten],
        ),
        (
            "SSE: generated vs hand-written axum Sse",
            Wire::Sse,
            [generated, handwritten],
        ),
        (
            "gRPC: generated vs plain tonic",
            Wire::Grpc,
            [generated, tonic],
        ),
    ];
    let mut missed = Vec::new();
    for (name, wire, targets) in cases {
        // Warm-up, and a check that every message arrives.
        for addr in targets {
            let n = client_rt.block_on(read(addr, wire, 1000));
            assert_eq!(n, 1000, "{name}: {n} of 1000 messages");
        }
        let mut rates = [Vec::new(), Vec::new()];
        let mut cpu = [Vec::new(), Vec::new()];
        let (mut throughput, mut cpu_ratio) = (Vec::new(), Vec::new());
        for round in 0..settings.rounds {
            let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            let mut rate = [0.0; 2];
            let mut per = [0.0; 2];
            for i in order {
                let (process0, client0) = (process_cpu(), thread_cpu());
                let started = Instant::now();
                let n = client_rt.block_on(read(targets[i], wire, settings.messages));
                let elapsed = started.elapsed().as_secs_f64();
                assert_eq!(n, settings.messages as u64, "{name}: messages lost");
                let server = (process_cpu() - process0) - (thread_cpu() - client0);
                rate[i] = n as f64 / elapsed;
                per[i] = server / n as f64;
            }
            for i in 0..2 {
                rates[i].push(rate[i]);
                cpu[i].push(per[i]);
            }
            throughput.push(rate[0] / rate[1]);
            cpu_ratio.push(per[0] / per[1]);
        }
        let [rates0, rates1] = &mut rates;
        let [cpu0, cpu1] = &mut cpu;
        for v in [&mut throughput, &mut cpu_ratio, rates0, rates1, cpu0, cpu1] {
            v.sort_by(f64::total_cmp);
        }
        let (t, c) = (crate::median(&throughput), crate::median(&cpu_ratio));
        println!("\n{name}");
        println!(
            "  messages/s (median): {:.0} vs {:.0}; server CPU per message: {:.3} us vs {:.3} us",
            crate::median(&rates[0]),
            crate::median(&rates[1]),
            crate::median(&cpu[0]) * 1e6,
            crate::median(&cpu[1]) * 1e6,
        );
        println!(
            "  ratios (median of paired rounds): throughput {t:.3} (target >= 0.95), CPU per message {c:.3} (target <= 1.05)"
        );
        println!(
            "  per-round throughput: {}; per-round CPU: {}",
            crate::ratios_text(&throughput),
            crate::ratios_text(&cpu_ratio)
        );
        if t < 0.95 || c > 1.05 {
            missed.push(format!("{name}: throughput {t:.3}, CPU {c:.3}"));
        }
    }
    println!();
    if missed.is_empty() {
        println!("all stream targets met");
    } else {
        println!("targets missed:");
        for m in missed {
            println!("  {m}");
        }
    }
}

/// `stream --wire N --server protoway|tonic`: one gRPC stream of `N`
/// messages from one server over loopback, read by the tonic client: run
/// under callgrind with two `N`, the difference per message is the
/// server's and client's cost per message (the client is the same).
pub fn wire(messages: i32, server: Option<&str>) {
    let (server_rt, client_rt) = http_bench::runtimes();
    let addr = match server {
        Some("tonic") => server_rt.block_on(grpc_bench::serve_tonic()),
        _ => server_rt.block_on(grpc_bench::serve_protoway()),
    };
    let n = client_rt.block_on(read(addr, Wire::Grpc, messages));
    assert_eq!(n, messages as u64, "messages lost");
    println!("  {} messages", n);
}
