//! Activation records and where they go: acknowledgements to the controller and
//! the activation store (reference 1.9 steps 7-11).

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Map, Value};

use super::job::Run;
use super::response::{ActivationResponse, Interval};

/// The record of one activation.
#[derive(Debug, Clone, PartialEq)]
pub struct Activation {
    /// The activation id.
    pub activation_id: String,
    /// The invoking namespace.
    pub namespace: String,
    /// The invoking subject.
    pub subject: String,
    /// The action's name.
    pub name: String,
    /// The action's version.
    pub version: String,
    /// When it started and ended (init included when there was one).
    pub interval: Interval,
    /// The classified response.
    pub response: ActivationResponse,
    /// The log lines.
    pub logs: Vec<String>,
    /// `limits`, `path`, `kind`, `timeout`, and `causedBy`, `initTime`, `waitTime`,
    /// `binding` where they apply.
    pub annotations: Map<String, Value>,
}

impl Activation {
    /// Builds the record of `job` (upstream's `constructWhiskActivation`).
    /// `init` is the init interval when this activation initialized the container.
    pub fn new(
        job: &Run,
        init: Option<Interval>,
        total: Interval,
        is_timeout: bool,
        response: ActivationResponse,
    ) -> Self {
        let action = &job.action;
        let mut annotations = Map::new();
        annotations.insert(
            "limits".into(),
            json!({
                "timeout": action.limits.timeout.as_millis() as u64,
                "memory": action.limits.memory_mb,
                "logs": action.limits.logs_mb,
                "concurrency": action.limits.max_concurrent,
            }),
        );
        annotations
            .insert("path".into(), Value::String(action.qualified_name().trim_start_matches('/').into()));
        annotations.insert("kind".into(), Value::String(action.kind.clone()));
        annotations.insert("timeout".into(), Value::Bool(is_timeout));
        if job.msg.caused_by_sequence {
            annotations.insert("causedBy".into(), Value::String("sequence".into()));
        }
        if let Some(init) = init {
            annotations.insert("initTime".into(), json!(millis(init.duration())));
        }
        let started = init.map_or(total.start, |i| i.start);
        let wait = started.saturating_duration_since(job.msg.transaction_start);
        annotations.insert("waitTime".into(), json!(millis(wait)));
        if let Some(binding) = &job.msg.binding {
            annotations.insert("binding".into(), Value::String(binding.clone()));
        }
        Activation {
            activation_id: job.msg.activation_id.clone(),
            namespace: job.msg.namespace.clone(),
            subject: job.msg.subject.clone(),
            name: action.name.clone(),
            version: action.version.clone(),
            interval: total,
            response,
            logs: Vec::new(),
            annotations,
        }
    }

    /// How long it took, in ms.
    pub fn duration_ms(&self) -> u64 {
        millis(self.interval.duration())
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The acknowledgement kinds (reference 1.9 step 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckKind {
    /// Result and completion at once (blocking, no logs to wait for).
    CombinedCompletionAndResult,
    /// The result, before logs are collected (blocking).
    Result,
    /// The completion: the capacity is free.
    Completion,
}

impl AckKind {
    /// The acknowledgement of an activation that collects no logs: the result and
    /// the completion at once for a blocking caller, the completion alone otherwise.
    pub fn without_logs(blocking: bool) -> Option<AckKind> {
        AckKind::plan(blocking, false).0
    }

    /// The acknowledgements of one activation, before and after log collection.
    pub fn plan(blocking: bool, collects_logs: bool) -> (Option<AckKind>, Option<AckKind>) {
        match (blocking, collects_logs) {
            (true, false) => (Some(AckKind::CombinedCompletionAndResult), None),
            (true, true) => (Some(AckKind::Result), Some(AckKind::Completion)),
            (false, false) => (Some(AckKind::Completion), None),
            (false, true) => (None, Some(AckKind::Completion)),
        }
    }
}

/// Where activation records go. Failures are the sink's to log: an activation is
/// never held back because an ack failed.
#[async_trait]
pub trait ActivationSink: Send + Sync + 'static {
    /// Acknowledges `activation` to the controller.
    async fn ack(&self, kind: AckKind, activation: &Activation, blocking: bool);
    /// Stores `activation`. Called for every activation, whatever happened.
    async fn store(&self, activation: &Activation, blocking: bool);
}

#[cfg(test)]
mod tests {
    use super::AckKind::{self, *};

    #[test]
    fn the_four_acknowledgement_kinds() {
        assert_eq!(AckKind::plan(true, false), (Some(CombinedCompletionAndResult), None));
        assert_eq!(AckKind::plan(true, true), (Some(Result), Some(Completion)));
        assert_eq!(AckKind::plan(false, false), (Some(Completion), None));
        assert_eq!(AckKind::plan(false, true), (None, Some(Completion)));
        assert_eq!(AckKind::without_logs(true), Some(CombinedCompletionAndResult));
        assert_eq!(AckKind::without_logs(false), Some(Completion));
    }
}
