//! The crate's one error type. Each variant says what went wrong and, where a person
//! can do something about it, what to do: these texts are what `proxyctl` prints.

use std::path::PathBuf;

/// The hint for a missing key, shared by the error and the docs.
pub(crate) const NO_KEY_HINT: &str =
    "run `proxyctl serve` and pass the guest key it printed with --auth, or set AUTH in ~/.wskprops";

/// What went wrong talking to the API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No key came from the flags, the environment or the properties file.
    #[error("no key for {apihost}: {NO_KEY_HINT}")]
    NoAuth {
        /// The API host the key was wanted for.
        apihost: String,
    },
    /// The key is not of the `uuid:key` form HTTP basic auth carries.
    #[error("the key from {origin} is not of the form `uuid:key` (the form `proxyctl serve` prints)")]
    MalformedAuth {
        /// Where the key came from (`--auth`, `PROXYCTL_AUTH`, a properties file).
        origin: String,
    },
    /// The API host is not a plain `http://host:port` address.
    #[error("the API host `{apihost}` from {origin} is not usable: {reason}")]
    InvalidApiHost {
        /// The host as given.
        apihost: String,
        /// Where it came from.
        origin: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The properties file could not be read.
    #[error("cannot read the properties file {path}")]
    ReadProps {
        /// The file (`~/.wskprops` or `$WSK_CONFIG_FILE`).
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The action's code could not be read.
    #[error("cannot read the action file {path}")]
    ReadActionFile {
        /// The file given on the command line.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// Nothing listens at the API host.
    #[error("cannot connect to {apihost}: is `proxyctl serve` running at {apihost}?")]
    Unreachable {
        /// The API host.
        apihost: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP exchange failed after connecting (the server closed the connection,
    /// or did not speak HTTP/1.1).
    #[error("the HTTP exchange with {apihost} failed")]
    Http {
        /// The API host.
        apihost: String,
        /// hyper's error.
        #[source]
        source: hyper::Error,
    },
    /// The server answered with an error (`{"error": .., "code": ..}`), shown with
    /// its message and what to do about it.
    #[error("{method} {path}: the server answered {status}: {message}{}{}", code_suffix(code), hint_suffix(*status))]
    Api {
        /// The request's method.
        method: String,
        /// The request's path (no query).
        path: String,
        /// The HTTP status.
        status: u16,
        /// The server's `error` (or the body, when it is not an error document).
        message: String,
        /// The server's `code` (upstream's transaction id), if any.
        code: Option<String>,
    },
    /// The server's answer is not JSON of the expected shape.
    #[error("the server's answer to {what} is not what the API describes")]
    Decode {
        /// The request (`GET /api/v1/namespaces/_/actions`).
        what: String,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// `--last` found no activation.
    #[error("there is no activation yet: invoke an action first (`proxyctl invoke NAME`)")]
    NoActivations,
    /// Writing the output failed (a closed pipe).
    #[error("cannot write the output")]
    Output(#[source] std::io::Error),
}

/// The server's `code` (upstream's transaction id, for its logs), as `wsk` shows it.
fn code_suffix(code: &Option<String>) -> String {
    code.as_ref().map(|code| format!(" (code {code})")).unwrap_or_default()
}

/// What to do after an error status, by status.
fn hint_suffix(status: u16) -> &'static str {
    match status {
        401 => "; the key was refused: pass the key `proxyctl serve` printed with --auth, or fix AUTH in ~/.wskprops",
        403 => "; the key may not use that namespace: use `_`, your own",
        404 => "; check the name: `proxyctl action list`, `proxyctl activation list`",
        409 => "; it exists already: use `proxyctl action update` to replace it",
        _ => "",
    }
}

impl ClientError {
    /// The HTTP status of an [`Api`](ClientError::Api) error.
    ///
    /// ```
    /// use proxy_client::ClientError;
    /// assert_eq!(ClientError::NoActivations.status(), None);
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}
