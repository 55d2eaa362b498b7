//! `proxyctl serve`: opens the store, starts the backend and the pool, answers the
//! API, and drains on SIGTERM or Ctrl-C.
//!
//! The drain: new invokes are refused (503) and the listener stops accepting; the
//! pool shuts down with `--grace` for running activations, leaving warm containers
//! for adoption (`--adopt`) or removing them; every run it hands back is stored as a
//! failed activation (a whisk error: [`SHUT_DOWN_BEFORE_RUN`]) so that no caller
//! waits for ever (deviation D46: upstream leaves them to another invoker); the store is flushed and closed; exit 0.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use proxy_core::container::{
    AckKind, Activation, ActivationResponse, ActivationSink, Interval, ProxyConfig, ProxyDeps,
};
use proxy_core::pool::{spawn_pool, AdoptionConfig, PoolConfig, PoolHandle, ShutdownMode};
use proxy_store::doc::Credentials;
use proxy_store::{SqliteStore, Store, StoreError};

use crate::api::{self, exec::Kinds, params::ParameterLock, AppState};
use crate::backend::{self, Backend, BackendError};
use crate::board::Board;
use crate::cli::ServeArgs;
use crate::runtimes::{ManifestError, Runtimes};
use crate::sink::{ServerSink, Waiters};

/// The whisk error of a run the pool handed back at shutdown.
pub const SHUT_DOWN_BEFORE_RUN: &str = "the invoker shut down before the activation ran";

/// The guest key's file in the data directory.
pub const GUEST_KEY_FILE: &str = "guest.key";

/// Why `serve` could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The runtimes manifest.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The backend.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// A parameter key is not base64 of 16, 24 or 32 bytes.
    #[error("{0}: pass --param-key-aes256 (or --param-key-aes128) as the base64 of a 16, 24 or 32-byte key, e.g. `openssl rand -base64 32`")]
    ParameterKey(#[source] proxy_core::container::encryption::EncryptionError),
    /// The guest key could not be written.
    #[error("cannot write the guest key to {path}: {source}")]
    GuestKey {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The address could not be bound or served.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// A signal handler could not be installed.
    #[error("cannot install the signal handler: {0}")]
    Signal(#[source] std::io::Error),
}

/// Runs `serve` to its end: exit 0 after a drain, 1 (with the error and its causes
/// on stderr) if it could not start.
pub fn main(args: ServeArgs) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build();
    let outcome = runtime.map_err(ServeError::Runtime).and_then(|rt| rt.block_on(run(args)));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let mut text = format!("proxyctl serve: {error}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                text.push_str(&format!("\n  caused by: {cause}"));
                source = cause.source();
            }
            eprintln!("{text}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the guest's key to `dir/guest.key`, readable by the owner only. The store
/// keeps only the key's hash and gives the key once, on the start that created the
/// guest: a key printed to a terminal that scrolled away would be lost for good,
/// and scripts (and the client) need it without scraping the server's output.
fn write_guest_key(dir: &Path, credentials: &Credentials) -> Result<PathBuf, ServeError> {
    let path = dir.join(GUEST_KEY_FILE);
    let fail = |source| ServeError::GuestKey { path: path.clone(), source };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .map_err(fail)?;
    writeln!(file, "{}", credentials.auth()).map_err(fail)?;
    Ok(path)
}

/// The signal that starts the drain: SIGTERM or Ctrl-C (SIGINT).
async fn drain_signal() -> Result<(), ServeError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(ServeError::Signal)?;
    let mut int = signal(SignalKind::interrupt()).map_err(ServeError::Signal)?;
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: draining"),
        _ = int.recv() => tracing::info!("interrupt: draining"),
    }
    Ok(())
}

/// Serves until a drain signal, then drains.
pub async fn run(args: ServeArgs) -> Result<(), ServeError> {
    let started = Instant::now();
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|source| ServeError::Listen { addr: args.addr.to_string(), source })?;
    let addr =
        listener.local_addr().map_err(|source| ServeError::Listen { addr: args.addr.to_string(), source })?;
    let signal = tokio::spawn(drain_signal());
    let backend = backend::choose(&args, format!("http://{addr}")).await?;
    let server = Server::start(args, listener, backend).await?;
    tracing::info!(ready_ms = started.elapsed().as_millis() as u64, %addr, "ready");
    let _ = std::io::stdout().flush();
    match signal.await {
        Ok(result) => result?,
        Err(join) => tracing::error!(%join, "the signal task failed; draining"),
    }
    server.drain().await;
    Ok(())
}

/// A started server: the store, the backend, the pool and the API on a listener.
/// [`run`] is one of these between a start and a signal; benchmarks and tests start
/// one in-process, over any [`Backend`].
pub struct Server {
    /// Where the API answers.
    pub addr: std::net::SocketAddr,
    /// What the handlers share.
    pub state: Arc<AppState>,
    args: ServeArgs,
    pool: PoolHandle,
    sink: Arc<ServerSink>,
    backend: Backend,
    store: SqliteStore,
    stop_accepting: tokio::sync::oneshot::Sender<()>,
    http: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Opens the store in `args.data_dir` (writing the guest's key on the first
    /// start), starts the pool on `backend` and answers the API on `listener`.
    pub async fn start(
        args: ServeArgs,
        listener: tokio::net::TcpListener,
        backend: Backend,
    ) -> Result<Server, ServeError> {
        let addr = listener
            .local_addr()
            .map_err(|source| ServeError::Listen { addr: args.addr.to_string(), source })?;
        let runtimes = args.runtimes.as_deref().map(Runtimes::load).transpose()?.unwrap_or_default();
        let opened = SqliteStore::open(&args.data_dir)?;
        let store = opened.store;
        let key_file = args.data_dir.join(GUEST_KEY_FILE);
        if let Some(guest) = &opened.guest {
            let path = write_guest_key(&args.data_dir, guest)?;
            println!("guest key (shown once, also in {}): {}", path.display(), guest.auth());
        } else {
            println!("guest key: in {} (written at the first start)", key_file.display());
        }

        let waiters = Arc::new(Waiters::default());
        let board = Arc::new(Board::default());
        let sink = Arc::new(ServerSink::new(store.clone(), Arc::clone(&waiters), Arc::clone(&board)));
        let params = ParameterLock::new(&args.parameter_storage()).map_err(ServeError::ParameterKey)?;
        if let Some(scheme) = params.scheme() {
            tracing::info!(scheme, "parameters are stored locked");
        }
        let proxy_config = ProxyConfig {
            user_memory_mb: args.memory,
            encryption: Arc::new(params.keys().clone()),
            ..ProxyConfig::default()
        };
        let deps = Arc::new(ProxyDeps::new(Arc::clone(&backend.factory), sink.clone(), proxy_config));
        let adoption = args.adopt.then(|| AdoptionConfig { dir: args.data_dir.join("adoption") });
        let pool = spawn_pool(PoolConfig { adoption, ..PoolConfig::new(args.memory, vec![]) }, deps);
        board.keep_from(&pool);
        let state = Arc::new(AppState {
            store: Arc::new(store.clone()),
            pool: pool.clone(),
            waiters,
            board,
            kinds: Kinds { runtime_image: backend.runtime_image.clone(), runtimes },
            params,
            draining: Default::default(),
        });

        let (stop_accepting, accepting) = tokio::sync::oneshot::channel::<()>();
        // With the peer's address, which the live view's loopback guard checks.
        let app =
            api::router(Arc::clone(&state)).into_make_service_with_connect_info::<std::net::SocketAddr>();
        let http = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = accepting.await;
        });
        let http = tokio::spawn(async move { http.await });
        println!(
            "proxyctl: listening on http://{addr} (backend {}, store {})",
            backend.describe(),
            store.path().display()
        );
        Ok(Server { addr, state, args, pool, sink, backend, store, stop_accepting, http })
    }

    /// The backend it runs containers on.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Drains: refuses new invokes, stops accepting, shuts the pool down (as the
    /// module docs say), waits up to 5 s for open requests, closes the store.
    pub async fn drain(self) {
        self.state.draining.store(true, Ordering::SeqCst);
        let _ = self.stop_accepting.send(());
        drain(&self.args, &self.pool, &self.sink, &self.backend, &self.store).await;
        match tokio::time::timeout(Duration::from_secs(5), self.http).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(source))) => tracing::error!(%source, "the HTTP server ended with an error"),
            Ok(Err(join)) => tracing::error!(%join, "the HTTP server task failed"),
            Err(_) => tracing::warn!("requests still open 5 s after the drain: not waited for"),
        }
        self.store.close().await;
        tracing::info!("stopped");
    }
}

/// The pool's shutdown, the handed-back runs stored as failed, the store flushed,
/// the backend's leftovers removed (unless kept for adoption).
async fn drain(
    args: &ServeArgs,
    pool: &PoolHandle,
    sink: &ServerSink,
    backend: &Backend,
    store: &SqliteStore,
) {
    let grace = Duration::from_secs_f64(args.grace.max(0.0));
    let mode = if args.adopt { ShutdownMode::LeaveWarm } else { ShutdownMode::Remove };
    let report = pool.shutdown(grace, mode).await.unwrap_or_default();
    tracing::info!(
        handed_back = report.handed_back.len(),
        removed = report.removed,
        left = report.left.len(),
        destroy_failed = report.destroy_failed.len(),
        "pool shut down"
    );
    for run in &report.handed_back {
        let now = tokio::time::Instant::now();
        let response = ActivationResponse::whisk_error(SHUT_DOWN_BEFORE_RUN);
        let activation = Activation::new(run, None, Interval::zero(now), false, response);
        // Through the sink, as the proxies report: a waiting caller hears of it.
        sink.ack(AckKind::CombinedCompletionAndResult, &activation, run.msg.blocking).await;
        sink.store(&activation, run.msg.blocking).await;
    }
    if let Err(error) = store.flush().await {
        tracing::error!(%error, "the store's last records could not be flushed");
    }
    backend.shutdown(args.adopt).await;
}
