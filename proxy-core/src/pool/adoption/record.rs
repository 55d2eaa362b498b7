//! What a warm container was initialized with: the [`AdoptionRecord`] that lets a
//! restarted pool hand it the next activation of the same action, and only of it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::container::{Action, ActionLimits};

/// What one warm container was initialized with, as the ledger keeps it. A run
/// may take the container when `AdoptionRecord::of(&run.action, namespace)` equals
/// the record (the run's invocation namespace included).
///
/// ```
/// use proxy_core::container::Action;
/// use proxy_core::pool::adoption::AdoptionRecord;
/// let action = Action::new("guest", "hello", "runtime:latest", "echo '{}'");
/// let record = AdoptionRecord::of(&action, "guest");
/// assert_eq!(record.action, "/guest/hello");
/// // Changed code: another revision, so the old container is not reused.
/// let changed = Action { code: Some("echo '[]'".into()), ..action.clone() };
/// assert_ne!(AdoptionRecord::of(&changed, "guest"), record);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdoptionRecord {
    /// The namespace its activations run for.
    pub invocation_namespace: String,
    /// The action's qualified name (`/ns/[pkg/]name`).
    pub action: String,
    /// The action's version and a digest of what its /init received
    /// ([`revision_of`](Self::revision_of)).
    pub revision: String,
    /// The runtime kind.
    pub kind: String,
    /// The image the container runs.
    pub image: String,
    /// The container's memory in MB (the action's limit).
    pub memory_mb: u64,
    /// How many activations may run in it at once.
    pub max_concurrent: usize,
}

impl AdoptionRecord {
    /// The record of a container initialized with `action` for `invocation_namespace`.
    pub fn of(action: &Action, invocation_namespace: &str) -> Self {
        AdoptionRecord {
            invocation_namespace: invocation_namespace.to_owned(),
            action: action.qualified_name(),
            revision: Self::revision_of(action),
            kind: action.kind.clone(),
            image: action.image.clone(),
            memory_mb: action.limits.memory_mb,
            max_concurrent: action.limits.max_concurrent,
        }
    }

    /// `<version>@sha256:<hex>`: the version, and a SHA-256 digest of everything
    /// that defines what /init received or the container was made with (code,
    /// binary, main, kind, image, every annotation, memory, concurrency), so that an
    /// action changed without a new version never reuses an old container. The
    /// time limit and log limit are left out: they act per run, with the run's action.
    ///
    /// ```
    /// use proxy_core::container::Action;
    /// use proxy_core::pool::adoption::AdoptionRecord;
    /// let revision = AdoptionRecord::revision_of(&Action::new("guest", "a", "img", "code"));
    /// assert!(revision.starts_with("0.0.1@sha256:"));
    /// assert_eq!(revision.len(), "0.0.1@sha256:".len() + 64);
    /// ```
    pub fn revision_of(action: &Action) -> String {
        // A JSON array: each field in its place, no two inputs encode alike, and
        // the annotations' map is ordered by key (serde_json's `Map` is a BTreeMap).
        let defining = json!([
            action.kind,
            action.image,
            action.code,
            action.binary,
            action.main,
            action.annotations,
            action.limits.memory_mb,
            action.limits.max_concurrent,
        ]);
        let digest = Sha256::digest(defining.to_string().as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}@sha256:{hex}", action.version)
    }

    /// What the adopting proxy knows of the action until a run brings the real
    /// one: the names, kind, image and the limits that count, no code. Its version
    /// is the revision, so that it never equals an action a run brings and the
    /// free pool's warm match never picks an adopted container: only the record does.
    pub fn stand_in(&self) -> Arc<Action> {
        let parts: Vec<&str> = self.action.trim_start_matches('/').splitn(3, '/').collect();
        let (namespace, package, name) = match parts.as_slice() {
            [namespace, package, name] => (*namespace, Some((*package).to_owned()), *name),
            [namespace, name] => (*namespace, None, *name),
            _ => (self.invocation_namespace.as_str(), None, self.action.as_str()),
        };
        Arc::new(Action {
            package,
            version: self.revision.clone(),
            kind: self.kind.clone(),
            code: None,
            limits: ActionLimits {
                memory_mb: self.memory_mb,
                max_concurrent: self.max_concurrent,
                ..ActionLimits::default()
            },
            ..Action::new(namespace, name, self.image.clone(), "")
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map};

    use super::*;

    fn action() -> Action {
        Action {
            package: Some("pkg".into()),
            kind: "nodejs:20".into(),
            ..Action::new("owner", "hello", "runtime:latest", "function main() {}")
        }
    }

    #[test]
    fn the_same_action_gives_the_same_record() {
        assert_eq!(AdoptionRecord::of(&action(), "caller"), AdoptionRecord::of(&action(), "caller"));
    }

    #[test]
    fn every_field_that_defines_init_changes_the_revision() {
        let base = AdoptionRecord::revision_of(&action());
        let mut annotations = Map::new();
        annotations.insert("provide-api-key".into(), json!(false));
        let changed = [
            Action { code: Some("function main() { return {} }".into()), ..action() },
            Action { binary: true, ..action() },
            Action { main: Some("other".into()), ..action() },
            Action { kind: "python:3".into(), ..action() },
            Action { image: "runtime:2".into(), ..action() },
            Action { annotations, ..action() },
            Action { limits: ActionLimits { memory_mb: 512, ..ActionLimits::default() }, ..action() },
            Action { limits: ActionLimits { max_concurrent: 4, ..ActionLimits::default() }, ..action() },
            Action { version: "0.0.2".into(), ..action() },
        ];
        for action in changed {
            assert_ne!(AdoptionRecord::revision_of(&action), base, "{action:?}");
        }
    }

    #[test]
    fn limits_that_act_per_run_do_not_change_the_revision() {
        let limits =
            ActionLimits { logs_mb: 0, timeout: std::time::Duration::from_secs(5), ..Default::default() };
        let other = Action { limits, sentinelled_logs: true, ..action() };
        assert_eq!(AdoptionRecord::revision_of(&other), AdoptionRecord::revision_of(&action()));
    }

    #[test]
    fn the_invocation_namespace_and_the_name_are_part_of_the_match() {
        let record = AdoptionRecord::of(&action(), "caller");
        assert_ne!(AdoptionRecord::of(&action(), "other"), record);
        assert_ne!(AdoptionRecord::of(&Action { name: "bye".into(), ..action() }, "caller"), record);
        assert_ne!(AdoptionRecord::of(&Action { package: None, ..action() }, "caller"), record);
    }

    #[test]
    fn the_stand_in_keeps_names_and_limits_and_never_equals_the_action() {
        let record = AdoptionRecord::of(&action(), "caller");
        let stand_in = record.stand_in();
        assert_eq!(stand_in.qualified_name(), "/owner/pkg/hello");
        assert_eq!((stand_in.limits.memory_mb, stand_in.limits.max_concurrent), (256, 1));
        assert_eq!(stand_in.kind, "nodejs:20");
        assert_ne!(*stand_in, action());
        let plain = AdoptionRecord::of(&Action { package: None, ..action() }, "caller").stand_in();
        assert_eq!(plain.qualified_name(), "/owner/hello");
    }

    #[test]
    fn a_record_round_trips_through_json() {
        let record = AdoptionRecord::of(&action(), "caller");
        let text = serde_json::to_string(&record).unwrap();
        assert_eq!(serde_json::from_str::<AdoptionRecord>(&text).unwrap(), record);
    }
}
