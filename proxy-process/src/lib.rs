//! The process backend of the container proxy: [`ProcessFactory`] and
//! [`ProcessContainer`] implement proxy-core's backend seam with the action runtime
//! (`proxy-runtime`) as a child process, for machines without a Docker engine and
//! for fast local work.
//!
//! **Isolation is much weaker than Docker's.** Every action runs as the invoker's
//! own user, sees the same filesystem (no chroot, no mount namespace), the same
//! network, the same process table; it can read whatever that user can read,
//! including other containers' working directories. Only a trusted action belongs
//! on this backend. What it does bound:
//!
//! - each container is a `proxy-runtime` process in a process group of its own,
//!   listening on `127.0.0.1` on a port the kernel picks (the runtime reports it on
//!   its first stdout line: no port is ever chosen here and handed over), with a
//!   fresh working directory as `HOME` and `TMPDIR`, a cleared environment (`PATH`,
//!   `__OW_API_HOST` and the configured extra variables), and a fresh token that
//!   every request must carry, so another local process cannot drive it;
//! - rlimits set with `prlimit(2)` right after the spawn and before any action
//!   runs: address space from the memory limit (`RLIMIT_AS`: virtual memory, which
//!   is more than the resident memory Docker bounds: a runtime that reserves much
//!   address space, as a JVM or Go do, needs a higher memory limit here), CPU
//!   seconds, open files, processes (per user, machine-wide: see
//!   [`ProcessConfig::nproc`]), no core dumps;
//! - a cgroup v2 per container with `memory.max` where this process may create one
//!   ([`CgroupSupport`]); elsewhere one log line says why not;
//! - suspend and resume are `SIGSTOP` and `SIGCONT` to the process group, destroy is
//!   `SIGKILL` to it, the reap, and the removal of the directory (and cgroup);
//! - logs are the runtime's stdout and stderr, read up to the end sentinels by
//!   proxy-core's collector, as the Docker backend reads them.
//!
//! An action that leaves its process group (`setsid`) escapes suspend and destroy
//! unless the container has a cgroup. `CreateSpec::image` is not used: every
//! container runs the one runtime binary, so blackbox actions cannot run here.
//! Containers do not survive the invoker: there is no adoption.
//!
//! The runtime binary is [`ProcessConfig::runtime`], by default `proxy-runtime` next
//! to the current executable; build it with `cargo build -p proxy-runtime`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use proxy_core::container::{Container, ContainerFactory, CreateSpec};
//! use proxy_process::{ProcessConfig, ProcessFactory};
//!
//! let mut config = ProcessConfig::new("wsk0");
//! config.runtime = Some("target/release/proxy-runtime".into());
//! let factory: Arc<dyn ContainerFactory> = Arc::new(ProcessFactory::new(config)?);
//! let spec = CreateSpec {
//!     transaction_id: "tid".into(),
//!     name: "n0_1_guest_hello".into(),
//!     image: "unused".into(),
//!     memory_mb: 256,
//!     cpu_shares: 0,
//!     cpu_limit: None,
//! };
//! let container = factory.create(spec).await?;
//! // .. initialize, run, logs ..
//! container.destroy().await?;
//! # Ok(()) }
//! ```

mod cgroup;
mod config;
mod container;
mod error;
mod factory;
pub mod limits;
mod locate;
mod logpipe;

pub use cgroup::CgroupSupport;
pub use config::ProcessConfig;
pub use container::ProcessContainer;
pub use error::ProcessError;
pub use factory::ProcessFactory;
pub use locate::{runtime_binary, RUNTIME_NAME};

/// Re-exported for [`limits::current`].
pub use rlimit::Resource;
