//! Random identifiers: activation ids and transaction ids, 32 lowercase hex digits
//! (upstream's `ActivationId` form).

use proxy_core::random::{fill, NoRandomness};

/// 32 random hex digits (128 bits).
///
/// ```
/// let id = proxyctl::ids::hex_id().unwrap();
/// assert_eq!(id.len(), 32);
/// assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
/// ```
pub fn hex_id() -> Result<String, NoRandomness> {
    let mut bytes = [0u8; 16];
    fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
