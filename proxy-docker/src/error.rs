//! The crate's one error type: each variant says what went wrong and, where a person
//! can do something about it, what.

use std::path::PathBuf;

/// What went wrong talking to the Docker engine or preparing what it needs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DockerError {
    /// No engine answers at `host`.
    #[error(
        "no Docker engine at {host}: {source}; start one (`dockerd`, or `systemctl start docker`), \
         or point DOCKER_HOST at a running engine"
    )]
    EngineUnreachable {
        /// The socket or address tried (`unix:///var/run/docker.sock`).
        host: String,
        /// The connection error.
        #[source]
        source: bollard::errors::Error,
    },
    /// Connecting to the engine's address failed: what is there, what the OS said,
    /// and what to do.
    #[error("no Docker engine at {host}: {problem} ({source}); {}", problem.fix())]
    EngineConnect {
        /// The socket or address tried (`unix:///var/run/docker.sock`).
        host: String,
        /// What was found there.
        problem: ConnectProblem,
        /// What the OS answered (for [`ConnectProblem::Silent`], a `TimedOut` error).
        #[source]
        source: std::io::Error,
    },
    /// The engine's socket exists but this process may not use it.
    #[error(
        "permission denied on the Docker socket {host}: run as root, or add this user to the \
         `docker` group (`usermod -aG docker $USER`, then log in again)"
    )]
    PermissionDenied {
        /// The socket.
        host: String,
        /// The connection error.
        #[source]
        source: bollard::errors::Error,
    },
    /// The image is not in the engine, and images are never pulled.
    #[error(
        "image `{image}` is not present in the Docker engine and is not pulled; build it first \
         (`proxy_docker::image::ensure_runtime_image` builds the runtime image)"
    )]
    ImageMissing {
        /// The image reference.
        image: String,
    },
    /// The engine cannot pause containers (rootless engines, some nested set-ups):
    /// warm containers stay unpaused.
    #[error("this Docker engine cannot pause containers: {source}; warm containers stay unpaused")]
    PauseUnsupported {
        /// The engine's answer to the pause.
        #[source]
        source: bollard::errors::Error,
    },
    /// A file the runtime image is built from cannot be read.
    #[error("cannot read the {what} at {}: {source}{hint}", path.display())]
    MissingInput {
        /// What the file is (`proxy-runtime binary`, `static busybox`).
        what: &'static str,
        /// Where it was looked for.
        path: PathBuf,
        /// How to get it (starts with `; `), or empty.
        hint: &'static str,
        /// The read error.
        #[source]
        source: std::io::Error,
    },
    /// Building an image failed.
    #[error("building image `{image}` failed: {message}")]
    ImageBuild {
        /// The tag being built.
        image: String,
        /// The engine's message.
        message: String,
    },
    /// A container an earlier process left cannot be adopted (see
    /// `ContainerFactory::adopt`): it is removed instead.
    #[error("container {container} cannot be adopted: {reason}")]
    NotAdoptable {
        /// The container.
        container: String,
        /// Why (`it is exited`, `no runtime token in its environment`, ..).
        reason: String,
        /// The error behind it, if any (the failed connection to its runtime).
        #[source]
        source: Option<std::io::Error>,
    },
    /// A started container has no address to reach its action runtime at.
    #[error("container {container} has no {what}")]
    NoAddress {
        /// The container.
        container: String,
        /// What is missing (`IP address on network proxy-wsk0`, `published port 8080`).
        what: String,
    },
    /// Waiting on the engine took too long.
    #[error("`{operation}` did not finish within {seconds} s")]
    TimedOut {
        /// The operation.
        operation: &'static str,
        /// The bound.
        seconds: u64,
    },
    /// The backend's network lets containers talk to each other (it was made
    /// elsewhere, or by an older version) and still has containers attached.
    #[error(
        "network {network} lets containers reach each other (no `com.docker.network.bridge.enable_icc=false`) \
         and has {attached} container(s) attached; remove them and the network \
         (`docker network rm {network}`), or set `DockerConfig::network` to another name"
    )]
    NetworkNotIsolated {
        /// The network's name.
        network: String,
        /// How many containers are attached to it.
        attached: usize,
    },
    /// No random bytes for a container's token.
    #[error("cannot draw a container token")]
    NoRandomness(#[source] proxy_core::random::NoRandomness),
    /// Any other engine call failed.
    #[error("Docker engine call `{operation}` failed: {source}")]
    Engine {
        /// The call (`create`, `start`, `pause`, ..).
        operation: &'static str,
        /// The engine's error.
        #[source]
        source: bollard::errors::Error,
    },
}

/// What stands at the engine's address instead of an engine.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ConnectProblem {
    /// Nothing at the socket's path.
    NoSocket,
    /// The path is a directory.
    Directory,
    /// The path is a regular file.
    RegularFile,
    /// The path is neither a socket nor a file nor a directory (a FIFO, a device).
    NotASocket,
    /// A socket nobody listens on: the engine that made it is gone.
    StaleSocket,
    /// This process may not use the socket.
    PermissionDenied,
    /// Nothing listens on the TCP port.
    Refused,
    /// Something accepted the connection but did not answer in time.
    Silent {
        /// The bound, in seconds.
        seconds: f64,
    },
    /// Any other failure to connect.
    Other,
}

impl ConnectProblem {
    /// What to do about it.
    pub fn fix(&self) -> &'static str {
        const START: &str = "start one (`dockerd`, or `systemctl start docker`), or point DOCKER_HOST at a \
                             running engine";
        const POINT: &str = "point DOCKER_HOST at the engine's socket (unix:///var/run/docker.sock)";
        match self {
            ConnectProblem::NoSocket | ConnectProblem::StaleSocket | ConnectProblem::Other => START,
            ConnectProblem::Directory | ConnectProblem::RegularFile | ConnectProblem::NotASocket => POINT,
            ConnectProblem::PermissionDenied => {
                "run as root, or add this user to the `docker` group (`usermod -aG docker $USER`, then \
                 log in again)"
            }
            ConnectProblem::Refused => {
                "start the engine listening there (`dockerd -H tcp://..`), or point DOCKER_HOST at a running \
                 engine (unix:///var/run/docker.sock)"
            }
            ConnectProblem::Silent { .. } => {
                "something answers the connection but is not a Docker engine, or is hung; point DOCKER_HOST \
                 at a running engine"
            }
        }
    }
}

impl std::fmt::Display for ConnectProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectProblem::NoSocket => f.write_str("no socket at that path"),
            ConnectProblem::Directory => f.write_str("the path is a directory, not a socket"),
            ConnectProblem::RegularFile => f.write_str("the path is a regular file, not a socket"),
            ConnectProblem::NotASocket => f.write_str("the path is not a socket"),
            ConnectProblem::StaleSocket => {
                f.write_str("nobody listens on the socket (a stale socket: the engine that made it stopped)")
            }
            ConnectProblem::PermissionDenied => f.write_str("permission denied on the socket"),
            ConnectProblem::Refused => f.write_str("nothing listens on that port"),
            ConnectProblem::Silent { seconds } => {
                write!(f, "connected, but no answer to the version request within {seconds} s")
            }
            ConnectProblem::Other => f.write_str("cannot connect"),
        }
    }
}

impl DockerError {
    /// An engine call's error, classified: an unreachable engine or a refused socket
    /// gets its own variant, the rest is [`DockerError::Engine`].
    pub fn from_engine(operation: &'static str, host: &str, source: bollard::errors::Error) -> Self {
        match io_kind(&source) {
            Some(std::io::ErrorKind::PermissionDenied) => {
                DockerError::PermissionDenied { host: host.to_string(), source }
            }
            Some(
                std::io::ErrorKind::NotFound
                | std::io::ErrorKind::ConnectionRefused
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::AddrNotAvailable,
            ) => DockerError::EngineUnreachable { host: host.to_string(), source },
            _ if matches!(source, bollard::errors::Error::SocketNotFoundError(_)) => {
                DockerError::EngineUnreachable { host: host.to_string(), source }
            }
            _ => DockerError::Engine { operation, source },
        }
    }
}

/// The HTTP status of an engine's error answer, if it answered.
pub(crate) fn status(error: &bollard::errors::Error) -> Option<u16> {
    match error {
        bollard::errors::Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// The kind of the first I/O error in `error`'s chain.
fn io_kind(error: &bollard::errors::Error) -> Option<std::io::ErrorKind> {
    if let bollard::errors::Error::IOError { err } = error {
        return Some(err.kind());
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = cause.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(kind: std::io::ErrorKind) -> bollard::errors::Error {
        bollard::errors::Error::IOError { err: std::io::Error::new(kind, "from the socket") }
    }

    #[test]
    fn socket_errors_say_what_to_do() {
        let host = "unix:///var/run/docker.sock";
        let denied = DockerError::from_engine("version", host, io(std::io::ErrorKind::PermissionDenied));
        assert!(matches!(denied, DockerError::PermissionDenied { .. }), "{denied:?}");
        assert!(denied.to_string().contains("`docker` group"), "{denied}");
        for kind in [std::io::ErrorKind::NotFound, std::io::ErrorKind::ConnectionRefused] {
            let down = DockerError::from_engine("version", host, io(kind));
            assert!(matches!(down, DockerError::EngineUnreachable { .. }), "{down:?}");
            assert!(
                down.to_string().starts_with("no Docker engine at unix:///var/run/docker.sock: "),
                "{down}"
            );
        }
        let other = DockerError::from_engine(
            "pause",
            host,
            bollard::errors::Error::DockerResponseServerError { status_code: 500, message: "no".into() },
        );
        assert!(matches!(other, DockerError::Engine { operation: "pause", .. }), "{other:?}");
        assert_eq!(
            status(match &other {
                DockerError::Engine { source, .. } => source,
                _ => unreachable!(),
            }),
            Some(500)
        );
    }
}
