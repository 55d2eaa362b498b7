//! Scenario tests of the container proxy on the scripted backend and tokio's paused
//! clock: the exact order of messages to the parent and of transitions, call
//! counts, acknowledgements and stores (reference section 1, and the upstream bugs
//! of 1.13 and 7 fixed on purpose).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use proxy_core::container::scripted::{ok_response, InitOutcome, Record, RunOutcome, Step};
use proxy_core::container::{
    AckKind, Action, ActionLimits, ActivationMessage, ActivationResponse, ActivationStatus,
    ContainerProxyAny, ContainerProxyEvent as Event, OperationError, ProxyConfig, Run, StartSpec,
    StartupError,
};
use proxy_core::machine::driver::Running;
use serde_json::json;
use tokio::time::advance;

mod common;
use common::proxy::Proxy;

/// Calls: [creates, inits, runs, suspends, resumes, logs, destroys].
const fn calls(
    creates: usize,
    inits: usize,
    runs: usize,
    suspends: usize,
    resumes: usize,
    logs: usize,
    destroys: usize,
) -> [usize; 7] {
    [creates, inits, runs, suspends, resumes, logs, destroys]
}

fn action(max_concurrent: usize, logs_mb: u64) -> Arc<Action> {
    Arc::new(Action {
        kind: "nodejs:20".into(),
        limits: ActionLimits { timeout: Duration::from_secs(60), memory_mb: 256, logs_mb, max_concurrent },
        ..Action::new("guest", "hello", "runtime:latest", "function main() {}")
    })
}

fn job(action: &Arc<Action>, id: &str) -> Run {
    job_with(action, id, true)
}

fn job_with(action: &Arc<Action>, id: &str, blocking: bool) -> Run {
    Run {
        action: action.clone(),
        msg: Arc::new(ActivationMessage {
            api_key: Some("uuid:secret".into()),
            blocking,
            content: Some(json!({"name": "world"})),
            ..ActivationMessage::new(id, "guest")
        }),
    }
}

fn start(ttl: Option<Duration>) -> Event {
    Event::Start(StartSpec { kind: "nodejs:20".into(), image: "runtime:latest".into(), memory_mb: 256, ttl })
}

fn ack(kind: AckKind, id: &str, status: ActivationStatus) -> Record {
    Record::Ack { kind, activation_id: id.into(), status }
}

fn store(id: &str, status: ActivationStatus, log_lines: usize) -> Record {
    Record::Store { activation_id: id.into(), status, log_lines }
}

use ActivationStatus::{DeveloperError, Success, WhiskError};

fn developer_error() -> ActivationResponse {
    ActivationResponse::developer_error("The action did not initialize and exited unexpectedly.")
}

fn op_error(operation: &'static str) -> OperationError {
    OperationError::new(operation, "engine said no")
}

#[tokio::test(start_paused = true)]
async fn prewarm_on_start() {
    let mut proxy = Proxy::new();
    proxy.send(start(None));
    assert_eq!(
        proxy.seen().await,
        ["Uninitialized -> Starting", "NeedWork(prewarmed)", "Starting -> Started"]
    );
    assert_eq!(proxy.calls(), calls(1, 0, 0, 0, 0, 0, 0));
    let spec = proxy.factory.script.created.lock().unwrap()[0].clone();
    let nonce = proxy_core::container::naming::nonce();
    assert!(
        spec.name.starts_with(&format!("{nonce}_")) && spec.name.ends_with("_prewarm_nodejs20"),
        "{}",
        spec.name
    );
    assert_eq!(spec.cpu_shares, 256);
}

#[tokio::test(start_paused = true)]
async fn cold_start_on_run() {
    let mut proxy = Proxy::new();
    let a = action(1, 10);
    proxy.send(Event::Run(job(&a, "a1")));
    assert_eq!(proxy.seen().await, ["Uninitialized -> Running", "NeedWork(warm)", "Running -> Ready"]);
    assert_eq!(proxy.calls(), calls(1, 1, 1, 0, 0, 1, 0));
    assert_eq!(
        proxy.records(),
        [
            ack(AckKind::Result, "a1", Success),
            ack(AckKind::Completion, "a1", Success),
            store("a1", Success, 1)
        ]
    );
    let spec = proxy.factory.script.created.lock().unwrap()[0].clone();
    assert!(spec.name.ends_with("_guest_hello"), "{}", spec.name);
}

#[tokio::test(start_paused = true)]
async fn run_on_a_prewarm_then_pause_after_the_grace_then_remove_after_the_unused_timeout() {
    let mut proxy = Proxy::new();
    let a = action(1, 10);
    proxy.send(start(None));
    proxy.send(Event::Run(job(&a, "a1")));
    assert_eq!(
        proxy.seen().await,
        [
            "Uninitialized -> Starting",
            "NeedWork(prewarmed)",
            "Starting -> Started",
            "Started -> Running",
            "NeedWork(warm)",
            "Running -> Ready"
        ]
    );
    advance(Duration::from_millis(9_999)).await;
    assert_eq!(proxy.seen().await, Vec::<String>::new());
    advance(Duration::from_millis(1)).await;
    assert_eq!(proxy.seen().await, ["Ready -> Pausing", "Pausing -> Paused"]);
    advance(Duration::from_secs(600)).await;
    // RescheduleJob, not ContainerRemoved: the pool must not count the capacity twice.
    assert_eq!(
        proxy.seen().await,
        ["RescheduleJob", "Paused -> Removing", "Removing -> Removed", "stopped in Removed (Terminal)"]
    );
    // The destroy resumed the paused container first.
    assert_eq!(proxy.calls(), calls(1, 1, 1, 1, 1, 1, 1));
    assert!(proxy.finished().await);
}

#[tokio::test(start_paused = true)]
async fn two_runs_back_to_back_do_not_pause_and_init_once() {
    let mut proxy = Proxy::new();
    let a = action(1, 10);
    proxy.send(Event::Run(job(&a, "a1")));
    proxy.seen().await;
    advance(Duration::from_secs(5)).await;
    proxy.send(Event::Run(job(&a, "a2")));
    assert_eq!(proxy.seen().await, ["Ready -> Running", "NeedWork(warm)", "Running -> Ready"]);
    advance(Duration::from_secs(9)).await;
    assert_eq!(proxy.seen().await, Vec::<String>::new(), "the grace restarts after the second run");
    assert_eq!(proxy.calls(), calls(1, 1, 2, 0, 0, 2, 0));
    // The first run after Ready reschedules on a connection failure.
    assert_eq!(*proxy.factory.script.run_reschedule.lock().unwrap(), [false, true]);
}

#[tokio::test(start_paused = true)]
async fn run_after_pause_resumes_once() {
    let mut proxy = Proxy::new();
    let a = action(1, 10);
    proxy.send(Event::Run(job(&a, "a1")));
    proxy.seen().await;
    advance(Duration::from_secs(10)).await;
    assert_eq!(proxy.seen().await, ["Ready -> Pausing", "Pausing -> Paused"]);
    proxy.send(Event::Run(job(&a, "a2")));
    assert_eq!(proxy.seen().await, ["Paused -> Running", "NeedWork(warm)", "Running -> Ready"]);
    assert_eq!(proxy.calls(), calls(1, 1, 2, 1, 1, 2, 0));
    assert_eq!(*proxy.factory.script.run_reschedule.lock().unwrap(), [false, true]);
}

#[tokio::test(start_paused = true)]
async fn log_limit_zero_collects_no_logs() {
    let mut proxy = Proxy::new();
    let a = action(1, 0);
    proxy.send(Event::Run(job(&a, "a1")));
    proxy.seen().await;
    assert_eq!(proxy.calls(), calls(1, 1, 1, 0, 0, 0, 0));
    assert_eq!(
        proxy.records(),
        [ack(AckKind::CombinedCompletionAndResult, "a1", Success), store("a1", Success, 0)]
    );
}

#[tokio::test(start_paused = true)]
async fn the_four_acknowledgement_kinds() {
    let cases = [
        (true, 0, vec![ack(AckKind::CombinedCompletionAndResult, "a1", Success), store("a1", Success, 0)]),
        (
            true,
            10,
            vec![
                ack(AckKind::Result, "a1", Success),
                ack(AckKind::Completion, "a1", Success),
                store("a1", Success, 1),
            ],
        ),
        (false, 0, vec![ack(AckKind::Completion, "a1", Success), store("a1", Success, 0)]),
        (false, 10, vec![ack(AckKind::Completion, "a1", Success), store("a1", Success, 1)]),
    ];
    for (blocking, logs_mb, expected) in cases {
        let mut proxy = Proxy::new();
        proxy.send(Event::Run(job_with(&action(1, logs_mb), "a1", blocking)));
        proxy.seen().await;
        assert_eq!(proxy.records(), expected, "blocking {blocking}, logs {logs_mb} MB");
    }
}

#[tokio::test(start_paused = true)]
async fn init_failure_destroys_the_container_and_aborts_buffered_runs() {
    let mut proxy = Proxy::new();
    let a = action(1, 0);
    let (init, release) = Step::held(InitOutcome::Failed(developer_error()));
    proxy.factory.script.init(init);
    proxy.send(Event::Run(job(&a, "a1")));
    proxy.send(Event::Run(job(&a, "a2")));
    assert_eq!(proxy.seen().await, ["Uninitialized -> Running"]);
    release.release();
    assert_eq!(
        proxy.seen().await,
        [
            "ContainerRemoved(true)",
            "Running -> Removing",
            "Removing -> Removed",
            "stopped in Removed (Terminal)"
        ]
    );
    assert_eq!(proxy.calls(), calls(1, 1, 0, 0, 0, 0, 1));
    let records = proxy.records();
    // a1 is acknowledged and stored with the init failure; a2, buffered, is aborted
    // with the same response, not resent.
    assert!(records.contains(&ack(AckKind::CombinedCompletionAndResult, "a1", DeveloperError)));
    assert!(records.contains(&store("a1", DeveloperError, 0)));
    assert!(records.contains(&ack(AckKind::CombinedCompletionAndResult, "a2", DeveloperError)));
    assert!(records.contains(&store("a2", DeveloperError, 0)));
    assert_eq!(records.len(), 4);
    let stored = proxy.sink.stored.lock().unwrap().clone();
    assert_eq!(stored[0].response, developer_error());
}

#[tokio::test(start_paused = true)]
async fn a_health_error_on_the_first_run_after_ready_resends_that_job_and_the_buffered_ones() {
    let mut proxy = Proxy::new();
    let a = action(1, 0);
    proxy.send(Event::Run(job(&a, "a1")));
    proxy.seen().await;
    let (run, release) = Step::held(RunOutcome::Health);
    proxy.factory.script.run(run);
    proxy.send(Event::Run(job(&a, "a2")));
    proxy.send(Event::Run(job(&a, "a3"))); // buffered: a2 holds the only slot
    assert_eq!(proxy.seen().await, ["Ready -> Running"]);
    release.release();
    assert_eq!(
        proxy.seen().await,
        [
            "Resend(a3)",
            "RescheduleJob",
            "Running -> Removing",
            "Resend(a2)",
            "Removing -> Removed",
            "stopped in Removed (Terminal)"
        ]
    );
    // a2 is neither acknowledged nor stored: it will run elsewhere.
    assert!(!proxy
        .records()
        .iter()
        .any(|r| matches!(r, Record::Ack { activation_id, .. } if activation_id == "a2")));
}

#[tokio::test(start_paused = true)]
async fn a_resume_failure_resends_the_job_to_the_parent() {
    let mut proxy = Proxy::new();
    let a = action(1, 0);
    proxy.send(Event::Run(job(&a, "a1")));
    proxy.seen().await;
    advance(Duration::from_secs(10)).await;
    assert_eq!(proxy.seen().await, ["Ready -> Pausing", "Pausing -> Paused"]);
    proxy.factory.script.resume(Step::now(Err(op_error("resume"))));
    proxy.send(Event::Run(job(&a, "a2")));
    // The observable sequence of upstream's test "resend the job to the parent if
    // resuming a container fails".
    assert_eq!(
        proxy.seen().await,
        [
            "Paused -> Running",
            "RescheduleJob",
            "Running -> Removing",
            "Resend(a2)",
            "Removing -> Removed",
            "stopped in Removed (Terminal)"
        ]
    );
    assert_eq!(proxy.calls(), calls(1, 1, 1, 1, 1, 0, 1));
}

#[tokio::test(start_paused = true)]
async fn with_max_concurrent_two_the_proxy_stays_running_while_another_activation_is_in_flight() {
    let mut proxy = Proxy::new();
    let a = action(2, 0);
    let (first, release_first) = Step::held(RunOutcome::Response(ok_response()));
    let (second, release_second) = Step::held(RunOutcome::Response(ok_response()));
    proxy.factory.script.run(first).run(second);
    proxy.send(Event::Run(job(&a, "a1")));
    proxy.send(Event::Run(job(&a, "a2"))); // buffered during init, then run beside a1
    assert_eq!(proxy.seen().await, ["Uninitialized -> Running"]);
    assert_eq!(proxy.calls(), calls(1, 1, 2, 0, 0, 0, 0));
    release_first.release();
    assert_eq!(proxy.seen().await, ["NeedWork(warm)"], "a2 is still in flight: stay in Running");
    release_second.release();
    assert_eq!(proxy.seen().await, ["NeedWork(warm)", "Running -> Ready"]);
}

#[tokio::test(start_paused = true)]
async fn a_failure_with_activations_in_flight_drains_them_before_the_destroy() {
    let mut proxy = Proxy::new();
    let a = action(2, 0);
    let (first, release_first) = Step::held(RunOutcome::Response(developer_error()));
    let (second, release_second) = Step::held(RunOutcome::Response(ok_response()));
    proxy.factory.script.run(first).run(second);
    proxy.send(Event::Run(job(&a, "a1")));
    proxy.send(Event::Run(job(&a, "a2")));
    proxy.seen().await;
    release_first.release();
    // No destroy yet: a2 is running in the same container.
    assert_eq!(proxy.seen().await, ["Running -> Draining"]);
    assert_eq!(proxy.calls()[6], 0);
    proxy.send(Event::Run(job(&a, "a3")));
    assert_eq!(proxy.seen().await, ["Resend(a3)"]);
    release_second.release();
    assert_eq!(
        proxy.seen().await,
        ["RescheduleJob", "Draining -> Removing", "Removing -> Removed", "stopped in Removed (Terminal)"]
    );
    assert_eq!(proxy.calls()[6], 1);
}

#[tokio::test(start_paused = true)]
async fn remove_during_a_run_is_deferred_until_the_run_completes() {
    let mut proxy = Proxy::new();
    let a = action(1, 0);
    let (run, release) = Step::held(RunOutcome::Response(ok_response()));
    proxy.factory.script.run(run);
    proxy.send(Event::Run(job(&a, "a1")));
    proxy.send(Event::Remove);
    assert_eq!(proxy.seen().await, ["Uninitialized -> Running"]);
    release.release();
    assert_eq!(
        proxy.seen().await,
        [
            "NeedWork(warm)",
            "Running -> Ready",
            "ContainerRemoved(true)",
            "Ready -> Removing",
            "Removing -> Removed",
            "stopped in Removed (Terminal)"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_prewarm_removes_itself_when_its_ttl_expires() {
    let mut proxy = Proxy::new();
    proxy.send(start(Some(Duration::from_secs(30))));
    proxy.seen().await;
    advance(Duration::from_secs(29)).await;
    assert_eq!(proxy.seen().await, Vec::<String>::new());
    advance(Duration::from_secs(1)).await;
    assert_eq!(
        proxy.seen().await,
        [
            "ContainerRemoved(false)",
            "Started -> Removing",
            "Removing -> Removed",
            "stopped in Removed (Terminal)"
        ]
    );
    assert_eq!(proxy.calls()[6], 1);
}

#[tokio::test(start_paused = true)]
async fn a_prewarm_creation_failure_stops_the_proxy() {
    let mut proxy = Proxy::new();
    proxy.factory.script.create(Step::now(Err(StartupError::whisk("no space"))));
    proxy.send(start(None));
    assert_eq!(
        proxy.seen().await,
        [
            "Uninitialized -> Starting",
            "ContainerRemoved(true)",
            "Starting -> Removed",
            "stopped in Removed (Terminal)"
        ]
    );
}

/// Fix of quirk 1.13.1: upstream lingers in Removing forever after a failed cold
/// create; this proxy stops.
#[tokio::test(start_paused = true)]
async fn a_failed_cold_create_acks_the_job_and_stops_the_proxy() {
    let mut proxy = Proxy::new();
    let a = action(1, 10);
    let (create, release) = Step::held(Err(StartupError::blackbox("bad image")));
    proxy.factory.script.create(create);
    proxy.send(Event::Run(job(&a, "a1")));
    proxy.send(Event::Run(job(&a, "a2"))); // buffered while the container is created
    proxy.seen().await;
    release.release();
    assert_eq!(
        proxy.seen().await,
        ["ContainerRemoved(true)", "Running -> Removed", "stopped in Removed (Terminal)"]
    );
    assert!(proxy.finished().await);
    let records = proxy.records();
    assert!(records.contains(&ack(AckKind::CombinedCompletionAndResult, "a1", DeveloperError)));
    assert!(records.contains(&store("a1", DeveloperError, 0)));
    assert!(records.contains(&ack(AckKind::CombinedCompletionAndResult, "a2", WhiskError)));
    assert!(records.contains(&store("a2", WhiskError, 0)));
}

/// Fix of quirk 1.13.2 (#5054): a failed destroy is retried, then the proxy stops
/// and reports it, instead of hanging with the container leaked.
#[tokio::test(start_paused = true)]
async fn a_failed_destroy_is_retried_then_reported_and_the_proxy_stops() {
    let mut proxy = Proxy::new();
    proxy.send(start(None));
    proxy.seen().await;
    for _ in 0..3 {
        proxy.factory.script.destroy(Step::now(Err(op_error("destroy"))));
    }
    proxy.send(Event::Remove);
    assert_eq!(proxy.seen().await, ["ContainerRemoved(false)", "Started -> Removing"]);
    advance(Duration::from_secs(1)).await;
    assert_eq!(proxy.seen().await, Vec::<String>::new());
    assert_eq!(proxy.calls()[6], 2);
    advance(Duration::from_secs(1)).await;
    let container = format!("scripted-{}", proxy.factory.script.created.lock().unwrap()[0].name);
    assert_eq!(
        proxy.seen().await,
        [
            format!("DestroyFailed({container})"),
            "Removing -> Removed".into(),
            "stopped in Removed (Terminal)".into()
        ]
    );
    assert_eq!(proxy.calls()[6], 3);
}

#[tokio::test(start_paused = true)]
async fn a_destroy_that_fails_once_succeeds_on_the_retry() {
    let mut proxy = Proxy::new();
    proxy.send(start(None));
    proxy.seen().await;
    proxy.factory.script.destroy(Step::now(Err(op_error("destroy"))));
    proxy.send(Event::Remove);
    proxy.seen().await;
    advance(Duration::from_secs(1)).await;
    assert_eq!(proxy.seen().await, ["Removing -> Removed", "stopped in Removed (Terminal)"]);
    assert_eq!(proxy.calls()[6], 2);
}

/// Fix of quirk 1.13.3: a 503 on /init hands the job back; upstream loses it.
#[tokio::test(start_paused = true)]
async fn a_503_on_init_loses_no_job() {
    let mut proxy = Proxy::new();
    let a = action(1, 0);
    proxy.send(start(None));
    proxy.seen().await;
    proxy.factory.script.init(Step::now(InitOutcome::Health));
    proxy.send(Event::Run(job(&a, "a1")));
    assert_eq!(
        proxy.seen().await,
        [
            "Started -> Running",
            "ContainerRemoved(true)",
            "Running -> Removing",
            "Resend(a1)",
            "Removing -> Removed",
            "stopped in Removed (Terminal)"
        ]
    );
    assert_eq!(proxy.records(), []);
}

/// Fix of quirk 1.13.3: a 503 on a concurrent /run (not the resumeRun) hands that
/// job back too; and fix of R9: the container is destroyed only once the other run
/// in flight (a1) has finished and been stored, not under it.
#[tokio::test(start_paused = true)]
async fn a_503_on_a_concurrent_run_loses_no_job() {
    let mut proxy = Proxy::new();
    let a = action(2, 0);
    let (first, release_first) = Step::held(RunOutcome::Response(ok_response()));
    proxy.factory.script.run(first);
    proxy.send(Event::Run(job(&a, "a1")));
    proxy.seen().await;
    proxy.factory.script.run(Step::now(RunOutcome::Health));
    proxy.send(Event::Run(job(&a, "a2")));
    assert_eq!(proxy.seen().await, ["Running -> Draining", "Resend(a2)"]);
    assert_eq!(proxy.calls()[6], 0, "a1 still runs in the container");
    release_first.release();
    assert_eq!(
        proxy.seen().await,
        ["RescheduleJob", "Draining -> Removing", "Removing -> Removed", "stopped in Removed (Terminal)"]
    );
    assert_eq!(
        proxy.records(),
        [ack(AckKind::CombinedCompletionAndResult, "a1", Success), store("a1", Success, 0)]
    );
}

/// Fix of R9 (issue 7): a 503 on a concurrent run while the first run after Ready is
/// still in flight. Upstream hands back that first run (its `resumeRun`), which then
/// completes and is stored as well, and destroys the container under it; here only
/// the failed job goes back, and the first one finishes before the destroy.
#[tokio::test(start_paused = true)]
async fn a_503_beside_the_first_run_after_ready_hands_back_only_the_failed_job() {
    let mut proxy = Proxy::new();
    let a = action(2, 0);
    proxy.send(Event::Run(job(&a, "a1")));
    assert_eq!(proxy.seen().await, ["Uninitialized -> Running", "NeedWork(warm)", "Running -> Ready"]);
    let (resumed, release_resumed) = Step::held(RunOutcome::Response(ok_response()));
    proxy.factory.script.run(resumed).run(Step::now(RunOutcome::Health));
    proxy.send(Event::Run(job(&a, "a2"))); // the first run after Ready
    proxy.send(Event::Run(job(&a, "a3"))); // beside it; gets the 503
    assert_eq!(proxy.seen().await, ["Ready -> Running", "Running -> Draining", "Resend(a3)"]);
    release_resumed.release();
    assert_eq!(
        proxy.seen().await,
        ["RescheduleJob", "Draining -> Removing", "Removing -> Removed", "stopped in Removed (Terminal)"]
    );
    let stored: Vec<String> =
        proxy.sink.stored.lock().unwrap().iter().map(|a| a.activation_id.clone()).collect();
    assert_eq!(stored, ["a1", "a2"], "a2 ran once, stored once, and was not handed back");
}

#[tokio::test(start_paused = true)]
async fn a_developer_error_destroys_the_container_and_an_application_error_keeps_it() {
    let mut proxy = Proxy::new();
    let a = action(1, 0);
    proxy.factory.script.run(Step::now(RunOutcome::Response(ActivationResponse::application_error("nope"))));
    proxy.send(Event::Run(job(&a, "a1")));
    assert_eq!(proxy.seen().await, ["Uninitialized -> Running", "NeedWork(warm)", "Running -> Ready"]);
    proxy.factory.script.run(Step::now(RunOutcome::Response(developer_error())));
    proxy.send(Event::Run(job(&a, "a2")));
    assert_eq!(
        proxy.seen().await,
        [
            "Ready -> Running",
            "ContainerRemoved(true)",
            "Running -> Removing",
            "Removing -> Removed",
            "stopped in Removed (Terminal)"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn init_gets_the_init_args_and_the_ow_environment_and_run_gets_the_rest() {
    let mut proxy = Proxy::new();
    let a = action(1, 0);
    let mut run = job(&a, "a1");
    let msg = Arc::make_mut(&mut run.msg);
    msg.content = Some(json!({"db": "postgres://", "name": "world"}));
    msg.init_args = ["db".to_string()].into();
    proxy.send(Event::Run(run));
    proxy.send(Event::Run(job(&a, "a2")));
    proxy.seen().await;
    let inits = proxy.factory.script.init_bodies.lock().unwrap().clone();
    assert_eq!(inits.len(), 1, "init exactly once");
    let env = inits[0]["env"].as_object().unwrap();
    assert_eq!(env["db"], "postgres://");
    assert_eq!(env["__OW_ACTIVATION_ID"], "a1");
    assert_eq!(env["__OW_ACTION_NAME"], "/guest/hello");
    assert_eq!(env["__OW_API_KEY"], "uuid:secret");
    assert!(env["__OW_DEADLINE"].as_str().unwrap().parse::<u128>().is_ok());
    assert_eq!(inits[0]["main"], "main");
    let runs = proxy.factory.script.run_bodies.lock().unwrap().clone();
    assert_eq!(runs[0].0, json!({"name": "world"}));
    assert_eq!(runs[0].1["activation_id"], "a1");
    assert_eq!(runs[1].1["activation_id"], "a2");
}

#[tokio::test(start_paused = true)]
async fn activation_records_carry_init_time_and_wait_time() {
    let mut proxy = Proxy::new();
    let a = action(1, 0);
    proxy.factory.script.init(Step::after(Duration::from_millis(300), InitOutcome::Ok));
    proxy.factory.script.run(Step::after(Duration::from_millis(200), RunOutcome::Response(ok_response())));
    let run = job(&a, "a1");
    advance(Duration::from_millis(50)).await; // the job waited 50 ms before the proxy got it
    proxy.send(Event::Run(run));
    proxy.seen().await;
    advance(Duration::from_millis(300)).await;
    proxy.seen().await;
    advance(Duration::from_millis(200)).await;
    proxy.seen().await;
    proxy.send(Event::Run(job(&a, "a2")));
    proxy.seen().await;
    let stored = proxy.sink.stored.lock().unwrap().clone();
    assert_eq!(stored[0].annotations["initTime"], 300);
    assert_eq!(stored[0].annotations["waitTime"], 50);
    assert_eq!(stored[0].duration_ms(), 500);
    assert_eq!(stored[0].annotations["timeout"], false);
    assert_eq!(stored[0].annotations["path"], "guest/hello");
    assert!(!stored[1].annotations.contains_key("initTime"), "no init on the warm run");
}

#[tokio::test(start_paused = true)]
async fn unhandled_events_are_handed_back() {
    let mut proxy = Proxy::new();
    proxy.send(Event::ContainerPaused);
    assert_eq!(proxy.seen().await, ["unhandled ContainerPaused in Uninitialized"]);
    assert_eq!(proxy.factory.script.calls.creates.load(Ordering::SeqCst), 0);
}

/// Deviation: upstream ignores `Remove` before the proxy has a container; here the
/// proxy stops, so that a shutdown (which removes every proxy) need not wait for it.
#[tokio::test(start_paused = true)]
async fn remove_before_anything_started_stops_the_proxy() {
    let mut proxy = Proxy::new();
    proxy.send(Event::Remove);
    assert_eq!(proxy.seen().await, ["Uninitialized -> Removed", "stopped in Removed (Terminal)"]);
    assert_eq!(proxy.calls(), calls(0, 0, 0, 0, 0, 0, 0));
}

/// Reference 1.11: a prewarmed container is TCP-pinged; `max_fails` failures in a
/// row condemn it, and a successful ping resets the count.
#[tokio::test(start_paused = true)]
async fn a_prewarm_that_fails_its_health_pings_is_replaced() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let config = ProxyConfig {
        health_check: Some(proxy_core::container::HealthCheck {
            period: Duration::from_secs(3),
            max_fails: 3,
        }),
        ..ProxyConfig::default()
    };
    let mut proxy = Proxy::with(config);
    *proxy.factory.script.addr.lock().unwrap() = Some(addr);
    proxy.send(start(None));
    assert_eq!(
        proxy.seen().await,
        ["Uninitialized -> Starting", "NeedWork(prewarmed)", "Starting -> Started"]
    );
    // While the runtime listens, pings succeed.
    for _ in 0..3 {
        advance(Duration::from_secs(3)).await;
        tick_io().await;
    }
    assert_eq!(proxy.seen().await, Vec::<String>::new());
    drop(listener);
    for _ in 0..2 {
        advance(Duration::from_secs(3)).await;
        tick_io().await;
    }
    assert_eq!(proxy.seen().await, Vec::<String>::new(), "two failures are not enough");
    advance(Duration::from_secs(3)).await;
    tick_io().await;
    assert_eq!(
        proxy.seen().await,
        [
            "ContainerRemoved(true)",
            "Started -> Removing",
            "Removing -> Removed",
            "stopped in Removed (Terminal)"
        ]
    );
}

/// A run stops the pings: a warm container is not pinged.
#[tokio::test(start_paused = true)]
async fn pings_stop_when_the_prewarm_takes_a_job() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let config = ProxyConfig {
        health_check: Some(proxy_core::container::HealthCheck {
            period: Duration::from_secs(3),
            max_fails: 1,
        }),
        ..ProxyConfig::default()
    };
    let mut proxy = Proxy::with(config);
    *proxy.factory.script.addr.lock().unwrap() = Some(addr);
    proxy.send(start(None));
    proxy.send(Event::Run(job(&action(1, 0), "a1")));
    proxy.seen().await;
    // With pings still running, the first (failing) one would condemn it at 3 s.
    advance(Duration::from_secs(10)).await;
    tick_io().await;
    assert_eq!(proxy.seen().await, ["Ready -> Pausing", "Pausing -> Paused"]);
}

/// Gives real socket work (the pings' connects) time to finish.
async fn tick_io() {
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        tokio::task::yield_now().await;
    }
}

/// Reference 3.5: after a developer error the proxy does not wait for the end
/// sentinels, and the stored logs end with upstream's warning line.
#[tokio::test(start_paused = true)]
async fn a_developer_errors_logs_end_with_the_warning_line() {
    let mut proxy = Proxy::new();
    let a = action(1, 10);
    proxy.factory.script.run(Step::now(RunOutcome::Response(developer_error())));
    proxy.send(Event::Run(job(&a, "a1")));
    proxy.seen().await;
    let stored = proxy.sink.stored.lock().unwrap().clone();
    assert_eq!(
        stored[0].logs,
        [
            "a log line".to_string(),
            format!("stderr: {}", proxy_core::container::response::messages::LOG_DEVELOPER_ERROR)
        ]
    );
    assert_eq!(stored[0].response.status, DeveloperError);
}

/// Issue 7: a graceful shutdown removes the container after the run in flight,
/// which finishes (and is stored) within the grace.
/// A proxy running job a1 on a cold container (its /run held), shut down by
/// `shutdown` with a 5 s grace; the run completes within it and the proxy stops in
/// Removed, a1 stored. Returns the proxy, its notices from the shutdown on.
async fn shut_down_during_a_run<F, S>(shutdown: S) -> (Proxy, Vec<String>)
where
    S: FnOnce(Running<ContainerProxyAny>, Duration) -> F,
    F: std::future::Future<Output = Result<ContainerProxyAny, tokio::task::JoinError>> + Send + 'static,
{
    let mut proxy = Proxy::new();
    let a = action(1, 0);
    let (run, release) = Step::held(RunOutcome::Response(ok_response()));
    proxy.factory.script.run(run);
    proxy.send(Event::Run(job(&a, "a1")));
    assert_eq!(proxy.seen().await, ["Uninitialized -> Running"]);
    let running = proxy.running.take().expect("running");
    let stopping = tokio::spawn(shutdown(running, Duration::from_secs(5)));
    proxy.settle().await;
    release.release();
    let machine = stopping.await.unwrap().expect("the proxy's task");
    assert_eq!(machine.state_name(), "Removed");
    assert_eq!(
        proxy.records(),
        [ack(AckKind::CombinedCompletionAndResult, "a1", Success), store("a1", Success, 0)]
    );
    let seen = proxy.seen().await;
    (proxy, seen)
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_lets_the_run_in_flight_finish_within_the_grace() {
    let (proxy, seen) = shut_down_during_a_run(|running, grace| running.shutdown(grace)).await;
    assert_eq!(
        seen,
        [
            "NeedWork(warm)",
            "Running -> Ready",
            "ContainerRemoved(true)",
            "Ready -> Removing",
            "Removing -> Removed",
            "stopped in Removed (Terminal)"
        ]
    );
    assert_eq!(proxy.calls()[6], 1, "destroyed");
}

/// Issue 7: when the grace runs out, every job still held goes back to the parent,
/// the one in flight and the buffered ones, and the container is destroyed anyway.
/// Before, `shutdown` lost them all.
#[tokio::test(start_paused = true)]
async fn a_shutdown_past_its_grace_hands_back_every_job() {
    let mut proxy = Proxy::new();
    let a = action(1, 0);
    let (run, _never) = Step::held(RunOutcome::Response(ok_response()));
    proxy.factory.script.run(run);
    proxy.send(Event::Run(job(&a, "a1")));
    proxy.send(Event::Run(job(&a, "a2"))); // buffered behind a1
    assert_eq!(proxy.seen().await, ["Uninitialized -> Running"]);
    proxy.send(Event::Run(job(&a, "a3"))); // buffered too
    let running = proxy.running.take().expect("running");
    let shutdown = tokio::spawn(running.shutdown(Duration::from_secs(1)));
    advance(Duration::from_secs(2)).await;
    let machine = shutdown.await.unwrap().expect("the proxy's task");
    assert_eq!(machine.state_name(), "Running");
    assert_eq!(
        proxy.seen().await,
        [
            "Resend(a1)",
            "Resend(a2)",
            "Resend(a3)",
            "RescheduleJob",
            // The shutdown's own `Remove`, deferred in Running, is not the parent's.
            "unhandled Remove in Running",
            "stopped in Running (Shutdown)"
        ]
    );
    assert_eq!(proxy.records(), [], "nothing stored: everything went back");
    assert_eq!(proxy.calls()[6], 1, "the container is destroyed on its own task");
}

/// Issue 7: an effect that panics (a backend bug) used to leave the proxy in Running
/// forever, the job neither stored nor handed back. Now the job is stored as a whisk
/// error, as upstream turns an unexpected failure into `whiskError(abnormalRun)`, and
/// the container is removed.
#[tokio::test(start_paused = true)]
async fn a_backend_panic_stores_the_job_as_a_whisk_error_and_removes_the_container() {
    let mut proxy = Proxy::new();
    let a = action(1, 0);
    proxy.factory.script.run(Step::now(RunOutcome::Panic));
    proxy.send(Event::Run(job(&a, "a1")));
    assert_eq!(
        proxy.seen().await,
        [
            "Uninitialized -> Running",
            "panic in Running",
            "ContainerRemoved(true)",
            "Running -> Removing",
            "Removing -> Removed",
            "stopped in Removed (Terminal)"
        ]
    );
    assert_eq!(
        proxy.records(),
        [ack(AckKind::CombinedCompletionAndResult, "a1", WhiskError), store("a1", WhiskError, 0)]
    );
    assert_eq!(proxy.calls()[6], 1, "destroyed");
}

/// The notices with the released container's id (random in its name) left out.
fn without_ids(seen: Vec<String>) -> Vec<String> {
    seen.into_iter()
        .map(|line| if line.starts_with("Released(") { "Released".into() } else { line })
        .collect()
}

/// D32: `Release` in Ready stops the proxy and leaves its container, not destroyed,
/// for a later pool to adopt.
#[tokio::test(start_paused = true)]
async fn release_in_ready_stops_the_proxy_and_leaves_the_container() {
    let mut proxy = Proxy::new();
    let a = action(1, 0);
    proxy.send(Event::Run(job(&a, "a1")));
    assert_eq!(proxy.seen().await, ["Uninitialized -> Running", "NeedWork(warm)", "Running -> Ready"]);
    proxy.send(Event::Release);
    let seen = proxy.seen().await;
    assert!(seen[0].starts_with("Released(scripted-"), "{seen:?}");
    assert_eq!(without_ids(seen), ["Released", "Ready -> Removed", "stopped in Removed (Terminal)"]);
    assert!(proxy.finished().await);
    assert_eq!(proxy.calls(), calls(1, 1, 1, 0, 0, 0, 0), "not destroyed");
}

/// D32: a paused container is left paused (whoever adopts it resumes it).
#[tokio::test(start_paused = true)]
async fn release_in_paused_leaves_the_container_paused() {
    let mut proxy = Proxy::new();
    let a = action(1, 0);
    proxy.send(Event::Run(job(&a, "a1")));
    proxy.seen().await;
    advance(Duration::from_secs(10)).await;
    assert_eq!(proxy.seen().await, ["Ready -> Pausing", "Pausing -> Paused"]);
    proxy.send(Event::Release);
    assert_eq!(
        without_ids(proxy.seen().await),
        ["Released", "Paused -> Removed", "stopped in Removed (Terminal)"]
    );
    assert_eq!(proxy.calls(), calls(1, 1, 1, 1, 0, 0, 0), "neither resumed nor destroyed");
}

/// D32: a release during a pause waits for the pause, then leaves the container.
#[tokio::test(start_paused = true)]
async fn release_while_pausing_waits_for_the_pause() {
    let mut proxy = Proxy::new();
    let a = action(1, 0);
    let (suspend, paused) = Step::held(Ok(()));
    proxy.factory.script.suspend(suspend);
    proxy.send(Event::Run(job(&a, "a1")));
    proxy.seen().await;
    advance(Duration::from_secs(10)).await;
    assert_eq!(proxy.seen().await, ["Ready -> Pausing"]);
    proxy.send(Event::Release);
    assert_eq!(proxy.seen().await, Vec::<String>::new(), "deferred");
    paused.release();
    assert_eq!(
        without_ids(proxy.seen().await),
        ["Pausing -> Paused", "Released", "Paused -> Removed", "stopped in Removed (Terminal)"]
    );
    assert_eq!(proxy.calls()[6], 0, "not destroyed");
}

/// D32: a shutdown with `Release` lets the run in flight finish, then leaves the
/// container (the pool's `ShutdownMode::LeaveWarm`).
#[tokio::test(start_paused = true)]
async fn a_shutdown_with_release_finishes_the_run_then_leaves_the_container() {
    let (proxy, seen) =
        shut_down_during_a_run(|running, grace| running.shutdown_with(grace, Event::Release)).await;
    assert_eq!(
        without_ids(seen),
        [
            "NeedWork(warm)",
            "Running -> Ready",
            "Released",
            "Ready -> Removed",
            "stopped in Removed (Terminal)"
        ]
    );
    assert_eq!(proxy.calls()[6], 0, "not destroyed");
}

/// D32: a container condemned already is destroyed all the same.
#[tokio::test(start_paused = true)]
async fn release_of_a_container_being_destroyed_lets_the_destroy_go_ahead() {
    let mut proxy = Proxy::new();
    let a = action(1, 0);
    proxy.send(Event::Run(job(&a, "a1")));
    proxy.seen().await;
    let (destroy, destroyed) = Step::held(Ok(()));
    proxy.factory.script.destroy(destroy);
    proxy.send(Event::Remove);
    assert_eq!(proxy.seen().await, ["ContainerRemoved(true)", "Ready -> Removing"]);
    proxy.send(Event::Release);
    assert_eq!(proxy.seen().await, Vec::<String>::new(), "going already");
    destroyed.release();
    assert_eq!(proxy.seen().await, ["Removing -> Removed", "stopped in Removed (Terminal)"]);
    assert_eq!(proxy.calls()[6], 1);
}
