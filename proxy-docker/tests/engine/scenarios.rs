//! Whole proxies (`spawn_proxy`) on the Docker backend and the runtime image: the
//! container lifecycle end to end, on real time with short grace and timeouts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use proxy_core::container::response::messages;
use proxy_core::container::scripted::{Record, RecordingSink};
use proxy_core::container::{
    spawn_proxy, AckKind, Action, ActionLimits, Activation, ActivationMessage, ActivationResponse,
    ActivationStatus, Capacity, ContainerProxyAny, ContainerProxyEvent as Event, ProxyConfig, ProxyDeps, Run,
    StartSpec, ToParent,
};
use proxy_core::machine::driver::{Notice, Notices, Running};
use proxy_docker::{DockerFactory, Reach};
use serde_json::json;

use crate::support::{binary_action, eventually, runtime_image, with_env, Env};

const SCRIPT: &str = "#!/bin/sh\necho \"hello $1\"\necho 'on stderr' >&2\necho '{\"greeting\": \"hello\"}'\n";

/// A proxy on the Docker backend, and what it told its parent.
struct Proxy {
    running: Running<ContainerProxyAny>,
    notices: Notices<ContainerProxyAny>,
    sink: Arc<RecordingSink>,
    seen: Vec<String>,
}

impl Proxy {
    fn spawn(factory: &DockerFactory, config: ProxyConfig) -> Self {
        let sink = RecordingSink::new();
        let deps = Arc::new(ProxyDeps::new(Arc::new(factory.clone()), sink.clone(), config));
        let (running, notices) = spawn_proxy(deps);
        Proxy { running, notices, sink, seen: Vec::new() }
    }

    fn send(&self, event: Event) {
        self.running.send(event).expect("the proxy is alive");
    }

    /// Reads notices until one reads `what`; returns the ones read on the way.
    async fn until(&mut self, what: &str, within: Duration) -> Vec<String> {
        let mut read = Vec::new();
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notice = tokio::time::timeout_at(deadline, self.notices.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!("no `{what}` within {within:?}; saw {read:?} after {:?}", self.seen)
                })
                .unwrap_or_else(|| panic!("the proxy stopped before `{what}`; saw {read:?}"));
            let text = describe(&notice);
            read.push(text.clone());
            self.seen.push(text.clone());
            if text == what {
                return read;
            }
        }
    }

    fn stored(&self, id: &str) -> Activation {
        let stored = self.sink.stored.lock().unwrap();
        stored.iter().find(|a| a.activation_id == id).cloned().unwrap_or_else(|| panic!("{id} not stored"))
    }

    fn records_of(&self, id: &str) -> Vec<Record> {
        self.sink
            .records()
            .into_iter()
            .filter(|r| match r {
                Record::Ack { activation_id, .. } | Record::Store { activation_id, .. } => {
                    activation_id == id
                }
            })
            .collect()
    }
}

fn describe(notice: &Notice<Event, ToParent>) -> String {
    match notice {
        Notice::Message(ToParent::NeedWork(Capacity::Prewarmed(_))) => "NeedWork(prewarmed)".into(),
        Notice::Message(ToParent::NeedWork(Capacity::Warm(_))) => "NeedWork(warm)".into(),
        Notice::Message(ToParent::ContainerRemoved { replace_prewarm }) => {
            format!("ContainerRemoved({replace_prewarm})")
        }
        Notice::Message(ToParent::RescheduleJob) => "RescheduleJob".into(),
        Notice::Message(ToParent::Resend(run)) => format!("Resend({})", run.msg.activation_id),
        Notice::Message(ToParent::DestroyFailed { .. }) => "DestroyFailed".into(),
        Notice::Message(ToParent::Released { .. }) => "Released".into(),
        Notice::Transition(t) => format!("{} -> {}", t.from, t.to),
        Notice::Unhandled { state, event } => format!("unhandled {} in {state}", event.name()),
        Notice::EffectPanicked { state } => format!("panic in {state}"),
        Notice::Stopped { state, .. } => format!("stopped in {state}"),
    }
}

fn limits(timeout_ms: u64, memory_mb: u64, max_concurrent: usize) -> ActionLimits {
    ActionLimits { timeout: Duration::from_millis(timeout_ms), memory_mb, logs_mb: 1, max_concurrent }
}

/// An action on our runtime image, which writes the end sentinels.
fn action(image: &str, code: &str, binary: bool, limits: ActionLimits) -> Arc<Action> {
    Arc::new(Action { binary, limits, sentinelled_logs: true, ..Action::new("guest", "hello", image, code) })
}

fn script(image: &str, code: &str) -> Arc<Action> {
    action(image, code, false, limits(10_000, 128, 1))
}

fn job(action: &Arc<Action>, id: &str) -> Run {
    Run {
        action: action.clone(),
        msg: Arc::new(ActivationMessage {
            api_key: Some("uuid:secret".into()),
            content: Some(json!({"name": "world"})),
            ..ActivationMessage::new(id, "guest")
        }),
    }
}

fn config() -> ProxyConfig {
    ProxyConfig { destroy_retry_delay: Duration::from_millis(100), ..Default::default() }
}

fn success(proxy: &Proxy, id: &str) -> Activation {
    let activation = proxy.stored(id);
    assert_eq!(activation.response.status, ActivationStatus::Success, "{activation:?}");
    activation
}

async fn container_count(env: &Env) -> usize {
    env.factory.owned_containers().await.unwrap().len()
}

#[tokio::test]
async fn cold_start_on_each_reach() {
    for reach in [Reach::Published, Reach::Bridge] {
        with_env(
            "cold",
            |c| c.reach = reach,
            |env| async move {
                let image = runtime_image(&env.docker).await;
                let mut proxy = Proxy::spawn(&env.factory, config());
                let hello = script(&image, SCRIPT);
                let started = Instant::now();
                proxy.send(Event::Run(job(&hello, "a1")));
                proxy.until("Running -> Ready", Duration::from_secs(20)).await;
                println!("{reach:?}: cold start, Run to Ready (logs included): {:?}", started.elapsed());

                let activation = success(&proxy, "a1");
                assert_eq!(activation.response.result, json!({"greeting": "hello"}));
                assert!(activation.annotations.contains_key("initTime"), "{activation:?}");
                assert_eq!(
                    proxy.records_of("a1"),
                    [
                        Record::Ack {
                            kind: AckKind::Result,
                            activation_id: "a1".into(),
                            status: ActivationStatus::Success
                        },
                        Record::Ack {
                            kind: AckKind::Completion,
                            activation_id: "a1".into(),
                            status: ActivationStatus::Success
                        },
                        Record::Store {
                            activation_id: "a1".into(),
                            status: ActivationStatus::Success,
                            log_lines: 2
                        },
                    ]
                );
                // The runtime relays the two streams separately: their order is not fixed.
                let logs = &activation.logs;
                assert!(logs.iter().any(|l| l.ends_with(r#"stdout: hello {"name":"world"}"#)), "{logs:?}");
                assert!(logs.iter().any(|l| l.ends_with("stderr: on stderr")), "{logs:?}");
                assert_eq!(env.factory.reach(), Some(reach));
                assert_eq!(container_count(&env).await, 1);
            },
        )
        .await;
    }
}

#[tokio::test]
async fn prewarm_then_run_then_warm_reuse() {
    with_env(
        "prewarm",
        |_| {},
        |env| async move {
            let image = runtime_image(&env.docker).await;
            let mut proxy = Proxy::spawn(&env.factory, config());
            let started = Instant::now();
            proxy.send(Event::Start(StartSpec {
                kind: "blackbox".into(),
                image: image.clone(),
                memory_mb: 128,
                ttl: None,
            }));
            let seen = proxy.until("Starting -> Started", Duration::from_secs(20)).await;
            println!("prewarm: Start to Started {:?}", started.elapsed());
            assert_eq!(seen, ["Uninitialized -> Starting", "NeedWork(prewarmed)", "Starting -> Started"]);
            assert_eq!(container_count(&env).await, 1);

            let hello = script(&image, SCRIPT);
            let started = Instant::now();
            proxy.send(Event::Run(job(&hello, "p1")));
            proxy.until("Running -> Ready", Duration::from_secs(20)).await;
            println!("prewarmed: Run to Ready {:?}", started.elapsed());
            success(&proxy, "p1");

            let mut warm = Vec::new();
            for n in 0..10 {
                let id = format!("w{n}");
                let started = Instant::now();
                proxy.send(Event::Run(job(&hello, &id)));
                proxy.until("Running -> Ready", Duration::from_secs(20)).await;
                warm.push(started.elapsed());
                let activation = success(&proxy, &id);
                assert!(!activation.annotations.contains_key("initTime"), "init once");
            }
            warm.sort();
            println!("warm: Run to Ready (logs included) p50 {:?}", warm[warm.len() / 2]);
            assert_eq!(container_count(&env).await, 1, "one container for all of them");
        },
    )
    .await;
}

#[tokio::test]
async fn paused_after_the_grace_and_resumed_for_the_next_run() {
    with_env(
        "grace",
        |_| {},
        |env| async move {
            let image = runtime_image(&env.docker).await;
            let config = ProxyConfig { pause_grace: Duration::from_millis(300), ..config() };
            let mut proxy = Proxy::spawn(&env.factory, config);
            let hello = script(&image, SCRIPT);
            proxy.send(Event::Run(job(&hello, "g1")));
            proxy.until("Running -> Ready", Duration::from_secs(20)).await;
            let ready = Instant::now();
            proxy.until("Pausing -> Paused", Duration::from_secs(5)).await;
            assert!(ready.elapsed() >= Duration::from_millis(300), "not before the grace");
            let id = env.factory.owned_containers().await.unwrap().remove(0);
            let state = env.docker.inspect_container(&id.0, None).await.unwrap().state.unwrap();
            assert_eq!(state.paused, Some(true));

            let started = Instant::now();
            proxy.send(Event::Run(job(&hello, "g2")));
            proxy.until("Running -> Ready", Duration::from_secs(20)).await;
            println!("paused: Run to Ready (unpause, /run, logs) {:?}", started.elapsed());
            success(&proxy, "g2");
            let state = env.docker.inspect_container(&id.0, None).await.unwrap().state.unwrap();
            assert_eq!(state.paused, Some(false));
        },
    )
    .await;
}

#[tokio::test]
async fn removed_after_the_unused_timeout() {
    with_env(
        "unused",
        |_| {},
        |env| async move {
            let image = runtime_image(&env.docker).await;
            let config = ProxyConfig {
                pause_grace: Duration::from_millis(100),
                unused_timeout: Duration::from_millis(500),
                ..config()
            };
            let mut proxy = Proxy::spawn(&env.factory, config);
            proxy.send(Event::Run(job(&script(&image, SCRIPT), "u1")));
            proxy.until("Pausing -> Paused", Duration::from_secs(20)).await;
            let seen = proxy.until("Removing -> Removed", Duration::from_secs(10)).await;
            assert_eq!(seen, ["RescheduleJob", "Paused -> Removing", "Removing -> Removed"]);
            assert_eq!(container_count(&env).await, 0, "the paused container was removed");
        },
    )
    .await;
}

#[tokio::test]
async fn a_container_killed_from_outside_hands_its_job_back() {
    with_env(
        "killed",
        |_| {},
        |env| async move {
            let image = runtime_image(&env.docker).await;
            let mut proxy = Proxy::spawn(&env.factory, config());
            let hello = script(&image, SCRIPT);
            proxy.send(Event::Run(job(&hello, "k1")));
            proxy.until("Running -> Ready", Duration::from_secs(20)).await;
            let id = env.factory.owned_containers().await.unwrap().remove(0);
            env.docker.kill_container(&id.0, None).await.expect("killed");

            proxy.send(Event::Run(job(&hello, "k2")));
            let seen = proxy.until("Removing -> Removed", Duration::from_secs(20)).await;
            assert!(seen.contains(&"Resend(k2)".to_string()), "the job goes back to the pool: {seen:?}");
            assert!(proxy.records_of("k2").is_empty(), "neither acknowledged nor stored here");
            assert_eq!(container_count(&env).await, 0);
        },
    )
    .await;
}

#[tokio::test]
async fn an_action_out_of_memory_is_told_so() {
    with_env("oom", |_| {}, |env| async move {
        let image = runtime_image(&env.docker).await;
        let mut proxy = Proxy::spawn(&env.factory, config());
        let code = "#!/bin/sh\ndd if=/dev/zero of=/dev/null bs=96M count=1 || exit 1\necho '{\"survived\": true}'\n";
        let hog = action(&image, code, false, limits(10_000, 32, 1));
        proxy.send(Event::Run(job(&hog, "m1")));
        proxy.until("Removing -> Removed", Duration::from_secs(20)).await;
        let activation = proxy.stored("m1");
        assert_eq!(activation.response.status, ActivationStatus::DeveloperError, "{activation:?}");
        assert_eq!(activation.response.result, json!({"error": messages::MEMORY_EXHAUSTED}));
        assert_eq!(container_count(&env).await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_run_past_its_time_limit_is_a_developer_error_and_the_container_goes() {
    with_env(
        "timeout",
        |_| {},
        |env| async move {
            let image = runtime_image(&env.docker).await;
            let mut proxy = Proxy::spawn(&env.factory, config());
            let slow = action(&image, "#!/bin/sh\nsleep 5\necho '{}'\n", false, limits(1000, 128, 1));
            let started = Instant::now();
            proxy.send(Event::Run(job(&slow, "t1")));
            proxy.until("Removing -> Removed", Duration::from_secs(20)).await;
            assert!(started.elapsed() < Duration::from_secs(5), "the run was not waited for");
            let activation = proxy.stored("t1");
            assert_eq!(activation.response.result, json!({"error": messages::timed_out(1000)}));
            assert_eq!(activation.annotations["timeout"], json!(true));
            assert_eq!(container_count(&env).await, 0);
        },
    )
    .await;
}

#[tokio::test]
async fn an_oversized_response_is_truncated_and_the_container_kept() {
    with_env(
        "oversized",
        |_| {},
        |env| async move {
            let image = runtime_image(&env.docker).await;
            let mut proxy = Proxy::spawn(&env.factory, config());
            let code =
                "#!/bin/sh\nprintf '{\"big\": \"'; head -c 1500000 /dev/zero | tr '\\0' a; echo '\"}'\n";
            proxy.send(Event::Run(job(&script(&image, code), "o1")));
            proxy.until("Running -> Ready", Duration::from_secs(20)).await;
            let activation = proxy.stored("o1");
            assert_eq!(activation.response.status, ActivationStatus::ApplicationError);
            let error = activation.response.result["error"].as_str().unwrap();
            let expected = "The action produced a response that exceeded the allowed length: 15000";
            assert!(error.starts_with(expected), "{}", &error[..200]);
            assert!(
                error.contains(" > 1048576 bytes. The truncated response was: {\"big\": \"aaa"),
                "{}",
                &error[..200]
            );
            assert_eq!(container_count(&env).await, 1, "kept");
        },
    )
    .await;
}

#[tokio::test]
async fn an_init_failure_is_a_developer_error_and_the_container_goes() {
    with_env(
        "initfail",
        |_| {},
        |env| async move {
            let image = runtime_image(&env.docker).await;
            let mut proxy = Proxy::spawn(&env.factory, config());
            proxy.send(Event::Run(job(&script(&image, "this is not an executable"), "i1")));
            proxy.until("Removing -> Removed", Duration::from_secs(20)).await;
            let activation = proxy.stored("i1");
            assert_eq!(activation.response.status, ActivationStatus::DeveloperError, "{activation:?}");
            assert_eq!(container_count(&env).await, 0);
        },
    )
    .await;
}

#[tokio::test]
async fn a_binary_action_runs() {
    with_env(
        "binary",
        |_| {},
        |env| async move {
            let image = runtime_image(&env.docker).await;
            let mut proxy = Proxy::spawn(&env.factory, config());
            let code = base64::engine::general_purpose::STANDARD.encode(binary_action());
            let native = action(&image, &code, true, limits(10_000, 128, 1));
            proxy.send(Event::Run(job(&native, "b1")));
            proxy.until("Running -> Ready", Duration::from_secs(20)).await;
            let activation = success(&proxy, "b1");
            assert_eq!(activation.response.result, json!({"binary": true, "args": {"name": "world"}}));
            assert!(
                activation.logs.iter().any(|l| l.ends_with("stderr: binary action on stderr")),
                "{activation:?}"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn four_overlapping_activations_share_one_container() {
    with_env(
        "concurrent",
        |_| {},
        |env| async move {
            let image = runtime_image(&env.docker).await;
            let mut proxy = Proxy::spawn(&env.factory, config());
            let mut limits = limits(10_000, 128, 4);
            limits.logs_mb = 0;
            let sleepy = action(&image, "#!/bin/sh\nsleep 1\necho '{\"done\": true}'\n", false, limits);
            let started = Instant::now();
            for n in 0..4 {
                proxy.send(Event::Run(job(&sleepy, &format!("c{n}"))));
            }
            let sink = proxy.sink.clone();
            eventually("four stored", Duration::from_secs(20), || {
                let sink = sink.clone();
                async move { sink.stored.lock().unwrap().len() == 4 }
            })
            .await;
            let elapsed = started.elapsed();
            println!("4 overlapping 1 s activations on a cold container: {elapsed:?}");
            for n in 0..4 {
                success(&proxy, &format!("c{n}"));
            }
            assert!(elapsed < Duration::from_millis(3500), "they overlapped: {elapsed:?}");
            assert_eq!(container_count(&env).await, 1);
            proxy.until("Running -> Ready", Duration::from_secs(5)).await;
        },
    )
    .await;
}

/// Defect 8: a user's blackbox image writes no end sentinels. Its logs are what the
/// container wrote by the end of the activation: no wait for the idle timeout, no
/// warning, and the container is kept.
#[tokio::test]
async fn a_blackbox_image_without_sentinels_is_not_waited_for_and_keeps_its_container() {
    let idle = Duration::from_secs(3);
    with_env(
        "blackbox",
        |c| c.log_idle_timeout = idle,
        |env| async move {
            // Our runtime, silenced: an image that writes nothing, sentinels included.
            let binary = std::fs::read(crate::support::runtime_binary()).expect("runtime binary");
            let busybox = proxy_docker::image::read_busybox().expect("busybox");
            let image = proxy_docker::image::runtime_recipe(binary, busybox)
                .entrypoint(["/bin/sh", "-c", "exec /proxy-runtime >/dev/null 2>&1"])
                .ensure(&env.docker)
                .await
                .expect("silent runtime image");
            let mut proxy = Proxy::spawn(&env.factory, config());
            let blackbox = Arc::new(Action {
                limits: limits(10_000, 128, 1),
                ..Action::new("guest", "hello", &image, SCRIPT)
            });
            assert!(!blackbox.sentinelled_logs);
            proxy.send(Event::Run(job(&blackbox, "x1")));
            proxy.until("Running -> Ready", Duration::from_secs(20)).await;
            let started = Instant::now();
            proxy.send(Event::Run(job(&blackbox, "x2")));
            proxy.until("Running -> Ready", Duration::from_secs(20)).await;
            let warm = started.elapsed();
            println!("blackbox without sentinels: warm Run to Ready {warm:?}");
            assert!(warm < idle, "the log was not followed until idle: {warm:?}");
            for id in ["x1", "x2"] {
                let activation = success(&proxy, id);
                assert!(activation.logs.iter().all(|l| !l.contains(messages::LOG_FAILURE)), "{activation:?}");
            }
            assert_eq!(container_count(&env).await, 1, "kept");
        },
    )
    .await;
}

/// Defect 10: a warm container paused by someone else than the invoker hangs the
/// next run until its timeout. That is the platform's fault (a whisk error), not a
/// timeout of the action's; the container goes.
#[tokio::test]
async fn a_run_on_a_container_paused_from_outside_is_a_whisk_error() {
    with_env(
        "paused-outside",
        |_| {},
        |env| async move {
            let image = runtime_image(&env.docker).await;
            let config = ProxyConfig { pause_grace: Duration::from_secs(60), ..config() };
            let mut proxy = Proxy::spawn(&env.factory, config);
            let hello = action(&image, SCRIPT, false, limits(1000, 128, 1));
            proxy.send(Event::Run(job(&hello, "z1")));
            proxy.until("Running -> Ready", Duration::from_secs(20)).await;
            let id = env.factory.owned_containers().await.unwrap().remove(0);
            env.docker.pause_container(&id.0).await.expect("paused from outside");

            proxy.send(Event::Run(job(&hello, "z2")));
            proxy.until("Removing -> Removed", Duration::from_secs(20)).await;
            let activation = proxy.stored("z2");
            assert_eq!(activation.response.status, ActivationStatus::WhiskError, "{activation:?}");
            assert_eq!(activation.response.result, json!({"error": messages::CONTAINER_PAUSED}));
            assert_eq!(container_count(&env).await, 0);
        },
    )
    .await;
}

/// Defect 6: a warm run (the first after Ready: rescheduling) whose runtime dies
/// after it got the request. Handing the job back would run the action a second
/// time elsewhere; it is stored as the action's failure instead. (Killing the
/// container from outside mid-run stands in for an action that crashes its runtime.)
#[tokio::test]
async fn a_run_whose_runtime_dies_after_the_request_is_not_run_again() {
    with_env(
        "diesmidrun",
        |_| {},
        |env| async move {
            let image = runtime_image(&env.docker).await;
            let config = ProxyConfig { pause_grace: Duration::from_secs(60), ..config() };
            let mut proxy = Proxy::spawn(&env.factory, config);
            let slow = action(&image, "#!/bin/sh\nsleep 3\necho '{}'\n", false, limits(10_000, 128, 1));
            proxy.send(Event::Run(job(&slow, "d1")));
            proxy.until("Running -> Ready", Duration::from_secs(20)).await;
            let id = env.factory.owned_containers().await.unwrap().remove(0);

            proxy.send(Event::Run(job(&slow, "d2")));
            proxy.until("Ready -> Running", Duration::from_secs(5)).await;
            tokio::time::sleep(Duration::from_millis(1000)).await;
            env.docker.kill_container(&id.0, None).await.expect("killed");
            let seen = proxy.until("Removing -> Removed", Duration::from_secs(20)).await;
            assert!(!seen.contains(&"Resend(d2)".to_string()), "handed back to run again: {seen:?}");
            let activation = proxy.stored("d2");
            assert_eq!(activation.response, ActivationResponse::developer_error(messages::ABNORMAL_RUN));
            assert_eq!(container_count(&env).await, 0);
        },
    )
    .await;
}
