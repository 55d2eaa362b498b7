//! Tests against the real Docker engine. Each prints `skipped: no Docker engine at ..`
//! and passes where no engine is reachable, unless `PROXY_REQUIRE_DOCKER=1`. Every
//! container they create carries the `proxy.test` label and is removed when the test
//! ends, however it ends; each test then checks that none is left.
//!
//! The backend tests come first (on a busybox image, then on the runtime image); the
//! scenarios through `spawn_proxy` are in `scenarios`.

#[path = "engine/scenarios.rs"]
mod scenarios;
mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::CreateContainerOptionsBuilder;
use proxy_core::container::outcome;
use proxy_core::container::response::messages;
use proxy_core::container::{
    ActivationStatus, Container, ContainerFactory, CreateSpec, LogRead, StartupError, Symptom,
};
use proxy_docker::logs::SENTINEL;
use proxy_docker::{DockerError, DockerFactory, Reach, INSTANCE_LABEL, MANAGED_LABEL};
use serde_json::{json, Map};
use support::{run_id, script_image, with_env, Env, TEST_LABEL};

fn spec(name: &str, image: &str, memory_mb: u64) -> CreateSpec {
    CreateSpec {
        transaction_id: "test".into(),
        name: format!("{name}-{}", std::process::id()),
        image: image.into(),
        memory_mb,
        cpu_shares: 256,
        cpu_limit: Some(0.5),
    }
}

/// A shell script that writes `lines` and the end sentinels on both streams.
fn activation(lines: &[&str]) -> String {
    let mut script: String = lines.iter().map(|l| format!("echo {l}; ")).collect();
    script.push_str(&format!("echo {SENTINEL}; echo {SENTINEL} >&2; "));
    script
}

fn text_of(line: &str) -> &str {
    line[31..].split_once(": ").map_or("", |(_, text)| text)
}

#[tokio::test]
async fn a_container_gets_its_limits_labels_and_least_privilege() {
    with_env(
        "limits",
        |_| {},
        |env| async move {
            let image = script_image(&env.docker, "echo hi; exec sleep 600").await;
            let started = Instant::now();
            let container = env.factory.create_container(&spec("limits", &image, 64)).await.expect("created");
            println!("create+start+inspect: {:?}", started.elapsed());

            let inspected = env.docker.inspect_container(&container.id().0, None).await.unwrap();
            assert_eq!(inspected.name.as_deref(), Some(&*format!("/{}", container.name())));
            let labels = inspected.config.as_ref().unwrap().labels.clone().unwrap();
            assert_eq!(labels.get(MANAGED_LABEL).map(String::as_str), Some("true"));
            assert_eq!(labels.get(INSTANCE_LABEL), Some(&env.instance));
            assert_eq!(labels.get(TEST_LABEL), Some(&run_id()));
            let envs = inspected.config.as_ref().unwrap().env.clone().unwrap();
            assert!(envs.contains(&"__OW_API_HOST=https://localhost".to_string()), "{envs:?}");

            let host = inspected.host_config.unwrap();
            assert_eq!(host.memory, Some(64 * 1024 * 1024));
            assert_eq!(host.memory_swap, Some(64 * 1024 * 1024));
            assert_eq!(host.cpu_shares, Some(256));
            assert_eq!(host.nano_cpus, Some(500_000_000));
            assert_eq!(host.pids_limit, Some(512));
            let ulimits = host.ulimits.unwrap();
            assert_eq!(
                (ulimits[0].name.as_deref(), ulimits[0].soft, ulimits[0].hard),
                (Some("nofile"), Some(1024), Some(1024))
            );
            assert_eq!(host.cap_drop, Some(vec!["ALL".to_string()]));
            assert_eq!(host.security_opt, Some(vec!["no-new-privileges".to_string()]));
            assert!(inspected.state.unwrap().running.unwrap());
            assert!(container.addr().is_some());

            let started = Instant::now();
            container.destroy().await.expect("removed");
            println!("remove -f: {:?}", started.elapsed());
            let gone = env.docker.inspect_container(&container.id().0, None).await;
            assert!(gone.is_err(), "removed: {gone:?}");
            container.destroy().await.expect("removing a removed container is fine");
        },
    )
    .await;
}

/// Removals racing on one container: the engine answers the losers 409 ("removal
/// already in progress") or 404; each is a success, decided from the container's
/// state, not from the answer's text.
#[tokio::test]
async fn concurrent_removals_of_one_container_all_succeed() {
    with_env(
        "race",
        |_| {},
        |env| async move {
            let image = script_image(&env.docker, "exec sleep 600").await;
            let container = env.factory.create_container(&spec("race", &image, 64)).await.expect("created");
            let removals = (0..6).map(|_| container.destroy());
            for result in futures_util::future::join_all(removals).await {
                result.expect("a racing removal succeeds");
            }
            let gone = env.docker.inspect_container(&container.id().0, None).await;
            assert!(gone.is_err(), "removed: {gone:?}");
        },
    )
    .await;
}

#[tokio::test]
async fn suspend_pauses_and_resume_unpauses() {
    with_env(
        "pause",
        |_| {},
        |env| async move {
            let image = script_image(&env.docker, "exec sleep 600").await;
            let container = env.factory.create_container(&spec("pause", &image, 64)).await.unwrap();
            let status = |docker: proxy_docker::Docker, id: String| async move {
                docker.inspect_container(&id, None).await.unwrap().state.unwrap().status.unwrap().to_string()
            };
            let id = container.id().0.clone();
            assert_eq!(env.factory.pause_supported(), None);
            let started = Instant::now();
            container.suspend().await.expect("paused");
            println!("pause: {:?}", started.elapsed());
            assert_eq!(env.factory.pause_supported(), Some(true));
            assert_eq!(status(env.docker.clone(), id.clone()).await, "paused");
            let started = Instant::now();
            container.resume().await.expect("resumed");
            println!("unpause: {:?}", started.elapsed());
            assert_eq!(status(env.docker.clone(), id.clone()).await, "running");
            container.resume().await.expect("resuming a running container is a no-op");

            // A paused container is removed all the same.
            container.suspend().await.unwrap();
            container.destroy().await.expect("removed while paused");
        },
    )
    .await;
}

#[tokio::test]
async fn with_pausing_off_warm_containers_stay_running() {
    with_env(
        "nopause",
        |c| c.pause = false,
        |env| async move {
            let image = script_image(&env.docker, "exec sleep 600").await;
            let container = env.factory.create_container(&spec("nopause", &image, 64)).await.unwrap();
            container.suspend().await.expect("a no-op");
            let state = env.docker.inspect_container(&container.id().0, None).await.unwrap().state.unwrap();
            assert_eq!(state.paused, Some(false));
            container.resume().await.expect("a no-op");
        },
    )
    .await;
}

#[tokio::test]
async fn logs_are_read_up_to_both_sentinels_one_activation_at_a_time() {
    with_env(
        "logs",
        |c| c.log_idle_timeout = Duration::from_millis(400),
        |env| async move {
            let script = format!(
                "{} sleep 0.2; {} echo after; exec sleep 600",
                activation(&["one", "two >&2"]),
                activation(&["three"])
            );
            let image = script_image(&env.docker, &script).await;
            let container = env.factory.create_container(&spec("logs", &image, 64)).await.unwrap();

            let started = Instant::now();
            let first = container.logs(1024 * 1024, LogRead::UntilSentinels).await.unwrap();
            println!("logs of the first activation: {:?}", started.elapsed());
            assert!(!first.failed, "{first:?}");
            // The engine stamps stdout and stderr as it reads each pipe, so a line of one
            // stream may be stamped before an earlier line of the other: only the order
            // within a stream is guaranteed.
            let mut texts: Vec<_> = first.lines.iter().map(|l| text_of(l)).collect();
            texts.sort_unstable();
            assert_eq!(texts, ["one", "two"], "{first:?}");
            let line = |needle: &str| first.lines.iter().find(|l| l.contains(needle)).cloned();
            let one = line(" stdout: one").unwrap_or_else(|| panic!("{first:?}"));
            assert!(line(" stderr: two").is_some(), "{first:?}");
            assert_eq!(one.find(" stdout"), Some(30), "the time is padded to 30 columns");

            // The second activation's sentinels come later: the read follows the log.
            let second = container.logs(1024 * 1024, LogRead::UntilSentinels).await.unwrap();
            assert_eq!(second.lines.iter().map(|l| text_of(l)).collect::<Vec<_>>(), ["three"], "{second:?}");

            // No sentinel follows "after": the idle timeout ends the read with upstream's warning.
            let started = Instant::now();
            let third = container.logs(1024 * 1024, LogRead::UntilSentinels).await.unwrap();
            assert!(started.elapsed() >= Duration::from_millis(400));
            assert!(third.failed);
            assert_eq!(text_of(&third.lines[0]), "after");
            assert_eq!(text_of(third.lines.last().unwrap()), messages::LOG_FAILURE);
            assert!(third.lines.iter().all(|l| !l.contains(SENTINEL)));

            // Without waiting (the proxy's read after a developer error): nothing new,
            // and upstream's line saying logs may be missing.
            let fourth = container.logs(1024 * 1024, LogRead::AfterDeveloperError).await.unwrap();
            let texts: Vec<_> = fourth.lines.iter().map(|l| text_of(l)).collect();
            assert_eq!(texts, [messages::LOG_DEVELOPER_ERROR], "{fourth:?}");
            assert!(!fourth.failed);

            // What the log holds now (an image without sentinels): no wait, no warning.
            let started = Instant::now();
            let fifth = container.logs(1024 * 1024, LogRead::Now).await.unwrap();
            assert!(started.elapsed() < Duration::from_millis(400), "{:?}", started.elapsed());
            assert!(fifth.lines.is_empty() && !fifth.failed, "{fifth:?}");
        },
    )
    .await;
}

#[tokio::test]
async fn logs_past_the_limit_are_truncated_and_the_next_read_starts_after_the_sentinels() {
    with_env(
        "logs-limit",
        |_| {},
        |env| async move {
            let script = format!(
                "i=0; while [ $i -lt 40 ]; do echo line-$i; i=$((i+1)); done; {} {} exec sleep 600",
                activation(&[]),
                activation(&["next"])
            );
            let image = script_image(&env.docker, &script).await;
            let container = env.factory.create_container(&spec("logs-limit", &image, 64)).await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            let cut = container.logs(50, LogRead::UntilSentinels).await.unwrap();
            assert!(cut.failed);
            // "line-0".."line-6" weigh 7 each: 7 of them fit in 50 bytes.
            assert_eq!(cut.lines.len(), 8, "{cut:?}");
            assert_eq!(
                text_of(cut.lines.last().unwrap()),
                "Logs were truncated because the total bytes size exceeds the limit of 50 bytes."
            );
            let next = container.logs(1024, LogRead::UntilSentinels).await.unwrap();
            assert_eq!(next.lines.iter().map(|l| text_of(l)).collect::<Vec<_>>(), ["next"], "{next:?}");
        },
    )
    .await;
}

#[tokio::test]
async fn a_missing_image_is_named_and_leaves_nothing() {
    with_env(
        "noimage",
        |_| {},
        |env| async move {
            let spec = spec("noimage", "proxy-test-no-such-image:never", 64);
            let error = env.factory.create_container(&spec).await.unwrap_err();
            assert!(
                matches!(&error, DockerError::ImageMissing { image } if image == &spec.image),
                "{error:?}"
            );
            assert!(error.to_string().contains("is not pulled"), "{error}");
            match env.factory.create(spec).await.unwrap_err() {
                StartupError::Other(source) => {
                    let cause = source.downcast_ref::<DockerError>();
                    assert!(matches!(cause, Some(DockerError::ImageMissing { .. })), "{source:?}")
                }
                other => panic!("{other:?}"),
            }
            assert!(env.factory.owned_containers().await.unwrap().is_empty());
        },
    )
    .await;
}

#[tokio::test]
async fn a_container_that_does_not_start_is_removed() {
    with_env(
        "nostart",
        |_| {},
        |env| async move {
            let image = proxy_docker::image::ImageRecipe::new("proxy-test-no-entrypoint")
                .busybox(proxy_docker::image::read_busybox().unwrap())
                .entrypoint(["/no/such/executable"])
                .ensure(&env.docker)
                .await
                .unwrap();
            let spec = spec("nostart", &image, 32);
            match env.factory.create(spec).await.unwrap_err() {
                StartupError::Blackbox { message, source } => {
                    assert_eq!(message, format!("executable file not found in image {image}"));
                    let cause = source.as_ref().and_then(|s| s.downcast_ref::<DockerError>());
                    assert!(
                        matches!(cause, Some(DockerError::Engine { operation: "start", .. })),
                        "{source:?}"
                    )
                }
                other => panic!("{other:?}"),
            }
            assert!(
                env.factory.owned_containers().await.unwrap().is_empty(),
                "the broken container was removed"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn an_unreachable_engine_says_how_to_start_one() {
    let error = proxy_docker::connect_to("unix:///nonexistent/docker.sock").await.unwrap_err();
    assert!(matches!(error, DockerError::EngineConnect { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("unix:///nonexistent/docker.sock"), "{message}");
    assert!(message.contains("dockerd") && message.contains("systemctl start docker"), "{message}");

    // A socket file nobody listens on any more (an engine that died).
    let dir = std::env::temp_dir().join(format!("proxy-docker-stale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stale = dir.join("docker.sock");
    let _ = std::fs::remove_file(&stale);
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    let host = format!("unix://{}", stale.display());
    let error = proxy_docker::connect_to(&host).await.unwrap_err();
    assert!(matches!(error, DockerError::EngineConnect { .. }), "{error:?}");
    assert!(error.to_string().starts_with(&format!("no Docker engine at {host}: ")), "{error}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn cleanup_removes_this_instance_and_nothing_else() {
    with_env(
        "cleanup",
        |_| {},
        |env| async move {
            let image = script_image(&env.docker, "exec sleep 600").await;
            let a1 = env.factory.create_container(&spec("cleanup-a1", &image, 32)).await.unwrap();
            let a2 = env.factory.create_container(&spec("cleanup-a2", &image, 32)).await.unwrap();
            a1.suspend().await.unwrap();

            // Another instance of the same run, and a decoy that only carries the test label.
            let other_config = Env::config(&format!("{}-other", env.instance));
            let other = DockerFactory::start(env.docker.clone(), other_config).await.unwrap();
            let b1 = other.create_container(&spec("cleanup-b1", &image, 32)).await.unwrap();
            let decoy_body = ContainerCreateBody {
                image: Some(image.clone()),
                labels: Some(HashMap::from([(TEST_LABEL.to_string(), run_id())])),
                ..Default::default()
            };
            let decoy_name = format!("cleanup-decoy-{}", std::process::id());
            let options = CreateContainerOptionsBuilder::default().name(&decoy_name).build();
            let decoy = env.docker.create_container(Some(options), decoy_body).await.unwrap().id;
            env.docker.start_container(&decoy, None).await.unwrap();

            let started = Instant::now();
            assert_eq!(env.factory.cleanup().await.unwrap(), 2);
            println!("cleanup of 2 containers (one paused): {:?}", started.elapsed());
            for gone in [&a1, &a2] {
                assert!(env.docker.inspect_container(&gone.id().0, None).await.is_err());
            }
            for kept in [&b1.id().0, &decoy] {
                let state = env.docker.inspect_container(kept, None).await.unwrap().state.unwrap();
                assert_eq!(state.running, Some(true), "{kept} survives");
            }

            // A factory starting for an instance removes what a previous run left.
            let leftover = env.factory.create_container(&spec("cleanup-a3", &image, 32)).await.unwrap();
            let restarted =
                DockerFactory::start(env.docker.clone(), Env::config(&env.instance)).await.unwrap();
            assert!(env.docker.inspect_container(&leftover.id().0, None).await.is_err());
            assert!(restarted.owned_containers().await.unwrap().is_empty());

            assert_eq!(other.shutdown().await.unwrap(), 1);
            assert!(
                env.docker.inspect_container(&decoy, None).await.is_ok(),
                "the decoy survives every cleanup"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn the_runtime_initializes_and_runs_on_every_reach() {
    for reach in [Reach::Published, Reach::Bridge, Reach::Probe] {
        with_env(
            "reach",
            |c| c.reach = reach,
            |env| async move {
                let image = support::runtime_image(&env.docker).await;
                let started = Instant::now();
                let container = env.factory.create_container(&spec("reach", &image, 128)).await.unwrap();
                let created = started.elapsed();
                let addr = container.addr().unwrap();
                match env.factory.reach() {
                    Some(Reach::Published) => assert!(addr.ip().is_loopback(), "{addr}"),
                    Some(Reach::Bridge) => assert!(!addr.ip().is_loopback(), "{addr}"),
                    other => panic!("undecided: {other:?}"),
                }
                if reach != Reach::Probe {
                    assert_eq!(env.factory.reach(), Some(reach));
                }

                let code =
                    "#!/bin/sh\necho \"hello from $__OW_ACTION_NAME\" >&2\necho '{\"greeting\": \"hi\"}'\n";
                let initializer =
                    json!({"name": "hello", "main": "main", "code": code, "binary": false, "env": {}});
                let interval = outcome::init(&container, initializer, Duration::from_secs(10), 1, true)
                    .await
                    .expect("init");
                println!(
                "{reach:?} at {addr}: create+start {created:?}, then /init answered after {:?} (cold {:?})",
                interval.duration(),
                started.elapsed()
            );
                let environment = Map::from_iter([("action_name".to_string(), json!("/guest/hello"))]);
                let (_, response) = outcome::run(
                    &container,
                    json!({"x": 1}),
                    environment,
                    Duration::from_secs(10),
                    Default::default(),
                    false,
                )
                .await
                .expect("no health error");
                assert_eq!(response.status, ActivationStatus::Success, "{response:?}");
                assert_eq!(response.result, json!({"greeting": "hi"}));
                let logs = container.logs(1024 * 1024, LogRead::UntilSentinels).await.unwrap();
                assert!(!logs.failed, "{logs:?}");
                assert!(
                    logs.lines.iter().any(|l| l.ends_with("stderr: hello from /guest/hello")),
                    "{logs:?}"
                );

                let mut warm = Vec::new();
                for _ in 0..20 {
                    let (interval, response) = outcome::run(
                        &container,
                        json!({}),
                        Map::new(),
                        Duration::from_secs(10),
                        Default::default(),
                        false,
                    )
                    .await
                    .unwrap();
                    assert_eq!(response.status, ActivationStatus::Success);
                    warm.push(interval.duration());
                    container.logs(1024 * 1024, LogRead::UntilSentinels).await.unwrap();
                }
                warm.sort();
                println!("{reach:?}: warm /run p50 {:?}", warm[warm.len() / 2]);
            },
        )
        .await;
    }
}

#[tokio::test]
async fn an_unknown_reach_is_probed_once_on_the_first_container() {
    with_env(
        "probe",
        |c| c.reach = Reach::Probe,
        |env| async move {
            let image = script_image(&env.docker, "exec sleep 600").await;
            assert_eq!(env.factory.reach(), None);
            let first = env.factory.create_container(&spec("probe-1", &image, 32)).await.unwrap();
            let reach = env.factory.reach().expect("decided on the first container");
            let second = env.factory.create_container(&spec("probe-2", &image, 32)).await.unwrap();
            let ports = env
                .docker
                .inspect_container(&second.id().0, None)
                .await
                .unwrap()
                .network_settings
                .unwrap()
                .ports;
            let published =
                ports.and_then(|p| p.get("8080/tcp").cloned().flatten()).is_some_and(|b| !b.is_empty());
            assert_eq!(
                published,
                reach == Reach::Published,
                "later containers get only what the reach needs"
            );
            println!("probed: {reach:?} ({} then {})", first.addr().unwrap(), second.addr().unwrap());
        },
    )
    .await;
}

/// Defect 7: the engine's `State.OOMKilled` is sticky (any process of the container
/// ever killed for memory, reported when it exits), so a container killed from
/// outside after an earlier activation's child ran out of memory says `true`. Only the
/// dated `oom` event tells whether it happened during this call.
#[tokio::test]
async fn a_container_killed_from_outside_is_not_out_of_memory() {
    with_env(
        "notoom",
        |_| {},
        |env| async move {
            let script = "dd if=/dev/zero of=/dev/null bs=96M count=1; echo dd-done; exec sleep 600";
            let image = script_image(&env.docker, script).await;
            let container = env.factory.create_container(&spec("notoom", &image, 32)).await.unwrap();
            let docker = env.docker.clone();
            let id = container.id().0.clone();
            support::eventually("the child was killed for memory", Duration::from_secs(10), || {
                let (docker, id) = (docker.clone(), id.clone());
                async move {
                    let options = bollard::query_parameters::LogsOptionsBuilder::new().stdout(true).build();
                    let logs: Vec<_> =
                        futures_util::StreamExt::collect(docker.logs(&id, Some(options))).await;
                    logs.iter().any(|l| matches!(l, Ok(l) if l.to_string().contains("dd-done")))
                }
            })
            .await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            let before = std::time::SystemTime::now();
            env.docker.kill_container(&id, None).await.expect("killed");
            let facts = container.facts(before, Symptom::ConnectionLost).await;
            assert!(!facts.oom_killed, "{facts:?}");
            assert!(!facts.running && !facts.paused, "{facts:?}");
        },
    )
    .await;
}

/// The runtime's actionloop mode in a real container: one action process answers
/// every activation (its pid is the same each time), each with its own logs, and an
/// action that dies is a developer error.
#[tokio::test]
async fn an_actionloop_action_answers_every_activation_from_one_process() {
    with_env(
        "loop",
        |_| {},
        |env| async move {
            let image = support::runtime_image(&env.docker).await;
            let container = env.factory.create_container(&spec("loop", &image, 128)).await.unwrap();
            let code = "#!/bin/sh\necho '{\"ok\": true}' >&3\nn=0\nwhile read -r line; do\n  n=$((n+1))\n  \
                        echo \"activation $n\" >&2\n  case \"$line\" in *die*) exit 3 ;; esac\n  \
                        echo \"{\\\"pid\\\":$$,\\\"n\\\":$n}\" >&3\ndone\n";
            let initializer = json!({"name": "loop", "main": "main", "code": code,
                                     "env": {"PROXY_RUNTIME_ACTIONLOOP": "1"}});
            outcome::init(&container, initializer, Duration::from_secs(10), 1, true).await.expect("init");
            let mut pids = Vec::new();
            for n in 1..=5 {
                let (_, response) = outcome::run(
                    &container,
                    json!({"name": "x"}),
                    Map::new(),
                    Duration::from_secs(10),
                    Default::default(),
                    false,
                )
                .await
                .expect("no health error");
                assert_eq!(response.status, ActivationStatus::Success, "{response:?}");
                assert_eq!(response.result["n"], n);
                pids.push(response.result["pid"].clone());
                let logs = container.logs(1024 * 1024, LogRead::UntilSentinels).await.unwrap();
                assert!(
                    logs.lines.iter().any(|l| l.ends_with(&format!("stderr: activation {n}"))),
                    "{logs:?}"
                );
            }
            pids.dedup();
            assert_eq!(pids.len(), 1, "activations ran in several processes: {pids:?}");

            let (_, died) = outcome::run(
                &container,
                json!({"die": true}),
                Map::new(),
                Duration::from_secs(10),
                Default::default(),
                false,
            )
            .await
            .expect("no health error");
            assert_eq!(died.status, ActivationStatus::DeveloperError, "{died:?}");
            assert_eq!(died.result, json!({"error": "command exited"}));
        },
    )
    .await;
}
