//! The documents the store keeps, in the shapes of OpenWhisk's REST API v1 (the field
//! names of upstream's API description), so the server returns them as they are.

mod action;
mod activation;
pub(crate) mod subject;

pub use action::{bump_patch, ActionDoc, ExecDoc, LimitsDoc, Revision, StoredAction};
pub use activation::{ActivationBrief, ActivationDoc, ResponseDoc};
pub use subject::{Credentials, Subject};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One annotation or parameter: upstream's `KeyValue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyValue {
    /// The name.
    pub key: String,
    /// Any JSON value.
    pub value: Value,
}

/// One of an action's bound parameters: upstream's parameter, a [`KeyValue`] that
/// may also be an init parameter (`init`: passed to `/init` as environment) and
/// locked at rest (`encryption`: the scheme its `value` is locked with, the value
/// then being the ciphertext). Both are written only when set, as upstream does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    /// The name.
    pub key: String,
    /// Any JSON value; when `encryption` is set, the locked value (a string).
    pub value: Value,
    /// An init parameter: passed to `/init` (as environment), not only to `/run`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub init: bool,
    /// The scheme `value` is locked with (`aes-128`, `aes-256`), if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<String>,
}

impl Parameter {
    /// A plain parameter: not init, not locked.
    ///
    /// ```
    /// use proxy_store::doc::Parameter;
    /// let plain = Parameter::plain("name", "world".into());
    /// assert_eq!(serde_json::to_value(&plain).unwrap(), serde_json::json!({"key": "name", "value": "world"}));
    /// ```
    pub fn plain(key: impl Into<String>, value: Value) -> Self {
        Parameter { key: key.into(), value, init: false, encryption: None }
    }
}

impl KeyValue {
    /// The pairs of `map`, in its order.
    ///
    /// ```
    /// use proxy_store::doc::KeyValue;
    /// let mut map = serde_json::Map::new();
    /// map.insert("kind".into(), "blackbox".into());
    /// assert_eq!(KeyValue::from_map(&map), vec![KeyValue { key: "kind".into(), value: "blackbox".into() }]);
    /// ```
    pub fn from_map(map: &Map<String, Value>) -> Vec<KeyValue> {
        map.iter().map(|(key, value)| KeyValue { key: key.clone(), value: value.clone() }).collect()
    }

    /// The value of `key` among `pairs`, if there is one.
    ///
    /// ```
    /// use proxy_store::doc::KeyValue;
    /// let pairs = vec![KeyValue { key: "path".into(), value: "guest/hello".into() }];
    /// assert_eq!(KeyValue::find(&pairs, "path"), Some(&serde_json::json!("guest/hello")));
    /// assert_eq!(KeyValue::find(&pairs, "kind"), None);
    /// ```
    pub fn find<'a>(pairs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
        pairs.iter().find(|pair| pair.key == key).map(|pair| &pair.value)
    }
}
