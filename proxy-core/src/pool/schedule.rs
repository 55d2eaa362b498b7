//! The pool's pure decisions: upstream's `ContainerPool` companion object
//! (`ContainerPool.scala`, `object ContainerPool`), plus the pool's
//! `hasPoolSpaceFor`.
//!
//! - [`schedule`] / [`FreePool::schedule`]: upstream's `schedule`, which container of
//!   the free pool takes a run: a warm one first (same invocation namespace, same
//!   action, capacity left), then a warming one, then a warming-cold one. Upstream
//!   scans the free pool three times per activation; [`reference::schedule`] is that
//!   scan, kept as the reference, and [`FreePool`] answers the same question from an
//!   index kept up to date as containers are inserted and removed;
//! - [`remove`]: upstream's `remove`, which idle warm containers to evict, oldest
//!   `last_used` first, to free a given memory, and none unless they free enough
//!   together;
//! - [`remove_expired`]: upstream's `removeExpired`, which expired prewarms to
//!   remove, oldest expiry first across kinds, at most a limit;
//! - [`increase_prewarms`] (with [`reactive_cold`], upstream's `getReactiveCold`):
//!   upstream's `increasePrewarms`, how many prewarms of each configured kind there
//!   are and should be;
//! - [`has_pool_space_for`] (with [`memory_consumption_of`]): the pool's
//!   `hasPoolSpaceFor`, whether a container of a given memory fits the budget.
//!
//! Deviation, in every function that picks among equals: where upstream's choice
//! depends on the iteration order of a Scala `Map` (which `find` or `minBy` meets
//! first), the choice here is the lowest key, so that it is deterministic and the
//! indexed [`FreePool::schedule`] can be checked against [`reference::schedule`].
//! Keys are therefore `Ord`.
//!
//! Action identity, as upstream: two actions are the same when they are
//! structurally equal (upstream's case-class equality of `ExecutableWhiskAction`,
//! which leaves out the document revision; our [`Action`] has no revision, so its
//! `==` is that equality).

use std::borrow::Borrow;
use std::collections::btree_map;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use tokio::time::Instant;

use super::config::{ColdStartKey, PrewarmingConfig, ReactivePrewarmingConfig};
use super::data::{PoolData, PreWarmedData, WarmthClass};
use crate::container::Action;

/// Whether `a` and `b` are the same action for scheduling: structurally equal,
/// checked by address first since the pool usually holds the run's own `Arc`.
fn same_action(a: &Action, b: &Action) -> bool {
    std::ptr::eq(a, b) || a == b
}

/// Upstream's linear `schedule`, kept literally as the reference the indexed
/// [`FreePool::schedule`] is tested and measured against.
pub mod reference {
    use std::collections::BTreeMap;

    use super::same_action;
    use crate::container::Action;
    use crate::pool::data::PoolData;

    /// The container of `free` that takes a run of `action` for
    /// `invocation_namespace`, as upstream chooses it: three scans of the whole
    /// pool, for a warm container, then a warming one, then a warming-cold one,
    /// each with the same invocation namespace, the same action and capacity left.
    /// `None` if there is none; prewarmed and cold data are never chosen here.
    ///
    /// Deviation: among several that match in one scan, upstream takes the first
    /// its `Map` yields; this takes the lowest key (a `BTreeMap` yields keys in
    /// order).
    pub fn schedule<'a, K: Ord, C>(
        action: &Action,
        invocation_namespace: &str,
        free: &'a BTreeMap<K, PoolData<C>>,
    ) -> Option<(&'a K, &'a PoolData<C>)> {
        let matches = |data: &PoolData<C>| {
            data.invocation_namespace() == Some(invocation_namespace)
                && data.action().is_some_and(|a| same_action(a, action))
                && data.has_capacity()
        };
        free.iter()
            .find(|(_, data)| matches!(data, PoolData::Warmed(_)) && matches(data))
            .or_else(|| free.iter().find(|(_, data)| matches!(data, PoolData::Warming(_)) && matches(data)))
            .or_else(|| {
                free.iter().find(|(_, data)| matches!(data, PoolData::WarmingCold(_)) && matches(data))
            })
    }
}

/// What the index is looked up by: an invocation namespace and an action. A trait
/// object, so that a lookup borrows the caller's `&str` and `&Action` instead of
/// building an owned key per decision.
trait Identity {
    fn invocation_namespace(&self) -> &str;
    fn action(&self) -> &Action;
}

/// The owned index key.
#[derive(Debug)]
struct IdentityKey {
    invocation_namespace: String,
    action: Arc<Action>,
}

impl Identity for IdentityKey {
    fn invocation_namespace(&self) -> &str {
        &self.invocation_namespace
    }
    fn action(&self) -> &Action {
        &self.action
    }
}

impl Identity for (&str, &Action) {
    fn invocation_namespace(&self) -> &str {
        self.0
    }
    fn action(&self) -> &Action {
        self.1
    }
}

impl Hash for dyn Identity + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Only the short fields that name an action: equal actions hash the same,
        // and hashing the code on every decision would cost in proportion to it.
        // Actions differing only elsewhere share a bucket and `eq` tells them apart.
        self.invocation_namespace().hash(state);
        let action = self.action();
        action.namespace.hash(state);
        action.package.hash(state);
        action.name.hash(state);
        action.version.hash(state);
    }
}

impl PartialEq for dyn Identity + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.invocation_namespace() == other.invocation_namespace()
            && same_action(self.action(), other.action())
    }
}

impl Eq for dyn Identity + '_ {}

impl Hash for IdentityKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self as &dyn Identity).hash(state)
    }
}

impl PartialEq for IdentityKey {
    fn eq(&self, other: &Self) -> bool {
        (self as &dyn Identity) == (other as &dyn Identity)
    }
}

impl Eq for IdentityKey {}

impl<'a> Borrow<dyn Identity + 'a> for IdentityKey {
    fn borrow(&self) -> &(dyn Identity + 'a) {
        self
    }
}

/// The keys of one (invocation namespace, action) that have capacity, per warmth
/// class in [`WarmthClass::PREFERENCE`] order; sets, so the lowest key is first.
#[derive(Debug)]
struct Candidates<K> {
    by_class: [BTreeSet<K>; 3],
}

impl<K> Candidates<K> {
    fn is_empty(&self) -> bool {
        self.by_class.iter().all(BTreeSet::is_empty)
    }
}

fn slot(class: WarmthClass) -> usize {
    match class {
        WarmthClass::Warmed => 0,
        WarmthClass::Warming => 1,
        WarmthClass::WarmingCold => 2,
    }
}

/// Upstream's `freePool` (`Map[ActorRef, ContainerData]`) with an index for
/// [`FreePool::schedule`]: for each (invocation namespace, action), the keys of
/// the containers with capacity left, per warmth class. Every change goes through
/// [`FreePool::insert`] and [`FreePool::remove`], which keep the index in step, so
/// a decision costs one hash lookup and the first key of a set, whatever the size
/// of the pool.
#[derive(Debug)]
pub struct FreePool<K, C> {
    entries: BTreeMap<K, PoolData<C>>,
    index: HashMap<IdentityKey, Candidates<K>>,
}

impl<K: Ord + Clone, C> Default for FreePool<K, C> {
    fn default() -> Self {
        FreePool { entries: BTreeMap::new(), index: HashMap::new() }
    }
}

impl<K: Ord + Clone, C> FreePool<K, C> {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `data` under `key`, replacing (and returning) what was there.
    pub fn insert(&mut self, key: K, data: PoolData<C>) -> Option<PoolData<C>> {
        let old = self.entries.remove(&key);
        if let Some(old) = &old {
            self.index_drop(&key, old);
        }
        self.index_add(&key, &data);
        self.entries.insert(key, data);
        old
    }

    /// Removes and returns the data under `key`.
    pub fn remove(&mut self, key: &K) -> Option<PoolData<C>> {
        let old = self.entries.remove(key)?;
        self.index_drop(key, &old);
        Some(old)
    }

    /// The data under `key`.
    pub fn get(&self, key: &K) -> Option<&PoolData<C>> {
        self.entries.get(key)
    }

    /// Whether `key` is in the pool.
    pub fn contains_key(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    /// How many containers it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Its containers, by key.
    pub fn iter(&self) -> btree_map::Iter<'_, K, PoolData<C>> {
        self.entries.iter()
    }

    /// Its containers as a map (what [`reference::schedule`] and [`remove`] read).
    pub fn as_map(&self) -> &BTreeMap<K, PoolData<C>> {
        &self.entries
    }

    /// The container that takes a run of `action` for `invocation_namespace`:
    /// the same choice as [`reference::schedule`] on [`FreePool::as_map`] (lowest
    /// key among the best warmth class), from the index.
    pub fn schedule(&self, action: &Action, invocation_namespace: &str) -> Option<(&K, &PoolData<C>)> {
        let wanted = (invocation_namespace, action);
        let candidates = self.index.get(&wanted as &dyn Identity)?;
        let key = candidates.by_class.iter().find_map(|keys| keys.first())?;
        self.entries.get_key_value(key)
    }

    /// Adds `key` to the index if `data` is a candidate; a new bucket's key shares
    /// the data's `Arc<Action>`.
    fn index_add(&mut self, key: &K, data: &PoolData<C>) {
        let (Some(class), Some(ns), Some(action)) =
            (data.warmth_class(), data.invocation_namespace(), data.action())
        else {
            return;
        };
        if !data.has_capacity() {
            return;
        }
        let wanted = (ns, &**action);
        let candidates = match self.index.get_mut(&wanted as &dyn Identity) {
            Some(candidates) => candidates,
            None => self
                .index
                .entry(IdentityKey { invocation_namespace: ns.to_owned(), action: Arc::clone(action) })
                .or_insert_with(|| Candidates { by_class: Default::default() }),
        };
        candidates.by_class[slot(class)].insert(key.clone());
    }

    /// Removes `key` from the index where `data` put it; drops emptied buckets so
    /// that actions no longer in the pool cost nothing.
    fn index_drop(&mut self, key: &K, data: &PoolData<C>) {
        let (Some(class), Some(ns), Some(action)) =
            (data.warmth_class(), data.invocation_namespace(), data.action())
        else {
            return;
        };
        let wanted = (ns, &**action);
        let Some(candidates) = self.index.get_mut(&wanted as &dyn Identity) else { return };
        candidates.by_class[slot(class)].remove(key);
        if candidates.is_empty() {
            self.index.remove(&wanted as &dyn Identity);
        }
    }

    /// How many (invocation namespace, action) buckets the index holds (for tests
    /// that check emptied buckets are dropped).
    pub fn index_buckets(&self) -> usize {
        self.index.len()
    }
}

/// Upstream's `schedule` on the indexed pool: see [`FreePool::schedule`].
pub fn schedule<'a, K: Ord + Clone, C>(
    action: &Action,
    invocation_namespace: &str,
    free: &'a FreePool<K, C>,
) -> Option<(&'a K, &'a PoolData<C>)> {
    free.schedule(action, invocation_namespace)
}

/// The memory of the containers in `pool`, in MB (upstream's
/// `memoryConsumptionOf`).
pub fn memory_consumption_of<'a, C: 'a>(pool: impl IntoIterator<Item = &'a PoolData<C>>) -> u64 {
    pool.into_iter().map(PoolData::memory_mb).sum()
}

/// Whether a container of `memory_mb` fits (the pool's `hasPoolSpaceFor`): the
/// memory of the containers the pool has (`used_mb`: its busy, free and prewarmed
/// pools), plus that of the prewarms being started (`starting_mb`), plus the new
/// one, is at most `user_memory_mb`.
pub fn has_pool_space_for(
    used_mb: impl IntoIterator<Item = u64>,
    starting_mb: impl IntoIterator<Item = u64>,
    memory_mb: u64,
    user_memory_mb: u64,
) -> bool {
    // A sum past `u64::MAX` does not fit any budget (saturating would let it fit one of `u64::MAX`).
    let total = used_mb.into_iter().chain(starting_mb).try_fold(memory_mb, u64::checked_add);
    total.is_some_and(|total| total <= user_memory_mb)
}

/// The containers of `free` to evict so that `memory_mb` more fits (upstream's
/// `remove`), oldest first: only warm containers with no activation out are
/// eligible (prewarmed, warming and busy ones stay), the least recently used go
/// first until `memory_mb` is covered, and none go unless the eligible ones
/// together free at least `memory_mb`. Empty when `memory_mb` is 0.
///
/// Deviation: among containers last used at the same instant, the lowest key goes
/// first (upstream: the first its `Map` yields).
pub fn remove<'a, K: Ord + Clone + 'a, C: 'a>(
    free: impl IntoIterator<Item = (&'a K, &'a PoolData<C>)>,
    memory_mb: u64,
) -> Vec<K> {
    let mut eligible: Vec<(Instant, &K, u64)> = free
        .into_iter()
        .filter_map(|(key, data)| match data {
            PoolData::Warmed(w) if w.active_activation_count == 0 => {
                Some((w.last_used, key, data.memory_mb()))
            }
            _ => None,
        })
        .collect();
    let available: u64 = eligible.iter().map(|(_, _, memory)| memory).sum();
    if memory_mb == 0 || eligible.is_empty() || available < memory_mb {
        return Vec::new();
    }
    eligible.sort_unstable_by(|(a_used, a_key, _), (b_used, b_key, _)| (a_used, a_key).cmp(&(b_used, b_key)));
    // Upstream recurses, re-checking that the rest frees enough for the rest of
    // the need; once the whole set frees enough, that check always holds, so
    // taking the oldest until the need is covered is the same.
    let mut needed = memory_mb;
    let mut evicted = Vec::new();
    for (_, key, memory) in eligible {
        if needed == 0 {
            break;
        }
        evicted.push(key.clone());
        needed = needed.saturating_sub(memory);
    }
    evicted
}

/// The expired prewarms of `prewarmed` to remove at `now` (upstream's
/// `removeExpired`): those of a reactive kind in `configs` (same kind and memory)
/// whose expiry has passed, oldest expiry first across all kinds, at most `limit`
/// (upstream's `prewarmExpirationLimit`). The count the kind keeps is not
/// considered: backfilling restores it afterwards.
///
/// Deviations: among equal expiries the lowest key goes first; and a prewarm
/// matched by two identical reactive configs is listed once (upstream would list
/// it once per config and send it `Remove` twice).
pub fn remove_expired<'a, K: Ord + Clone + 'a, C: 'a>(
    configs: &[PrewarmingConfig],
    prewarmed: impl IntoIterator<Item = (&'a K, &'a PreWarmedData<C>)>,
    limit: usize,
    now: Instant,
) -> Vec<K> {
    let reactive = |p: &PreWarmedData<C>| {
        configs.iter().any(|c| c.reactive.is_some() && c.kind == p.kind && c.memory_mb == p.memory_mb)
    };
    let mut expired: Vec<(Instant, &K)> = prewarmed
        .into_iter()
        .filter(|(_, p)| p.is_expired(now) && reactive(p))
        .filter_map(|(key, p)| p.expires.map(|expires| (expires, key)))
        .collect();
    expired.sort_unstable();
    expired.into_iter().take(limit).map(|(_, key)| key.clone()).collect()
}

/// How many prewarms of one configured kind there are and should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrewarmCount {
    /// Started or starting, expired ones included (they may not be removed yet).
    pub current: usize,
    /// How many there should be.
    pub desired: usize,
}

impl PrewarmCount {
    /// How many to start: `desired - current`, or none.
    pub fn to_start(&self) -> usize {
        self.desired.saturating_sub(self.current)
    }
}

/// The prewarm count a reactive kind should have after `cold_starts` cold starts
/// of it (upstream's `getReactiveCold`): `increment` per `threshold` cold starts,
/// at least `min_count`, at most `max_count`. `None` when no cold start of the kind
/// was counted.
pub fn reactive_cold(
    cold_starts: &HashMap<ColdStartKey, usize>,
    reactive: &ReactivePrewarmingConfig,
    kind: &str,
    memory_mb: u64,
) -> Option<usize> {
    let key = ColdStartKey { kind: kind.to_owned(), memory_mb };
    cold_starts.get(&key).map(|&count| {
        (count / reactive.threshold() * reactive.increment())
            .max(reactive.min_count())
            .min(reactive.max_count())
    })
}

/// For each of `configs`, in order, how many prewarms of its kind and memory there
/// are in `prewarmed` and `starting` (`(kind, memory_mb)` of prewarms being
/// started) and how many there should be (upstream's `increasePrewarms`):
///
/// - `init` (the pool is starting): `initial_count`;
/// - `scheduled` (the periodic adjustment): for a reactive kind, what
///   [`reactive_cold`] says, or `min_count` when it had no cold start; for another,
///   `initial_count`;
/// - otherwise (backfilling after a prewarm was removed): `min_count` for a
///   reactive kind, `initial_count` for another.
///
/// Deviation: upstream returns a map keyed by config, so identical configs count
/// once; this returns one count per config, in order.
pub fn increase_prewarms<'a, 'b, C: 'a>(
    init: bool,
    scheduled: bool,
    cold_starts: &HashMap<ColdStartKey, usize>,
    configs: &[PrewarmingConfig],
    prewarmed: impl IntoIterator<Item = &'a PreWarmedData<C>>,
    starting: impl IntoIterator<Item = (&'b str, u64)>,
) -> Vec<PrewarmCount> {
    let mut present: HashMap<(&str, u64), usize> = HashMap::new();
    for p in prewarmed {
        *present.entry((p.kind.as_str(), p.memory_mb)).or_default() += 1;
    }
    for (kind, memory_mb) in starting {
        *present.entry((kind, memory_mb)).or_default() += 1;
    }
    configs
        .iter()
        .map(|config| {
            let current = present.get(&(config.kind.as_str(), config.memory_mb)).copied().unwrap_or(0);
            let desired = match (&config.reactive, init, scheduled) {
                (_, true, _) | (None, false, _) => config.initial_count,
                (Some(reactive), false, true) => {
                    reactive_cold(cold_starts, reactive, &config.kind, config.memory_mb)
                        .unwrap_or(reactive.min_count())
                }
                (Some(reactive), false, false) => reactive.min_count(),
            };
            PrewarmCount { current, desired }
        })
        .collect()
}

#[cfg(test)]
mod tests;
