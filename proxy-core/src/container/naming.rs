//! Container names: unique across the processes and hosts that share an engine.
//!
//! Upstream names a container `wsk{instance}_{counter}_{prefix}_{suffix}`, with a
//! counter per invoker process that starts at 0 on every start. Two invokers of one
//! instance (a restart racing the old process's cleanup, two test suites at once, two
//! hosts sharing an engine) then ask for the same names and the engine answers 409.
//! Deviation from upstream: the name here starts with a random per-process nonce
//! instead, and the instance is the backend's business (the Docker backend prefixes
//! its own, the one instance setting there is), so proxy-core has no instance setting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Names every container of the process uniquely (upstream's `globalCounter`).
static CONTAINER_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The length of [`nonce`] in hex digits.
pub const NONCE_LEN: usize = 8;

/// This process's nonce: [`NONCE_LEN`] lowercase hex digits, drawn once. It comes from
/// the operating system's random source ([`crate::random`]); where that fails, from
/// std's randomly seeded hasher over the process id and the time, which still
/// differs between processes (a name need not be secret, only unique).
pub fn nonce() -> &'static str {
    static NONCE: OnceLock<String> = OnceLock::new();
    NONCE.get_or_init(|| {
        let value = random_u32().unwrap_or_else(hashed_u32);
        format!("{value:0width$x}", width = NONCE_LEN)
    })
}

fn random_u32() -> Option<u32> {
    let mut bytes = [0u8; 4];
    crate::random::fill(&mut bytes).ok()?;
    Some(u32::from_le_bytes(bytes))
}

fn hashed_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    hasher.write_u128(now.as_nanos());
    hasher.finish() as u32
}

/// `3fa94c1e_12_prewarm_nodejs20`: this process's [`nonce`], a counter, and two parts
/// with only ASCII letters, digits and `_` kept. Every call gives a new name.
///
/// ```
/// use proxy_core::container::naming::{container_name, nonce};
///
/// let name = container_name("guest", "hello-world");
/// assert!(name.starts_with(&format!("{}_", nonce())));
/// assert!(name.ends_with("_guest_helloworld"));
/// ```
pub fn container_name(prefix: &str, suffix: &str) -> String {
    let clean = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
    let n = CONTAINER_COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}_{n}_{}_{}", nonce(), clean(prefix), clean(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_one_process_differ_and_all_carry_the_nonce() {
        let a = container_name("prewarm", "nodejs20");
        let b = container_name("prewarm", "nodejs20");
        assert_ne!(a, b);
        for name in [&a, &b] {
            assert!(name.starts_with(&format!("{}_", nonce())), "{name}");
            assert!(name.ends_with("_prewarm_nodejs20"), "{name}");
        }
    }

    #[test]
    fn the_nonce_is_hex_of_fixed_length_and_stable() {
        let nonce = nonce();
        assert_eq!(nonce.len(), NONCE_LEN);
        assert!(nonce.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{nonce}");
        assert_eq!(nonce, super::nonce(), "drawn once per process");
    }

    #[test]
    fn only_letters_digits_and_underscores_are_kept() {
        let name = container_name("guest.ns/a b", "hello-world@1.0_x");
        let rest = name.strip_prefix(&format!("{}_", nonce())).unwrap();
        let (counter, parts) = rest.split_once('_').unwrap();
        assert!(counter.parse::<u64>().is_ok(), "{name}");
        assert_eq!(parts, "guestnsab_helloworld10_x");
    }

    #[test]
    fn the_fallback_differs_between_draws() {
        // The fallback's hasher is seeded randomly each time, as two processes' are.
        let draws: std::collections::HashSet<u32> = (0..8).map(|_| hashed_u32()).collect();
        assert!(draws.len() > 1, "{draws:?}");
    }
}
