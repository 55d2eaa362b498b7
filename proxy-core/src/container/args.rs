//! Arguments and environment of an activation (reference 1.9 steps 1-4).

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::job::Run;

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

    #[test]
    fn ow_environment_is_prefixed_and_upper_case() {
        let mut env = Map::new();
        env.insert("activation_id".into(), json!("a1"));
        assert_eq!(Value::Object(ow_environment(&env)), json!({"__OW_ACTIVATION_ID": "a1"}));
    }
}
