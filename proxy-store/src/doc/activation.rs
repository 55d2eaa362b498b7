//! An activation as the API returns it (upstream's `Activation`, and the brief form
//! of its lists).

use proxy_core::container::{Activation, ActivationStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::KeyValue;
use crate::clock::WallClock;

/// An activation document: upstream's `Activation`.
///
/// ```
/// use proxy_store::doc::{ActivationDoc, ResponseDoc};
/// let doc = ActivationDoc::new("guest", "a1", "hello", 1_000, 1_250, ResponseDoc::success(serde_json::json!({"ok": true})));
/// let json = serde_json::to_value(&doc).unwrap();
/// assert_eq!(json["activationId"], "a1");
/// assert_eq!(json["duration"], 250);
/// assert_eq!(json["response"]["statusCode"], 0);
/// assert_eq!(json["response"]["success"], true);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationDoc {
    /// The invoking namespace.
    pub namespace: String,
    /// The action's name.
    pub name: String,
    /// The action's version.
    pub version: String,
    /// Whether it is shared (always false for activations, as upstream).
    #[serde(default)]
    pub publish: bool,
    /// The invoking subject.
    pub subject: String,
    /// Its id.
    pub activation_id: String,
    /// When it started, in ms since the epoch.
    pub start: u64,
    /// When it ended, in ms since the epoch.
    pub end: u64,
    /// How long it took, in ms.
    pub duration: u64,
    /// The outcome.
    pub response: ResponseDoc,
    /// The log lines.
    #[serde(default)]
    pub logs: Vec<String>,
    /// `limits`, `path`, `kind`, `timeout`, `waitTime`, `initTime`, ..
    #[serde(default)]
    pub annotations: Vec<KeyValue>,
    /// The activation that caused this one (a sequence's), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

impl ActivationDoc {
    /// Activation `activation_id` of action `name`, invoked by `namespace` (also the
    /// subject), version `0.0.1`, from `start` to `end` (ms since the epoch), with no
    /// logs or annotations. Set the other fields with struct update syntax.
    pub fn new(
        namespace: impl Into<String>,
        activation_id: impl Into<String>,
        name: impl Into<String>,
        start: u64,
        end: u64,
        response: ResponseDoc,
    ) -> Self {
        let namespace = namespace.into();
        ActivationDoc {
            subject: namespace.clone(),
            namespace,
            name: name.into(),
            version: "0.0.1".into(),
            publish: false,
            activation_id: activation_id.into(),
            start,
            end,
            duration: end.saturating_sub(start),
            response,
            logs: Vec::new(),
            annotations: Vec::new(),
            cause: None,
        }
    }

    /// The document of `activation`, its instants read on `clock`.
    pub fn from_activation(activation: &Activation, clock: &WallClock) -> Self {
        ActivationDoc {
            namespace: activation.namespace.clone(),
            name: activation.name.clone(),
            version: activation.version.clone(),
            publish: false,
            subject: activation.subject.clone(),
            activation_id: activation.activation_id.clone(),
            start: clock.epoch_ms(activation.interval.start),
            end: clock.epoch_ms(activation.interval.end),
            duration: activation.duration_ms(),
            response: ResponseDoc::new(activation.response.status, activation.response.result.clone()),
            logs: activation.logs.clone(),
            annotations: KeyValue::from_map(&activation.annotations),
            cause: None,
        }
    }

    /// The name the `name` filter of a list matches: `pkg/name` when the `path`
    /// annotation names a package (`ns/pkg/name`), the action's name otherwise
    /// (upstream's `whisks-filters` view, `pathFilter`).
    ///
    /// ```
    /// use proxy_store::doc::{ActivationDoc, KeyValue, ResponseDoc};
    /// let mut doc = ActivationDoc::new("guest", "a1", "echo", 0, 0, ResponseDoc::success(serde_json::json!({})));
    /// assert_eq!(doc.entity_path(), "echo");
    /// doc.annotations.push(KeyValue { key: "path".into(), value: "whisk.system/utils/echo".into() });
    /// assert_eq!(doc.entity_path(), "utils/echo");
    /// ```
    pub fn entity_path(&self) -> String {
        let path = KeyValue::find(&self.annotations, "path").and_then(Value::as_str);
        match path.map(|p| p.split('/').collect::<Vec<_>>()).as_deref() {
            Some([_, package, _]) => format!("{package}/{}", self.name),
            _ => self.name.clone(),
        }
    }

    /// The brief form of lists without `docs`.
    pub fn brief(&self) -> ActivationBrief {
        ActivationBrief {
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            version: self.version.clone(),
            publish: self.publish,
            annotations: self.annotations.clone(),
            activation_id: self.activation_id.clone(),
            start: self.start,
            end: self.end,
            duration: self.duration,
            cause: self.cause.clone(),
            status_code: self.response.status_code,
        }
    }
}

/// The outcome of an activation: upstream's `ActivationResult`, with the `statusCode`
/// upstream's store also keeps.
///
/// ```
/// use proxy_core::container::ActivationStatus;
/// use proxy_store::doc::ResponseDoc;
/// let response = ResponseDoc::new(ActivationStatus::DeveloperError, serde_json::json!({"error": "boom"}));
/// assert_eq!((response.status.as_str(), response.status_code, response.success), ("action developer error", 2, false));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseDoc {
    /// `success`, `application error`, `action developer error`, `whisk internal error`.
    pub status: String,
    /// 0 to 3, in that order.
    pub status_code: u8,
    /// Whether the status is `success`.
    pub success: bool,
    /// The result (`{"error": ..}` for errors).
    pub result: Value,
    /// The size of the result, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

impl ResponseDoc {
    /// The response of `status` with `result`.
    pub fn new(status: ActivationStatus, result: Value) -> Self {
        ResponseDoc {
            status: status.as_str().into(),
            status_code: status as u8,
            success: status == ActivationStatus::Success,
            result,
            size: None,
        }
    }

    /// A successful `result`.
    pub fn success(result: Value) -> Self {
        ResponseDoc::new(ActivationStatus::Success, result)
    }
}

/// An activation in a list without `docs`: upstream's `ActivationBrief` (no response,
/// no logs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationBrief {
    /// The invoking namespace.
    pub namespace: String,
    /// The action's name.
    pub name: String,
    /// The action's version.
    pub version: String,
    /// Whether it is shared.
    pub publish: bool,
    /// Its annotations.
    pub annotations: Vec<KeyValue>,
    /// Its id.
    pub activation_id: String,
    /// When it started, in ms since the epoch.
    pub start: u64,
    /// When it ended, in ms since the epoch.
    pub end: u64,
    /// How long it took, in ms.
    pub duration: u64,
    /// The activation that caused it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// 0 to 3: success, application error, developer error, whisk error.
    pub status_code: u8,
}
