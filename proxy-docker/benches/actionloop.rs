//! Issue 9, the warm floor: a warm `/run` in the runtime's actionloop mode against the
//! process-per-activation mode, in the same run, on the same runtime binary.
//!
//! Four actions, each in its own runtime: a `#!/bin/sh` script and a static Rust
//! binary, each once per activation (the answer on the last stdout line) and once as
//! an actionloop (started at `/init`, one line in on stdin and one out on fd 3 per
//! activation). Two places:
//!
//! - **engine**: the runtime image (built from the static `proxy-runtime` by the engine
//!   tests' helpers), one container per action from the backend ([`DockerFactory`],
//!   256 MB, on its bridge network, reached at `<container IP>:8080`);
//! - **loopback**: the same static binary as a child process on a loopback port, no
//!   engine.
//!
//! Every sample is one `/run` through the invoker's action client (`ActionClient`, a
//! new connection per request, as the invoker), its answer checked. Criterion measures
//! each action in turn; then an interleaved pass ([`ROUNDS`] rounds, each one sample
//! of every action in a rotated order) prints the medians, the 99th percentiles and
//! the ratios, which the machine's drift affects alike.
//!
//! ```sh
//! cargo bench -p proxy-docker --bench actionloop
//! ```
//!
//! Without an engine, only the loopback half runs. Every container carries
//! `proxy.bench=actionloop-<pid>` and is removed when the bench ends, also on a panic;
//! the runtimes on loopback are killed.

#[path = "../examples/support/mod.rs"]
mod support;
#[path = "../tests/support/mod.rs"]
mod test_support;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use criterion::Criterion;
use proxy_core::container::client::{run_body, ActionClient, RunResult};
use proxy_core::container::{Container, ContainerFactory, CreateSpec, ResponseLimits};
use proxy_docker::{DockerConfig, DockerFactory, Reach};
use serde_json::{json, Map, Value};
use support::median;

/// Interleaved rounds (one sample of every action each).
const ROUNDS: usize = 2_000;
const BENCH_LABEL: &str = "proxy.bench";
const TIMEOUT: Duration = Duration::from_secs(10);

/// One process per activation, as the engine bench's action.
const SH_PER_RUN: &str = "#!/bin/sh\necho '{\"greeting\": \"hello\"}'\n";
/// The loop of upstream's actionloop shell actions.
const SH_LOOP: &str = "#!/bin/sh\necho '{\"ok\": true}' >&3\n\
                       while read -r line; do echo '{\"greeting\": \"hello\"}' >&3; done\n";
const RUST_PER_RUN: &str = r#"fn main() { println!("{{\"greeting\": \"hello\"}}"); }"#;
/// As upstream's Rust and Go launchers: fd 3 opened once, one answer per stdin line.
const RUST_LOOP: &str = r#"use std::io::{BufRead, Write};
use std::os::fd::FromRawFd;
fn main() {
    // SAFETY: the runtime starts this process with fd 3 open, the answer pipe, and
    // nothing else in this process owns it.
    let mut answers = unsafe { std::fs::File::from_raw_fd(3) };
    answers.write_all(b"{\"ok\": true}\n").unwrap();
    for line in std::io::stdin().lock().lines() {
        if line.is_err() { break; }
        answers.write_all(b"{\"greeting\": \"hello\"}\n").unwrap();
    }
}"#;

/// An action of the bench: its name, its init value.
struct Variant {
    name: &'static str,
    /// `None`: the runtime's own floor, a `/run` before any `/init` (answered 500
    /// `no action defined yet`, after the sentinels, as any activation).
    init: Option<Value>,
}

fn variants() -> Vec<Variant> {
    let b64 = |bytes: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(bytes);
    let init = |code: String, binary: bool, looped: bool| {
        let env = if looped { json!({"PROXY_RUNTIME_ACTIONLOOP": "1"}) } else { json!({}) };
        Some(json!({"name": "hello", "main": "main", "code": code, "binary": binary, "env": env}))
    };
    vec![
        Variant { name: "sh per activation", init: init(SH_PER_RUN.into(), false, false) },
        Variant { name: "sh actionloop", init: init(SH_LOOP.into(), false, true) },
        Variant {
            name: "binary per activation",
            init: init(b64(test_support::rust_action("per_run", RUST_PER_RUN)), true, false),
        },
        Variant {
            name: "binary actionloop",
            init: init(b64(test_support::rust_action("looped", RUST_LOOP)), true, true),
        },
        Variant { name: "no action (floor)", init: None },
    ]
}

/// The activation fields of the `/run` body the invoker sends (`value` beside them).
fn environment(n: usize) -> Map<String, Value> {
    let fields = json!({
        "namespace": "guest",
        "action_name": "/guest/hello",
        "action_version": "0.0.1",
        "activation_id": format!("{n:032x}"),
        "transaction_id": "bench",
        "deadline": "4102444800000",
        "api_key": "uuid:secret",
    });
    match fields {
        Value::Object(fields) => fields,
        _ => unreachable!("an object"),
    }
}

/// Where an action runs: a runtime on loopback, reached by the invoker's action
/// client, or an engine container, reached through the backend (which adds the
/// container's token).
enum Target {
    Loopback(ActionClient),
    Engine(Arc<dyn Container>),
}

impl Target {
    async fn init(&self, initializer: Value) -> RunResult {
        match self {
            Target::Loopback(client) => client.init(initializer, TIMEOUT).await,
            Target::Engine(container) => container.initialize(initializer, TIMEOUT, 1).await,
        }
    }

    /// One warm `/run`, its answer checked; how long it took.
    async fn warm_run(&self, n: usize) -> Duration {
        let parameters = json!({"name": "world"});
        let limits = ResponseLimits::default();
        let started = Instant::now();
        let result = match self {
            Target::Loopback(client) => {
                client.run(run_body(parameters, environment(n)), TIMEOUT, limits).await
            }
            Target::Engine(container) => container.run(parameters, environment(n), TIMEOUT, limits).await,
        };
        let took = started.elapsed();
        match &result.response {
            // The answer of every action.
            Ok(r)
                if result.ok()
                    && serde_json::from_str::<Value>(&r.entity).ok()
                        == Some(json!({"greeting": "hello"})) =>
            {
                took
            }
            // The floor's.
            Ok(r) if r.status == 500 && r.entity.contains("no action defined yet") => took,
            other => panic!("/run answered {other:?}"),
        }
    }
}

/// The runtimes on loopback; killed when dropped.
struct Loopback(Vec<Child>);

impl Drop for Loopback {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts the static runtime on a free loopback port with its own temp directory.
fn start_loopback(runtimes: &mut Loopback, binary: &std::path::Path, tmp: &std::path::Path) -> SocketAddr {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind").local_addr().expect("addr").port();
    let dir = tmp.join(port.to_string());
    std::fs::create_dir_all(&dir).expect("temp dir");
    let child = Command::new(binary)
        .env("PROXY_RUNTIME_PORT", port.to_string())
        .env("TMPDIR", &dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the runtime");
    runtimes.0.push(child);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let started = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(started.elapsed() < Duration::from_secs(5), "the runtime did not open {addr}");
        std::thread::sleep(Duration::from_millis(10));
    }
    addr
}

/// Removes everything labelled for this run when dropped, also after a panic.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let left = support::remove_labelled(&self.0);
        if !left.is_empty() {
            eprintln!("cleanup: containers labelled {} still listed: {left:?}", self.0);
        }
    }
}

/// The engine's containers, one per variant; `None` without an engine.
async fn engine_clients(label: &str, variants: &[Variant]) -> Option<(DockerFactory, Vec<Target>)> {
    let docker = match proxy_docker::connect().await {
        Ok(docker) => docker,
        Err(error) => {
            println!("no engine ({error}): loopback only");
            return None;
        }
    };
    let image = test_support::runtime_image(&docker).await;
    let mut config = DockerConfig::new(format!("bench-loop-{}", std::process::id()));
    config.reach = Reach::Bridge;
    config.labels = BTreeMap::from([(BENCH_LABEL.to_string(), label.to_string())]);
    let factory = DockerFactory::start(docker, config).await.expect("factory");
    let mut targets = Vec::new();
    for (n, _) in variants.iter().enumerate() {
        let spec = CreateSpec {
            transaction_id: "bench".into(),
            name: format!("loop{n}"),
            image: image.clone(),
            memory_mb: 256,
            cpu_shares: 256,
            cpu_limit: None,
        };
        targets.push(Target::Engine(factory.create(spec).await.expect("container")));
    }
    Some((factory, targets))
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` does not, and there
    // this bench, which needs the engine and a release build, only says how to run it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("actionloop bench: run it with `cargo bench -p proxy-docker --bench actionloop`");
        return;
    }
    let label = format!("actionloop-{}", std::process::id());
    let _cleanup = Cleanup(format!("{BENCH_LABEL}={label}"));
    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio");
    let variants = variants();

    let tmp = std::env::temp_dir().join(format!("proxy-bench-actionloop-{}", std::process::id()));
    let mut runtimes = Loopback(Vec::new());
    let binary = test_support::runtime_binary();
    let loopback: Vec<Target> = variants
        .iter()
        .map(|_| Target::Loopback(ActionClient::new(start_loopback(&mut runtimes, &binary, &tmp))))
        .collect();
    let engine = tokio.block_on(engine_clients(&label, &variants));

    let mut places: Vec<(&str, &[Target])> = vec![("loopback", &loopback)];
    if let Some((_, targets)) = &engine {
        places.push(("engine", targets));
    }
    tokio.block_on(async {
        for (_, targets) in &places {
            for (variant, target) in variants.iter().zip(targets.iter()) {
                let Some(initializer) = &variant.init else { continue };
                let init = target.init(initializer.clone()).await;
                assert!(init.ok(), "{}: /init answered {:?}", variant.name, init.response);
            }
        }
    });

    let mut criterion =
        Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    criterion = criterion.configure_from_args();
    for (place, targets) in &places {
        let mut group = criterion.benchmark_group(format!("warm_run/{place}"));
        for (variant, target) in variants.iter().zip(targets.iter()) {
            group.bench_function(variant.name, |b| {
                b.iter_custom(|iters| {
                    tokio.block_on(async {
                        let mut total = Duration::ZERO;
                        for n in 0..iters {
                            total += target.warm_run(n as usize).await;
                        }
                        total
                    })
                })
            });
        }
        group.finish();
    }

    for (place, targets) in &places {
        let samples = tokio.block_on(interleaved(targets));
        report(place, &variants, &samples);
    }
    if let Some((factory, _)) = engine {
        tokio.block_on(async {
            let _ = factory.shutdown().await;
        });
    }
    drop(runtimes);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// [`ROUNDS`] rounds, each one sample of every target, the order rotated each round.
async fn interleaved(targets: &[Target]) -> Vec<Vec<Duration>> {
    let count = targets.len();
    let mut samples = vec![Vec::with_capacity(ROUNDS); count];
    for round in 0..ROUNDS {
        for k in 0..count {
            let i = (round + k) % count;
            samples[i].push(targets[i].warm_run(round).await);
        }
    }
    samples
}

fn percentile(mut values: Vec<Duration>, p: f64) -> Duration {
    values.sort();
    let index = ((values.len() as f64 - 1.0) * p).round() as usize;
    values[index]
}

fn report(place: &str, variants: &[Variant], samples: &[Vec<Duration>]) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let medians: Vec<f64> = samples.iter().map(|s| ms(median(s.clone()).unwrap_or_default())).collect();
    println!("{place}: warm /run, interleaved, {ROUNDS} samples each (ms)");
    println!("  {:<22} {:>8} {:>8}", "action", "p50", "p99");
    for ((variant, samples), p50) in variants.iter().zip(samples).zip(&medians) {
        println!("  {:<22} {p50:>8.3} {:>8.3}", variant.name, ms(percentile(samples.clone(), 0.99)));
    }
    // Variants come in pairs: per activation, then its actionloop.
    for pair in [0usize, 2] {
        println!(
            "  {} / {}: {:.3}",
            variants[pair + 1].name,
            variants[pair].name,
            medians[pair + 1] / medians[pair]
        );
    }
    println!(
        "  less the floor ({:.3}): sh per activation {:.3}, sh actionloop {:.3}, binary per activation {:.3}, \
         binary actionloop {:.3}",
        medians[4],
        medians[0] - medians[4],
        medians[1] - medians[4],
        medians[2] - medians[4],
        medians[3] - medians[4]
    );
    let best = medians[1].min(medians[3]);
    println!("  actionloop p50 <= 0.3 ms: {best:.3} ms, {}", if best <= 0.3 { "met" } else { "missed" });
}
