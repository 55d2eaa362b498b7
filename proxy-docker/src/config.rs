//! The backend's settings.

use std::collections::BTreeMap;
use std::time::Duration;

/// The label every container of this backend carries (`true`).
pub const MANAGED_LABEL: &str = "proxy.managed";
/// The label naming the invoker instance that owns a container.
pub const INSTANCE_LABEL: &str = "proxy.instance";

/// How the invoker reaches the action runtime on port 8080 of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Decide on the first container: its address on the bridge network if this
    /// host can connect to it, else a published port.
    Probe,
    /// The container's address on a user-defined bridge network the backend creates
    /// (`proxy-<instance>`). Fastest, where the host routes to container addresses.
    Bridge,
    /// Port 8080 published on `127.0.0.1` at a port the engine picks. Works wherever
    /// the engine publishes ports (a rootless engine, a remote-looking set-up). The
    /// container is on the backend's network all the same (not the engine's default
    /// `bridge`, where containers reach each other).
    Published,
}

/// The backend's settings. `DockerConfig::new("wsk0")` gives upstream's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct DockerConfig {
    /// The invoker instance: the value of the [`INSTANCE_LABEL`] on every container,
    /// the first part of every container's name ([`container_name`](Self::container_name)),
    /// and the part of the network's name. Cleanup removes exactly the containers
    /// carrying it. The one instance setting: proxy-core's names carry a
    /// per-process nonce instead.
    pub instance: String,
    /// How containers are reached.
    pub reach: Reach,
    /// The bridge network's name; `proxy-<instance>` when `None`. Every container
    /// is on it, whatever the reach; it is created with inter-container
    /// communication off, and an existing one without that is recreated when empty,
    /// else refused ([`DockerError::NetworkNotIsolated`](crate::DockerError::NetworkNotIsolated)).
    pub network: Option<String>,
    /// `__OW_API_HOST` in every container's environment.
    pub api_host: String,
    /// More environment variables for every container (upstream's `extra-env-vars`).
    pub extra_env: Vec<(String, String)>,
    /// More labels for every container (tests mark theirs).
    pub labels: BTreeMap<String, String>,
    /// The most processes a container may run.
    pub pids_limit: i64,
    /// The open-files limit (soft and hard) inside a container.
    pub nofile: i64,
    /// Creates (create, start, inspect) in flight at once (upstream's `parallel-runs`).
    pub parallel_creates: usize,
    /// Whether warm containers are paused. When `true`, the first pause also probes
    /// whether the engine can pause at all; where it cannot, containers stay
    /// unpaused (and a log line says so).
    pub pause: bool,
    /// The longest silence between two log entries while waiting for the end
    /// sentinels (upstream: 2 s).
    pub log_idle_timeout: Duration,
    /// The most bytes of log entries kept per stream and container between the
    /// engine's log stream and a log read (the oldest go first).
    pub log_buffer_bytes: usize,
    /// How long a read of what a log holds now (no sentinels to wait for) waits for
    /// entries still on their way from the engine after the last one.
    pub log_settle: Duration,
    /// How long, after a connection-type failure, the engine is watched for an
    /// out-of-memory kill of the container.
    pub oom_wait: Duration,
    /// How long cleanup may take in all (upstream: 30 s).
    pub cleanup_timeout: Duration,
    /// Whether [`DockerFactory::start`](crate::DockerFactory::start) leaves the
    /// containers an earlier process of this instance left, for a pool with
    /// adoption on to adopt or remove (proxy-core's D28). Default `false`: they are
    /// removed at start, as upstream removes them.
    pub keep_survivors: bool,
    /// How long a running survivor's runtime port may take to accept a connection
    /// before it is judged dead and not adopted.
    pub adopt_connect_timeout: Duration,
}

impl DockerConfig {
    /// The defaults for instance `instance`: reach probed, `__OW_API_HOST` a
    /// placeholder, 512 processes, 1024 open files, 10 creates at once, pausing on.
    pub fn new(instance: impl Into<String>) -> Self {
        DockerConfig {
            instance: instance.into(),
            reach: Reach::Probe,
            network: None,
            api_host: "https://localhost".into(),
            extra_env: Vec::new(),
            labels: BTreeMap::new(),
            pids_limit: 512,
            nofile: 1024,
            parallel_creates: 10,
            pause: true,
            log_idle_timeout: Duration::from_secs(2),
            log_buffer_bytes: 16 * 1024 * 1024,
            log_settle: Duration::from_millis(25),
            oom_wait: Duration::from_millis(500),
            cleanup_timeout: Duration::from_secs(30),
            keep_survivors: false,
            adopt_connect_timeout: Duration::from_secs(1),
        }
    }

    /// The bridge network's name.
    pub fn network_name(&self) -> String {
        self.network.clone().unwrap_or_else(|| {
            let clean: String = self
                .instance
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c } else { '_' })
                .collect();
            format!("proxy-{clean}")
        })
    }

    /// The engine's name of the container proxy-core named `name`:
    /// `<instance>_<name>`, the instance cleaned as upstream cleans it (letters,
    /// digits, `_.-`). Containers of two instances on one engine never share a name,
    /// and proxy-core's per-process nonce in `name` keeps two invokers of one
    /// instance apart.
    pub fn container_name(&self, name: &str) -> String {
        let instance = clean_instance(&self.instance);
        // The engine wants a letter or digit first.
        match instance.chars().next() {
            Some(c) if c.is_ascii_alphanumeric() => format!("{instance}_{name}"),
            _ => format!("proxy{instance}_{name}"),
        }
    }

    /// The labels of a container: managed, the instance, and the extra ones.
    pub fn container_labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.labels.clone();
        labels.insert(MANAGED_LABEL.into(), "true".into());
        labels.insert(INSTANCE_LABEL.into(), self.instance.clone());
        labels
    }
}

/// The instance with only ASCII letters, digits and `_.-` kept (upstream's cleaning
/// of the invoker name in container names).
fn clean_instance(instance: &str) -> String {
    instance.chars().filter(|c| c.is_ascii_alphanumeric() || "_.-".contains(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_name_is_the_clean_instance_then_the_proxy_name() {
        assert_eq!(
            DockerConfig::new("wsk0").container_name("ab12cd34_3_guest_hello"),
            "wsk0_ab12cd34_3_guest_hello"
        );
        assert_eq!(DockerConfig::new("test/a b:1.0-x_y").container_name("n_0_p_s"), "testab1.0-x_y_n_0_p_s");
        // The engine refuses a name that starts with anything but a letter or digit.
        assert_eq!(DockerConfig::new("-x").container_name("n"), "proxy-x_n");
        assert_eq!(DockerConfig::new("").container_name("n"), "proxy_n");
    }
}
