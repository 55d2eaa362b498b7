//! A scripted in-memory backend for tests: a real [`ContainerFactory`] and
//! [`Container`], where the test decides how each call ends and when (after a delay
//! on tokio's clock, or when the test releases it), with call counters and the
//! bodies of /init and /run kept for assertions. Also a recording
//! [`ActivationSink`].
//!
//! Like every backend, it reports raw outcomes ([`RunResult`]s) and the domain
//! classifies them. A scripted [`ActivationResponse`] is reported as the answer that
//! classifies back to it: a success as a 200 with its result, an application error
//! as a 200 `{"error": ..}`, a developer error as a 502 `{"error": ..}`, a health
//! error as a 503. Such an answer stands for one given in time: its interval is cut
//! just short of the call's timeout, however long the test held it, except for the
//! timeout's own message, which is reported as the timeout it is.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Map, Value};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::activation::{AckKind, Activation, ActivationSink};
use super::backend::{
    BackendError, Container, ContainerFactory, ContainerFacts, ContainerId, CreateSpec, LogRead, Logs,
    OperationError, ResponseLimits, StartupError, Survivor, Symptom,
};
use super::client::{ConnectionError, ContainerResponse, RunResult};
use super::response::{messages, ActivationResponse, ActivationStatus, Interval};

/// When a scripted call completes.
#[derive(Debug)]
enum Trigger {
    After(Duration),
    Released(oneshot::Receiver<()>),
}

/// How one scripted call ends, and when.
#[derive(Debug)]
pub struct Step<T> {
    trigger: Trigger,
    outcome: T,
    /// Whether the backend panics (a bug in it) when the step ends, instead of
    /// returning the outcome.
    panics: bool,
}

impl<T> Step<T> {
    /// Ends with `outcome` after `delay` on tokio's clock.
    pub fn after(delay: Duration, outcome: T) -> Self {
        Step { trigger: Trigger::After(delay), outcome, panics: false }
    }

    /// Ends with `outcome` at once.
    pub fn now(outcome: T) -> Self {
        Self::after(Duration::ZERO, outcome)
    }

    /// Ends with `outcome` when the returned [`Release`] is released (or dropped).
    pub fn held(outcome: T) -> (Self, Release) {
        let (release, released) = oneshot::channel();
        (Step { trigger: Trigger::Released(released), outcome, panics: false }, Release(release))
    }

    /// The same step, except that when it ends the backend panics (a bug in it)
    /// instead of returning the outcome: for the calls whose outcome has no
    /// panicking variant (create, suspend, resume, logs, destroy). The proxy must
    /// not hang on it, nor lose a job.
    pub fn panicking(self) -> Self {
        Step { panics: true, ..self }
    }

    async fn play(self) -> T {
        match self.trigger {
            // tokio rounds even a zero sleep up to its next 1 ms tick: an instant step
            // must not wait at all.
            Trigger::After(delay) if delay.is_zero() => {}
            Trigger::After(delay) => tokio::time::sleep(delay).await,
            Trigger::Released(released) => {
                let _ = released.await;
            }
        }
        if self.panics {
            panic!("the scripted backend panics, as scripted");
        }
        self.outcome
    }
}

/// Lets a held [`Step`] complete.
#[derive(Debug)]
pub struct Release(oneshot::Sender<()>);

impl Release {
    /// Completes the held call.
    pub fn release(self) {
        let _ = self.0.send(());
    }
}

/// How a scripted /init ends.
#[derive(Debug, Clone)]
pub enum InitOutcome {
    /// 200.
    Ok,
    /// A 503: the container is unhealthy.
    Health,
    /// Init failed with this (developer error) response: a 502 `{"error": ..}`, or
    /// the timeout when it is upstream's message for one.
    Failed(ActivationResponse),
    /// The runtime answered this, taken as is.
    Raw(ContainerResponse),
    /// No answer came (never reached, not delivered, ..).
    Connection(ConnectionError),
    /// The backend panics (a bug in it): the proxy must not hang on it.
    Panic,
}

/// How a scripted /run ends.
#[derive(Debug, Clone)]
pub enum RunOutcome {
    /// The answer that classifies to this response (see the module's docs). No
    /// answer classifies as a whisk error: one is reported as a 502; script a
    /// platform fault as what causes it (a [`ConnectionError::Timeout`] with
    /// [`Script::facts`] saying paused).
    Response(ActivationResponse),
    /// A 503: the runtime is shutting down, the job goes elsewhere.
    Health,
    /// The runtime answered this, taken as is.
    Raw(ContainerResponse),
    /// No answer came: [`ConnectionError::NotDelivered`] (a rescheduling run is
    /// then rescheduled), [`ConnectionError::NoResponseReceived`] (the connection
    /// was lost after delivery), a timeout, ..
    Connection(ConnectionError),
    /// The backend panics (a bug in it): the proxy must not hang on it.
    Panic,
}

/// The answer that classifies back to `response`, or `None` for the timeout's message.
fn answer_for(response: &ActivationResponse, timeout_message: &str) -> Option<ContainerResponse> {
    let error = response.result.get("error");
    if response.status == ActivationStatus::DeveloperError
        && error.and_then(serde_json::Value::as_str) == Some(timeout_message)
    {
        return None;
    }
    let (status, entity) = match response.status {
        ActivationStatus::Success | ActivationStatus::ApplicationError => (200, response.result.to_string()),
        // No answer of a runtime classifies as a whisk error: scripted as the
        // developer error closest to it.
        ActivationStatus::DeveloperError | ActivationStatus::WhiskError => {
            (502, json!({ "error": error.cloned().unwrap_or(Value::Null) }).to_string())
        }
    };
    Some(ContainerResponse { status, entity, truncated: None })
}

fn status(status: u16) -> ContainerResponse {
    ContainerResponse { status, entity: String::new(), truncated: None }
}

/// Counts of the calls made on the scripted backend.
#[derive(Debug, Default)]
pub struct Calls {
    /// `create`.
    pub creates: AtomicUsize,
    /// `initialize`.
    pub inits: AtomicUsize,
    /// `run`.
    pub runs: AtomicUsize,
    /// `suspend`.
    pub suspends: AtomicUsize,
    /// `resume`.
    pub resumes: AtomicUsize,
    /// `logs`.
    pub logs: AtomicUsize,
    /// `destroy`.
    pub destroys: AtomicUsize,
    /// `facts` (not in [`snapshot`](Self::snapshot)).
    pub facts: AtomicUsize,
    /// `adopt` (not in [`snapshot`](Self::snapshot)).
    pub adopts: AtomicUsize,
    /// `remove_survivor` (not in [`snapshot`](Self::snapshot)).
    pub survivor_removals: AtomicUsize,
}

impl Calls {
    /// (creates, inits, runs, suspends, resumes, logs, destroys).
    pub fn snapshot(&self) -> [usize; 7] {
        [&self.creates, &self.inits, &self.runs, &self.suspends, &self.resumes, &self.logs, &self.destroys]
            .map(|c| c.load(Ordering::SeqCst))
    }
}

/// The script every container of a [`ScriptedFactory`] follows. Calls with no step
/// queued succeed at once.
#[derive(Debug, Default)]
pub struct Script {
    creates: Mutex<VecDeque<Step<Result<(), StartupError>>>>,
    inits: Mutex<VecDeque<Step<InitOutcome>>>,
    runs: Mutex<VecDeque<Step<RunOutcome>>>,
    suspends: Mutex<VecDeque<Step<Result<(), OperationError>>>>,
    resumes: Mutex<VecDeque<Step<Result<(), OperationError>>>>,
    destroys: Mutex<VecDeque<Step<Result<(), OperationError>>>>,
    logs: Mutex<VecDeque<Step<Result<Logs, OperationError>>>>,
    facts: Mutex<ContainerFacts>,
    /// What the backend was asked.
    pub calls: Calls,
    /// The `/init` values received, in order.
    pub init_bodies: Mutex<Vec<Value>>,
    /// The `/run` (parameters, environment) received, in order.
    pub run_bodies: Mutex<Vec<(Value, Map<String, Value>)>>,
    /// The `reschedule` flag each `/run` was classified with, in order (the domain's
    /// flag: the backend itself never sees it).
    pub run_reschedule: Mutex<Vec<bool>>,
    /// The symptom of each `facts` query, in order.
    pub facts_asked: Mutex<Vec<Symptom>>,
    /// How each `logs` call was asked to read, in order.
    pub log_reads: Mutex<Vec<LogRead>>,
    /// The specs of the containers created.
    pub created: Mutex<Vec<CreateSpec>>,
    /// The address containers report, for health pings (`None`: no pings).
    pub addr: Mutex<Option<std::net::SocketAddr>>,
    /// The containers an earlier process left (see [`Script::survivor`]); a removed
    /// one leaves the list.
    pub survivors: Mutex<Vec<Survivor>>,
    /// Survivors that fail the alive check of `adopt`.
    pub dead: Mutex<Vec<ContainerId>>,
    /// The survivors removed, in order.
    pub removed_survivors: Mutex<Vec<ContainerId>>,
    /// The containers whose destroy worked, in order; one destroyed twice (a
    /// shutdown's second try while the first was still under way) is here twice.
    pub destroyed: Mutex<Vec<ContainerId>>,
}

fn next<T>(queue: &Mutex<VecDeque<Step<T>>>, default: impl FnOnce() -> T) -> Step<T> {
    queue.lock().expect("script lock").pop_front().unwrap_or_else(|| Step::now(default()))
}

impl Script {
    /// Queues how the next `create` ends.
    pub fn create(&self, step: Step<Result<(), StartupError>>) -> &Self {
        self.creates.lock().expect("script lock").push_back(step);
        self
    }
    /// Queues how the next `/init` ends.
    pub fn init(&self, step: Step<InitOutcome>) -> &Self {
        self.inits.lock().expect("script lock").push_back(step);
        self
    }
    /// Queues how the next `/run` ends.
    pub fn run(&self, step: Step<RunOutcome>) -> &Self {
        self.runs.lock().expect("script lock").push_back(step);
        self
    }
    /// Queues how the next `suspend` ends.
    pub fn suspend(&self, step: Step<Result<(), OperationError>>) -> &Self {
        self.suspends.lock().expect("script lock").push_back(step);
        self
    }
    /// Queues how the next `resume` ends.
    pub fn resume(&self, step: Step<Result<(), OperationError>>) -> &Self {
        self.resumes.lock().expect("script lock").push_back(step);
        self
    }
    /// Queues how the next `destroy` ends.
    pub fn destroy(&self, step: Step<Result<(), OperationError>>) -> &Self {
        self.destroys.lock().expect("script lock").push_back(step);
        self
    }
    /// Queues how the next `logs` ends.
    pub fn logs(&self, step: Step<Result<Logs, OperationError>>) -> &Self {
        self.logs.lock().expect("script lock").push_back(step);
        self
    }
    /// Adds a container an earlier process left: `survivors` lists it, and `adopt`
    /// attaches to it (a container following this script) unless it is
    /// [`dead`](Self::dead).
    pub fn survivor(&self, id: &str, paused: bool) -> &Self {
        let survivor = Survivor { id: ContainerId(id.into()), paused };
        self.survivors.lock().expect("script lock").push(survivor);
        self
    }
    /// Makes survivor `id` fail the alive check of `adopt`.
    pub fn dead(&self, id: &str) -> &Self {
        self.dead.lock().expect("script lock").push(ContainerId(id.into()));
        self
    }
    /// What `facts` answers from now on (at first: nothing to report).
    pub fn facts(&self, facts: ContainerFacts) -> &Self {
        *self.facts.lock().expect("script lock") = facts;
        self
    }
}

/// An interval from `start` to now, cut just short of `timeout`: a scripted answer
/// came in time, however long the test held it.
fn in_time(start: Instant, timeout: Duration) -> Interval {
    let end = Instant::now().min(start + timeout.saturating_sub(Duration::from_nanos(1)));
    Interval { start, end }
}

/// A success response `{"ok": true}`.
pub fn ok_response() -> ActivationResponse {
    ActivationResponse::success(json!({"ok": true}))
}

/// A factory of scripted containers.
#[derive(Debug, Default)]
pub struct ScriptedFactory {
    /// The script its containers follow.
    pub script: Arc<Script>,
}

impl ScriptedFactory {
    /// A factory whose calls all succeed at once until scripted otherwise.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }
}

#[async_trait]
impl ContainerFactory for ScriptedFactory {
    async fn create(&self, spec: CreateSpec) -> Result<Arc<dyn Container>, StartupError> {
        self.script.calls.creates.fetch_add(1, Ordering::SeqCst);
        let id = ContainerId(format!("scripted-{}", spec.name));
        self.script.created.lock().expect("script lock").push(spec);
        next(&self.script.creates, || Ok(())).play().await?;
        let addr = *self.script.addr.lock().expect("script lock");
        Ok(Arc::new(ScriptedContainer { id, addr, script: self.script.clone() }))
    }

    async fn survivors(&self) -> Result<Vec<Survivor>, BackendError> {
        Ok(self.script.survivors.lock().expect("script lock").clone())
    }

    async fn adopt(&self, survivor: &Survivor) -> Result<Arc<dyn Container>, BackendError> {
        self.script.calls.adopts.fetch_add(1, Ordering::SeqCst);
        if self.script.dead.lock().expect("script lock").contains(&survivor.id) {
            return Err(BackendError::new(format!("scripted survivor {} does not answer", survivor.id)));
        }
        let addr = *self.script.addr.lock().expect("script lock");
        Ok(Arc::new(ScriptedContainer { id: survivor.id.clone(), addr, script: self.script.clone() }))
    }

    async fn remove_survivor(&self, id: &ContainerId) -> Result<(), BackendError> {
        self.script.calls.survivor_removals.fetch_add(1, Ordering::SeqCst);
        self.script.survivors.lock().expect("script lock").retain(|s| &s.id != id);
        self.script.removed_survivors.lock().expect("script lock").push(id.clone());
        Ok(())
    }
}

/// A container that follows a [`Script`].
#[derive(Debug)]
pub struct ScriptedContainer {
    id: ContainerId,
    addr: Option<std::net::SocketAddr>,
    script: Arc<Script>,
}

#[async_trait]
impl Container for ScriptedContainer {
    fn id(&self) -> &ContainerId {
        &self.id
    }

    fn addr(&self) -> Option<std::net::SocketAddr> {
        self.addr
    }

    async fn initialize(&self, initializer: Value, timeout: Duration, _max_concurrent: usize) -> RunResult {
        self.script.calls.inits.fetch_add(1, Ordering::SeqCst);
        self.script.init_bodies.lock().expect("script lock").push(initializer);
        let start = Instant::now();
        let outcome = next(&self.script.inits, || InitOutcome::Ok).play().await;
        let timed_out = messages::timed_out_during_init(timeout.as_millis());
        let (interval, response) = match outcome {
            InitOutcome::Ok => (in_time(start, timeout), Ok(status(ContainerResponse::OK_STATUS))),
            InitOutcome::Health => (in_time(start, timeout), Ok(status(ContainerResponse::SHUTTING_DOWN))),
            InitOutcome::Failed(response) => match answer_for(&response, &timed_out) {
                Some(answer) => (in_time(start, timeout), Ok(answer)),
                None => (
                    Interval { start, end: Instant::now().max(start + timeout) },
                    Err(ConnectionError::Timeout(timeout)),
                ),
            },
            InitOutcome::Raw(answer) => (Interval { start, end: Instant::now() }, Ok(answer)),
            InitOutcome::Connection(error) => (Interval { start, end: Instant::now() }, Err(error)),
            InitOutcome::Panic => panic!("the scripted backend panics in /init, as scripted"),
        };
        RunResult { interval, response }
    }

    async fn run(
        &self,
        parameters: Value,
        environment: Map<String, Value>,
        timeout: Duration,
        _limits: ResponseLimits,
    ) -> RunResult {
        self.script.calls.runs.fetch_add(1, Ordering::SeqCst);
        self.script.run_bodies.lock().expect("script lock").push((parameters, environment));
        if let Ok(reschedule) = super::outcome::RESCHEDULE.try_with(|r| *r) {
            self.script.run_reschedule.lock().expect("script lock").push(reschedule);
        }
        let start = Instant::now();
        let outcome = next(&self.script.runs, || RunOutcome::Response(ok_response())).play().await;
        let timed_out = messages::timed_out(timeout.as_millis());
        let (interval, response) = match outcome {
            RunOutcome::Response(response) => match answer_for(&response, &timed_out) {
                Some(answer) => (in_time(start, timeout), Ok(answer)),
                None => (
                    Interval { start, end: Instant::now().max(start + timeout) },
                    Err(ConnectionError::Timeout(timeout)),
                ),
            },
            RunOutcome::Health => (in_time(start, timeout), Ok(status(ContainerResponse::SHUTTING_DOWN))),
            RunOutcome::Raw(answer) => (Interval { start, end: Instant::now() }, Ok(answer)),
            RunOutcome::Connection(error) => (Interval { start, end: Instant::now() }, Err(error)),
            RunOutcome::Panic => panic!("the scripted backend panics in /run, as scripted"),
        };
        RunResult { interval, response }
    }

    async fn facts(&self, _since: std::time::SystemTime, symptom: Symptom) -> ContainerFacts {
        self.script.calls.facts.fetch_add(1, Ordering::SeqCst);
        self.script.facts_asked.lock().expect("script lock").push(symptom);
        *self.script.facts.lock().expect("script lock")
    }

    async fn suspend(&self) -> Result<(), OperationError> {
        self.script.calls.suspends.fetch_add(1, Ordering::SeqCst);
        next(&self.script.suspends, || Ok(())).play().await
    }

    async fn resume(&self) -> Result<(), OperationError> {
        self.script.calls.resumes.fetch_add(1, Ordering::SeqCst);
        next(&self.script.resumes, || Ok(())).play().await
    }

    async fn logs(&self, _limit_bytes: usize, read: LogRead) -> Result<Logs, OperationError> {
        self.script.calls.logs.fetch_add(1, Ordering::SeqCst);
        self.script.log_reads.lock().expect("script lock").push(read);
        let mut logs =
            next(&self.script.logs, || Ok(Logs { lines: vec!["a log line".into()], failed: false }))
                .play()
                .await?;
        if read == LogRead::AfterDeveloperError {
            // The backend contract: a developer error's logs end with upstream's warning.
            logs.lines.push(format!("stderr: {}", messages::LOG_DEVELOPER_ERROR));
        }
        Ok(logs)
    }

    async fn destroy(&self) -> Result<(), OperationError> {
        self.script.calls.destroys.fetch_add(1, Ordering::SeqCst);
        let destroyed = next(&self.script.destroys, || Ok(())).play().await;
        if destroyed.is_ok() {
            self.script.destroyed.lock().expect("script lock").push(self.id.clone());
        }
        destroyed
    }
}

/// One call made on a [`RecordingSink`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// An acknowledgement.
    Ack {
        /// Its kind.
        kind: AckKind,
        /// The activation.
        activation_id: String,
        /// The response's status.
        status: ActivationStatus,
    },
    /// A store.
    Store {
        /// The activation.
        activation_id: String,
        /// The response's status.
        status: ActivationStatus,
        /// How many log lines it carried.
        log_lines: usize,
    },
}

/// An [`ActivationSink`] that records every call, and the stored activations.
#[derive(Debug, Default)]
pub struct RecordingSink {
    /// The calls, in order.
    pub records: Mutex<Vec<Record>>,
    /// The activations stored, in order.
    pub stored: Mutex<Vec<Activation>>,
}

impl RecordingSink {
    /// An empty sink.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The calls so far.
    pub fn records(&self) -> Vec<Record> {
        self.records.lock().expect("sink lock").clone()
    }
}

#[async_trait]
impl ActivationSink for RecordingSink {
    async fn ack(&self, kind: AckKind, activation: &Activation, _blocking: bool) {
        self.records.lock().expect("sink lock").push(Record::Ack {
            kind,
            activation_id: activation.activation_id.clone(),
            status: activation.response.status,
        });
    }

    async fn store(&self, activation: &Activation, _blocking: bool) {
        self.records.lock().expect("sink lock").push(Record::Store {
            activation_id: activation.activation_id.clone(),
            status: activation.response.status,
            log_lines: activation.logs.len(),
        });
        self.stored.lock().expect("sink lock").push(activation.clone());
    }
}
