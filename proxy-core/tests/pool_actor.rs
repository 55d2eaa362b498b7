//! Scenario tests of the pool actor on the scripted backend and tokio's paused
//! clock: which container each run goes to (warm, prewarmed, cold, after an
//! eviction, after waiting in the buffer), counted by the backend's calls, that
//! every job ends exactly once, and the periodic prewarm adjustment of reactive
//! kinds by their cold starts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use proxy_core::container::scripted::{
    ok_response, InitOutcome, Record, RecordingSink, Release, RunOutcome, ScriptedFactory, Step,
};
use proxy_core::container::{
    Action, ActionLimits, ActivationMessage, ActivationResponse, ProxyConfig, ProxyDeps, Run,
};
use proxy_core::pool::{
    spawn_pool, PoolConfig, PoolHandle, PoolSnapshot, PrewarmingConfig, ReactivePrewarmingConfig,
    ShutdownMode, ShutdownReport, SubmitError,
};
use tokio::time::advance;

const NODE: &str = "nodejs:20";

struct Harness {
    factory: Arc<ScriptedFactory>,
    sink: Arc<RecordingSink>,
    pool: PoolHandle,
}

impl Harness {
    fn new(user_memory_mb: u64, prewarm: Vec<PrewarmingConfig>) -> Self {
        Self::with(PoolConfig::new(user_memory_mb, prewarm))
    }

    fn with(pool_config: PoolConfig) -> Self {
        let factory = ScriptedFactory::new();
        let sink = RecordingSink::new();
        let config = ProxyConfig { user_memory_mb: pool_config.user_memory_mb, ..ProxyConfig::default() };
        let deps = Arc::new(ProxyDeps::new(factory.clone(), sink.clone(), config));
        let pool = spawn_pool(pool_config, deps);
        Harness { factory, sink, pool }
    }

    /// Lets every task run until all wait on the clock or on the test.
    async fn settle(&self) {
        for _ in 0..200 {
            tokio::task::yield_now().await;
        }
    }

    async fn snapshot(&self) -> PoolSnapshot {
        self.settle().await;
        self.pool.snapshot().await.expect("the pool runs")
    }

    /// Submits `run`, waiting for room in the feed.
    async fn submit(&self, run: Run) {
        self.pool.submit(run).await.expect("the pool runs");
    }

    /// [creates, inits, runs, suspends, resumes, logs, destroys].
    fn calls(&self) -> [usize; 7] {
        self.factory.script.calls.snapshot()
    }

    fn creates(&self) -> usize {
        self.calls()[0]
    }

    fn destroys(&self) -> usize {
        self.calls()[6]
    }

    /// How many times each activation was stored.
    fn stored(&self) -> BTreeMap<String, usize> {
        let mut stored = BTreeMap::new();
        for record in self.sink.records() {
            if let Record::Store { activation_id, .. } = record {
                *stored.entry(activation_id).or_default() += 1;
            }
        }
        stored
    }
}

fn action(name: &str, kind: &str, memory_mb: u64) -> Arc<Action> {
    Arc::new(Action {
        kind: kind.into(),
        limits: ActionLimits { timeout: Duration::from_secs(60), memory_mb, logs_mb: 0, max_concurrent: 1 },
        ..Action::new("guest", name, "runtime:latest", "function main() {}")
    })
}

fn job(action: &Arc<Action>, id: &str) -> Run {
    Run::new(action.clone(), ActivationMessage::new(id, "guest"))
}

fn prewarm(kind: &str, memory_mb: u64, initial_count: usize) -> PrewarmingConfig {
    PrewarmingConfig {
        initial_count,
        kind: kind.into(),
        image: "runtime:latest".into(),
        memory_mb,
        reactive: None,
    }
}

#[tokio::test(start_paused = true)]
async fn a_second_activation_reuses_the_warm_container() {
    let h = Harness::new(1024, vec![]);
    let hello = action("hello", NODE, 256);
    h.submit(job(&hello, "a1")).await;
    let after_first = h.snapshot().await;
    assert_eq!(h.creates(), 1);
    assert_eq!(after_first.free, 1, "{after_first:?}");
    h.submit(job(&hello, "a2")).await;
    h.settle().await;
    // One create and one /init: the second run went to the warm container.
    assert_eq!(h.calls()[..3], [1, 1, 2]);
    assert_eq!(h.stored(), BTreeMap::from([("a1".into(), 1), ("a2".into(), 1)]));
    let snapshot = h.snapshot().await;
    assert_eq!((snapshot.free, snapshot.busy, snapshot.memory_mb), (1, 0, 256), "{snapshot:?}");
}

#[tokio::test(start_paused = true)]
async fn a_prewarm_of_the_matching_kind_is_taken_and_replaced() {
    let h = Harness::new(1024, vec![prewarm(NODE, 256, 1)]);
    let at_start = h.snapshot().await;
    assert_eq!(h.creates(), 1, "the initial prewarm");
    assert_eq!((at_start.prewarmed, at_start.prewarm_starting), (1, 0), "{at_start:?}");
    h.submit(job(&action("hello", NODE, 256), "a1")).await;
    h.settle().await;
    // The prewarm ran it (one /init, no cold create) and a replacement was created.
    assert_eq!(h.calls()[..3], [2, 1, 1]);
    assert_eq!(h.stored(), BTreeMap::from([("a1".into(), 1)]));
    let snapshot = h.snapshot().await;
    assert_eq!((snapshot.free, snapshot.prewarmed, snapshot.memory_mb), (1, 1, 512), "{snapshot:?}");
}

/// D35: the replacement of a taken prewarm starts once the taken container reports
/// itself warm (here after its activation), not while it is being initialized
/// (upstream starts it at once, and its create competes with that `/init` and
/// `/run` for the CPU).
#[tokio::test(start_paused = true)]
async fn the_replacement_of_a_taken_prewarm_waits_for_its_init() {
    let h = Harness::new(1024, vec![prewarm(NODE, 256, 1)]);
    h.settle().await;
    let (initializing, release) = Step::held(InitOutcome::Ok);
    h.factory.script.init(initializing);
    h.submit(job(&action("hello", NODE, 256), "a1")).await;
    let during = h.snapshot().await;
    assert_eq!((h.creates(), during.prewarm_starting, during.prewarmed), (1, 0, 0), "{during:?}");
    release.release();
    h.settle().await;
    let after = h.snapshot().await;
    assert_eq!(h.creates(), 2, "the replacement, once /init answered");
    assert_eq!((after.free, after.prewarmed), (1, 1), "{after:?}");
    assert_eq!(h.stored(), BTreeMap::from([("a1".into(), 1)]));
}

#[tokio::test(start_paused = true)]
async fn a_different_kind_or_memory_goes_cold_and_leaves_the_prewarm() {
    let h = Harness::new(1024, vec![prewarm(NODE, 256, 1)]);
    h.settle().await;
    h.submit(job(&action("py", "python:3", 256), "a1")).await;
    h.submit(job(&action("big", NODE, 512), "a2")).await;
    let snapshot = h.snapshot().await;
    assert_eq!(h.creates(), 3, "the prewarm and two cold containers");
    assert_eq!((snapshot.prewarmed, snapshot.free), (1, 2), "{snapshot:?}");
    assert_eq!(h.stored(), BTreeMap::from([("a1".into(), 1), ("a2".into(), 1)]));
}

#[tokio::test(start_paused = true)]
async fn initial_prewarms_are_started_within_the_budget() {
    let h = Harness::new(512, vec![prewarm(NODE, 256, 3)]);
    let snapshot = h.snapshot().await;
    assert_eq!(h.creates(), 2);
    assert_eq!((snapshot.prewarmed, snapshot.memory_mb), (2, 512), "{snapshot:?}");
}

#[tokio::test(start_paused = true)]
async fn an_idle_warm_container_is_evicted_to_make_room() {
    let h = Harness::new(256, vec![]);
    h.submit(job(&action("one", NODE, 256), "a1")).await;
    h.settle().await;
    assert_eq!((h.creates(), h.destroys()), (1, 0));
    h.submit(job(&action("two", NODE, 256), "b1")).await;
    h.settle().await;
    // The warm container of `one` got Remove (destroyed), and `two` went cold.
    assert_eq!((h.creates(), h.destroys()), (2, 1));
    assert_eq!(h.stored(), BTreeMap::from([("a1".into(), 1), ("b1".into(), 1)]));
    let snapshot = h.snapshot().await;
    assert_eq!((snapshot.free, snapshot.memory_mb, snapshot.buffered), (1, 256, 0), "{snapshot:?}");
}

#[tokio::test(start_paused = true)]
async fn eviction_that_would_not_make_room_evicts_nothing() {
    // Deviation: upstream evicts min(256, 128) = the idle 128 MB container and
    // creates the 256 MB one regardless, 640 MB in a 512 MB budget.
    let h = Harness::new(512, vec![]);
    let (held, release) = Step::held(RunOutcome::Response(ok_response()));
    h.factory.script.run(held);
    h.submit(job(&action("busy", NODE, 384), "a1")).await;
    h.settle().await;
    h.submit(job(&action("small", NODE, 128), "b1")).await;
    h.settle().await;
    h.submit(job(&action("wide", NODE, 256), "c1")).await;
    let snapshot = h.snapshot().await;
    assert_eq!((h.creates(), h.destroys()), (2, 0));
    assert_eq!((snapshot.buffered, snapshot.memory_mb), (1, 512), "{snapshot:?}");
    release.release();
    h.settle().await;
    // Room now: the idle `busy` container (oldest) is evicted; `small` stays.
    assert_eq!((h.creates(), h.destroys()), (3, 1));
    let stored = h.stored();
    assert_eq!(stored, BTreeMap::from([("a1".into(), 1), ("b1".into(), 1), ("c1".into(), 1)]));
    assert!(h.snapshot().await.memory_mb <= 512);
}

#[tokio::test(start_paused = true)]
async fn with_no_room_and_nothing_idle_a_run_waits_then_runs_when_capacity_frees() {
    let h = Harness::new(256, vec![]);
    let hello = action("hello", NODE, 256);
    let (held, release) = Step::held(RunOutcome::Response(ok_response()));
    h.factory.script.run(held);
    h.submit(job(&hello, "a1")).await;
    h.settle().await;
    h.submit(job(&hello, "a2")).await;
    h.submit(job(&hello, "a3")).await;
    let waiting = h.snapshot().await;
    assert_eq!((waiting.busy, waiting.buffered), (1, 2), "{waiting:?}");
    assert_eq!(h.stored(), BTreeMap::new());
    release.release();
    h.settle().await;
    // Both waiting runs went, in order, to the one warm container.
    assert_eq!(h.calls()[..3], [1, 1, 3]);
    assert_eq!(h.stored(), BTreeMap::from([("a1".into(), 1), ("a2".into(), 1), ("a3".into(), 1)]));
    let order: Vec<String> = h
        .sink
        .records()
        .into_iter()
        .filter_map(|r| match r {
            Record::Store { activation_id, .. } => Some(activation_id),
            Record::Ack { .. } => None,
        })
        .collect();
    assert_eq!(order, ["a1", "a2", "a3"]);
    assert_eq!(h.snapshot().await.buffered, 0);
}

#[tokio::test(start_paused = true)]
async fn a_burst_over_a_small_budget_ends_every_job_exactly_once() {
    let h = Harness::new(512, vec![prewarm(NODE, 256, 1)]);
    let actions = [action("a", NODE, 256), action("b", NODE, 256), action("c", "python:3", 256)];
    const N: usize = 40;
    // Runs take 10-40 ms; every seventh fails with a 503, which hands its job back
    // to the pool and destroys the container.
    for i in 0..N + 10 {
        let outcome = if i % 7 == 3 { RunOutcome::Health } else { RunOutcome::Response(ok_response()) };
        h.factory.script.run(Step::after(Duration::from_millis(10 * (i as u64 % 4 + 1)), outcome));
    }
    for i in 0..N {
        h.submit(job(&actions[i % actions.len()], &format!("j{i}"))).await;
    }
    for _ in 0..500 {
        let snapshot = h.snapshot().await;
        assert!(snapshot.memory_mb <= 512, "over budget: {snapshot:?}");
        if h.stored().len() == N && snapshot.buffered == 0 {
            break;
        }
        advance(Duration::from_millis(5)).await;
    }
    let stored = h.stored();
    assert_eq!(stored.len(), N, "{stored:?}");
    assert!(stored.values().all(|&count| count == 1), "{stored:?}");
    assert!(h.destroys() > 0, "the 503s destroyed containers");
    // No container or proxy leaks: every container created is destroyed or held.
    let end = h.snapshot().await;
    let held = end.free + end.busy + end.prewarmed + end.prewarm_starting;
    assert_eq!(h.creates(), h.destroys() + held, "{end:?}");
    assert_eq!(end.proxies, held, "{end:?}");
}

#[tokio::test(start_paused = true)]
async fn a_removed_prewarm_frees_its_memory_at_once_and_is_backfilled() {
    // Room for one container: the taken prewarm's replacement does not fit
    // (deviation: upstream starts it regardless, over the budget).
    let h = Harness::new(256, vec![prewarm(NODE, 256, 1)]);
    h.settle().await;
    let failed = ActivationResponse::developer_error("The action did not initialize.");
    h.factory.script.init(Step::now(InitOutcome::Failed(failed)));
    let (held, release) = Step::held(Ok(()));
    h.factory.script.destroy(held);
    h.submit(job(&action("hello", NODE, 256), "a1")).await;
    h.settle().await;
    // /init failed: the job is stored, the proxy says ContainerRemoved(true) and
    // destroys its container (held). The pool counts its memory free at once and
    // backfills the prewarm while the destroy is under way.
    assert_eq!(h.stored(), BTreeMap::from([("a1".into(), 1)]));
    assert_eq!(h.creates(), 2, "the initial prewarm and its backfill");
    let snapshot = h.snapshot().await;
    assert_eq!((snapshot.free, snapshot.prewarmed, snapshot.memory_mb), (0, 1, 256), "{snapshot:?}");
    release.release();
    h.settle().await;
    assert_eq!((h.creates(), h.destroys()), (2, 1));
    assert_eq!(h.snapshot().await.proxies, 1);
}

#[tokio::test(start_paused = true)]
async fn a_rescheduled_container_stops_counting_and_its_job_runs_elsewhere() {
    let h = Harness::new(256, vec![]);
    let hello = action("hello", NODE, 256);
    h.submit(job(&hello, "a1")).await;
    h.settle().await;
    // The warm container answers the next /run with a 503: the proxy hands the job
    // back (Resend) and says RescheduleJob, then destroys its container (held).
    h.factory.script.run(Step::now(RunOutcome::Health));
    let (held, release) = Step::held(Ok(()));
    h.factory.script.destroy(held);
    h.submit(job(&hello, "a2")).await;
    h.settle().await;
    // Its memory is free at once: a2 went to a new container during the destroy.
    assert_eq!(h.creates(), 2);
    assert_eq!(h.stored(), BTreeMap::from([("a1".into(), 1), ("a2".into(), 1)]));
    let snapshot = h.snapshot().await;
    assert_eq!((snapshot.free, snapshot.memory_mb, snapshot.buffered), (1, 256, 0), "{snapshot:?}");
    release.release();
    h.settle().await;
    assert_eq!(h.destroys(), 1);
    assert_eq!(h.snapshot().await.proxies, 1);
}

/// A reactive kind: `min..=max` prewarms living `ttl`, `increment` more per
/// `threshold` cold starts.
fn reactive(
    kind: &str,
    initial_count: usize,
    (min, max): (usize, usize),
    ttl: Duration,
    (threshold, increment): (usize, usize),
) -> PrewarmingConfig {
    let reactive = ReactivePrewarmingConfig::new(min, max, ttl, threshold, increment).expect("valid");
    PrewarmingConfig { reactive: Some(reactive), ..prewarm(kind, 256, initial_count) }
}

/// A pool of 4096 MB whose adjustment first runs after a minute, then every minute.
fn ticking(prewarm: Vec<PrewarmingConfig>) -> Harness {
    Harness::with(PoolConfig {
        prewarm_expiration_check_init_delay: Duration::from_secs(60),
        prewarm_expiration_check_interval: Duration::from_secs(60),
        ..PoolConfig::new(4096, prewarm)
    })
}

const LONG: Duration = Duration::from_secs(3600);

#[test]
fn the_adjustment_defaults_are_upstreams() {
    let config = PoolConfig::new(512, vec![]);
    assert_eq!(config.prewarm_expiration_check_init_delay, Duration::from_secs(600));
    assert_eq!(config.prewarm_expiration_check_interval, Duration::from_secs(600));
    assert_eq!(config.prewarm_expiration_limit, 100);
    assert_eq!(PoolConfig::default().user_memory_mb, 1024);
}

#[tokio::test(start_paused = true)]
async fn with_no_cold_starts_the_tick_backfills_a_reactive_kind_to_min() {
    let h = ticking(vec![reactive(NODE, 0, (2, 4), LONG, (1, 1))]);
    assert_eq!(h.snapshot().await.prewarmed, 0, "initial count 0");
    advance(Duration::from_secs(59)).await;
    assert_eq!(h.snapshot().await.prewarmed, 0, "no tick before the initial delay");
    advance(Duration::from_secs(1)).await;
    let snapshot = h.snapshot().await;
    assert_eq!((snapshot.prewarmed, h.creates()), (2, 2), "{snapshot:?}");
}

#[tokio::test(start_paused = true)]
async fn the_tick_backfills_by_cold_starts_within_min_and_max() {
    // 5 cold starts / threshold 2 * increment 2 = 4, capped at max 3, of `NODE`;
    // 1 cold start of `python` / 2 * 2 = 0, raised to min 1.
    let h =
        ticking(vec![reactive(NODE, 0, (1, 3), LONG, (2, 2)), reactive("python:3", 0, (1, 5), LONG, (2, 2))]);
    for i in 0..5 {
        h.submit(job(&action(&format!("n{i}"), NODE, 256), &format!("n{i}"))).await;
    }
    h.submit(job(&action("p", "python:3", 256), "p")).await;
    // Cold too, but of a kind nobody prewarms and of another memory size: they
    // start no prewarm of their own.
    h.submit(job(&action("g", "go:1", 256), "g")).await;
    h.submit(job(&action("big", NODE, 512), "big")).await;
    h.settle().await;
    assert_eq!(h.creates(), 8, "all cold");
    advance(Duration::from_secs(60)).await;
    let snapshot = h.snapshot().await;
    assert_eq!(snapshot.prewarmed, 3 + 1, "{snapshot:?}");
    assert_eq!(h.creates(), 8 + 4);
}

#[tokio::test(start_paused = true)]
async fn below_the_threshold_cold_starts_are_raised_to_min() {
    // 2 cold starts / threshold 3 = 0 increments: min 1.
    let h = ticking(vec![reactive(NODE, 0, (1, 4), LONG, (3, 1))]);
    for i in 0..2 {
        h.submit(job(&action(&format!("n{i}"), NODE, 256), &format!("n{i}"))).await;
    }
    h.settle().await;
    advance(Duration::from_secs(60)).await;
    assert_eq!(h.snapshot().await.prewarmed, 1);
}

#[tokio::test(start_paused = true)]
async fn the_cold_start_count_resets_on_each_tick() {
    // Prewarms live 25 s and min is 0: the 3 started on the first tick (for 3 cold
    // starts) are gone by the second, which, with no cold start since, starts none.
    let h = ticking(vec![reactive(NODE, 0, (0, 4), Duration::from_secs(25), (1, 1))]);
    for i in 0..3 {
        h.submit(job(&action(&format!("n{i}"), NODE, 256), &format!("n{i}"))).await;
    }
    h.settle().await;
    advance(Duration::from_secs(60)).await;
    assert_eq!(h.snapshot().await.prewarmed, 3);
    advance(Duration::from_secs(30)).await;
    assert_eq!(h.snapshot().await.prewarmed, 0, "expired");
    advance(Duration::from_secs(30)).await;
    let snapshot = h.snapshot().await;
    assert_eq!((snapshot.prewarmed, snapshot.prewarm_starting), (0, 0), "{snapshot:?}");
    assert_eq!(h.creates(), 3 + 3);
    // A cold start after the reset counts in the next period.
    h.submit(job(&action("late", NODE, 256), "late")).await;
    h.settle().await;
    advance(Duration::from_secs(60)).await;
    assert_eq!(h.snapshot().await.prewarmed, 1);
}

/// A pool of `user_memory_mb` whose feed has `permits`.
fn fed(user_memory_mb: u64, permits: usize) -> Harness {
    Harness::with(PoolConfig { feed_capacity: Some(permits), ..PoolConfig::new(user_memory_mb, vec![]) })
}

#[test]
fn the_feed_defaults_to_one_permit_per_128_mb_as_upstream() {
    assert_eq!(PoolConfig::new(1024, vec![]).feed_permits(), 8);
    assert_eq!(PoolConfig::new(64, vec![]).feed_permits(), 1, "at least one");
    let zero = PoolConfig { feed_capacity: Some(0), ..PoolConfig::new(1024, vec![]) };
    assert_eq!(zero.feed_permits(), 1, "a zero is taken as one");
}

/// Deviation D29: a permit is upstream's `MessageFeed.Processed`, one per run, given
/// back when the run is sent to a container (upstream: on `NeedWork` with an empty
/// buffer, one per offer).
#[tokio::test(start_paused = true)]
async fn a_permit_comes_back_exactly_when_its_run_is_sent_to_a_container() {
    // Room for one container; two permits.
    let h = fed(256, 2);
    let hello = action("hello", NODE, 256);
    let (first, release_first) = Step::held(RunOutcome::Response(ok_response()));
    let (second, release_second) = Step::held(RunOutcome::Response(ok_response()));
    h.factory.script.run(first).run(second);
    h.submit(job(&hello, "a1")).await;
    h.settle().await;
    // a1 went to a container (its /run is held): its permit is back.
    assert_eq!((h.calls()[2], h.pool.room()), (1, 2));
    h.submit(job(&hello, "a2")).await;
    h.submit(job(&hello, "a3")).await;
    // Buffered runs hold their permits.
    let snapshot = h.snapshot().await;
    assert_eq!((snapshot.buffered, h.pool.room()), (2, 0), "{snapshot:?}");
    release_first.release();
    h.settle().await;
    // a2 left the buffer for the warm container (its /run is held now): one permit
    // back, a3 still holds its own.
    let snapshot = h.snapshot().await;
    assert_eq!((h.calls()[2], snapshot.buffered, h.pool.room()), (2, 1, 1), "{snapshot:?}");
    release_second.release();
    h.settle().await;
    assert_eq!(h.pool.room(), 2);
    assert_eq!(h.stored(), BTreeMap::from([("a1".into(), 1), ("a2".into(), 1), ("a3".into(), 1)]));
}

/// A pool with room for one 256 MB container and a feed of `permits`, running a1
/// of `hello` with its /run held: `hello`'s next runs wait in the buffer.
async fn one_held_run(permits: usize) -> (Harness, Arc<Action>, Release) {
    let h = fed(256, permits);
    let hello = action("hello", NODE, 256);
    let (held, release) = Step::held(RunOutcome::Response(ok_response()));
    h.factory.script.run(held);
    h.submit(job(&hello, "a1")).await;
    h.settle().await;
    (h, hello, release)
}

#[tokio::test(start_paused = true)]
async fn a_full_feed_gives_the_run_back_to_try_submit_and_makes_submit_wait() {
    let (h, hello, release) = one_held_run(1).await;
    h.submit(job(&hello, "a2")).await;
    h.settle().await;
    // a1 runs (held), a2 waits in the buffer with the only permit.
    assert_eq!(h.pool.room(), 0);
    let refused = h.pool.try_submit(job(&hello, "a3")).expect_err("the feed is full");
    assert!(matches!(&refused, SubmitError::Full(run) if run.msg.activation_id == "a3"), "{refused:?}");
    // The run comes back whole: the caller retries it later.
    let a3 = refused.into_run();
    let pool = h.pool.clone();
    let waiting = tokio::spawn(async move { pool.submit(a3).await });
    h.settle().await;
    assert!(!waiting.is_finished(), "submit waits while the feed is full");
    assert_eq!(h.snapshot().await.buffered, 1, "a3 is not in the pool yet");
    release.release();
    h.settle().await;
    // a2 went to the container, which gave a3's submit its permit.
    assert!(waiting.is_finished());
    waiting.await.expect("no panic").expect("the pool runs");
    h.settle().await;
    assert_eq!(h.stored(), BTreeMap::from([("a1".into(), 1), ("a2".into(), 1), ("a3".into(), 1)]));
    assert_eq!(h.pool.room(), 1);
}

#[tokio::test(start_paused = true)]
async fn runs_handed_back_by_a_proxy_take_no_permit() {
    // Every permit is out (a2 buffered) when the warm container answers a1 with a
    // 503: a1 comes back to the pool, without a permit, and still runs once.
    let h = fed(256, 1);
    let hello = action("hello", NODE, 256);
    h.submit(job(&hello, "a0")).await;
    h.settle().await;
    let (held, release) = Step::held(RunOutcome::Health);
    h.factory.script.run(held);
    h.submit(job(&hello, "a1")).await;
    h.settle().await;
    h.submit(job(&hello, "a2")).await;
    h.settle().await;
    assert_eq!(h.pool.room(), 0);
    release.release();
    h.settle().await;
    let stored = h.stored();
    assert_eq!(stored, BTreeMap::from([("a0".into(), 1), ("a1".into(), 1), ("a2".into(), 1)]));
    assert_eq!((h.pool.room(), h.snapshot().await.buffered), (1, 0));
}

/// The activation ids of `runs`, sorted.
fn ids(runs: &[Run]) -> Vec<String> {
    let mut ids: Vec<String> = runs.iter().map(|run| run.msg.activation_id.clone()).collect();
    ids.sort();
    ids
}

/// Each of `submitted` ended exactly once: stored once and not handed back, or
/// handed back and never stored.
fn each_ends_once(h: &Harness, submitted: &[&str], report: &ShutdownReport) {
    let stored = h.stored();
    let handed_back = ids(&report.handed_back);
    for id in submitted {
        let back = handed_back.iter().filter(|b| b == id).count();
        let times = stored.get(*id).copied().unwrap_or(0);
        assert_eq!(times + back, 1, "{id}: stored {times} times, handed back {back} times");
    }
    assert_eq!(handed_back.len() + stored.len(), submitted.len(), "{handed_back:?} {stored:?}");
}

/// D30: buffered runs come back in the report, the run in flight finishes within
/// the grace, the container is removed, and the pool's task ends: submits after it
/// (and one waiting on the full feed) get their run back.
#[tokio::test(start_paused = true)]
async fn a_shutdown_hands_back_the_buffer_lets_the_run_in_flight_finish_and_ends_the_pool() {
    let (h, hello, release) = one_held_run(2).await;
    h.submit(job(&hello, "a2")).await;
    h.submit(job(&hello, "a3")).await;
    let pool = h.pool.clone();
    let waiting = tokio::spawn(async move { pool.submit(job(&action("hello", NODE, 256), "a4")).await });
    assert_eq!(h.snapshot().await.buffered, 2);
    assert!(!waiting.is_finished(), "the feed is full");
    let pool = h.pool.clone();
    let start = tokio::time::Instant::now();
    let shutdown =
        tokio::spawn(async move { pool.shutdown(Duration::from_secs(5), ShutdownMode::Remove).await });
    h.settle().await;
    // The waiting submit got its run back at once.
    let refused = waiting.await.expect("no panic").expect_err("the pool is stopping");
    assert_eq!(refused.0.msg.activation_id, "a4");
    assert!(!shutdown.is_finished(), "a1 is still running");
    advance(Duration::from_secs(1)).await;
    release.release();
    let report = shutdown.await.expect("no panic").expect("the first shutdown gets the report");
    assert!(tokio::time::Instant::now() - start < Duration::from_secs(5), "within the grace");
    assert_eq!(ids(&report.handed_back), ["a2", "a3"]);
    assert_eq!((report.removed, report.left.len()), (1, 0), "{report:?}");
    each_ends_once(&h, &["a1", "a2", "a3"], &report);
    assert_eq!((h.creates(), h.destroys()), (1, 1));
    // The task has ended: its mailbox is closed.
    assert!(h.pool.snapshot().await.is_none());
    assert!(h.pool.shutdown(Duration::ZERO, ShutdownMode::Remove).await.is_none());
    let late = h.pool.try_submit(job(&hello, "a5")).expect_err("stopped");
    assert!(matches!(&late, SubmitError::Stopped(run) if run.msg.activation_id == "a5"), "{late:?}");
    let late = h.pool.submit(job(&hello, "a6")).await.expect_err("stopped");
    assert_eq!(late.0.msg.activation_id, "a6");
}

/// D30: a run still in flight when the grace runs out is handed back (it was not
/// answered) and its container destroyed anyway.
#[tokio::test(start_paused = true)]
async fn a_run_that_outlasts_the_grace_is_handed_back() {
    let h = Harness::new(1024, vec![]);
    let (held, _never) = Step::held(RunOutcome::Response(ok_response()));
    h.factory.script.run(held);
    h.submit(job(&action("hello", NODE, 256), "a1")).await;
    h.settle().await;
    let start = tokio::time::Instant::now();
    let report = h.pool.shutdown(Duration::from_secs(2), ShutdownMode::Remove).await.expect("a report");
    assert_eq!(tokio::time::Instant::now() - start, Duration::from_secs(2));
    assert_eq!(ids(&report.handed_back), ["a1"]);
    each_ends_once(&h, &["a1"], &report);
    h.settle().await;
    assert_eq!((h.creates(), h.destroys(), report.removed), (1, 1, 1));
}

/// A pool holding a paused container (`p`), an idle warm one (`i`), one running a
/// held run (`h`), a prewarm, and a prewarm still being created, shut down in
/// `mode` with a 5 s grace; the run and the creation complete within it.
async fn shut_down_mixed_pool(mode: ShutdownMode) -> (Harness, ShutdownReport) {
    let python = prewarm("python:3", 256, 1);
    let h = Harness::new(2048, vec![prewarm(NODE, 256, 1), python]);
    let (creating, created) = Step::held(Ok(()));
    h.factory.script.create(Step::now(Ok(()))).create(creating);
    h.settle().await;
    h.submit(job(&action("p", NODE, 128), "p1")).await;
    h.settle().await;
    advance(Duration::from_secs(10)).await;
    h.submit(job(&action("i", NODE, 512), "i1")).await;
    let (held, release) = Step::held(RunOutcome::Response(ok_response()));
    h.factory.script.run(held);
    h.submit(job(&action("h", "go:1", 256), "h1")).await;
    let snapshot = h.snapshot().await;
    assert_eq!(
        (snapshot.free, snapshot.busy, snapshot.prewarmed, snapshot.prewarm_starting),
        (2, 1, 1, 1),
        "{snapshot:?}"
    );
    let calls = h.calls();
    assert_eq!((calls[0], calls[3], calls[6]), (5, 1, 0), "p1's container paused");
    let pool = h.pool.clone();
    let shutdown = tokio::spawn(async move { pool.shutdown(Duration::from_secs(5), mode).await });
    h.settle().await;
    release.release();
    created.release();
    let report = shutdown.await.expect("no panic").expect("a report");
    assert!(report.handed_back.is_empty(), "{report:?}");
    each_ends_once(&h, &["p1", "i1", "h1"], &report);
    (h, report)
}

/// D30: the default shutdown removes every container: warm, paused, busy once its
/// run is done, the prewarm, and the prewarm once it is created.
#[tokio::test(start_paused = true)]
async fn a_shutdown_removes_warm_paused_busy_and_prewarm_containers() {
    let (h, report) = shut_down_mixed_pool(ShutdownMode::Remove).await;
    assert_eq!((report.removed, report.left.len()), (5, 0), "{report:?}");
    assert_eq!((h.creates(), h.destroys()), (5, 5), "every container destroyed");
}

/// D30, D32: `LeaveWarm` leaves the paused, the idle and the busy container (once
/// its run is done) in place, not destroyed, and removes the prewarms.
#[tokio::test(start_paused = true)]
async fn a_shutdown_that_leaves_warm_containers_removes_only_the_prewarms() {
    let (h, report) = shut_down_mixed_pool(ShutdownMode::LeaveWarm).await;
    assert_eq!((report.removed, report.left.len()), (2, 3), "{report:?}");
    // The three action containers (named after their action), not the prewarms.
    assert!(report.left.iter().all(|id| !id.0.contains("prewarm")), "{:?}", report.left);
    let calls = h.calls();
    assert_eq!((calls[0], calls[4], calls[6]), (5, 0, 2), "only the prewarms destroyed; nothing resumed");
}

/// D30: a prewarm whose creation outlasts the grace does not hold the shutdown up
/// for ever: the create goes on on its own task, the shutdown waits for it at most
/// `teardown_wait` and reports it unfinished.
#[tokio::test(start_paused = true)]
async fn a_prewarm_still_starting_at_the_end_of_the_grace_is_abandoned() {
    let config = PoolConfig {
        teardown_wait: Duration::from_secs(5),
        ..PoolConfig::new(1024, vec![prewarm(NODE, 256, 1)])
    };
    let h = Harness::with(config);
    let (creating, _never) = Step::held(Ok(()));
    h.factory.script.create(creating);
    assert_eq!(h.snapshot().await.prewarm_starting, 1);
    let start = tokio::time::Instant::now();
    let report = h.pool.shutdown(Duration::from_secs(3), ShutdownMode::LeaveWarm).await.expect("a report");
    assert_eq!(
        tokio::time::Instant::now() - start,
        Duration::from_secs(8),
        "the grace, then the teardown wait"
    );
    assert_eq!((report.removed, report.left.len(), report.handed_back.len()), (1, 0, 0), "{report:?}");
    assert_eq!(report.unfinished, 1, "the create still under way");
}

/// D30: a create that ends after its proxy was stopped past the grace does not
/// leak: its container is destroyed on the create's own task, and the shutdown
/// waits for that.
#[tokio::test(start_paused = true)]
async fn a_container_created_after_the_grace_is_destroyed() {
    let h = Harness::new(1024, vec![prewarm(NODE, 256, 1)]);
    h.factory.script.create(Step::after(Duration::from_secs(10), Ok(())));
    assert_eq!(h.snapshot().await.prewarm_starting, 1);
    let start = tokio::time::Instant::now();
    let report = h.pool.shutdown(Duration::from_secs(3), ShutdownMode::Remove).await.expect("a report");
    assert_eq!(tokio::time::Instant::now() - start, Duration::from_secs(10), "until the create ended");
    assert_eq!((report.removed, report.unfinished), (1, 0), "{report:?}");
    let calls = h.calls();
    assert_eq!((calls[0], calls[6]), (1, 1), "created late, then destroyed");
}

#[tokio::test(start_paused = true)]
async fn a_watcher_sees_each_proxy_spawn_schedule_and_move_through_its_states() {
    use proxy_core::pool::PoolEvent;
    let h = Harness::new(1024, vec![]);
    let mut watch = h.pool.watch();
    let hello = action("hello", NODE, 256);
    h.submit(job(&hello, "a1")).await;
    h.settle().await;
    h.submit(job(&hello, "a2")).await;
    h.settle().await;
    h.pool.shutdown(Duration::from_secs(1), ShutdownMode::Remove).await.expect("a report");
    let mut events = Vec::new();
    while let Ok(event) = watch.try_recv() {
        events.push(event);
    }
    let proxy = events[0].proxy();
    assert!(events.iter().all(|e| e.proxy() == proxy), "one container for both runs: {events:?}");
    assert!(matches!(events[0], PoolEvent::Spawned { state: "Uninitialized", .. }), "{events:?}");
    let how: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            PoolEvent::Scheduled { how, activation_id, action, .. } => {
                assert_eq!(&**action, "/guest/hello");
                Some((&**activation_id, *how))
            }
            _ => None,
        })
        .collect();
    assert_eq!(how, [("a1", "cold"), ("a2", "warmed")]);
    // Each transition starts where the previous ended, and the last event is the stop.
    let mut state = "Uninitialized";
    for event in &events {
        if let PoolEvent::Transition { transition, .. } = event {
            assert_eq!(transition.from, state, "{events:?}");
            state = transition.to;
        }
    }
    assert!(state != "Uninitialized", "transitions were seen: {events:?}");
    assert!(matches!(events.last(), Some(PoolEvent::Stopped { state: s, .. }) if *s == state), "{events:?}");
}
