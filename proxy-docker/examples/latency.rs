//! Engine latencies on this machine, in one run: each step through bollard directly,
//! through this backend, and through the docker CLI (for comparison only: the
//! backend never runs the CLI). Medians of a few rounds on a busybox container.
//!
//! ```sh
//! cargo run -p proxy-docker --release --example latency
//! ```

mod support;

use std::collections::HashMap;
use std::time::Instant;

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::RemoveContainerOptionsBuilder;
use proxy_core::container::{Container, CreateSpec};
use proxy_docker::image::{read_busybox, ImageRecipe};
use proxy_docker::{DockerConfig, DockerFactory, Reach, INSTANCE_LABEL, MANAGED_LABEL};
use support::{cli, timed, Steps};

const ROUNDS: usize = 7;
const INSTANCE: &str = "latency-example";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let docker = proxy_docker::connect().await?;
    let image = ImageRecipe::new("proxy-latency-busybox")
        .busybox(read_busybox()?)
        .entrypoint(["/bin/sh", "-c", "exec sleep 600"])
        .ensure(&docker)
        .await?;
    let mut config = DockerConfig::new(INSTANCE);
    config.reach = Reach::Bridge;
    let factory = DockerFactory::start(docker.clone(), config).await?;
    let network = factory.config().network_name();
    let labels = HashMap::from([
        (MANAGED_LABEL.to_string(), "true".to_string()),
        (INSTANCE_LABEL.to_string(), INSTANCE.to_string()),
    ]);

    let (mut api, mut backend, mut cli_steps) = (Steps::default(), Steps::default(), Steps::default());
    for round in 0..ROUNDS {
        // bollard, directly.
        let body = ContainerCreateBody {
            image: Some(image.clone()),
            labels: Some(labels.clone()),
            host_config: Some(HostConfig { network_mode: Some(network.clone()), ..Default::default() }),
            ..Default::default()
        };
        let id = timed(&mut api, "create", docker.create_container(None, body)).await?.id;
        timed(&mut api, "start", docker.start_container(&id, None)).await?;
        timed(&mut api, "inspect", docker.inspect_container(&id, None)).await?;
        timed(&mut api, "pause", docker.pause_container(&id)).await?;
        timed(&mut api, "unpause", docker.unpause_container(&id)).await?;
        let force = RemoveContainerOptionsBuilder::default().force(true).build();
        timed(&mut api, "remove -f", docker.remove_container(&id, Some(force))).await?;

        // This backend.
        let spec = CreateSpec {
            transaction_id: "latency".into(),
            name: format!("latency-{}-{round}", std::process::id()),
            image: image.clone(),
            memory_mb: 64,
            cpu_shares: 256,
            cpu_limit: None,
        };
        let started = Instant::now();
        let container = factory.create_container(&spec).await?;
        backend.add("create+start+inspect", started.elapsed());
        timed(&mut backend, "pause", container.suspend()).await?;
        timed(&mut backend, "unpause", container.resume()).await?;
        timed(&mut backend, "remove -f", container.destroy()).await?;

        // The docker CLI.
        let label = format!("{INSTANCE_LABEL}={INSTANCE}");
        let id = cli(&mut cli_steps, "create", &["create", "--label", &label, "--network", &network, &image]);
        cli(&mut cli_steps, "start", &["start", &id]);
        cli(&mut cli_steps, "inspect", &["inspect", &id]);
        cli(&mut cli_steps, "pause", &["pause", &id]);
        cli(&mut cli_steps, "unpause", &["unpause", &id]);
        cli(&mut cli_steps, "remove -f", &["rm", "-f", &id]);
    }
    factory.shutdown().await?;
    support::remove_labelled(&format!("{INSTANCE_LABEL}={INSTANCE}"));

    println!("medians of {ROUNDS} rounds (busybox container, bridge network)");
    println!("{:<22} {:>12} {:>12} {:>12}", "step", "bollard", "backend", "docker CLI");
    let row = |step: &str, backend_step: &str| {
        let b = backend.median(backend_step);
        println!(
            "{step:<22} {:>12.1?} {:>12} {:>12.1?}",
            api.median(step),
            if b.is_zero() { "-".to_string() } else { format!("{b:.1?}") },
            cli_steps.median(step)
        );
    };
    for step in ["create", "start", "inspect"] {
        row(step, "");
    }
    let api_cold = api.median("create") + api.median("start") + api.median("inspect");
    let cli_cold = cli_steps.median("create") + cli_steps.median("start") + cli_steps.median("inspect");
    println!(
        "{:<22} {:>12.1?} {:>12.1?} {:>12.1?}",
        "create+start+inspect",
        api_cold,
        backend.median("create+start+inspect"),
        cli_cold
    );
    for step in ["pause", "unpause", "remove -f"] {
        row(step, step);
    }
    Ok(())
}
