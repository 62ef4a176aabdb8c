//! `protoway-bench compile`: what protoway's generated glue (HTTP server,
//! client and error helpers) adds to a crate's build time, relative to the
//! prost + pbjson code for the same protos. For each subject (the library
//! example, one large googleapis API) it generates everything once with
//! protoway-build, writes three crates that `include!` it — messages only,
//! messages + glue declared, messages + glue with every server built —
//! builds their dependencies once, then rebuilds each crate alone (its
//! `lib.rs` touched) in interleaved rounds, and prints
//! `glue / messages = (t(messages + glue) - t(messages)) / t(messages)`
//! (checked on the crate that builds the servers) and the declared share.
//! The crates live in their own workspace and target directory under
//! `target/compile-bench`, so the measured builds compile only them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Settings {
    /// The protoway workspace root.
    pub root: PathBuf,
    pub googleapis: PathBuf,
    /// The googleapis directory to compile, e.g. `google/cloud/dataproc/v1`.
    pub api: String,
    pub rounds: usize,
    /// Only the subject so named (`library` or `googleapis`).
    pub only: Option<String>,
    /// `dev` or `release`.
    pub profile: String,
    /// The committed figures the glue's LLVM IR is checked against
    /// (`bench/compile-baseline.txt`): more than [`GROWTH_LIMIT`] over fails.
    pub baseline: Option<PathBuf>,
    /// Write the figures measured into `baseline` instead of checking.
    pub write_baseline: bool,
}

/// How much the glue's LLVM IR may grow over the committed baseline.
const GROWTH_LIMIT: f64 = 1.10;

struct Subject {
    name: &'static str,
    label: String,
    files: Vec<PathBuf>,
    includes: Vec<PathBuf>,
}

/// The crates of a subject: (name, includes the glue, builds every
/// server). `declared` is a crate holding only generated code, as a
/// shared proto crate does; `glue` also instantiates each service's
/// server, as the binary serving it does (the target is checked on it).
const VARIANTS: [(&str, bool, bool); 3] = [
    ("messages", false, false),
    ("declared", true, false),
    ("glue", true, true),
];

pub fn run(settings: &Settings) -> bool {
    let work = settings.root.join("target/compile-bench");
    let subjects = [
        Subject {
            name: "library",
            label: "library example (examples/library/proto)".into(),
            files: vec!["library/v1/library.proto".into()],
            includes: vec![settings.root.join("examples/library/proto")],
        },
        Subject {
            name: "googleapis",
            label: format!("googleapis {}", settings.api),
            files: protos_in(&settings.googleapis, &settings.api),
            includes: vec![settings.googleapis.clone()],
        },
    ];
    if let Err(e) = write_workspace(&settings.root, &work, &subjects) {
        eprintln!("compile bench: {e}");
        return false;
    }
    println!(
        "Compile cost: cargo build ({} profile) of generated code, {} rounds, interleaved; dependencies prebuilt",
        settings.profile, settings.rounds
    );
    // Dependencies (prost, axum, reqwest, protoway…) once, untimed.
    let warm = Instant::now();
    if !cargo_build(&work, None, &settings.profile) {
        return false;
    }
    println!(
        "  dependencies and first builds: {:.1}s (not counted)",
        warm.elapsed().as_secs_f64()
    );
    let mut ok = true;
    let mut measured = Vec::new();
    for subject in &subjects {
        if settings
            .only
            .as_deref()
            .is_some_and(|only| only != subject.name)
        {
            continue;
        }
        let lines = |variant: &str| {
            std::fs::read_to_string(work.join(subject.name).join(variant).join("lines"))
                .ok()
                .and_then(|t| t.trim().parse::<usize>().ok())
                .unwrap_or(0)
        };
        let mut times: Vec<Vec<Duration>> = vec![Vec::new(); VARIANTS.len()];
        let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); VARIANTS.len()];
        for _ in 0..settings.rounds {
            for (i, (variant, _, _)) in VARIANTS.iter().enumerate() {
                let package = format!("{}-{variant}", subject.name);
                let lib = work.join(subject.name).join(variant).join("src/lib.rs");
                touch(&lib);
                let t0 = Instant::now();
                let Some(cpu_time) = cargo_build_cpu(&work, Some(&package), &settings.profile)
                else {
                    return false;
                };
                times[i].push(t0.elapsed());
                cpu[i].push(cpu_time);
            }
        }
        let best: Vec<f64> = times
            .iter()
            .map(|t| t.iter().min().copied().unwrap_or_default().as_secs_f64())
            .collect();
        let (messages, declared, all) = (best[0], best[1], best[2]);
        // The checked figure: the median of each round's own ratio (its
        // three builds ran back to back), robust to the machine's load
        // changing between rounds; the ratio of the fastest builds is shown
        // beside it.
        let mut per_round: Vec<f64> = (0..settings.rounds)
            .map(|r| {
                let m = times[0][r].as_secs_f64();
                (times[2][r].as_secs_f64() - m).max(0.0) / m
            })
            .collect();
        per_round.sort_by(f64::total_cmp);
        let ratio = crate::median(&per_round);
        let glue = (all - messages).max(0.0);
        println!("\n{}", subject.label);
        println!(
            "  messages (prost + pbjson, codecs used) {:>7.2}s  {:>7} generated lines",
            messages,
            lines("messages")
        );
        println!(
            "  messages + glue (http, errors, used)   {:>7.2}s  {:>7} generated lines",
            all,
            lines("glue")
        );
        println!(
            "  per-round glue/messages: {}",
            crate::ratios_text(&per_round)
        );
        let mut cpu_rounds: Vec<f64> = (0..settings.rounds)
            .map(|r| (cpu[2][r] - cpu[0][r]).max(0.0) / cpu[0][r])
            .collect();
        cpu_rounds.sort_by(f64::total_cmp);
        println!(
            "  CPU time (user + system, all cores): glue/messages {:.3}, median of rounds (messages {:.2}s)",
            crate::median(&cpu_rounds),
            cpu[0].iter().copied().fold(f64::INFINITY, f64::min)
        );
        println!(
            "  glue/messages build time {ratio:.3}, median of rounds (target <= 0.30){}; of the fastest builds {:.3} (glue alone {glue:.2}s)",
            if ratio <= 0.30 { "" } else { "  MISSED" },
            glue / messages
        );
        println!(
            "  of which declared only (no server instantiated, as a proto crate) {:.2}s: {:.3} of messages; instantiating the servers {:.2}s",
            (declared - messages).max(0.0),
            (declared - messages).max(0.0) / messages,
            (all - declared).max(0.0)
        );
        ok &= ratio <= 0.30;
        // The deterministic figure CI checks: what the glue adds to the
        // crate's LLVM IR (functions defined, lines), a proxy for rustc's
        // work that does not swing with the machine's load.
        let ir = |variant: &str| llvm_ir(&work, &format!("{}-{variant}", subject.name));
        match (ir("messages"), ir("glue")) {
            (Some(messages), Some(glue)) => {
                let glue_ir = GlueIr {
                    subject: subject.name,
                    functions: glue.functions.saturating_sub(messages.functions),
                    lines: glue.lines.saturating_sub(messages.lines),
                };
                println!(
                    "  LLVM IR of the glue (dev, one codegen unit): {} functions, {} lines (messages: {} functions, {} lines)",
                    glue_ir.functions, glue_ir.lines, messages.functions, messages.lines
                );
                measured.push(glue_ir);
            }
            _ => return false,
        }
    }
    if !ok {
        println!("\ntarget missed");
    }
    match (&settings.baseline, settings.write_baseline) {
        (Some(path), true) => {
            let mut text = String::from(
                "# protoway-bench compile --write-baseline: what the generated glue adds to a\n\
                 # crate's LLVM IR (dev profile, one codegen unit): subject functions lines.\n\
                 # CI fails when a figure grows more than 10% over it.\n",
            );
            for m in &measured {
                let _ = writeln!(text, "{} {} {}", m.subject, m.functions, m.lines);
            }
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("compile bench: writing {}: {e}", path.display());
                return false;
            }
            println!("baseline written to {}", path.display());
            true
        }
        (Some(path), false) => check_baseline(path, &measured),
        (None, _) => true,
    }
}

/// What the glue adds to one subject's LLVM IR.
struct GlueIr {
    subject: &'static str,
    functions: usize,
    lines: usize,
}

/// Each measured subject against its committed figures: false when one
/// grew more than [`GROWTH_LIMIT`].
fn check_baseline(path: &Path, measured: &[GlueIr]) -> bool {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("compile bench: reading {}: {e}", path.display());
            return false;
        }
    };
    let mut ok = true;
    for m in measured {
        let Some((functions, lines)) = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|f| f.len() == 3 && f[0] == m.subject)
            .and_then(|f| Some((f[1].parse::<f64>().ok()?, f[2].parse::<f64>().ok()?)))
        else {
            eprintln!(
                "compile bench: {} has no figures for {}",
                path.display(),
                m.subject
            );
            ok = false;
            continue;
        };
        let (f, l) = (m.functions as f64 / functions, m.lines as f64 / lines);
        let within = f <= GROWTH_LIMIT && l <= GROWTH_LIMIT;
        println!(
            "  {}: glue IR {:.3}x the baseline's functions, {:.3}x its lines (limit {GROWTH_LIMIT}){}",
            m.subject,
            f,
            l,
            if within {
                ""
            } else {
                "  GREW: find what the generated code or the runtime's generic API instantiates more"
            }
        );
        ok &= within;
    }
    if !ok {
        println!(
            "\nthe glue's compile cost grew past the baseline (a deliberate change: `protoway-bench compile --write-baseline --baseline {}`)",
            path.display()
        );
    }
    ok
}

/// A crate's LLVM IR size.
struct Ir {
    functions: usize,
    lines: usize,
}

/// Builds `package` (dev profile) with `--emit=llvm-ir` into one codegen
/// unit and counts its IR: functions defined and lines.
fn llvm_ir(work: &Path, package: &str) -> Option<Ir> {
    // rustc writes `<crate>-<hash>.ll` beside the crate's other outputs.
    let deps = work.join("target/debug/deps");
    let stem = format!("{}-", package.replace('-', "_"));
    let ours = |p: &Path| {
        p.extension().is_some_and(|e| e == "ll")
            && p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&stem))
    };
    for old in std::fs::read_dir(&deps).ok()?.flatten() {
        if ours(&old.path()) {
            let _ = std::fs::remove_file(old.path());
        }
    }
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(work)
        .args(["rustc", "--quiet", "--lib", "-p", package, "--"])
        .args(["--emit=llvm-ir", "-C", "codegen-units=1"])
        .env("CARGO_TARGET_DIR", work.join("target"))
        .env("CARGO_INCREMENTAL", "0")
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        eprintln!("compile bench: cargo rustc --emit=llvm-ir -p {package} failed: {status:?}");
        return None;
    }
    let ll = std::fs::read_dir(&deps)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| ours(p))?;
    let text = std::fs::read_to_string(ll).ok()?;
    Some(Ir {
        functions: text.lines().filter(|l| l.starts_with("define ")).count(),
        lines: text.lines().count(),
    })
}

fn protos_in(googleapis: &Path, api: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(googleapis.join(api))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "proto"))
                .filter_map(|p| p.strip_prefix(googleapis).ok().map(Path::to_path_buf))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn touch(path: &Path) {
    if let Ok(file) = std::fs::File::options().append(true).open(path) {
        let _ = file.set_modified(std::time::SystemTime::now());
    }
}

fn cargo_build(work: &Path, package: Option<&str>, profile: &str) -> bool {
    cargo_build_cpu(work, package, profile).is_some()
}

/// CPU time (user + system) of this process's reaped children so far:
/// cargo and, reaped by cargo, every rustc it ran.
fn children_cpu() -> f64 {
    // SAFETY: getrusage fills a plain struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Builds; the CPU time the build took (`None`: it failed).
fn cargo_build_cpu(work: &Path, package: Option<&str>, profile: &str) -> Option<f64> {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(work)
        .args(["build", "--quiet", "--profile", profile])
        .env("CARGO_TARGET_DIR", work.join("target"))
        // A whole rebuild of the crate each time, not an incremental replay.
        .env("CARGO_INCREMENTAL", "0");
    match package {
        Some(p) => cmd.args(["-p", p]),
        None => cmd.arg("--workspace"),
    };
    let before = children_cpu();
    match cmd.status() {
        Ok(s) if s.success() => Some(children_cpu() - before),
        other => {
            eprintln!("compile bench: cargo build {package:?} failed: {other:?}");
            None
        }
    }
}

/// Generates each subject's code and writes the crates and their workspace.
fn write_workspace(
    root: &Path,
    work: &Path,
    subjects: &[Subject],
) -> Result<(), Box<dyn std::error::Error>> {
    let mut members = Vec::new();
    for subject in subjects {
        let gen_dir = work.join(subject.name).join("gen");
        let _ = std::fs::remove_dir_all(&gen_dir);
        protoway_build::configure()
            .out_dir(&gen_dir)
            .emit_rerun_if_changed(false)
            .compile(&subject.files, &subject.includes)
            .map_err(|e| format!("generating {}: {e}", subject.label))?;
        let mut packages: Vec<String> = std::fs::read_dir(&gen_dir)?
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let stem = name.strip_suffix(".rs")?;
                (!stem.contains(".serde") && !stem.ends_with(".http") && !stem.ends_with(".errors"))
                    .then(|| stem.to_owned())
            })
            .collect();
        packages.sort();
        for (variant, glue, instantiate) in VARIANTS {
            let dir = work.join(subject.name).join(variant);
            std::fs::create_dir_all(dir.join("src"))?;
            let mut suffixes = vec!["", ".serde"];
            if glue {
                suffixes.extend([".http", ".errors"]);
            }
            let (mut lib, lines) = module_tree(&gen_dir, &packages, &suffixes);
            lib.push_str(&instantiate_codecs(&gen_dir, &packages));
            if instantiate {
                lib.push_str(&instantiate_routers(&gen_dir, &packages));
            }
            write_if_changed(&dir.join("src/lib.rs"), &lib)?;
            std::fs::write(dir.join("lines"), lines.to_string())?;
            let runtime = root.join("runtime");
            let manifest = format!(
                r#"[package]
name = "{name}-{variant}"
version = "0.0.0"
edition = "2024"
publish = false

[lib]
doctest = false

[lints.rust]
warnings = "allow"

[dependencies]
prost = "0.14"
pbjson = "0.9"
pbjson-types = "0.9"
serde = "1"
serde_json = "1"
protoway = {{ path = "{runtime}", features = ["server", "client"] }}
"#,
                name = subject.name,
                runtime = runtime.display(),
            );
            write_if_changed(&dir.join("Cargo.toml"), &manifest)?;
            members.push(format!("\"{}/{variant}\"", subject.name));
        }
    }
    let manifest = format!(
        "# Written by `protoway-bench compile`.\n[workspace]\nresolver = \"3\"\nmembers = [{}]\n",
        members.join(", ")
    );
    write_if_changed(&work.join("Cargo.toml"), &manifest)?;
    // The same dependency versions as the protoway workspace.
    if !work.join("Cargo.lock").exists() {
        std::fs::copy(root.join("Cargo.lock"), work.join("Cargo.lock"))?;
    }
    Ok(())
}

/// Rewriting an unchanged file would make cargo rebuild for nothing.
fn write_if_changed(path: &Path, text: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    std::fs::write(path, text)
}

/// The JSON and protobuf codecs of every message, instantiated in both
/// crates: the messages' code as any server or client of them compiles it
/// (pbjson's and prost's generic code is only compiled where it is used),
/// so the glue is measured against messages in use, not unused types.
fn instantiate_codecs(gen_dir: &Path, packages: &[String]) -> String {
    let mut types = Vec::new();
    for package in packages {
        let Ok(text) = std::fs::read_to_string(gen_dir.join(format!("{package}.rs"))) else {
            continue;
        };
        let mut path: Vec<String> = package
            .split('.')
            .map(protoway_codegen::names::sanitize_identifier)
            .collect();
        let base = path.len();
        // prost's layout: `pub mod x {` / `}` nest at four spaces a level.
        let mut open: Vec<usize> = Vec::new();
        for line in text.lines() {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            if let Some(name) = trimmed
                .strip_prefix("pub mod ")
                .and_then(|l| l.strip_suffix(" {"))
            {
                path.push(name.to_owned());
                open.push(indent);
            } else if trimmed == "}" && open.last() == Some(&indent) {
                open.pop();
                path.truncate(base + open.len());
            } else if let Some(rest) = trimmed.strip_prefix("pub struct ") {
                let name = rest.split([' ', '{', '<']).next().unwrap_or_default();
                types.push(format!("crate::{}::{name}", path.join("::")));
            }
        }
    }
    let mut out = String::from(
        "\nfn codec<T>(bytes: &[u8]) -> usize\nwhere\n    T: ::prost::Message + Default + ::serde::Serialize + ::serde::de::DeserializeOwned,\n{\n    let from_json: T = ::serde_json::from_slice(bytes).unwrap_or_default();\n    let from_protobuf = T::decode(bytes).unwrap_or_default();\n    ::serde_json::to_vec(&from_json).map_or(0, |v| v.len()) + from_protobuf.encoded_len()\n}\n\n/// Every message's JSON and protobuf codecs.\npub fn codecs(bytes: &[u8]) -> usize {\n    0",
    );
    for t in &types {
        let _ = write!(out, " + codec::<{t}>(bytes)");
    }
    out.push_str("\n}\n");
    out
}

/// A function building every generated router, served by the generated
/// client (which implements the service trait), as a downstream binary
/// would: the glue's generic code is then compiled in this crate, not
/// deferred to its users, and measured here.
fn instantiate_routers(gen_dir: &Path, packages: &[String]) -> String {
    let mut routers = Vec::new();
    for package in packages {
        let Ok(text) = std::fs::read_to_string(gen_dir.join(format!("{package}.http.rs"))) else {
            continue;
        };
        let modules: Vec<String> = package
            .split('.')
            .map(protoway_codegen::names::sanitize_identifier)
            .collect();
        let mut service_module = None;
        for line in text.lines() {
            if let Some(name) = line
                .strip_prefix("pub mod ")
                .and_then(|l| l.strip_suffix(" {"))
            {
                service_module = Some(name.to_owned());
            } else if let (Some(module), Some(rest)) =
                (&service_module, line.trim().strip_prefix("pub trait "))
            {
                let service = rest.split([':', ' ', '<']).next().unwrap_or_default();
                routers.push(format!(
                    "crate::{path}::{module}::router(crate::{path}::{module}::{service}Client::connect(\"http://localhost\"))",
                    path = modules.join("::"),
                ));
            }
        }
    }
    let mut out = String::from(
        "\n/// Every router, served by the generated client (measured with the glue).\npub fn routers() -> Vec<::protoway::axum::Router> {\n    vec![\n",
    );
    for router in &routers {
        let _ = writeln!(out, "        {router},");
    }
    out.push_str("    ]\n}\n");
    out
}

/// `lib.rs` nesting each package's files in its module path (`a.b` →
/// `pub mod a { pub mod b { include!(…) } }`), and the included line count.
fn module_tree(gen_dir: &Path, packages: &[String], suffixes: &[&str]) -> (String, usize) {
    #[derive(Default)]
    struct Module {
        children: std::collections::BTreeMap<String, Module>,
        files: Vec<PathBuf>,
    }
    let mut top = Module::default();
    let mut lines = 0;
    for package in packages {
        let mut module = &mut top;
        for part in package.split('.') {
            module = module.children.entry(part.to_owned()).or_default();
        }
        for suffix in suffixes {
            let file = gen_dir.join(format!("{package}{suffix}.rs"));
            if let Ok(text) = std::fs::read_to_string(&file) {
                lines += text.lines().count();
                module.files.push(file);
            }
        }
    }
    fn render(module: &Module, depth: usize, out: &mut String) {
        let indent = "    ".repeat(depth);
        for file in &module.files {
            let _ = writeln!(out, "{indent}include!({:?});", file.display().to_string());
        }
        for (name, child) in &module.children {
            // prost's module names: keywords escaped the same way.
            let ident = protoway_codegen::names::sanitize_identifier(name);
            let _ = writeln!(out, "{indent}pub mod {ident} {{");
            render(child, depth + 1, out);
            let _ = writeln!(out, "{indent}}}");
        }
    }
    let mut out = String::from("//! Written by `protoway-bench compile`.\n");
    render(&top, 0, &mut out);
    (out, lines)
}
