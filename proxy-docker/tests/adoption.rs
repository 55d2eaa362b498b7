//! Adoption at restart (proxy-core's D28) on the real engine: a pool with adoption
//! on runs three actions and dies with its containers paused (its runtime is
//! dropped, as a process that is killed: nothing is cleaned up); a new pool of the
//! same instance and ledger adopts them, and the next activation of each runs in
//! its old container with no create and no /init. Prints `skipped: ..` and passes
//! where no engine is reachable, unless `PROXY_REQUIRE_DOCKER=1`.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use proxy_core::container::scripted::RecordingSink;
use proxy_core::container::{
    Action, ActionLimits, Activation, ActivationMessage, ActivationStatus, ProxyConfig, ProxyDeps, Run,
};
use proxy_core::pool::{spawn_pool, AdoptionConfig, Ledger, PoolConfig, PoolHandle};
use proxy_docker::{DockerConfig, DockerFactory};
use serde_json::json;

use support::{eventually, runtime_image, with_env};

const N: usize = 3;

/// The ledger's directory, of this process, removed at the end.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn action(image: &str, i: usize) -> Arc<Action> {
    let code = format!("#!/bin/sh\necho \"run {i}\"\necho '{{\"n\": {i}}}'\n");
    let limits =
        ActionLimits { timeout: Duration::from_secs(10), memory_mb: 128, logs_mb: 1, max_concurrent: 1 };
    Arc::new(Action {
        limits,
        sentinelled_logs: true,
        ..Action::new("guest", format!("adopt{i}"), image, code)
    })
}

fn job(action: &Arc<Action>, id: String) -> Run {
    Run::new(action.clone(), ActivationMessage::new(id, "guest"))
}

fn pool(factory: &DockerFactory, sink: &Arc<RecordingSink>, dir: &std::path::Path) -> PoolHandle {
    let config = ProxyConfig { pause_grace: Duration::from_millis(100), ..ProxyConfig::default() };
    let deps = Arc::new(ProxyDeps::new(Arc::new(factory.clone()), sink.clone(), config));
    let adoption = Some(AdoptionConfig { dir: dir.to_path_buf() });
    spawn_pool(PoolConfig { adoption, ..PoolConfig::new(1024, vec![]) }, deps)
}

fn stored(sink: &RecordingSink, id: &str) -> Option<Activation> {
    sink.stored.lock().unwrap().iter().find(|a| a.activation_id == id).cloned()
}

/// The instance's containers and whether each is paused.
async fn containers(factory: &DockerFactory) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    for id in factory.owned_containers().await.expect("list") {
        let inspected = factory.docker().inspect_container(&id.0, None).await.expect("inspect");
        let paused = inspected.state.and_then(|s| s.paused) == Some(true);
        found.push((id.0, paused));
    }
    found.sort();
    found
}

/// Pool A, on a runtime of its own: runs one activation of each action, waits
/// until every container is recorded and paused (where the engine pauses), and
/// then its runtime is dropped, every task with it, as a killed process.
fn run_pool_a(config: DockerConfig, dir: PathBuf, actions: Vec<Arc<Action>>) -> Vec<(String, bool)> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let left = runtime.block_on(async move {
        let docker = proxy_docker::connect().await.expect("engine");
        let factory = DockerFactory::start(docker, config).await.expect("factory A");
        let sink = RecordingSink::new();
        let pool = pool(&factory, &sink, &dir);
        for (i, action) in actions.iter().enumerate() {
            pool.submit(job(action, format!("first-{i}"))).await.expect("pool A runs");
        }
        eventually("pool A stored every first activation", Duration::from_secs(60), || {
            let sink = sink.clone();
            async move { (0..N).all(|i| stored(&sink, &format!("first-{i}")).is_some()) }
        })
        .await;
        for i in 0..N {
            let activation = stored(&sink, &format!("first-{i}")).unwrap();
            assert_eq!(activation.response.status, ActivationStatus::Success, "{activation:?}");
            assert!(activation.annotations.contains_key("initTime"), "a cold start runs /init");
        }
        let ledger = Ledger::new(&dir);
        eventually("every container recorded in the ledger", Duration::from_secs(10), || {
            let ledger = ledger.clone();
            async move { ledger.read().map(|e| e.len() == N).unwrap_or(false) }
        })
        .await;
        let pauses = factory.config().pause;
        eventually("every container paused", Duration::from_secs(10), || {
            let factory = factory.clone();
            async move {
                let found = containers(&factory).await;
                let engine_pauses = factory.pause_supported() != Some(false);
                found.len() == N && (!pauses || !engine_pauses || found.iter().all(|(_, paused)| *paused))
            }
        })
        .await;
        containers(&factory).await
    });
    // No shutdown of the pool or the factory: its tasks are dropped where they stand.
    runtime.shutdown_timeout(Duration::from_secs(5));
    left
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_pool_adopts_the_warm_containers_and_runs_them_without_create_or_init() {
    with_env(
        "adopt",
        |c| c.keep_survivors = true,
        |env| async move {
            let image = runtime_image(&env.docker).await;
            let dir =
                TempDir(std::env::temp_dir().join(format!("proxy-adopt-engine-{}", std::process::id())));
            let _ = std::fs::remove_dir_all(&dir.0);
            let actions: Vec<Arc<Action>> = (0..N).map(|i| action(&image, i)).collect();

            let (config, path, taken) = (env.factory.config().clone(), dir.0.clone(), actions.clone());
            let left = tokio::task::spawn_blocking(move || run_pool_a(config, path, taken)).await.unwrap();
            assert_eq!(left.len(), N, "pool A left its containers: {left:?}");
            println!("pool A left {left:?} (paused: {:?})", env.factory.pause_supported());
            assert_eq!(containers(&env.factory).await, left, "still there after pool A died");

            // Pool B: same instance, same ledger, on this runtime's factory (which
            // `with_env` shuts down, removing every container, however the test ends).
            let sink = RecordingSink::new();
            let started = std::time::Instant::now();
            let pool = pool(&env.factory, &sink, &dir.0);
            let snapshot = pool.snapshot().await.expect("pool B runs");
            println!("pool B adopted {} containers in {:?}", snapshot.adopted, started.elapsed());
            assert_eq!(
                (snapshot.adopted, snapshot.free, snapshot.memory_mb),
                (N, N, 128 * N as u64),
                "{snapshot:?}"
            );

            let started = std::time::Instant::now();
            for (i, action) in actions.iter().enumerate() {
                pool.submit(job(action, format!("next-{i}"))).await.expect("pool B runs");
            }
            eventually("pool B stored every next activation", Duration::from_secs(30), || {
                let sink = sink.clone();
                async move { (0..N).all(|i| stored(&sink, &format!("next-{i}")).is_some()) }
            })
            .await;
            println!("pool B ran {N} activations on adopted containers in {:?}", started.elapsed());
            for i in 0..N {
                let activation = stored(&sink, &format!("next-{i}")).unwrap();
                assert_eq!(activation.response.status, ActivationStatus::Success, "{activation:?}");
                assert_eq!(
                    activation.response.result,
                    json!({"n": i}),
                    "each ran in its own action's container"
                );
                assert!(!activation.annotations.contains_key("initTime"), "no /init: {activation:?}");
                // Its own log line only: what the container wrote for pool A is not read again.
                assert_eq!(activation.logs.len(), 1, "{:?}", activation.logs);
                assert!(activation.logs[0].ends_with(&format!("stdout: run {i}")), "{:?}", activation.logs);
            }
            let ids: BTreeSet<String> =
                containers(&env.factory).await.into_iter().map(|(id, _)| id).collect();
            let before: BTreeSet<String> = left.into_iter().map(|(id, _)| id).collect();
            assert_eq!(ids, before, "no container created, none removed");
        },
    )
    .await;
}
