//! The Docker backend of the container proxy: [`DockerFactory`] and
//! [`DockerContainer`] implement proxy-core's backend seam on
//! [bollard](https://docs.rs/bollard) over the engine's API (never the docker CLI),
//! and [`image`] builds the action runtime's image, since nothing is ever pulled.
//!
//! - containers are created with memory, CPU, process and open-file limits, every
//!   capability dropped, `no-new-privileges`, and labels that name the owning
//!   instance; cleanup at start and at shutdown removes exactly those;
//! - the action runtime is reached on the container's bridge-network address or on
//!   a port published on `127.0.0.1` ([`Reach`]), probed on the first container;
//! - no container reaches another's runtime: every container is on the backend's
//!   bridge network, which drops traffic between containers ([`ICC_OPTION`]), and
//!   its runtime answers only requests carrying the token it was created with
//!   ([`TOKEN_ENV`]);
//! - warm containers are paused through the API where the engine can pause;
//! - logs are read up to the runtime's end sentinels, with upstream's warnings on
//!   truncation or a missing sentinel;
//! - a developer error explained by an out-of-memory kill says so.
//!
//! ```no_run
//! # async fn demo() -> Result<(), proxy_docker::DockerError> {
//! use std::sync::Arc;
//! use proxy_docker::{image, DockerConfig, DockerFactory};
//!
//! let docker = proxy_docker::connect().await?;
//! let runtime = "target/x86_64-unknown-linux-gnu/release/proxy-runtime";
//! let image = image::ensure_runtime_image(&docker, runtime.as_ref()).await?;
//! let factory = DockerFactory::start(docker, DockerConfig::new("wsk0")).await?;
//! let shared: Arc<dyn proxy_core::container::ContainerFactory> = Arc::new(factory.clone());
//! // .. proxies create containers of `image` through `shared` ..
//! factory.shutdown().await?;
//! # let _ = (image, shared);
//! # Ok(()) }
//! ```

mod adopt;
mod config;
mod connect;
mod container;
mod error;
mod factory;
pub mod image;
pub mod logs;

pub use config::{DockerConfig, Reach, INSTANCE_LABEL, MANAGED_LABEL};
pub use connect::{connect, connect_to, connect_with_timeout, docker_host, CONNECT_TIMEOUT, DEFAULT_HOST};
pub use container::DockerContainer;
pub use error::{ConnectProblem, DockerError};
pub use factory::{DockerFactory, ICC_OPTION, RUNTIME_PORT, TOKEN_ENV};

/// The engine client, re-exported so that users need not depend on bollard.
pub use bollard::Docker;
