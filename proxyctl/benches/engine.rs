//! Issue 9 on the engine: cold starts and warm invokes through `proxyctl serve`'s
//! API on Docker, against the floor, in one run.
//!
//! The server is [`Server::start`] in this process on the Docker backend (a
//! temporary data directory, the SQLite store, the runtime image built from the
//! static `proxy-runtime`), on a tokio runtime with 2 workers. Every invoke is a
//! blocking `POST .../actions/{name}?blocking=true` on a kept-alive loopback
//! connection, answered once its record is durable (deviation D45). The action is a
//! native `#!/bin/sh` script that echoes a fixed object, 256 MB, concurrency 1.
//!
//! The **floor** is the least any way can cost on this engine: bollard and the
//! invoker's action client with nothing around them, on a container with the
//! server's own settings (its image, network, limits, labels; `Settings::of` its
//! factory's configuration): create, start, inspect for the address, `/init`,
//! `/run`; warm, one `/run`.
//!
//! - **cold**: [`COLD_ROUNDS`] rounds, each a cold invoke of a fresh action through
//!   the API (create, start, `/init`, `/run`, the record durable) and a floor cold
//!   start, in a rotated order;
//! - **warm**: [`WARM_SAMPLES`] invokes of one warm action through the API, as
//!   many of the same action with a logs limit of 0 (no logs collected, as on the
//!   floor), interleaved with as many `/run`s on a warm floor container: p50 and p99;
//! - **throughput**: [`CLIENTS`] clients at once for [`THROUGHPUT_ROUNDS`] rounds,
//!   each invoking [`PER_CLIENT`] times in a loop (the pool warms a container per
//!   client first), against as many tasks sending `/run`s to as many floor
//!   containers: invokes/s and the ratio.
//!
//! ```sh
//! cargo bench -p proxyctl --bench engine
//! ```
//!
//! It needs a Docker engine. Every container carries `proxy.bench=api-engine-<pid>`
//! and is removed when the bench ends, also on a panic or Ctrl-C.

#[path = "../../proxy-docker/examples/support/mod.rs"]
mod docker_support;
mod support;
#[path = "../../proxy-docker/tests/support/mod.rs"]
mod test_support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::query_parameters::RemoveContainerOptionsBuilder;
use docker_support::{floor_start, percentile, Cleanup, Direct, Failure, Settings, CODE};
use proxy_core::container::{Action, ActionLimits, ActivationMessage, Run};
use proxy_docker::Docker;
use proxyctl::backend;
use serde_json::{json, Value};
use support::{Connection, Started};

/// Cold starts per way.
const COLD_ROUNDS: usize = 10;
/// Warm samples per way.
const WARM_SAMPLES: usize = 1_000;
/// Clients at once in the throughput rounds.
const CLIENTS: usize = 4;
/// Rounds of the throughput pass.
const THROUGHPUT_ROUNDS: usize = 5;
/// Invokes per client and throughput round.
const PER_CLIENT: usize = 250;
/// The action's memory.
const MEMORY_MB: u64 = 256;
/// The label on everything this bench creates (valued `api-engine-<pid>`).
const BENCH_LABEL: &str = "proxy.bench";

fn main() -> Result<(), Failure> {
    // `cargo test --all-targets` runs benches without `--bench`: this one takes the
    // engine for a minute, so there it only says how to run it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("engine bench: run it with `cargo bench -p proxyctl --bench engine`");
        return Ok(());
    }
    let label = format!("{BENCH_LABEL}=api-engine-{}", std::process::id());
    let _cleanup = Cleanup(label.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        tokio::select! {
            outcome = bench(label.clone()) => outcome,
            _ = tokio::signal::ctrl_c() => Err("interrupted".into()),
        }
    })
}

/// The native action's `PUT` body (its logs limit upstream's default, 10 MB: each
/// activation's logs are collected and stored).
fn put_body() -> Value {
    json!({"exec": {"kind": "blackbox", "code": CODE}, "limits": {"memory": MEMORY_MB, "timeout": 10000}})
}

/// The same action with a logs limit of 0: nothing collected, as the floor.
fn put_body_without_logs() -> Value {
    let mut body = put_body();
    body["limits"]["logs"] = json!(0);
    body
}

/// The floor's job: the same code, as the proxy would send it.
fn floor_job(image: &str, n: usize) -> Run {
    let action = Arc::new(Action {
        limits: ActionLimits {
            timeout: Duration::from_secs(10),
            memory_mb: MEMORY_MB,
            logs_mb: 0,
            max_concurrent: 1,
        },
        sentinelled_logs: true,
        ..Action::new("guest", "floor", image, CODE)
    });
    Run {
        action,
        msg: Arc::new(ActivationMessage {
            content: Some(json!({})),
            init_args: BTreeSet::new(),
            ..ActivationMessage::new(format!("floor-{n}"), "guest")
        }),
    }
}

/// The invoke's answer must be the script's object.
fn check(body: &[u8]) -> Result<(), Failure> {
    let doc: Value = serde_json::from_slice(body)?;
    if doc["response"]["result"] == json!({"greeting": "hello"}) {
        Ok(())
    } else {
        Err(format!("unexpected activation: {doc}").into())
    }
}

/// A floor container, started, initialized and run once.
struct Floor {
    id: String,
    direct: Direct,
}

async fn floor_cold(docker: &Docker, settings: &Settings, name: &str, job: &Run) -> Result<Floor, Failure> {
    let start = floor_start(docker, settings, name).await?;
    start.direct.init(job).await?;
    start.direct.run(job).await?;
    Ok(Floor { id: start.id, direct: start.direct })
}

async fn remove(docker: &Docker, id: &str) -> Result<(), Failure> {
    let force = RemoveContainerOptionsBuilder::default().force(true).build();
    docker.remove_container(id, Some(force)).await?;
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

async fn bench(label: String) -> Result<(), Failure> {
    let docker = proxy_docker::connect().await?;
    let binary = test_support::runtime_binary();
    let dir = tempfile::tempdir()?;
    let instance = format!("apibench{}", std::process::id());
    let memory = (MEMORY_MB * (COLD_ROUNDS + CLIENTS + 2) as u64).to_string();
    let binary_arg = binary.to_str().ok_or("a UTF-8 path")?.to_string();
    let args = support::serve_args(
        &dir,
        &[
            "--backend",
            "docker",
            "--instance",
            &instance,
            "--label",
            &label,
            "--memory",
            &memory,
            "--runtime-binary",
            &binary_arg,
        ],
    );
    let server_backend = backend::choose(&args, "http://127.0.0.1:0".into()).await?;
    let Started { server, auth } = support::start(&dir, args, server_backend).await;
    let factory = server.backend().docker().ok_or("not the Docker backend")?.clone();
    let image = server.state.kinds.runtime_image.clone();
    let settings = Settings::of(factory.config(), &image, MEMORY_MB);
    println!(
        "server on {} (backend {}, reach {:?}), image {image}, network {}",
        server.addr,
        server.backend().describe(),
        factory.reach(),
        settings.network
    );
    let pid = std::process::id();
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };

    // Cold starts.
    let mut admin = Connection::open(server.addr, &auth, "unused").await;
    let (mut api_cold, mut floor_cold_ms) = (Vec::new(), Vec::new());
    for round in 0..=COLD_ROUNDS {
        let name = format!("cold-{round}");
        admin.put_action(&name, &put_body()).await;
        let mut connection = Connection::open(server.addr, &auth, &name).await;
        let mut api = Duration::ZERO;
        let mut floor = Duration::ZERO;
        for api_now in [round % 2 == 0, round % 2 == 1] {
            if api_now {
                let started = Instant::now();
                let body = connection.invoke().await;
                api = started.elapsed();
                check(&body)?;
            } else {
                let job = floor_job(&image, next());
                let started = Instant::now();
                let made =
                    floor_cold(&docker, &settings, &format!("apibench-floor-{pid}-{round}"), &job).await?;
                floor = started.elapsed();
                remove(&docker, &made.id).await?;
            }
        }
        // Round 0 warms the engine and the server up.
        if round > 0 {
            api_cold.push(ms(api));
            floor_cold_ms.push(ms(floor));
        }
        println!("cold round {round}: api {:.1} ms, floor {:.1} ms", ms(api), ms(floor));
    }

    // Warm invokes, one at a time, interleaved (the order rotating).
    admin.put_action("warm", &put_body()).await;
    admin.put_action("warm-nologs", &put_body_without_logs()).await;
    let mut warm = Connection::open(server.addr, &auth, "warm").await;
    let mut warm_nologs = Connection::open(server.addr, &auth, "warm-nologs").await;
    check(&warm.invoke().await)?;
    check(&warm_nologs.invoke().await)?;
    let warm_job = floor_job(&image, next());
    let floor = floor_cold(&docker, &settings, &format!("apibench-floor-{pid}-warm"), &warm_job).await?;
    let (mut api_warm, mut nologs_warm, mut floor_warm) = (Vec::new(), Vec::new(), Vec::new());
    for sample in 0..WARM_SAMPLES {
        for way in (0..3).map(|k| (sample + k) % 3) {
            let started = Instant::now();
            match way {
                0 => {
                    let body = warm.invoke().await;
                    api_warm.push(started.elapsed());
                    check(&body)?;
                }
                1 => {
                    let body = warm_nologs.invoke().await;
                    nologs_warm.push(started.elapsed());
                    check(&body)?;
                }
                _ => {
                    floor.direct.run(&warm_job).await?;
                    floor_warm.push(started.elapsed());
                }
            }
        }
    }
    remove(&docker, &floor.id).await?;

    // Throughput: a container per client on each side, warmed first.
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(Connection::open(server.addr, &auth, "warm").await);
    }
    let warming: Vec<_> = clients
        .into_iter()
        .map(|mut c| {
            tokio::spawn(async move {
                c.invoke().await;
                c
            })
        })
        .collect();
    let mut clients = Vec::new();
    for task in warming {
        clients.push(task.await?);
    }
    let mut floors = Vec::new();
    for client in 0..CLIENTS {
        let job = floor_job(&image, next());
        let made = floor_cold(&docker, &settings, &format!("apibench-floor-{pid}-c{client}"), &job).await?;
        floors.push((Arc::new(made), job));
    }
    let (mut api_rates, mut floor_rates) = (Vec::new(), Vec::new());
    for round in 0..THROUGHPUT_ROUNDS {
        for api_now in [round % 2 == 0, round % 2 == 1] {
            let started = Instant::now();
            if api_now {
                let tasks: Vec<_> = clients
                    .into_iter()
                    .map(|mut c| {
                        tokio::spawn(async move {
                            for _ in 0..PER_CLIENT {
                                c.invoke().await;
                            }
                            c
                        })
                    })
                    .collect();
                clients = Vec::new();
                for task in tasks {
                    clients.push(task.await?);
                }
                api_rates.push((CLIENTS * PER_CLIENT) as f64 / started.elapsed().as_secs_f64());
            } else {
                let tasks: Vec<_> = floors
                    .iter()
                    .map(|(floor, job)| {
                        let (floor, job) = (Arc::clone(floor), job.clone());
                        tokio::spawn(async move {
                            for _ in 0..PER_CLIENT {
                                floor.direct.run(&job).await.map_err(|e| e.to_string())?;
                            }
                            Ok::<(), String>(())
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await??;
                }
                floor_rates.push((CLIENTS * PER_CLIENT) as f64 / started.elapsed().as_secs_f64());
            }
        }
    }
    for (floor, _) in &floors {
        remove(&docker, &floor.id).await?;
    }
    server.drain().await;

    // The report.
    let (api_c, floor_c) = (median(api_cold.clone()), median(floor_cold_ms.clone()));
    let same_round: Vec<f64> = api_cold.iter().zip(&floor_cold_ms).map(|(a, f)| a / f).collect();
    println!("\ncold start ({COLD_ROUNDS} rounds after a warm-up round, order alternating):");
    println!("  api   median {api_c:.1} ms (all: {})", list(&api_cold));
    println!("  floor median {floor_c:.1} ms (all: {})", list(&floor_cold_ms));
    println!(
        "  api / floor: {:.3}x of the medians, {:.3}x the median of the same-round ratios (target <= 1.2x: {})",
        api_c / floor_c,
        median(same_round.clone()),
        if median(same_round) <= 1.2 { "met" } else { "missed" }
    );
    let p50_p99 = |samples: &[Duration]| -> Result<(f64, f64), Failure> {
        let at = |q| percentile(samples.to_vec(), q).map(ms).ok_or("no samples");
        Ok((at(0.5)?, at(0.99)?))
    };
    let (api_p50, api_p99) = p50_p99(&api_warm)?;
    let (nologs_p50, nologs_p99) = p50_p99(&nologs_warm)?;
    let (floor_p50, floor_p99) = p50_p99(&floor_warm)?;
    println!("\nwarm, one at a time ({WARM_SAMPLES} each way, interleaved):");
    println!("  api, logs collected   p50 {api_p50:.3} ms  p99 {api_p99:.3} ms");
    println!("  api, logs limit 0     p50 {nologs_p50:.3} ms  p99 {nologs_p99:.3} ms");
    println!("  floor                 p50 {floor_p50:.3} ms  p99 {floor_p99:.3} ms (one /run)");
    println!(
        "  api - floor: p50 {:+.3} ms, p99 {:+.3} ms; logs limit 0: p50 {:+.3} ms, p99 {:+.3} ms",
        api_p50 - floor_p50,
        api_p99 - floor_p99,
        nologs_p50 - floor_p50,
        nologs_p99 - floor_p99
    );
    let (api_r, floor_r) = (median(api_rates.clone()), median(floor_rates.clone()));
    println!(
        "\nwarm, {CLIENTS} clients at once ({THROUGHPUT_ROUNDS} rounds x {} each way, alternating):",
        CLIENTS * PER_CLIENT
    );
    println!("  api   {api_r:.0} invokes/s (rounds: {})", list(&api_rates));
    println!("  floor {floor_r:.0} /run/s (rounds: {})", list(&floor_rates));
    println!("  api / floor: {:.2}", api_r / floor_r);
    Ok(())
}

fn list(values: &[f64]) -> String {
    values.iter().map(|v| format!("{v:.1}")).collect::<Vec<_>>().join(", ")
}
