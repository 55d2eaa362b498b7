//! The pool's view of one container: upstream's `ContainerData` hierarchy
//! (reference section 1.2) as one enum, [`PoolData`].
//!
//! Inside a proxy the data is only ever "nothing", "prewarmed" or "warmed"
//! ([`crate::container::Warmth`]); the pool adds two bookkeeping states of its own,
//! [`WarmingData`] (a prewarm handed a job, not initialized yet) and
//! [`WarmingColdData`] (a cold container handed a job, not created yet), so that
//! further activations of the same action can be sent to a container that is still
//! starting when the action allows concurrency.
//!
//! The variants are generic over `C`, the handle by which the pool names the
//! container (upstream's `Container` in `PreWarmedData`, `WarmingData` and
//! `WarmedData`); the pool may use `()` when the proxy's key is enough.
//!
//! Upstream stores `Instant.EPOCH` as `lastUsed` of data that never ran anything
//! (`NoData`, `MemoryData`, `PreWarmedData`); tokio's [`Instant`] has no epoch, so
//! [`PoolData::last_used`] is an `Option` whose `None` sorts before every instant,
//! which is what the epoch does in upstream's comparisons.

use std::sync::Arc;

use tokio::time::Instant;

use crate::container::{Action, Run};

/// A container the pool asked for with a memory size and nothing else yet
/// (upstream's `MemoryData`): a cold container about to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryData {
    /// Its memory in MB.
    pub memory_mb: u64,
}

/// A started container that has run nothing (upstream's `PreWarmedData`).
///
/// Upstream's `activeActivationCount` of this type is never anything but 0, so it
/// is not a field here.
#[derive(Debug, Clone, PartialEq)]
pub struct PreWarmedData<C> {
    /// The container.
    pub container: C,
    /// Its runtime kind.
    pub kind: String,
    /// Its memory in MB.
    pub memory_mb: u64,
    /// When it expires, for a prewarm with a time to live.
    pub expires: Option<Instant>,
}

impl<C> PreWarmedData<C> {
    /// Whether it has expired at `now` (upstream's `isExpired`, a `Deadline` being
    /// overdue: strictly past it).
    pub fn is_expired(&self, now: Instant) -> bool {
        self.expires.is_some_and(|expires| now > expires)
    }
}

/// A prewarmed container handed its first job, not initialized yet (upstream's
/// `WarmingData`, pool bookkeeping only).
#[derive(Debug, Clone, PartialEq)]
pub struct WarmingData<C> {
    /// The container.
    pub container: C,
    /// The namespace its activations run for.
    pub invocation_namespace: String,
    /// The action it is being initialized with.
    pub action: Arc<Action>,
    /// When it last took a job.
    pub last_used: Instant,
    /// Activations the pool sent it that have not come back.
    pub active_activation_count: usize,
}

/// A cold container handed its first job, not created yet (upstream's
/// `WarmingColdData`, pool bookkeeping only).
#[derive(Debug, Clone, PartialEq)]
pub struct WarmingColdData {
    /// The namespace its activations run for.
    pub invocation_namespace: String,
    /// The action it will be initialized with.
    pub action: Arc<Action>,
    /// When it last took a job.
    pub last_used: Instant,
    /// Activations the pool sent it that have not come back.
    pub active_activation_count: usize,
}

/// A container initialized with an action (upstream's `WarmedData`).
#[derive(Debug, Clone, PartialEq)]
pub struct WarmedData<C> {
    /// The container.
    pub container: C,
    /// The namespace its activations run for.
    pub invocation_namespace: String,
    /// The action it was initialized with.
    pub action: Arc<Action>,
    /// When it last took a job.
    pub last_used: Instant,
    /// Activations the pool sent it that have not come back.
    pub active_activation_count: usize,
    /// A job that arrived while it was paused and runs once it is resumed.
    pub resume_run: Option<Run>,
}

impl<C> WarmedData<C> {
    /// The same data with `run` to run on resume (upstream's `withResumeRun`).
    pub fn with_resume_run(self, run: Run) -> Self {
        WarmedData { resume_run: Some(run), ..self }
    }

    /// The same data with no job to run on resume (upstream's `withoutResumeRun`).
    pub fn without_resume_run(self) -> Self {
        WarmedData { resume_run: None, ..self }
    }
}

/// The warmth classes [`PoolData::next_run`] can lead to and `schedule` picks
/// from, in upstream's order of preference: warm first, then warming, then
/// warming-cold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WarmthClass {
    /// [`PoolData::Warmed`].
    Warmed,
    /// [`PoolData::Warming`].
    Warming,
    /// [`PoolData::WarmingCold`].
    WarmingCold,
}

impl WarmthClass {
    /// The classes in the order `schedule` tries them.
    pub const PREFERENCE: [WarmthClass; 3] =
        [WarmthClass::Warmed, WarmthClass::Warming, WarmthClass::WarmingCold];
}

/// The pool-side data of one container (upstream's `ContainerData` subclasses).
#[derive(Debug, Clone, PartialEq)]
pub enum PoolData<C> {
    /// No container and no memory reserved (upstream's `NoData`).
    NoData,
    /// A cold container reserved with a memory size (upstream's `MemoryData`).
    Memory(MemoryData),
    /// A prewarmed container (upstream's `PreWarmedData`).
    PreWarmed(PreWarmedData<C>),
    /// A prewarm taking its first job (upstream's `WarmingData`).
    Warming(WarmingData<C>),
    /// A cold container taking its first job (upstream's `WarmingColdData`).
    WarmingCold(WarmingColdData),
    /// A warm container (upstream's `WarmedData`).
    Warmed(WarmedData<C>),
}

impl<C> PoolData<C> {
    /// The memory it takes in MB (upstream's `memoryLimit`): 0 for `NoData`, the
    /// reserved or started size before an action, the action's memory limit after.
    pub fn memory_mb(&self) -> u64 {
        match self {
            PoolData::NoData => 0,
            PoolData::Memory(m) => m.memory_mb,
            PoolData::PreWarmed(p) => p.memory_mb,
            PoolData::Warming(w) => w.action.limits.memory_mb,
            PoolData::WarmingCold(w) => w.action.limits.memory_mb,
            PoolData::Warmed(w) => w.action.limits.memory_mb,
        }
    }

    /// When it last took a job; `None` (upstream's `Instant.EPOCH`, older than any
    /// instant) for data that never did.
    pub fn last_used(&self) -> Option<Instant> {
        match self {
            PoolData::NoData | PoolData::Memory(_) | PoolData::PreWarmed(_) => None,
            PoolData::Warming(w) => Some(w.last_used),
            PoolData::WarmingCold(w) => Some(w.last_used),
            PoolData::Warmed(w) => Some(w.last_used),
        }
    }

    /// Activations the pool sent it that have not come back (upstream's
    /// `activeActivationCount`; always 0 before an action is assigned).
    pub fn active_activation_count(&self) -> usize {
        match self {
            PoolData::NoData | PoolData::Memory(_) | PoolData::PreWarmed(_) => 0,
            PoolData::Warming(w) => w.active_activation_count,
            PoolData::WarmingCold(w) => w.active_activation_count,
            PoolData::Warmed(w) => w.active_activation_count,
        }
    }

    /// Whether it can take another activation (upstream's `hasCapacity`): always
    /// before an action is assigned; after, while fewer than the action's
    /// `max_concurrent` activations are out.
    pub fn has_capacity(&self) -> bool {
        match self.action() {
            None => true,
            Some(action) => self.active_activation_count() < action.limits.max_concurrent,
        }
    }

    /// How warm the container was when it took its job, as the activation's
    /// `initTime` annotation and the pool's logs name it (upstream's `initingState`).
    pub fn initing_state(&self) -> &'static str {
        match self {
            PoolData::NoData | PoolData::Memory(_) => "cold",
            PoolData::PreWarmed(_) => "prewarmed",
            PoolData::Warming(_) => "warming",
            PoolData::WarmingCold(_) => "warmingCold",
            PoolData::Warmed(_) => "warmed",
        }
    }

    /// The action it is (being) initialized with, if any.
    pub fn action(&self) -> Option<&Arc<Action>> {
        match self {
            PoolData::NoData | PoolData::Memory(_) | PoolData::PreWarmed(_) => None,
            PoolData::Warming(w) => Some(&w.action),
            PoolData::WarmingCold(w) => Some(&w.action),
            PoolData::Warmed(w) => Some(&w.action),
        }
    }

    /// The namespace its activations run for, if an action is assigned.
    pub fn invocation_namespace(&self) -> Option<&str> {
        match self {
            PoolData::NoData | PoolData::Memory(_) | PoolData::PreWarmed(_) => None,
            PoolData::Warming(w) => Some(&w.invocation_namespace),
            PoolData::WarmingCold(w) => Some(&w.invocation_namespace),
            PoolData::Warmed(w) => Some(&w.invocation_namespace),
        }
    }

    /// The container handle, once there is a container (upstream's `getContainer`).
    pub fn container(&self) -> Option<&C> {
        match self {
            PoolData::NoData | PoolData::Memory(_) | PoolData::WarmingCold(_) => None,
            PoolData::PreWarmed(p) => Some(&p.container),
            PoolData::Warming(w) => Some(&w.container),
            PoolData::Warmed(w) => Some(&w.container),
        }
    }

    /// Its class among those `schedule` picks from, if it is one of them.
    pub fn warmth_class(&self) -> Option<WarmthClass> {
        match self {
            PoolData::NoData | PoolData::Memory(_) | PoolData::PreWarmed(_) => None,
            PoolData::Warming(_) => Some(WarmthClass::Warming),
            PoolData::WarmingCold(_) => Some(WarmthClass::WarmingCold),
            PoolData::Warmed(_) => Some(WarmthClass::Warmed),
        }
    }

    /// The data once `run` is sent to this container at `now` (upstream's
    /// `nextRun`): `NoData` and `MemoryData` become [`WarmingColdData`], a prewarm
    /// becomes [`WarmingData`], each for the run's invocation namespace and action
    /// with one activation out; the three others keep their action, are last used
    /// `now` and count one more activation.
    pub fn next_run(self, run: &Run, now: Instant) -> Self {
        match self {
            PoolData::NoData | PoolData::Memory(_) => PoolData::WarmingCold(WarmingColdData {
                invocation_namespace: run.msg.namespace.clone(),
                action: Arc::clone(&run.action),
                last_used: now,
                active_activation_count: 1,
            }),
            PoolData::PreWarmed(p) => PoolData::Warming(WarmingData {
                container: p.container,
                invocation_namespace: run.msg.namespace.clone(),
                action: Arc::clone(&run.action),
                last_used: now,
                active_activation_count: 1,
            }),
            PoolData::Warming(w) => PoolData::Warming(WarmingData {
                last_used: now,
                active_activation_count: w.active_activation_count + 1,
                ..w
            }),
            PoolData::WarmingCold(w) => PoolData::WarmingCold(WarmingColdData {
                last_used: now,
                active_activation_count: w.active_activation_count + 1,
                ..w
            }),
            PoolData::Warmed(w) => PoolData::Warmed(WarmedData {
                last_used: now,
                active_activation_count: w.active_activation_count + 1,
                ..w
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::container::{ActionLimits, ActivationMessage};

    fn action(max_concurrent: usize) -> Arc<Action> {
        Arc::new(Action {
            limits: ActionLimits { memory_mb: 128, max_concurrent, ..ActionLimits::default() },
            ..Action::new("owner", "hello", "img", "code")
        })
    }

    fn run(action: &Arc<Action>, invoker: &str) -> Run {
        Run::new(Arc::clone(action), ActivationMessage::new("a1", invoker))
    }

    fn warmed(action: &Arc<Action>, last_used: Instant, active: usize) -> PoolData<u32> {
        PoolData::Warmed(WarmedData {
            container: 7,
            invocation_namespace: "caller".into(),
            action: Arc::clone(action),
            last_used,
            active_activation_count: active,
            resume_run: None,
        })
    }

    #[test]
    fn table_of_reference_1_2() {
        let t0 = Instant::now();
        let a = action(2);
        let prewarmed: PoolData<u32> = PoolData::PreWarmed(PreWarmedData {
            container: 7,
            kind: "k".into(),
            memory_mb: 256,
            expires: None,
        });
        let rows: Vec<(PoolData<u32>, u64, Option<Instant>, &str)> = vec![
            (PoolData::NoData, 0, None, "cold"),
            (PoolData::Memory(MemoryData { memory_mb: 512 }), 512, None, "cold"),
            (prewarmed, 256, None, "prewarmed"),
            (warmed(&a, t0, 1), 128, Some(t0), "warmed"),
        ];
        for (data, memory, last_used, state) in rows {
            assert_eq!(data.memory_mb(), memory, "{data:?}");
            assert_eq!(data.last_used(), last_used, "{data:?}");
            assert_eq!(data.initing_state(), state, "{data:?}");
            assert!(data.has_capacity(), "{data:?}");
        }
    }

    #[test]
    fn next_run_from_nothing_is_warming_cold_for_the_runs_namespace() {
        let now = Instant::now();
        let a = action(1);
        for data in [PoolData::<u32>::NoData, PoolData::Memory(MemoryData { memory_mb: 64 })] {
            let next = data.next_run(&run(&a, "caller"), now);
            assert_eq!(next.initing_state(), "warmingCold");
            assert_eq!(next.invocation_namespace(), Some("caller"));
            assert_eq!(next.active_activation_count(), 1);
            assert_eq!(next.last_used(), Some(now));
            // The action's memory now counts, not the reserved size.
            assert_eq!(next.memory_mb(), 128);
            assert!(!next.has_capacity());
            assert!(next.container().is_none());
        }
    }

    #[test]
    fn next_run_from_prewarmed_keeps_the_container() {
        let now = Instant::now();
        let a = action(3);
        let data: PoolData<u32> = PoolData::PreWarmed(PreWarmedData {
            container: 9,
            kind: "k".into(),
            memory_mb: 128,
            expires: None,
        });
        let next = data.next_run(&run(&a, "caller"), now);
        assert_eq!(next.initing_state(), "warming");
        assert_eq!(next.container(), Some(&9));
        assert_eq!(next.active_activation_count(), 1);
        assert!(next.has_capacity());
    }

    #[test]
    fn next_run_resets_last_used_and_counts_until_capacity_is_reached() {
        let t0 = Instant::now();
        let later = t0 + Duration::from_secs(5);
        let a = action(2);
        let data = warmed(&a, t0, 0);
        let once = data.next_run(&run(&a, "other"), later);
        assert_eq!(once.last_used(), Some(later));
        assert_eq!(once.active_activation_count(), 1);
        // The warm container keeps its own namespace: the run's is only taken on
        // the first job.
        assert_eq!(once.invocation_namespace(), Some("caller"));
        assert!(once.has_capacity());
        let twice = once.next_run(&run(&a, "caller"), later);
        assert_eq!(twice.active_activation_count(), 2);
        assert!(!twice.has_capacity());
        assert_eq!(twice.initing_state(), "warmed");
    }

    #[test]
    fn prewarm_expires_strictly_after_its_deadline() {
        let t0 = Instant::now();
        let p = PreWarmedData { container: (), kind: "k".into(), memory_mb: 1, expires: Some(t0) };
        assert!(!p.is_expired(t0));
        assert!(p.is_expired(t0 + Duration::from_nanos(1)));
        let forever = PreWarmedData { expires: None, ..p };
        assert!(!forever.is_expired(t0 + Duration::from_secs(3600)));
    }

    #[test]
    fn resume_run_is_set_and_cleared() {
        let a = action(1);
        let PoolData::Warmed(w) = warmed(&a, Instant::now(), 0) else { unreachable!() };
        let with = w.with_resume_run(run(&a, "caller"));
        assert_eq!(with.resume_run.as_ref().map(|r| r.msg.activation_id.as_str()), Some("a1"));
        assert!(with.without_resume_run().resume_run.is_none());
    }
}
