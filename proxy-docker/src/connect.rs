//! Reaching the engine: `DOCKER_HOST` or the default socket, the API version
//! negotiated down to the engine's.
//!
//! Before bollard is handed the address, this process opens a connection itself,
//! bounded by [`CONNECT_TIMEOUT`]: bollard reports every failure to connect as
//! "client error (Connect)" and waits 120 s on an endpoint that accepts and never
//! answers, while a person needs to know what is at the address (a directory, a file,
//! a socket nobody listens on, a closed port) and what to do about it.

use std::path::Path;
use std::time::Duration;

use bollard::Docker;

use crate::error::{ConnectProblem, DockerError};

/// The engine address in use: `DOCKER_HOST` when set, else the default socket
/// (`unix:///var/run/docker.sock`).
pub fn docker_host() -> String {
    std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| DEFAULT_HOST.to_string())
}

/// The engine's usual socket.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// How long connecting to the engine and negotiating the API version may take in
/// all: an engine answers in milliseconds; an address where something accepts and
/// never answers must not hold a start for bollard's 120 s.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The engine's TCP port when `DOCKER_HOST` names none.
const DEFAULT_TCP_PORT: u16 = 2375;

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
/// `tcp://host:port`) and negotiates the API version, within [`CONNECT_TIMEOUT`].
/// Nothing usable at `host` is [`DockerError::EngineConnect`], saying what the OS
/// said and the fix; a socket this process may not use is among them
/// ([`ConnectProblem::PermissionDenied`]).
pub async fn connect_to(host: &str) -> Result<Docker, DockerError> {
    connect_with_timeout(host, CONNECT_TIMEOUT).await
}

/// [`connect_to`] with another bound on connecting and negotiating.
pub async fn connect_with_timeout(host: &str, bound: Duration) -> Result<Docker, DockerError> {
    let deadline = tokio::time::Instant::now() + bound;
    let fail = |problem: ConnectProblem, source: std::io::Error| DockerError::EngineConnect {
        host: host.to_string(),
        problem,
        source,
    };
    let silent = || {
        fail(
            ConnectProblem::Silent { seconds: bound.as_secs_f64() },
            std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer"),
        )
    };
    let docker = match socket_path(host) {
        Some(path) => {
            match tokio::time::timeout_at(deadline, probe_unix(Path::new(path))).await {
                Ok(Ok(())) => {}
                Ok(Err((problem, source))) => return Err(fail(problem, source)),
                Err(_) => return Err(silent()),
            }
            Docker::connect_with_unix(path, 120, bollard::API_DEFAULT_VERSION)
        }
        None => {
            if let Some(authority) = tcp_authority(host) {
                match tokio::time::timeout_at(deadline, tokio::net::TcpStream::connect(&authority)).await {
                    Ok(Ok(_probe)) => {}
                    Ok(Err(source)) => return Err(fail(tcp_problem(&source), source)),
                    Err(_) => return Err(silent()),
                }
            }
            Docker::connect_with_host(host)
        }
    }
    .map_err(|e| DockerError::from_engine("connect", host, e))?;
    match tokio::time::timeout_at(deadline, docker.negotiate_version()).await {
        Ok(negotiated) => negotiated.map_err(|e| DockerError::from_engine("version", host, e)),
        Err(_) => Err(silent()),
    }
}

/// The socket's path of a `unix://` address or a plain path.
fn socket_path(host: &str) -> Option<&str> {
    if host.starts_with('/') {
        Some(host)
    } else {
        host.strip_prefix("unix://")
    }
}

/// `host:port` of a `tcp://` or `http://` address (the port 2375 when none is given).
fn tcp_authority(host: &str) -> Option<String> {
    let rest = ["tcp://", "http://"].iter().find_map(|scheme| host.strip_prefix(scheme))?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let has_port = match authority.rsplit_once(':') {
        // `[::1]` has colons but no port.
        Some((_, port)) => port.bytes().all(|b| b.is_ascii_digit()) && !authority.ends_with(']'),
        None => false,
    };
    Some(if has_port { authority.to_string() } else { format!("{authority}:{DEFAULT_TCP_PORT}") })
}

/// Looks at what is at `path` and connects to it once.
async fn probe_unix(path: &Path) -> Result<(), (ConnectProblem, std::io::Error)> {
    use std::os::unix::fs::FileTypeExt;
    let kind = match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err((ConnectProblem::PermissionDenied, e))
        }
        Err(e) => return Err((ConnectProblem::NoSocket, e)),
        Ok(meta) => meta.file_type(),
    };
    let connected = tokio::net::UnixStream::connect(path).await;
    let problem = if kind.is_dir() {
        ConnectProblem::Directory
    } else if kind.is_file() {
        ConnectProblem::RegularFile
    } else if !kind.is_socket() {
        ConnectProblem::NotASocket
    } else {
        match &connected {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => ConnectProblem::PermissionDenied,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => ConnectProblem::StaleSocket,
            Err(_) => ConnectProblem::Other,
        }
    };
    // What the OS said to the connection attempt, even where the file's type
    // already tells the story.
    let source = match connected {
        Err(e) => e,
        Ok(_) => std::io::Error::other("connected to something that is not a socket"),
    };
    Err((problem, source))
}

fn tcp_problem(error: &std::io::Error) -> ConnectProblem {
    match error.kind() {
        std::io::ErrorKind::ConnectionRefused => ConnectProblem::Refused,
        _ => ConnectProblem::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_split_into_a_path_or_an_authority() {
        assert_eq!(socket_path("unix:///var/run/docker.sock"), Some("/var/run/docker.sock"));
        assert_eq!(socket_path("/run/docker.sock"), Some("/run/docker.sock"));
        assert_eq!(socket_path("tcp://127.0.0.1:2375"), None);
        assert_eq!(tcp_authority("tcp://127.0.0.1:2376").as_deref(), Some("127.0.0.1:2376"));
        assert_eq!(tcp_authority("tcp://engine").as_deref(), Some("engine:2375"));
        assert_eq!(tcp_authority("http://[::1]:80/x").as_deref(), Some("[::1]:80"));
        assert_eq!(tcp_authority("tcp://[::1]").as_deref(), Some("[::1]:2375"));
        assert_eq!(tcp_authority("npipe:////./pipe/docker_engine"), None);
    }
}
