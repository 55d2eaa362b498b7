//! Warm containers survive a restart (deviation D28 of `UPSTREAM.md`): upstream
//! removes every container when an invoker starts, so every deploy means cold
//! starts. Here, with [`PoolConfig::adoption`](super::PoolConfig::adoption) set, a
//! starting pool looks at the containers an earlier process of its instance left
//! ([`ContainerFactory::survivors`](crate::container::ContainerFactory::survivors)),
//! and adopts each one that is alive, has a record in the [`Ledger`] and fits the
//! budget, as a warm container (`Ready` or `Paused`) of the action it was
//! initialized with. The rest are removed, as upstream removes them all.
//!
//! - [`record`]: the [`AdoptionRecord`], what a container was initialized with;
//! - [`ledger`]: where the records live, one file per container, on the host;
//! - this module: the settings, and the pool's bookkeeping of adopted and recorded
//!   containers.
//!
//! The record is written when a container first reports itself warm (its /init
//! succeeded), not at create: a prewarm learns its action only at /init, and a
//! container that crashed before /init finished must not be adopted. It is removed
//! when the container is.

pub mod ledger;
pub mod record;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

pub use ledger::{Entry, Ledger, LedgerError};
pub use record::AdoptionRecord;

use crate::container::{ContainerId, Survivor};
use ledger::LedgerWriter;

/// Where a pool keeps its adoption records: a directory of this instance's
/// own, on the host, kept across restarts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdoptionConfig {
    /// The ledger's directory (created when first written).
    pub dir: PathBuf,
}

/// What becomes of the survivors and ledger files found at start, before the
/// budget and the alive check have their say.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Survivors with a record: adopted if they fit and are alive.
    pub(crate) candidates: Vec<(Survivor, AdoptionRecord)>,
    /// Survivors with no (readable) record: removed.
    pub(crate) unrecorded: Vec<Survivor>,
    /// Records of containers that are gone: deleted.
    pub(crate) stale: Vec<ContainerId>,
}

/// Matches survivors with ledger entries. An unreadable entry is logged and
/// deleted; its container has no record.
pub(crate) fn plan(
    mut survivors: Vec<Survivor>,
    entries: Vec<Entry>,
) -> (Plan, Vec<(ContainerId, LedgerError)>) {
    let mut records = HashMap::new();
    let mut unreadable = Vec::new();
    for Entry { id, record } in entries {
        match record {
            Ok(record) => {
                records.insert(id, record);
            }
            Err(error) => unreadable.push((id, error)),
        }
    }
    survivors.sort_by(|a, b| a.id.0.cmp(&b.id.0));
    let mut plan = Plan::default();
    for survivor in survivors {
        match records.remove(&survivor.id) {
            Some(record) => plan.candidates.push((survivor, record)),
            None => plan.unrecorded.push(survivor),
        }
    }
    let mut stale: Vec<ContainerId> = records.into_keys().collect();
    stale.sort_by(|a, b| a.0.cmp(&b.0));
    plan.stale = stale;
    (plan, unreadable)
}

/// The pool's adoption bookkeeping, keyed by the pool's proxy key `K`.
#[derive(Debug)]
pub(crate) struct Adoption<K> {
    ledger: Arc<Ledger>,
    writer: LedgerWriter,
    /// Adopted containers no run has taken yet, with their records.
    untaken: BTreeMap<K, AdoptionRecord>,
    /// The containers whose record is in the ledger, by proxy.
    recorded: HashMap<K, ContainerId>,
}

impl<K: Ord + std::hash::Hash + Copy> Adoption<K> {
    /// Adoption into `config`'s ledger (spawns the ledger's writer task).
    pub(crate) fn new(config: &AdoptionConfig) -> Self {
        let ledger = Arc::new(Ledger::new(config.dir.clone()));
        Adoption {
            writer: LedgerWriter::spawn(ledger.clone()),
            ledger,
            untaken: BTreeMap::new(),
            recorded: HashMap::new(),
        }
    }

    pub(crate) fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    /// The container of proxy `key` was adopted with `record`.
    pub(crate) fn adopted(&mut self, key: K, container: ContainerId, record: AdoptionRecord) {
        self.untaken.insert(key, record);
        self.recorded.insert(key, container);
    }

    /// The untaken adopted container whose record `record` equals (lowest key
    /// first), now taken.
    pub(crate) fn take(&mut self, record: &AdoptionRecord) -> Option<K> {
        let key = self.untaken.iter().find(|(_, r)| *r == record).map(|(key, _)| *key)?;
        self.untaken.remove(&key);
        Some(key)
    }

    /// How many adopted containers wait for their first run.
    pub(crate) fn untaken(&self) -> usize {
        self.untaken.len()
    }

    /// Proxy `key`'s container is warm with `record`: written to the ledger the
    /// first time.
    pub(crate) fn warm(&mut self, key: K, container: &ContainerId, record: impl FnOnce() -> AdoptionRecord) {
        if self.recorded.contains_key(&key) {
            return;
        }
        self.recorded.insert(key, container.clone());
        self.writer.write(container.clone(), record());
    }

    /// Proxy `key`'s container is going or gone: its record is deleted.
    pub(crate) fn gone(&mut self, key: K) {
        self.untaken.remove(&key);
        if let Some(container) = self.recorded.remove(&key) {
            self.writer.remove(container);
        }
    }

    /// Deletes container `id`'s record (one not adopted).
    pub(crate) fn discard(&self, id: ContainerId) {
        self.writer.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::Action;

    fn survivor(id: &str) -> Survivor {
        Survivor { id: ContainerId(id.into()), paused: false }
    }

    fn entry(id: &str, record: Result<AdoptionRecord, LedgerError>) -> Entry {
        Entry { id: ContainerId(id.into()), record }
    }

    #[test]
    fn survivors_with_records_are_candidates_the_rest_removed_and_stale_records_deleted() {
        let record = AdoptionRecord::of(&Action::new("guest", "a", "img", "code"), "guest");
        let unreadable = LedgerError::Unreadable {
            path: "x".into(),
            source: serde_json::from_str::<AdoptionRecord>("{").unwrap_err(),
        };
        let (plan, bad) = plan(
            vec![survivor("c"), survivor("a"), survivor("b")],
            vec![
                entry("a", Ok(record.clone())),
                entry("b", Err(unreadable)),
                entry("gone", Ok(record.clone())),
            ],
        );
        assert_eq!(plan.candidates, vec![(survivor("a"), record)]);
        assert_eq!(plan.unrecorded, vec![survivor("b"), survivor("c")]);
        assert_eq!(plan.stale, vec![ContainerId("gone".into())]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, ContainerId("b".into()));
    }
}
