//! protoway's benchmarks, one command each (see README "Benchmarks"):
//!
//! ```text
//! cargo run --release -p protoway-bench -- http      # generated vs hand-written axum vs bare hyper
//! cargo run --release -p protoway-bench -- grpc      # gRPC unary: protoway vs plain tonic
//! cargo run --release -p protoway-bench -- codegen   # protoc + our plugins vs protoc + stub plugins
//! cargo run --release -p protoway-bench -- load --addr 127.0.0.1:8000 --pid PID   # 100k writes, read back
//! ```
//!
//! Each prints ratios against a baseline measured in the same run.

pub mod pb {
    pub mod bench {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/bench.v1.rs"));
            include!(concat!(env!("OUT_DIR"), "/bench.v1.serde.rs"));
            include!(concat!(env!("OUT_DIR"), "/bench.v1.http.rs"));
        }
    }
    /// The same service as a tonic-prost-build server and client.
    pub mod tonic {
        include!(concat!(env!("OUT_DIR"), "/tonic/bench.v1.rs"));
    }
}

mod codegen_bench;
mod compile_bench;
mod grpc_bench;
mod http_bench;
mod load;
mod load_test;
mod micro;
mod plugins;
mod servers;
mod stream_bench;

use std::path::PathBuf;

#[global_allocator]
static ALLOCATOR: micro::Counting = micro::Counting;
use std::process::ExitCode;

const USAGE: &str = "usage: protoway-bench http [--secs S] [--rounds N] [--concurrency C] [--only GET|JSON|protobuf]
       protoway-bench grpc [--secs S] [--rounds N] [--concurrency C] [--only List|Create]
       protoway-bench grpc --micro N [--server protoway|tonic]
       protoway-bench stream --micro N [--server protoway|tonic]
       protoway-bench stream --wire N [--server protoway|tonic]
       protoway-bench stream [--rounds N] [--messages M]
       protoway-bench codegen [--limit N] [--googleapis DIR]
       protoway-bench compile [--api google/cloud/dataproc/v1] [--rounds N] [--only library|googleapis] [--profile dev|release] [--baseline FILE [--write-baseline]]
       protoway-bench micro [--iterations N] [--only GET|JSON|protobuf] [--server generated|hand-written|router]
       protoway-bench load --addr HOST:PORT [--requests N] [--concurrency C] [--pid PID]";

/// The median of `values` sorted ascending: for an even count, the mean of
/// the middle two (an upper middle alone would bias every ratio upward).
fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Per-round ratios as printed: `0.981 1.004 …`.
fn ratios_text(ratios: &[f64]) -> String {
    ratios
        .iter()
        .map(|r| format!("{r:.3}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The value after `name`, if given.
fn text_flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn flag<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> ExitCode {
    if let Some(code) = plugins::dispatch() {
        return code;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    // The third-party corpus (googleapis): $PROTOWAY_CORPUS, else ../shared.
    let corpus = std::env::var_os("PROTOWAY_CORPUS")
        .filter(|d| !d.is_empty())
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("../shared"));
    match args.first().map(String::as_str) {
        Some("http") => http_bench::run(&http_bench::Settings {
            secs: flag(&args, "--secs", 3.0),
            rounds: flag(&args, "--rounds", 4),
            concurrency: flag(&args, "--concurrency", 64),
            only: text_flag(&args, "--only"),
        }),
        Some("grpc") if args.iter().any(|a| a == "--micro") => grpc_bench::micro(
            flag(&args, "--micro", 100_000),
            text_flag(&args, "--server").as_deref(),
        ),
        Some("grpc") => grpc_bench::run(&http_bench::Settings {
            secs: flag(&args, "--secs", 3.0),
            rounds: flag(&args, "--rounds", 10),
            concurrency: flag(&args, "--concurrency", 64),
            only: text_flag(&args, "--only"),
        }),
        Some("stream") if args.iter().any(|a| a == "--wire") => stream_bench::wire(
            flag(&args, "--wire", 100_000),
            text_flag(&args, "--server").as_deref(),
        ),
        Some("stream") if args.iter().any(|a| a == "--micro") => grpc_bench::stream_micro(
            flag(&args, "--micro", 100_000),
            text_flag(&args, "--server").as_deref(),
        ),
        Some("stream") => stream_bench::run(&stream_bench::Settings {
            rounds: flag(&args, "--rounds", 10),
            messages: flag(&args, "--messages", 200_000),
        }),
        Some("codegen") => codegen_bench::run(&codegen_bench::Settings {
            googleapis: flag(&args, "--googleapis", corpus.join("third_party/googleapis")),
            protoway_proto: root.join("proto"),
            limit: args
                .iter()
                .position(|a| a == "--limit")
                .map(|_| flag(&args, "--limit", usize::MAX)),
        }),
        Some("compile") => {
            let ok = compile_bench::run(&compile_bench::Settings {
                root: root.clone(),
                googleapis: flag(&args, "--googleapis", corpus.join("third_party/googleapis")),
                api: flag(&args, "--api", "google/cloud/dataproc/v1".to_owned()),
                rounds: flag(&args, "--rounds", 7),
                only: text_flag(&args, "--only"),
                profile: flag(&args, "--profile", "dev".to_owned()),
                baseline: text_flag(&args, "--baseline").map(PathBuf::from),
                write_baseline: args.iter().any(|a| a == "--write-baseline"),
            });
            if !ok {
                return ExitCode::FAILURE;
            }
        }
        Some("micro") => micro::run(
            flag(&args, "--iterations", 200_000),
            text_flag(&args, "--only").as_deref(),
            args.iter()
                .position(|a| a == "--server")
                .and_then(|i| args.get(i + 1))
                .map(String::as_str),
        ),
        Some("load") => {
            let ok = load_test::run(&load_test::Settings {
                addr: flag(&args, "--addr", "127.0.0.1:8000".to_owned()),
                requests: flag(&args, "--requests", 100_000),
                concurrency: flag(&args, "--concurrency", 256),
                pid: args
                    .iter()
                    .position(|a| a == "--pid")
                    .map(|_| flag(&args, "--pid", 0)),
                deadline: std::time::Duration::from_secs(flag(&args, "--deadline-secs", 300)),
            });
            if !ok {
                return ExitCode::FAILURE;
            }
        }
        // Internal to `codegen`: the syn + prettyplease floor over a
        // directory's output, timed in a process of its own so the bench's
        // memory (and the peak RSS its later children report) stays small.
        Some("syn-prettyplease") if args.len() == 2 => {
            let elapsed = codegen_bench::syn_prettyplease_alone(std::path::Path::new(&args[1]));
            println!("{}", elapsed.as_nanos());
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
