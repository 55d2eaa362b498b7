//! Parameters encrypted at rest (upstream's `ParameterEncryption`): the controller
//! stores an action's parameters locked, the activation message's
//! [`locked_args`](super::ActivationMessage::locked_args) names the scheme of each
//! locked one, and the proxy unlocks them before `/init` and `/run`.
//!
//! # Wire format (upstream's, so values locked by an upstream controller open here)
//!
//! A locked value is a JSON string: the standard base64 (padding optional on
//! reading, as Java's decoder) of
//!
//! ```text
//! [IV length: 4 bytes, big-endian] [IV] [AES-GCM ciphertext, then its 16-byte tag]
//! ```
//!
//! where the plaintext is the parameter's value printed as compact JSON, in UTF-8.
//! The scheme fixes the IV length: 12 bytes for `aes-128`, 128 bytes for `aes-256`
//! (upstream's choice; GCM hashes an IV that is not 12 bytes long). The key is
//! configured as base64, as upstream's `whisk.parameter-storage.aes128` and
//! `.aes256`; its length picks the AES variant (16, 24 or 32 bytes), whatever the
//! scheme's name says, as Java's `SecretKeySpec` does, so that every value an
//! upstream deployment locked can be unlocked with its configuration.
//!
//! # What is not here
//!
//! - CBC: upstream defines no CBC scheme (only `noop`, `aes-128` and `aes-256`, all
//!   GCM), so there is no wire format to be compatible with; none is invented.
//! - Upstream's `current` (the scheme a controller locks new parameters with): that
//!   is the API server's choice; [`ParameterEncryption::encrypt`] takes the scheme.
//!
//! # Deviations from upstream, on purpose
//!
//! - An unknown scheme, or a known one without a key, is an error
//!   ([`EncryptionError::UnknownScheme`], [`EncryptionError::NoKey`]); upstream's
//!   `encryptor` falls back to `noop` and passes the ciphertext to the action.
//! - A locked parameter whose value is not a string is malformed
//!   ([`EncryptionError::Malformed`]); upstream passes it on untouched.
//! - A wrong key or a tampered value fails the activation (see `unlock_arguments` in
//!   [`args`](super::args)); upstream throws inside the actor.

use std::fmt;

use aes_gcm::aead::consts::{U12, U128};
use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::aes::{Aes128, Aes192, Aes256};
use aes_gcm::{AesGcm, Nonce};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine};
use serde_json::Value;

/// Upstream's name for "not encrypted": a value locked with it is the plain value.
pub const NO_ENCRYPTION: &str = "noop";
/// AES-GCM with a 12-byte IV.
pub const AES_128: &str = "aes-128";
/// AES-GCM with a 128-byte IV.
pub const AES_256: &str = "aes-256";

/// GCM's tag, appended to the ciphertext (upstream's `tLen = 128` bits).
const TAG_LEN: usize = 16;

/// Standard base64 that accepts a value with or without its padding, as Java's
/// `Base64.getDecoder` does; writes the padding, as Java's encoder.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a parameter could not be locked or unlocked, or a key not configured. No
/// message holds a parameter's value, plain or locked, nor a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncryptionError {
    /// The scheme is none this invoker knows (`noop`, `aes-128`, `aes-256`).
    #[error("parameter `{parameter}` is locked with the unknown scheme `{scheme}`")]
    UnknownScheme {
        /// The parameter.
        parameter: String,
        /// The scheme the activation message names.
        scheme: String,
    },
    /// The scheme is known but this invoker has no key for it.
    #[error(
        "parameter `{parameter}` is locked with `{scheme}` but no key is configured for it \
         (set `ParameterStorageConfig::{config}`, upstream's `whisk.parameter-storage.{config}`)"
    )]
    NoKey {
        /// The parameter.
        parameter: String,
        /// The scheme.
        scheme: &'static str,
        /// The configuration field that holds the scheme's key.
        config: &'static str,
    },
    /// The value does not authenticate: a wrong key, or a tampered value.
    #[error("parameter `{parameter}` does not decrypt with the `{scheme}` key: wrong key or tampered value")]
    Authentication {
        /// The parameter.
        parameter: String,
        /// The scheme.
        scheme: &'static str,
        /// The cipher's error (which says nothing more, by design).
        #[source]
        source: aes_gcm::Error,
    },
    /// The locked value is not in the wire format, or its plaintext is not JSON.
    #[error("parameter `{parameter}` locked with `{scheme}` is malformed: {reason}")]
    Malformed {
        /// The parameter.
        parameter: String,
        /// The scheme.
        scheme: String,
        /// What is wrong, without the value.
        reason: &'static str,
        /// The decoder's error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A configured key is not base64, or not 16, 24 or 32 bytes long.
    #[error("the `{config}` key is invalid: {reason}")]
    InvalidKey {
        /// The configuration field.
        config: &'static str,
        /// What is wrong, without the key.
        reason: String,
        /// The base64 decoder's error, when there is one.
        #[source]
        source: Option<base64::DecodeError>,
    },
}

/// The keys as configured, base64 (upstream's `ParameterStorageConfig`, without
/// `current`: see the module's docs). Its `Debug` does not show the keys.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ParameterStorageConfig {
    /// The key of `aes-128` (upstream's `whisk.parameter-storage.aes128`).
    pub aes128: Option<String>,
    /// The key of `aes-256` (upstream's `whisk.parameter-storage.aes256`).
    pub aes256: Option<String>,
}

impl fmt::Debug for ParameterStorageConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParameterStorageConfig")
            .field("aes128", &self.aes128.as_ref().map(|_| "<redacted>"))
            .field("aes256", &self.aes256.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// An AES key; its length picks the AES variant.
#[derive(Clone, PartialEq, Eq)]
enum AesKey {
    K128([u8; 16]),
    K192([u8; 24]),
    K256([u8; 32]),
}

impl AesKey {
    fn from_base64(config: &'static str, text: &str) -> Result<Self, EncryptionError> {
        let invalid = |reason: String, source| EncryptionError::InvalidKey { config, reason, source };
        let bytes = BASE64.decode(text).map_err(|e| invalid("not base64".into(), Some(e)))?;
        Self::from_bytes(&bytes)
            .ok_or_else(|| invalid(format!("{} bytes long; AES takes 16, 24 or 32", bytes.len()), None))
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        Some(match bytes.len() {
            16 => AesKey::K128(bytes.try_into().ok()?),
            24 => AesKey::K192(bytes.try_into().ok()?),
            32 => AesKey::K256(bytes.try_into().ok()?),
            _ => return None,
        })
    }
}

/// The schemes that encrypt, and what each one fixes.
#[derive(Clone, Copy)]
enum Scheme {
    Aes128,
    Aes256,
}

impl Scheme {
    fn name(self) -> &'static str {
        match self {
            Scheme::Aes128 => AES_128,
            Scheme::Aes256 => AES_256,
        }
    }

    fn config(self) -> &'static str {
        match self {
            Scheme::Aes128 => "aes128",
            Scheme::Aes256 => "aes256",
        }
    }

    fn iv_len(self) -> usize {
        match self {
            Scheme::Aes128 => 12,
            Scheme::Aes256 => 128,
        }
    }
}

/// What a scheme name resolves to.
enum Resolved<'a> {
    Plain,
    Keyed(Scheme, &'a AesKey),
}

/// The keys of the schemes an invoker unlocks parameters with. `Default` has none:
/// every locked parameter then fails with [`EncryptionError::NoKey`], never reaching
/// the action locked. Its `Debug` says which schemes have a key, not the keys.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ParameterEncryption {
    aes_128: Option<AesKey>,
    aes_256: Option<AesKey>,
}

impl fmt::Debug for ParameterEncryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParameterEncryption")
            .field("aes-128", &self.aes_128.is_some())
            .field("aes-256", &self.aes_256.is_some())
            .finish()
    }
}

impl ParameterEncryption {
    /// The keys of `config`, checked: each must be base64 of 16, 24 or 32 bytes.
    ///
    /// ```
    /// use proxy_core::container::encryption::{ParameterEncryption, ParameterStorageConfig};
    /// let config = ParameterStorageConfig { aes128: Some("ra1V6AfOYAv0jCzEdufIFA==".into()), aes256: None };
    /// let keys = ParameterEncryption::from_config(&config).unwrap();
    /// let locked = keys.encrypt("password", &"hunter2".into(), "aes-128").unwrap();
    /// assert_eq!(keys.decrypt("password", &locked, "aes-128").unwrap(), "hunter2");
    /// ```
    pub fn from_config(config: &ParameterStorageConfig) -> Result<Self, EncryptionError> {
        let key = |field: &'static str, text: &Option<String>| {
            text.as_deref().map(|text| AesKey::from_base64(field, text)).transpose()
        };
        Ok(ParameterEncryption {
            aes_128: key(Scheme::Aes128.config(), &config.aes128)?,
            aes_256: key(Scheme::Aes256.config(), &config.aes256)?,
        })
    }

    /// Whether `scheme` names a scheme this invoker can unlock (`noop` always).
    pub fn can_unlock(&self, scheme: &str) -> bool {
        self.resolve("", scheme).is_ok()
    }

    fn resolve(&self, parameter: &str, scheme: &str) -> Result<Resolved<'_>, EncryptionError> {
        let (scheme, key) = match scheme {
            NO_ENCRYPTION => return Ok(Resolved::Plain),
            AES_128 => (Scheme::Aes128, &self.aes_128),
            AES_256 => (Scheme::Aes256, &self.aes_256),
            other => {
                return Err(EncryptionError::UnknownScheme {
                    parameter: parameter.into(),
                    scheme: other.into(),
                })
            }
        };
        match key {
            Some(key) => Ok(Resolved::Keyed(scheme, key)),
            None => Err(EncryptionError::NoKey {
                parameter: parameter.into(),
                scheme: scheme.name(),
                config: scheme.config(),
            }),
        }
    }

    /// Unlocks parameter `name`'s `value`, locked with `scheme`: the value it had
    /// before it was locked. With `noop`, `value` itself.
    pub fn decrypt(&self, name: &str, value: &Value, scheme: &str) -> Result<Value, EncryptionError> {
        let (scheme, key) = match self.resolve(name, scheme)? {
            Resolved::Plain => return Ok(value.clone()),
            Resolved::Keyed(scheme, key) => (scheme, key),
        };
        let malformed = |reason, source| EncryptionError::Malformed {
            parameter: name.into(),
            scheme: scheme.name().into(),
            reason,
            source,
        };
        let Value::String(text) = value else {
            return Err(malformed("not a string", None));
        };
        let bytes = BASE64.decode(text).map_err(|e| malformed("not base64", Some(Box::new(e))))?;
        let (length, rest) = bytes.split_first_chunk::<4>().ok_or_else(|| malformed("too short", None))?;
        if usize::try_from(u32::from_be_bytes(*length)).ok() != Some(scheme.iv_len()) {
            return Err(malformed("its IV length is not the scheme's", None));
        }
        if rest.len() < scheme.iv_len() + TAG_LEN {
            return Err(malformed("too short", None));
        }
        let (iv, sealed) = rest.split_at(scheme.iv_len());
        let plain = open(scheme, key, iv, sealed).map_err(|source| EncryptionError::Authentication {
            parameter: name.into(),
            scheme: scheme.name(),
            source,
        })?;
        // The cipher authenticated it: only a locker that did not print JSON gets here.
        serde_json::from_slice(&plain).map_err(|e| malformed("its plaintext is not JSON", Some(Box::new(e))))
    }

    /// Locks parameter `name`'s `value` with `scheme` and a random IV, in the wire
    /// format. With `noop`, `value` itself. For tests, and for an API server to come.
    pub fn encrypt(&self, name: &str, value: &Value, scheme: &str) -> Result<Value, EncryptionError> {
        let (scheme, key) = match self.resolve(name, scheme)? {
            Resolved::Plain => return Ok(value.clone()),
            Resolved::Keyed(scheme, key) => (scheme, key),
        };
        let plain = value.to_string();
        let (iv, sealed) = seal(scheme, key, plain.as_bytes());
        let iv_len = u32::try_from(iv.len()).expect("a scheme's IV is short");
        let mut message = Vec::with_capacity(4 + iv.len() + sealed.len());
        message.extend_from_slice(&iv_len.to_be_bytes());
        message.extend_from_slice(&iv);
        message.extend_from_slice(&sealed);
        Ok(Value::String(BASE64.encode(message)))
    }
}

/// Decrypts and authenticates `sealed` (ciphertext and tag) with the scheme's IV
/// length and the key's AES variant.
fn open(scheme: Scheme, key: &AesKey, iv: &[u8], sealed: &[u8]) -> Result<Vec<u8>, aes_gcm::Error> {
    fn with<C: KeyInit + Aead>(key: &[u8], iv: &[u8], sealed: &[u8]) -> Result<Vec<u8>, aes_gcm::Error> {
        let cipher = C::new_from_slice(key).map_err(|_| aes_gcm::Error)?;
        // The caller checked the IV's length against the scheme's.
        cipher.decrypt(Nonce::<C::NonceSize>::from_slice(iv), sealed)
    }
    match (scheme, key) {
        (Scheme::Aes128, AesKey::K128(k)) => with::<AesGcm<Aes128, U12>>(k, iv, sealed),
        (Scheme::Aes128, AesKey::K192(k)) => with::<AesGcm<Aes192, U12>>(k, iv, sealed),
        (Scheme::Aes128, AesKey::K256(k)) => with::<AesGcm<Aes256, U12>>(k, iv, sealed),
        (Scheme::Aes256, AesKey::K128(k)) => with::<AesGcm<Aes128, U128>>(k, iv, sealed),
        (Scheme::Aes256, AesKey::K192(k)) => with::<AesGcm<Aes192, U128>>(k, iv, sealed),
        (Scheme::Aes256, AesKey::K256(k)) => with::<AesGcm<Aes256, U128>>(k, iv, sealed),
    }
}

/// Encrypts `plain` under a fresh random IV: the IV, and the ciphertext with its tag.
fn seal(scheme: Scheme, key: &AesKey, plain: &[u8]) -> (Vec<u8>, Vec<u8>) {
    fn with<C: KeyInit + Aead>(key: &[u8], plain: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let cipher = C::new_from_slice(key).expect("the key's length picked the cipher");
        let iv = C::generate_nonce(&mut OsRng);
        let sealed = cipher.encrypt(&iv, plain).expect("AES-GCM seals any parameter-sized value");
        (iv.to_vec(), sealed)
    }
    match (scheme, key) {
        (Scheme::Aes128, AesKey::K128(k)) => with::<AesGcm<Aes128, U12>>(k, plain),
        (Scheme::Aes128, AesKey::K192(k)) => with::<AesGcm<Aes192, U12>>(k, plain),
        (Scheme::Aes128, AesKey::K256(k)) => with::<AesGcm<Aes256, U12>>(k, plain),
        (Scheme::Aes256, AesKey::K128(k)) => with::<AesGcm<Aes128, U128>>(k, plain),
        (Scheme::Aes256, AesKey::K192(k)) => with::<AesGcm<Aes192, U128>>(k, plain),
        (Scheme::Aes256, AesKey::K256(k)) => with::<AesGcm<Aes256, U128>>(k, plain),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The keys of upstream's `ParameterEncryptionTests`.
    const K128: &str = "ra1V6AfOYAv0jCzEdufIFA==";
    const K256: &str = "j5rLzhtxwzPyUVUy8/p8XJmBoKeDoSzNJP1SITJEY9E=";
    /// Another 16-byte key, for the wrong-key cases.
    const OTHER_K128: &str = "AAECAwQFBgcICQoLDA0ODw==";

    fn keys(aes128: Option<&str>, aes256: Option<&str>) -> ParameterEncryption {
        let config =
            ParameterStorageConfig { aes128: aes128.map(Into::into), aes256: aes256.map(Into::into) };
        ParameterEncryption::from_config(&config).expect("valid keys")
    }

    fn both() -> ParameterEncryption {
        keys(Some(K128), Some(K256))
    }

    /// The bytes a locked value carries.
    fn wire(value: &Value) -> Vec<u8> {
        BASE64.decode(value.as_str().expect("a locked value is a string")).expect("base64")
    }

    fn locked(bytes: &[u8]) -> Value {
        Value::String(BASE64.encode(bytes))
    }

    fn values() -> Vec<Value> {
        vec![
            json!("secret"),
            json!("line1\nline2\nline3"),
            json!({"key": "xyz", "value": "v1"}),
            json!([1, 2.5, null, true]),
            json!(""),
        ]
    }

    #[test]
    fn every_scheme_round_trips_every_kind_of_value() {
        let keys = both();
        for scheme in [AES_128, AES_256] {
            for value in values() {
                let locked = keys.encrypt("p", &value, scheme).unwrap();
                assert_ne!(locked, value);
                assert_eq!(keys.decrypt("p", &locked, scheme).unwrap(), value, "{scheme}");
            }
        }
    }

    #[test]
    fn the_wire_format_is_upstreams_length_prefixed_iv_then_ciphertext_and_tag() {
        let keys = both();
        for (scheme, iv_len) in [(AES_128, 12usize), (AES_256, 128)] {
            let bytes = wire(&keys.encrypt("p", &json!("secret"), scheme).unwrap());
            assert_eq!(bytes[..4], u32::try_from(iv_len).unwrap().to_be_bytes(), "{scheme}");
            // `"secret"`, quotes included, is 8 bytes of plaintext.
            assert_eq!(bytes.len(), 4 + iv_len + 8 + TAG_LEN, "{scheme}");
        }
    }

    #[test]
    fn each_lock_takes_a_fresh_iv() {
        let keys = both();
        let a = keys.encrypt("p", &json!("secret"), AES_128).unwrap();
        let b = keys.encrypt("p", &json!("secret"), AES_128).unwrap();
        assert_ne!(a, b);
    }

    /// Values produced outside this crate in upstream's format (Python's
    /// `cryptography` AES-GCM with fixed IVs, the keys of upstream's tests, the plaintext
    /// spray's `compactPrint`): an independent implementation opens here.
    #[test]
    fn values_locked_in_upstreams_format_elsewhere_unlock() {
        let keys = both();
        let aes128 = json!("AAAADAABAgMEBQYHCAkKCxXg12r69rujTvN4upb0aPDSehB/fJHAjA==");
        assert_eq!(keys.decrypt("one", &aes128, AES_128).unwrap(), json!("secret"));
        let aes256 = json!(
            "AAAAgAAHDhUcIyoxOD9GTVRbYmlwd36FjJOaoaivtr3Ey9LZ4Ofu9fwDChEYHyYtNDtCSVBXXmVsc3qBiI+WnaSr\
             srnAx87V3OPq8fj/Bg0UGyIpMDc+RUxTWmFob3Z9hIuSmaCnrrW8w8rR2N/m7fT7AgkQFx4lLDM6QUhPVl1ka3J5\
             uMGubN4KEE1iZS5O2dOKH4oZYW369dH6S52nk045f69wGt5yELhB5rnh"
        );
        assert_eq!(keys.decrypt("one", &aes256, AES_256).unwrap(), json!({"key": "xyz", "value": "v1"}));
        // Java's decoder does not insist on the padding: neither does this one.
        let unpadded = json!(aes128.as_str().unwrap().trim_end_matches('='));
        assert_eq!(keys.decrypt("one", &unpadded, AES_128).unwrap(), json!("secret"));
    }

    /// Upstream's `Aes128` takes whatever AES key it is given (Java's `SecretKeySpec`),
    /// so a deployment may have locked `aes-128` values with a 32-byte key.
    #[test]
    fn the_key_length_picks_the_aes_variant_whatever_the_schemes_name() {
        let swapped = keys(Some(K256), Some(K128));
        let k192 = BASE64.encode([7u8; 24]);
        let middle = keys(Some(&k192), Some(&k192));
        for keys in [swapped, middle] {
            for scheme in [AES_128, AES_256] {
                let locked = keys.encrypt("p", &json!("secret"), scheme).unwrap();
                assert_eq!(keys.decrypt("p", &locked, scheme).unwrap(), json!("secret"));
            }
        }
    }

    #[test]
    fn noop_is_the_plain_value_and_needs_no_key() {
        let none = ParameterEncryption::default();
        assert_eq!(none.decrypt("p", &json!({"a": 1}), NO_ENCRYPTION).unwrap(), json!({"a": 1}));
        assert_eq!(none.encrypt("p", &json!("x"), NO_ENCRYPTION).unwrap(), json!("x"));
        assert!(none.can_unlock(NO_ENCRYPTION));
        assert!(!none.can_unlock(AES_128));
        assert!(both().can_unlock(AES_256));
    }

    #[test]
    fn a_wrong_key_fails_authentication_and_says_nothing_of_the_value() {
        let locked = both().encrypt("password", &json!("hunter2"), AES_128).unwrap();
        let error = keys(Some(OTHER_K128), None).decrypt("password", &locked, AES_128).unwrap_err();
        assert!(
            matches!(&error, EncryptionError::Authentication { parameter, scheme: AES_128, .. } if parameter == "password")
        );
        assert!(std::error::Error::source(&error).is_some(), "the cipher's error is kept");
        let text = format!("{error} {error:?}");
        assert!(text.contains("password"), "{text}");
        assert!(!text.contains("hunter2") && !text.contains(locked.as_str().unwrap()), "{text}");
    }

    #[test]
    fn a_value_locked_with_one_scheme_does_not_open_with_the_other() {
        let keys = both();
        let locked = keys.encrypt("p", &json!("secret"), AES_128).unwrap();
        let error = keys.decrypt("p", &locked, AES_256).unwrap_err();
        assert!(matches!(
            error,
            EncryptionError::Malformed { reason: "its IV length is not the scheme's", .. }
        ));
    }

    #[test]
    fn a_tampered_value_fails_authentication() {
        let keys = both();
        for scheme in [AES_128, AES_256] {
            let bytes = wire(&keys.encrypt("p", &json!("secret"), scheme).unwrap());
            // Each of: a byte of the IV, of the ciphertext, of the tag.
            for at in [4, bytes.len() - TAG_LEN - 1, bytes.len() - 1] {
                let mut tampered = bytes.clone();
                tampered[at] ^= 0x01;
                let error = keys.decrypt("p", &locked(&tampered), scheme).unwrap_err();
                assert!(matches!(error, EncryptionError::Authentication { .. }), "{scheme} at {at}: {error}");
            }
            let truncated = &bytes[..bytes.len() - 1];
            let error = keys.decrypt("p", &locked(truncated), scheme).unwrap_err();
            assert!(matches!(error, EncryptionError::Authentication { .. }), "{scheme}: {error}");
        }
    }

    #[test]
    fn an_unknown_scheme_is_an_error_not_the_value_passed_on() {
        let error = both().decrypt("p", &json!("c2VjcmV0"), "aes-512").unwrap_err();
        assert!(
            matches!(&error, EncryptionError::UnknownScheme { parameter, scheme } if parameter == "p" && scheme == "aes-512")
        );
        assert!(matches!(
            both().encrypt("p", &json!(1), "AES-128"),
            Err(EncryptionError::UnknownScheme { .. })
        ));
    }

    #[test]
    fn a_scheme_without_a_key_names_the_config_to_set() {
        let only128 = keys(Some(K128), None);
        let locked = both().encrypt("p", &json!("secret"), AES_256).unwrap();
        let error = only128.decrypt("p", &locked, AES_256).unwrap_err();
        assert!(matches!(error, EncryptionError::NoKey { scheme: AES_256, config: "aes256", .. }));
        assert!(error.to_string().contains("ParameterStorageConfig::aes256"), "{error}");
        let error = ParameterEncryption::default().encrypt("p", &json!(1), AES_128).unwrap_err();
        assert!(matches!(error, EncryptionError::NoKey { config: "aes128", .. }));
    }

    #[test]
    fn malformed_values_are_named_as_such() {
        let keys = both();
        let reason = |value: Value| match keys.decrypt("p", &value, AES_128) {
            Err(EncryptionError::Malformed { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(reason(json!({"not": "a string"})), "not a string");
        assert_eq!(reason(json!("not base64!")), "not base64");
        assert_eq!(reason(locked(&[0, 0])), "too short");
        let mut header_only = 12u32.to_be_bytes().to_vec();
        header_only.extend_from_slice(&[0; 12 + TAG_LEN - 1]);
        assert_eq!(reason(locked(&header_only)), "too short");
        let mut wrong_iv = 16u32.to_be_bytes().to_vec();
        wrong_iv.extend_from_slice(&[0; 16 + TAG_LEN]);
        assert_eq!(reason(locked(&wrong_iv)), "its IV length is not the scheme's");
        // Authentic, but what was locked is not JSON (no locker of ours does that).
        let key = AesKey::from_base64("aes128", K128).unwrap();
        let (iv, sealed) = seal(Scheme::Aes128, &key, b"{not json");
        let mut message = 12u32.to_be_bytes().to_vec();
        message.extend_from_slice(&iv);
        message.extend_from_slice(&sealed);
        assert_eq!(reason(locked(&message)), "its plaintext is not JSON");
    }

    #[test]
    fn invalid_keys_are_refused_at_configuration() {
        let config = |aes128: &str| ParameterStorageConfig { aes128: Some(aes128.into()), aes256: None };
        let error = ParameterEncryption::from_config(&config("not base64!")).unwrap_err();
        assert!(matches!(&error, EncryptionError::InvalidKey { config: "aes128", source: Some(_), .. }));
        let error = ParameterEncryption::from_config(&config(&BASE64.encode([1u8; 15]))).unwrap_err();
        assert!(matches!(&error, EncryptionError::InvalidKey { config: "aes128", source: None, .. }));
        assert!(error.to_string().contains("15 bytes"), "{error}");
    }

    #[test]
    fn debug_shows_no_key() {
        let config = ParameterStorageConfig { aes128: Some(K128.into()), aes256: None };
        let text = format!("{config:?} {:?}", ParameterEncryption::from_config(&config).unwrap());
        assert!(!text.contains(K128), "{text}");
        assert!(text.contains("aes-128: true") && text.contains("aes-256: false"), "{text}");
    }
}
