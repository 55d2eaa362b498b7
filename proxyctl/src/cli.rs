//! The command line: `proxyctl [--log-json] <command>`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// A local serverless platform with OpenWhisk's REST API.
#[derive(Debug, Parser)]
#[command(name = "proxyctl", version, about)]
pub struct Cli {
    /// Log one JSON object a line (to stderr) instead of text; `RUST_LOG` filters.
    #[arg(long, global = true)]
    pub log_json: bool,
    /// The client's options (`--apihost`, `--auth`, `--json`).
    #[command(flatten)]
    pub client: proxy_client::cli::GlobalOpts,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: the API, the container pool and the store.
    Serve(ServeArgs),
    /// The client: actions, invoke, activations (the `proxy-client` crate).
    #[command(flatten)]
    Client(proxy_client::cli::Command),
}

/// `proxyctl serve`'s options.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Where the API listens (port 0: any free port; the line `listening on ..` says which).
    #[arg(long, default_value = "127.0.0.1:3233", env = "PROXYCTL_ADDR")]
    pub addr: SocketAddr,
    /// The data directory: the database, the guest's key, the adoption ledger.
    #[arg(long, default_value = ".proxyctl", env = "PROXYCTL_DATA_DIR")]
    pub data_dir: PathBuf,
    /// The memory all containers together may use, in MB (upstream's user memory).
    #[arg(long, default_value_t = 1024)]
    pub memory: u64,
    /// Adopt the warm containers a previous server left, and leave warm containers
    /// for the next one at shutdown.
    #[arg(long)]
    pub adopt: bool,
    /// How long a shutdown lets running activations finish, in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub grace: f64,
    /// Kinds mapped to local images, in upstream's `runtimes.json` form.
    #[arg(long)]
    pub runtimes: Option<PathBuf>,
    /// The static `proxy-runtime` binary the runtime image is built from (default:
    /// `proxy-runtime` beside this executable, else the workspace's release build).
    #[arg(long, env = "PROXY_RUNTIME_BINARY")]
    pub runtime_binary: Option<PathBuf>,
    /// The runtime image to use as it is, instead of building one.
    #[arg(long)]
    pub runtime_image: Option<String>,
    /// Which container backend: `docker`, `process` (the action runtime as a child
    /// process: for machines without a Docker engine; weaker isolation), or `auto`
    /// (Docker when an engine answers, else the process backend, said loudly).
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto, env = "PROXYCTL_BACKEND")]
    pub backend: BackendChoice,
    /// The invoker instance: names and labels this server's containers.
    #[arg(long, default_value = "proxyctl")]
    pub instance: String,
    /// One more label for every container, `key=value` (repeatable).
    #[arg(long = "label", value_parser = parse_label)]
    pub labels: Vec<(String, String)>,
    /// The AES key (base64 of 16, 24 or 32 bytes) of scheme `aes-256`: with it,
    /// parameters are stored locked with `aes-256` (upstream's
    /// `whisk.parameter-storage.aes256`). Keep it: without it, no locked parameter
    /// can be unlocked.
    #[arg(long, env = "PROXYCTL_PARAM_AES256", hide_env_values = true)]
    pub param_key_aes256: Option<String>,
    /// The AES key (base64) of scheme `aes-128`: parameters locked with it can be
    /// unlocked, and, without an `aes-256` key, new ones are locked with it
    /// (upstream's `whisk.parameter-storage.aes128`).
    #[arg(long, env = "PROXYCTL_PARAM_AES128", hide_env_values = true)]
    pub param_key_aes128: Option<String>,
}

impl ServeArgs {
    /// The parameter keys, as configured.
    pub fn parameter_storage(&self) -> proxy_core::container::encryption::ParameterStorageConfig {
        proxy_core::container::encryption::ParameterStorageConfig {
            aes128: self.param_key_aes128.clone(),
            aes256: self.param_key_aes256.clone(),
        }
    }
}

fn parse_label(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{text}` is not key=value"))
}

/// `serve --backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
    /// Docker when an engine answers, else the process backend.
    Auto,
    /// Docker only.
    Docker,
    /// The process backend only.
    Process,
}
