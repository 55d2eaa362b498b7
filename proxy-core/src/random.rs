//! The operating system's random bytes, the one source for every name and token
//! that must not be guessed or repeated (a process's naming nonce, a container's
//! runtime token). Parameter encryption draws its IVs from the same source, through
//! `aes-gcm`'s `OsRng`.

/// The operating system gave no random bytes.
#[derive(Debug, thiserror::Error)]
#[error("the operating system gave no random bytes (getrandom failed): {0}")]
pub struct NoRandomness(#[source] getrandom::Error);

/// Fills `bytes` from the operating system's random source.
pub fn fill(bytes: &mut [u8]) -> Result<(), NoRandomness> {
    getrandom::getrandom(bytes).map_err(NoRandomness)
}

/// `len` random bytes as `2 * len` lowercase hex digits.
///
/// ```
/// let token = proxy_core::random::hex(16).unwrap();
/// assert_eq!(token.len(), 32);
/// assert!(token.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
/// ```
pub fn hex(len: usize) -> Result<String, NoRandomness> {
    let mut bytes = vec![0u8; len];
    fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_draws_differ() {
        // 128 bits: a collision here means the source is broken, not bad luck.
        assert_ne!(hex(16).unwrap(), hex(16).unwrap());
    }
}
