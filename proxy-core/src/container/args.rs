//! Arguments and environment of an activation (reference 1.9 steps 1-4).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::encryption::{EncryptionError, ParameterEncryption};
use super::job::Run;

/// Unlocks the parameters of `content` named in `locked` (name -> scheme) with
/// `keys`, before they are partitioned (upstream's `unlockArguments`). Without
/// locked parameters, or with a `content` that is not an object, `content` as is,
/// not copied. A locked name that `content` lacks is skipped: the caller overrode it
/// or never had it, and there is nothing to unlock.
///
/// Deviation from upstream, on purpose: the first parameter that does not unlock
/// (unknown scheme, no key, wrong key, tampered or malformed value) is an error,
/// where upstream passes the value on locked (or throws in the actor); the action
/// never sees a ciphertext.
pub fn unlock_arguments<'a>(
    content: Option<&'a Value>,
    locked: &BTreeMap<String, String>,
    keys: &ParameterEncryption,
) -> Result<Option<Cow<'a, Value>>, EncryptionError> {
    match content {
        Some(Value::Object(fields)) if locked.keys().any(|name| fields.contains_key(name)) => {
            let mut fields = fields.clone();
            for (name, scheme) in locked {
                if let Some(value) = fields.get_mut(name) {
                    *value = keys.decrypt(name, value, scheme)?;
                }
            }
            Ok(Some(Cow::Owned(Value::Object(fields))))
        }
        other => Ok(other.map(Cow::Borrowed)),
    }
}

/// Splits the parameters: the fields named in `init_args` go to the environment
/// (sent with /init), the rest to /run. A non-object goes to the parameters as is.
pub fn partition_arguments(
    content: Option<&Value>,
    init_args: &std::collections::BTreeSet<String>,
) -> (Map<String, Value>, Value) {
    match content {
        None => (Map::new(), json!({})),
        Some(Value::Object(fields)) if !init_args.is_empty() => {
            let mut env = Map::new();
            let mut params = Map::new();
            for (key, value) in fields {
                if init_args.contains(key) {
                    env.insert(key.clone(), value.clone());
                } else {
                    params.insert(key.clone(), value.clone());
                }
            }
            (env, Value::Object(params))
        }
        Some(other) => (Map::new(), other.clone()),
    }
}

/// The activation's environment, without the `__OW_` prefix: `namespace`,
/// `action_name`, `action_version`, `activation_id`, `transaction_id`, `api_key` when
/// the action provides it, and `deadline` (epoch ms, as a string).
pub fn environment(job: &Run, deadline_epoch_ms: u128) -> Map<String, Value> {
    let mut env = Map::new();
    if job.action.provides_api_key() {
        if let Some(key) = &job.msg.api_key {
            env.insert("api_key".into(), Value::String(key.clone()));
        }
    }
    env.insert("namespace".into(), Value::String(job.msg.namespace.clone()));
    env.insert("action_name".into(), Value::String(job.action.qualified_name()));
    env.insert("action_version".into(), Value::String(job.action.version.clone()));
    env.insert("activation_id".into(), Value::String(job.msg.activation_id.clone()));
    env.insert("transaction_id".into(), Value::String(job.msg.transaction_id.clone()));
    env.insert("deadline".into(), Value::String(deadline_epoch_ms.to_string()));
    env
}

/// `__OW_NAMESPACE` and friends, for the init environment.
pub fn ow_environment(environment: &Map<String, Value>) -> Map<String, Value> {
    environment.iter().map(|(k, v)| (format!("__OW_{}", k.to_uppercase()), v.clone())).collect()
}

/// The `/init` value: `{name, binary, main, code, env}`; `env` only when non-empty,
/// its values as strings (a string as is, null as "", others printed).
pub fn initializer(job: &Run, env: &Map<String, Value>) -> Value {
    let action = &job.action;
    let mut value = Map::new();
    value.insert("name".into(), Value::String(action.name.clone()));
    value.insert("binary".into(), Value::Bool(action.binary));
    value.insert("main".into(), Value::String(action.main.clone().unwrap_or_else(|| "main".into())));
    if let Some(code) = &action.code {
        value.insert("code".into(), Value::String(code.clone()));
    }
    if !env.is_empty() {
        let strings = env
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k.clone(), Value::String(text))
            })
            .collect();
        value.insert("env".into(), Value::Object(strings));
    }
    Value::Object(value)
}

/// Milliseconds since the epoch, `timeout` from now: the activation's deadline.
pub fn deadline_epoch_ms(timeout: Duration) -> u128 {
    (std::time::SystemTime::now() + timeout)
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn partitioning_follows_the_init_args() {
        let none = BTreeSet::new();
        let some: BTreeSet<String> = ["db".to_string()].into();
        assert_eq!(partition_arguments(None, &some), (Map::new(), json!({})));
        assert_eq!(partition_arguments(Some(&json!([1, 2])), &some), (Map::new(), json!([1, 2])));
        assert_eq!(partition_arguments(Some(&json!({"a": 1})), &none), (Map::new(), json!({"a": 1})));
        let (env, params) = partition_arguments(Some(&json!({"a": 1, "db": "x"})), &some);
        assert_eq!(Value::Object(env), json!({"db": "x"}));
        assert_eq!(params, json!({"a": 1}));
    }

    fn keys() -> ParameterEncryption {
        let config = crate::container::encryption::ParameterStorageConfig {
            aes128: Some("ra1V6AfOYAv0jCzEdufIFA==".into()),
            aes256: None,
        };
        ParameterEncryption::from_config(&config).unwrap()
    }

    #[test]
    fn unlocking_decrypts_the_locked_fields_only() {
        let keys = keys();
        let locked = keys.encrypt("db", &json!("postgres://secret"), "aes-128").unwrap();
        let content = json!({"db": locked, "name": "world", "n": 1});
        let schemes: BTreeMap<String, String> =
            [("db".to_string(), "aes-128".to_string()), ("absent".to_string(), "aes-128".to_string())].into();
        let unlocked = unlock_arguments(Some(&content), &schemes, &keys).unwrap().unwrap();
        assert_eq!(*unlocked, json!({"db": "postgres://secret", "name": "world", "n": 1}));
    }

    #[test]
    fn nothing_locked_borrows_the_content_as_is() {
        let keys = ParameterEncryption::default();
        let content = json!({"a": 1});
        let none = BTreeMap::new();
        let absent: BTreeMap<String, String> = [("b".to_string(), "aes-128".to_string())].into();
        for locked in [&none, &absent] {
            let unlocked = unlock_arguments(Some(&content), locked, &keys).unwrap();
            assert!(matches!(unlocked, Some(Cow::Borrowed(value)) if *value == content));
        }
        let array = json!(["a"]);
        let arrays: BTreeMap<String, String> = [("0".to_string(), "aes-128".to_string())].into();
        assert!(matches!(unlock_arguments(Some(&array), &arrays, &keys), Ok(Some(Cow::Borrowed(_)))));
        assert!(matches!(unlock_arguments(None, &arrays, &keys), Ok(None)));
    }

    #[test]
    fn a_field_that_does_not_unlock_fails_the_whole_content() {
        let keys = keys();
        let good = keys.encrypt("a", &json!("x"), "aes-128").unwrap();
        let content = json!({"a": good, "b": "not locked at all"});
        let locked: BTreeMap<String, String> =
            [("a".to_string(), "aes-128".to_string()), ("b".to_string(), "aes-128".to_string())].into();
        let error = unlock_arguments(Some(&content), &locked, &keys).unwrap_err();
        assert!(
            matches!(error, EncryptionError::Malformed { ref parameter, .. } if parameter == "b"),
            "{error}"
        );
    }

    #[test]
    fn ow_environment_is_prefixed_and_upper_case() {
        let mut env = Map::new();
        env.insert("activation_id".into(), json!("a1"));
        assert_eq!(Value::Object(ow_environment(&env)), json!({"__OW_ACTIVATION_ID": "a1"}));
    }
}
