//! Adoption at restart (proxy-core's D28) on the engine: the survivors of this
//! instance are listed by its labels, and each one is rebuilt from its inspection
//! (address per reach mode as on create, its runtime token from its environment,
//! paused or not) after checking it is alive.

use std::time::Duration;

use bollard::models::{ContainerInspectResponse, ContainerSummaryStateEnum};
use proxy_core::container::{ContainerId, Survivor};

use crate::container::DockerContainer;
use crate::error::DockerError;
use crate::factory::{DockerFactory, TOKEN_ENV};

impl DockerFactory {
    /// The containers of this instance on the engine, any state; paused ones
    /// flagged.
    pub(crate) async fn survivor_list(&self) -> Result<Vec<Survivor>, DockerError> {
        let owned = self.list_owned().await?;
        Ok(owned
            .into_iter()
            .map(|(id, state)| Survivor {
                id: ContainerId(id),
                paused: state == Some(ContainerSummaryStateEnum::PAUSED),
            })
            .collect())
    }

    /// Rebuilds the container `id` an earlier process left, if it is alive: a
    /// running one must accept a connection on its runtime's port within
    /// [`DockerConfig::adopt_connect_timeout`](crate::DockerConfig::adopt_connect_timeout);
    /// a paused one is taken as it is, and its first resume unpauses it.
    pub async fn adopt_container(&self, id: &ContainerId) -> Result<DockerContainer, DockerError> {
        let shared = &self.shared;
        let not_adoptable =
            |reason: String, source| DockerError::NotAdoptable { container: id.0.clone(), reason, source };
        let inspected =
            shared.docker.inspect_container(&id.0, None).await.map_err(|e| self.engine("inspect", e))?;
        let state = inspected.state.clone().unwrap_or_default();
        let paused = state.paused == Some(true);
        if state.running != Some(true) {
            let status = state.status.map_or_else(|| "in no known state".to_string(), |s| format!("{s}"));
            return Err(not_adoptable(format!("it is {status}"), None));
        }
        let token = runtime_token_of(&inspected)
            .ok_or_else(|| not_adoptable(format!("no {TOKEN_ENV} in its environment"), None))?;
        let name = inspected.name.as_deref().unwrap_or(&id.0).trim_start_matches('/').to_string();
        let addr = self.address(&id.0, &inspected, self.reach()).await?;
        if !paused {
            alive(addr, shared.config.adopt_connect_timeout).await.map_err(|source| {
                not_adoptable(format!("its runtime at {addr} does not answer"), Some(source))
            })?;
        }
        tracing::debug!(container = %id, %name, %addr, paused, "container adopted");
        Ok(DockerContainer::adopted(shared.clone(), id.clone(), name, addr, token, paused))
    }
}

/// The runtime token the container was created with: the last `TOKEN_ENV` of its
/// environment (create puts it last, so that no extra variable replaces it).
fn runtime_token_of(inspected: &ContainerInspectResponse) -> Option<String> {
    let env = inspected.config.as_ref()?.env.as_ref()?;
    let prefix = format!("{TOKEN_ENV}=");
    env.iter().rev().find_map(|var| var.strip_prefix(&prefix)).map(str::to_owned)
}

/// Whether the runtime at `addr` accepts a connection within `bound`.
async fn alive(addr: std::net::SocketAddr, bound: Duration) -> Result<(), std::io::Error> {
    match tokio::time::timeout(bound, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(error),
        Err(_) => {
            Err(std::io::Error::new(std::io::ErrorKind::TimedOut, format!("no connection within {bound:?}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use bollard::models::ContainerConfig;

    use super::*;

    fn with_env(env: &[&str]) -> ContainerInspectResponse {
        ContainerInspectResponse {
            config: Some(ContainerConfig {
                env: Some(env.iter().map(|s| s.to_string()).collect()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_token_is_the_last_of_its_variable() {
        let token = format!("{TOKEN_ENV}=");
        let inspected = with_env(&["__OW_API_HOST=x", &format!("{token}forged"), &format!("{token}real")]);
        assert_eq!(runtime_token_of(&inspected).as_deref(), Some("real"));
        assert_eq!(runtime_token_of(&with_env(&["A=b"])), None);
        assert_eq!(runtime_token_of(&ContainerInspectResponse::default()), None);
    }

    #[tokio::test]
    async fn a_port_nobody_listens_on_is_not_alive() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(alive(addr, Duration::from_secs(1)).await.is_ok());
        drop(listener);
        assert!(alive(addr, Duration::from_secs(1)).await.is_err());
    }
}
