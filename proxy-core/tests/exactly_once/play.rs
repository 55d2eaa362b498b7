//! Plays a [`Story`] on real proxies (`spawn_proxy`) over the scripted backend, on
//! tokio's paused clock, and records what the parent and the sink saw. Every wait is
//! bounded: tasks settle in a bounded number of scheduler rounds, and the final
//! phase runs the clock for a bounded time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use proxy_core::container::scripted::{Record, RecordingSink, ScriptedFactory};
use proxy_core::container::{
    spawn_proxy, Action, ActionLimits, ActivationMessage, Capacity, ContainerProxyAny,
    ContainerProxyEvent as Event, ProxyDeps, Run, StartSpec, ToParent,
};
use proxy_core::machine::driver::{Notice, Notices, Running, StopReason};

use super::check::{self, Report};
use super::story::{config, Op, ProxySpec, Story, ACTION_TIMEOUT, PREWARM_TTL};
pub(crate) use crate::common::script::CallKind;
use crate::common::script::Plan;

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
    /// What was scripted on its backend, and what of it is still held.
    pub(crate) plan: Plan,
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
}

impl Play {
    fn new(story: &Story) -> Self {
        let proxies = story.proxies.iter().map(|spec| UnderTest::new(*spec)).collect();
        Play { proxies, transcript: Vec::new(), unsettled: false, jobs_sent: 0 }
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
                let under = &mut self.proxies[proxy];
                under.plan.script(&under.factory.script, call, when);
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
        // The clock time scripted calls wait in all (not held ones): the most the
        // effects a stopped proxy left behind can still take.
        let late: Duration = self.proxies.iter().map(|p| p.plan.late).sum();
        let late_seconds = usize::try_from(late.as_secs()).unwrap_or(usize::MAX);
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
        match self.proxies[proxy].plan.release(pick) {
            Some((kind, call)) => self.note(proxy, format!("# release {kind:?} call #{}", call + 1)),
            None => self.note(proxy, "# nothing held to release"),
        }
    }

    fn release_all(&mut self) {
        for under in &mut self.proxies {
            under.plan.release_all();
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
                let in_flight = under.plan.activations_in_flight(&under.factory.script);
                under.seen.destroyed_under.extend(in_flight);
                under.destroys_seen = destroys;
            }
        }
    }
}

impl UnderTest {
    fn new(spec: ProxySpec) -> Self {
        let factory = ScriptedFactory::new();
        let sink = RecordingSink::new();
        let deps = Arc::new(ProxyDeps::new(factory.clone(), sink.clone(), config()));
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
            plan: Plan::default(),
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
