//! The container pool on the Docker backend and the runtime image: prewarms taken
//! and replaced, warm containers reused, and the least recently used idle container
//! evicted under a tight budget, each checked against the engine's own list of
//! containers and the activation records.
//!
//! Each prints `skipped: no Docker engine at ..` and passes where no engine is
//! reachable, unless `PROXY_REQUIRE_DOCKER=1`. Every container carries the
//! `proxy.test` label of this process and is removed when the test ends, however it
//! ends (`support::with_env`).

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use proxy_core::container::scripted::RecordingSink;
use proxy_core::container::{
    Action, Activation, ActivationMessage, ActivationStatus, ProxyConfig, ProxyDeps, Run,
};
use proxy_core::pool::{spawn_pool, PoolConfig, PoolHandle, PoolSnapshot, PrewarmingConfig};
use serde_json::json;
use support::{eventually, pool_action, runtime_image, submit, with_env, Env, RecordingFactory};

const KIND: &str = "blackbox";
const MEMORY_MB: u64 = 256;
const SCRIPT: &str = "#!/bin/sh\necho '{\"greeting\": \"hello\"}'\n";
/// How long any one step may take on a loaded engine.
const PATIENCE: Duration = Duration::from_secs(60);

/// A pool on the test's factory (recorded) and a recording sink.
struct Pool {
    pool: PoolHandle,
    factory: Arc<RecordingFactory>,
    sink: Arc<RecordingSink>,
}

impl Pool {
    fn spawn(env: &Env, config: PoolConfig) -> Self {
        let factory = RecordingFactory::new(env.factory.clone());
        let sink = RecordingSink::new();
        // No pause while a test runs: a paused container is still listed, but the
        // tests read the pool's view too.
        let proxy = ProxyConfig {
            pause_grace: Duration::from_secs(3600),
            user_memory_mb: config.user_memory_mb,
            destroy_retry_delay: Duration::from_millis(100),
            ..ProxyConfig::default()
        };
        let deps = Arc::new(ProxyDeps::new(factory.clone(), sink.clone(), proxy));
        Pool { pool: spawn_pool(config, deps), factory, sink }
    }

    async fn snapshot(&self) -> PoolSnapshot {
        self.pool.snapshot().await.expect("the pool runs")
    }

    /// Waits until the pool's snapshot satisfies `check`.
    async fn until(&self, what: &str, check: impl Fn(&PoolSnapshot) -> bool) {
        eventually(what, PATIENCE, || async { check(&self.snapshot().await) }).await;
    }

    /// Submits `run` and waits until its activation is stored.
    async fn run(&self, run: Run) -> Activation {
        let id = run.msg.activation_id.clone();
        submit(&self.pool, run).await;
        eventually(&format!("{id} stored"), PATIENCE, || async { self.stored(&id).is_some() }).await;
        self.stored(&id).expect("stored")
    }

    fn stored(&self, id: &str) -> Option<Activation> {
        self.sink.stored.lock().expect("not poisoned").iter().find(|a| a.activation_id == id).cloned()
    }
}

fn action(image: &str, name: &str) -> Arc<Action> {
    pool_action(image, name, KIND, SCRIPT, MEMORY_MB)
}

fn job(action: &Arc<Action>, id: &str) -> Run {
    Run::new(action.clone(), ActivationMessage::new(id, "guest"))
}

fn succeeded(activation: &Activation) {
    assert_eq!(activation.response.status, ActivationStatus::Success, "{activation:?}");
    assert_eq!(activation.response.result, json!({"greeting": "hello"}), "{activation:?}");
}

/// The ids of the engine's containers of this test run.
async fn engine_containers(env: &Env) -> BTreeSet<String> {
    Env::test_containers(&env.docker).await.into_iter().collect()
}

#[tokio::test]
async fn a_prewarm_is_taken_without_a_create_replaced_and_its_container_reused_warm() {
    with_env(
        "pool-prewarm",
        |_| {},
        |env| async move {
            let image = runtime_image(&env.docker).await;
            let prewarm = PrewarmingConfig {
                initial_count: 1,
                kind: KIND.into(),
                image: image.clone(),
                memory_mb: MEMORY_MB,
                reactive: None,
            };
            let pool = Pool::spawn(&env, PoolConfig::new(4 * MEMORY_MB, vec![prewarm]));
            pool.until("the prewarm is up", |s| s.prewarmed == 1 && s.prewarm_starting == 0).await;
            let created = pool.factory.created();
            assert_eq!(created.len(), 1, "{created:?}");
            assert!(created[0].name.contains("_prewarm_"), "{created:?}");
            let prewarmed = created[0].id.clone();
            assert_eq!(engine_containers(&env).await, BTreeSet::from([prewarmed.clone()]));

            // The first activation of the kind goes to the prewarm: /init, no create
            // for the action; the pool starts a replacement prewarm.
            let hello = action(&image, "hello");
            let first = pool.run(job(&hello, "a1")).await;
            succeeded(&first);
            assert!(first.annotations.contains_key("initTime"), "it initialized the prewarm: {first:?}");
            pool.until("the replacement is up", |s| s.prewarmed == 1 && s.free == 1).await;
            let created = pool.factory.created();
            assert_eq!(created.len(), 2, "one create since: the replacement, {created:?}");
            assert!(created[1].name.contains("_prewarm_"), "the create was a prewarm's: {created:?}");
            assert!(
                !created.iter().any(|c| c.name.contains("hello")),
                "no create for the action: {created:?}"
            );
            let replacement = created[1].id.clone();
            let both = BTreeSet::from([prewarmed.clone(), replacement.clone()]);
            assert_eq!(engine_containers(&env).await, both, "the taken prewarm lives on, warm");

            // The second activation of the action reuses the warm container: no
            // create, no /init, the engine's list unchanged.
            let second = pool.run(job(&hello, "a2")).await;
            succeeded(&second);
            assert!(!second.annotations.contains_key("initTime"), "a warm run has no init: {second:?}");
            assert_eq!(pool.factory.created().len(), 2);
            assert_eq!(engine_containers(&env).await, both);
            let snapshot = pool.snapshot().await;
            assert_eq!((snapshot.free, snapshot.prewarmed, snapshot.busy), (1, 1, 0), "{snapshot:?}");
        },
    )
    .await;
}

#[tokio::test]
async fn under_a_budget_of_two_the_third_action_evicts_the_least_recently_used() {
    with_env(
        "pool-evict",
        |_| {},
        |env| async move {
            let image = runtime_image(&env.docker).await;
            let pool = Pool::spawn(&env, PoolConfig::new(2 * MEMORY_MB, vec![]));
            let (one, two, three) = (action(&image, "one"), action(&image, "two"), action(&image, "three"));
            succeeded(&pool.run(job(&one, "one-1")).await);
            succeeded(&pool.run(job(&two, "two-1")).await);
            pool.until("both idle", |s| s.free == 2 && s.busy == 0).await;
            // Used again, `two` then `one`: `two`'s container is now the least
            // recently used, though `one`'s was created first.
            succeeded(&pool.run(job(&two, "two-2")).await);
            succeeded(&pool.run(job(&one, "one-2")).await);
            pool.until("both idle again", |s| s.free == 2 && s.busy == 0).await;
            let created = pool.factory.created();
            assert_eq!(created.len(), 2, "{created:?}");
            let (first, second) = (created[0].id.clone(), created[1].id.clone());
            assert!(created[0].name.ends_with("_guest_one"), "{created:?}");
            assert_eq!(engine_containers(&env).await, BTreeSet::from([first.clone(), second.clone()]));

            // `three` does not fit: the idle container least recently used (`two`'s,
            // last used before `one`'s second run) goes, and `three` starts cold.
            succeeded(&pool.run(job(&three, "three-1")).await);
            let created = pool.factory.created();
            assert_eq!(created.len(), 3, "{created:?}");
            assert!(created[2].name.ends_with("_guest_three"), "{created:?}");
            let third = created[2].id.clone();
            let expected = BTreeSet::from([first.clone(), third.clone()]);
            eventually("the engine lost exactly the evicted container", PATIENCE, || async {
                engine_containers(&env).await == expected
            })
            .await;
            let snapshot = pool.snapshot().await;
            assert_eq!((snapshot.free, snapshot.memory_mb), (2, 2 * MEMORY_MB), "{snapshot:?}");
            // `one` is still warm: its next run makes no create.
            let again = pool.run(job(&one, "one-3")).await;
            succeeded(&again);
            assert!(!again.annotations.contains_key("initTime"), "{again:?}");
            assert_eq!(pool.factory.created().len(), 3);
        },
    )
    .await;
}
