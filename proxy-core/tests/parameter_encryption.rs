//! Scenario tests of locked (encrypted) parameters through a proxy on the scripted
//! backend and tokio's paused clock: what reaches `/init` and `/run` is the plain
//! value, and a parameter that does not unlock fails its activation (acknowledged,
//! stored, a whisk error naming the parameter) without anything locked reaching the
//! container.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use proxy_core::container::encryption::{ParameterEncryption, ParameterStorageConfig, AES_128, AES_256};
use proxy_core::container::scripted::{Record, RecordingSink};
use proxy_core::container::{
    AckKind, Action, ActionLimits, ActivationMessage, ActivationStatus, ContainerProxyEvent as Event,
    ProxyConfig, Run, StartSpec,
};
use serde_json::json;

mod common;
use common::proxy::Proxy;

/// The keys of upstream's `ParameterEncryptionTests`.
const K128: &str = "ra1V6AfOYAv0jCzEdufIFA==";
const K256: &str = "j5rLzhtxwzPyUVUy8/p8XJmBoKeDoSzNJP1SITJEY9E=";
/// A 16-byte key that is not `K128`.
const OTHER_K128: &str = "AAECAwQFBgcICQoLDA0ODw==";

const PASSWORD: &str = "hunter2";
const DB: &str = "postgres://user:pw@db";

fn keys(aes128: &str) -> ParameterEncryption {
    let config = ParameterStorageConfig { aes128: Some(aes128.into()), aes256: Some(K256.into()) };
    ParameterEncryption::from_config(&config).unwrap()
}

fn with_keys(keys: ParameterEncryption) -> Proxy {
    Proxy::with(ProxyConfig { encryption: Arc::new(keys), ..ProxyConfig::default() })
}

fn action() -> Arc<Action> {
    Arc::new(Action {
        limits: ActionLimits {
            timeout: Duration::from_secs(60),
            memory_mb: 256,
            logs_mb: 0,
            max_concurrent: 1,
        },
        ..Action::new("guest", "hello", "runtime:latest", "function main() {}")
    })
}

/// A job whose `db` (an init parameter, locked with aes-256) and `password` (a run
/// parameter, locked with aes-128) were locked with `locker`'s keys; `name` is plain.
fn locked_job(id: &str, locker: &ParameterEncryption) -> Run {
    let db = locker.encrypt("db", &json!(DB), AES_256).unwrap();
    let password = locker.encrypt("password", &json!(PASSWORD), AES_128).unwrap();
    let locked_args: BTreeMap<String, String> =
        [("db".into(), AES_256.into()), ("password".into(), AES_128.into())].into();
    Run::new(
        action(),
        ActivationMessage {
            content: Some(json!({"db": db, "password": password, "name": "world"})),
            init_args: ["db".to_string()].into(),
            locked_args,
            ..ActivationMessage::new(id, "guest")
        },
    )
}

fn plain_job(id: &str) -> Run {
    Run::new(
        action(),
        ActivationMessage { content: Some(json!({"name": "world"})), ..ActivationMessage::new(id, "guest") },
    )
}

fn whisk_error(id: &str) -> [Record; 2] {
    [
        Record::Ack {
            kind: AckKind::CombinedCompletionAndResult,
            activation_id: id.into(),
            status: ActivationStatus::WhiskError,
        },
        Record::Store { activation_id: id.into(), status: ActivationStatus::WhiskError, log_lines: 0 },
    ]
}

fn error_of(sink: &RecordingSink, id: &str) -> String {
    let stored = sink.stored.lock().unwrap();
    let activation = stored.iter().find(|a| a.activation_id == id).expect("stored");
    activation.response.result["error"].as_str().expect("an error message").to_string()
}

#[tokio::test(start_paused = true)]
async fn init_gets_the_plain_init_parameter_and_run_the_plain_run_parameter() {
    let keys = keys(K128);
    let mut proxy = with_keys(keys.clone());
    proxy.send(Event::Run(locked_job("a1", &keys)));
    assert_eq!(proxy.seen().await, ["Uninitialized -> Running", "NeedWork(warm)", "Running -> Ready"]);
    let inits = proxy.factory.script.init_bodies.lock().unwrap().clone();
    assert_eq!(inits.len(), 1);
    let env = inits[0]["env"].as_object().unwrap();
    assert_eq!(env["db"], DB);
    assert!(!env.contains_key("password"), "a run parameter stays out of the environment");
    let runs = proxy.factory.script.run_bodies.lock().unwrap().clone();
    assert_eq!(runs[0].0, json!({"password": PASSWORD, "name": "world"}));
    let stored = proxy.sink.stored.lock().unwrap().clone();
    assert_eq!(stored[0].response.status, ActivationStatus::Success);
}

#[tokio::test(start_paused = true)]
async fn a_warm_container_runs_an_activation_whose_parameters_unlock() {
    let keys = keys(K128);
    let mut proxy = with_keys(keys.clone());
    proxy.send(Event::Run(plain_job("a1")));
    proxy.seen().await;
    proxy.send(Event::Run(locked_job("a2", &keys)));
    assert_eq!(proxy.seen().await, ["Ready -> Running", "NeedWork(warm)", "Running -> Ready"]);
    let runs = proxy.factory.script.run_bodies.lock().unwrap().clone();
    assert_eq!(runs[1].0, json!({"password": PASSWORD, "name": "world"}));
}

/// Locked with another aes-128 key than the invoker's: the warm container is kept,
/// runs nothing for it, and runs the next activation.
#[tokio::test(start_paused = true)]
async fn a_wrong_key_on_a_warm_container_fails_the_activation_and_keeps_the_container() {
    let mut proxy = with_keys(keys(K128));
    proxy.send(Event::Run(plain_job("a1")));
    assert_eq!(proxy.seen().await, ["Uninitialized -> Running", "NeedWork(warm)", "Running -> Ready"]);
    let before = proxy.sink.records.lock().unwrap().len();

    let locker = keys(OTHER_K128);
    proxy.send(Event::Run(locked_job("a2", &locker)));
    assert_eq!(proxy.seen().await, ["Ready -> Running", "NeedWork(warm)", "Running -> Ready"]);
    assert_eq!(proxy.calls(), [1, 1, 1, 0, 0, 0, 0], "no /run for a2, no destroy");
    assert_eq!(proxy.sink.records.lock().unwrap()[before..], whisk_error("a2"));
    let error = error_of(&proxy.sink, "a2");
    assert!(error.contains("`password`") && error.contains("wrong key"), "{error}");
    assert!(!error.contains(PASSWORD), "{error}");

    proxy.send(Event::Run(plain_job("a3")));
    assert_eq!(proxy.seen().await, ["Ready -> Running", "NeedWork(warm)", "Running -> Ready"]);
    assert_eq!(proxy.calls(), [1, 1, 2, 0, 0, 0, 0], "a3 ran in the same container");
}

/// No key at all for the scheme, on a cold start: no container is created, the
/// activation is stored failed, the proxy stops as after a failed create.
#[tokio::test(start_paused = true)]
async fn a_missing_key_on_a_cold_start_creates_no_container() {
    let mut proxy = with_keys(ParameterEncryption::default());
    let locker = keys(K128);
    proxy.send(Event::Run(locked_job("a1", &locker)));
    assert_eq!(
        proxy.seen().await,
        [
            "Uninitialized -> Running",
            "ContainerRemoved(true)",
            "Running -> Removed",
            "stopped in Removed (Terminal)"
        ]
    );
    assert_eq!(proxy.calls(), [0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(*proxy.sink.records.lock().unwrap(), whisk_error("a1"));
    let error = error_of(&proxy.sink, "a1");
    // `db` is the first locked parameter, by name.
    assert!(error.contains("`db`") && error.contains("ParameterStorageConfig::aes256"), "{error}");
}

/// A prewarmed container takes a job whose parameters do not unlock: nothing is sent
/// to it, and it goes as after a failed `/init` (it cannot be a prewarm again).
#[tokio::test(start_paused = true)]
async fn a_wrong_key_on_a_prewarm_sends_nothing_and_removes_it_as_a_failed_init() {
    let mut proxy = with_keys(keys(K128));
    let start =
        StartSpec { kind: "blackbox".into(), image: "runtime:latest".into(), memory_mb: 256, ttl: None };
    proxy.send(Event::Start(start));
    assert_eq!(
        proxy.seen().await,
        ["Uninitialized -> Starting", "NeedWork(prewarmed)", "Starting -> Started"]
    );
    let locker = keys(OTHER_K128);
    proxy.send(Event::Run(locked_job("a1", &locker)));
    assert_eq!(
        proxy.seen().await,
        [
            "Started -> Running",
            "ContainerRemoved(true)",
            "Running -> Removing",
            "Removing -> Removed",
            "stopped in Removed (Terminal)"
        ]
    );
    assert_eq!(proxy.calls(), [1, 0, 0, 0, 0, 0, 1], "no /init, no /run; destroyed");
    assert_eq!(*proxy.sink.records.lock().unwrap(), whisk_error("a1"));
    assert_eq!(proxy.sent_to_the_container(), "[] []");
}

/// What is locked never reaches the container, whatever fails: an unknown scheme.
#[tokio::test(start_paused = true)]
async fn an_unknown_scheme_sends_nothing_locked() {
    let keys = keys(K128);
    let mut proxy = with_keys(keys.clone());
    proxy.send(Event::Run(plain_job("a1")));
    proxy.seen().await;
    let mut run = locked_job("a2", &keys);
    let msg = Arc::make_mut(&mut run.msg);
    msg.locked_args.insert("password".into(), "aes-512".into());
    let locked_password = msg.content.as_ref().unwrap()["password"].as_str().unwrap().to_string();
    proxy.send(Event::Run(run));
    assert_eq!(proxy.seen().await, ["Ready -> Running", "NeedWork(warm)", "Running -> Ready"]);
    let error = error_of(&proxy.sink, "a2");
    assert!(error.contains("aes-512") && !error.contains(&locked_password), "{error}");
    let sent = proxy.sent_to_the_container();
    assert!(!sent.contains(&locked_password) && !sent.contains(DB), "{sent}");
}

/// The resumed path unlocks too: a paused container, resumed for a locked job.
#[tokio::test(start_paused = true)]
async fn a_paused_container_resumed_for_a_locked_job_gets_the_plain_values() {
    let keys = keys(K128);
    let mut proxy = with_keys(keys.clone());
    proxy.send(Event::Run(plain_job("a1")));
    proxy.seen().await;
    tokio::time::advance(ProxyConfig::default().pause_grace).await;
    assert_eq!(proxy.seen().await, ["Ready -> Pausing", "Pausing -> Paused"]);
    proxy.send(Event::Run(locked_job("a2", &keys)));
    proxy.seen().await;
    assert_eq!(proxy.calls(), [1, 1, 2, 1, 1, 0, 0]);
    let runs = proxy.factory.script.run_bodies.lock().unwrap().clone();
    assert_eq!(runs[1].0, json!({"password": PASSWORD, "name": "world"}));
}
