//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default `info`), as text or,
//! with `--log-json`, one JSON object a line.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. A second call (tests) keeps the first.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let installed = if json { builder.json().try_init() } else { builder.try_init() };
    // Already installed: the first subscriber stays, which is what a second call wants.
    let _ = installed;
}
