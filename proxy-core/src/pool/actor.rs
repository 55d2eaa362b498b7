//! The pool actor (upstream's `ContainerPool` actor, reference section 4): owns one
//! container proxy per container, speaks their parent protocol
//! ([`ToParent`]), and applies the pure decisions of [`schedule`](mod@super::schedule)
//! to each job handed to it with [`PoolHandle::submit`].
//!
//! It is a plain tokio task, not a machine on the lifecycle driver: the pool has a
//! single state (its maps and buffer change, the set of legal messages does not),
//! so a lifecycle table would have one row per message from that state to itself
//! and would check nothing; and the driver's inbox takes one machine's events,
//! where the pool's loop must merge its callers' jobs with the notices of a
//! changing set of proxies, each tagged with the proxy's key. A task reading one
//! channel, into which the callers, the pool itself (upstream's `self ! run`) and
//! a forwarder per proxy write, keeps upstream's single-mailbox ordering.
//!
//! Prewarms are kept as upstream keeps them: started at once, replaced when taken
//! or removed, and, when any configured kind is reactive, adjusted on a periodic
//! tick (upstream's `AdjustPrewarmedContainer`) from the cold starts counted per
//! kind and memory since the last tick (see [`PoolConfig`]).
//!
//! With [`PoolConfig::adoption`] set, the pool first adopts the warm containers an
//! earlier process of its instance left (deviation D28, module `adopt` and
//! [`adoption`](crate::pool::adoption)), then starts its prewarms; a run takes a
//! warm container first, then an adopted one whose record matches, then a prewarm.
//!
//! Callers submit through the pool's feed ([`feed`](super::feed)): a bounded
//! number of runs wait in the mailbox and the buffer, and a run's permit comes back
//! when the run is sent to a container (upstream's `MessageFeed.Processed`, D29).
//!
//! [`PoolHandle::shutdown`] stops it ([`shutdown`](super::shutdown)): the feed
//! closes, the buffered runs go back in the report, every proxy is shut down with
//! the grace (its containers removed, or warm ones left for adoption), and once the
//! last proxy has stopped the mailbox closes and the task ends.
//!
//! Deviations from upstream, each on purpose:
//! - Eviction happens only if, once the chosen containers are gone, the new one
//!   fits the budget; upstream evicts `min(action memory, free memory)` and then
//!   creates regardless, which overcommits when busy containers hold the rest.
//! - The replacement of a taken prewarm is started only if it fits the budget
//!   (upstream starts it regardless); the next `ContainerRemoved { replace_prewarm:
//!   true }` backfills it.
//! - `NeedWork(Warm)` from a proxy the pool does not track is ignored with a
//!   warning (upstream throws in the actor); the count never goes below zero.
//! - A proxy that stops while still tracked is dropped from every map, so its
//!   memory is not counted forever (upstream watches no child).
//! - The buffer's warning is rate-limited pool-wide (upstream: per run).
//! - `RescheduleJob` resends the buffer's head, as `ContainerRemoved` does: the
//!   memory it stops counting may make room, and a proxy that sent it sends
//!   nothing more (upstream leaves the buffer to the next unrelated message).
//! - The adjustment tick has no random variance
//!   (`prewarmExpirationCheckIntervalVariance`, which upstream adds to spread the
//!   sweeps of many invokers): one pool's ticks are exactly
//!   [`PoolConfig::prewarm_expiration_check_interval`] apart, which the tests rely
//!   on. A zero interval schedules no tick (tokio's interval refuses zero).
//! - The feed's permit comes back when its run is sent to a container, one per run
//!   (D29; upstream's `Processed` follows capacity offers with an empty buffer).
//! - The pool shuts down (D30; upstream's has no shutdown): nothing it holds is
//!   lost, and warm containers may be left for adoption (D32).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::container::{
    spawn_proxy, Capacity, ContainerId, ContainerProxyAny, ContainerProxyEvent, ProxyDeps, Run, StartSpec,
    ToParent,
};
use crate::machine::driver::{Notice, Running};

mod adopt;

use super::adoption::{Adoption, AdoptionConfig};
use super::config::{ColdStartKey, PrewarmingConfig};
use super::data::{MemoryData, PoolData, PreWarmedData, WarmedData};
use super::feed::{default_feed_permits, Fed, Feed, PoolStopped, SubmitError};
use super::schedule::{
    has_pool_space_for, increase_prewarms, memory_consumption_of, remove, remove_expired, FreePool,
};
use super::shutdown::{Request, ShutdownMode, ShutdownReport, Stopping};
use super::watch::{PoolEvent, Watchers};

/// How often, at most, the pool warns that runs wait in its buffer (upstream's
/// `logMessageInterval`).
const BUFFER_WARNING_INTERVAL: Duration = Duration::from_secs(10);

/// Upstream's default `prewarm-expiration-check-init-delay` (10 minutes).
pub const DEFAULT_PREWARM_EXPIRATION_CHECK_INIT_DELAY: Duration = Duration::from_secs(600);
/// Upstream's default `prewarm-expiration-check-interval` (10 minutes).
pub const DEFAULT_PREWARM_EXPIRATION_CHECK_INTERVAL: Duration = Duration::from_secs(600);
/// Upstream's default `prewarm-expiration-limit`.
pub const DEFAULT_PREWARM_EXPIRATION_LIMIT: usize = 100;
/// How long a shutdown waits for the creates and destroys left under way by
/// default: long enough for an engine under load, bounded so that a hung engine
/// does not hold a shutdown for ever.
pub const DEFAULT_TEARDOWN_WAIT: Duration = Duration::from_secs(30);
/// Upstream's default `user-memory` (1024 MB).
pub const DEFAULT_USER_MEMORY_MB: u64 = 1024;

/// What a pool is given (upstream's `ContainerPoolConfig` and `prewarmConfig`).
///
/// Build it with [`PoolConfig::new`], or with a struct literal ending in
/// `..PoolConfig::default()`: the adjustment fields then take upstream's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// The memory all containers together may use, in MB (upstream's
    /// `userMemory`), prewarms and prewarms being started included. Default
    /// [`DEFAULT_USER_MEMORY_MB`].
    pub user_memory_mb: u64,
    /// The prewarm kinds, started at once within the budget. Default: none.
    pub prewarm: Vec<PrewarmingConfig>,
    /// When the first prewarm adjustment runs after the pool starts (upstream's
    /// `prewarmExpirationCheckInitDelay`). Default
    /// [`DEFAULT_PREWARM_EXPIRATION_CHECK_INIT_DELAY`].
    pub prewarm_expiration_check_init_delay: Duration,
    /// How often the adjustment runs after that (upstream's
    /// `prewarmExpirationCheckInterval`, without its variance; zero: never).
    /// Default [`DEFAULT_PREWARM_EXPIRATION_CHECK_INTERVAL`].
    pub prewarm_expiration_check_interval: Duration,
    /// The most expired prewarms one adjustment removes (upstream's
    /// `prewarmExpirationLimit`); the rest wait for the next. Default
    /// [`DEFAULT_PREWARM_EXPIRATION_LIMIT`].
    pub prewarm_expiration_limit: usize,
    /// How long a shutdown waits, after its grace, for the creates and destroys
    /// its proxies left under way ([`Teardown`](crate::container::teardown::Teardown));
    /// those still under way then are counted in
    /// [`ShutdownReport::unfinished`](super::shutdown::ShutdownReport::unfinished).
    /// Default [`DEFAULT_TEARDOWN_WAIT`].
    pub teardown_wait: Duration,
    /// Adoption of warm containers at restart (D28): where the ledger of adoption
    /// records lives. Default: none (every survivor is left to the backend, which
    /// removes them at start).
    pub adoption: Option<AdoptionConfig>,
    /// How many submitted runs may wait in the pool (mailbox and buffer together)
    /// before callers wait or are told to retry (upstream's feed capacity,
    /// `maxPeek`). `None` (the default): upstream's derivation from the memory,
    /// [`default_feed_permits`]; see [`PoolConfig::feed_permits`].
    pub feed_capacity: Option<usize>,
}

impl PoolConfig {
    /// A pool of `user_memory_mb` with the `prewarm` kinds and upstream's default
    /// adjustment timing and limit.
    pub fn new(user_memory_mb: u64, prewarm: Vec<PrewarmingConfig>) -> Self {
        PoolConfig { user_memory_mb, prewarm, ..PoolConfig::default() }
    }

    /// The feed's permits: [`feed_capacity`](Self::feed_capacity) if set (a zero
    /// taken as 1: a feed must admit something), else one per 128 MB of
    /// `user_memory_mb` ([`default_feed_permits`]).
    ///
    /// ```
    /// use proxy_core::pool::PoolConfig;
    /// assert_eq!(PoolConfig::new(2048, vec![]).feed_permits(), 16);
    /// let config = PoolConfig { feed_capacity: Some(3), ..PoolConfig::new(2048, vec![]) };
    /// assert_eq!(config.feed_permits(), 3);
    /// ```
    pub fn feed_permits(&self) -> usize {
        self.feed_capacity.map_or_else(|| default_feed_permits(self.user_memory_mb), |n| n.max(1))
    }
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            user_memory_mb: DEFAULT_USER_MEMORY_MB,
            prewarm: Vec::new(),
            prewarm_expiration_check_init_delay: DEFAULT_PREWARM_EXPIRATION_CHECK_INIT_DELAY,
            prewarm_expiration_check_interval: DEFAULT_PREWARM_EXPIRATION_CHECK_INTERVAL,
            prewarm_expiration_limit: DEFAULT_PREWARM_EXPIRATION_LIMIT,
            teardown_wait: DEFAULT_TEARDOWN_WAIT,
            adoption: None,
            feed_capacity: None,
        }
    }
}

/// Identifies one proxy the pool owns: the pool's analogue of upstream's child
/// `ActorRef`. Keys are never reused within a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProxyKey(pub u64);

/// What the pool holds at one instant, for tests and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolSnapshot {
    /// Containers with room for another activation (upstream's `freePool`).
    pub free: usize,
    /// Containers at their concurrency limit (upstream's `busyPool`).
    pub busy: usize,
    /// Prewarms ready to be taken (upstream's `prewarmedPool`).
    pub prewarmed: usize,
    /// Adopted containers no run has taken yet (counted in `free` too).
    pub adopted: usize,
    /// Prewarms being created (upstream's `prewarmStartingPool`).
    pub prewarm_starting: usize,
    /// Runs waiting for room (upstream's `runBuffer`).
    pub buffered: usize,
    /// The memory of every container above, in MB.
    pub memory_mb: u64,
    /// Proxies still running, tracked or not (one being removed is not tracked).
    pub proxies: usize,
    /// Activations the pool counts in flight on its free and busy containers: one
    /// more per run it sends, one fewer per `NeedWork(Warm)`; zero once every
    /// activation ended, if the proxies' capacity signals balance.
    pub activations: usize,
    /// Containers reported left behind (`DestroyFailed`) since the pool started.
    pub destroy_failed: usize,
}

/// The callers' side of a pool: cheap to clone.
#[derive(Debug, Clone)]
pub struct PoolHandle {
    tx: mpsc::UnboundedSender<Msg>,
    feed: Feed,
    watchers: Watchers,
}

impl PoolHandle {
    /// Hands the pool a job, once the feed has room for it (waiting meanwhile). It
    /// runs on a warm, prewarmed or new container, or waits in the pool's buffer
    /// until one has room; it ends exactly once, through the proxies'
    /// [`ActivationSink`](crate::container::ActivationSink). Fails, giving the job
    /// back, once the pool has stopped or is shutting down.
    ///
    /// Dropping the future before it resolves drops the job with it: the pool
    /// never had it.
    pub async fn submit(&self, run: Run) -> Result<(), PoolStopped> {
        let fed = self.feed.admit(run).await?;
        self.send_fed(fed)
    }

    /// Hands the pool a job if the feed has room for it now: as
    /// [`submit`](Self::submit), but a full feed gives the job back at once
    /// ([`SubmitError::Full`]: retry later).
    pub fn try_submit(&self, run: Run) -> Result<(), SubmitError> {
        let fed = self.feed.try_admit(run)?;
        Ok(self.send_fed(fed)?)
    }

    /// How many more jobs the feed takes now without waiting: its permits not held
    /// by jobs in the pool's mailbox or buffer.
    pub fn room(&self) -> usize {
        self.feed.room()
    }

    fn send_fed(&self, fed: Fed) -> Result<(), PoolStopped> {
        self.tx.send(Msg::Run(fed)).map_err(|mpsc::error::SendError(msg)| match msg {
            Msg::Run(fed) => PoolStopped(fed.run),
            // Only a run was sent.
            _ => unreachable!("submit sends a run"),
        })
    }

    /// Shuts the pool down and reports what became of its work (see
    /// [`shutdown`](super::shutdown)): from this call on, submits get their job back
    /// ([`PoolStopped`], [`SubmitError::Stopped`]); the buffered jobs and those the
    /// proxies hand back are in the report; every proxy gets `grace` to finish its
    /// runs, and its container is removed or, with [`ShutdownMode::LeaveWarm`] and
    /// if warm, left in place. Returns once the pool's task has ended, `grace` and
    /// the proxies' last destroys after the call at most.
    ///
    /// `None` if the pool had stopped already, or another shutdown is under way
    /// (its caller gets the report). Dropping the future before it resolves drops
    /// the report: the jobs in it are logged as lost.
    pub async fn shutdown(&self, grace: Duration, mode: ShutdownMode) -> Option<ShutdownReport> {
        self.feed.close();
        let (reply, answer) = oneshot::channel();
        self.tx.send(Msg::Shutdown(Request { grace, mode, reply })).ok()?;
        answer.await.ok()
    }

    /// Subscribes to what the pool's proxies do from now on ([`PoolEvent`], module
    /// [`watch`](super::watch)): their creation, transitions, runs and end. A proxy
    /// created before the call is first heard of by its next transition.
    pub fn watch(&self) -> tokio::sync::broadcast::Receiver<PoolEvent> {
        self.watchers.subscribe()
    }

    /// What the pool holds once it has handled every message sent before this call;
    /// `None` if it has stopped.
    pub async fn snapshot(&self) -> Option<PoolSnapshot> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(Msg::Snapshot(reply)).ok()?;
        answer.await.ok()
    }
}

/// Starts a pool on its own task: the initial prewarms of `config` are started at
/// once, within the budget, each on a proxy built from `deps`. If any prewarm kind
/// is reactive, the prewarms are adjusted periodically (see [`PoolConfig`]).
pub fn spawn_pool(config: PoolConfig, deps: Arc<ProxyDeps>) -> PoolHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let reactive = config.prewarm.iter().any(|c| c.reactive.is_some());
    let interval = config.prewarm_expiration_check_interval;
    if reactive && !interval.is_zero() {
        spawn_adjustment_ticks(tx.clone(), config.prewarm_expiration_check_init_delay, interval);
    }
    let feed = Feed::new(config.feed_permits());
    let watchers = Watchers::default();
    let mut pool = Pool::new(config, deps, tx.clone(), watchers.clone());
    tokio::spawn(async move {
        pool.adopt_survivors().await;
        pool.adjust_prewarms(true, false);
        pool.run(rx).await;
    });
    PoolHandle { tx, feed, watchers }
}

/// Upstream's `scheduleAtFixedRate(initDelay, interval)` of
/// `AdjustPrewarmedContainer`: a tick into the pool's mailbox, so that it is
/// handled in order with everything else.
fn spawn_adjustment_ticks(tx: mpsc::UnboundedSender<Msg>, init_delay: Duration, interval: Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(Instant::now() + init_delay, interval);
        // A pool that fell behind adjusts once, not once per missed period.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if tx.send(Msg::AdjustPrewarms).is_err() {
                break;
            }
        }
    });
}

/// One message in the pool's mailbox.
enum Msg {
    /// A job, from a caller (with its feed permit), from the pool itself, or handed
    /// back by a proxy.
    Run(Fed),
    /// A proxy's notice.
    Proxy(ProxyKey, Notice<ContainerProxyEvent, ToParent>),
    /// A snapshot request.
    Snapshot(oneshot::Sender<PoolSnapshot>),
    /// The periodic prewarm adjustment (upstream's `AdjustPrewarmedContainer`).
    AdjustPrewarms,
    /// The notices of a proxy ended: it stopped, and every notice it sent is in the
    /// mailbox ahead of this.
    NoticesEnded(ProxyKey),
    /// [`PoolHandle::shutdown`].
    Shutdown(Request),
}

/// The pool's state (reference section 4's `State`).
struct Pool {
    config: PoolConfig,
    deps: Arc<ProxyDeps>,
    /// Where the pool sends to itself and where the forwarders write.
    tx: mpsc::UnboundedSender<Msg>,
    next_key: u64,
    proxies: HashMap<ProxyKey, Running<ContainerProxyAny>>,
    free: FreePool<ProxyKey, ContainerId>,
    busy: BTreeMap<ProxyKey, PoolData<ContainerId>>,
    prewarmed: BTreeMap<ProxyKey, PreWarmedData<ContainerId>>,
    prewarm_starting: BTreeMap<ProxyKey, (String, u64)>,
    /// The replacement of a prewarm a run took, by the proxy that took it, started
    /// once that proxy reports itself warm (`NeedWork`) or goes (D35).
    replacements: HashMap<ProxyKey, StartSpec>,
    /// Runs waiting for room, each with its caller's feed permit if it has one.
    buffer: VecDeque<Fed>,
    /// The activation id of the buffer's head while it is resent to the pool
    /// (upstream's `resent`, PR #4593): only the head is resent, once at a time.
    resent: Option<String>,
    last_buffer_warning: Option<Instant>,
    /// Cold starts of a configured prewarm kind and memory since the last
    /// adjustment (upstream's `coldStartCount`).
    cold_starts: HashMap<ColdStartKey, usize>,
    /// `DestroyFailed` reports so far (for [`PoolSnapshot::destroy_failed`]).
    destroy_failed: usize,
    /// Adoption's bookkeeping, when it is on.
    adoption: Option<Adoption<ProxyKey>>,
    /// Set once a shutdown began: the pool schedules nothing more.
    stopping: Option<Stopping>,
    /// Who watches the proxies ([`PoolHandle::watch`]).
    watchers: Watchers,
}

/// How a container was found for a run, for the log (upstream's `containerState`).
type Found = (ProxyKey, PoolData<ContainerId>, &'static str);

impl Pool {
    fn new(
        config: PoolConfig,
        deps: Arc<ProxyDeps>,
        tx: mpsc::UnboundedSender<Msg>,
        watchers: Watchers,
    ) -> Self {
        Pool {
            adoption: config.adoption.as_ref().map(Adoption::new),
            config,
            deps,
            tx,
            next_key: 0,
            proxies: HashMap::new(),
            free: FreePool::new(),
            busy: BTreeMap::new(),
            prewarmed: BTreeMap::new(),
            prewarm_starting: BTreeMap::new(),
            replacements: HashMap::new(),
            buffer: VecDeque::new(),
            resent: None,
            last_buffer_warning: None,
            cold_starts: HashMap::new(),
            destroy_failed: 0,
            stopping: None,
            watchers,
        }
    }

    async fn run(&mut self, mut rx: mpsc::UnboundedReceiver<Msg>) {
        // The pool holds a sender itself, so the channel does not close on its own:
        // the task runs until a shutdown has stopped every proxy.
        while let Some(msg) = rx.recv().await {
            self.handle(msg);
            if self.stopping.as_ref().is_some_and(Stopping::proxies_done) {
                break;
            }
        }
        // The mailbox closes (sends fail from now on, giving their job back), and
        // the jobs still in it, submitted before the feed closed, go back too.
        rx.close();
        while let Some(msg) = rx.recv().await {
            self.handle(msg);
        }
        if let Some(mut stopping) = self.stopping.take() {
            // Proxies stopped past the grace may still be destroying their
            // containers: the report waits for them and names those left behind.
            let teardown = &self.deps.teardown;
            let config = &self.deps.config;
            teardown.destroy_unclaimed(config.destroy_attempts, config.destroy_retry_delay);
            match tokio::time::timeout(self.config.teardown_wait, teardown.settled()).await {
                Ok(failed) => stopping.destroys_failed(failed, 0),
                Err(_) => stopping.destroys_failed(teardown.take_failed(), teardown.pending()),
            }
            stopping.finish();
        }
    }

    fn handle(&mut self, msg: Msg) {
        match (msg, &mut self.stopping) {
            (Msg::Run(fed), None) => self.on_run(fed),
            (Msg::Run(fed), Some(stopping)) => stopping.hand_back(fed.run),
            (Msg::Proxy(key, notice), None) => self.on_notice(key, notice),
            (Msg::Proxy(key, notice), Some(stopping)) => stopping.on_notice(key, notice),
            (Msg::NoticesEnded(key), Some(stopping)) => stopping.proxy_ended(key),
            // `Notice::Stopped` came first and did what there is to do.
            (Msg::NoticesEnded(_), None) => {}
            (Msg::Snapshot(reply), _) => {
                let _ = reply.send(self.snapshot());
            }
            (Msg::AdjustPrewarms, None) => self.on_adjust_tick(),
            (Msg::AdjustPrewarms, Some(_)) => {}
            (Msg::Shutdown(request), None) => self.begin_shutdown(request),
            // Dropping the reply tells the second caller; the first gets the report.
            (Msg::Shutdown(_), Some(_)) => {}
        }
    }

    /// Hands the buffer back, and shuts every proxy down on a task of its own, with
    /// `Release` for the warm ones to leave, else with the proxy's own `Remove`.
    /// The proxies' notices keep coming through their forwarders until each ends.
    fn begin_shutdown(&mut self, Request { grace, mode, reply }: Request) {
        // The permits go with the runs: the feed is closed already.
        let buffered: Vec<Run> = self.buffer.drain(..).map(|fed| fed.run).collect();
        let proxies: Vec<(ProxyKey, Running<ContainerProxyAny>)> = self.proxies.drain().collect();
        let waiting = proxies.iter().map(|(key, _)| *key).collect();
        tracing::info!(
            buffered = buffered.len(),
            proxies = proxies.len(),
            ?mode,
            ?grace,
            "pool shutting down"
        );
        self.stopping = Some(Stopping::new(reply, buffered, self.resent.take(), waiting));
        for (key, running) in proxies {
            // Free and busy containers run (or are being readied for) an action; the
            // rest are prewarms, or on their way out already.
            let release = mode == ShutdownMode::LeaveWarm
                && (self.free.contains_key(&key) || self.busy.contains_key(&key));
            tokio::spawn(async move {
                let stopped = if release {
                    running.shutdown_with(grace, ContainerProxyEvent::Release).await
                } else {
                    running.shutdown(grace).await
                };
                if let Err(error) = stopped {
                    tracing::error!(proxy = key.0, %error, "proxy task failed at shutdown");
                }
            });
        }
        self.free = FreePool::new();
        self.busy.clear();
        self.prewarmed.clear();
        self.prewarm_starting.clear();
        self.replacements.clear();
    }

    fn snapshot(&self) -> PoolSnapshot {
        PoolSnapshot {
            free: self.free.len(),
            busy: self.busy.len(),
            prewarmed: self.prewarmed.len(),
            adopted: self.adopted_untaken(),
            prewarm_starting: self.prewarm_starting.len(),
            buffered: self.buffer.len(),
            memory_mb: self.used_mb().sum::<u64>() + self.starting_mb().sum::<u64>(),
            proxies: self.proxies.len(),
            activations: self
                .busy
                .values()
                .chain(self.free.iter().map(|(_, data)| data))
                .map(PoolData::active_activation_count)
                .sum(),
            destroy_failed: self.destroy_failed,
        }
    }

    /// The memory of the busy, free and prewarmed containers.
    fn used_mb(&self) -> impl Iterator<Item = u64> + '_ {
        let busy = self.busy.values().map(PoolData::memory_mb);
        let free = self.free.iter().map(|(_, data)| data.memory_mb());
        let prewarmed = self.prewarmed.values().map(|p| p.memory_mb);
        busy.chain(free).chain(prewarmed)
    }

    fn starting_mb(&self) -> impl Iterator<Item = u64> + '_ {
        self.prewarm_starting.values().map(|(_, memory)| *memory)
    }

    fn has_space_for(&self, memory_mb: u64) -> bool {
        has_pool_space_for(self.used_mb(), self.starting_mb(), memory_mb, self.config.user_memory_mb)
    }

    /// A new proxy, its notices forwarded into the pool's mailbox under its key.
    fn new_proxy(&mut self) -> ProxyKey {
        let key = ProxyKey(self.next_key);
        self.next_key += 1;
        let (running, mut notices) = spawn_proxy(self.deps.clone());
        let state = ContainerProxyAny::META.initial;
        self.watchers.send(|| PoolEvent::Spawned { proxy: key, state, at: Instant::now() });
        let tx = self.tx.clone();
        let watchers = self.watchers.clone();
        tokio::spawn(async move {
            // A batch at a time: what the proxy handed over since the last look.
            let mut batch = Vec::new();
            while notices.recv_many(&mut batch).await > 0 {
                for notice in batch.drain(..) {
                    // Transitions are for watchers; the pool acts on messages only.
                    if let Notice::Transition(transition) = notice {
                        watchers.send(|| PoolEvent::Transition { proxy: key, transition });
                        continue;
                    }
                    if let Notice::Stopped { state, .. } = &notice {
                        let state = *state;
                        watchers.send(|| PoolEvent::Stopped { proxy: key, state });
                    }
                    if tx.send(Msg::Proxy(key, notice)).is_err() {
                        return;
                    }
                }
            }
            // Behind every notice the proxy sent, even if its task failed.
            let _ = tx.send(Msg::NoticesEnded(key));
        });
        self.proxies.insert(key, running);
        key
    }

    /// Sends `event` to the proxy of `key`; a run it cannot take comes back to the
    /// pool, so that it still ends exactly once.
    fn send(&mut self, key: ProxyKey, event: ContainerProxyEvent) {
        let refused = match self.proxies.get(&key) {
            Some(running) => running.send(event).err(),
            None => Some(event),
        };
        if let Some(ContainerProxyEvent::Run(run)) = refused {
            tracing::warn!(proxy = key.0, activation = %run.msg.activation_id, "proxy gone; run resubmitted");
            self.resubmit(run);
        }
    }

    /// Puts `run` in the pool's mailbox, without a feed permit: it was admitted
    /// once already.
    fn resubmit(&self, run: Run) {
        // The pool holds the receiver while it runs, so this send cannot fail.
        let _ = self.tx.send(Msg::Run(Fed::internal(run)));
    }

    /// Upstream's `prewarmContainer`: a new proxy asked to start a prewarm.
    fn start_prewarm(&mut self, spec: StartSpec) {
        let key = self.new_proxy();
        self.prewarm_starting.insert(key, (spec.kind.clone(), spec.memory_mb));
        self.send(key, ContainerProxyEvent::Start(spec));
    }

    /// Upstream's `adjustPrewarmedContainer(init, scheduled)`: starts the prewarms
    /// each kind lacks, each only if it fits. `scheduled` (the periodic tick) sizes
    /// reactive kinds by their cold starts.
    fn adjust_prewarms(&mut self, init: bool, scheduled: bool) {
        let counts = increase_prewarms(
            init,
            scheduled,
            &self.cold_starts,
            &self.config.prewarm,
            self.prewarmed.values(),
            // A replacement waiting for its /init counts as starting: it will be.
            self.prewarm_starting
                .values()
                .map(|(kind, memory)| (kind.as_str(), *memory))
                .chain(self.replacements.values().map(|spec| (spec.kind.as_str(), spec.memory_mb))),
        );
        let configs = self.config.prewarm.clone();
        for (config, count) in configs.iter().zip(counts) {
            for _ in 0..count.to_start() {
                if self.has_space_for(config.memory_mb) {
                    self.start_prewarm(config.start_spec());
                } else {
                    tracing::warn!(kind = %config.kind, memory_mb = config.memory_mb, "no room to prewarm");
                }
            }
        }
    }

    /// Upstream's `case AdjustPrewarmedContainer` (`adjustPrewarmedContainer(false,
    /// true)`): removes expired prewarms (oldest first, at most the limit), backfills
    /// every kind to its desired count, and starts a new cold-start period.
    fn on_adjust_tick(&mut self) {
        let expired = remove_expired(
            &self.config.prewarm,
            self.prewarmed.iter(),
            self.config.prewarm_expiration_limit,
            Instant::now(),
        );
        for key in expired {
            tracing::debug!(proxy = key.0, "removing an expired prewarm");
            // Dropped now, so the backfill below counts it gone.
            self.prewarmed.remove(&key);
            self.send(key, ContainerProxyEvent::Remove);
        }
        for (key, count) in &self.cold_starts {
            tracing::info!(kind = %key.kind, memory_mb = key.memory_mb, count, "cold starts since the last adjustment");
        }
        self.adjust_prewarms(false, true);
        self.cold_starts.clear();
    }

    /// Upstream's `incrementColdStartCount`: only a kind and memory some prewarm
    /// config has are counted.
    fn count_cold_start(&mut self, kind: &str, memory_mb: u64) {
        if self.config.prewarm.iter().any(|c| c.kind == kind && c.memory_mb == memory_mb) {
            let key = ColdStartKey { kind: kind.to_owned(), memory_mb };
            *self.cold_starts.entry(key).or_default() += 1;
        }
    }

    /// Upstream's `takePrewarmContainer`: the prewarm of the action's exact kind and
    /// memory that expires first (one that never expires counts as expiring now),
    /// moved to the free pool, with a replacement started if it fits.
    ///
    /// Deviation (UPSTREAM.md D35): the replacement starts once the taken
    /// container reports itself warm (`NeedWork`: after its first activation, or
    /// after `/init` for an action of concurrency > 1) or goes, not at once: creating and
    /// starting a container competes for the invoker's CPU with the very `/init`
    /// and `/run` the prewarm was kept for, which measured 3-5 ms slower on a
    /// 2-core machine (BENCHMARKS.md section 7.3).
    fn take_prewarm(&mut self, run: &Run) -> Option<(ProxyKey, PoolData<ContainerId>)> {
        let kind = &run.action.kind;
        let memory_mb = run.action.limits.memory_mb;
        let now = Instant::now();
        let (&key, _) = self
            .prewarmed
            .iter()
            .filter(|(_, p)| &p.kind == kind && p.memory_mb == memory_mb)
            .min_by_key(|(key, p)| (p.expires.unwrap_or(now), **key))?;
        let data = PoolData::PreWarmed(self.prewarmed.remove(&key)?);
        self.free.insert(key, data.clone());
        let spec = self
            .config
            .prewarm
            .iter()
            .find(|c| &c.kind == kind && c.memory_mb == memory_mb)
            .map(PrewarmingConfig::start_spec)
            .unwrap_or_else(|| StartSpec {
                kind: kind.clone(),
                image: run.action.image.clone(),
                memory_mb,
                ttl: None,
            });
        self.replacements.insert(key, spec);
        Some((key, data))
    }

    /// Starts the replacement of the prewarm proxy `key` took, if it is due and
    /// fits (D24, D35).
    fn start_replacement(&mut self, key: ProxyKey) {
        let Some(spec) = self.replacements.remove(&key) else { return };
        if self.has_space_for(spec.memory_mb) {
            self.start_prewarm(spec);
        } else {
            tracing::debug!(kind = %spec.kind, memory_mb = spec.memory_mb, "no room to replace the taken prewarm now");
        }
    }

    /// Upstream's `createContainer`: a new proxy, counted as `MemoryData` in the
    /// free pool until it reports what it became.
    fn create_cold(&mut self, memory_mb: u64) -> (ProxyKey, PoolData<ContainerId>) {
        let key = self.new_proxy();
        let data = PoolData::Memory(MemoryData { memory_mb });
        self.free.insert(key, data.clone());
        (key, data)
    }

    /// Upstream's `removeContainer`: `Remove` to the proxy, dropped from the maps.
    fn evict(&mut self, key: ProxyKey) {
        self.free.remove(&key);
        self.busy.remove(&key);
        self.send(key, ContainerProxyEvent::Remove);
    }

    /// The containers `remove` chooses to make room for `memory_mb`, if removing
    /// them makes it fit (see the module's deviations).
    fn eviction_for(&self, memory_mb: u64) -> Vec<ProxyKey> {
        let free_mb = memory_consumption_of(self.free.iter().map(|(_, data)| data));
        let chosen = remove(self.free.iter(), memory_mb.min(free_mb));
        let freed: u64 = chosen.iter().filter_map(|key| self.free.get(key)).map(PoolData::memory_mb).sum();
        let used: u64 = self.used_mb().sum::<u64>() + self.starting_mb().sum::<u64>();
        let fits = used
            .checked_sub(freed)
            .and_then(|rest| rest.checked_add(memory_mb))
            .is_some_and(|total| total <= self.config.user_memory_mb);
        if fits {
            chosen
        } else {
            Vec::new()
        }
    }

    /// The last resort when `remove` finds no room: idle warm containers (least
    /// recently used first) and then prewarms (soonest to expire first, those
    /// without a TTL last), as many as make room for `memory_mb`, if together they
    /// do. Each comes with whether it is a prewarm.
    fn last_resort_eviction_for(&self, memory_mb: u64) -> Vec<(ProxyKey, bool)> {
        let used: u64 = self.used_mb().sum::<u64>() + self.starting_mb().sum::<u64>();
        let Some(mut over) =
            used.checked_add(memory_mb).map(|total| total.saturating_sub(self.config.user_memory_mb))
        else {
            return Vec::new();
        };
        let mut idle: Vec<(&ProxyKey, &PoolData<ContainerId>)> = self
            .free
            .iter()
            .filter(|(_, data)| matches!(data, PoolData::Warmed(_)) && data.active_activation_count() == 0)
            .collect();
        idle.sort_by_key(|(key, data)| (data.last_used(), **key));
        let mut prewarms: Vec<(&ProxyKey, &PreWarmedData<ContainerId>)> = self.prewarmed.iter().collect();
        prewarms.sort_by_key(|(key, data)| (data.expires.is_none(), data.expires, **key));
        let candidates = idle
            .into_iter()
            .map(|(key, data)| (*key, false, data.memory_mb()))
            .chain(prewarms.into_iter().map(|(key, data)| (*key, true, data.memory_mb)));
        let mut chosen = Vec::new();
        for (key, prewarm, memory) in candidates {
            if over == 0 {
                break;
            }
            chosen.push((key, prewarm));
            over = over.saturating_sub(memory);
        }
        if over == 0 {
            chosen
        } else {
            Vec::new()
        }
    }

    /// Where `run` goes: warm, prewarmed, cold, or cold after an eviction.
    fn find_container(&mut self, run: &Run) -> Option<Found> {
        let memory_mb = run.action.limits.memory_mb;
        if let Some((key, data)) = self.free.schedule(&run.action, &run.msg.namespace) {
            let state = data.initing_state();
            return Some((*key, data.clone(), state));
        }
        if let Some((key, data)) = self.take_adopted(run) {
            return Some((key, data, "adopted"));
        }
        if let Some((key, data)) = self.take_prewarm(run) {
            return Some((key, data, "prewarmed"));
        }
        if self.has_space_for(memory_mb) {
            let (key, data) = self.create_cold(memory_mb);
            // As upstream, only this path counts: not a cold start after an eviction.
            self.count_cold_start(&run.action.kind, memory_mb);
            return Some((key, data, "cold"));
        }
        let evicted = self.eviction_for(memory_mb);
        if evicted.is_empty() {
            // Deviation (UPSTREAM.md D27): upstream never removes a prewarm to make
            // room, so a run whose kind no prewarm matches waits for ever when
            // prewarms (with idle warm containers) fill the budget. As a last
            // resort idle warm containers and prewarms go together; the periodic
            // adjustment backfills prewarms when there is room.
            let chosen = self.last_resort_eviction_for(memory_mb);
            if chosen.is_empty() {
                return None;
            }
            for (key, prewarm) in chosen {
                if prewarm {
                    tracing::info!(
                        proxy = key.0,
                        "removing a prewarm to make room for a run no prewarm matches"
                    );
                    self.prewarmed.remove(&key);
                    self.send(key, ContainerProxyEvent::Remove);
                } else {
                    tracing::info!(proxy = key.0, "evicting an idle warm container");
                    self.evict(key);
                }
            }
            let (key, data) = self.create_cold(memory_mb);
            return Some((key, data, "recreated"));
        }
        for key in evicted {
            tracing::info!(proxy = key.0, "evicting an idle warm container");
            self.evict(key);
        }
        if let Some((key, data)) = self.take_prewarm(run) {
            return Some((key, data, "recreatedPrewarm"));
        }
        let (key, data) = self.create_cold(memory_mb);
        Some((key, data, "recreated"))
    }

    /// Upstream's `case r: Run`.
    fn on_run(&mut self, fed: Fed) {
        let is_resent =
            self.buffer.front().is_some_and(|head| head.run.msg.activation_id == fed.run.msg.activation_id);
        if !(self.buffer.is_empty() || is_resent) {
            // Runs ahead of it wait for room: it waits behind them.
            self.buffer.push_back(fed);
            return;
        }
        let Fed { run, permit } = fed;
        if is_resent {
            // It may be resent again, or run now.
            self.resent = None;
        }
        match self.find_container(&run) {
            Some((key, data, state)) => {
                let next = data.next_run(&run, Instant::now());
                if next.has_capacity() {
                    self.busy.remove(&key);
                    self.free.insert(key, next);
                } else {
                    self.free.remove(&key);
                    self.busy.insert(key, next);
                }
                tracing::debug!(proxy = key.0, activation = %run.msg.activation_id, state, "run scheduled");
                self.watchers.send(|| PoolEvent::Scheduled {
                    proxy: key,
                    action: run.action.qualified_name().into(),
                    activation_id: run.msg.activation_id.as_str().into(),
                    how: state,
                });
                // A resent head is a copy: the permit is the buffered original's.
                let mut permit = permit;
                if is_resent {
                    permit = self.buffer.pop_front().and_then(|head| head.permit);
                    self.process_buffer();
                }
                self.send(key, ContainerProxyEvent::Run(run));
                // The run has left the pool's hands: upstream's `MessageFeed.Processed`
                // (D29), one permit per run.
                drop(permit);
            }
            None => {
                let now = Instant::now();
                if self.last_buffer_warning.is_none_or(|at| now >= at + BUFFER_WARNING_INTERVAL) {
                    self.last_buffer_warning = Some(now);
                    tracing::warn!(
                        activation = %run.msg.activation_id,
                        buffered = self.buffer.len(),
                        "no room for the run: it waits in the buffer"
                    );
                }
                if !is_resent {
                    self.buffer.push_back(Fed { run, permit });
                }
            }
        }
    }

    /// Upstream's `processBufferOrFeed`: resends (a copy of) the buffer's head
    /// unless it is on its way already. Upstream's `feed ! Processed` on an empty
    /// buffer has no counterpart: a permit comes back with each run sent (D29).
    fn process_buffer(&mut self) {
        if self.resent.is_some() {
            return;
        }
        if let Some(head) = self.buffer.front() {
            self.resent = Some(head.run.msg.activation_id.clone());
            self.resubmit(head.run.clone());
        }
    }

    fn forget(&mut self, key: ProxyKey) {
        self.free.remove(&key);
        self.busy.remove(&key);
        self.prewarmed.remove(&key);
        self.prewarm_starting.remove(&key);
    }

    fn on_notice(&mut self, key: ProxyKey, notice: Notice<ContainerProxyEvent, ToParent>) {
        match notice {
            Notice::Message(message) => self.on_message(key, message),
            Notice::Unhandled { event: ContainerProxyEvent::Run(run), state } => {
                tracing::debug!(proxy = key.0, state, activation = %run.msg.activation_id, "run handed back");
                self.resubmit(run);
            }
            Notice::Unhandled { state, event } => {
                tracing::debug!(proxy = key.0, state, event = event.name(), "event not handled");
            }
            Notice::EffectPanicked { state } => {
                tracing::error!(proxy = key.0, state, "proxy effect panicked")
            }
            Notice::Stopped { state, reason } => {
                self.proxies.remove(&key);
                self.forget_record(key);
                let tracked = self.free.contains_key(&key)
                    || self.busy.contains_key(&key)
                    || self.prewarmed.contains_key(&key)
                    || self.prewarm_starting.contains_key(&key);
                if tracked {
                    tracing::warn!(proxy = key.0, state, ?reason, "proxy stopped while tracked");
                    self.forget(key);
                    self.process_buffer();
                }
                self.start_replacement(key);
            }
            Notice::Transition(_) => {}
        }
    }

    fn on_message(&mut self, key: ProxyKey, message: ToParent) {
        match message {
            ToParent::NeedWork(Capacity::Warm(warmed)) => {
                let Some(old) = self.free.get(&key).or_else(|| self.busy.get(&key)) else {
                    tracing::warn!(proxy = key.0, "NeedWork from a proxy the pool does not track");
                    return;
                };
                // The pool keeps its own last_used (set when it scheduled the run),
                // and one activation fewer is out. It keeps its own action too: an
                // adopted container's proxy knows only the record's stand-in.
                let last_used = old.last_used().unwrap_or(warmed.last_used);
                let active = old.active_activation_count().saturating_sub(1);
                let action = old.action().cloned().unwrap_or(warmed.action);
                let warm = WarmedData {
                    container: warmed.container.id().clone(),
                    invocation_namespace: warmed.invocation_namespace,
                    action,
                    last_used,
                    active_activation_count: active,
                    resume_run: None,
                };
                self.record_warm(key, &warm);
                self.start_replacement(key);
                let data = PoolData::Warmed(warm);
                if data.has_capacity() {
                    self.busy.remove(&key);
                    self.free.insert(key, data);
                } else {
                    self.free.remove(&key);
                    self.busy.insert(key, data);
                }
                self.process_buffer();
            }
            ToParent::NeedWork(Capacity::Prewarmed(prewarmed)) => {
                if self.prewarm_starting.remove(&key).is_none() {
                    tracing::warn!(proxy = key.0, "a prewarm the pool was not starting");
                }
                self.prewarmed.insert(
                    key,
                    PreWarmedData {
                        container: prewarmed.container.id().clone(),
                        kind: prewarmed.kind,
                        memory_mb: prewarmed.memory_mb,
                        expires: prewarmed.expires,
                    },
                );
                // Deviation (D27): a run buffered while this prewarm was starting
                // may fit now, by taking it or by its removal; upstream waits for
                // some other message.
                self.process_buffer();
            }
            ToParent::ContainerRemoved { replace_prewarm } => {
                self.forget(key);
                self.forget_record(key);
                self.start_replacement(key);
                self.process_buffer();
                if replace_prewarm {
                    self.adjust_prewarms(false, false);
                }
            }
            ToParent::RescheduleJob => {
                self.free.remove(&key);
                self.busy.remove(&key);
                self.start_replacement(key);
                // Its memory is no longer counted: the buffer's head may fit now.
                self.process_buffer();
            }
            ToParent::Resend(run) => self.resubmit(run),
            // Only a shutdown sends `Release`.
            ToParent::Released { container } => {
                tracing::warn!(proxy = key.0, %container, "a proxy released its container outside a shutdown");
                self.forget(key);
                self.process_buffer();
            }
            ToParent::DestroyFailed { container, error } => {
                self.destroy_failed += 1;
                tracing::error!(proxy = key.0, %container, error = &error as &dyn std::error::Error, "container left behind");
            }
        }
    }
}

// The expiry step of the adjustment is tested here, on the pool's own state: a
// proxy removes its prewarm itself when the TTL passes (a deviation of the proxy,
// `Started + StateTimeout`), so through the public API the pool never holds an
// expired prewarm long enough to see the sweep.
#[cfg(all(test, feature = "scripted"))]
mod tests {
    use super::*;
    use crate::container::scripted::{RecordingSink, ScriptedFactory};
    use crate::container::ProxyConfig;
    use crate::pool::ReactivePrewarmingConfig;

    fn pool(limit: usize, min_count: usize) -> Pool {
        let reactive = ReactivePrewarmingConfig::new(min_count, 4, Duration::from_secs(60), 1, 1).unwrap();
        let prewarm = vec![PrewarmingConfig {
            initial_count: 0,
            kind: "nodejs:20".into(),
            image: "runtime:latest".into(),
            memory_mb: 256,
            reactive: Some(reactive),
        }];
        let config = PoolConfig { prewarm_expiration_limit: limit, ..PoolConfig::new(4096, prewarm) };
        let (tx, _rx) = mpsc::unbounded_channel();
        Pool::new(config, deps(), tx, Watchers::default())
    }

    fn deps() -> Arc<ProxyDeps> {
        Arc::new(ProxyDeps::new(ScriptedFactory::new(), RecordingSink::new(), ProxyConfig::default()))
    }

    // D30: the buffer goes back whole at a shutdown, so the copy of its head that
    // `process_buffer` put in the mailbox must not go back a second time. Only
    // here can the test put the shutdown between the two.
    #[tokio::test(start_paused = true)]
    async fn the_copy_of_the_buffers_head_in_the_mailbox_is_not_handed_back_twice() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut pool = Pool::new(PoolConfig::new(256, vec![]), deps(), tx, Watchers::default());
        let action = Arc::new(crate::container::Action::new("guest", "hello", "runtime:latest", "main"));
        for id in ["a1", "a2"] {
            let run = Run::new(action.clone(), crate::container::ActivationMessage::new(id, "guest"));
            pool.buffer.push_back(Fed::internal(run));
        }
        pool.process_buffer();
        let (reply, report) = oneshot::channel();
        pool.handle(Msg::Shutdown(Request { grace: Duration::ZERO, mode: ShutdownMode::Remove, reply }));
        assert!(pool.stopping.as_ref().is_some_and(Stopping::proxies_done));
        rx.close();
        let mut in_mailbox = 0;
        while let Ok(msg) = rx.try_recv() {
            in_mailbox += 1;
            pool.handle(msg);
        }
        assert_eq!(in_mailbox, 1, "the head's copy");
        pool.stopping.take().expect("stopping").finish();
        let report = report.await.expect("a report");
        let ids: Vec<&str> = report.handed_back.iter().map(|run| run.msg.activation_id.as_str()).collect();
        assert_eq!(ids, ["a1", "a2"]);
    }

    fn prewarmed(kind: &str, expires: Option<Instant>) -> PreWarmedData<ContainerId> {
        PreWarmedData { container: ContainerId("c".into()), kind: kind.into(), memory_mb: 256, expires }
    }

    #[tokio::test(start_paused = true)]
    async fn the_tick_removes_expired_prewarms_oldest_first_up_to_the_limit() {
        let mut pool = pool(2, 0);
        let t0 = Instant::now();
        // Keys 0, 1 and 2 expire at t0+3s, t0+1s and t0+2s; key 3 later; key 4 never.
        for (key, secs) in [(0, 3), (1, 1), (2, 2), (3, 100)] {
            pool.prewarmed
                .insert(ProxyKey(key), prewarmed("nodejs:20", Some(t0 + Duration::from_secs(secs))));
        }
        pool.prewarmed.insert(ProxyKey(4), prewarmed("nodejs:20", None));
        tokio::time::advance(Duration::from_secs(10)).await;
        pool.on_adjust_tick();
        let left: Vec<u64> = pool.prewarmed.keys().map(|k| k.0).collect();
        assert_eq!(left, [0, 3, 4], "the two oldest expired went, the third waits");
        pool.on_adjust_tick();
        let left: Vec<u64> = pool.prewarmed.keys().map(|k| k.0).collect();
        assert_eq!(left, [3, 4]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_expired_prewarm_removed_by_the_tick_is_backfilled_to_min() {
        let mut pool = pool(100, 1);
        let t0 = Instant::now();
        pool.prewarmed.insert(ProxyKey(100), prewarmed("nodejs:20", Some(t0 + Duration::from_secs(1))));
        tokio::time::advance(Duration::from_secs(10)).await;
        pool.on_adjust_tick();
        assert!(pool.prewarmed.is_empty());
        assert_eq!(pool.prewarm_starting.len(), 1, "a fresh one replaces it");
    }
}
