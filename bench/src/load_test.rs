//! `protoway-bench load`: 100,000 writes at concurrency 256 against a running
//! library example, then every written book read back (zero lost writes),
//! zero errors allowed, and the server's peak RSS from /proc.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

pub struct Settings {
    pub addr: String,
    pub requests: usize,
    pub concurrency: usize,
    /// The server's pid, for its peak RSS.
    pub pid: Option<u32>,
    pub deadline: Duration,
}

/// Sends `requests` requests made by `make(i)` over `concurrency`
/// connections; returns each reply's status and body by index.
async fn drive(
    addr: &str,
    requests: usize,
    concurrency: usize,
    make: Arc<dyn Fn(usize) -> hyper::Request<Full<Bytes>> + Send + Sync>,
) -> Vec<(u16, Bytes)> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (next, make, addr) = (next.clone(), make.clone(), addr.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut replies = Vec::new();
            let stream = tokio::net::TcpStream::connect(&addr)
                .await
                .expect("connect");
            let _ = stream.set_nodelay(true);
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .expect("handshake");
            tokio::spawn(conn);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let reply = match sender.send_request(make(i)).await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let body = response.into_body().collect().await.map(|b| b.to_bytes());
                        (status, body.unwrap_or_default())
                    }
                    Err(_) => (0, Bytes::new()),
                };
                replies.push((i, reply));
            }
            replies
        }));
    }
    let mut all = vec![(0, Bytes::new()); requests];
    for task in tasks {
        for (i, reply) in task.await.expect("load task") {
            all[i] = reply;
        }
    }
    all
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub fn run(settings: &Settings) -> bool {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let addr = settings.addr.clone();
    let rss_before = settings.pid.and_then(peak_rss_kib);
    let t0 = Instant::now();
    let write = Arc::new(move |i: usize| {
        let body = format!(r#"{{"title":"load {i}","author":"protoway-bench"}}"#);
        hyper::Request::post("/v1/shelves/1/books")
            .header("host", "library")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .expect("request")
    });
    let writes = rt.block_on(async {
        tokio::time::timeout(
            settings.deadline,
            drive(&addr, settings.requests, settings.concurrency, write),
        )
        .await
    });
    let Ok(writes) = writes else {
        println!("load: not finished within {:?}", settings.deadline);
        return false;
    };
    let write_secs = t0.elapsed().as_secs_f64();
    let mut errors = 0;
    let mut names = Vec::with_capacity(writes.len());
    for (i, (status, body)) in writes.iter().enumerate() {
        let book: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        if *status != 200 || book["title"] != format!("load {i}") {
            errors += 1;
            continue;
        }
        names.push(book["name"].as_str().unwrap_or_default().to_owned());
    }
    let distinct = names.iter().collect::<HashSet<&String>>().len();
    // Read every book back: a write the server acknowledged must be there.
    let names = Arc::new(names);
    let read_names = names.clone();
    let read = Arc::new(move |i: usize| {
        hyper::Request::get(format!("/v1/{}", read_names[i]))
            .header("host", "library")
            .body(Full::new(Bytes::new()))
            .expect("request")
    });
    let t1 = Instant::now();
    let reads = rt.block_on(drive(&addr, names.len(), settings.concurrency, read));
    let read_secs = t1.elapsed().as_secs_f64();
    let lost = reads.iter().filter(|(status, _)| *status != 200).count();
    let rss = settings.pid.and_then(peak_rss_kib);
    println!(
        "load: {} writes at concurrency {} in {write_secs:.1}s ({:.0} req/s), {errors} errors, {} distinct ids; \
         {} reads back in {read_secs:.1}s, {lost} lost writes; server peak RSS {} KiB (before: {} KiB)",
        settings.requests,
        settings.concurrency,
        settings.requests as f64 / write_secs,
        distinct,
        reads.len(),
        rss.map_or("?".into(), |r| r.to_string()),
        rss_before.map_or("?".into(), |r| r.to_string()),
    );
    errors == 0 && lost == 0 && distinct == settings.requests
}
