//! An action as the API returns it (upstream's `Action`), and its stored revision.

use std::fmt;
use std::time::Duration;

use proxy_core::container::ActionLimits;
use serde::{Deserialize, Serialize};

use super::{KeyValue, Parameter};
use crate::StoreError;

/// An action document: upstream's `Action` (`namespace`, `name`, `version`, `publish`,
/// `exec`, `limits`, `parameters`, `annotations`, `updated`).
///
/// ```
/// use proxy_store::doc::{ActionDoc, ExecDoc};
/// let doc = ActionDoc::new("guest", "hello", ExecDoc::code("nodejs:20", "function main() {}"));
/// let json = serde_json::to_value(&doc).unwrap();
/// assert_eq!(json["exec"]["kind"], "nodejs:20");
/// assert_eq!(json["limits"]["timeout"], 60000);
/// assert_eq!(json["version"], "0.0.1");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionDoc {
    /// The namespace that owns it.
    pub namespace: String,
    /// Its name (`pkg/name` inside a package).
    pub name: String,
    /// Its semantic version: `0.0.1` when created, the patch bumped on every update.
    pub version: String,
    /// Whether it is shared.
    #[serde(default)]
    pub publish: bool,
    /// What runs.
    pub exec: ExecDoc,
    /// Its limits.
    #[serde(default)]
    pub limits: LimitsDoc,
    /// Parameters bound to every activation (locked ones as their ciphertext).
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// Annotations (`provide-api-key`, `exec`, ..).
    #[serde(default)]
    pub annotations: Vec<KeyValue>,
    /// When it was last written, in ms since the epoch: set by the store.
    #[serde(default)]
    pub updated: u64,
}

impl ActionDoc {
    /// Action `name` of `namespace` running `exec`: version `0.0.1`, default limits,
    /// no parameters or annotations, not published. Set the other fields with struct
    /// update syntax.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>, exec: ExecDoc) -> Self {
        ActionDoc {
            namespace: namespace.into(),
            name: name.into(),
            version: "0.0.1".into(),
            publish: false,
            exec,
            limits: LimitsDoc::default(),
            parameters: Vec::new(),
            annotations: Vec::new(),
            updated: 0,
        }
    }
}

/// What an action runs: upstream's `ActionExec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecDoc {
    /// The runtime kind (`blackbox`, `nodejs:20`, ..).
    pub kind: String,
    /// The code (plain text, or base64 when `binary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The image, for `blackbox`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Whether `code` is base64.
    #[serde(default)]
    pub binary: bool,
    /// The entry point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main: Option<String>,
    /// The actions of a sequence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<String>>,
}

impl ExecDoc {
    /// Plain-text `code` of `kind`.
    ///
    /// ```
    /// let exec = proxy_store::doc::ExecDoc::code("python:3.11", "def main(a): return a");
    /// assert!(!exec.binary && exec.image.is_none());
    /// ```
    pub fn code(kind: impl Into<String>, code: impl Into<String>) -> Self {
        ExecDoc {
            kind: kind.into(),
            code: Some(code.into()),
            image: None,
            binary: false,
            main: None,
            components: None,
        }
    }

    /// A `blackbox` action running `image`.
    ///
    /// ```
    /// let exec = proxy_store::doc::ExecDoc::blackbox("me/action:1");
    /// assert_eq!((exec.kind.as_str(), exec.image.as_deref()), ("blackbox", Some("me/action:1")));
    /// ```
    pub fn blackbox(image: impl Into<String>) -> Self {
        ExecDoc {
            kind: "blackbox".into(),
            code: None,
            image: Some(image.into()),
            binary: false,
            main: None,
            components: None,
        }
    }
}

/// An action's limits: upstream's `ActionLimits`, absent fields at upstream's defaults.
///
/// ```
/// use proxy_store::doc::LimitsDoc;
/// let limits: LimitsDoc = serde_json::from_str(r#"{"memory": 512}"#).unwrap();
/// assert_eq!(limits, LimitsDoc { memory: 512, ..LimitsDoc::default() });
/// assert_eq!(limits.to_core().memory_mb, 512);
/// assert_eq!(LimitsDoc::from(&limits.to_core()), limits);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LimitsDoc {
    /// Time limit in ms.
    pub timeout: u64,
    /// Memory in MB.
    pub memory: u64,
    /// Log size in MB.
    pub logs: u64,
    /// Activations at once in one container.
    pub concurrency: u64,
}

impl Default for LimitsDoc {
    fn default() -> Self {
        LimitsDoc::from(&ActionLimits::default())
    }
}

impl LimitsDoc {
    /// The limits as the container proxy takes them.
    pub fn to_core(&self) -> ActionLimits {
        ActionLimits {
            timeout: Duration::from_millis(self.timeout),
            memory_mb: self.memory,
            logs_mb: self.logs,
            max_concurrent: usize::try_from(self.concurrency).unwrap_or(usize::MAX),
        }
    }
}

impl From<&ActionLimits> for LimitsDoc {
    fn from(limits: &ActionLimits) -> Self {
        LimitsDoc {
            timeout: u64::try_from(limits.timeout.as_millis()).unwrap_or(u64::MAX),
            memory: limits.memory_mb,
            logs: limits.logs_mb,
            concurrency: u64::try_from(limits.max_concurrent).unwrap_or(u64::MAX),
        }
    }
}

/// An opaque revision of a stored action, new on every write (CouchDB's `_rev`, which
/// upstream uses the same way): a put can require the revision it read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Revision(pub(crate) String);

impl Revision {
    /// The revision as text, for an `ETag` or a log line.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A revision a client sent back (an `If-Match`); a made-up one matches nothing.
///
/// ```
/// let revision = proxy_store::doc::Revision::from("2-abc".to_string());
/// assert_eq!(revision.as_str(), "2-abc");
/// ```
impl From<String> for Revision {
    fn from(text: String) -> Self {
        Revision(text)
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An action as stored: the document and its revision.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAction {
    /// The document, with `version` and `updated` as the store wrote them.
    pub action: ActionDoc,
    /// Its revision.
    pub revision: Revision,
}

/// `version` with its patch number raised by one (upstream's `SemVer.upPatch`, applied
/// on every update of an action).
///
/// ```
/// assert_eq!(proxy_store::doc::bump_patch("0.0.1").unwrap(), "0.0.2");
/// assert_eq!(proxy_store::doc::bump_patch("1.2.9").unwrap(), "1.2.10");
/// assert!(proxy_store::doc::bump_patch("one").is_err());
/// ```
pub fn bump_patch(version: &str) -> Result<String, StoreError> {
    let invalid = || StoreError::Version(version.to_string());
    let mut parts = version.split('.').map(|part| part.parse::<u64>().map_err(|_| invalid()));
    let (Some(major), Some(minor), Some(patch), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let patch = patch?.checked_add(1).ok_or_else(invalid)?;
    Ok(format!("{}.{}.{patch}", major?, minor?))
}
