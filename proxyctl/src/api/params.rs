//! Parameters at rest (upstream's `ParameterEncryption` on the controller's side).
//! With a key configured (`serve --param-key-aes256`/`--param-key-aes128`), a
//! `PUT` locks every parameter it stores that is not locked yet, so the database
//! holds ciphertext only; an invoke sends the locked values with `locked_args`
//! naming their schemes, and the proxy unlocks them just before `/init` and `/run`
//! (`proxy_core::container::encryption`, upstream's wire format). Without a key,
//! parameters are stored as they come, as upstream's `noop`.
//!
//! Deviation D37: upstream locks with the scheme configured as
//! `whisk.parameter-storage.current`; here it is the strongest one with a key
//! (`aes-256`, else `aes-128`), so that configuring a key is all it takes.

use std::collections::{BTreeMap, BTreeSet};

use proxy_core::container::encryption::{
    EncryptionError, ParameterEncryption, ParameterStorageConfig, AES_128, AES_256, NO_ENCRYPTION,
};
use proxy_store::doc::Parameter;
use serde_json::{Map, Value};

/// The keys, and the scheme new parameters are locked with (none without a key).
#[derive(Debug, Clone, Default)]
pub struct ParameterLock {
    keys: ParameterEncryption,
    scheme: Option<&'static str>,
}

impl ParameterLock {
    /// The keys of `config`, checked.
    ///
    /// ```
    /// use proxy_core::container::encryption::ParameterStorageConfig;
    /// use proxyctl::api::params::ParameterLock;
    /// let none = ParameterLock::new(&ParameterStorageConfig::default()).unwrap();
    /// assert_eq!(none.scheme(), None);
    /// let config = ParameterStorageConfig { aes128: Some("ra1V6AfOYAv0jCzEdufIFA==".into()), aes256: None };
    /// assert_eq!(ParameterLock::new(&config).unwrap().scheme(), Some("aes-128"));
    /// ```
    pub fn new(config: &ParameterStorageConfig) -> Result<Self, EncryptionError> {
        let keys = ParameterEncryption::from_config(config)?;
        let scheme = if config.aes256.is_some() {
            Some(AES_256)
        } else if config.aes128.is_some() {
            Some(AES_128)
        } else {
            None
        };
        Ok(ParameterLock { keys, scheme })
    }

    /// The scheme `PUT` locks parameters with, if a key is configured.
    pub fn scheme(&self) -> Option<&'static str> {
        self.scheme
    }

    /// The keys, for the proxies to unlock with.
    pub fn keys(&self) -> &ParameterEncryption {
        &self.keys
    }

    /// `parameters` with every one not yet locked locked (none without a key). One
    /// already locked (by an earlier `PUT`, or as sent) is kept as it is.
    pub fn lock(&self, parameters: Vec<Parameter>) -> Result<Vec<Parameter>, EncryptionError> {
        let Some(scheme) = self.scheme else { return Ok(parameters) };
        parameters
            .into_iter()
            .map(|mut parameter| {
                if parameter.encryption.as_deref().is_none_or(|s| s == NO_ENCRYPTION) {
                    parameter.value = self.keys.encrypt(&parameter.key, &parameter.value, scheme)?;
                    parameter.encryption = Some(scheme.to_owned());
                }
                Ok(parameter)
            })
            .collect()
    }
}

/// What an invoke sends: the content (the bound parameters, the payload over
/// them), the init parameters' names, and the schemes of the locked values the
/// content still holds (a parameter the payload overrides arrives in the clear).
#[derive(Debug, PartialEq)]
pub struct Bound {
    /// The activation's arguments.
    pub content: Map<String, Value>,
    /// `init_args`.
    pub init_args: BTreeSet<String>,
    /// `locked_args`.
    pub locked_args: BTreeMap<String, String>,
}

/// Binds `parameters` and `payload` (upstream's merge: the payload wins).
///
/// ```
/// use proxy_store::doc::Parameter;
/// use proxyctl::api::params::bind;
/// let secret = Parameter { encryption: Some("aes-256".into()), ..Parameter::plain("token", "AAAA".into()) };
/// let payload = serde_json::json!({"name": "x"}).as_object().unwrap().clone();
/// let bound = bind(&[secret, Parameter::plain("name", "y".into())], payload);
/// assert_eq!(bound.content["name"], "x");
/// assert_eq!(bound.locked_args.get("token").map(String::as_str), Some("aes-256"));
/// ```
pub fn bind(parameters: &[Parameter], payload: Map<String, Value>) -> Bound {
    let mut content = Map::new();
    let mut init_args = BTreeSet::new();
    let mut locked_args = BTreeMap::new();
    for parameter in parameters {
        content.insert(parameter.key.clone(), parameter.value.clone());
        if parameter.init {
            init_args.insert(parameter.key.clone());
        }
        match parameter.encryption.as_deref() {
            Some(scheme) if scheme != NO_ENCRYPTION && !payload.contains_key(&parameter.key) => {
                locked_args.insert(parameter.key.clone(), scheme.to_owned());
            }
            _ => {}
        }
    }
    content.extend(payload);
    Bound { content, init_args, locked_args }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const K256: &str = "j5rLzhtxwzPyUVUy8/p8XJmBoKeDoSzNJP1SITJEY9E=";

    fn lock256() -> ParameterLock {
        ParameterLock::new(&ParameterStorageConfig { aes128: None, aes256: Some(K256.into()) }).unwrap()
    }

    #[test]
    fn a_put_locks_what_is_not_locked_and_keeps_what_is() {
        let lock = lock256();
        let earlier = lock.lock(vec![Parameter::plain("a", json!("one"))]).unwrap().remove(0);
        let locked = lock.lock(vec![earlier.clone(), Parameter::plain("b", json!({"n": 2}))]).unwrap();
        assert_eq!(locked[0], earlier, "locked once, never twice");
        assert_eq!(locked[1].encryption.as_deref(), Some("aes-256"));
        assert!(locked[1].value.is_string() && locked[1].value != json!({"n": 2}));
        let unlocked = lock.keys().decrypt("b", &locked[1].value, "aes-256").unwrap();
        assert_eq!(unlocked, json!({"n": 2}));
    }

    #[test]
    fn without_a_key_nothing_is_locked() {
        let plain = vec![Parameter::plain("a", json!(1))];
        assert_eq!(ParameterLock::default().lock(plain.clone()).unwrap(), plain);
    }

    #[test]
    fn an_invoke_sends_the_locked_schemes_of_what_the_payload_does_not_override() {
        let parameters = vec![
            Parameter { init: true, ..Parameter::plain("region", json!("eu")) },
            Parameter { encryption: Some("aes-256".into()), ..Parameter::plain("token", json!("c2VjcmV0")) },
            Parameter { encryption: Some("aes-128".into()), ..Parameter::plain("user", json!("dXNlcg==")) },
        ];
        let payload = json!({"user": "me"}).as_object().unwrap().clone();
        let bound = bind(&parameters, payload);
        assert_eq!(
            bound.content,
            *json!({"region": "eu", "token": "c2VjcmV0", "user": "me"}).as_object().unwrap()
        );
        assert_eq!(bound.init_args, BTreeSet::from(["region".to_string()]));
        assert_eq!(bound.locked_args, BTreeMap::from([("token".to_string(), "aes-256".to_string())]));
    }
}
