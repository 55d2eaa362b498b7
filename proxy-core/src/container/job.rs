//! Jobs and the data a container proxy holds (reference sections 1.2 and 1.3).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::time::Instant;

use super::backend::Container;

/// An action's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionLimits {
    /// Time limit of one activation (OpenWhisk's default: 60 s).
    pub timeout: Duration,
    /// Memory in MB.
    pub memory_mb: u64,
    /// Log limit in MB; 0 collects no logs.
    pub logs_mb: u64,
    /// How many activations may run at once in one container.
    pub max_concurrent: usize,
}

impl Default for ActionLimits {
    fn default() -> Self {
        ActionLimits { timeout: Duration::from_secs(60), memory_mb: 256, logs_mb: 10, max_concurrent: 1 }
    }
}

/// An executable action.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// The namespace that owns the action.
    pub namespace: String,
    /// The package, if any.
    pub package: Option<String>,
    /// The action's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The runtime kind (`nodejs:20`, `blackbox`, ..).
    pub kind: String,
    /// The image its containers run.
    pub image: String,
    /// The code sent to /init (plain text, or base64 when `binary`).
    pub code: Option<String>,
    /// Whether `code` is base64.
    pub binary: bool,
    /// The entry point (`main` by default).
    pub main: Option<String>,
    /// The limits.
    pub limits: ActionLimits,
    /// The annotations (`provide-api-key`, ..).
    pub annotations: Map<String, Value>,
    /// Whether the image's runtime writes the end sentinels to stdout and stderr
    /// after each activation, so that its logs are read up to them: true for the
    /// platform's runtimes (ours does); for a user's blackbox image, as configured,
    /// false by default (upstream's `exec.sentinelledLogs`). Without sentinels, the
    /// logs are what the container wrote by the time the activation ended.
    pub sentinelled_logs: bool,
}

impl Action {
    /// Action `name` of `namespace`, running `code` (plain text) in `image`: kind
    /// `blackbox`, version `0.0.1`, default limits, no package, no annotations, no
    /// log sentinels (a user's image). Set the other fields with struct update syntax.
    ///
    /// ```
    /// use proxy_core::container::{Action, ActionLimits};
    /// let action = Action {
    ///     limits: ActionLimits { logs_mb: 0, ..ActionLimits::default() },
    ///     ..Action::new("guest", "hello", "runtime:latest", "#!/bin/sh\necho '{}'")
    /// };
    /// assert_eq!(action.qualified_name(), "/guest/hello");
    /// ```
    pub fn new(
        namespace: impl Into<String>,
        name: impl Into<String>,
        image: impl Into<String>,
        code: impl Into<String>,
    ) -> Self {
        Action {
            namespace: namespace.into(),
            package: None,
            name: name.into(),
            version: "0.0.1".into(),
            kind: "blackbox".into(),
            image: image.into(),
            code: Some(code.into()),
            binary: false,
            main: None,
            limits: ActionLimits::default(),
            annotations: Map::new(),
            sentinelled_logs: false,
        }
    }

    /// `/ns/[pkg/]name`.
    pub fn qualified_name(&self) -> String {
        match &self.package {
            Some(package) => format!("/{}/{}/{}", self.namespace, package, self.name),
            None => format!("/{}/{}", self.namespace, self.name),
        }
    }

    /// Whether the activation gets the caller's API key (`provide-api-key`, true when absent).
    pub fn provides_api_key(&self) -> bool {
        match self.annotations.get("provide-api-key") {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(Value::Null) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Number(n)) => n.as_f64() != Some(0.0),
            Some(_) => true,
        }
    }

    /// Whether logs are collected (a log limit of 0 collects none).
    pub fn collects_logs(&self) -> bool {
        self.limits.logs_mb != 0
    }
}

/// One activation request.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivationMessage {
    /// The transaction id.
    pub transaction_id: String,
    /// When the transaction started (for `waitTime`).
    pub transaction_start: Instant,
    /// The activation id.
    pub activation_id: String,
    /// The invoking namespace.
    pub namespace: String,
    /// The invoking subject.
    pub subject: String,
    /// The caller's API key (`uuid:key`), if any. Never logged.
    pub api_key: Option<String>,
    /// Whether the caller waits for the result.
    pub blocking: bool,
    /// The parameters.
    pub content: Option<Value>,
    /// The parameter names that go to the environment at init, not to /run.
    pub init_args: BTreeSet<String>,
    /// The parameters of `content` stored encrypted, each with the name of the scheme
    /// that locked it (upstream's `lockedArgs`): they are unlocked before `/init` and
    /// `/run` (see [`encryption`](super::encryption)).
    pub locked_args: BTreeMap<String, String>,
    /// Whether a sequence caused it.
    pub caused_by_sequence: bool,
    /// The package binding, if the action was invoked through one.
    pub binding: Option<String>,
}

impl ActivationMessage {
    /// A blocking request from `namespace` (also the subject), starting now, with no
    /// parameters and no key: set the other fields with struct update syntax.
    ///
    /// ```
    /// use proxy_core::container::ActivationMessage;
    /// let msg = ActivationMessage { blocking: false, ..ActivationMessage::new("a1", "guest") };
    /// assert_eq!((msg.transaction_id.as_str(), msg.subject.as_str()), ("tid-a1", "guest"));
    /// ```
    pub fn new(activation_id: impl Into<String>, namespace: impl Into<String>) -> Self {
        let activation_id = activation_id.into();
        let namespace = namespace.into();
        ActivationMessage {
            transaction_id: format!("tid-{activation_id}"),
            transaction_start: Instant::now(),
            activation_id,
            subject: namespace.clone(),
            namespace,
            api_key: None,
            blocking: true,
            content: None,
            init_args: BTreeSet::new(),
            locked_args: BTreeMap::new(),
            caused_by_sequence: false,
            binding: None,
        }
    }
}

/// A job for a proxy: run `action` for `msg`. Two pointers wide, so events and
/// states that carry a job stay small, and a clone (the proxy keeps one while the
/// activation runs, to hand it back if need be) costs two reference counts.
#[derive(Clone, PartialEq)]
pub struct Run {
    /// The action.
    pub action: Arc<Action>,
    /// The request.
    pub msg: Arc<ActivationMessage>,
}

impl Run {
    /// A job running `action` for `msg`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use proxy_core::container::{Action, ActivationMessage, Run};
    /// let action = Arc::new(Action::new("guest", "hello", "runtime:latest", "echo '{}'"));
    /// let run = Run::new(action, ActivationMessage::new("a1", "guest"));
    /// assert_eq!(run.msg.activation_id, "a1");
    /// ```
    pub fn new(action: Arc<Action>, msg: ActivationMessage) -> Self {
        Run { action, msg: Arc::new(msg) }
    }
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The message holds the caller's key: show only what identifies the job.
        f.debug_struct("Run")
            .field("action", &self.action.qualified_name())
            .field("activation_id", &self.msg.activation_id)
            .finish()
    }
}

/// What a prewarm asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct StartSpec {
    /// The runtime kind.
    pub kind: String,
    /// The image.
    pub image: String,
    /// Memory in MB.
    pub memory_mb: u64,
    /// How long the prewarmed container may wait for work, if limited.
    pub ttl: Option<Duration>,
}

/// A started container that has not run anything yet.
#[derive(Debug, Clone)]
pub struct PreWarmed {
    /// The container.
    pub container: Arc<dyn Container>,
    /// Its runtime kind.
    pub kind: String,
    /// Its memory in MB.
    pub memory_mb: u64,
    /// When a prewarm expires, if it does.
    pub expires: Option<Instant>,
}

/// A container initialized for one action.
#[derive(Debug, Clone)]
pub struct Warmed {
    /// The container.
    pub container: Arc<dyn Container>,
    /// The namespace it runs activations for.
    pub invocation_namespace: String,
    /// The action it was initialized with.
    pub action: Arc<Action>,
    /// When it last took a job.
    pub last_used: Instant,
}

/// A container an earlier process left warm, handed to a fresh proxy (`Adopt`): the
/// proxy takes it as [`Warmed`], `Ready` or `Paused`, without /init.
#[derive(Debug, Clone)]
pub struct Adopted {
    /// The container, attached by the backend.
    pub container: Arc<dyn Container>,
    /// The namespace it runs activations for.
    pub invocation_namespace: String,
    /// What the proxy knows of the action it was initialized with: the pool's
    /// stand-in built from the adoption record (no code; the limits that count).
    pub action: Arc<Action>,
    /// Whether the container is paused.
    pub paused: bool,
}

/// What a container is in `Running` and `Removing`: the warmth changes inside
/// `Running` without a transition (a cold container arrives, then init completes).
#[derive(Debug, Clone)]
pub enum Warmth {
    /// No container yet (cold create in flight).
    Cold,
    /// A container, not initialized.
    Prewarmed(PreWarmed),
    /// An initialized container.
    Warm(Warmed),
}

impl Warmth {
    /// The container, if there is one.
    pub fn container(&self) -> Option<&Arc<dyn Container>> {
        match self {
            Warmth::Cold => None,
            Warmth::Prewarmed(p) => Some(&p.container),
            Warmth::Warm(w) => Some(&w.container),
        }
    }
}

/// A container being destroyed, and how many times that was tried.
#[derive(Debug, Clone)]
pub struct Condemned {
    /// The container.
    pub container: Arc<dyn Container>,
    /// Destroy attempts that failed so far.
    pub failed_attempts: u32,
}

/// What a proxy offers its parent with `NeedWork`.
#[derive(Debug, Clone)]
pub enum Capacity {
    /// A prewarmed container is ready.
    Prewarmed(PreWarmed),
    /// A warm container has room for another activation.
    Warm(Warmed),
}
