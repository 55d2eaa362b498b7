//! Differential test of the pool's scheduling decision: the indexed
//! `FreePool::schedule` against `reference::schedule`, upstream's linear scan, on
//! random free pools changed by random inserts, removals and scheduled runs.
//!
//! Both break ties by the lowest key (the deviation from upstream, whose choice
//! among equals follows its `Map`'s iteration order), so they must agree on the
//! container, not only on whether there is one.

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use proxy_core::container::{Action, ActionLimits, ActivationMessage, Run};
use proxy_core::pool::schedule::reference;
use proxy_core::pool::{
    FreePool, MemoryData, PoolData, PreWarmedData, WarmedData, WarmingColdData, WarmingData,
};
use tokio::time::Instant;

const NAMESPACES: [&str; 3] = ["alice", "bob", "carol"];

/// Actions that differ in the ways scheduling must tell apart: name, version,
/// code under the same name and version (same index bucket), and concurrency.
fn actions() -> Vec<Arc<Action>> {
    let base = Action {
        limits: ActionLimits { memory_mb: 256, max_concurrent: 1, ..ActionLimits::default() },
        ..Action::new("owner", "hello", "img", "code")
    };
    vec![
        Arc::new(base.clone()),
        Arc::new(Action { name: "other".into(), ..base.clone() }),
        Arc::new(Action { version: "0.0.2".into(), ..base.clone() }),
        Arc::new(Action { code: Some("other code".into()), ..base.clone() }),
        Arc::new(Action { limits: ActionLimits { max_concurrent: 3, ..base.limits.clone() }, ..base }),
    ]
}

#[derive(Debug, Clone)]
enum Shape {
    NoData,
    Memory,
    PreWarmed,
    Warming { action: usize, ns: usize, active: usize },
    WarmingCold { action: usize, ns: usize, active: usize },
    Warmed { action: usize, ns: usize, active: usize, age: u64 },
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u16, Shape),
    Remove(u16),
    /// Schedule a run of (action, namespace) and store the chosen container's next data.
    Run {
        action: usize,
        ns: usize,
    },
}

fn shape() -> impl Strategy<Value = Shape> {
    let who = || (0..5usize, 0..NAMESPACES.len(), 0..4usize);
    prop_oneof![
        Just(Shape::NoData),
        Just(Shape::Memory),
        Just(Shape::PreWarmed),
        who().prop_map(|(action, ns, active)| Shape::Warming { action, ns, active }),
        who().prop_map(|(action, ns, active)| Shape::WarmingCold { action, ns, active }),
        (who(), 0..5u64).prop_map(|((action, ns, active), age)| Shape::Warmed { action, ns, active, age }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..40u16, shape()).prop_map(|(key, shape)| Op::Insert(key, shape)),
        2 => (0..40u16).prop_map(Op::Remove),
        3 => (0..5usize, 0..NAMESPACES.len()).prop_map(|(action, ns)| Op::Run { action, ns }),
    ]
}

fn build(shape: &Shape, actions: &[Arc<Action>], base: Instant) -> PoolData<u16> {
    match *shape {
        Shape::NoData => PoolData::NoData,
        Shape::Memory => PoolData::Memory(MemoryData { memory_mb: 256 }),
        Shape::PreWarmed => PoolData::PreWarmed(PreWarmedData {
            container: 0,
            kind: "blackbox".into(),
            memory_mb: 256,
            expires: None,
        }),
        Shape::Warming { action, ns, active } => PoolData::Warming(WarmingData {
            container: 0,
            invocation_namespace: NAMESPACES[ns].into(),
            action: Arc::clone(&actions[action]),
            last_used: base,
            active_activation_count: active,
        }),
        Shape::WarmingCold { action, ns, active } => PoolData::WarmingCold(WarmingColdData {
            invocation_namespace: NAMESPACES[ns].into(),
            action: Arc::clone(&actions[action]),
            last_used: base,
            active_activation_count: active,
        }),
        Shape::Warmed { action, ns, active, age } => PoolData::Warmed(WarmedData {
            container: 0,
            invocation_namespace: NAMESPACES[ns].into(),
            action: Arc::clone(&actions[action]),
            last_used: base + Duration::from_secs(age),
            active_activation_count: active,
            resume_run: None,
        }),
    }
}

/// Every (action, namespace) query, by a structural copy of the action (so that
/// equality, not the shared address, decides) and by the shared `Arc`.
fn agree(free: &FreePool<u16, u16>, actions: &[Arc<Action>]) -> Result<(), TestCaseError> {
    for action in actions {
        let copy = Action::clone(action);
        for ns in NAMESPACES {
            let linear = reference::schedule(&copy, ns, free.as_map());
            prop_assert_eq!(
                free.schedule(&copy, ns),
                linear,
                "copy of {:?} for {}",
                action.qualified_name(),
                ns
            );
            prop_assert_eq!(free.schedule(action, ns), linear);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn indexed_schedule_chooses_what_the_linear_scan_chooses(
        initial in prop::collection::vec((0..40u16, shape()), 0..40),
        ops in prop::collection::vec(op(), 0..60),
    ) {
        let actions = actions();
        let base = Instant::now();
        let mut free = FreePool::new();
        for (key, shape) in &initial {
            free.insert(*key, build(shape, &actions, base));
        }
        agree(&free, &actions)?;
        for (step, op) in ops.iter().enumerate() {
            match op {
                Op::Insert(key, shape) => {
                    free.insert(*key, build(shape, &actions, base));
                }
                Op::Remove(key) => {
                    free.remove(key);
                }
                Op::Run { action, ns } => {
                    let run = Run::new(Arc::clone(&actions[*action]), ActivationMessage::new("a", NAMESPACES[*ns]));
                    let chosen = free.schedule(&run.action, &run.msg.namespace).map(|(key, _)| *key);
                    if let Some(key) = chosen {
                        let data = free.remove(&key).expect("the chosen key is in the pool");
                        let now = base + Duration::from_secs(10 + step as u64);
                        free.insert(key, data.next_run(&run, now));
                    }
                }
            }
            agree(&free, &actions)?;
        }
        // Emptying the pool leaves no index bucket behind.
        let keys: Vec<u16> = free.iter().map(|(key, _)| *key).collect();
        for key in keys {
            free.remove(&key);
        }
        prop_assert_eq!(free.index_buckets(), 0);
    }
}
