//! `protoway-bench grpc`: gRPC unary through protoway's routes against the
//! same service on plain tonic (tonic-prost-build's server), both on the
//! same hyper server (`axum::serve`, h2c, `TCP_NODELAY`), driven by the same tonic client
//! in interleaved rounds. Prints throughput and server CPU per request.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::http_bench::{self, Settings};
use crate::pb::bench::v1::*;
use crate::pb::tonic::catalog_client::CatalogClient;
use crate::pb::tonic::catalog_server::{Catalog, CatalogServer};
use crate::servers;

/// The same logic as the protoway service, as tonic wants it.
#[derive(Clone, Copy)]
struct PlainTonic;

#[tonic::async_trait]
impl Catalog for PlainTonic {
    async fn list_items(
        &self,
        request: tonic::Request<ListItemsRequest>,
    ) -> Result<tonic::Response<ListItemsResponse>, tonic::Status> {
        let r = request.get_ref();
        Ok(tonic::Response::new(servers::list_items(
            &r.shelf,
            r.page_size,
            &r.page_token,
            &r.filter,
        )))
    }

    async fn create_item(
        &self,
        request: tonic::Request<CreateItemRequest>,
    ) -> Result<tonic::Response<Item>, tonic::Status> {
        let r = request.into_inner();
        Ok(tonic::Response::new(servers::create_item(
            &r.shelf,
            r.item.unwrap_or_default(),
        )))
    }

    type StreamItemsStream = servers::ItemStream<tonic::Status>;

    async fn stream_items(
        &self,
        request: tonic::Request<StreamItemsRequest>,
    ) -> Result<tonic::Response<Self::StreamItemsStream>, tonic::Status> {
        let r = request.get_ref();
        Ok(tonic::Response::new(servers::ItemStream::new(
            &r.shelf, r.count,
        )))
    }
}

/// Plain tonic's server answering axum bodies (axum::serve wants them, as
/// protoway's service answers).
fn plain_tonic() -> impl tower::Service<
    axum::extract::Request,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    tower::ServiceExt::<axum::extract::Request>::map_response(
        CatalogServer::new(PlainTonic),
        |r: axum::http::Response<tonic::body::Body>| r.map(axum::body::Body::new),
    )
}

/// A gRPC call's request as a client sends it: `message` framed, POSTed to
/// `path`.
fn grpc_request(path: &str, message: &impl prost::Message) -> axum::extract::Request {
    let message = message.encode_to_vec();
    let mut framed = vec![0u8];
    framed.extend((message.len() as u32).to_be_bytes());
    framed.extend(&message);
    axum::http::Request::post(path)
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(axum::body::Body::from(framed))
        .expect("request")
}

pub(crate) async fn serve_tonic() -> SocketAddr {
    serve_nodelay(plain_tonic()).await
}

pub(crate) async fn serve_protoway() -> SocketAddr {
    serve_nodelay(servers::generated()).await
}

/// One hyper server (`axum::serve`, HTTP/1.1 and h2c) for both sides, with
/// `TCP_NODELAY` as tonic's own `Server` sets it by default: without it a
/// small gRPC reply waits for the peer's delayed ACK.
pub(crate) async fn serve_nodelay<S>(service: S) -> SocketAddr
where
    S: tower::Service<
            axum::extract::Request,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send,
{
    use axum::serve::ListenerExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let make = tower::make::Shared::new(service);
    tokio::spawn(async move { axum::serve(listener, make).await.expect("serve") });
    addr
}

#[derive(Clone, Copy, PartialEq)]
enum Call {
    List,
    Create,
}

/// `concurrency` callers on one HTTP/2 connection each... sharing one
/// channel per server (tonic's usual setup), calling for `duration`.
async fn drive(addr: SocketAddr, call: Call, concurrency: usize, duration: Duration) -> (u64, u64) {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    let deadline = Instant::now() + duration;
    let item = http_bench::item_2kb();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let mut client = CatalogClient::new(channel.clone());
            let item = item.clone();
            tokio::spawn(async move {
                let (mut ok, mut errors) = (0u64, 0u64);
                while Instant::now() < deadline {
                    let outcome = match call {
                        Call::List => client
                            .list_items(ListItemsRequest {
                                shelf: "s1".into(),
                                page_size: 10,
                                page_token: "abc".into(),
                                filter: "rust".into(),
                            })
                            .await
                            .map(|_| ()),
                        Call::Create => client
                            .create_item(CreateItemRequest {
                                shelf: "s1".into(),
                                item: Some(item.clone()),
                            })
                            .await
                            .map(|_| ()),
                    };
                    match outcome {
                        Ok(()) => ok += 1,
                        Err(_) => errors += 1,
                    }
                }
                (ok, errors)
            })
        })
        .collect();
    let mut total = (0, 0);
    for t in tasks {
        let (ok, errors) = t.await.expect("caller");
        total.0 += ok;
        total.1 += errors;
    }
    total
}

pub fn run(settings: &Settings) {
    let (server_rt, client_rt) = http_bench::runtimes();
    let protoway = server_rt.block_on(serve_protoway());
    let tonic = server_rt.block_on(serve_tonic());
    println!(
        "gRPC unary: {} rounds x {:.1}s per server, {} concurrent calls, interleaved protoway/plain tonic (same hyper server, same tonic client)",
        settings.rounds, settings.secs, settings.concurrency
    );
    let cases = [
        ("ListItems (small request and reply)", Call::List),
        ("CreateItem (2 KB request)", Call::Create),
    ];
    let mut missed = Vec::new();
    for (name, call) in cases {
        if settings
            .only
            .as_ref()
            .is_some_and(|o| !name.contains(o.as_str()))
        {
            continue;
        }
        let targets = [protoway, tonic];
        for addr in targets {
            client_rt.block_on(drive(
                addr,
                call,
                settings.concurrency,
                Duration::from_millis(500),
            ));
        }
        let mut requests = [0u64; 2];
        let mut errors = [0u64; 2];
        let mut cpu = [0.0f64; 2];
        let mut round_ratios = Vec::new();
        let mut cpu_ratios = Vec::new();
        for round in 0..settings.rounds {
            let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            let mut rps = [0.0; 2];
            let mut cpu_round = [0.0; 2];
            for i in order {
                let (process0, client0) = (http_bench::process_cpu(), http_bench::thread_cpu());
                let started = Instant::now();
                let (ok, err) = client_rt.block_on(drive(
                    targets[i],
                    call,
                    settings.concurrency,
                    Duration::from_secs_f64(settings.secs),
                ));
                let elapsed = started.elapsed().as_secs_f64();
                let server =
                    (http_bench::process_cpu() - process0) - (http_bench::thread_cpu() - client0);
                cpu[i] += server;
                cpu_round[i] = server / ok.max(1) as f64;
                requests[i] += ok;
                errors[i] += err;
                rps[i] = ok as f64 / elapsed;
            }
            round_ratios.push(rps[0] / rps[1]);
            cpu_ratios.push(cpu_round[0] / cpu_round[1]);
        }
        round_ratios.sort_by(f64::total_cmp);
        cpu_ratios.sort_by(f64::total_cmp);
        let throughput = crate::median(&round_ratios);
        let cpu_ratio = crate::median(&cpu_ratios);
        let us = |i: usize| cpu[i] * 1e6 / requests[i].max(1) as f64;
        println!("\n{name}");
        println!(
            "  requests: protoway {} ({} errors), plain tonic {} ({} errors)",
            requests[0], errors[0], requests[1], errors[1]
        );
        println!(
            "  server CPU per request: protoway {:.2} us, plain tonic {:.2} us",
            us(0),
            us(1)
        );
        println!(
            "  ratios protoway/tonic (median of paired rounds): throughput {throughput:.3} (target >= 0.97), CPU per request {cpu_ratio:.3} (target <= 1.03)"
        );
        println!(
            "  per-round throughput: {}; per-round CPU: {}",
            crate::ratios_text(&round_ratios),
            crate::ratios_text(&cpu_ratios)
        );
        if throughput < 0.97 || cpu_ratio > 1.03 || errors.iter().sum::<u64>() > 0 {
            missed.push(format!(
                "{name}: throughput {throughput:.3}, CPU {cpu_ratio:.3}, errors {}",
                errors[0] + errors[1]
            ));
        }
    }
    println!();
    if missed.is_empty() {
        println!("all gRPC targets met");
    } else {
        println!("targets missed:");
        for m in missed {
            println!("  {m}");
        }
    }
}

/// `protoway-bench grpc --micro N [--server protoway|tonic]`: one framed
/// ListItems call after another through each server's tower service,
/// in-process (no sockets, no h2): what the two frameworks themselves cost
/// per call, for a profiler.
pub fn micro(iterations: usize, server: Option<&str>) {
    use tower::ServiceExt;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let request = ListItemsRequest {
        shelf: "s1".into(),
        page_size: 10,
        page_token: "abc".into(),
        filter: "rust".into(),
    };
    let make = || grpc_request("/bench.v1.Catalog/ListItems", &request);
    let protoway = servers::generated();
    let tonic = plain_tonic();
    let mut times = Vec::new();
    for label in ["protoway", "tonic"] {
        if server.is_some_and(|s| s != label) {
            continue;
        }
        let prepared: Vec<_> = (0..iterations).map(|_| make()).collect();
        let a0 = crate::micro::allocations();
        let t0 = Instant::now();
        rt.block_on(async {
            for request in prepared {
                let response = match label {
                    "protoway" => protoway.clone().oneshot(request).await,
                    _ => tonic.clone().oneshot(request).await,
                }
                .expect("infallible");
                let collected = http_body_util::BodyExt::collect(response.into_body())
                    .await
                    .expect("body");
                assert_eq!(
                    collected.trailers().and_then(|t| t.get("grpc-status")),
                    Some(&axum::http::HeaderValue::from_static("0"))
                );
                std::hint::black_box(collected.to_bytes());
            }
        });
        let ns = t0.elapsed().as_nanos() as f64 / iterations as f64;
        let allocations = (crate::micro::allocations() - a0) as f64 / iterations as f64;
        println!(
            "  ListItems in-process  {label:<9} {ns:>8.0} ns/call {allocations:>6.1} allocations/call"
        );
        times.push(ns);
    }
    if let [p, t] = times[..] {
        println!("  protoway/tonic time per call {:.3}", p / t);
    }
}

/// `stream --micro N`: one gRPC server stream of `N` messages in process
/// (no sockets), protoway against plain tonic, for instruction counts
/// under callgrind: run it with two `N` and take the difference per message.
pub fn stream_micro(messages: i32, server: Option<&str>) {
    use tower::ServiceExt;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let request = grpc_request(
        "/bench.v1.Catalog/StreamItems",
        &StreamItemsRequest {
            shelf: "s1".into(),
            count: messages,
        },
    );
    let tonic = plain_tonic();
    let label = server.unwrap_or("protoway");
    let a0 = crate::micro::allocations();
    let t0 = Instant::now();
    let bytes = rt.block_on(async {
        let response = match label {
            "tonic" => tonic.oneshot(request).await,
            _ => servers::generated().oneshot(request).await,
        }
        .expect("infallible");
        // Frame by frame: how the transport would get them.
        let mut body = response.into_body();
        let (mut bytes, mut frames, mut status) = (0, 0, None);
        while let Some(frame) = http_body_util::BodyExt::frame(&mut body).await {
            match frame.expect("frame").into_data() {
                Ok(data) => {
                    bytes += data.len();
                    frames += 1;
                }
                Err(frame) => status = frame.into_trailers().ok().map(|t| t["grpc-status"].clone()),
            }
        }
        assert_eq!(status, Some(axum::http::HeaderValue::from_static("0")));
        (bytes, frames)
    });
    let (bytes, frames) = bytes;
    let ns = t0.elapsed().as_nanos() as f64 / f64::from(messages.max(1));
    let allocations = (crate::micro::allocations() - a0) as f64 / f64::from(messages.max(1));
    println!(
        "  StreamItems in-process {label:<9} {ns:>8.0} ns/message {allocations:>6.2} allocations/message ({bytes} bytes in {frames} frames)"
    );
}
