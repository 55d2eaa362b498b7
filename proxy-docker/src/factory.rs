//! Creating containers (upstream's `DockerContainer.create` and
//! `DockerContainerFactory`), deciding how to reach them, and cleanup.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, ContainerStateStatusEnum, ContainerSummaryStateEnum,
    HostConfig, HostConfigLogConfig, NetworkCreateRequest, PortBinding, ResourcesUlimits,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::StreamExt;
use proxy_core::container::{
    BackendError, Container, ContainerFactory, ContainerId, CreateSpec, StartupError, Survivor,
};
use tokio::sync::{OnceCell, Semaphore};

use crate::config::{DockerConfig, Reach, INSTANCE_LABEL, MANAGED_LABEL};
use crate::container::DockerContainer;
use crate::error::{status, DockerError};

/// The action runtime's port inside every container.
pub const RUNTIME_PORT: u16 = 8080;
const PORT_KEY: &str = "8080/tcp";

/// What the factory and its containers share.
pub(crate) struct Shared {
    pub(crate) docker: Docker,
    pub(crate) host: String,
    pub(crate) config: DockerConfig,
    creates: Semaphore,
    /// `Bridge` or `Published` once known (at once when configured, else after the
    /// first container was probed).
    reach: OnceCell<Reach>,
    /// Whether the engine pauses containers, once the first pause told.
    pub(crate) pause_works: OnceCell<bool>,
}

/// Creates containers on a Docker engine: the [`ContainerFactory`] of the proxy.
///
/// ```no_run
/// # async fn demo() -> Result<(), proxy_docker::DockerError> {
/// use proxy_docker::{DockerConfig, DockerFactory};
///
/// let docker = proxy_docker::connect().await?;
/// // Removes what a previous run of instance `wsk0` left behind.
/// let factory = DockerFactory::start(docker, DockerConfig::new("wsk0")).await?;
/// // .. hand `Arc::new(factory.clone())` to the proxies ..
/// factory.shutdown().await?; // removes its containers and its network
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DockerFactory {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for DockerFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerFactory")
            .field("host", &self.shared.host)
            .field("instance", &self.shared.config.instance)
            .field("reach", &self.reach())
            .field("pause_supported", &self.pause_supported())
            .finish()
    }
}

impl DockerFactory {
    /// A factory on `docker` (see [`connect`](crate::connect)): removes every
    /// container left by a previous run of this instance (unless
    /// [`DockerConfig::keep_survivors`] leaves them to be adopted), and creates the
    /// bridge network unless containers are reached through published ports.
    pub async fn start(docker: Docker, config: DockerConfig) -> Result<Self, DockerError> {
        let reach = OnceCell::new();
        if config.reach != Reach::Probe {
            let _ = reach.set(config.reach);
        }
        let shared = Shared {
            docker,
            host: crate::docker_host(),
            creates: Semaphore::new(config.parallel_creates.max(1)),
            config,
            reach,
            pause_works: OnceCell::new(),
        };
        let factory = DockerFactory { shared: Arc::new(shared) };
        if !factory.shared.config.keep_survivors {
            let removed = factory.remove_containers().await?;
            if removed > 0 {
                tracing::info!(removed, instance = %factory.shared.config.instance, "removed leftover containers");
            }
        }
        factory.ensure_network().await?;
        Ok(factory)
    }

    /// The engine client.
    pub fn docker(&self) -> &Docker {
        &self.shared.docker
    }

    /// The settings.
    pub fn config(&self) -> &DockerConfig {
        &self.shared.config
    }

    /// How containers are reached: `Bridge` or `Published`, or `None` while the
    /// first container has not told yet.
    pub fn reach(&self) -> Option<Reach> {
        self.shared.reach.get().copied()
    }

    /// Whether the engine pauses containers: `None` until the first pause.
    pub fn pause_supported(&self) -> Option<bool> {
        self.shared.pause_works.get().copied()
    }

    /// Removes every container carrying this instance's label (unpausing paused
    /// ones first); touches nothing else. Call it at shutdown;
    /// [`start`](Self::start) calls it too. Returns how many containers were removed.
    pub async fn cleanup(&self) -> Result<usize, DockerError> {
        self.remove_containers().await
    }

    /// [`cleanup`](Self::cleanup), then removes the bridge network too (the next
    /// start creates it again); no container can be created afterwards.
    pub async fn shutdown(&self) -> Result<usize, DockerError> {
        let removed = self.remove_containers().await?;
        let network = self.shared.config.network_name();
        match self.shared.docker.remove_network(&network).await {
            Ok(()) => {}
            Err(e) if status(&e) == Some(404) => {}
            // Another factory of the instance may still have containers on it.
            Err(e) => tracing::warn!(%network, error = %e, "could not remove the network"),
        }
        Ok(removed)
    }

    /// The ids of every container (any state) carrying this instance's label.
    pub async fn owned_containers(&self) -> Result<Vec<ContainerId>, DockerError> {
        Ok(self.list_owned().await?.into_iter().map(|(id, _)| ContainerId(id)).collect())
    }

    pub(crate) async fn list_owned(
        &self,
    ) -> Result<Vec<(String, Option<ContainerSummaryStateEnum>)>, DockerError> {
        let config = &self.shared.config;
        let filters = HashMap::from([(
            "label",
            vec![format!("{MANAGED_LABEL}=true"), format!("{INSTANCE_LABEL}={}", config.instance)],
        )]);
        let options = ListContainersOptionsBuilder::default().all(true).filters(&filters).build();
        let listed =
            self.shared.docker.list_containers(Some(options)).await.map_err(|e| self.engine("list", e))?;
        Ok(listed
            .into_iter()
            .filter(|c| {
                // The engine filtered already; this check keeps cleanup honest
                // whatever a filter quirk might let through.
                let labels = c.labels.as_ref();
                labels.and_then(|l| l.get(INSTANCE_LABEL)) == Some(&config.instance)
                    && labels.and_then(|l| l.get(MANAGED_LABEL)).map(String::as_str) == Some("true")
            })
            .filter_map(|c| c.id.map(|id| (id, c.state)))
            .collect())
    }

    async fn remove_containers(&self) -> Result<usize, DockerError> {
        let owned = self.list_owned().await?;
        let count = owned.len();
        let docker = &self.shared.docker;
        let work = futures_util::stream::iter(owned).for_each_concurrent(10, |(id, state)| async move {
            if state == Some(ContainerSummaryStateEnum::PAUSED) {
                if let Err(e) = docker.unpause_container(&id).await {
                    tracing::debug!(container = %id, error = %e, "unpause before removal failed");
                }
            }
            if let Err(e) = remove(docker, &id).await {
                tracing::warn!(container = %id, error = %e, "cleanup could not remove a container");
            }
        });
        let timeout = self.shared.config.cleanup_timeout;
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| DockerError::TimedOut { operation: "cleanup", seconds: timeout.as_secs() })?;
        Ok(count)
    }

    /// Creates the bridge network with inter-container communication off, so that no
    /// container reaches another's runtime (the host still reaches them all, and
    /// containers still reach the outside). A network of that name that lets
    /// containers talk is recreated when empty, else refused: reusing it silently
    /// would undo the isolation.
    async fn ensure_network(&self) -> Result<(), DockerError> {
        let name = self.shared.config.network_name();
        let docker = &self.shared.docker;
        let mut attempt = 0;
        loop {
            attempt += 1;
            // API 1.41 creates a second network of the same name unless asked not
            // to, and the newer request model has no such flag: look first.
            match docker.inspect_network(&name, None).await {
                Ok(existing) if isolates(&existing) => return Ok(()),
                Ok(existing) => {
                    let attached = existing.containers.as_ref().map_or(0, HashMap::len);
                    if attached > 0 {
                        return Err(DockerError::NetworkNotIsolated { network: name, attached });
                    }
                    tracing::info!(network = %name, "recreating a network that let containers talk to each other");
                    match docker.remove_network(&name).await {
                        Ok(()) => {}
                        Err(e) if status(&e) == Some(404) => {}
                        Err(e) => return Err(self.engine("remove network", e)),
                    }
                }
                Err(e) if status(&e) == Some(404) => {}
                Err(e) => return Err(self.engine("inspect network", e)),
            }
            let labels = self.shared.config.container_labels().into_iter().collect();
            let request = NetworkCreateRequest {
                name: name.clone(),
                driver: Some("bridge".into()),
                labels: Some(labels),
                options: Some(HashMap::from([(ICC_OPTION.to_string(), "false".to_string())])),
                ..Default::default()
            };
            match docker.create_network(request).await {
                Ok(_) => return Ok(()),
                // Created meanwhile by another factory: look at it again.
                Err(e) if status(&e) == Some(409) && attempt < 3 => {}
                Err(e) => return Err(self.engine("create network", e)),
            }
        }
    }

    pub(crate) fn engine(&self, operation: &'static str, error: bollard::errors::Error) -> DockerError {
        DockerError::from_engine(operation, &self.shared.host, error)
    }

    /// Creates and starts a container for `spec` (under the bound on concurrent
    /// creates). A container that was created but did not start is removed.
    pub async fn create_container(&self, spec: &CreateSpec) -> Result<DockerContainer, DockerError> {
        let _permit = self.shared.creates.acquire().await.expect("the semaphore is never closed");
        let reach = self.reach();
        let token = runtime_token()?;
        let body = self.create_body(spec, reach, &token);
        let name = self.shared.config.container_name(&spec.name);
        let options = CreateContainerOptionsBuilder::default().name(&name).build();
        let docker = &self.shared.docker;
        let created = match docker.create_container(Some(options), body).await {
            Ok(created) => created,
            Err(e) if status(&e) == Some(404) => {
                return Err(DockerError::ImageMissing { image: spec.image.clone() })
            }
            Err(e) => return Err(self.engine("create", e)),
        };
        let id = created.id;
        let started = async {
            docker.start_container(&id, None).await.map_err(|e| self.engine("start", e))?;
            docker.inspect_container(&id, None).await.map_err(|e| self.engine("inspect", e))
        };
        let inspected = match started.await {
            Ok(inspected) => inspected,
            Err(error) => {
                self.discard(&id).await;
                return Err(error);
            }
        };
        let addr = match self.address(&id, &inspected, reach).await {
            Ok(addr) => addr,
            Err(error) => {
                self.discard(&id).await;
                return Err(error);
            }
        };
        tracing::debug!(container = %id, %name, %addr, "container started");
        Ok(DockerContainer::new(self.shared.clone(), ContainerId(id), name, addr, token))
    }

    async fn discard(&self, id: &str) {
        if let Err(e) = remove(&self.shared.docker, id).await {
            tracing::warn!(container = %id, error = %e, "could not remove a container that failed to start");
        }
    }

    fn create_body(&self, spec: &CreateSpec, reach: Option<Reach>, token: &str) -> ContainerCreateBody {
        let config = &self.shared.config;
        let publish = reach != Some(Reach::Bridge);
        let memory = i64::try_from(spec.memory_mb.saturating_mul(1024 * 1024)).unwrap_or(i64::MAX);
        let mut env = vec![format!("__OW_API_HOST={}", config.api_host)];
        env.extend(config.extra_env.iter().map(|(k, v)| format!("{k}={v}")));
        // Last, so that no extra variable can replace it.
        env.push(format!("{TOKEN_ENV}={token}"));
        let port_bindings = publish.then(|| {
            HashMap::from([(
                PORT_KEY.to_string(),
                Some(vec![PortBinding { host_ip: Some("127.0.0.1".into()), host_port: Some(String::new()) }]),
            )])
        });
        let host_config = HostConfig {
            memory: Some(memory),
            memory_swap: Some(memory),
            cpu_shares: Some(i64::from(spec.cpu_shares)),
            nano_cpus: spec.cpu_limit.map(|cpus| (cpus * 1e9).round() as i64),
            pids_limit: Some(config.pids_limit),
            ulimits: Some(vec![ResourcesUlimits {
                name: Some("nofile".into()),
                soft: Some(config.nofile),
                hard: Some(config.nofile),
            }]),
            cap_drop: Some(vec!["ALL".into()]),
            security_opt: Some(vec!["no-new-privileges".into()]),
            // Both reaches: the default `bridge` network lets containers talk to
            // each other; this one does not (see `ensure_network`).
            network_mode: Some(config.network_name()),
            port_bindings,
            log_config: Some(HostConfigLogConfig { typ: Some("json-file".into()), config: None }),
            ..Default::default()
        };
        ContainerCreateBody {
            image: Some(spec.image.clone()),
            env: Some(env),
            labels: Some(config.container_labels().into_iter().collect()),
            exposed_ports: publish.then(|| vec![PORT_KEY.to_string()]),
            host_config: Some(host_config),
            ..Default::default()
        }
    }

    /// The runtime's address; while the reach is undecided, decides it on this
    /// container (it was created both on the bridge network and with a published port).
    pub(crate) async fn address(
        &self,
        id: &str,
        inspected: &ContainerInspectResponse,
        reach: Option<Reach>,
    ) -> Result<SocketAddr, DockerError> {
        let network = self.shared.config.network_name();
        let bridge = || {
            bridge_addr(inspected, &network).ok_or_else(|| DockerError::NoAddress {
                container: id.to_string(),
                what: format!("IP address on network {network}"),
            })
        };
        let published = || {
            published_addr(inspected).ok_or_else(|| DockerError::NoAddress {
                container: id.to_string(),
                what: format!("published port {RUNTIME_PORT}"),
            })
        };
        let reach = match reach {
            Some(reach) => reach,
            None => {
                let candidate = bridge_addr(inspected, &network);
                *self
                    .shared
                    .reach
                    .get_or_init(|| async move {
                        let reach = match candidate {
                            Some(addr) if routable(addr).await => Reach::Bridge,
                            _ => Reach::Published,
                        };
                        tracing::info!(
                            ?reach,
                            "containers are reached through {}",
                            match reach {
                                Reach::Bridge => "their bridge network address",
                                _ => "a port published on 127.0.0.1",
                            }
                        );
                        reach
                    })
                    .await
            }
        };
        match reach {
            Reach::Bridge => bridge(),
            _ => published(),
        }
    }
}

/// The bridge driver's option that, `false`, drops traffic between two containers
/// of the network.
pub const ICC_OPTION: &str = "com.docker.network.bridge.enable_icc";

/// The environment variable that carries a container's token to its runtime
/// (proxy-runtime's `server::TOKEN_ENV`).
pub const TOKEN_ENV: &str = "__PROXY_RUNTIME_TOKEN";

fn isolates(network: &bollard::models::NetworkInspect) -> bool {
    network.options.as_ref().and_then(|o| o.get(ICC_OPTION)).map(String::as_str) == Some("false")
}

/// A fresh token for one container: 16 random bytes in hex. Without a source of
/// randomness no container is created (a guessable token guards nothing).
fn runtime_token() -> Result<String, DockerError> {
    proxy_core::random::hex(16).map_err(DockerError::NoRandomness)
}

/// Whether this host can open a TCP connection to `addr`: an answer (even a
/// refusal, the runtime may not listen yet) says it routes there.
async fn routable(addr: SocketAddr) -> bool {
    match tokio::time::timeout(Duration::from_millis(500), tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => true,
        Ok(Err(e)) => e.kind() == std::io::ErrorKind::ConnectionRefused,
        Err(_) => false,
    }
}

fn bridge_addr(inspected: &ContainerInspectResponse, network: &str) -> Option<SocketAddr> {
    let networks = inspected.network_settings.as_ref()?.networks.as_ref()?;
    let ip: IpAddr = networks.get(network)?.ip_address.as_deref()?.parse().ok()?;
    Some(SocketAddr::new(ip, RUNTIME_PORT))
}

fn published_addr(inspected: &ContainerInspectResponse) -> Option<SocketAddr> {
    let ports = inspected.network_settings.as_ref()?.ports.as_ref()?;
    let binding = ports.get(PORT_KEY)?.as_ref()?.first()?;
    let ip: IpAddr = binding.host_ip.as_deref().unwrap_or("127.0.0.1").parse().ok()?;
    let ip = if ip.is_unspecified() { IpAddr::from([127, 0, 0, 1]) } else { ip };
    let port = binding.host_port.as_deref()?.parse().ok()?;
    Some(SocketAddr::new(ip, port))
}

/// How long a removal that lost a race to another waits for the winner before it
/// gives up (a forced removal kills the container first, which takes a moment).
const REMOVAL_RACE_WAIT: Duration = Duration::from_secs(10);

/// The pause between two looks at a container another removal is working on.
const REMOVAL_RACE_PAUSE: Duration = Duration::from_millis(50);

/// Removes a container with force; one that is already gone (or already being
/// removed) is not an error.
pub(crate) async fn remove(docker: &Docker, id: &str) -> Result<(), bollard::errors::Error> {
    let options = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
    let deadline = tokio::time::Instant::now() + REMOVAL_RACE_WAIT;
    loop {
        let conflict = match docker.remove_container(id, Some(options.clone())).await {
            Ok(()) => return Ok(()),
            Err(e) if status(&e) == Some(404) => return Ok(()),
            Err(e) if status(&e) == Some(409) => e,
            Err(e) => return Err(e),
        };
        // A conflict on a forced removal: another removal is under way. Decide from
        // the container's state, not from the answer's text. While the other removal
        // still kills the container the engine reports it `running` (its status puts
        // running before removing), so look again, and try again, until it is gone,
        // is being removed, or the wait is over.
        match docker.inspect_container(id, None).await {
            Err(e) if status(&e) == Some(404) => return Ok(()),
            Ok(inspected) if removal_under_way(inspected.state.as_ref().and_then(|s| s.status)) => {
                return Ok(())
            }
            _ if tokio::time::Instant::now() >= deadline => return Err(conflict),
            _ => tokio::time::sleep(REMOVAL_RACE_PAUSE).await,
        }
    }
}

/// Whether a container in `status` is on its way out: `removing` while a removal
/// runs, `dead` once the engine has begun deleting its files (the daemon marks it
/// dead first, so that nothing restarts it).
fn removal_under_way(status: Option<ContainerStateStatusEnum>) -> bool {
    matches!(status, Some(ContainerStateStatusEnum::REMOVING | ContainerStateStatusEnum::DEAD))
}

#[async_trait]
impl ContainerFactory for DockerFactory {
    async fn create(&self, spec: CreateSpec) -> Result<Arc<dyn Container>, StartupError> {
        match self.create_container(&spec).await {
            Ok(container) => Ok(Arc::new(container)),
            Err(error) => {
                tracing::error!(name = %spec.name, image = %spec.image, %error, "container creation failed");
                Err(startup_error(&spec, error))
            }
        }
    }

    async fn survivors(&self) -> Result<Vec<Survivor>, BackendError> {
        self.survivor_list().await.map_err(BackendError::new)
    }

    async fn adopt(&self, survivor: &Survivor) -> Result<Arc<dyn Container>, BackendError> {
        match self.adopt_container(&survivor.id).await {
            Ok(container) => Ok(Arc::new(container)),
            Err(error) => Err(BackendError::new(error)),
        }
    }

    async fn remove_survivor(&self, id: &ContainerId) -> Result<(), BackendError> {
        remove(&self.shared.docker, &id.0).await.map_err(|e| BackendError::new(self.engine("remove", e)))
    }
}

/// Upstream's split: a missing executable is the image's fault (developer error);
/// anything else is the platform's (`Other`: "Failed to provision resources").
/// Either way the engine's error stays the cause.
fn startup_error(spec: &CreateSpec, error: DockerError) -> StartupError {
    let missing_executable = match &error {
        DockerError::Engine { operation: "start", source } => executable_missing(source),
        _ => false,
    };
    if missing_executable {
        StartupError::Blackbox {
            message: format!("executable file not found in image {}", spec.image),
            source: Some(BackendError::new(error)),
        }
    } else {
        StartupError::Other(BackendError::new(error))
    }
}

/// Whether the engine refused to start a container because the image's entrypoint
/// cannot be executed. The engine's only signal is the text of its 400/500 answer
/// (the OCI runtime's `exec: "..": executable file not found in $PATH` or `..: no
/// such file or directory`): no status, no code. The docker CLI itself maps it the
/// same way, by these words, to exit status 127 (`runStartContainerErr` in
/// docker/cli's `cli/command/container/run.go`). So the engine's `message` is
/// read, never our own Display.
fn executable_missing(error: &bollard::errors::Error) -> bool {
    match error {
        bollard::errors::Error::DockerResponseServerError { message, .. } => {
            message.contains("executable file not found") || message.contains("no such file or directory")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> CreateSpec {
        CreateSpec {
            transaction_id: "tid".into(),
            name: "n".into(),
            image: "user/image:1".into(),
            memory_mb: 256,
            cpu_shares: 0,
            cpu_limit: None,
        }
    }

    fn answer(status_code: u16, message: &str) -> bollard::errors::Error {
        bollard::errors::Error::DockerResponseServerError { status_code, message: message.into() }
    }

    #[test]
    fn a_missing_executable_is_the_image_fault_and_keeps_the_engine_error() {
        let engine =
            "failed to create task for container: exec: \"/nope\": executable file not found in $PATH";
        let error = DockerError::Engine { operation: "start", source: answer(400, engine) };
        match startup_error(&spec(), error) {
            StartupError::Blackbox { message, source: Some(source) } => {
                assert_eq!(message, "executable file not found in image user/image:1");
                let docker = source.downcast_ref::<DockerError>().expect("the engine error is the cause");
                assert!(matches!(docker, DockerError::Engine { operation: "start", .. }), "{docker:?}");
            }
            other => panic!("expected a blackbox error, got {other:?}"),
        }
    }

    #[test]
    fn only_the_engine_message_of_a_start_is_read() {
        let missing = "exec: \"/bin/x\": stat /bin/x: no such file or directory";
        assert!(executable_missing(&answer(500, missing)));
        assert!(!executable_missing(&answer(500, "cannot allocate memory")));
        // The same words anywhere but the engine's answer are not its signal.
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory");
        assert!(!executable_missing(&bollard::errors::Error::IOError { err: io }));
        // Nor from another call than the start.
        let error = DockerError::Engine { operation: "create", source: answer(500, missing) };
        assert!(matches!(startup_error(&spec(), error), StartupError::Other(_)));
    }

    #[test]
    fn other_startup_failures_keep_their_cause() {
        let error = DockerError::TimedOut { operation: "create", seconds: 3 };
        let StartupError::Other(source) = startup_error(&spec(), error) else { panic!("expected Other") };
        assert!(matches!(
            source.downcast_ref::<DockerError>(),
            Some(DockerError::TimedOut { seconds: 3, .. })
        ));
    }

    #[test]
    fn a_container_being_removed_or_dead_counts_as_removed() {
        assert!(removal_under_way(Some(ContainerStateStatusEnum::REMOVING)));
        assert!(removal_under_way(Some(ContainerStateStatusEnum::DEAD)));
        assert!(!removal_under_way(Some(ContainerStateStatusEnum::RUNNING)));
        assert!(!removal_under_way(Some(ContainerStateStatusEnum::PAUSED)));
        assert!(!removal_under_way(None));
    }
}
