//! The pool's side of adoption at restart (D28, see
//! [`adoption`](crate::pool::adoption)): at start, survivors become adopted proxies
//! or are removed; a run whose record matches takes an adopted container; a
//! container's record is written when it is first warm and deleted when it goes.
//!
//! An adopted container sits in the free pool as [`PoolData::Warmed`] with the
//! record's stand-in action (which no run's action equals, so the warm match never
//! picks it) and `last_used` the instant of adoption, older than any run's: its
//! memory counts, and while idle it is evicted before the containers that ran
//! something since, by the pool's ordinary eviction. Only the lookup by record is
//! added, between the warm match and the prewarms.

use std::sync::Arc;

use tokio::time::Instant;

use super::{Pool, ProxyKey};
use crate::container::{Adopted, Container, ContainerId, ContainerProxyEvent, Run};
use crate::pool::adoption::{self, Adoption, AdoptionRecord};
use crate::pool::data::{PoolData, WarmedData};

impl Pool {
    /// At start, before the initial prewarms: adopts the survivors that have a
    /// record, fit the budget and are alive; removes the others; deletes the
    /// records of containers that are gone. When the backend cannot list its
    /// survivors, nothing is adopted and the ledger is left as it is.
    pub(super) async fn adopt_survivors(&mut self) {
        let Some(mut adoption) = self.adoption.take() else { return };
        let factory = self.deps.factory.clone();
        let survivors = match factory.survivors().await {
            Ok(survivors) => survivors,
            Err(error) => {
                tracing::warn!(
                    error = &error as &dyn std::error::Error,
                    "cannot list survivors: none adopted"
                );
                self.adoption = Some(adoption);
                return;
            }
        };
        let ledger = adoption.ledger().clone();
        let read = move || {
            // Nothing of this pool writes yet.
            ledger.clear_temporary();
            ledger.read()
        };
        let entries = match tokio::task::spawn_blocking(read).await {
            Ok(Ok(entries)) => entries,
            Ok(Err(error)) => {
                tracing::warn!(error = &error as &dyn std::error::Error, "cannot read the adoption ledger");
                Vec::new()
            }
            Err(error) => {
                tracing::error!(%error, "reading the adoption ledger failed");
                Vec::new()
            }
        };
        let (plan, unreadable) = adoption::plan(survivors, entries);
        for (id, error) in unreadable {
            tracing::warn!(container = %id, error = &error as &dyn std::error::Error, "unreadable adoption record deleted");
            adoption.discard(id);
        }
        for id in plan.stale {
            tracing::debug!(container = %id, "adoption record of a container that is gone deleted");
            adoption.discard(id);
        }
        for survivor in plan.unrecorded {
            self.remove_survivor(&survivor.id, "it has no adoption record").await;
        }
        for (survivor, record) in plan.candidates {
            if !self.has_space_for(record.memory_mb) {
                self.remove_survivor(&survivor.id, "it does not fit the budget").await;
                adoption.discard(survivor.id);
                continue;
            }
            match factory.adopt(&survivor).await {
                Ok(container) => self.start_adopted(&mut adoption, container, survivor.paused, record),
                Err(error) => {
                    tracing::info!(container = %survivor.id, error = &error as &dyn std::error::Error, "survivor not adoptable");
                    self.remove_survivor(&survivor.id, "it cannot be adopted").await;
                    adoption.discard(survivor.id);
                }
            }
        }
        self.adoption = Some(adoption);
    }

    async fn remove_survivor(&self, id: &ContainerId, why: &'static str) {
        tracing::info!(container = %id, why, "removing a survivor");
        if let Err(error) = self.deps.factory.remove_survivor(id).await {
            tracing::warn!(container = %id, error = &error as &dyn std::error::Error, "could not remove a survivor");
        }
    }

    /// A new proxy handed the adopted `container`, counted in the free pool.
    fn start_adopted(
        &mut self,
        adoption: &mut Adoption<ProxyKey>,
        container: Arc<dyn Container>,
        paused: bool,
        record: AdoptionRecord,
    ) {
        let key = self.new_proxy();
        let action = record.stand_in();
        let id = container.id().clone();
        tracing::info!(proxy = key.0, container = %id, action = %record.action, paused, "adopted a warm container");
        self.free.insert(
            key,
            PoolData::Warmed(WarmedData {
                container: id.clone(),
                invocation_namespace: record.invocation_namespace.clone(),
                action: action.clone(),
                last_used: Instant::now(),
                active_activation_count: 0,
                resume_run: None,
            }),
        );
        let invocation_namespace = record.invocation_namespace.clone();
        adoption.adopted(key, id, record);
        self.send(
            key,
            ContainerProxyEvent::Adopt(Adopted { container, invocation_namespace, action, paused }),
        );
    }

    /// The adopted container whose record matches `run`, now the run's: its data
    /// carries the run's action from here on (the record has no code).
    pub(super) fn take_adopted(&mut self, run: &Run) -> Option<(ProxyKey, PoolData<ContainerId>)> {
        let record = AdoptionRecord::of(&run.action, &run.msg.namespace);
        let key = self.adoption.as_mut()?.take(&record)?;
        // Evicted meanwhile: it is going, and the run goes elsewhere.
        let Some(PoolData::Warmed(stand_in)) = self.free.remove(&key) else { return None };
        let data = PoolData::Warmed(WarmedData { action: Arc::clone(&run.action), ..stand_in });
        self.free.insert(key, data.clone());
        Some((key, data))
    }

    /// Proxy `key` reported itself warm with `data`: its record is written the
    /// first time.
    pub(super) fn record_warm(&mut self, key: ProxyKey, data: &WarmedData<ContainerId>) {
        if let Some(adoption) = self.adoption.as_mut() {
            adoption
                .warm(key, &data.container, || AdoptionRecord::of(&data.action, &data.invocation_namespace));
        }
    }

    /// Proxy `key`'s container is going or gone: its record is deleted.
    pub(super) fn forget_record(&mut self, key: ProxyKey) {
        if let Some(adoption) = self.adoption.as_mut() {
            adoption.gone(key);
        }
    }

    /// Adopted containers no run has taken yet.
    pub(super) fn adopted_untaken(&self) -> usize {
        self.adoption.as_ref().map_or(0, Adoption::untaken)
    }
}
