//! The client half of `proxyctl`: calls of OpenWhisk's REST API v1 for actions,
//! invocations and activations, and the clap subcommands that make them.
//!
//! - [`Client`]: one method per request (upstream's paths, queries and bodies),
//!   each returning the server's [`Reply`] unchanged; error statuses become
//!   [`ClientError::Api`] with the server's `error` and `code`.
//! - [`cli`]: `action create|update|get|list|delete`, `invoke`, `activation
//!   list|get|logs|result`, for the `proxyctl` binary to flatten into its own
//!   subcommands, and [`cli::run`] to run one. Human output by default, in the `wsk`
//!   CLI's forms; `--json` prints the server's JSON as it came.
//! - [`config`]: the API host and key from the flags, then `PROXYCTL_APIHOST` /
//!   `PROXYCTL_AUTH`, then `wsk`'s own `WHISK_APIHOST` / `WHISK_AUTH`, then `wsk`'s
//!   properties file (`$WSK_CONFIG_FILE` or `~/.wskprops`: `APIHOST`, `AUTH`), then
//!   `http://127.0.0.1:3233` with no key.
//!
//! The documents come back in [`proxy_store::doc`]'s types, the server's own.
//!
//! Transport: plain HTTP/1.1 on hyper 1, a connection per request, HTTP basic auth
//! with the `uuid:key` key. No TLS: the client is for a `proxyctl serve` on this
//! machine, and refuses `https://` rather than send the key in the clear where TLS
//! was asked for (see [`config::ApiHost`]).
//!
//! ```no_run
//! # async fn example() -> Result<(), proxy_client::ClientError> {
//! use proxy_client::config::{Config, Sources};
//! use proxy_client::{Client, EntityName};
//! let config = Config::resolve(None, None, &Sources::from_process())?;
//! let client = Client::new(&config)?;
//! let reply = client.get_action(&EntityName::parse("hello")).await?;
//! let action: proxy_store::doc::ActionDoc = reply.json()?;
//! println!("{} runs {}", action.name, action.exec.kind);
//! # Ok(()) }
//! ```

pub mod cli;
mod client;
pub mod config;
mod error;
mod http;
mod name;
mod render;
pub mod request;

pub use client::{ActivationFilter, Client, InvokeOptions, Page};
pub use error::ClientError;
pub use http::Reply;
pub use name::{EntityName, OWN_NAMESPACE};
