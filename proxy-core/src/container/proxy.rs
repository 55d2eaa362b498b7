//! The bodies of the lifecycle's rows: OpenWhisk's `ContainerProxy` behaviour
//! (reference sections 1.4-1.9). Handlers are synchronous: they change the context,
//! emit messages to the parent and start effects (the private `work` module), whose
//! results come back as events.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use proxy_machine::driver::{self, Driven, Effects, Notices, Running};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::activation::{AckKind, Activation, ActivationSink};
use super::backend::{ContainerFactory, ContainerId, HealthError, OperationError, StartupError};
use super::job::{Capacity, PreWarmed, Run, StartSpec, Warmed, Warmth};
use super::lifecycle::{
    ContainerProxy, ContainerProxyAny, ContainerProxyEvent, ContainerProxyHandlers,
    ContainerProxyRemovingDestroyFailed, ContainerProxyRunningFailure, ContainerProxyRunningRunCompleted,
};
use super::response::{messages, ActivationResponse, Interval};
use super::work;

/// A prewarm without a TTL waits this long, which is forever for a proxy.
const NO_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// TCP health pings of prewarmed containers (reference 1.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthCheck {
    /// Time between pings.
    pub period: Duration,
    /// Consecutive failed pings that condemn the container.
    pub max_fails: u32,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck { period: Duration::from_secs(3), max_fails: 3 }
    }
}

/// A proxy's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyConfig {
    /// How long a warm container stays unpaused after its last activation (10 s).
    pub pause_grace: Duration,
    /// How long a paused container is kept (10 min).
    pub unused_timeout: Duration,
    /// Health pings of prewarmed containers; `None` disables them (upstream's default).
    pub health_check: Option<HealthCheck>,
    /// The invoker instance's name prefix in container names (`wsk0`).
    pub instance: String,
    /// The memory all containers of the invoker share, for CPU shares (MB).
    pub user_memory_mb: u64,
    /// The CPUs all containers share, for an optional hard CPU limit.
    pub user_cpus: Option<f64>,
    /// How many times a failed destroy is tried before the proxy gives up and reports it.
    pub destroy_attempts: u32,
    /// The wait before trying a failed destroy again.
    pub destroy_retry_delay: Duration,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            pause_grace: Duration::from_secs(10),
            unused_timeout: Duration::from_secs(600),
            health_check: None,
            instance: "wsk0".into(),
            user_memory_mb: 1024,
            user_cpus: None,
            destroy_attempts: 3,
            destroy_retry_delay: Duration::from_secs(1),
        }
    }
}

impl ProxyConfig {
    /// `max(1024 / (userMemory / memory), 2)`, the division being an integer one as upstream.
    pub fn cpu_shares(&self, memory_mb: u64) -> u32 {
        let containers = (self.user_memory_mb / memory_mb.max(1)).max(1);
        u32::try_from((1024 / containers).max(2)).unwrap_or(u32::MAX)
    }

    /// `max(round5(cpus / (userMemory / memory)), 0.01)`, when CPUs are limited.
    pub fn cpu_limit(&self, memory_mb: u64) -> Option<f64> {
        self.user_cpus.map(|cpus| {
            let share = cpus / (self.user_memory_mb as f64 / memory_mb.max(1) as f64);
            ((share * 1e5).round() / 1e5).max(0.01)
        })
    }
}

/// What every proxy of an invoker shares.
pub struct ProxyDeps {
    /// Creates containers.
    pub factory: Arc<dyn ContainerFactory>,
    /// Receives acks and activation records.
    pub sink: Arc<dyn ActivationSink>,
    /// The settings.
    pub config: ProxyConfig,
}

/// Messages from a proxy to its parent (the pool).
#[derive(Debug, Clone)]
pub enum ToParent {
    /// A prewarm is ready, or a warm container has room for another activation.
    NeedWork(Capacity),
    /// The proxy decided to destroy its container; the pool frees the capacity and,
    /// if `replace_prewarm`, starts a new prewarm.
    ContainerRemoved {
        /// Whether a prewarm should replace it.
        replace_prewarm: bool,
    },
    /// The container is going away and the pool must not count it as freed capacity.
    RescheduleJob,
    /// A job this proxy will not run, handed back.
    Resend(Run),
    /// The container could not be destroyed after every attempt; the proxy stopped.
    DestroyFailed {
        /// The container left behind.
        container: ContainerId,
        /// The last error.
        error: OperationError,
    },
}

/// Why an effect failed (upstream's `Status.Failure` causes).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Cause {
    /// The container is unhealthy (503, or no connection on the first run after a
    /// resume). `job` is the job whose call found out; it is handed back, not lost.
    Health {
        /// The error.
        error: HealthError,
        /// The job that hit it.
        job: Option<Run>,
    },
    /// /init failed, or a run ended with a developer or whisk error: the container
    /// must go. Already acknowledged and stored.
    ActivationUnsuccessful(ActivationResponse),
    /// Log collection failed. Already stored.
    LogReading,
    /// Creating the container failed. Already acknowledged and stored for a cold start.
    Startup(StartupError),
    /// Resuming the paused container failed; `job` goes back to the parent.
    Resume {
        /// The error.
        error: OperationError,
        /// The job that wanted the container.
        job: Run,
    },
    /// Pausing failed.
    Suspend(OperationError),
    /// The TCP health ping of a prewarmed container gave up.
    HealthPing(String),
}

/// Names every container of the process uniquely (upstream's `globalCounter`).
static CONTAINER_COUNTER: AtomicU64 = AtomicU64::new(0);

/// `wsk0_12_prewarm_nodejs20`: the instance, a counter, and two parts with only
/// letters, digits and `_` kept.
pub fn container_name(instance: &str, prefix: &str, suffix: &str) -> String {
    let clean = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
    let instance: String =
        instance.chars().filter(|c| c.is_ascii_alphanumeric() || "_.-".contains(*c)).collect();
    let n = CONTAINER_COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{instance}_{n}_{}_{}", clean(prefix), clean(suffix))
}

/// What happens to the buffered runs when the container is destroyed.
enum Buffered {
    /// Handed back to the parent, to run elsewhere.
    Reject,
    /// Acknowledged and stored as failed with this response (`whiskError(abnormalRun)`
    /// when `None`): init or the first run failed, so they would fail the same way.
    Abort(Option<ActivationResponse>),
}

/// A proxy's context: what upstream keeps in actor-local variables (reference 1.4),
/// written only by the proxy's own handlers.
pub struct ProxyCx {
    effects: Effects<ContainerProxyEvent, ToParent>,
    deps: Arc<ProxyDeps>,
    /// Activations in flight in this proxy.
    active_count: usize,
    /// Runs waiting for init to finish or for room under `max_concurrent`.
    run_buffer: VecDeque<Run>,
    /// Buffered runs have been raised and are about to be handled (a pseudo-state
    /// between Running and Ready).
    buffer_processing: bool,
    /// The proxy will destroy its container: every job goes back to the parent.
    reschedule_job: bool,
    /// Runs that arrived in Running after `reschedule_job` was set; handed back from
    /// Removing.
    stashed: Vec<Run>,
    /// The prewarm's TTL.
    prewarm_ttl: Duration,
    /// Cancels the TCP health ping.
    ping: Option<oneshot::Sender<()>>,
    /// Whether the container's destroy has been started.
    destroying: bool,
    /// Destroy attempts so far.
    destroy_attempts: u32,
}

impl ProxyCx {
    /// A context for a new proxy.
    pub fn new(deps: Arc<ProxyDeps>) -> Self {
        ProxyCx {
            effects: Effects::new(),
            deps,
            active_count: 0,
            run_buffer: VecDeque::new(),
            buffer_processing: false,
            reschedule_job: false,
            stashed: Vec::new(),
            prewarm_ttl: NO_TTL,
            ping: None,
            destroying: false,
            destroy_attempts: 0,
        }
    }

    /// The settings.
    pub fn config(&self) -> &ProxyConfig {
        &self.deps.config
    }

    /// The prewarm's TTL (a century when it has none).
    pub fn prewarm_ttl(&self) -> Duration {
        self.prewarm_ttl
    }

    /// Activations in flight.
    pub fn active_count(&self) -> usize {
        self.active_count
    }

    /// Runs buffered.
    pub fn buffered(&self) -> usize {
        self.run_buffer.len()
    }

    fn emit(&mut self, message: ToParent) {
        self.effects.emit(message);
    }

    /// Starts an activation on `container` (upstream's `initializeAndRun`).
    fn start_activation(
        &mut self,
        container: Arc<dyn super::Container>,
        job: Run,
        reschedule: bool,
        init: bool,
    ) {
        let sink = self.deps.sink.clone();
        self.effects.spawn_with(move |events| {
            work::initialize_and_run(container, job, reschedule, init, sink, events)
        });
    }

    /// Sends up to `max_concurrent - active` buffered runs back to the proxy itself.
    fn process_buffer(&mut self, max_concurrent: usize) {
        let available = max_concurrent.saturating_sub(self.active_count);
        for _ in 0..available {
            let Some(job) = self.run_buffer.pop_front() else { break };
            self.effects.raise(ContainerProxyEvent::Run(job));
            self.buffer_processing = true;
        }
    }

    /// Reference 1.8 `requestWork`: offers capacity to the parent, or processes the
    /// buffer first. True when the proxy must stay in Running.
    fn request_work(&mut self, data: &Warmed) -> bool {
        let max = data.action.limits.max_concurrent;
        if self.active_count >= max {
            return false;
        }
        if !self.run_buffer.is_empty() {
            let need_work = max - self.active_count > self.run_buffer.len();
            self.process_buffer(max);
            if need_work {
                self.emit(ToParent::NeedWork(Capacity::Warm(data.clone())));
            }
            true
        } else {
            self.emit(ToParent::NeedWork(Capacity::Warm(data.clone())));
            self.buffer_processing
        }
    }

    /// Hands every buffered run back to the parent.
    fn reject_buffered(&mut self) {
        for job in self.run_buffer.drain(..) {
            self.effects.emit(ToParent::Resend(job));
        }
    }

    /// Acknowledges and stores every buffered run as failed with `response`.
    fn abort_buffered(&mut self, response: Option<ActivationResponse>) {
        let response = response.unwrap_or_else(|| ActivationResponse::whisk_error(messages::ABNORMAL_RUN));
        let now = Instant::now();
        for job in self.run_buffer.drain(..) {
            let activation = Activation::new(&job, None, Interval::zero(now), false, response.clone());
            let sink = self.deps.sink.clone();
            self.effects.spawn_maybe(async move {
                let kind =
                    if job.msg.blocking { AckKind::CombinedCompletionAndResult } else { AckKind::Completion };
                sink.ack(kind, &activation, job.msg.blocking).await;
                sink.store(&activation, job.msg.blocking).await;
                None
            });
        }
    }

    /// Hands back the runs stashed while `reschedule_job` was set: they are raised
    /// to be handled in Removing, which sends them to the parent.
    fn unstash(&mut self) {
        for job in self.stashed.drain(..) {
            self.effects.raise(ContainerProxyEvent::Run(job));
        }
    }

    /// Reference 1.8 `destroyContainer`: tells the parent, rejects or aborts the
    /// buffer, and destroys the container (resuming it first if it is paused).
    fn destroy_container(&mut self, data: &Warmth, replace_prewarm: bool, buffered: Buffered, paused: bool) {
        self.emit(if self.reschedule_job {
            ToParent::RescheduleJob
        } else {
            ToParent::ContainerRemoved { replace_prewarm }
        });
        match buffered {
            Buffered::Abort(response) => self.abort_buffered(response),
            Buffered::Reject => self.reject_buffered(),
        }
        self.stop_ping();
        self.unstash();
        if let Some(container) = data.container() {
            self.destroying = true;
            self.effects.spawn(work::destroy(container.clone(), paused, Duration::ZERO));
        }
    }

    fn stop_ping(&mut self) {
        // Dropping the sender ends the ping task without an event.
        self.ping = None;
    }

    fn start_ping(&mut self, data: &PreWarmed) {
        let (Some(check), Some(addr)) = (self.deps.config.health_check, data.container.addr()) else {
            return;
        };
        let (cancel, cancelled) = oneshot::channel();
        self.ping = Some(cancel);
        self.effects.spawn_maybe(work::health_ping(addr, check, cancelled));
    }

    /// A run or failure finished in Removing: when none is left in flight, destroy.
    fn finish_in_removing(&mut self, data: &Warmth) {
        self.active_count = self.active_count.saturating_sub(1);
        if self.active_count == 0 && !self.destroying {
            self.destroy_container(data, true, Buffered::Reject, false);
        }
    }
}

impl ContainerProxyHandlers for ProxyCx {
    // U1
    fn uninitialized_start(&mut self, event: StartSpec) {
        self.prewarm_ttl = event.ttl.unwrap_or(NO_TTL);
        let config = &self.deps.config;
        let spec = super::CreateSpec {
            transaction_id: "invokerWarmup".into(),
            name: container_name(&config.instance, "prewarm", &event.kind),
            image: event.image.clone(),
            memory_mb: event.memory_mb,
            cpu_shares: config.cpu_shares(event.memory_mb),
            cpu_limit: config.cpu_limit(event.memory_mb),
        };
        self.effects.spawn(work::create_prewarm(self.deps.factory.clone(), spec, event));
    }

    // U2: cold start.
    fn uninitialized_run(&mut self, event: Run) -> Warmth {
        self.active_count += 1;
        let config = &self.deps.config;
        let memory = event.action.limits.memory_mb;
        let spec = super::CreateSpec {
            transaction_id: event.msg.transaction_id.clone(),
            name: container_name(&config.instance, &event.msg.namespace, &event.action.name),
            image: event.action.image.clone(),
            memory_mb: memory,
            cpu_shares: config.cpu_shares(memory),
            cpu_limit: config.cpu_limit(memory),
        };
        let (factory, sink) = (self.deps.factory.clone(), self.deps.sink.clone());
        self.effects.spawn_with(move |events| work::cold_start(factory, spec, event, sink, events));
        Warmth::Cold
    }

    // S1
    fn starting_pre_warm_completed(&mut self, event: PreWarmed) -> PreWarmed {
        self.emit(ToParent::NeedWork(Capacity::Prewarmed(event.clone())));
        // T0: entering Started starts the health ping.
        self.start_ping(&event);
        event
    }

    // S2
    fn starting_failure(&mut self, event: Cause) {
        tracing::warn!(cause = ?event, "prewarm creation failed");
        self.emit(ToParent::ContainerRemoved { replace_prewarm: true });
    }

    // T1
    fn started_run(&mut self, state: PreWarmed, event: Run) -> Warmth {
        // R0: entering Running stops the health ping.
        self.stop_ping();
        self.active_count += 1;
        self.start_activation(state.container.clone(), event, false, true);
        Warmth::Prewarmed(state)
    }

    // T2
    fn started_remove(&mut self, state: PreWarmed) -> Warmth {
        let data = Warmth::Prewarmed(state);
        self.destroy_container(&data, false, Buffered::Reject, false);
        data
    }

    // T3
    fn started_failure(&mut self, state: PreWarmed, event: Cause) -> Warmth {
        tracing::warn!(cause = ?event, "prewarmed container failed its health check");
        let data = Warmth::Prewarmed(state);
        self.destroy_container(&data, true, Buffered::Reject, false);
        data
    }

    // The prewarm's TTL passed: as the pool's `Remove` of an expired prewarm.
    fn started_state_timeout(&mut self, state: PreWarmed) -> Warmth {
        self.started_remove(state)
    }

    // R1
    fn running_pre_warm_completed(&mut self, state: Warmth, event: PreWarmed) -> Warmth {
        match state {
            Warmth::Cold => Warmth::Prewarmed(event),
            other => other,
        }
    }

    // R2, R3, R7, R8 and the guarded stash of R13.
    fn running_run(&mut self, state: Warmth, event: Run) -> Warmth {
        if self.reschedule_job {
            // R13: the container is going away; the job goes back from Removing.
            self.stashed.push(event);
            return state;
        }
        match &state {
            Warmth::Cold | Warmth::Prewarmed(_) => self.run_buffer.push_back(event),
            Warmth::Warm(data) => {
                if self.active_count >= data.action.limits.max_concurrent {
                    tracing::debug!("buffering for maxed warm container");
                    self.run_buffer.push_back(event);
                } else {
                    self.active_count += 1;
                    self.buffer_processing = false;
                    self.start_activation(data.container.clone(), event, false, false);
                }
            }
        }
        state
    }

    // R4: no NeedWork here (quirk 1.13.7).
    fn running_init_completed(&mut self, state: Warmth, event: Warmed) -> Warmth {
        match state {
            Warmth::Warm(data) => Warmth::Warm(data),
            _ => {
                self.process_buffer(event.action.limits.max_concurrent);
                Warmth::Warm(event)
            }
        }
    }

    // R6
    fn running_run_completed(&mut self, state: Warmth) -> ContainerProxyRunningRunCompleted {
        let Warmth::Warm(data) = state else {
            // Only a warm container completes runs; keep counting.
            self.active_count = self.active_count.saturating_sub(1);
            return ContainerProxyRunningRunCompleted::Running(state);
        };
        self.active_count = self.active_count.saturating_sub(1);
        // Quirk 1.13.8: NeedWork carries the data before resumeRun is dropped.
        let stay = self.request_work(&data);
        let new_data = Warmed { resume_run: None, ..data };
        if stay || self.active_count > 0 {
            ContainerProxyRunningRunCompleted::Running(Warmth::Warm(new_data))
        } else {
            ContainerProxyRunningRunCompleted::Ready(new_data)
        }
    }

    // R9-R12
    fn running_failure(&mut self, state: Warmth, event: Cause) -> ContainerProxyRunningFailure {
        use ContainerProxyRunningFailure::{Removed, Removing};
        match (state, event) {
            // R9: the container is unhealthy; every job goes back.
            (Warmth::Warm(data), Cause::Health { job, .. }) => {
                let mut data = data;
                let resume = data.resume_run.take();
                // Fix 1.13.3: a health error on a concurrent run hands its job back too.
                let lost = job
                    .filter(|j| resume.as_ref().is_none_or(|r| r.msg.activation_id != j.msg.activation_id));
                for job in resume.into_iter().chain(lost) {
                    self.effects.raise(ContainerProxyEvent::Run(job));
                }
                self.reschedule_job = true;
                self.reject_buffered();
                let data = Warmth::Warm(data);
                self.destroy_container(&data, true, Buffered::Reject, false);
                Removing(data)
            }
            // R10 on a health error at /init: fix 1.13.3, the job and the buffered
            // ones go back to the parent instead of being lost or aborted.
            (Warmth::Prewarmed(data), Cause::Health { job, .. }) => {
                self.active_count = self.active_count.saturating_sub(1);
                if let Some(job) = job {
                    self.effects.raise(ContainerProxyEvent::Run(job));
                }
                let data = Warmth::Prewarmed(data);
                self.destroy_container(&data, true, Buffered::Reject, false);
                Removing(data)
            }
            // R10: /init failed, or the first run failed before InitCompleted.
            (Warmth::Prewarmed(data), cause) => {
                self.active_count = self.active_count.saturating_sub(1);
                let response = match cause {
                    Cause::ActivationUnsuccessful(response) => Some(response),
                    _ => None,
                };
                let data = Warmth::Prewarmed(data);
                self.destroy_container(&data, true, Buffered::Abort(response), false);
                Removing(data)
            }
            // R11: a later run or its logs failed.
            (Warmth::Warm(data), cause) => {
                self.active_count = self.active_count.saturating_sub(1);
                if let Cause::Resume { job, .. } = cause {
                    // Z1's failure: the job goes back (from Removing, after the
                    // transition, as upstream's stashed `self ! job`).
                    self.reschedule_job = true;
                    self.stashed.push(job);
                }
                let data = Warmth::Warm(data);
                if self.active_count == 0 {
                    self.destroy_container(&data, true, Buffered::Reject, false);
                } else {
                    // Other activations are in flight: they finish first.
                    self.reschedule_job = true;
                }
                Removing(data)
            }
            // R12: creating the cold container failed (the job is already acked and
            // stored). Fix 1.13.1: the proxy stops instead of lingering in Removing.
            (Warmth::Cold, _) => {
                self.active_count = self.active_count.saturating_sub(1);
                self.abort_buffered(None);
                self.reschedule_job = true;
                self.emit(ToParent::ContainerRemoved { replace_prewarm: true });
                self.unstash();
                Removed
            }
        }
    }

    // Y1
    fn ready_run(&mut self, state: Warmed, event: Run) -> Warmth {
        self.active_count += 1;
        let container = state.container.clone();
        let data = Warmed { resume_run: Some(event.clone()), last_used: Instant::now(), ..state };
        self.start_activation(container, event, true, false);
        Warmth::Warm(data)
    }

    // Y2
    fn ready_state_timeout(&mut self, state: Warmed) -> Warmed {
        self.effects.spawn(work::suspend(state.container.clone()));
        state
    }

    // Y3
    fn ready_remove(&mut self, state: Warmed) -> Warmth {
        let data = Warmth::Warm(state);
        self.destroy_container(&data, true, Buffered::Reject, false);
        data
    }

    // Y4
    fn ready_failure(&mut self, state: Warmed, event: Cause) -> Warmth {
        tracing::warn!(cause = ?event, "failure in Ready");
        let data = Warmth::Warm(state);
        self.destroy_container(&data, true, Buffered::Reject, false);
        data
    }

    // P1
    fn pausing_container_paused(&mut self, state: Warmed) -> Warmed {
        state
    }

    // P2
    fn pausing_failure(&mut self, state: Warmed, event: Cause) -> Warmth {
        tracing::warn!(cause = ?event, "pausing failed");
        let data = Warmth::Warm(state);
        self.destroy_container(&data, true, Buffered::Reject, false);
        data
    }

    // Z1
    fn paused_run(&mut self, state: Warmed, event: Run) -> Warmth {
        self.active_count += 1;
        let container = state.container.clone();
        let data = Warmed { resume_run: Some(event.clone()), last_used: Instant::now(), ..state };
        let sink = self.deps.sink.clone();
        self.effects.spawn_with(move |events| work::resume_and_run(container, event, sink, events));
        Warmth::Warm(data)
    }

    // Z2: the unused timeout.
    fn paused_state_timeout(&mut self, state: Warmed) -> Warmth {
        self.paused_remove(state)
    }

    // Z2: RescheduleJob, not ContainerRemoved, so the pool does not count the
    // container twice; destroy resumes it first.
    fn paused_remove(&mut self, state: Warmed) -> Warmth {
        self.reschedule_job = true;
        let data = Warmth::Warm(state);
        self.destroy_container(&data, true, Buffered::Reject, true);
        data
    }

    // X1
    fn removing_run(&mut self, state: Warmth, event: Run) -> Warmth {
        self.emit(ToParent::Resend(event));
        state
    }

    // X2
    fn removing_run_completed(&mut self, state: Warmth) -> Warmth {
        let state = match state {
            Warmth::Warm(data) => Warmth::Warm(Warmed { resume_run: None, ..data }),
            other => other,
        };
        self.finish_in_removing(&state);
        state
    }

    // X3, for any data (fix 1.13.2: upstream handles only WarmedData here), and a
    // health error's job is handed back (fix 1.13.3).
    fn removing_failure(&mut self, state: Warmth, event: Cause) -> Warmth {
        if let Cause::Health { job: Some(job), .. } = event {
            self.emit(ToParent::Resend(job));
        }
        self.finish_in_removing(&state);
        state
    }

    // X4
    fn removing_destroyed(&mut self, _state: Warmth) {}

    // Fix 1.13.2 (#5054): retry the destroy, then stop and report it.
    fn removing_destroy_failed(
        &mut self,
        state: Warmth,
        event: OperationError,
    ) -> ContainerProxyRemovingDestroyFailed {
        self.destroy_attempts += 1;
        let Some(container) = state.container().cloned() else {
            return ContainerProxyRemovingDestroyFailed::Removed;
        };
        if self.destroy_attempts < self.deps.config.destroy_attempts {
            tracing::warn!(container = %container.id(), error = %event, attempt = self.destroy_attempts, "destroy failed; retrying");
            self.effects.spawn(work::destroy(container, false, self.deps.config.destroy_retry_delay));
            ContainerProxyRemovingDestroyFailed::Removing(state)
        } else {
            tracing::error!(container = %container.id(), error = %event, "destroy failed; giving up");
            self.emit(ToParent::DestroyFailed { container: container.id().clone(), error: event });
            ContainerProxyRemovingDestroyFailed::Removed
        }
    }
}

impl Driven for ContainerProxyAny {
    type Output = ToParent;

    fn effects(context: &mut ProxyCx) -> &mut Effects<ContainerProxyEvent, ToParent> {
        &mut context.effects
    }
}

/// Starts a proxy on its own task, in `Uninitialized`. Send it
/// [`ContainerProxyEvent::Start`], [`ContainerProxyEvent::Run`] or
/// [`ContainerProxyEvent::Remove`]; its messages to the parent and its transitions
/// arrive, in order, on the returned channel.
pub fn spawn_proxy(deps: Arc<ProxyDeps>) -> (Running<ContainerProxyAny>, Notices<ContainerProxyAny>) {
    driver::spawn(ContainerProxyAny::from(ContainerProxy::new(ProxyCx::new(deps))))
}
