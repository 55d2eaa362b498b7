//! Cold start on the process backend: `create` (spawn the runtime, set its rlimits,
//! read its address) + `/init` + `/run` of a `#!/bin/sh` script action that echoes a
//! fixed JSON object, until the activation's response is in hand. The container is
//! destroyed after each sample, untimed. Target (issue 9): <= 20 ms.
//!
//! ```sh
//! cargo bench -p proxy-process --bench cold
//! ```
//!
//! Builds `target/release/proxy-runtime` first (a no-op when fresh;
//! `PROXY_RUNTIME_NATIVE` names a prebuilt one). After criterion's estimate, prints
//! the medians of the three steps over a separate 200 cold starts.

use std::time::{Duration, Instant};

use criterion::Criterion;
use proxy_core::container::{outcome, ActivationStatus, Container, CreateSpec};
use proxy_process::{ProcessConfig, ProcessFactory};
use serde_json::{json, Map};

const CODE: &str = "#!/bin/sh\necho '{\"greeting\": \"hi\"}'\n";
const LIMIT: Duration = Duration::from_secs(10);

fn spec(n: u64) -> CreateSpec {
    CreateSpec {
        transaction_id: "bench".into(),
        name: format!("cold-{}-{n}", std::process::id()),
        image: "unused".into(),
        memory_mb: 256,
        cpu_shares: 256,
        cpu_limit: None,
    }
}

/// One cold start; returns the create, init and run times.
async fn cold(factory: &ProcessFactory, n: u64) -> [Duration; 3] {
    let start = Instant::now();
    let container = factory.create_container(&spec(n)).await.expect("created");
    let created = start.elapsed();
    let initializer = json!({"name": "bench", "main": "main", "code": CODE});
    outcome::init(&container, initializer, LIMIT, 1, true).await.expect("init");
    let initialized = start.elapsed();
    let (_, response) =
        outcome::run(&container, json!({}), Map::new(), LIMIT, Default::default(), false).await.expect("run");
    let ran = start.elapsed();
    assert_eq!(response.status, ActivationStatus::Success, "{response:?}");
    container.destroy().await.expect("destroyed");
    [created, initialized - created, ran - initialized]
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn bench(c: &mut Criterion) {
    let runtime = proxy_suite::runtime::native_runtime().unwrap_or_else(|e| panic!("{e}"));
    let temp = tempfile::tempdir().expect("temp dir");
    let mut config = ProcessConfig::new(format!("bench-{}", std::process::id()));
    config.runtime = Some(runtime);
    config.temp_root = Some(temp.path().to_path_buf());
    let factory = ProcessFactory::new(config).expect("factory");
    let tokio = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut n = 0u64;

    c.bench_function("process backend cold start (create + /init + /run)", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                n += 1;
                total += tokio.block_on(cold(&factory, n)).iter().sum::<Duration>();
            }
            total
        })
    });

    let mut steps: [Vec<Duration>; 3] = Default::default();
    let mut totals = Vec::new();
    for _ in 0..200 {
        n += 1;
        let times = tokio.block_on(cold(&factory, n));
        for (step, time) in steps.iter_mut().zip(times) {
            step.push(time);
        }
        totals.push(times.iter().sum());
    }
    let [create, init, run] = steps.map(median);
    let total = median(totals);
    println!(
        "200 cold starts, medians: create {create:?}, /init {init:?}, /run {run:?}; total {total:?} (target <= 20 ms: {})",
        if total <= Duration::from_millis(20) { "met" } else { "MISSED" }
    );
}

fn main() {
    let mut criterion =
        Criterion::default().sample_size(50).measurement_time(Duration::from_secs(8)).configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}
