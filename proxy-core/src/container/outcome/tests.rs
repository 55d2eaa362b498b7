//! The classification of every backend's reports, on the scripted backend: raw
//! answers and transport outcomes in, verdicts out, the engine's facts asked only
//! when they could explain a failure.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::container::backend::{ContainerFactory, ContainerFacts, CreateSpec, LogRead, Symptom};
use crate::container::client::{ConnectionError, ContainerResponse, TransportError};
use crate::container::response::messages;
use crate::container::scripted::{InitOutcome, RunOutcome, ScriptedFactory, Step};

const TIMEOUT: Duration = Duration::from_secs(60);

async fn container(factory: &Arc<ScriptedFactory>) -> Arc<dyn Container> {
    let spec = CreateSpec {
        transaction_id: "t".into(),
        name: "c".into(),
        image: "runtime:latest".into(),
        memory_mb: 256,
        cpu_shares: 2,
        cpu_limit: None,
    };
    factory.create(spec).await.expect("created")
}

async fn run_once(c: &dyn Container, reschedule: bool) -> Result<ActivationResponse, HealthError> {
    run(c, json!({"x": 1}), Map::new(), TIMEOUT, ResponseLimits::default(), reschedule).await.map(|(_, r)| r)
}

fn not_delivered() -> ConnectionError {
    ConnectionError::NotDelivered(TransportError::new(std::io::Error::from(
        std::io::ErrorKind::ConnectionReset,
    )))
}

#[tokio::test(start_paused = true)]
async fn scripted_responses_classify_back_to_themselves_without_asking_the_engine() {
    let factory = ScriptedFactory::new();
    let c = container(&factory).await;
    let script = &factory.script;
    let responses = [
        ActivationResponse::success(json!({"ok": true})),
        ActivationResponse::application_error(json!({"reason": "no"})),
        ActivationResponse::developer_error("the action crashed"),
        ActivationResponse::developer_error(messages::timed_out(TIMEOUT.as_millis())),
    ];
    for response in &responses {
        // Held past the timeout: a scripted answer still stands for one given in time.
        script.run(Step::after(TIMEOUT * 2, RunOutcome::Response(response.clone())));
        assert_eq!(run_once(&*c, false).await.as_ref(), Ok(response));
    }
    script.run(Step::now(RunOutcome::Health));
    assert_eq!(run_once(&*c, true).await, Err(HealthError::ShuttingDown));
    // Only the developer errors asked (an answer, then the timeout).
    assert_eq!(*script.facts_asked.lock().unwrap(), [Symptom::Answered, Symptom::TimedOut]);
    assert_eq!(*script.run_reschedule.lock().unwrap(), [false, false, false, false, true]);

    let failed = ActivationResponse::developer_error("no main");
    script.init(Step::now(InitOutcome::Failed(failed.clone())));
    let error = init(&*c, json!({}), TIMEOUT, 1, true).await.unwrap_err();
    assert!(matches!(error, InitError::Failed { response, .. } if response == failed));
    script.init(Step::now(InitOutcome::Health));
    assert_eq!(
        init(&*c, json!({}), TIMEOUT, 1, true).await,
        Err(InitError::Health(HealthError::ShuttingDown))
    );
    script.init(Step::after(TIMEOUT * 2, InitOutcome::Ok));
    assert!(init(&*c, json!({}), TIMEOUT, 1, true).await.is_ok());
}

// Defect 6, on the domain's side: whatever the backend, a run whose request was
// delivered is never handed back.
#[tokio::test(start_paused = true)]
async fn only_an_undelivered_rescheduling_run_is_a_health_error() {
    let factory = ScriptedFactory::new();
    let c = container(&factory).await;
    let script = &factory.script;
    script.run(Step::now(RunOutcome::Connection(not_delivered())));
    let error = run_once(&*c, true).await.unwrap_err();
    assert!(matches!(error, HealthError::Unreachable(ConnectionError::NotDelivered(_))), "{error:?}");

    script.run(Step::now(RunOutcome::Connection(not_delivered())));
    assert_eq!(run_once(&*c, false).await, Ok(ActivationResponse::developer_error(messages::ABNORMAL_RUN)));

    script.run(Step::now(RunOutcome::Connection(ConnectionError::NoResponseReceived)));
    assert_eq!(
        run_once(&*c, true).await,
        Ok(ActivationResponse::developer_error(messages::ABNORMAL_RUN)),
        "delivered, then lost: the action may have run"
    );
}

// Defect 7: out of memory only on the engine's word.
#[tokio::test(start_paused = true)]
async fn out_of_memory_is_reported_only_when_the_engine_saw_it() {
    let factory = ScriptedFactory::new();
    let c = container(&factory).await;
    let script = &factory.script;
    script.facts(ContainerFacts { running: false, ..ContainerFacts::default() });
    script.run(Step::now(RunOutcome::Connection(ConnectionError::NoResponseReceived)));
    assert_eq!(run_once(&*c, false).await, Ok(ActivationResponse::developer_error(messages::ABNORMAL_RUN)));

    script.facts(ContainerFacts { oom_killed: true, running: false, paused: false });
    script.run(Step::now(RunOutcome::Connection(ConnectionError::NoResponseReceived)));
    assert_eq!(
        run_once(&*c, false).await,
        Ok(ActivationResponse::developer_error(messages::MEMORY_EXHAUSTED))
    );
    script.run(Step::now(RunOutcome::Raw(ContainerResponse {
        status: 502,
        entity: r#"{"error": "killed"}"#.into(),
        truncated: None,
    })));
    assert_eq!(
        run_once(&*c, false).await,
        Ok(ActivationResponse::developer_error(messages::MEMORY_EXHAUSTED))
    );
    assert_eq!(
        *script.facts_asked.lock().unwrap(),
        [Symptom::ConnectionLost, Symptom::ConnectionLost, Symptom::Answered]
    );
    // A success asks nothing, whatever the engine would say.
    script.run(Step::now(RunOutcome::Response(ActivationResponse::success(json!({})))));
    assert!(run_once(&*c, false).await.unwrap().keeps_container());
    assert_eq!(script.calls.facts.load(Ordering::SeqCst), 3);
}

// Defect 10: platform faults are not the user's.
#[tokio::test(start_paused = true)]
async fn a_container_paused_from_outside_and_a_dead_managed_runtime_are_whisk_errors() {
    let factory = ScriptedFactory::new();
    let c = container(&factory).await;
    let script = &factory.script;
    let hang = || Step::after(TIMEOUT, RunOutcome::Connection(ConnectionError::Timeout(TIMEOUT)));
    script.run(hang());
    let timed_out = ActivationResponse::developer_error(messages::timed_out(TIMEOUT.as_millis()));
    assert_eq!(run_once(&*c, false).await, Ok(timed_out));
    script.facts(ContainerFacts { paused: true, ..ContainerFacts::default() });
    script.run(hang());
    assert_eq!(run_once(&*c, true).await, Ok(ActivationResponse::whisk_error(messages::CONTAINER_PAUSED)));

    let never = || {
        let last = Box::new(ConnectionError::NoResponseReceived);
        Step::after(
            TIMEOUT,
            InitOutcome::Connection(ConnectionError::NeverReached { timeout: TIMEOUT, last }),
        )
    };
    script.facts(ContainerFacts::default());
    script.init(never());
    let error = init(&*c, json!({}), TIMEOUT, 1, true).await.unwrap_err();
    let whisk = ActivationResponse::whisk_error(messages::runtime_unreachable(TIMEOUT.as_millis()));
    assert!(matches!(error, InitError::Failed { response, .. } if response == whisk));
    // A user's image that never listens stays a developer error, as upstream.
    script.init(never());
    let error = init(&*c, json!({}), TIMEOUT, 1, false).await.unwrap_err();
    let developer = ActivationResponse::developer_error(messages::timed_out_during_init(TIMEOUT.as_millis()));
    assert!(matches!(error, InitError::Failed { response, .. } if response == developer));
}

// Defect 8: the sentinels are awaited only from an image that writes them.
#[test]
fn logs_wait_for_sentinels_only_from_a_sentinelled_image_and_not_after_a_developer_error() {
    let ok = ActivationResponse::success(json!({}));
    let app = ActivationResponse::application_error("no");
    let dev = ActivationResponse::developer_error("crash");
    let whisk = ActivationResponse::whisk_error(messages::CONTAINER_PAUSED);
    assert_eq!(LogRead::for_activation(true, &ok), LogRead::UntilSentinels);
    assert_eq!(LogRead::for_activation(true, &app), LogRead::UntilSentinels);
    assert_eq!(LogRead::for_activation(true, &whisk), LogRead::UntilSentinels);
    assert_eq!(LogRead::for_activation(false, &ok), LogRead::Now);
    assert_eq!(LogRead::for_activation(false, &app), LogRead::Now);
    assert_eq!(LogRead::for_activation(true, &dev), LogRead::AfterDeveloperError);
    assert_eq!(LogRead::for_activation(false, &dev), LogRead::AfterDeveloperError);
    assert!(!Action::new("guest", "hello", "my/image", "").sentinelled_logs, "a user's image by default");
}
