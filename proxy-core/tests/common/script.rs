//! The backend calls a story scripts (how each ends, and when), their generators,
//! and [`Plan`]: what was queued on a scripted backend, what is still held, and
//! which calls worked. A scripted backend is one queue per call kind, shared by
//! every container of its factory: a step is played by the next call of its kind.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use proptest::prelude::*;
use proxy_core::container::client::{ConnectionError, TransportError};
use proxy_core::container::response::messages;
use proxy_core::container::scripted::{ok_response, InitOutcome, Release, RunOutcome, Script, Step};
use proxy_core::container::{ActivationResponse, Logs, OperationError, ProxyConfig, StartupError};
use serde_json::json;

/// Every action's time limit: a call scripted to time out ends after it.
pub(crate) const ACTION_TIMEOUT: Duration = Duration::from_secs(5);

/// The TTL of a prewarm started with one.
pub(crate) const PREWARM_TTL: Duration = Duration::from_secs(30);

/// The settings of every proxy of a story: upstream's grace and unused timeout, and
/// three destroy attempts a second apart.
pub(crate) fn config() -> ProxyConfig {
    ProxyConfig {
        pause_grace: Duration::from_secs(10),
        unused_timeout: Duration::from_secs(600),
        destroy_attempts: 3,
        destroy_retry_delay: Duration::from_secs(1),
        ..ProxyConfig::default()
    }
}

/// A backend call and how it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call {
    /// Creating the container (the prewarm's, or a cold start's).
    Create(Verdict),
    /// `/init`.
    Init(Outcome),
    /// `/run`.
    Run(Outcome),
    /// Collecting an activation's logs.
    Logs(Verdict),
    /// Pausing the container.
    Suspend(Verdict),
    /// Unpausing it (for a run, or before a destroy).
    Resume(Verdict),
    /// Destroying it.
    Destroy(Verdict),
}

/// How an `/init` or a `/run` ends, as the runtime or the transport would have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// 200 (a successful result).
    Success,
    /// The action answered with an error (for `/init`: a failed init, a developer error).
    ApplicationError,
    /// The action failed (a developer error: the container goes).
    DeveloperError,
    /// 503: the container is unhealthy and the job must run elsewhere.
    Health,
    /// No answer within the action's time limit: with `When::Now` the call ends
    /// after [`ACTION_TIMEOUT`], with a developer error saying so.
    TimedOut,
    /// The connection broke after the request was sent: a developer error, as the
    /// backend reports it once `/run` or `/init` reached the runtime.
    ConnectionLost,
    /// The connection broke before the request was all written: a rescheduling run
    /// is a health error (the job runs elsewhere), any other a developer error.
    NotDelivered,
    /// The backend panics in the call (a bug in it).
    Panics,
}

/// How a container operation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// It worked.
    Succeeds,
    /// The engine refused.
    Fails,
    /// The backend panics in the call (a bug in it): nothing was made or removed.
    /// (Not `Panics`, so that a story with both prints as Rust that compiles.)
    BackendPanics,
}

/// When a scripted call ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    /// At once (a time-out: after the action's time limit).
    Now,
    /// When the story releases it, or in the final phase.
    Held,
    /// After this much time on the clock.
    After(Wait),
}

/// An amount of time, named after what it reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// 1 ms: the smallest step, to land just past a deadline.
    Tick,
    /// 1 s, the destroy retry delay.
    DestroyRetry,
    /// The action's time limit.
    ActionTimeout,
    /// The pause grace of a warm container.
    PauseGrace,
    /// The prewarm TTL.
    PrewarmTtl,
    /// The unused timeout of a paused container.
    UnusedTimeout,
}

impl Wait {
    /// How long it is.
    pub(crate) fn duration(self) -> Duration {
        let config = config();
        match self {
            Wait::Tick => Duration::from_millis(1),
            Wait::DestroyRetry => config.destroy_retry_delay,
            Wait::ActionTimeout => ACTION_TIMEOUT,
            Wait::PauseGrace => config.pause_grace,
            Wait::PrewarmTtl => PREWARM_TTL,
            Wait::UnusedTimeout => config.unused_timeout,
        }
    }
}

/// A backend call and how it ends. The weights favour /run, where activations
/// overlap.
pub(crate) fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        2 => verdict().prop_map(Call::Create),
        4 => outcome().prop_map(Call::Init),
        12 => outcome().prop_map(Call::Run),
        2 => verdict().prop_map(Call::Logs),
        2 => verdict().prop_map(Call::Suspend),
        2 => verdict().prop_map(Call::Resume),
        3 => verdict().prop_map(Call::Destroy),
    ]
}

/// How an `/init` or `/run` ends.
pub(crate) fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        4 => Just(Outcome::Success),
        1 => Just(Outcome::ApplicationError),
        1 => Just(Outcome::DeveloperError),
        3 => Just(Outcome::Health),
        1 => Just(Outcome::TimedOut),
        1 => Just(Outcome::ConnectionLost),
        1 => Just(Outcome::NotDelivered),
        1 => Just(Outcome::Panics),
    ]
}

/// How a container operation ends.
pub(crate) fn verdict() -> impl Strategy<Value = Verdict> {
    // A scripted success is worth having too: held, it keeps the call in flight.
    prop_oneof![2 => Just(Verdict::Succeeds), 4 => Just(Verdict::Fails), 1 => Just(Verdict::BackendPanics)]
}

/// When a scripted call ends.
pub(crate) fn when() -> impl Strategy<Value = When> {
    prop_oneof![
        2 => Just(When::Now),
        3 => Just(When::Held),
        // Short waits only: the final phase lets the clock run for seconds, not minutes.
        1 => prop_oneof![Just(Wait::Tick), Just(Wait::DestroyRetry), Just(Wait::ActionTimeout)].prop_map(When::After),
    ]
}

/// Any of the named waits.
pub(crate) fn wait() -> impl Strategy<Value = Wait> {
    prop_oneof![
        Just(Wait::Tick),
        Just(Wait::DestroyRetry),
        Just(Wait::ActionTimeout),
        Just(Wait::PauseGrace),
        Just(Wait::PrewarmTtl),
        Just(Wait::UnusedTimeout),
    ]
}

/// The backend calls a story scripts, as the scripted backend counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum CallKind {
    /// `create`.
    Create,
    /// `/init`.
    Init,
    /// `/run`.
    Run,
    /// `logs`.
    Logs,
    /// `suspend`.
    Suspend,
    /// `resume`.
    Resume,
    /// `destroy`.
    Destroy,
}

impl CallKind {
    /// How many calls of this kind the backend got so far.
    pub(crate) fn count(self, script: &Script) -> usize {
        let calls = &script.calls;
        match self {
            CallKind::Create => &calls.creates,
            CallKind::Init => &calls.inits,
            CallKind::Run => &calls.runs,
            CallKind::Logs => &calls.logs,
            CallKind::Suspend => &calls.suspends,
            CallKind::Resume => &calls.resumes,
            CallKind::Destroy => &calls.destroys,
        }
        .load(Ordering::SeqCst)
    }

    /// Whether the call is part of an activation (destroying the container under it
    /// kills the activation on a real engine).
    pub(crate) fn is_activation(self) -> bool {
        matches!(self, CallKind::Init | CallKind::Run | CallKind::Logs)
    }
}

/// One step queued on a backend. Calls pop the queue, or play a default success
/// when it is empty: a step is played by the first call after the steps queued
/// before it, and not before it was queued.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Planned {
    /// Which call of its kind plays it (0: the first).
    pub(crate) call: usize,
    /// Whether it ends in failure (for create and destroy: no container made or removed).
    pub(crate) fails: bool,
}

/// A held step and its release, while not yet released.
struct Hold {
    kind: CallKind,
    /// Which call of its kind plays it (0: the first).
    call: usize,
    release: Option<Release>,
}

/// What a story queued on one scripted backend.
#[derive(Default)]
pub(crate) struct Plan {
    /// The steps queued per call kind, in order.
    steps: BTreeMap<CallKind, Vec<Planned>>,
    holds: Vec<Hold>,
    /// The clock time scripted calls wait in all (not held ones): the most the
    /// effects they are part of can still take once nothing is held.
    pub(crate) late: Duration,
}

impl Plan {
    /// Queues on `script` how the next call of `call`'s kind that has no step
    /// queued yet ends, and when.
    pub(crate) fn script(&mut self, script: &Script, call: Call, when: When) {
        self.late += match (when, call) {
            (When::After(wait), _) => wait.duration(),
            (When::Now, Call::Init(Outcome::TimedOut) | Call::Run(Outcome::TimedOut)) => ACTION_TIMEOUT,
            _ => Duration::ZERO,
        };
        let fails = match call {
            Call::Create(verdict) | Call::Logs(verdict) | Call::Suspend(verdict) => {
                verdict != Verdict::Succeeds
            }
            Call::Resume(verdict) | Call::Destroy(verdict) => verdict != Verdict::Succeeds,
            Call::Init(outcome) | Call::Run(outcome) => outcome != Outcome::Success,
        };
        let (kind, release) = match call {
            Call::Create(verdict) => {
                let (step, release) = verdict.step(when, || StartupError::whisk("no space left"), ());
                script.create(step);
                (CallKind::Create, release)
            }
            Call::Init(outcome) => {
                let (step, release) = step(when, timed_out(outcome), init_outcome(outcome));
                script.init(step);
                (CallKind::Init, release)
            }
            Call::Run(outcome) => {
                let (step, release) = step(when, timed_out(outcome), run_outcome(outcome));
                script.run(step);
                (CallKind::Run, release)
            }
            Call::Logs(verdict) => {
                let logs = Logs { lines: vec!["a log line".into()], failed: false };
                let (step, release) = verdict.step(when, || engine_error("logs"), logs);
                script.logs(step);
                (CallKind::Logs, release)
            }
            Call::Suspend(verdict) => {
                let (step, release) = verdict.step(when, || engine_error("pause"), ());
                script.suspend(step);
                (CallKind::Suspend, release)
            }
            Call::Resume(verdict) => {
                let (step, release) = verdict.step(when, || engine_error("unpause"), ());
                script.resume(step);
                (CallKind::Resume, release)
            }
            Call::Destroy(verdict) => {
                let (step, release) = verdict.step(when, || engine_error("rm"), ());
                script.destroy(step);
                (CallKind::Destroy, release)
            }
        };
        let calls_so_far = kind.count(script);
        let queue = self.steps.entry(kind).or_default();
        let call = queue.last().map_or(calls_so_far, |last| calls_so_far.max(last.call + 1));
        queue.push(Planned { call, fails });
        if let Some(release) = release {
            self.holds.push(Hold { kind, call, release: Some(release) });
        }
    }

    /// Completes the `pick`-th (modulo how many) of the calls still held, so held
    /// calls complete in any order; which call it was, if any was held.
    pub(crate) fn release(&mut self, pick: usize) -> Option<(CallKind, usize)> {
        let held: Vec<usize> = (0..self.holds.len()).filter(|&i| self.holds[i].release.is_some()).collect();
        if held.is_empty() {
            return None;
        }
        let hold = &mut self.holds[held[pick % held.len()]];
        if let Some(release) = hold.release.take() {
            release.release();
        }
        Some((hold.kind, hold.call))
    }

    /// Completes every call still held.
    pub(crate) fn release_all(&mut self) {
        for hold in &mut self.holds {
            if let Some(release) = hold.release.take() {
                release.release();
            }
        }
    }

    /// Whether some call is still held.
    pub(crate) fn holding(&self) -> bool {
        self.holds.iter().any(|h| h.release.is_some())
    }

    /// The activation calls (kind, index) made and still held: in flight.
    pub(crate) fn activations_in_flight(&self, script: &Script) -> Vec<(CallKind, usize)> {
        self.holds
            .iter()
            .filter(|h| h.release.is_some() && h.kind.is_activation() && h.call < h.kind.count(script))
            .map(|h| (h.kind, h.call))
            .collect()
    }

    /// How many calls of `kind` the backend got that worked (for create and
    /// destroy: a container made, a container removed).
    pub(crate) fn worked(&self, script: &Script, kind: CallKind) -> usize {
        let plan = self.steps.get(&kind).map(Vec::as_slice).unwrap_or_default();
        let fails = |n: usize| plan.iter().any(|step| step.call == n && step.fails);
        (0..kind.count(script)).filter(|&n| !fails(n)).count()
    }
}

/// A step ending with `outcome` at `when`, and its release if it is held; a
/// time-out played `Now` ends after `timeout`.
fn step<T>(when: When, timeout: Option<Duration>, outcome: T) -> (Step<T>, Option<Release>) {
    match (when, timeout) {
        (When::Now, None) => (Step::now(outcome), None),
        (When::Now, Some(timeout)) => (Step::after(timeout, outcome), None),
        (When::After(wait), _) => (Step::after(wait.duration(), outcome), None),
        (When::Held, _) => {
            let (step, release) = Step::held(outcome);
            (step, Some(release))
        }
    }
}

impl Verdict {
    /// The step of an operation ending so at `when`: `ok` if it works, `error()`
    /// if the engine refuses, a panic of the backend if it panics.
    fn step<T, E>(
        self,
        when: When,
        error: impl FnOnce() -> E,
        ok: T,
    ) -> (Step<Result<T, E>>, Option<Release>) {
        let result = match self {
            Verdict::Succeeds | Verdict::BackendPanics => Ok(ok),
            Verdict::Fails => Err(error()),
        };
        let (step, release) = step(when, None, result);
        match self {
            Verdict::BackendPanics => (step.panicking(), release),
            Verdict::Succeeds | Verdict::Fails => (step, release),
        }
    }
}

fn engine_error(operation: &'static str) -> OperationError {
    OperationError::new(operation, "the engine said no")
}

fn timed_out(outcome: Outcome) -> Option<Duration> {
    (outcome == Outcome::TimedOut).then_some(ACTION_TIMEOUT)
}

fn limit_ms() -> u128 {
    ACTION_TIMEOUT.as_millis()
}

/// What the backend reports for an `/init` that ends so.
fn init_outcome(outcome: Outcome) -> InitOutcome {
    match outcome {
        Outcome::Success => InitOutcome::Ok,
        Outcome::ApplicationError | Outcome::DeveloperError => InitOutcome::Failed(
            ActivationResponse::developer_error(json!("The action failed during initialization: boom")),
        ),
        Outcome::Health => InitOutcome::Health,
        Outcome::TimedOut => InitOutcome::Failed(ActivationResponse::developer_error(
            messages::timed_out_during_init(limit_ms()),
        )),
        Outcome::ConnectionLost => InitOutcome::Connection(ConnectionError::NoResponseReceived),
        Outcome::NotDelivered => InitOutcome::Connection(not_delivered()),
        Outcome::Panics => InitOutcome::Panic,
    }
}

/// A connection reset before the whole request was written.
fn not_delivered() -> ConnectionError {
    let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by the scripted peer");
    ConnectionError::NotDelivered(TransportError::new(reset))
}

/// What the backend reports for a `/run` that ends so: the raw transport outcome for
/// the connection failures, classified by the proxy as any backend's.
fn run_outcome(outcome: Outcome) -> RunOutcome {
    RunOutcome::Response(match outcome {
        Outcome::Success => ok_response(),
        Outcome::ApplicationError => ActivationResponse::application_error(json!("no such user")),
        Outcome::DeveloperError => ActivationResponse::developer_error(json!("the action crashed")),
        Outcome::Health => return RunOutcome::Health,
        Outcome::TimedOut => ActivationResponse::developer_error(messages::timed_out(limit_ms())),
        Outcome::ConnectionLost => return RunOutcome::Connection(ConnectionError::NoResponseReceived),
        Outcome::NotDelivered => return RunOutcome::Connection(not_delivered()),
        Outcome::Panics => return RunOutcome::Panic,
    })
}
