//! Where the API host and the key come from: the flags, then the environment, then
//! the `wsk` CLI's properties file, then the default host with no key.
//!
//! The environment is `PROXYCTL_APIHOST`/`PROXYCTL_AUTH`, then the `wsk` CLI's own
//! `WHISK_APIHOST`/`WHISK_AUTH` (openwhisk-cli's `loadProperties`, where they too
//! override the file). The file is `$WSK_CONFIG_FILE` when set, else `~/.wskprops`,
//! as `wsk` looks for it. Empty values count as unset, as in `wsk`.
//!
//! The sources are passed in as a [`Sources`] value rather than read here, so that
//! tests give each case its own environment and home without touching the process's.

mod apihost;
mod wskprops;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use apihost::{ApiHost, DEFAULT_APIHOST};
pub use wskprops::WskProps;

use crate::ClientError;

/// The environment variables the client reads, in the order they are consulted.
pub const ENV_VARS: [&str; 5] =
    ["PROXYCTL_APIHOST", "PROXYCTL_AUTH", "WHISK_APIHOST", "WHISK_AUTH", "WSK_CONFIG_FILE"];

/// What the configuration is read from besides the flags.
///
/// ```
/// use proxy_client::config::Sources;
/// let sources = Sources::default().with_env("PROXYCTL_AUTH", "u:k");
/// assert_eq!(sources.env.get("PROXYCTL_AUTH").map(String::as_str), Some("u:k"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The environment variables of [`ENV_VARS`] that are set.
    pub env: BTreeMap<String, String>,
    /// The home directory (for `~/.wskprops`), if known.
    pub home: Option<PathBuf>,
}

impl Sources {
    /// The process's environment and `$HOME`.
    pub fn from_process() -> Self {
        let env = ENV_VARS
            .iter()
            .filter_map(|name| std::env::var(name).ok().map(|value| (name.to_string(), value)))
            .collect();
        Sources { env, home: std::env::var_os("HOME").map(PathBuf::from) }
    }

    /// The same sources with `name` set to `value`.
    pub fn with_env(mut self, name: &str, value: &str) -> Self {
        self.env.insert(name.to_string(), value.to_string());
        self
    }

    /// The same sources with `home` as the home directory.
    pub fn with_home(mut self, home: &Path) -> Self {
        self.home = Some(home.to_path_buf());
        self
    }

    /// The non-empty value of `name`.
    fn var(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(String::as_str).filter(|value| !value.is_empty())
    }

    /// The properties file to read, and whether it was named explicitly (then a
    /// missing file is an error, not an absent source).
    fn props_path(&self) -> Option<(PathBuf, bool)> {
        match self.var("WSK_CONFIG_FILE") {
            Some(path) => Some((PathBuf::from(path), true)),
            None => self.home.as_ref().map(|home| (home.join(".wskprops"), false)),
        }
    }
}

/// Where a setting came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag (`--apihost`, `--auth`).
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// A properties file.
    File(PathBuf),
    /// Nothing set it.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(flag) => write!(f, "{flag}"),
            Origin::Env(name) => write!(f, "${name}"),
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Default => f.write_str("the default"),
        }
    }
}

/// A key and where it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    /// `uuid:key`.
    pub value: String,
    /// Where it came from.
    pub origin: Origin,
}

impl fmt::Debug for Key {
    // The key is a secret: a debug print of a config must not show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key").field("value", &"<redacted>").field("origin", &self.origin).finish()
    }
}

/// The resolved configuration.
///
/// ```
/// use proxy_client::config::{Config, Origin, Sources};
/// let sources = Sources::default().with_env("PROXYCTL_APIHOST", "127.0.0.1:9000").with_env("WHISK_AUTH", "u:k");
/// let config = Config::resolve(None, None, &sources).unwrap();
/// assert_eq!(config.apihost.url(), "http://127.0.0.1:9000");
/// assert_eq!(config.apihost_origin, Origin::Env("PROXYCTL_APIHOST"));
/// assert_eq!(config.auth.unwrap().origin, Origin::Env("WHISK_AUTH"));
///
/// let flags = Config::resolve(Some("http://[::1]:1"), Some("a:b"), &sources).unwrap();
/// assert_eq!((flags.apihost.authority(), flags.apihost_origin), ("[::1]:1", Origin::Flag("--apihost")));
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// The API host.
    pub apihost: ApiHost,
    /// Where it came from.
    pub apihost_origin: Origin,
    /// The key, if any source set one.
    pub auth: Option<Key>,
}

impl Config {
    /// The configuration from the flags' `apihost` and `auth`, then `sources`.
    pub fn resolve(
        apihost: Option<&str>,
        auth: Option<&str>,
        sources: &Sources,
    ) -> Result<Self, ClientError> {
        let props = read_props(sources)?;
        let from_file = |key: &str| {
            props.as_ref().and_then(|(path, props)| {
                props.get(key).map(|value| (value.to_string(), Origin::File(path.clone())))
            })
        };
        let pick = |flag: Option<&str>, flag_name, env: [&'static str; 2], file_key: &str| {
            flag.filter(|value| !value.is_empty())
                .map(|value| (value.to_string(), Origin::Flag(flag_name)))
                .or_else(|| {
                    env.into_iter()
                        .find_map(|name| sources.var(name).map(|v| (v.to_string(), Origin::Env(name))))
                })
                .or_else(|| from_file(file_key))
        };
        let (host, apihost_origin) =
            pick(apihost, "--apihost", ["PROXYCTL_APIHOST", "WHISK_APIHOST"], "APIHOST")
                .unwrap_or_else(|| (DEFAULT_APIHOST.to_string(), Origin::Default));
        let apihost = ApiHost::parse(&host).map_err(|reason| ClientError::InvalidApiHost {
            apihost: host.clone(),
            origin: apihost_origin.to_string(),
            reason,
        })?;
        let auth = pick(auth, "--auth", ["PROXYCTL_AUTH", "WHISK_AUTH"], "AUTH")
            .map(|(value, origin)| Key { value, origin });
        Ok(Config { apihost, apihost_origin, auth })
    }
}

/// The properties file and its contents: `None` when there is none to read (no home,
/// or no `~/.wskprops`); an error when it cannot be read, or when `$WSK_CONFIG_FILE`
/// names a file that does not exist (a typo there should not fall back silently).
fn read_props(sources: &Sources) -> Result<Option<(PathBuf, WskProps)>, ClientError> {
    let Some((path, explicit)) = sources.props_path() else {
        return Ok(None);
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some((path, WskProps::parse(&text)))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && !explicit => Ok(None),
        Err(source) => Err(ClientError::ReadProps { path, source }),
    }
}
