//! The cases of the suite, each generic over the [`Backend`]. Every container a case
//! creates, it destroys; the backend's `with_backend` cleans up after a failure.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use proxy_core::container::logs::SENTINEL;
use proxy_core::container::response::messages;
use proxy_core::container::{outcome, ActivationResponse, ActivationStatus, Container, LogRead, Symptom};
use serde_json::{json, Map, Value};

use crate::Backend;

const LIMIT: Duration = Duration::from_secs(10);
const LOGS: usize = 1024 * 1024;

/// The text of a formatted log line (after `<time padded to 30> <stream>: `).
pub fn text_of(line: &str) -> &str {
    line.get(31..).and_then(|rest| rest.split_once(": ")).map_or("", |(_, text)| text)
}

fn texts(logs: &proxy_core::container::Logs) -> Vec<&str> {
    logs.lines.iter().map(|l| text_of(l)).collect()
}

async fn create<B: Backend>(backend: &B, name: &str) -> Arc<dyn Container> {
    backend.factory().create(backend.spec(name, 128)).await.unwrap_or_else(|e| panic!("create {name}: {e:?}"))
}

async fn init(container: &dyn Container, code: &str) {
    let initializer = json!({"name": "suite", "main": "main", "code": code, "binary": false, "env": {}});
    outcome::init(container, initializer, LIMIT, 1, true).await.expect("init succeeds");
}

async fn run_with(container: &dyn Container, parameters: Value, timeout: Duration) -> ActivationResponse {
    let (_, response) = outcome::run(container, parameters, Map::new(), timeout, Default::default(), false)
        .await
        .expect("no health error");
    response
}

async fn run(container: &dyn Container, parameters: Value) -> ActivationResponse {
    run_with(container, parameters, LIMIT).await
}

/// Create, facts of a healthy container, `/init`, `/run` with the result and the
/// environment, the activation's logs, destroy, and destroy again.
pub async fn creates_initializes_runs_and_destroys<B: Backend>(backend: &B) {
    let container = create(backend, "basic").await;
    assert!(container.addr().is_some());
    assert!(backend.exists(&*container).await);
    let facts = container.facts(SystemTime::now(), Symptom::Answered).await;
    assert!(facts.running && !facts.paused && !facts.oom_killed, "{facts:?}");

    init(&*container, "#!/bin/sh\necho \"hello from $__OW_ACTION_NAME\" >&2\necho \"{\\\"echo\\\": $1}\"\n")
        .await;
    let environment = Map::from_iter([("action_name".to_string(), json!("/guest/hello"))]);
    let (_, response) =
        outcome::run(&*container, json!({"x": 1}), environment, LIMIT, Default::default(), false)
            .await
            .unwrap();
    assert_eq!(response.status, ActivationStatus::Success, "{response:?}");
    assert_eq!(response.result, json!({"echo": {"x": 1}}));
    let logs = container.logs(LOGS, LogRead::UntilSentinels).await.unwrap();
    assert!(!logs.failed, "{logs:?}");
    assert_eq!(texts(&logs), ["hello from /guest/hello"], "{logs:?}");
    assert!(logs.lines[0].get(30..).is_some_and(|l| l.starts_with(" stderr: ")), "{logs:?}");
    assert!(logs.lines.iter().all(|l| !l.contains(SENTINEL)));

    container.destroy().await.expect("destroyed");
    assert!(!backend.exists(&*container).await, "nothing is left of a destroyed container");
    container.destroy().await.expect("destroying a destroyed container succeeds");
}

/// Each read takes one activation's lines, up to both sentinels, even when later
/// activations' lines are already there; without a sentinel coming, the read ends
/// idle with upstream's warning; `Now` and `AfterDeveloperError` do not wait.
pub async fn logs_are_split_by_the_sentinels<B: Backend>(backend: &B) {
    let container = create(backend, "logs").await;
    init(&*container, "#!/bin/sh\necho \"out $1\"\necho \"err $1\" >&2\necho '{}'\n").await;
    for n in 1..=2 {
        assert_eq!(run(&*container, json!({"n": n})).await.status, ActivationStatus::Success);
    }
    for n in 1..=2 {
        let logs = container.logs(LOGS, LogRead::UntilSentinels).await.unwrap();
        assert!(!logs.failed, "{logs:?}");
        let mut got = texts(&logs);
        got.sort_unstable();
        let (err, out) = (format!("err {{\"n\":{n}}}"), format!("out {{\"n\":{n}}}"));
        assert_eq!(got, [err.as_str(), out.as_str()], "activation {n}: {logs:?}");
    }

    let now = container.logs(LOGS, LogRead::Now).await.unwrap();
    assert!(now.lines.is_empty() && !now.failed, "{now:?}");
    let after_error = container.logs(LOGS, LogRead::AfterDeveloperError).await.unwrap();
    assert_eq!(texts(&after_error), [messages::LOG_DEVELOPER_ERROR], "{after_error:?}");
    assert!(!after_error.failed);
    // No activation, so no sentinel: the read gives up when the log stays idle.
    let idle = container.logs(LOGS, LogRead::UntilSentinels).await.unwrap();
    assert!(idle.failed, "{idle:?}");
    assert_eq!(texts(&idle), [messages::LOG_FAILURE], "{idle:?}");
    container.destroy().await.unwrap();
}

/// Past the limit, lines are dropped with upstream's warning, and the next read
/// starts after the cut activation's sentinels.
pub async fn logs_past_the_limit_are_truncated<B: Backend>(backend: &B) {
    let container = create(backend, "logs-limit").await;
    let code =
        "#!/bin/sh\ncase \"$1\" in *next*) echo next ;; *) i=0; while [ $i -lt 40 ]; do echo line-$i; \
                i=$((i+1)); done ;; esac\necho '{}'\n";
    init(&*container, code).await;
    assert_eq!(run(&*container, json!({})).await.status, ActivationStatus::Success);
    let cut = container.logs(50, LogRead::UntilSentinels).await.unwrap();
    assert!(cut.failed, "{cut:?}");
    // "line-0".."line-6" weigh 7 each: 7 of them fit in 50 bytes.
    assert_eq!(cut.lines.len(), 8, "{cut:?}");
    assert_eq!(texts(&cut)[6], "line-6");
    assert_eq!(text_of(cut.lines.last().unwrap()), proxy_core::container::logs::truncated_message(50));
    assert_eq!(run(&*container, json!({"next": true})).await.status, ActivationStatus::Success);
    let next = container.logs(1024, LogRead::UntilSentinels).await.unwrap();
    assert_eq!(texts(&next), ["next"], "{next:?}");
    container.destroy().await.unwrap();
}

/// Suspend freezes the container (the outside sees it frozen, the facts do not
/// call the backend's own pause a pause from outside), resume thaws it and it runs;
/// a frozen container is destroyed all the same.
pub async fn suspend_freezes_and_resume_thaws<B: Backend>(backend: &B) {
    let container = create(backend, "pause").await;
    init(&*container, "#!/bin/sh\necho '{\"ok\": true}'\n").await;
    container.suspend().await.expect("suspended");
    assert!(backend.frozen(&*container).await, "frozen after suspend");
    let facts = container.facts(SystemTime::now(), Symptom::Answered).await;
    assert!(!facts.paused, "the backend's own pause is not one from outside: {facts:?}");
    container.resume().await.expect("resumed");
    assert!(!backend.frozen(&*container).await, "thawed after resume");
    container.resume().await.expect("resuming a running container is a no-op");
    assert_eq!(run(&*container, json!({})).await.result, json!({"ok": true}));

    container.suspend().await.unwrap();
    container.destroy().await.expect("destroyed while frozen");
    assert!(!backend.exists(&*container).await);
}

/// A call into a container frozen from outside runs until its timeout, and the
/// facts make it the platform's fault (`CONTAINER_PAUSED`), not the action's.
pub async fn a_container_frozen_from_outside_is_the_platforms_fault<B: Backend>(backend: &B) {
    let container = create(backend, "frozen").await;
    init(&*container, "#!/bin/sh\necho '{\"ok\": true}'\n").await;
    backend.freeze(&*container, true).await;
    let response = run_with(&*container, json!({}), Duration::from_millis(500)).await;
    assert_eq!(response.status, ActivationStatus::WhiskError, "{response:?}");
    assert_eq!(response.result, json!({"error": messages::CONTAINER_PAUSED}));
    backend.freeze(&*container, false).await;
    assert_eq!(run(&*container, json!({})).await.status, ActivationStatus::Success);
    container.destroy().await.unwrap();
}

/// A container killed from outside: the run finds no runtime, the facts say it is
/// not running, and destroy still succeeds and leaves nothing.
pub async fn a_dead_container_is_reported_gone<B: Backend>(backend: &B) {
    let container = create(backend, "dead").await;
    init(&*container, "#!/bin/sh\necho '{}'\n").await;
    backend.kill(&*container).await;
    let result = container.run(json!({}), Map::new(), LIMIT, Default::default()).await;
    assert!(result.response.is_err(), "a dead runtime answered: {result:?}");
    let facts = container.facts(SystemTime::now(), Symptom::ConnectionLost).await;
    assert!(!facts.running, "{facts:?}");
    assert!(!facts.oom_killed, "a kill from outside is no out-of-memory kill: {facts:?}");
    container.destroy().await.expect("a dead container is destroyed");
    assert!(!backend.exists(&*container).await);
}

/// A result that is not a JSON object, and an action that fails, are developer
/// errors; the container stays usable.
pub async fn a_bad_runtime_response_is_the_developers_error<B: Backend>(backend: &B) {
    let container = create(backend, "bad").await;
    init(&*container, "#!/bin/sh\ncase \"$1\" in *fail*) echo oops >&2; exit 3 ;; *ok*) echo '{}' ;; *) echo not-json ;; esac\n")
        .await;
    let response = run(&*container, json!({})).await;
    assert_eq!(response.status, ActivationStatus::DeveloperError, "{response:?}");
    let response = run(&*container, json!({"fail": true})).await;
    assert_eq!(response.status, ActivationStatus::DeveloperError, "{response:?}");
    assert_eq!(run(&*container, json!({"ok": true})).await.status, ActivationStatus::Success);
    container.destroy().await.unwrap();
}

/// A run past its timeout is the action's timeout, with upstream's message; the
/// container still runs.
pub async fn a_run_past_its_timeout_times_out<B: Backend>(backend: &B) {
    let container = create(backend, "slow").await;
    init(&*container, "#!/bin/sh\nsleep 5\necho '{}'\n").await;
    let response = run_with(&*container, json!({}), Duration::from_millis(300)).await;
    assert_eq!(response.status, ActivationStatus::DeveloperError, "{response:?}");
    assert_eq!(response.result, json!({"error": messages::timed_out(300)}));
    let facts = container.facts(SystemTime::now(), Symptom::TimedOut).await;
    assert!(facts.running && !facts.paused, "{facts:?}");
    container.destroy().await.unwrap();
}

/// Containers created at once are distinct: ids, addresses, and each runs its own
/// action.
pub async fn concurrent_creates_get_distinct_containers<B: Backend>(backend: &B) {
    let names = ["many-a", "many-b", "many-c"];
    let created = futures_util::future::join_all(names.iter().map(|n| create(backend, n))).await;
    let mut ids: Vec<_> = created.iter().map(|c| c.id().clone()).collect();
    let mut addrs: Vec<_> = created.iter().map(|c| c.addr()).collect();
    ids.sort_by(|a, b| a.0.cmp(&b.0));
    ids.dedup();
    addrs.sort();
    addrs.dedup();
    assert_eq!((ids.len(), addrs.len()), (3, 3), "{ids:?} {addrs:?}");
    for (n, container) in created.iter().enumerate() {
        init(&**container, &format!("#!/bin/sh\necho '{{\"n\": {n}}}'\n")).await;
    }
    for (n, container) in created.iter().enumerate() {
        assert_eq!(run(&**container, json!({})).await.result, json!({"n": n}));
    }
    for container in created {
        container.destroy().await.unwrap();
    }
}
