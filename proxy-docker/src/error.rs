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
