//! The backend contract suite (proxy-suite) against the Docker backend, on the
//! runtime image. Each test prints `skipped: no Docker engine at ..` and passes
//! where no engine is reachable, unless `PROXY_REQUIRE_DOCKER=1`; the containers it
//! creates are removed however it ends (the engine suite's `with_env`).

mod support;

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use proxy_core::container::{Container, ContainerFactory, CreateSpec};
use proxy_docker::Docker;
use proxy_suite::Backend;

struct DockerBackend {
    docker: Docker,
    factory: proxy_docker::DockerFactory,
    image: String,
}

#[async_trait]
impl Backend for DockerBackend {
    fn factory(&self) -> Arc<dyn ContainerFactory> {
        Arc::new(self.factory.clone())
    }

    fn spec(&self, name: &str, memory_mb: u64) -> CreateSpec {
        CreateSpec {
            transaction_id: "suite".into(),
            name: format!("{name}-{}", std::process::id()),
            image: self.image.clone(),
            memory_mb,
            cpu_shares: 256,
            cpu_limit: None,
        }
    }

    async fn kill(&self, container: &dyn Container) {
        self.docker.kill_container(&container.id().0, None).await.expect("killed");
    }

    async fn freeze(&self, container: &dyn Container, frozen: bool) {
        let id = &container.id().0;
        let done = if frozen {
            self.docker.pause_container(id).await
        } else {
            self.docker.unpause_container(id).await
        };
        done.expect("paused or unpaused");
    }

    async fn frozen(&self, container: &dyn Container) -> bool {
        let inspected = self.docker.inspect_container(&container.id().0, None).await.expect("inspected");
        inspected.state.and_then(|s| s.paused) == Some(true)
    }

    async fn exists(&self, container: &dyn Container) -> bool {
        self.docker.inspect_container(&container.id().0, None).await.is_ok()
    }
}

async fn with_backend<F, Fut>(name: &str, test: F)
where
    F: FnOnce(DockerBackend) -> Fut,
    Fut: Future<Output = ()>,
{
    let instance = format!("suite-{}", name.replace('_', "-"));
    support::with_env(
        &instance,
        |c| c.log_idle_timeout = std::time::Duration::from_millis(400),
        |env| async move {
            let image = support::runtime_image(&env.docker).await;
            test(DockerBackend { docker: env.docker, factory: env.factory, image }).await
        },
    )
    .await;
}

proxy_suite::backend_suite!(with_backend);
