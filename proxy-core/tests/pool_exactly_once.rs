//! Random stories of the pool actor on the scripted backend and tokio's paused
//! clock (issue 8, item 7): activations of 2-4 actions of different kinds, memory
//! and concurrency over a small budget, with optional prewarms, /init outcomes
//! (success, developer error, 503), /run outcomes
//! that succeed, fail as the developer's error, answer 503 (the job is handed back
//! and the pool resubmits it) or are held and released later in random order, and
//! clock advances. After each story, once everything is released and the pool is
//! quiet: every submitted activation was stored exactly once, the pool's memory
//! (sampled after every step) never exceeded its budget, and every container
//! created was destroyed or is still held by the pool. The pool's feed is small (1
//! to 4 permits): a submit it has no room for gets its run back
//! ([`SubmitError::Full`]), and the story retries it after every later step, so
//! nothing is lost when the pool is full. Some stories end with a shutdown of the
//! pool (removing or leaving its warm containers, with a grace the held runs may
//! outlast): then every activation is stored or handed back (in the report, or by
//! the closed feed), exactly once, and every container created is destroyed or
//! reported left.
//!
//! `PROXY_POOL_CASES` sets the number of stories (2,000 by default, CI's run);
//! `PROXY_POOL_SEED` replays a run's seed, which a failure prints with the shrunk
//! story as Rust to paste into a named test below.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use proxy_core::container::scripted::{
    ok_response, InitOutcome, Record, RecordingSink, Release, RunOutcome, ScriptedFactory, Step,
};
use proxy_core::container::{
    Action, ActionLimits, ActivationMessage, ActivationResponse, ProxyConfig, ProxyDeps, Run,
};
use proxy_core::pool::{
    spawn_pool, PoolConfig, PoolHandle, PoolSnapshot, PrewarmingConfig, ShutdownMode, SubmitError,
};

/// The variable that sets how many random stories a run tells.
const CASES_VAR: &str = "PROXY_POOL_CASES";
/// The variable that replays a run's seed.
const SEED_VAR: &str = "PROXY_POOL_SEED";
/// Stories per run when the variable is not set: CI's figure.
const DEFAULT_CASES: u32 = 2_000;
/// The kinds actions and prewarms are drawn from: two, so that a prewarm matches
/// some actions and not others.
const KINDS: [&str; 2] = ["nodejs:20", "python:3"];
/// How long, at most, the pool is given to become quiet after a story (clock time).
const QUIET_STEPS: usize = 400;

/// One action of a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ActionSpec {
    /// Index into [`KINDS`].
    kind: usize,
    memory_mb: u64,
    max_concurrent: usize,
}

/// The prewarm kind of a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PrewarmSpec {
    /// Index into [`KINDS`].
    kind: usize,
    memory_mb: u64,
    count: usize,
}

/// How one scripted /run ends, in the order the backend is asked (the script is
/// one queue for every container; runs past its end succeed at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Success, after this many ms.
    Ok(u64),
    /// The developer's error: the job ends, the container stays.
    DevError,
    /// A 503: the job is handed back to the pool and the container destroyed.
    Health,
    /// Success when a [`Op::Release`] (or the story's end) releases it.
    Held,
}

/// How one scripted /init ends, in the order the backend is asked (inits past
/// the script's end succeed at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Init {
    /// 200.
    Ok,
    /// The developer's error: the job ends with it, the container is destroyed.
    Failed,
    /// A 503: the container is unhealthy.
    Health,
}

/// One step of a story, after which the pool's memory is sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// Submits a new activation of this action (index into the story's actions).
    Submit(usize),
    /// Releases the held /run of this index (modulo the ones still held).
    Release(usize),
    /// Advances the paused clock by this many ms.
    Advance(u64),
}

/// How a story that shuts the pool down does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ShutdownSpec {
    grace_ms: u64,
    /// `ShutdownMode::LeaveWarm`, else `Remove`.
    leave: bool,
}

/// One random story.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Story {
    budget_mb: u64,
    /// The feed's permits.
    feed: usize,
    actions: Vec<ActionSpec>,
    prewarm: Option<PrewarmSpec>,
    inits: Vec<Init>,
    outcomes: Vec<Outcome>,
    ops: Vec<Op>,
    /// After the ops: a shutdown, or the pool left to become quiet.
    shutdown: Option<ShutdownSpec>,
}

impl Story {
    /// The story as Rust, to paste into a named test.
    fn paste(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Story {{");
        let _ = writeln!(s, "    budget_mb: {},", self.budget_mb);
        let _ = writeln!(s, "    feed: {},", self.feed);
        let _ = writeln!(s, "    actions: vec![");
        for a in &self.actions {
            let _ = writeln!(
                s,
                "        ActionSpec {{ kind: {}, memory_mb: {}, max_concurrent: {} }},",
                a.kind, a.memory_mb, a.max_concurrent
            );
        }
        let _ = writeln!(s, "    ],");
        match self.prewarm {
            None => {
                let _ = writeln!(s, "    prewarm: None,");
            }
            Some(p) => {
                let _ = writeln!(
                    s,
                    "    prewarm: Some(PrewarmSpec {{ kind: {}, memory_mb: {}, count: {} }}),",
                    p.kind, p.memory_mb, p.count
                );
            }
        }
        let inits: Vec<String> = self.inits.iter().map(|o| format!("Init::{o:?}")).collect();
        let _ = writeln!(s, "    inits: vec![{}],", inits.join(", "));
        let outcomes: Vec<String> = self.outcomes.iter().map(|o| format!("Outcome::{o:?}")).collect();
        let _ = writeln!(s, "    outcomes: vec![{}],", outcomes.join(", "));
        let ops: Vec<String> = self.ops.iter().map(|o| format!("Op::{o:?}")).collect();
        let _ = writeln!(s, "    ops: vec![{}],", ops.join(", "));
        let _ = writeln!(s, "    shutdown: {:?},", self.shutdown);
        let _ = write!(s, "}}");
        s
    }
}

fn story() -> impl Strategy<Value = Story> {
    let action = (0..KINDS.len(), prop_oneof![Just(128u64), Just(256u64)], 1..=2usize)
        .prop_map(|(kind, memory_mb, max_concurrent)| ActionSpec { kind, memory_mb, max_concurrent });
    let prewarm = proptest::option::of(
        (0..KINDS.len(), prop_oneof![Just(128u64), Just(256u64)], 1..=2usize)
            .prop_map(|(kind, memory_mb, count)| PrewarmSpec { kind, memory_mb, count }),
    );
    let outcome = prop_oneof![
        3 => (0..50u64).prop_map(Outcome::Ok),
        1 => Just(Outcome::DevError),
        1 => Just(Outcome::Health),
        2 => Just(Outcome::Held),
    ];
    let init = prop_oneof![4 => Just(Init::Ok), 1 => Just(Init::Failed), 1 => Just(Init::Health)];
    let op = prop_oneof![
        4 => (0..4usize).prop_map(Op::Submit),
        2 => (0..8usize).prop_map(Op::Release),
        2 => (1..100u64).prop_map(Op::Advance),
    ];
    (
        ((2..=8u64).prop_map(|n| n * 128), 1..=4usize),
        proptest::collection::vec(action, 2..=4),
        prewarm,
        proptest::collection::vec(init, 0..6),
        proptest::collection::vec(outcome, 0..16),
        (
            proptest::collection::vec(op, 1..24),
            proptest::option::weighted(
                0.3,
                (0..100u64, any::<bool>()).prop_map(|(grace_ms, leave)| ShutdownSpec { grace_ms, leave }),
            ),
        ),
    )
        .prop_map(|((budget_mb, feed), actions, prewarm, inits, outcomes, (mut ops, shutdown))| {
            // Submits address the story's actions.
            for op in &mut ops {
                if let Op::Submit(i) = op {
                    *i %= actions.len();
                }
            }
            Story { budget_mb, feed, actions, prewarm, inits, outcomes, ops, shutdown }
        })
}

/// A fresh runtime per case, on the paused clock: no case sees another's tasks or time.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime")
}

fn env_number(var: &str) -> Option<u64> {
    let value = std::env::var(var).ok()?;
    Some(value.trim().parse().unwrap_or_else(|_| panic!("{var} must be a number, not {value:?}")))
}

/// The pool of one story and what it talks to.
struct Harness {
    factory: Arc<ScriptedFactory>,
    sink: Arc<RecordingSink>,
    pool: PoolHandle,
    budget_mb: u64,
    /// The highest memory sampled, with the snapshot and step it was seen at.
    worst: Option<(PoolSnapshot, usize)>,
}

impl Harness {
    fn new(story: &Story) -> Self {
        let factory = ScriptedFactory::new();
        let sink = RecordingSink::new();
        let config = ProxyConfig { user_memory_mb: story.budget_mb, ..ProxyConfig::default() };
        let deps = Arc::new(ProxyDeps { factory: factory.clone(), sink: sink.clone(), config });
        let prewarm = story
            .prewarm
            .map(|p| PrewarmingConfig {
                initial_count: p.count,
                kind: KINDS[p.kind].into(),
                image: "runtime:latest".into(),
                memory_mb: p.memory_mb,
                reactive: None,
            })
            .into_iter()
            .collect();
        let config =
            PoolConfig { feed_capacity: Some(story.feed), ..PoolConfig::new(story.budget_mb, prewarm) };
        let pool = spawn_pool(config, deps);
        Harness { factory, sink, pool, budget_mb: story.budget_mb, worst: None }
    }

    /// Lets every task run until all wait on the clock or on the test.
    async fn settle(&self) {
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
    }

    /// Settles, then samples the pool's memory (step `step`).
    async fn sample(&mut self, step: usize) -> PoolSnapshot {
        self.settle().await;
        let snapshot = self.pool.snapshot().await.expect("the pool runs");
        if self.worst.is_none_or(|(worst, _)| snapshot.memory_mb > worst.memory_mb) {
            self.worst = Some((snapshot, step));
        }
        snapshot
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

    /// Offers the pool the runs it had no room for, in order, until it is full again.
    fn retry(&self, waiting: &mut VecDeque<Run>) -> Result<(), String> {
        while let Some(run) = waiting.pop_front() {
            match self.pool.try_submit(run) {
                Ok(()) => {}
                Err(SubmitError::Full(run)) => {
                    waiting.push_front(run);
                    break;
                }
                Err(SubmitError::Stopped(run)) => {
                    return Err(format!("the pool stopped; {} was refused", run.msg.activation_id))
                }
            }
        }
        Ok(())
    }
}

fn action(spec: &ActionSpec, index: usize) -> Arc<Action> {
    Arc::new(Action {
        kind: KINDS[spec.kind].into(),
        limits: ActionLimits {
            timeout: Duration::from_secs(60),
            memory_mb: spec.memory_mb,
            logs_mb: 0,
            max_concurrent: spec.max_concurrent,
        },
        ..Action::new("guest", format!("action{index}"), "runtime:latest", "function main() {}")
    })
}

/// Plays `story`; `Err` says which promise broke.
async fn play(story: &Story) -> Result<(), String> {
    let mut h = Harness::new(story);
    let actions: Vec<Arc<Action>> = story.actions.iter().enumerate().map(|(i, a)| action(a, i)).collect();
    let mut held: Vec<Release> = Vec::new();
    for outcome in &story.outcomes {
        let step = match *outcome {
            Outcome::Ok(ms) => Step::after(Duration::from_millis(ms), RunOutcome::Response(ok_response())),
            Outcome::DevError => Step::now(RunOutcome::Response(ActivationResponse::developer_error("boom"))),
            Outcome::Health => Step::now(RunOutcome::Health),
            Outcome::Held => {
                let (step, release) = Step::held(RunOutcome::Response(ok_response()));
                held.push(release);
                step
            }
        };
        h.factory.script.run(step);
    }
    for init in &story.inits {
        h.factory.script.init(Step::now(match init {
            Init::Ok => InitOutcome::Ok,
            Init::Failed => InitOutcome::Failed(ActivationResponse::developer_error("no init")),
            Init::Health => InitOutcome::Health,
        }));
    }
    let mut submitted = Vec::new();
    // Runs the full feed gave back, retried after every step.
    let mut waiting = VecDeque::new();
    h.sample(0).await;
    for (step, op) in story.ops.iter().enumerate() {
        match *op {
            Op::Submit(i) => {
                let id = format!("j{}", submitted.len());
                waiting.push_back(Run::new(actions[i].clone(), ActivationMessage::new(&id, "guest")));
                submitted.push(id);
            }
            Op::Release(i) => {
                if !held.is_empty() {
                    held.remove(i % held.len()).release();
                }
            }
            Op::Advance(ms) => tokio::time::advance(Duration::from_millis(ms)).await,
        }
        h.retry(&mut waiting)?;
        h.sample(step + 1).await;
    }
    if let Some(spec) = story.shutdown {
        return shut_down(h, spec, held, waiting, &submitted).await;
    }
    // The end: release what is still held (in order) and let the clock run until
    // the pool is quiet.
    for release in held.drain(..) {
        release.release();
    }
    let end_step = story.ops.len() + 1;
    let mut end = h.sample(end_step).await;
    for _ in 0..QUIET_STEPS {
        h.retry(&mut waiting)?;
        let quiet = waiting.is_empty() && end.busy == 0 && end.buffered == 0 && end.prewarm_starting == 0;
        if quiet && h.stored().len() == submitted.len() {
            break;
        }
        tokio::time::advance(Duration::from_millis(100)).await;
        end = h.sample(end_step).await;
    }
    let mut broken = Vec::new();
    if !waiting.is_empty() {
        broken.push(format!("{} runs never found room in the feed", waiting.len()));
    }
    let stored = h.stored();
    for id in &submitted {
        match stored.get(id) {
            Some(1) => {}
            Some(n) => broken.push(format!("{id} was stored {n} times")),
            None => broken.push(format!("{id} was never stored")),
        }
    }
    if let Some((worst, step)) = h.worst {
        if worst.memory_mb > h.budget_mb {
            broken.push(format!("over the budget of {} MB after step {step}: {worst:?}", h.budget_mb));
        }
    }
    let calls = h.factory.script.calls.snapshot();
    let (creates, destroys) = (calls[0], calls[6]);
    let holds = end.free + end.busy + end.prewarmed + end.prewarm_starting;
    if creates != destroys + holds {
        broken.push(format!("{creates} creates, {destroys} destroys, {holds} held: {end:?}"));
    }
    if end.proxies != holds {
        broken.push(format!("{} proxies for {holds} containers held: {end:?}", end.proxies));
    }
    if broken.is_empty() {
        Ok(())
    } else {
        Err(broken.join("; "))
    }
}

/// Ends a story with a shutdown: held runs are released as it begins (some may
/// outlast the grace), runs the feed never took are refused for good, and the
/// report accounts for everything else.
async fn shut_down(
    h: Harness,
    spec: ShutdownSpec,
    held: Vec<Release>,
    waiting: VecDeque<Run>,
    submitted: &[String],
) -> Result<(), String> {
    let mode = if spec.leave { ShutdownMode::LeaveWarm } else { ShutdownMode::Remove };
    let pool = h.pool.clone();
    let shutdown =
        tokio::spawn(async move { pool.shutdown(Duration::from_millis(spec.grace_ms), mode).await });
    for release in held {
        release.release();
    }
    let report = shutdown.await.map_err(|e| format!("the shutdown panicked: {e}"))?;
    let report = report.ok_or("the shutdown gave no report")?;
    let mut broken = Vec::new();
    let mut back: BTreeMap<String, usize> = BTreeMap::new();
    for run in &report.handed_back {
        *back.entry(run.msg.activation_id.clone()).or_default() += 1;
    }
    for run in waiting {
        match h.pool.try_submit(run) {
            Err(SubmitError::Stopped(run)) => *back.entry(run.msg.activation_id.clone()).or_default() += 1,
            Err(SubmitError::Full(run)) => {
                broken.push(format!("{} was refused as Full", run.msg.activation_id))
            }
            Ok(()) => broken.push("a stopped pool took a run".into()),
        }
    }
    // The destroys after the grace run on tasks of their own.
    h.settle().await;
    let stored = h.stored();
    for id in submitted {
        let (times, returned) = (stored.get(id).copied().unwrap_or(0), back.get(id).copied().unwrap_or(0));
        if times + returned != 1 {
            broken.push(format!("{id} was stored {times} times and handed back {returned} times"));
        }
    }
    if let Some((worst, step)) = h.worst {
        if worst.memory_mb > h.budget_mb {
            broken.push(format!("over the budget of {} MB after step {step}: {worst:?}", h.budget_mb));
        }
    }
    let calls = h.factory.script.calls.snapshot();
    let (creates, destroys) = (calls[0], calls[6]);
    if creates != destroys + report.left.len() {
        broken
            .push(format!("{creates} creates, {destroys} destroys, {} left: {report:?}", report.left.len()));
    }
    if !spec.leave && !report.left.is_empty() {
        broken.push(format!("containers left by a removing shutdown: {:?}", report.left));
    }
    if h.pool.snapshot().await.is_some() {
        broken.push("the pool still runs after its shutdown".into());
    }
    if broken.is_empty() {
        Ok(())
    } else {
        Err(broken.join("; "))
    }
}

#[test]
fn every_activation_ends_exactly_once_within_the_budget_in_random_stories() {
    let cases = env_number(CASES_VAR).map_or(DEFAULT_CASES, |n| u32::try_from(n).unwrap_or(u32::MAX));
    let seed = env_number(SEED_VAR).unwrap_or_else(|| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        now.as_nanos() as u64
    });
    let seed_bytes: Vec<u8> = seed.to_le_bytes().repeat(2);
    // The named tests below are this test's regression file.
    let config = Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::XorShift,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::XorShift, &seed_bytes);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&story(), |story| runtime().block_on(play(&story)).map_err(TestCaseError::fail));
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, story)) => {
            panic!("{SEED_VAR}={seed}: one of {cases} stories breaks the pool's promises ({reason}); shrunk:\n{}", story.paste())
        }
        Err(TestError::Abort(reason)) => panic!("{SEED_VAR}={seed}: the run was aborted: {reason}"),
    }
}

/// Plays one named story on the test's paused runtime.
async fn check(story: Story) {
    if let Err(broken) = play(&story).await {
        panic!("{broken}\n{}", story.paste());
    }
}

/// The checks can fail: a story whose every job is stored once passes, and the
/// harness itself is exercised on held runs released out of order, a 503 and a
/// developer error over a budget with room for two containers.
#[tokio::test(start_paused = true)]
async fn held_runs_released_out_of_order_end_once() {
    check(Story {
        budget_mb: 256,
        feed: 8,
        actions: vec![
            ActionSpec { kind: 0, memory_mb: 128, max_concurrent: 1 },
            ActionSpec { kind: 1, memory_mb: 128, max_concurrent: 2 },
        ],
        prewarm: Some(PrewarmSpec { kind: 0, memory_mb: 128, count: 1 }),
        inits: vec![Init::Ok, Init::Failed],
        outcomes: vec![Outcome::Held, Outcome::Held, Outcome::Health, Outcome::DevError, Outcome::Held],
        ops: vec![
            Op::Submit(0),
            Op::Submit(1),
            Op::Submit(1),
            Op::Submit(0),
            Op::Release(1),
            Op::Advance(10),
            Op::Release(0),
        ],
        shutdown: None,
    })
    .await;
}

/// Found by the random test (seed 1796189230923426333), shrunk: the prewarm fills
/// the budget and the run's action does not match it (128 MB, not 256). Upstream
/// evicts only idle warm containers, never a prewarm, so the run waited in the
/// buffer for ever; now the prewarm goes as a last resort (UPSTREAM.md D27).
#[tokio::test(start_paused = true)]
async fn a_run_no_prewarm_matches_starves_when_prewarms_fill_the_budget() {
    check(Story {
        budget_mb: 256,
        feed: 8,
        actions: vec![
            ActionSpec { kind: 0, memory_mb: 128, max_concurrent: 1 },
            ActionSpec { kind: 0, memory_mb: 128, max_concurrent: 1 },
        ],
        prewarm: Some(PrewarmSpec { kind: 0, memory_mb: 256, count: 1 }),
        inits: vec![],
        outcomes: vec![],
        ops: vec![Op::Submit(0)],
        shutdown: None,
    })
    .await;
}

/// Found by the random test once prewarms could be removed (seed
/// 1796189775696353593): the run waits behind an idle warm container and a prewarm
/// that only together make room for it; neither alone does. Both go (D27).
#[tokio::test(start_paused = true)]
async fn a_run_waiting_behind_an_idle_container_and_a_prewarm_gets_room_from_both() {
    check(Story {
        budget_mb: 256,
        feed: 8,
        actions: vec![
            ActionSpec { kind: 0, memory_mb: 256, max_concurrent: 1 },
            ActionSpec { kind: 0, memory_mb: 128, max_concurrent: 1 },
        ],
        prewarm: Some(PrewarmSpec { kind: 0, memory_mb: 128, count: 1 }),
        inits: vec![],
        outcomes: vec![],
        ops: vec![Op::Submit(1), Op::Submit(0)],
        shutdown: None,
    })
    .await;
}

/// Found by the random test (seed 1796189761401259584): a 503 at /init hands the job
/// back while the replacement prewarm is still starting and fills the budget; the
/// job must run once that prewarm is up (the pool looks at its buffer then, D27).
#[tokio::test(start_paused = true)]
async fn a_job_handed_back_while_a_prewarm_starts_runs_once_it_is_up() {
    check(Story {
        budget_mb: 256,
        feed: 8,
        actions: vec![
            ActionSpec { kind: 0, memory_mb: 128, max_concurrent: 1 },
            ActionSpec { kind: 0, memory_mb: 128, max_concurrent: 1 },
        ],
        prewarm: Some(PrewarmSpec { kind: 0, memory_mb: 256, count: 1 }),
        inits: vec![Init::Health],
        outcomes: vec![],
        ops: vec![Op::Submit(0)],
        shutdown: None,
    })
    .await;
}
