//! Subjects and their `uuid:key` credentials. Only a SHA-256 of each key is stored:
//! keys are 64 random characters (about 381 bits), so a plain hash cannot be reversed,
//! and a stolen database file does not give anyone a key. Keys are compared in
//! constant time. (Deviation D33: upstream keeps keys in the clear.)

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::StoreError;

/// Who a key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The subject's name (`guest`).
    pub subject: String,
    /// Its namespace (what `_` means in its requests).
    pub namespace: String,
    /// The uuid half of its key.
    pub uuid: String,
}

/// A `uuid:key` pair, as HTTP basic auth carries it. `Debug` does not show the key.
///
/// ```
/// let credentials = proxy_store::doc::Credentials::generate().unwrap();
/// assert_eq!(credentials.uuid.len(), 36);
/// assert_eq!(credentials.key().len(), 64);
/// assert!(!format!("{credentials:?}").contains(credentials.key()));
/// assert_eq!(credentials.auth(), format!("{}:{}", credentials.uuid, credentials.key()));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The uuid (8-4-4-4-12 hex digits): not secret, it names the key.
    pub uuid: String,
    key: String,
}

impl Credentials {
    /// A random uuid (version 4) and a random key of 64 letters and digits, the form
    /// of upstream's keys.
    pub fn generate() -> Result<Self, StoreError> {
        let mut bytes = [0u8; 16];
        proxy_core::random::fill(&mut bytes)?;
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let uuid = format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]);
        Ok(Credentials { uuid, key: random_key(64)? })
    }

    /// The secret half.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// `uuid:key`, what a client sends (and `wsk`'s `AUTH`).
    pub fn auth(&self) -> String {
        format!("{}:{}", self.uuid, self.key)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("uuid", &self.uuid).field("key", &"<redacted>").finish()
    }
}

/// `len` characters drawn uniformly from letters and digits. Bytes of 248 and more
/// are dropped rather than folded, so that no character is likelier than another
/// (248 = 4 * 62).
fn random_key(len: usize) -> Result<String, StoreError> {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut key = String::with_capacity(len);
    let mut bytes = [0u8; 64];
    while key.len() < len {
        proxy_core::random::fill(&mut bytes)?;
        for &b in bytes.iter().filter(|&&b| b < 248) {
            if key.len() < len {
                key.push(char::from(ALPHABET[usize::from(b % 62)]));
            }
        }
    }
    Ok(key)
}

/// The hash kept for `key`.
pub(crate) fn key_hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Whether `key` hashes to `stored`, in time that does not depend on where they differ.
/// A stored hash of the wrong length (a damaged row) matches nothing.
pub(crate) fn key_matches(stored: &[u8], key: &str) -> bool {
    let presented = key_hash(key);
    stored.len() == presented.len() && bool::from(stored.ct_eq(&presented))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_matches_its_hash_only() {
        let credentials = Credentials::generate().unwrap();
        let stored = key_hash(credentials.key());
        assert!(key_matches(&stored, credentials.key()));
        assert!(!key_matches(&stored, &credentials.key()[1..]));
        assert!(!key_matches(&stored[..31], credentials.key()));
        assert!(!key_matches(&stored, ""));
    }

    #[test]
    fn keys_use_the_whole_alphabet_and_differ() {
        let a = random_key(4096).unwrap();
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        // 4096 draws from 62 characters: every one appears (a miss has odds below 1e-25).
        let distinct: std::collections::BTreeSet<u8> = a.bytes().collect();
        assert_eq!(distinct.len(), 62);
        assert_ne!(random_key(64).unwrap(), random_key(64).unwrap());
    }
}
