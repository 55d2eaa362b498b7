//! Plays a [`Story`] on real proxies (`spawn_proxy`) over the scripted backend, on
//! tokio's paused clock, and records what the parent and the sink saw. Every wait is
//! bounded: tasks settle in a bounded number of scheduler rounds, and the final
//! phase runs the clock for a bounded time.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use proxy_core::container::client::{ConnectionError, TransportError};
use proxy_core::container::response::messages;
use proxy_core::container::scripted::{
    ok_response, InitOutcome, Record, RecordingSink, Release, RunOutcome, Script, ScriptedFactory, Step,
};
use proxy_core::container::{
    spawn_proxy, Action, ActionLimits, ActivationMessage, ActivationResponse, Capacity, ContainerProxyAny,
    ContainerProxyEvent as Event, Logs, OperationError, ProxyDeps, Run, StartSpec, StartupError, ToParent,
};
use proxy_core::machine::driver::{Notice, Notices, Running, StopReason};
use serde_json::json;

use super::check::{self, Report};
use super::story::{config, Call, Op, Outcome, ProxySpec, Story, Verdict, When, ACTION_TIMEOUT, PREWARM_TTL};

/// Scheduler rounds without anything new that count as settled.
const QUIET_ROUNDS: usize = 3;
/// Scheduler rounds after which a proxy that still moves is reported as not settling.
const MAX_ROUNDS: usize = 2_000;
/// Seconds the final phase lets the clock run, at most, for the proxies to stop.
const FINAL_SECONDS: usize = 300;
/// Seconds the clock runs on after the proxies stopped, at most, for the effects
/// they left behind (acks and stores of activations still in flight: at most init,
/// run and logs, each up to the action's time limit), when calls were scripted to wait.
const AFTERMATH_SECONDS: usize = 20;

/// Plays `story` to its end (the final phase included) and judges it.
pub(crate) async fn play(story: &Story) -> Report {
    let mut play = Play::new(story);
    for op in &story.ops {
        play.apply(op).await;
    }
    play.finish().await;
    check::judge(story, &play)
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
    fn is_activation(self) -> bool {
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

/// A job the parent sent.
#[derive(Debug, Clone)]
pub(crate) struct Ticket {
    /// Its activation id (`j1`, `j2`, .. across the story).
    pub(crate) id: String,
    /// Whether its caller waits.
    pub(crate) blocking: bool,
    /// Whether `Running::send` took it (`Err` hands the event back: never accepted).
    pub(crate) accepted: bool,
}

/// What one proxy's parent saw, in notice order.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// The state after the last transition.
    pub(crate) state: &'static str,
    /// Why it stopped, once it did.
    pub(crate) stopped: Option<StopReason>,
    /// Hand-backs per activation id: `Resend`, or an `Unhandled` `Run`.
    pub(crate) handed_back: BTreeMap<String, usize>,
    /// `ContainerRemoved` and `RescheduleJob` messages.
    pub(crate) removal_signals: usize,
    /// Messages other than hand-backs after the first removal signal.
    pub(crate) after_removal: Vec<String>,
    /// `NeedWork(Warm)` messages so far.
    pub(crate) warm_offers: usize,
    /// `NeedWork(Prewarmed)` messages so far.
    pub(crate) prewarm_offers: usize,
    /// Times the warm offers exceeded the activations finished: (offers, finished).
    pub(crate) over_offers: Vec<(usize, usize)>,
    /// `DestroyFailed` reports.
    pub(crate) destroy_failed: usize,
    /// Destroys started while an activation call (kind, index) was still held.
    pub(crate) destroyed_under: Vec<(CallKind, usize)>,
    /// Effect panics reported.
    pub(crate) panics: usize,
    /// Whether the proxy ever took on work (left `Uninitialized` other than for
    /// `Removed`): one that never did has no capacity to give back.
    pub(crate) took_work: bool,
}

/// One proxy of a story, with its backend, sink and what its parent saw.
pub(crate) struct UnderTest {
    /// Its action.
    pub(crate) spec: ProxySpec,
    action: Arc<Action>,
    /// Its scripted backend.
    pub(crate) factory: Arc<ScriptedFactory>,
    /// Its activation sink.
    pub(crate) sink: Arc<RecordingSink>,
    /// The handle, until a step gives it up (`Running::shutdown` takes it).
    running: Option<Running<ContainerProxyAny>>,
    notices: Notices<ContainerProxyAny>,
    /// The jobs sent to it.
    pub(crate) jobs: Vec<Ticket>,
    /// The steps queued per call kind, in order.
    pub(crate) plan: BTreeMap<CallKind, Vec<Planned>>,
    holds: Vec<Hold>,
    /// What its parent saw.
    pub(crate) seen: Seen,
    records_seen: usize,
    /// Stores among the records seen: the activations finished.
    stores: usize,
    destroys_seen: usize,
}

/// A story being played.
pub(crate) struct Play {
    /// The proxies.
    pub(crate) proxies: Vec<UnderTest>,
    /// What happened, in order, for the report.
    pub(crate) transcript: Vec<String>,
    /// Whether some settle ran out of rounds (a proxy that never stops moving).
    pub(crate) unsettled: bool,
    jobs_sent: usize,
    /// The clock time scripted calls wait in all (not held ones): the most the
    /// effects a stopped proxy left behind can still take.
    late: Duration,
}

impl Play {
    fn new(story: &Story) -> Self {
        let proxies = story.proxies.iter().map(|spec| UnderTest::new(*spec)).collect();
        Play { proxies, transcript: Vec::new(), unsettled: false, jobs_sent: 0, late: Duration::ZERO }
    }

    fn note(&mut self, proxy: usize, line: impl AsRef<str>) {
        self.transcript.push(format!("p{proxy} {}", line.as_ref()));
    }

    /// Carries out one step, then lets every task settle.
    async fn apply(&mut self, op: &Op) {
        match *op {
            Op::Prewarm { proxy, ttl } => {
                self.note(proxy, format!("> Start (ttl: {ttl})"));
                let start = Event::Start(StartSpec {
                    kind: "nodejs:20".into(),
                    image: "runtime:latest".into(),
                    memory_mb: 256,
                    ttl: ttl.then_some(PREWARM_TTL),
                });
                self.send(proxy, start);
            }
            Op::Job { proxy, blocking } => self.send_job(proxy, blocking),
            Op::Script { proxy, call, when } => {
                self.note(proxy, format!("# next {call:?}, {when:?}"));
                self.late += match (when, call) {
                    (When::After(wait), _) => wait.duration(),
                    (When::Now, Call::Init(Outcome::TimedOut) | Call::Run(Outcome::TimedOut)) => {
                        ACTION_TIMEOUT
                    }
                    _ => Duration::ZERO,
                };
                self.proxies[proxy].script(call, when);
            }
            Op::Release { proxy, pick } => self.release(proxy, pick),
            Op::Race { proxy, pick, yields, blocking } => {
                self.release(proxy, pick);
                // Sent from a task woken right after the released call's: the job
                // can land in the inbox between the call's outcome and the proxy's
                // turn, as a pool's job can on a busy invoker.
                let (run, id) = self.new_job(proxy, blocking);
                let inbox = self.proxies[proxy].running.as_ref().map(Running::inbox);
                let sent = tokio::spawn(async move {
                    for _ in 0..yields {
                        tokio::task::yield_now().await;
                    }
                    inbox.is_some_and(|inbox| inbox.send(Event::Run(run)).is_ok())
                });
                self.note(
                    proxy,
                    format!("> Job {id} ({}, racing the release by {yields} rounds)", how(blocking)),
                );
                self.settle().await;
                let accepted = sent.await.expect("the sender task does not panic");
                self.proxies[proxy].jobs.push(Ticket { id: id.clone(), blocking, accepted });
                if !accepted {
                    self.note(proxy, format!("  {id} refused: the proxy has stopped"));
                }
            }
            Op::Remove { proxy } => {
                self.note(proxy, "> Remove");
                self.send(proxy, Event::Remove);
            }
            Op::Advance(wait) => {
                self.transcript.push(format!("-- {wait:?} passes ({:?})", wait.duration()));
                tokio::time::advance(wait.duration()).await;
            }
            Op::Shutdown { proxy, grace } => {
                let Some(running) = self.proxies[proxy].running.take() else {
                    self.note(proxy, "  (already shut down)");
                    return;
                };
                let grace = grace.duration();
                self.note(proxy, format!("> shutdown, grace {grace:?}"));
                let shutdown = tokio::spawn(running.shutdown(grace));
                // The grace passes on the paused clock, a tick at a time so that
                // effects finishing within it are seen to.
                let mut waited = Duration::ZERO;
                while !shutdown.is_finished() && waited <= grace + Duration::from_secs(1) {
                    self.settle().await;
                    let step = Duration::from_millis(1).max(grace / 20);
                    tokio::time::advance(step).await;
                    waited += step;
                }
                self.settle().await;
                assert!(shutdown.is_finished(), "p{proxy}: a shutdown outlasted its grace");
                let _stopped = shutdown.await.expect("the shutdown task").expect("the proxy's task");
            }
        }
        self.settle().await;
    }

    /// The final phase: every held call completes, every proxy gets `Remove`, and
    /// the clock runs until they all stopped (or never started), then a while longer
    /// for the acks and stores of activations they left in flight.
    async fn finish(&mut self) {
        self.transcript.push("-- final phase: release everything, Remove, let the clock run".into());
        self.release_all();
        self.settle().await;
        for proxy in 0..self.proxies.len() {
            self.note(proxy, "> Remove");
            self.send(proxy, Event::Remove);
        }
        self.settle().await;
        for _ in 0..FINAL_SECONDS {
            if self.proxies.iter().all(|p| p.seen.stopped.is_some() || p.seen.state == "Uninitialized") {
                break;
            }
            self.tick().await;
        }
        let late_seconds = usize::try_from(self.late.as_secs()).unwrap_or(usize::MAX);
        for _ in 0..AFTERMATH_SECONDS.min(late_seconds + 1) {
            self.tick().await;
        }
    }

    async fn tick(&mut self) {
        tokio::time::advance(Duration::from_secs(1)).await;
        self.release_all();
        self.settle().await;
    }

    fn send(&mut self, proxy: usize, event: Event) {
        if let Err(event) = self.proxies[proxy].send(event) {
            self.note(proxy, format!("  refused {}: the proxy has stopped", event.name()));
        }
    }

    /// A new job of the proxy's action, with the story's next activation id.
    fn new_job(&mut self, proxy: usize, blocking: bool) -> (Run, String) {
        self.jobs_sent += 1;
        let id = format!("j{}", self.jobs_sent);
        let run = Run {
            action: self.proxies[proxy].action.clone(),
            msg: Arc::new(ActivationMessage { blocking, ..ActivationMessage::new(id.clone(), "guest") }),
        };
        (run, id)
    }

    fn send_job(&mut self, proxy: usize, blocking: bool) {
        let (run, id) = self.new_job(proxy, blocking);
        let under = &mut self.proxies[proxy];
        let accepted = under.send(Event::Run(run)).is_ok();
        under.jobs.push(Ticket { id: id.clone(), blocking, accepted });
        let refused = if accepted { "" } else { ", refused: the proxy has stopped" };
        self.note(proxy, format!("> Job {id} ({}{refused})", how(blocking)));
    }

    fn release(&mut self, proxy: usize, pick: usize) {
        let under = &mut self.proxies[proxy];
        let held: Vec<usize> = (0..under.holds.len()).filter(|&i| under.holds[i].release.is_some()).collect();
        if held.is_empty() {
            self.note(proxy, "# nothing held to release");
            return;
        }
        let hold = &mut under.holds[held[pick % held.len()]];
        let (kind, call) = (hold.kind, hold.call);
        if let Some(release) = hold.release.take() {
            release.release();
        }
        self.note(proxy, format!("# release {kind:?} call #{}", call + 1));
    }

    fn release_all(&mut self) {
        for under in &mut self.proxies {
            for hold in &mut under.holds {
                if let Some(release) = hold.release.take() {
                    release.release();
                }
            }
        }
    }

    /// Lets every task run until nothing observable changes for a few rounds.
    async fn settle(&mut self) {
        let mut last = self.fingerprint();
        let mut quiet = 0;
        for _ in 0..MAX_ROUNDS {
            tokio::task::yield_now().await;
            self.observe();
            let now = self.fingerprint();
            if now == last {
                quiet += 1;
                if quiet == QUIET_ROUNDS {
                    self.check_destroys();
                    return;
                }
            } else {
                quiet = 0;
                last = now;
            }
        }
        self.unsettled = true;
        self.check_destroys();
    }

    /// What can be seen moving: backend calls, sink records, notices, stopped tasks.
    fn fingerprint(&self) -> usize {
        // A sum is enough: every count only grows.
        let moving = |under: &UnderTest| {
            let calls: usize = under.factory.script.calls.snapshot().iter().sum();
            let finished = under.running.as_ref().is_none_or(Running::is_finished);
            calls + under.records_seen + usize::from(finished)
        };
        self.transcript.len() + self.proxies.iter().map(moving).sum::<usize>()
    }

    /// Reads every proxy's sink, its notices, then its sink again: the transcript
    /// shows a store before the `NeedWork` it made room for, and a `NeedWork` read
    /// now was sent after the store of the activation that freed its capacity, so
    /// the stores counted after it include that one.
    fn observe(&mut self) {
        for proxy in 0..self.proxies.len() {
            self.read_sink(proxy);
            while let Ok(notice) = self.proxies[proxy].notices.try_recv() {
                let line = self.proxies[proxy].seen.take(notice);
                self.note(proxy, line);
            }
            self.read_sink(proxy);
            let under = &mut self.proxies[proxy];
            let (offers, finished) = (under.seen.warm_offers, under.stores);
            if offers > finished && under.seen.over_offers.last() != Some(&(offers, finished)) {
                under.seen.over_offers.push((offers, finished));
            }
        }
    }

    fn read_sink(&mut self, proxy: usize) {
        let new: Vec<Record> = {
            let under = &self.proxies[proxy];
            let records = under.sink.records.lock().expect("sink lock");
            records[under.records_seen..].to_vec()
        };
        for record in &new {
            let line = match record {
                Record::Ack { kind, activation_id, status } => {
                    format!("$ ack {kind:?} {activation_id} {status:?}")
                }
                Record::Store { activation_id, status, log_lines } => {
                    format!("$ store {activation_id} {status:?} ({log_lines} log lines)")
                }
            };
            self.note(proxy, line);
        }
        let under = &mut self.proxies[proxy];
        under.records_seen += new.len();
        under.stores += new.iter().filter(|r| matches!(r, Record::Store { .. })).count();
    }

    /// A destroy that started while an activation call was held (and so still in
    /// flight) would kill that activation on a real engine.
    fn check_destroys(&mut self) {
        for under in &mut self.proxies {
            let destroys = CallKind::Destroy.count(&under.factory.script);
            if destroys > under.destroys_seen {
                for hold in under.holds.iter().filter(|h| h.release.is_some() && h.kind.is_activation()) {
                    if hold.call < hold.kind.count(&under.factory.script) {
                        under.seen.destroyed_under.push((hold.kind, hold.call));
                    }
                }
                under.destroys_seen = destroys;
            }
        }
    }
}

impl UnderTest {
    fn new(spec: ProxySpec) -> Self {
        let factory = ScriptedFactory::new();
        let sink = RecordingSink::new();
        let deps = Arc::new(ProxyDeps { factory: factory.clone(), sink: sink.clone(), config: config() });
        let (running, notices) = spawn_proxy(deps);
        let action = Arc::new(Action {
            kind: "nodejs:20".into(),
            limits: ActionLimits {
                timeout: ACTION_TIMEOUT,
                memory_mb: 256,
                logs_mb: if spec.logs { 10 } else { 0 },
                max_concurrent: spec.max_concurrent,
            },
            ..Action::new("guest", "hello", "runtime:latest", "function main() {}")
        });
        UnderTest {
            spec,
            action,
            factory,
            sink,
            running: Some(running),
            notices,
            jobs: Vec::new(),
            plan: BTreeMap::new(),
            holds: Vec::new(),
            seen: Seen { state: "Uninitialized", ..Seen::default() },
            records_seen: 0,
            stores: 0,
            destroys_seen: 0,
        }
    }

    /// `Running::send`: `Err` hands the event back, never accepted.
    fn send(&self, event: Event) -> Result<(), Event> {
        match &self.running {
            Some(running) => running.send(event),
            None => Err(event),
        }
    }

    /// Queues how the next call of `call`'s kind ends.
    fn script(&mut self, call: Call, when: When) {
        let script = &self.factory.script;
        let fails = match call {
            Call::Create(verdict) | Call::Logs(verdict) | Call::Suspend(verdict) => verdict == Verdict::Fails,
            Call::Resume(verdict) | Call::Destroy(verdict) => verdict == Verdict::Fails,
            Call::Init(outcome) | Call::Run(outcome) => outcome != Outcome::Success,
        };
        let (kind, release) = match call {
            Call::Create(verdict) => {
                let (step, release) =
                    step(when, None, verdict.result(|| StartupError::whisk("no space left")));
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
                let (step, release) =
                    step(when, None, verdict.result(|| engine_error("logs")).map(|()| logs));
                script.logs(step);
                (CallKind::Logs, release)
            }
            Call::Suspend(verdict) => {
                let (step, release) = step(when, None, verdict.result(|| engine_error("pause")));
                script.suspend(step);
                (CallKind::Suspend, release)
            }
            Call::Resume(verdict) => {
                let (step, release) = step(when, None, verdict.result(|| engine_error("unpause")));
                script.resume(step);
                (CallKind::Resume, release)
            }
            Call::Destroy(verdict) => {
                let (step, release) = step(when, None, verdict.result(|| engine_error("rm")));
                script.destroy(step);
                (CallKind::Destroy, release)
            }
        };
        let calls_so_far = kind.count(script);
        let queue = self.plan.entry(kind).or_default();
        let call = queue.last().map_or(calls_so_far, |last| calls_so_far.max(last.call + 1));
        queue.push(Planned { call, fails });
        if let Some(release) = release {
            self.holds.push(Hold { kind, call, release: Some(release) });
        }
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
    fn result<E>(self, error: impl FnOnce() -> E) -> Result<(), E> {
        match self {
            Verdict::Succeeds => Ok(()),
            Verdict::Fails => Err(error()),
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

impl Seen {
    /// Takes one notice into account; the transcript's line for it.
    fn take(&mut self, notice: Notice<Event, ToParent>) -> String {
        match notice {
            Notice::Message(message) => {
                let line = format!("< {message}");
                let hand_back = matches!(message, ToParent::Resend(_) | ToParent::DestroyFailed { .. });
                if self.removal_signals > 0 && !hand_back {
                    self.after_removal.push(message.to_string());
                }
                match message {
                    ToParent::NeedWork(Capacity::Warm(_)) => self.warm_offers += 1,
                    ToParent::NeedWork(Capacity::Prewarmed(_)) => self.prewarm_offers += 1,
                    ToParent::ContainerRemoved { .. } | ToParent::RescheduleJob => self.removal_signals += 1,
                    ToParent::Resend(run) => {
                        *self.handed_back.entry(run.msg.activation_id.clone()).or_default() += 1
                    }
                    ToParent::DestroyFailed { .. } => self.destroy_failed += 1,
                    // The stories send no `Release`; for the parent it ends the container as a removal does.
                    ToParent::Released { .. } => self.removal_signals += 1,
                }
                line
            }
            Notice::Transition(t) => {
                self.state = t.to;
                self.took_work |= t.from == "Uninitialized" && t.to != "Removed";
                format!(": {} -> {}", t.from, t.to)
            }
            Notice::Unhandled { state, event } => {
                let line = format!("< unhandled {} in {state}", event.name());
                if let Event::Run(run) = event {
                    *self.handed_back.entry(run.msg.activation_id.clone()).or_default() += 1;
                    return format!("{line} ({})", run.msg.activation_id);
                }
                line
            }
            Notice::EffectPanicked { state } => {
                self.panics += 1;
                format!("! an effect panicked in {state}")
            }
            Notice::Stopped { state, reason } => {
                self.state = state;
                self.stopped = Some(reason);
                format!(": stopped in {state} ({reason:?})")
            }
        }
    }
}

fn how(blocking: bool) -> &'static str {
    if blocking {
        "blocking"
    } else {
        "non-blocking"
    }
}
