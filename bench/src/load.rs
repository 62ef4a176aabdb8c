//! A loopback HTTP/1.1 load generator: `concurrency` keep-alive connections,
//! each sending one request after another for a fixed time, recording every
//! latency. The same generator drives every server compared.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

/// One request shape, sent unchanged on every iteration.
#[derive(Clone)]
pub struct Shape {
    pub method: hyper::Method,
    pub path_and_query: String,
    pub content_type: Option<&'static str>,
    pub accept: Option<&'static str>,
    pub body: Bytes,
    /// The reply every request must get (checked on the first request of
    /// each connection, counted as an error if different).
    pub expect_status: u16,
}

/// What one run measured.
#[derive(Debug, Default, Clone)]
pub struct Run {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Latencies in microseconds.
    pub latencies: Vec<u32>,
    /// The first reply body seen (to compare servers' bytes).
    pub first_body: Bytes,
}

impl Run {
    pub fn merge(&mut self, other: Run) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.latencies.extend(other.latencies);
        if self.first_body.is_empty() {
            self.first_body = other.first_body;
        }
    }

    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The `q`-quantile latency in microseconds.
    pub fn quantile(&mut self, q: f64) -> u32 {
        if self.latencies.is_empty() {
            return 0;
        }
        self.latencies.sort_unstable();
        let i = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        self.latencies[i]
    }
}

/// Drives `addr` with `shape` over `concurrency` connections for `duration`.
pub async fn run(addr: SocketAddr, shape: &Shape, concurrency: usize, duration: Duration) -> Run {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let shape = shape.clone();
        tasks.push(tokio::spawn(async move {
            connection(addr, &shape, deadline).await
        }));
    }
    let mut total = Run::default();
    for task in tasks {
        total.merge(task.await.expect("load task"));
    }
    total.elapsed = started.elapsed();
    total
}

async fn connection(addr: SocketAddr, shape: &Shape, deadline: Instant) -> Run {
    let mut run = Run::default();
    let stream = match tokio::net::TcpStream::connect(addr).await {
        Ok(s) => s,
        Err(_) => {
            run.errors += 1;
            return run;
        }
    };
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    {
        Ok(pair) => pair,
        Err(_) => {
            run.errors += 1;
            return run;
        }
    };
    tokio::spawn(conn);
    let uri: hyper::Uri = shape.path_and_query.parse().expect("uri");
    while Instant::now() < deadline {
        let mut request = hyper::Request::builder()
            .method(shape.method.clone())
            .uri(uri.clone())
            .header(hyper::header::HOST, "127.0.0.1");
        if let Some(ct) = shape.content_type {
            request = request.header(hyper::header::CONTENT_TYPE, ct);
        }
        if let Some(accept) = shape.accept {
            request = request.header(hyper::header::ACCEPT, accept);
        }
        let request = request
            .body(Full::new(shape.body.clone()))
            .expect("request");
        let t0 = Instant::now();
        let response = match sender.send_request(request).await {
            Ok(r) => r,
            Err(_) => {
                run.errors += 1;
                break;
            }
        };
        let status = response.status().as_u16();
        let body = match response.into_body().collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                run.errors += 1;
                break;
            }
        };
        run.latencies
            .push(t0.elapsed().as_micros().min(u32::MAX as u128) as u32);
        run.requests += 1;
        if status != shape.expect_status {
            run.errors += 1;
        }
        if run.first_body.is_empty() {
            run.first_body = body;
        }
    }
    run
}
