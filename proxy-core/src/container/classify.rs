//! Who is to blame for a call's outcome: the tails of upstream's `Container.initialize`
//! and `Container.run`, and `ActivationResponse.processInitResponseContent` /
//! `processRunResponseContent`.
//!
//! The checks run in upstream's order: a 503 first (the container is unhealthy, the
//! job goes elsewhere), then success (init only), then the elapsed time against the
//! timeout, then the content.

use std::time::Duration;

use serde_json::Value;

use super::backend::{HealthError, InitError};
use super::client::{ConnectionError, ContainerResponse, RunResult};
use super::response::{messages, ActivationResponse, Interval};

/// The field that marks an error in a runtime's JSON answer.
const ERROR_FIELD: &str = "error";

/// The outcome of `/init`: its interval, or why the container cannot be used.
///
/// ```
/// use std::time::Duration;
/// use proxy_core::container::classify::classify_init;
/// use proxy_core::container::client::{ContainerResponse, RunResult};
/// use proxy_core::container::response::Interval;
///
/// let interval = Interval::zero(tokio::time::Instant::now());
/// let response = Ok(ContainerResponse { status: 200, entity: "OK".into(), truncated: None });
/// assert_eq!(classify_init(RunResult { interval, response }, Duration::from_secs(60)), Ok(interval));
/// ```
pub fn classify_init(result: RunResult, timeout: Duration) -> Result<Interval, InitError> {
    let RunResult { interval, response } = result;
    if matches!(&response, Ok(r) if r.shutting_down()) {
        return Err(InitError::Health(shutting_down()));
    }
    if matches!(&response, Ok(r) if r.ok_status() && r.truncated.is_none()) {
        return Ok(interval);
    }
    let response = if interval.duration() >= timeout {
        ActivationResponse::developer_error(messages::timed_out_during_init(timeout.as_millis()))
    } else {
        init_failure(response)
    };
    Err(InitError::Failed { interval, response })
}

/// The outcome of `/run`: its interval and classified response, or a health error
/// (503) when the job must be rescheduled.
///
/// ```
/// use std::time::Duration;
/// use proxy_core::container::classify::classify_run;
/// use proxy_core::container::client::{ContainerResponse, RunResult};
/// use proxy_core::container::response::{ActivationStatus, Interval};
///
/// let interval = Interval::zero(tokio::time::Instant::now());
/// let entity = r#"{"error": "no such user"}"#.to_string();
/// let response = Ok(ContainerResponse { status: 200, entity, truncated: None });
/// let (_, activation) = classify_run(RunResult { interval, response }, Duration::from_secs(60)).unwrap();
/// assert_eq!(activation.status, ActivationStatus::ApplicationError);
/// assert_eq!(activation.result, serde_json::json!({"error": "no such user"}));
/// ```
pub fn classify_run(
    result: RunResult,
    timeout: Duration,
) -> Result<(Interval, ActivationResponse), HealthError> {
    let RunResult { interval, response } = result;
    if matches!(&response, Ok(r) if r.shutting_down()) {
        return Err(shutting_down());
    }
    let response = if interval.duration() >= timeout {
        ActivationResponse::developer_error(messages::timed_out(timeout.as_millis()))
    } else {
        run_outcome(response)
    };
    Ok((interval, response))
}

fn shutting_down() -> HealthError {
    HealthError("the action runtime is shutting down (HTTP 503)".to_string())
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
        Err(ConnectionError::MemoryExhausted) => {
            ActivationResponse::developer_error(messages::MEMORY_EXHAUSTED)
        }
        Err(_) => ActivationResponse::developer_error(messages::ABNORMAL_INITIALIZATION),
    }
}

/// A run's content (upstream's `processRunResponseContent`).
fn run_outcome(response: Result<ContainerResponse, ConnectionError>) -> ActivationResponse {
    let response = match response {
        Ok(response) => response,
        Err(ConnectionError::MemoryExhausted) => {
            return ActivationResponse::developer_error(messages::MEMORY_EXHAUSTED);
        }
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
    use crate::container::response::ActivationStatus;

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

    fn init_failed(result: RunResult) -> ActivationResponse {
        match classify_init(result, TIMEOUT) {
            Err(InitError::Failed { response, .. }) => response,
            other => panic!("expected an init failure, got {other:?}"),
        }
    }

    fn run(result: RunResult) -> ActivationResponse {
        classify_run(result, TIMEOUT).expect("not a health error").1
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
        let error = classify_init(answer(503, r#"{"error": "shutting down"}"#), TIMEOUT).unwrap_err();
        assert!(matches!(error, InitError::Health(_)), "{error:?}");
    }

    #[test]
    fn init_200_is_its_interval_whatever_the_body() {
        let result = answer(200, "not even JSON");
        let interval = result.interval;
        assert_eq!(classify_init(result, TIMEOUT), Ok(interval));
    }

    #[test]
    fn init_503_wins_over_the_timeout() {
        let result = RunResult {
            interval: took(TIMEOUT * 2),
            response: Ok(ContainerResponse { status: 503, entity: String::new(), truncated: None }),
        };
        assert!(matches!(classify_init(result, TIMEOUT), Err(InitError::Health(_))));
    }

    #[test]
    fn init_200_wins_over_the_timeout() {
        let result = RunResult {
            interval: took(TIMEOUT * 2),
            response: Ok(ContainerResponse { status: 200, entity: "{}".into(), truncated: None }),
        };
        let interval = result.interval;
        assert_eq!(classify_init(result, TIMEOUT), Ok(interval));
    }

    #[test]
    fn init_past_its_timeout_timed_out() {
        for response in [Err(ConnectionError::Timeout(TIMEOUT)), Ok(answer(502, "{}").response.unwrap())] {
            let result = RunResult { interval: took(TIMEOUT), response };
            let interval = result.interval;
            assert_eq!(
                classify_init(result, TIMEOUT),
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
        assert_eq!(
            init_failed(quick(Err(ConnectionError::MemoryExhausted))),
            developer("The action exhausted its memory and was aborted.")
        );
        for error in [
            ConnectionError::Connect("refused".into()),
            ConnectionError::NoResponseReceived,
            ConnectionError::Timeout(TIMEOUT),
            ConnectionError::Other("reset".into()),
        ] {
            assert_eq!(
                init_failed(quick(Err(error))),
                developer("The action did not initialize and exited unexpectedly.")
            );
        }
    }

    #[test]
    fn run_503_is_a_health_error_even_past_the_timeout() {
        assert!(classify_run(answer(503, "{}"), TIMEOUT).is_err());
        let result = RunResult {
            interval: took(TIMEOUT * 2),
            response: Ok(ContainerResponse { status: 503, entity: String::new(), truncated: None }),
        };
        assert!(classify_run(result, TIMEOUT).is_err());
    }

    #[test]
    fn run_past_its_timeout_timed_out_even_with_a_good_answer() {
        let result = RunResult {
            interval: took(TIMEOUT),
            response: Ok(ContainerResponse { status: 200, entity: r#"{"ok": 1}"#.into(), truncated: None }),
        };
        let interval = result.interval;
        assert_eq!(
            classify_run(result, TIMEOUT),
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
        assert_eq!(
            run(quick(Err(ConnectionError::MemoryExhausted))),
            developer("The action exhausted its memory and was aborted.")
        );
        for error in [
            ConnectionError::Connect("refused".into()),
            ConnectionError::NoResponseReceived,
            ConnectionError::Timeout(TIMEOUT),
            ConnectionError::Other("reset".into()),
        ] {
            assert_eq!(
                run(quick(Err(error))),
                developer("The action did not produce a valid response and exited unexpectedly.")
            );
        }
    }
}
