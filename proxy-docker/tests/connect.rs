//! What `connect_to` says when no engine is at the address: what is there, what the
//! OS said, and the fix, within a few seconds. No engine needed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use proxy_docker::{ConnectProblem, DockerError};

/// A directory of this process's own under the temp dir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("proxy-docker-connect-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Connects to `host` and returns the problem and the whole message; checks that the
/// OS's error is kept as the source and that the message names it and the host.
async fn failure(host: &str) -> (ConnectProblem, String) {
    let started = Instant::now();
    let error = proxy_docker::connect_with_timeout(host, Duration::from_millis(500)).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    let message = error.to_string();
    assert!(!message.contains("client error (Connect)"), "{message}");
    assert!(message.starts_with(&format!("no Docker engine at {host}: ")), "{message}");
    let source = std::error::Error::source(&error).expect("the OS's error is the source");
    assert!(source.downcast_ref::<std::io::Error>().is_some(), "{source:?}");
    assert!(message.contains(&source.to_string()), "{message} lacks {source}");
    match error {
        DockerError::EngineConnect { problem, host: named, .. } => {
            assert_eq!(named, host);
            (problem, message)
        }
        other => panic!("not EngineConnect: {other:?}"),
    }
}

#[tokio::test]
async fn a_directory_is_not_a_socket() {
    let scratch = Scratch::new("dir");
    let host = format!("unix://{}", scratch.0.display());
    let (problem, message) = failure(&host).await;
    assert_eq!(problem, ConnectProblem::Directory);
    assert!(message.contains("is a directory, not a socket"), "{message}");
    assert!(
        message.contains("point DOCKER_HOST at the engine's socket (unix:///var/run/docker.sock)"),
        "{message}"
    );
}

#[tokio::test]
async fn a_regular_file_is_not_a_socket() {
    let scratch = Scratch::new("file");
    let file = scratch.0.join("docker.sock");
    std::fs::write(&file, b"not a socket").unwrap();
    // A plain path works as well as a `unix://` address.
    let (problem, message) = failure(file.to_str().unwrap()).await;
    assert_eq!(problem, ConnectProblem::RegularFile);
    assert!(message.contains("is a regular file, not a socket"), "{message}");
    assert!(message.contains("point DOCKER_HOST"), "{message}");
}

#[tokio::test]
async fn a_stale_socket_says_the_engine_stopped() {
    let scratch = Scratch::new("stale");
    let socket = scratch.0.join("docker.sock");
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    let (problem, message) = failure(&format!("unix://{}", socket.display())).await;
    assert_eq!(problem, ConnectProblem::StaleSocket);
    assert!(message.contains("Connection refused"), "the OS's words: {message}");
    assert!(message.contains("stale socket") && message.contains("dockerd"), "{message}");
}

#[tokio::test]
async fn a_missing_socket_says_how_to_start_an_engine() {
    let scratch = Scratch::new("missing");
    let (problem, message) = failure(&format!("unix://{}/docker.sock", scratch.0.display())).await;
    assert_eq!(problem, ConnectProblem::NoSocket);
    assert!(message.contains("No such file or directory"), "{message}");
    assert!(message.contains("systemctl start docker"), "{message}");
}

#[tokio::test]
async fn a_refused_tcp_port_says_nothing_listens() {
    // A port that was free a moment ago; nothing listens on it once the listener is gone.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (problem, message) = failure(&format!("tcp://127.0.0.1:{port}")).await;
    assert_eq!(problem, ConnectProblem::Refused);
    assert!(message.contains("nothing listens on that port"), "{message}");
    assert!(message.contains("Connection refused"), "{message}");
}

#[tokio::test]
async fn a_silent_tcp_endpoint_fails_within_the_bound() {
    // Accepts (the kernel completes the handshake) and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = format!("tcp://{}", listener.local_addr().unwrap());
    let (problem, message) = failure(&host).await;
    assert_eq!(problem, ConnectProblem::Silent { seconds: 0.5 });
    assert!(message.contains("no answer to the version request within 0.5 s"), "{message}");
    drop(listener);
}

#[test]
fn the_default_bound_is_a_few_seconds() {
    assert!(proxy_docker::CONNECT_TIMEOUT <= Duration::from_secs(10));
}
