//! Reaching the engine: `DOCKER_HOST` or the default socket, the API version
//! negotiated down to the engine's.

use bollard::Docker;

use crate::error::DockerError;

/// The engine address in use: `DOCKER_HOST` when set, else the default socket
/// (`unix:///var/run/docker.sock`).
pub fn docker_host() -> String {
    std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| DEFAULT_HOST.to_string())
}

/// The engine's usual socket.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// Connects to the engine at [`docker_host()`] and negotiates the API version.
///
/// ```no_run
/// # async fn demo() -> Result<(), proxy_docker::DockerError> {
/// let docker = proxy_docker::connect().await?;
/// println!("engine API {}", docker.client_version());
/// # Ok(()) }
/// ```
pub async fn connect() -> Result<Docker, DockerError> {
    connect_to(&docker_host()).await
}

/// Connects to the engine at `host` (`unix:///path`, a plain socket path, or
/// `tcp://host:port`) and negotiates the API version; an engine that does not
/// answer is [`DockerError::EngineUnreachable`], a socket this process may not use
/// is [`DockerError::PermissionDenied`].
pub async fn connect_to(host: &str) -> Result<Docker, DockerError> {
    let docker = if host.starts_with('/') {
        Docker::connect_with_unix(host, 120, bollard::API_DEFAULT_VERSION)
    } else {
        Docker::connect_with_host(host)
    }
    .map_err(|e| DockerError::from_engine("connect", host, e))?;
    docker.negotiate_version().await.map_err(|e| DockerError::from_engine("version", host, e))
}
