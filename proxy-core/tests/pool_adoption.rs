//! Scenario tests of adoption at restart (D28) on the scripted backend and tokio's
//! paused clock: the survivors an earlier process left, with records in a ledger
//! directory of the test's own, are adopted as warm containers and serve the next
//! activation of their action without a create or an /init; the others are removed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use proxy_core::container::scripted::{Record, RecordingSink, ScriptedFactory, Step};
use proxy_core::container::{
    Action, ActionLimits, ActivationMessage, ContainerId, OperationError, ProxyConfig, ProxyDeps, Run,
};
use proxy_core::pool::{
    spawn_pool, AdoptionConfig, AdoptionRecord, Ledger, PoolConfig, PoolHandle, PoolSnapshot,
    PrewarmingConfig,
};

const NODE: &str = "nodejs:20";

/// A ledger directory of this process and test, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("proxy-adoption-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Harness {
    factory: Arc<ScriptedFactory>,
    sink: Arc<RecordingSink>,
    ledger: Ledger,
    dir: TempDir,
    pool: Option<PoolHandle>,
}

impl Harness {
    /// A scripted backend and a ledger; survivors and records are set up before
    /// [`start`](Self::start).
    fn new() -> Self {
        let dir = TempDir::new();
        Harness {
            factory: ScriptedFactory::new(),
            sink: RecordingSink::new(),
            ledger: Ledger::new(&dir.0),
            dir,
            pool: None,
        }
    }

    /// A survivor `id` left warm (or paused) with `action`, recorded in the ledger.
    fn survivor(&self, id: &str, paused: bool, action: &Action) {
        self.factory.script.survivor(id, paused);
        self.ledger.write(&ContainerId(id.into()), &AdoptionRecord::of(action, "guest")).unwrap();
    }

    /// Starts the pool and waits until it has adopted (it answers a snapshot only
    /// after that).
    async fn start(&mut self, user_memory_mb: u64, prewarm: Vec<PrewarmingConfig>) {
        let config = ProxyConfig { user_memory_mb, ..ProxyConfig::default() };
        let deps = Arc::new(ProxyDeps::new(self.factory.clone(), self.sink.clone(), config));
        let pool_config = PoolConfig {
            adoption: Some(AdoptionConfig { dir: self.dir.0.clone() }),
            ..PoolConfig::new(user_memory_mb, prewarm)
        };
        self.pool = Some(spawn_pool(pool_config, deps));
        self.pool().snapshot().await.expect("the pool runs");
    }

    fn pool(&self) -> &PoolHandle {
        self.pool.as_ref().expect("started")
    }

    async fn settle(&self) {
        for _ in 0..200 {
            tokio::task::yield_now().await;
        }
    }

    async fn snapshot(&self) -> PoolSnapshot {
        self.settle().await;
        self.pool().snapshot().await.expect("the pool runs")
    }

    async fn submit(&self, run: Run) {
        self.pool().submit(run).await.expect("the pool runs");
    }

    /// [creates, inits, runs, suspends, resumes, logs, destroys].
    fn calls(&self) -> [usize; 7] {
        self.factory.script.calls.snapshot()
    }

    fn removed_survivors(&self) -> Vec<String> {
        self.factory.script.removed_survivors.lock().unwrap().iter().map(|id| id.0.clone()).collect()
    }

    fn stored(&self) -> BTreeMap<String, usize> {
        let mut stored = BTreeMap::new();
        for record in self.sink.records() {
            if let Record::Store { activation_id, .. } = record {
                *stored.entry(activation_id).or_default() += 1;
            }
        }
        stored
    }

    /// Whether activation `id` was stored with an `initTime` (it ran /init).
    fn initialized(&self, id: &str) -> bool {
        let stored = self.sink.stored.lock().unwrap();
        let activation = stored.iter().find(|a| a.activation_id == id).expect("stored");
        activation.annotations.contains_key("initTime")
    }

    /// The containers the ledger holds records of.
    fn ledger_ids(&self) -> Vec<String> {
        self.ledger.read().unwrap().into_iter().map(|e| e.id.0).collect()
    }

    /// Waits (in real time: the ledger is written on the blocking pool) until the
    /// ids in the ledger satisfy `check`; returns them.
    async fn ledger_when(&self, check: impl Fn(&[String]) -> bool) -> Vec<String> {
        for _ in 0..500 {
            let ids = self.ledger_ids();
            if check(&ids) {
                return ids;
            }
            std::thread::sleep(Duration::from_millis(2));
            tokio::task::yield_now().await;
        }
        self.ledger_ids()
    }

    /// Waits until the ledger holds exactly `ids`.
    async fn ledger_becomes(&self, ids: &[&str]) {
        let found = self.ledger_when(|found| found == ids).await;
        assert_eq!(found, ids, "the ledger");
    }
}

fn action(name: &str, memory_mb: u64) -> Action {
    Action {
        kind: NODE.into(),
        limits: ActionLimits { timeout: Duration::from_secs(60), memory_mb, logs_mb: 0, max_concurrent: 1 },
        ..Action::new("guest", name, "runtime:latest", "function main() {}")
    }
}

fn job(action: &Action, id: &str) -> Run {
    Run::new(Arc::new(action.clone()), ActivationMessage::new(id, "guest"))
}

#[tokio::test(start_paused = true)]
async fn survivors_with_records_serve_their_next_activation_without_create_or_init() {
    let mut h = Harness::new();
    let (a, b) = (action("a", 256), action("b", 256));
    h.survivor("left-a", false, &a);
    h.survivor("left-b", true, &b);
    h.start(1024, vec![]).await;
    let at_start = h.snapshot().await;
    assert_eq!((at_start.adopted, at_start.free, at_start.memory_mb), (2, 2, 512), "{at_start:?}");
    assert_eq!(h.factory.script.calls.adopts.load(Ordering::SeqCst), 2);
    h.submit(job(&a, "a1")).await;
    h.submit(job(&b, "b1")).await;
    h.settle().await;
    // No create, no /init: two runs, and one resume for the paused one.
    assert_eq!(h.calls(), [0, 0, 2, 0, 1, 0, 0]);
    assert_eq!(h.stored(), BTreeMap::from([("a1".into(), 1), ("b1".into(), 1)]));
    assert!(!h.initialized("a1") && !h.initialized("b1"), "neither ran /init");
    let after = h.snapshot().await;
    assert_eq!((after.adopted, after.free, after.memory_mb), (0, 2, 512), "{after:?}");
    // The next runs reuse them as any warm container.
    h.submit(job(&a, "a2")).await;
    h.settle().await;
    assert_eq!(h.calls()[..3], [0, 0, 3]);
    assert_eq!(h.ledger_ids(), ["left-a", "left-b"], "their records stay while they do");
}

#[tokio::test(start_paused = true)]
async fn an_adopted_container_pauses_and_times_out_like_any_warm_one() {
    let mut h = Harness::new();
    let a = action("a", 256);
    h.survivor("left-a", false, &a);
    h.start(1024, vec![]).await;
    h.settle().await;
    // Ready: the pause grace (10 s) pauses it; the unused timeout (600 s) removes it.
    tokio::time::advance(Duration::from_secs(11)).await;
    h.settle().await;
    assert_eq!(h.calls()[3], 1, "paused after the grace");
    tokio::time::advance(Duration::from_secs(601)).await;
    h.settle().await;
    assert_eq!(h.calls()[6], 1, "removed after the unused timeout");
    let snapshot = h.snapshot().await;
    assert_eq!(
        (snapshot.adopted, snapshot.free, snapshot.memory_mb, snapshot.proxies),
        (0, 0, 0, 0),
        "{snapshot:?}"
    );
    h.ledger_becomes(&[]).await;
}

#[tokio::test(start_paused = true)]
async fn survivors_without_a_readable_record_are_removed_and_stale_records_deleted() {
    let mut h = Harness::new();
    let a = action("a", 256);
    h.survivor("kept", false, &a);
    h.factory.script.survivor("no-record", false);
    h.factory.script.survivor("bad-record", true);
    std::fs::write(h.ledger.path_of(&ContainerId("bad-record".into())), b"{ not a record").unwrap();
    h.ledger.write(&ContainerId("gone".into()), &AdoptionRecord::of(&a, "guest")).unwrap();
    h.start(1024, vec![]).await;
    let snapshot = h.snapshot().await;
    assert_eq!((snapshot.adopted, snapshot.memory_mb), (1, 256), "{snapshot:?}");
    assert_eq!(h.removed_survivors(), ["bad-record", "no-record"]);
    h.ledger_becomes(&["kept"]).await;
}

#[tokio::test(start_paused = true)]
async fn a_survivor_that_fails_the_alive_check_is_removed_with_its_record() {
    let mut h = Harness::new();
    let a = action("a", 256);
    h.survivor("dead", false, &a);
    h.factory.script.dead("dead");
    h.start(1024, vec![]).await;
    let snapshot = h.snapshot().await;
    assert_eq!((snapshot.adopted, snapshot.proxies), (0, 0), "{snapshot:?}");
    assert_eq!(h.removed_survivors(), ["dead"]);
    h.ledger_becomes(&[]).await;
    h.submit(job(&a, "a1")).await;
    h.settle().await;
    assert_eq!(h.calls()[..3], [1, 1, 1], "the run went cold");
}

#[tokio::test(start_paused = true)]
async fn a_changed_action_does_not_take_the_old_container_which_is_evicted_for_it() {
    let mut h = Harness::new();
    let old = action("a", 256);
    h.survivor("left-a", false, &old);
    h.start(256, vec![]).await;
    assert_eq!(h.snapshot().await.adopted, 1);
    // Same name and version, new code: another revision.
    let new = Action { code: Some("function main() { return {v: 2} }".into()), ..old.clone() };
    assert_ne!(AdoptionRecord::of(&new, "guest"), AdoptionRecord::of(&old, "guest"));
    h.submit(job(&new, "a1")).await;
    h.settle().await;
    // The idle adopted container was evicted to make room; the run went cold, with /init.
    assert_eq!(h.calls(), [1, 1, 1, 0, 0, 0, 1]);
    assert!(h.initialized("a1"));
    let snapshot = h.snapshot().await;
    assert_eq!((snapshot.adopted, snapshot.free, snapshot.memory_mb), (0, 1, 256), "{snapshot:?}");
    // The old record is gone; the new container's is written.
    let ids = h.ledger_when(|ids| ids.len() == 1 && ids[0] != "left-a").await;
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(ids[0].starts_with("scripted-"), "the cold container's record: {ids:?}");
}

#[tokio::test(start_paused = true)]
async fn another_invocation_namespace_does_not_take_the_adopted_container() {
    let mut h = Harness::new();
    let a = action("a", 256);
    h.survivor("left-a", false, &a);
    h.start(1024, vec![]).await;
    h.settle().await;
    h.submit(Run::new(Arc::new(a.clone()), ActivationMessage::new("x1", "someone-else"))).await;
    h.settle().await;
    assert_eq!(h.calls()[..3], [1, 1, 1], "a cold container for the other namespace");
    assert_eq!(h.snapshot().await.adopted, 1);
}

#[tokio::test(start_paused = true)]
async fn adopted_containers_count_in_the_budget_and_survivors_over_it_are_removed() {
    let mut h = Harness::new();
    for name in ["s1", "s2", "s3"] {
        h.survivor(name, true, &action(name, 256));
    }
    let prewarm = PrewarmingConfig {
        initial_count: 1,
        kind: NODE.into(),
        image: "runtime:latest".into(),
        memory_mb: 256,
        reactive: None,
    };
    h.start(512, vec![prewarm]).await;
    let snapshot = h.snapshot().await;
    assert_eq!((snapshot.adopted, snapshot.memory_mb, snapshot.prewarmed), (2, 512, 0), "{snapshot:?}");
    assert_eq!(h.removed_survivors(), ["s3"], "the one over the budget");
    assert_eq!(h.calls()[0], 0, "no room for the prewarm either");
    h.ledger_becomes(&["s1", "s2"]).await;
}

#[tokio::test(start_paused = true)]
async fn the_record_is_written_when_a_container_is_warm_and_removed_with_it() {
    let mut h = Harness::new();
    h.start(1024, vec![]).await;
    let a = action("a", 256);
    h.submit(job(&a, "a1")).await;
    h.settle().await;
    let ids = h.ledger_when(|ids| !ids.is_empty()).await;
    assert_eq!(ids.len(), 1, "{ids:?}");
    let entry = h.ledger.read().unwrap().remove(0);
    assert_eq!(entry.record.unwrap(), AdoptionRecord::of(&a, "guest"));
    let path = h.ledger.path_of(&entry.id);
    assert!(path.exists());
    // Paused after the grace, removed after the unused timeout: the record goes too.
    tokio::time::advance(Duration::from_secs(11)).await;
    h.settle().await;
    tokio::time::advance(Duration::from_secs(601)).await;
    h.settle().await;
    assert_eq!(h.calls()[6], 1);
    h.ledger_becomes(&[]).await;
}

#[tokio::test(start_paused = true)]
async fn a_resume_failure_of_an_adopted_paused_container_reschedules_the_job() {
    let mut h = Harness::new();
    let a = action("a", 256);
    h.survivor("left-a", true, &a);
    h.factory.script.resume(Step::now(Err(OperationError::new("unpause", "frozen for good"))));
    h.start(512, vec![]).await;
    h.settle().await;
    h.submit(job(&a, "a1")).await;
    h.settle().await;
    // The resume failed: the survivor was destroyed and the job ran cold, once.
    let [creates, inits, runs, _, resumes, _, destroys] = h.calls();
    assert_eq!((creates, inits, runs, resumes, destroys), (1, 1, 1, 1, 1));
    assert_eq!(h.stored(), BTreeMap::from([("a1".into(), 1)]));
    assert!(h.initialized("a1"));
    let snapshot = h.snapshot().await;
    assert_eq!((snapshot.adopted, snapshot.free, snapshot.memory_mb), (0, 1, 256), "{snapshot:?}");
}

#[tokio::test(start_paused = true)]
async fn without_adoption_survivors_are_left_to_the_backend() {
    let h = Harness::new();
    let a = action("a", 256);
    h.survivor("left-a", false, &a);
    let deps = Arc::new(ProxyDeps::new(h.factory.clone(), h.sink.clone(), ProxyConfig::default()));
    let pool = spawn_pool(PoolConfig::new(1024, vec![]), deps);
    h.settle().await;
    let snapshot = pool.snapshot().await.unwrap();
    assert_eq!((snapshot.adopted, snapshot.proxies), (0, 0), "{snapshot:?}");
    assert_eq!(h.factory.script.calls.adopts.load(Ordering::SeqCst), 0);
    assert!(h.removed_survivors().is_empty());
}
