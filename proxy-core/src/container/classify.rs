//! Who is to blame for a call's outcome: the tails of upstream's `Container.initialize`
//! and `Container.run`, and `ActivationResponse.processInitResponseContent` /
//! `processRunResponseContent`.
//!
//! The checks run in upstream's order: a 503 first (the container is unhealthy, the
//! job goes elsewhere), then success (init only), then the elapsed time against the
//! timeout, then the content. A verdict that the container's
//! [facts](super::backend::ContainerFacts) could change says so (its
//! [`Symptom`]); [`Verdict::explained`] applies them. Deviations from upstream, each
//! named where it is decided: a rescheduling run is rescheduled only when its request
//! never reached the runtime; a call that timed out because the container was paused
//! from outside is a whisk error, as is a platform runtime that never became
//! reachable during its whole `/init` timeout.

use std::time::Duration;

use serde_json::Value;

use super::backend::{ContainerFacts, HealthError, InitError, Symptom};
use super::client::{ConnectionError, ContainerResponse, RunResult};
use super::response::{messages, ActivationResponse, ActivationStatus, Interval};

/// The field that marks an error in a runtime's JSON answer.
const ERROR_FIELD: &str = "error";

/// A classified outcome, and the kind of failure that the container's facts could
/// still explain (`None`: nothing to ask).
#[derive(Debug, Clone, PartialEq)]
#[must_use = "a verdict is final only once explained"]
pub struct Verdict<T> {
    /// The outcome, as the call alone tells.
    pub outcome: T,
    /// What the failure looked like, when facts could change the verdict.
    pub symptom: Option<Symptom>,
}

impl<T> Verdict<T> {
    fn settled(outcome: T) -> Self {
        Verdict { outcome, symptom: None }
    }
}

impl Verdict<Result<Interval, InitError>> {
    /// The outcome with `facts` applied (see [`explain`]).
    pub fn explained(self, facts: &ContainerFacts) -> Result<Interval, InitError> {
        match (self.outcome, self.symptom) {
            (Err(InitError::Failed { interval, response }), Some(symptom)) => {
                Err(InitError::Failed { interval, response: explain(response, symptom, facts) })
            }
            (outcome, _) => outcome,
        }
    }
}

impl Verdict<Result<(Interval, ActivationResponse), HealthError>> {
    /// The outcome with `facts` applied (see [`explain`]).
    pub fn explained(self, facts: &ContainerFacts) -> Result<(Interval, ActivationResponse), HealthError> {
        match (self.outcome, self.symptom) {
            (Ok((interval, response)), Some(symptom)) => Ok((interval, explain(response, symptom, facts))),
            (outcome, _) => outcome,
        }
    }
}

/// What the engine's facts make of a developer error: out of memory only when the
/// engine saw an out-of-memory kill (never inferred from a lost connection, nor from
/// a dead container); a timeout of a container paused from outside is the
/// platform's fault. A timeout stays a timeout otherwise.
///
/// ```
/// use proxy_core::container::backend::{ContainerFacts, Symptom};
/// use proxy_core::container::classify::explain;
/// use proxy_core::container::response::{messages, ActivationResponse, ActivationStatus};
///
/// let crashed = ActivationResponse::developer_error(messages::ABNORMAL_RUN);
/// let dead = ContainerFacts { running: false, ..ContainerFacts::default() };
/// assert_eq!(explain(crashed.clone(), Symptom::ConnectionLost, &dead), crashed);
/// let oom = ContainerFacts { oom_killed: true, ..dead };
/// let explained = explain(crashed, Symptom::ConnectionLost, &oom);
/// assert_eq!(explained, ActivationResponse::developer_error(messages::MEMORY_EXHAUSTED));
/// ```
pub fn explain(response: ActivationResponse, symptom: Symptom, facts: &ContainerFacts) -> ActivationResponse {
    if response.status != ActivationStatus::DeveloperError {
        return response;
    }
    match symptom {
        // Deviation from upstream (a developer error there): the action did not
        // hang, someone froze its container.
        Symptom::TimedOut if facts.paused => ActivationResponse::whisk_error(messages::CONTAINER_PAUSED),
        Symptom::TimedOut => response,
        Symptom::Answered | Symptom::ConnectionLost if facts.oom_killed => {
            ActivationResponse::developer_error(messages::MEMORY_EXHAUSTED)
        }
        Symptom::Answered | Symptom::ConnectionLost => response,
    }
}

/// The outcome of `/init`: its interval, or why the container cannot be used.
/// `managed_runtime`: the container runs a runtime of the platform's (as every
/// prewarmed container does), not a user's image.
///
/// ```
/// use std::time::Duration;
/// use proxy_core::container::backend::ContainerFacts;
/// use proxy_core::container::classify::classify_init;
/// use proxy_core::container::client::{ContainerResponse, RunResult};
/// use proxy_core::container::response::Interval;
///
/// let interval = Interval::zero(tokio::time::Instant::now());
/// let response = Ok(ContainerResponse { status: 200, entity: "OK".into(), truncated: None });
/// let verdict = classify_init(RunResult { interval, response }, Duration::from_secs(60), false);
/// assert_eq!(verdict.symptom, None);
/// assert_eq!(verdict.explained(&ContainerFacts::default()), Ok(interval));
/// ```
pub fn classify_init(
    result: RunResult,
    timeout: Duration,
    managed_runtime: bool,
) -> Verdict<Result<Interval, InitError>> {
    let RunResult { interval, response } = result;
    if matches!(&response, Ok(r) if r.shutting_down()) {
        return Verdict::settled(Err(InitError::Health(HealthError::ShuttingDown)));
    }
    if matches!(&response, Ok(r) if r.ok_status() && r.truncated.is_none()) {
        return Verdict::settled(Ok(interval));
    }
    let failed = |response| Err(InitError::Failed { interval, response });
    if managed_runtime && matches!(response, Err(ConnectionError::NeverReached { .. })) {
        // Deviation from upstream (a developer error there): the user's code never
        // got to run, the platform's runtime never came up.
        let response = ActivationResponse::whisk_error(messages::runtime_unreachable(timeout.as_millis()));
        return Verdict::settled(failed(response));
    }
    if interval.duration() >= timeout {
        let response =
            ActivationResponse::developer_error(messages::timed_out_during_init(timeout.as_millis()));
        return Verdict { outcome: failed(response), symptom: Some(Symptom::TimedOut) };
    }
    let symptom = symptom_of(&response);
    Verdict { outcome: failed(init_failure(response)), symptom }
}

/// The outcome of `/run`: its interval and classified response, or a health error
/// when the job must be rescheduled: a 503, or (`reschedule`: the first run after
/// the container was ready or paused) a request that never reached the runtime.
/// Deviation from upstream, where a rescheduling run's lost connection is a health
/// error too: once the request was delivered the action may have run, and running
/// it again elsewhere would run it twice.
///
/// ```
/// use std::time::Duration;
/// use proxy_core::container::backend::ContainerFacts;
/// use proxy_core::container::classify::classify_run;
/// use proxy_core::container::client::{ContainerResponse, RunResult};
/// use proxy_core::container::response::{ActivationStatus, Interval};
///
/// let interval = Interval::zero(tokio::time::Instant::now());
/// let entity = r#"{"error": "no such user"}"#.to_string();
/// let response = Ok(ContainerResponse { status: 200, entity, truncated: None });
/// let verdict = classify_run(RunResult { interval, response }, Duration::from_secs(60), false);
/// let (_, activation) = verdict.explained(&ContainerFacts::default()).unwrap();
/// assert_eq!(activation.status, ActivationStatus::ApplicationError);
/// assert_eq!(activation.result, serde_json::json!({"error": "no such user"}));
/// ```
pub fn classify_run(
    result: RunResult,
    timeout: Duration,
    reschedule: bool,
) -> Verdict<Result<(Interval, ActivationResponse), HealthError>> {
    let RunResult { interval, response } = result;
    match response {
        Ok(r) if r.shutting_down() => Verdict::settled(Err(HealthError::ShuttingDown)),
        Err(error) if reschedule && error.not_delivered() => {
            Verdict::settled(Err(HealthError::Unreachable(error)))
        }
        _ if interval.duration() >= timeout => Verdict {
            outcome: Ok((
                interval,
                ActivationResponse::developer_error(messages::timed_out(timeout.as_millis())),
            )),
            symptom: Some(Symptom::TimedOut),
        },
        response => {
            let symptom = symptom_of(&response);
            let response = run_outcome(response);
            let symptom = symptom.filter(|_| response.status == ActivationStatus::DeveloperError);
            Verdict { outcome: Ok((interval, response)), symptom }
        }
    }
}

/// What a failure within the timeout looked like.
fn symptom_of(response: &Result<ContainerResponse, ConnectionError>) -> Option<Symptom> {
    match response {
        Ok(_) => Some(Symptom::Answered),
        Err(ConnectionError::Timeout(_) | ConnectionError::NeverReached { .. }) => None,
        Err(_) => Some(Symptom::ConnectionLost),
    }
}

/// A failed init's content (upstream's `processInitResponseContent`).
fn init_failure(response: Result<ContainerResponse, ConnectionError>) -> ActivationResponse {
    match response {
        Ok(ContainerResponse { entity, truncated: Some((length, max)), .. }) => {
            ActivationResponse::developer_error(truncated_response(&entity, length, max))
        }
        Ok(ContainerResponse { entity, truncated: None, .. }) => {
            let error = match serde_json::from_str::<Value>(&entity) {
                Ok(Value::Object(mut fields)) => fields.remove(ERROR_FIELD),
                _ => None,
            };
            ActivationResponse::developer_error(
                error.unwrap_or_else(|| Value::String(invalid_init_response(&entity))),
            )
        }
        Err(_) => ActivationResponse::developer_error(messages::ABNORMAL_INITIALIZATION),
    }
}

/// A run's content (upstream's `processRunResponseContent`).
fn run_outcome(response: Result<ContainerResponse, ConnectionError>) -> ActivationResponse {
    let response = match response {
        Ok(response) => response,
        Err(_) => return ActivationResponse::developer_error(messages::ABNORMAL_RUN),
    };
    if let Some((length, max)) = response.truncated {
        // An application error keeps the container: the action ran fine, its answer
        // was just too large (upstream PR #4754).
        return ActivationResponse::application_error(truncated_response(&response.entity, length, max));
    }
    let invalid = || ActivationResponse::developer_error(invalid_run_response(&response.entity));
    match serde_json::from_str::<Value>(&response.entity) {
        Ok(Value::Object(mut fields)) => match (response.ok_status(), fields.remove(ERROR_FIELD)) {
            (true, Some(error)) => ActivationResponse::application_error(error),
            (true, None) => ActivationResponse::success(Value::Object(fields)),
            // Any other status is a misbehaving action, whatever it says.
            (false, Some(error)) => ActivationResponse::developer_error(error),
            (false, None) => invalid(),
        },
        Ok(array @ Value::Array(_)) if response.ok_status() => ActivationResponse::success(array),
        _ => invalid(),
    }
}

/// Upstream's `Messages.invalidInitResponse`: `The action failed during
/// initialization: {body}`, or ending in `.` when the body is empty.
pub fn invalid_init_response(body: &str) -> String {
    with_body("The action failed during initialization", body)
}

/// Upstream's `Messages.invalidRunResponse`: `The action did not produce a valid JSON
/// or JSON Array response: {body}`, or ending in `.` when the body is empty.
pub fn invalid_run_response(body: &str) -> String {
    with_body("The action did not produce a valid JSON or JSON Array response", body)
}

/// Upstream's `Messages.truncatedResponse(trunk, length, maxLength)`.
pub fn truncated_response(prefix: &str, length: usize, max: usize) -> String {
    format!(
        "The action produced a response that exceeded the allowed length: {length} > {max} bytes. \
         The truncated response was: {prefix}"
    )
}

fn with_body(text: &str, body: &str) -> String {
    if body.is_empty() {
        format!("{text}.")
    } else {
        format!("{text}: {body}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tokio::time::Instant;

    use super::*;
    use crate::container::client::TransportError;

    const TIMEOUT: Duration = Duration::from_millis(1000);

    fn took(duration: Duration) -> Interval {
        let start = Instant::now();
        Interval { start, end: start + duration }
    }

    fn quick(response: Result<ContainerResponse, ConnectionError>) -> RunResult {
        RunResult { interval: took(Duration::from_millis(10)), response }
    }

    fn answer(status: u16, entity: &str) -> RunResult {
        quick(Ok(ContainerResponse { status, entity: entity.to_string(), truncated: None }))
    }

    fn truncated(status: u16, prefix: &str, length: usize, max: usize) -> RunResult {
        quick(Ok(ContainerResponse { status, entity: prefix.to_string(), truncated: Some((length, max)) }))
    }

    const NO_FACTS: ContainerFacts = ContainerFacts { oom_killed: false, paused: false, running: true };

    fn init(result: RunResult, timeout: Duration) -> Result<Interval, InitError> {
        classify_init(result, timeout, false).explained(&NO_FACTS)
    }

    fn init_failed(result: RunResult) -> ActivationResponse {
        match init(result, TIMEOUT) {
            Err(InitError::Failed { response, .. }) => response,
            other => panic!("expected an init failure, got {other:?}"),
        }
    }

    fn classify(result: RunResult, timeout: Duration) -> Result<(Interval, ActivationResponse), HealthError> {
        classify_run(result, timeout, false).explained(&NO_FACTS)
    }

    fn run(result: RunResult) -> ActivationResponse {
        classify(result, TIMEOUT).expect("not a health error").1
    }

    fn refused() -> ConnectionError {
        ConnectionError::Connect(TransportError::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )))
    }

    fn reset() -> ConnectionError {
        ConnectionError::NotDelivered(TransportError::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )))
    }

    fn lost_in_body() -> ConnectionError {
        ConnectionError::Other(TransportError::new(std::io::Error::from(std::io::ErrorKind::ConnectionReset)))
    }

    fn developer(error: impl Into<Value>) -> ActivationResponse {
        ActivationResponse::developer_error(error)
    }

    #[test]
    fn messages_read_as_upstream() {
        assert_eq!(invalid_init_response(""), "The action failed during initialization.");
        assert_eq!(invalid_init_response("boom"), "The action failed during initialization: boom");
        assert_eq!(
            invalid_run_response(""),
            "The action did not produce a valid JSON or JSON Array response."
        );
        assert_eq!(
            invalid_run_response("oops"),
            "The action did not produce a valid JSON or JSON Array response: oops"
        );
        assert_eq!(
            truncated_response("abc", 10, 3),
            "The action produced a response that exceeded the allowed length: 10 > 3 bytes. \
             The truncated response was: abc"
        );
    }

    #[test]
    fn init_503_is_a_health_error() {
        let error = init(answer(503, r#"{"error": "shutting down"}"#), TIMEOUT).unwrap_err();
        assert!(matches!(error, InitError::Health(_)), "{error:?}");
    }

    #[test]
    fn init_200_is_its_interval_whatever_the_body() {
        let result = answer(200, "not even JSON");
        let interval = result.interval;
        assert_eq!(init(result, TIMEOUT), Ok(interval));
    }

    #[test]
    fn init_503_wins_over_the_timeout() {
        let result = RunResult {
            interval: took(TIMEOUT * 2),
            response: Ok(ContainerResponse { status: 503, entity: String::new(), truncated: None }),
        };
        assert!(matches!(init(result, TIMEOUT), Err(InitError::Health(_))));
    }

    #[test]
    fn init_200_wins_over_the_timeout() {
        let result = RunResult {
            interval: took(TIMEOUT * 2),
            response: Ok(ContainerResponse { status: 200, entity: "{}".into(), truncated: None }),
        };
        let interval = result.interval;
        assert_eq!(init(result, TIMEOUT), Ok(interval));
    }

    #[test]
    fn init_past_its_timeout_timed_out() {
        for response in [Err(ConnectionError::Timeout(TIMEOUT)), Ok(answer(502, "{}").response.unwrap())] {
            let result = RunResult { interval: took(TIMEOUT), response };
            let interval = result.interval;
            assert_eq!(
                init(result, TIMEOUT),
                Err(InitError::Failed {
                    interval,
                    response: developer(
                        "The action exceeded its time limits of 1000 milliseconds during initialization."
                    ),
                })
            );
        }
    }

    #[test]
    fn init_error_field_is_the_developer_error() {
        let response = init_failed(answer(502, r#"{"error": {"code": 7, "text": "no main"}}"#));
        assert_eq!(response, developer(json!({"code": 7, "text": "no main"})));
        assert_eq!(response.status, ActivationStatus::DeveloperError);
    }

    #[test]
    fn init_other_json_or_text_is_the_invalid_init_text() {
        for body in [r#"{"message": "no"}"#, "[1, 2]", "\"text\"", "Internal Server Error"] {
            assert_eq!(
                init_failed(answer(500, body)),
                developer(format!("The action failed during initialization: {body}")),
                "{body}"
            );
        }
        assert_eq!(init_failed(answer(500, "")), developer("The action failed during initialization."));
    }

    #[test]
    fn init_truncated_is_a_developer_error_even_with_200() {
        assert_eq!(
            init_failed(truncated(200, "abc", 2_000_000, 1_048_576)),
            developer(
                "The action produced a response that exceeded the allowed length: 2000000 > 1048576 bytes. \
                 The truncated response was: abc"
            )
        );
    }

    #[test]
    fn init_connection_errors() {
        for error in [
            refused(),
            reset(),
            ConnectionError::NoResponseReceived,
            ConnectionError::Timeout(TIMEOUT),
            lost_in_body(),
        ] {
            assert_eq!(
                init_failed(quick(Err(error))),
                developer("The action did not initialize and exited unexpectedly.")
            );
        }
    }

    #[test]
    fn run_503_is_a_health_error_even_past_the_timeout() {
        assert!(classify(answer(503, "{}"), TIMEOUT).is_err());
        let result = RunResult {
            interval: took(TIMEOUT * 2),
            response: Ok(ContainerResponse { status: 503, entity: String::new(), truncated: None }),
        };
        assert!(classify(result, TIMEOUT).is_err());
    }

    #[test]
    fn run_past_its_timeout_timed_out_even_with_a_good_answer() {
        let result = RunResult {
            interval: took(TIMEOUT),
            response: Ok(ContainerResponse { status: 200, entity: r#"{"ok": 1}"#.into(), truncated: None }),
        };
        let interval = result.interval;
        assert_eq!(
            classify(result, TIMEOUT),
            Ok((interval, developer("The action exceeded its time limits of 1000 milliseconds.")))
        );
    }

    #[test]
    fn run_200_object_is_a_success() {
        let response = run(answer(200, r#"{"greeting": "Hello World"}"#));
        assert_eq!(response, ActivationResponse::success(json!({"greeting": "Hello World"})));
    }

    #[test]
    fn run_200_array_is_a_success() {
        assert_eq!(run(answer(200, r#"[1, {"a": 2}]"#)), ActivationResponse::success(json!([1, {"a": 2}])));
    }

    #[test]
    fn run_200_error_field_is_an_application_error() {
        let response = run(answer(200, r#"{"error": {"reason": "bad input"}, "other": 1}"#));
        assert_eq!(response, ActivationResponse::application_error(json!({"reason": "bad input"})));
        assert!(response.keeps_container());
    }

    #[test]
    fn run_non_200_is_a_developer_error() {
        assert_eq!(run(answer(502, r#"{"error": "exit 1"}"#)), developer("exit 1"));
        assert_eq!(
            run(answer(400, r#"{"message": "bad"}"#)),
            developer(
                r#"The action did not produce a valid JSON or JSON Array response: {"message": "bad"}"#
            )
        );
        assert_eq!(
            run(answer(500, "[1]")),
            developer("The action did not produce a valid JSON or JSON Array response: [1]")
        );
    }

    #[test]
    fn run_other_json_or_text_is_the_invalid_run_text() {
        for body in ["42", "\"just a string\"", "null", "hello world", "{\"unterminated\": "] {
            assert_eq!(
                run(answer(200, body)),
                developer(format!("The action did not produce a valid JSON or JSON Array response: {body}")),
                "{body}"
            );
        }
        assert_eq!(
            run(answer(200, "")),
            developer("The action did not produce a valid JSON or JSON Array response.")
        );
    }

    #[test]
    fn run_truncated_is_an_application_error_that_keeps_the_container() {
        let response = run(truncated(200, r#"{"big": "aaa"#, 5000, 1000));
        assert_eq!(
            response,
            ActivationResponse::application_error(
                "The action produced a response that exceeded the allowed length: 5000 > 1000 bytes. \
                 The truncated response was: {\"big\": \"aaa"
            )
        );
        assert!(response.keeps_container());
    }

    #[test]
    fn run_connection_errors() {
        for error in [
            refused(),
            reset(),
            ConnectionError::NoResponseReceived,
            ConnectionError::Timeout(TIMEOUT),
            lost_in_body(),
        ] {
            assert_eq!(
                run(quick(Err(error))),
                developer("The action did not produce a valid response and exited unexpectedly.")
            );
        }
    }

    // Defect 6: only a request that never reached the runtime may be rescheduled.
    #[test]
    fn a_rescheduling_run_is_rescheduled_only_when_its_request_did_not_arrive() {
        for error in [refused(), reset()] {
            let verdict = classify_run(quick(Err(error.clone())), TIMEOUT, true);
            assert_eq!(verdict.symptom, None, "nothing to ask the engine");
            assert_eq!(verdict.explained(&NO_FACTS), Err(HealthError::Unreachable(error)));
        }
        for error in [ConnectionError::NoResponseReceived, lost_in_body()] {
            let (_, response) = classify_run(quick(Err(error)), TIMEOUT, true).explained(&NO_FACTS).unwrap();
            assert_eq!(response, developer(messages::ABNORMAL_RUN), "delivered: the action may have run");
        }
    }

    // Defect 7: out of memory only when the engine says so.
    #[test]
    fn out_of_memory_only_when_the_facts_say_so() {
        let dead = ContainerFacts { running: false, ..NO_FACTS };
        let oom = ContainerFacts { oom_killed: true, ..dead };
        let lost = || quick(Err(ConnectionError::NoResponseReceived));
        let verdict = classify_run(lost(), TIMEOUT, false);
        assert_eq!(verdict.symptom, Some(Symptom::ConnectionLost));
        assert_eq!(verdict.explained(&dead).unwrap().1, developer(messages::ABNORMAL_RUN));
        assert_eq!(
            classify_run(lost(), TIMEOUT, false).explained(&oom).unwrap().1,
            developer(messages::MEMORY_EXHAUSTED)
        );

        // A process of the runtime killed, the runtime answering for it.
        let crashed = || answer(502, r#"{"error": "the action exited"}"#);
        assert_eq!(classify_run(crashed(), TIMEOUT, false).symptom, Some(Symptom::Answered));
        assert_eq!(
            classify_run(crashed(), TIMEOUT, false).explained(&oom).unwrap().1,
            developer(messages::MEMORY_EXHAUSTED)
        );
        assert_eq!(
            classify_run(crashed(), TIMEOUT, false).explained(&NO_FACTS).unwrap().1,
            developer("the action exited")
        );

        // Nothing the action answered for itself is explained away, nor a timeout.
        for ok in [answer(200, "{}"), answer(200, r#"{"error": "mine"}"#)] {
            let verdict = classify_run(ok, TIMEOUT, false);
            assert_eq!(verdict.symptom, None);
            assert!(verdict.explained(&oom).unwrap().1.keeps_container());
        }
        let slow = RunResult { interval: took(TIMEOUT), response: Err(ConnectionError::Timeout(TIMEOUT)) };
        assert_eq!(
            classify_run(slow, TIMEOUT, false).explained(&oom).unwrap().1,
            developer(messages::timed_out(1000))
        );

        let init_lost = || quick(Err(ConnectionError::NoResponseReceived));
        let lost = init_lost();
        let interval = lost.interval;
        assert_eq!(
            init(lost, TIMEOUT).unwrap_err(),
            InitError::Failed { interval, response: developer(messages::ABNORMAL_INITIALIZATION) }
        );
        let explained = classify_init(init_lost(), TIMEOUT, false).explained(&oom);
        assert!(
            matches!(explained, Err(InitError::Failed { response, .. }) if response == developer(messages::MEMORY_EXHAUSTED))
        );
    }

    // Defect 10: a container paused from outside is the platform's fault.
    #[test]
    fn a_timeout_of_a_container_paused_from_outside_is_a_whisk_error() {
        let paused = ContainerFacts { paused: true, ..NO_FACTS };
        let hung = || RunResult { interval: took(TIMEOUT), response: Err(ConnectionError::Timeout(TIMEOUT)) };
        let verdict = classify_run(hung(), TIMEOUT, true);
        assert_eq!(verdict.symptom, Some(Symptom::TimedOut));
        assert_eq!(
            verdict.explained(&paused).unwrap().1,
            ActivationResponse::whisk_error(messages::CONTAINER_PAUSED)
        );
        assert_eq!(
            classify_run(hung(), TIMEOUT, true).explained(&NO_FACTS).unwrap().1,
            developer(messages::timed_out(1000))
        );
        let explained = classify_init(hung(), TIMEOUT, false).explained(&paused);
        assert!(
            matches!(explained, Err(InitError::Failed { response, .. }) if response == ActivationResponse::whisk_error(messages::CONTAINER_PAUSED))
        );
    }

    // Defect 10: a platform runtime that never came up is the platform's fault; a
    // user's image that never listens stays the user's (upstream).
    #[test]
    fn an_init_that_never_reached_a_managed_runtime_is_a_whisk_error() {
        let interval = took(TIMEOUT);
        let never = || RunResult {
            interval,
            response: Err(ConnectionError::NeverReached { timeout: TIMEOUT, last: Box::new(refused()) }),
        };
        let managed = classify_init(never(), TIMEOUT, true);
        assert_eq!(managed.symptom, None);
        let expected = ActivationResponse::whisk_error(
            "The action runtime of the container was not reachable within 1000 milliseconds.",
        );
        assert_eq!(managed.explained(&NO_FACTS), Err(InitError::Failed { interval, response: expected }));
        assert_eq!(
            classify_init(never(), TIMEOUT, false).explained(&NO_FACTS),
            Err(InitError::Failed { interval, response: developer(messages::timed_out_during_init(1000)) })
        );
        // Reached, then hung: the user's init code had the request.
        let hung = RunResult { interval: took(TIMEOUT), response: Err(ConnectionError::Timeout(TIMEOUT)) };
        assert!(matches!(classify_init(hung, TIMEOUT, true).explained(&NO_FACTS),
            Err(InitError::Failed { response, .. }) if response == developer(messages::timed_out_during_init(1000))));
    }
}
