//! The API host: a plain-HTTP `host:port`.
//!
//! The client speaks plain HTTP only: it is meant for a `proxyctl serve` on this
//! machine (loopback), and carries no TLS stack. `https://` is refused with that
//! said, rather than sent in the clear. A host given without a scheme is taken as
//! `http://` (deviation D50: the `wsk` CLI takes it as `https://`; with no TLS here,
//! the only useful reading is plain HTTP). Note that HTTP basic auth over plain HTTP to a
//! host that is not this machine shows the key to the network.

use std::fmt;

/// The host `proxyctl serve` listens on by default (the port of OpenWhisk's
/// standalone mode).
pub const DEFAULT_APIHOST: &str = "http://127.0.0.1:3233";

/// A parsed API host.
///
/// ```
/// use proxy_client::config::ApiHost;
/// let host = ApiHost::parse("localhost:3233/").unwrap();
/// assert_eq!(host.url(), "http://localhost:3233");
/// assert_eq!((host.authority(), host.connect_addr().as_str()), ("localhost:3233", "localhost:3233"));
/// assert_eq!(ApiHost::parse("http://example").unwrap().connect_addr(), "example:80");
/// assert!(ApiHost::parse("https://example:443").is_err());
/// assert!(ApiHost::parse("http://h:port").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiHost {
    authority: String,
    has_port: bool,
}

impl ApiHost {
    /// `text` as an API host, or why it is not one.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let text = text.trim().trim_end_matches('/');
        let rest = if let Some(rest) = text.strip_prefix("http://") {
            rest
        } else if text.starts_with("https://") {
            return Err("this client speaks plain HTTP only, to a local `proxyctl serve`: use http://");
        } else if text.contains("://") {
            return Err("the scheme must be http://");
        } else {
            text
        };
        if rest.is_empty() {
            return Err("no host is given");
        }
        if rest.contains('/') {
            return Err("give only http://host:port, without a path");
        }
        let port = match rest.strip_prefix('[') {
            Some(bracketed) => match bracketed.split_once(']') {
                Some((_, "")) => None,
                Some((_, after)) => Some(after.strip_prefix(':').ok_or("a `:` must follow `]`")?),
                None => return Err("an IPv6 address needs its closing `]`"),
            },
            None => rest.rsplit_once(':').map(|(_, port)| port),
        };
        if let Some(port) = port {
            port.parse::<u16>().map_err(|_| "the port is not a number from 0 to 65535")?;
        }
        Ok(ApiHost { authority: rest.to_string(), has_port: port.is_some() })
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.authority)
    }

    /// `host:port` as given (for the `Host` header).
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// `host:port` to connect to: the HTTP port when none is given.
    pub fn connect_addr(&self) -> String {
        if self.has_port {
            self.authority.clone()
        } else {
            format!("{}:80", self.authority)
        }
    }
}

impl fmt::Display for ApiHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}", self.authority)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_wsk_users_write() {
        for (text, authority) in [
            ("http://127.0.0.1:3233", "127.0.0.1:3233"),
            ("127.0.0.1:3233", "127.0.0.1:3233"),
            ("http://localhost:3233/", "localhost:3233"),
            ("http://[::1]:3233", "[::1]:3233"),
            ("[::1]", "[::1]"),
        ] {
            assert_eq!(ApiHost::parse(text).unwrap().authority(), authority, "{text}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_speak_or_parse() {
        for text in ["https://h:1", "ftp://h", "", "http://", "http://h:1/api", "h:99999", "[::1", "[::1]x"] {
            assert!(ApiHost::parse(text).is_err(), "{text}");
        }
    }
}
