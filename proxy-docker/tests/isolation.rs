//! No container reaches another container's action runtime, on either reach, tried
//! from inside a container; the host reaches every runtime, with the container's
//! token and only with it. And two factories of one instance (two invokers) create
//! containers side by side without a name clash. Skips where no engine is reachable,
//! unless `PROXY_REQUIRE_DOCKER=1`.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use bollard::exec::{CreateExecOptions, StartExecResults};
use futures_util::StreamExt;
use proxy_core::container::classify::classify_run;
use proxy_core::container::naming;
use proxy_core::container::{ActivationStatus, Container, CreateSpec};
use proxy_docker::{Docker, DockerContainer, DockerFactory, Reach, ICC_OPTION};
use serde_json::{json, Map};
use support::{with_env, Env};

fn spec(name: &str, image: &str) -> CreateSpec {
    CreateSpec {
        transaction_id: "test".into(),
        name: naming::container_name("isolation", name),
        image: image.into(),
        memory_mb: 64,
        cpu_shares: 256,
        cpu_limit: None,
    }
}

/// Runs `argv` inside `container` (through the engine's exec API), with `env`, and
/// returns its exit code and output.
async fn exec(docker: &Docker, container: &str, argv: &[&str], env: &[String]) -> (i64, String) {
    let options = CreateExecOptions {
        cmd: Some(argv.iter().map(|a| a.to_string()).collect()),
        env: Some(env.to_vec()),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        ..Default::default()
    };
    let created = docker.create_exec(container, options).await.expect("create exec");
    let mut text = String::new();
    match docker.start_exec(&created.id, None).await.expect("start exec") {
        StartExecResults::Attached { mut output, .. } => {
            while let Some(chunk) = output.next().await {
                text.push_str(&chunk.expect("exec output").to_string());
            }
        }
        StartExecResults::Detached => panic!("attached exec came back detached"),
    }
    let code = docker.inspect_exec(&created.id).await.expect("inspect exec").exit_code.expect("exited");
    (code, text)
}

/// A POST of an init body to `addr`'s `path` from inside `from`, through busybox nc
/// (its wget crashes in a `FROM scratch` image: no resolver); returns nc's exit code
/// and what came back. Stdin stays open a moment, or nc quits before the answer.
async fn post_from(docker: &Docker, from: &str, addr: SocketAddr, path: &str) -> (i64, String) {
    let body = r##"{"value":{"name":"x","main":"main","code":"#!/bin/sh\necho {}"}}"##;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let script = r#"(printf '%s' "$REQUEST"; sleep 1) | /bin/busybox nc -w 2 "$IP" "$PORT""#;
    let env = [format!("REQUEST={request}"), format!("IP={}", addr.ip()), format!("PORT={}", addr.port())];
    exec(docker, from, &["/bin/sh", "-c", script], &env).await
}

/// Whether a TCP connection to `addr` opens from inside `from` (busybox nc, which
/// runs `true` once connected: Debian's busybox has no `nc -z`).
async fn connects_from(docker: &Docker, from: &str, addr: SocketAddr) -> bool {
    let (ip, port) = (addr.ip().to_string(), addr.port().to_string());
    exec(docker, from, &["/bin/busybox", "nc", "-w", "2", &ip, &port, "-e", "/bin/true"], &[]).await.0 == 0
}

/// The container's address on `network` and that network's gateway (the host).
async fn bridge_of(docker: &Docker, container: &DockerContainer, network: &str) -> (SocketAddr, String) {
    let inspected = docker.inspect_container(&container.id().0, None).await.unwrap();
    let networks = inspected.network_settings.unwrap().networks.unwrap();
    let endpoint = networks.get(network).unwrap_or_else(|| panic!("not on {network}: {networks:?}"));
    assert_eq!(networks.len(), 1, "on the backend's network only: {networks:?}");
    let ip = endpoint.ip_address.clone().unwrap().parse().unwrap();
    (SocketAddr::new(ip, 8080), endpoint.gateway.clone().unwrap())
}

/// One HTTP POST from the host, with no token.
async fn post_from_host(addr: SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("the host reaches the runtime");
    let body = "{}";
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut raw)).await.unwrap().unwrap();
    let status = raw.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
    (status, body)
}

#[tokio::test]
async fn no_container_reaches_another_containers_runtime() {
    for reach in [Reach::Bridge, Reach::Published] {
        with_env(
            "isolation",
            |c| c.reach = reach,
            |env| async move {
                let network = env.factory.config().network_name();
                let info = env.docker.inspect_network(&network, None).await.unwrap();
                assert_eq!(info.options.unwrap().get(ICC_OPTION).map(String::as_str), Some("false"));

                let image = support::runtime_image(&env.docker).await;
                let a = env.factory.create_container(&spec("a", &image)).await.unwrap();
                let b = env.factory.create_container(&spec("b", &image)).await.unwrap();
                let (a_id, b_runtime) = (a.id().0.clone(), b.runtime_addr());
                let (b_bridge, gateway) = bridge_of(&env.docker, &b, &network).await;
                bridge_of(&env.docker, &a, &network).await;

                // The tools work: from inside `a`, its own runtime is reached, and
                // refuses a request without the token.
                let own: SocketAddr = "127.0.0.1:8080".parse().unwrap();
                assert!(connects_from(&env.docker, &a_id, own).await, "nc works inside the container");
                let (_, output) = post_from(&env.docker, &a_id, own, "/init").await;
                assert!(
                    output.starts_with("HTTP/1.1 403 Forbidden\r\n") && output.contains(r#"{"error":"#),
                    "the request goes out, and the runtime wants the token: {output}"
                );

                // `b` from inside `a`: not on its bridge address, and not on its
                // published port through the host.
                let mut targets = vec![b_bridge];
                if reach == Reach::Published {
                    targets.push(SocketAddr::new(gateway.parse().unwrap(), b_runtime.port()));
                }
                for target in targets {
                    assert!(!connects_from(&env.docker, &a_id, target).await, "{reach:?}: a connected to b at {target}");
                    for path in ["/init", "/run"] {
                        let (code, output) = post_from(&env.docker, &a_id, target, path).await;
                        assert_ne!(code, 0, "{reach:?}: a reached b's {path} at {target}: {output}");
                        assert!(!output.contains("HTTP/1.1"), "{reach:?}: b answered a at {target}: {output}");
                    }
                }

                // The host reaches b's runtime: without the token it is refused ..
                for path in ["/init", "/run"] {
                    let (status, body) = post_from_host(b_runtime, path).await;
                    assert_eq!(status, 403, "{reach:?} {path}: {body}");
                    assert!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"].is_string());
                }
                // .. and with it (the factory's client) init and run work; the action
                // finds its token neither in its environment nor in the runtime's
                // (PID 1's) `/proc` files.
                let code = r#"#!/bin/sh
if env | grep -q __PROXY_RUNTIME_TOKEN; then env=true; else env=false; fi
if grep -q __PROXY_RUNTIME_TOKEN /proc/1/environ; then proc=true; else proc=false; fi
if cat /proc/1/environ >/dev/null; then readable=true; else readable=false; fi
echo "{\"env\": $env, \"proc\": $proc, \"readable\": $readable}"
"#;
                let initializer = json!({"name": "x", "main": "main", "code": code, "binary": false, "env": {}});
                let init = b.initialize(initializer, Duration::from_secs(10), 1).await;
                assert!(init.ok(), "{reach:?}: init with the token: {:?}", init.response);
                let run = b.run(json!({}), Map::new(), Duration::from_secs(10), Default::default()).await;
                let (_, response) = classify_run(run, Duration::from_secs(10), false)
                    .outcome
                    .expect("no health error");
                assert_eq!(response.status, ActivationStatus::Success, "{reach:?}: {response:?}");
                assert_eq!(response.result["env"], json!(false), "{response:?}");
                assert_eq!(response.result["proc"], json!(false), "{response:?}");
                println!("{reach:?}: PID 1's environ readable by the action: {}", response.result["readable"]);
                println!("{reach:?}: a cannot reach b at {b_bridge} (gateway {gateway}); the host can, with the token");
            },
        )
        .await;
    }
}

#[tokio::test]
async fn an_existing_network_that_lets_containers_talk_is_recreated_or_refused() {
    with_env(
        "open-net",
        |_| {},
        |env| async move {
            let mut config = Env::config(&format!("{}-open", env.instance));
            config.reach = Reach::Published;
            let network = config.network_name();
            let open = |name: String| bollard::models::NetworkCreateRequest {
                name,
                driver: Some("bridge".into()),
                labels: Some(config.container_labels().into_iter().collect()),
                ..Default::default()
            };
            // Empty: recreated with the option.
            env.docker.create_network(open(network.clone())).await.unwrap();
            let factory = DockerFactory::start(env.docker.clone(), config.clone()).await.expect("recreated");
            let info = env.docker.inspect_network(&network, None).await.unwrap();
            assert_eq!(info.options.unwrap().get(ICC_OPTION).map(String::as_str), Some("false"));
            factory.shutdown().await.unwrap();

            // With a container of someone else attached: refused, naming the fix.
            env.docker.create_network(open(network.clone())).await.unwrap();
            let image = support::script_image(&env.docker, "exec sleep 600").await;
            let other = bollard::models::ContainerCreateBody {
                image: Some(image),
                labels: Some(config.labels.clone().into_iter().collect()),
                host_config: Some(bollard::models::HostConfig {
                    network_mode: Some(network.clone()),
                    ..Default::default()
                }),
                ..Default::default()
            };
            let name = format!("proxy-test-open-net-{}", std::process::id());
            let options =
                bollard::query_parameters::CreateContainerOptionsBuilder::default().name(&name).build();
            env.docker.create_container(Some(options), other).await.unwrap();
            env.docker.start_container(&name, None).await.unwrap();
            let error = DockerFactory::start(env.docker.clone(), config).await.unwrap_err();
            assert!(
                matches!(error, proxy_docker::DockerError::NetworkNotIsolated { attached: 1, .. }),
                "{error:?}"
            );
            assert!(error.to_string().contains(&format!("docker network rm {network}")), "{error}");
            Env::remove_test_containers(&env.docker).await;
            let _ = env.docker.remove_network(&network).await;
        },
    )
    .await;
}

#[tokio::test]
async fn two_factories_of_one_instance_create_side_by_side() {
    with_env(
        "two-invokers",
        |c| c.reach = Reach::Published,
        |env| async move {
            // A second invoker of the same instance; it starts before either creates,
            // since a start removes the instance's containers.
            let mut config = Env::config(&env.instance);
            config.reach = Reach::Published;
            let second = DockerFactory::start(env.docker.clone(), config).await.unwrap();
            let image = support::script_image(&env.docker, "exec sleep 600").await;
            let creates = (0..4).flat_map(|_| [&env.factory, &second]).map(|factory| {
                let spec = spec("hello", &image);
                async move { factory.create_container(&spec).await }
            });
            let created: Vec<_> = futures_util::future::join_all(creates).await;
            let mut names = Vec::new();
            for container in created {
                let container = container.expect("no name clash");
                assert!(container.name().starts_with(&format!("{}_{}_", env.instance, naming::nonce())));
                names.push(container.name().to_string());
            }
            names.sort();
            names.dedup();
            assert_eq!(names.len(), 8, "{names:?}");

            // Another invoker (another instance) handed the very same proxy-core name,
            // as two processes whose counters both start at 0 once were: the
            // instance in the engine's name keeps them apart.
            let other =
                DockerFactory::start(env.docker.clone(), Env::config(&format!("{}-other", env.instance)))
                    .await
                    .unwrap();
            let same = spec("same", &image);
            let mine = env.factory.create_container(&same).await.expect("created");
            let theirs = other.create_container(&same).await.expect("no 409 for the same proxy-core name");
            assert_ne!(mine.name(), theirs.name());
            other.shutdown().await.unwrap();
            // Last: a shutdown removes every container of the instance, the first
            // factory's too (upstream's cleanup), and then the network.
            second.shutdown().await.unwrap();
        },
    )
    .await;
}
