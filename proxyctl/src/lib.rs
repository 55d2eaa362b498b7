//! `proxyctl`: one binary for a local serverless platform with OpenWhisk's REST API.
//!
//! `proxyctl serve` runs the container pool (proxy-core) over the Docker backend
//! (proxy-docker), stores actions, activations and subjects in the embedded SQLite
//! store (proxy-store), and answers OpenWhisk's REST API v1 for actions, invokes and
//! activations ([`api`]). The store is the pool's activation sink, wrapped by
//! [`sink::ServerSink`], whose acknowledgements wake the blocking requests waiting for
//! them. The board ([`board`]) follows the pool's containers and the activations for
//! the live view at `/` ([`live`]) and [`metrics`], the Prometheus scrape at
//! `GET /metrics` (unauthenticated).

pub mod api;
pub mod backend;
pub mod board;
pub mod cli;
pub mod ids;
pub mod live;
pub mod logging;
pub mod metrics;
pub mod runtimes;
pub mod serve;
pub mod sink;
