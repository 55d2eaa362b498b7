//! The live view answers loopback clients only: it has no authentication (a page a
//! browser opens should not need the API key) and shows the pool's containers, the
//! actions they run and activation ids, which are the namespace's business.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What a client from elsewhere is told.
pub const NOT_LOOPBACK: &str =
    "the live view is served to loopback clients only (it has no authentication); \
     from another machine, forward a port: ssh -L 3233:127.0.0.1:3233 <server>\n";

/// Whether `ip` is this machine's loopback, IPv4-mapped IPv6 included.
///
/// ```
/// use proxyctl::live::guard::is_loopback;
/// assert!(is_loopback("127.0.0.1".parse().unwrap()));
/// assert!(is_loopback("::ffff:127.0.0.2".parse().unwrap()));
/// assert!(!is_loopback("192.0.2.7".parse().unwrap()));
/// ```
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// Passes requests from loopback peers on; answers any other with 403. A request
/// without a peer address (a router served without connect info) is refused too:
/// the guard fails closed.
pub async fn loopback_only(request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
    match peer {
        Some(peer) if is_loopback(peer.ip()) => next.run(request).await,
        _ => (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], NOT_LOOPBACK)
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn only_loopback_addresses_pass() {
        for ip in ["127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["0.0.0.0", "10.0.0.1", "192.168.1.2", "::", "fe80::1", "::ffff:10.0.0.1", "2001:db8::1"] {
            assert!(!is_loopback(ip.parse().unwrap()), "{ip}");
        }
    }
}
