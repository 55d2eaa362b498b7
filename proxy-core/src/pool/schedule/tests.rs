//! The companion object's unit tests, after upstream's `ContainerPoolTests`
//! ("ContainerPool schedule()", "ContainerPool remove()", the `removeExpired`
//! cases), each run on both the indexed and the reference `schedule`.

use std::time::Duration;

use super::*;
use crate::container::{ActionLimits, ActivationMessage, Run};
use crate::pool::data::{MemoryData, WarmedData, WarmingColdData, WarmingData};

const STD_MEMORY: u64 = 256;

fn action_with(max_concurrent: usize) -> Arc<Action> {
    Arc::new(Action {
        limits: ActionLimits { memory_mb: STD_MEMORY, max_concurrent, ..ActionLimits::default() },
        ..Action::new("actionSpace", "actionName", "img", "code")
    })
}

fn action() -> Arc<Action> {
    action_with(1)
}

/// A structural copy, so that the address check of `same_action` does not decide.
fn copy(action: &Arc<Action>) -> Action {
    Action::clone(action)
}

fn t(millis: u64) -> Instant {
    // A fixed base: the tests compare instants relative to it only.
    thread_local!(static BASE: Instant = Instant::now());
    BASE.with(|base| *base + Duration::from_millis(millis))
}

fn warmed(action: &Arc<Action>, ns: &str, last_used: Instant, active: usize) -> PoolData<()> {
    PoolData::Warmed(WarmedData {
        container: (),
        invocation_namespace: ns.into(),
        action: Arc::clone(action),
        last_used,
        active_activation_count: active,
        resume_run: None,
    })
}

fn warmed_data() -> PoolData<()> {
    warmed(&action(), "invocationSpace", t(0), 0)
}

fn warming(action: &Arc<Action>, active: usize) -> PoolData<()> {
    PoolData::Warming(WarmingData {
        container: (),
        invocation_namespace: "invocationSpace".into(),
        action: Arc::clone(action),
        last_used: t(0),
        active_activation_count: active,
    })
}

fn warming_cold(action: &Arc<Action>, active: usize) -> PoolData<()> {
    PoolData::WarmingCold(WarmingColdData {
        invocation_namespace: "invocationSpace".into(),
        action: Arc::clone(action),
        last_used: t(0),
        active_activation_count: active,
    })
}

fn prewarmed(kind: &str, expires: Option<Instant>) -> PreWarmedData<()> {
    PreWarmedData { container: (), kind: kind.into(), memory_mb: STD_MEMORY, expires }
}

fn pool(entries: Vec<(&'static str, PoolData<()>)>) -> FreePool<&'static str, ()> {
    let mut free = FreePool::new();
    for (key, data) in entries {
        free.insert(key, data);
    }
    free
}

/// Both implementations' choice, checked equal, as a key.
fn chosen(action: &Action, ns: &str, free: &FreePool<&'static str, ()>) -> Option<&'static str> {
    let indexed = schedule(action, ns, free);
    let linear = reference::schedule(action, ns, free.as_map());
    assert_eq!(indexed, linear, "indexed and reference disagree");
    indexed.map(|(key, _)| *key)
}

#[test]
fn schedule_nothing_from_an_empty_pool() {
    assert_eq!(chosen(&action(), "invocationSpace", &FreePool::new()), None);
}

#[test]
fn schedule_reuses_the_one_applicable_warm_container() {
    let free = pool(vec![("name", warmed_data())]);
    assert_eq!(chosen(&copy(&action()), "invocationSpace", &free), Some("name"));
}

#[test]
fn schedule_reuses_one_of_several_applicable_warm_containers() {
    let free = pool(vec![("second", warmed_data()), ("first", warmed_data())]);
    // Upstream: either; here the lowest key (the named deviation).
    assert_eq!(chosen(&copy(&action()), "invocationSpace", &free), Some("first"));
}

#[test]
fn schedule_picks_the_warm_one_among_different_containers() {
    let pre = PoolData::PreWarmed(prewarmed("actionKind", None));
    let free = pool(vec![("none", PoolData::NoData), ("pre", pre), ("warm", warmed_data())]);
    assert_eq!(chosen(&copy(&action()), "invocationSpace", &free), Some("warm"));
}

#[test]
fn schedule_never_picks_cold_or_prewarmed_containers() {
    let pre = PoolData::PreWarmed(prewarmed("actionKind", None));
    let memory = PoolData::Memory(MemoryData { memory_mb: STD_MEMORY });
    let free = pool(vec![("none", PoolData::NoData), ("pre", pre), ("memory", memory)]);
    assert_eq!(chosen(&copy(&action()), "invocationSpace", &free), None);
}

#[test]
fn schedule_needs_the_same_invocation_namespace() {
    let free = pool(vec![("warm", warmed_data())]);
    assert_eq!(chosen(&copy(&action()), "invocationSpacebutDifferent", &free), None);
}

#[test]
fn schedule_needs_the_same_action_name() {
    let free = pool(vec![("warm", warmed_data())]);
    let different = Action { name: "actionNamebutDifferent".into(), ..copy(&action()) };
    assert_eq!(chosen(&different, "invocationSpace", &free), None);
}

#[test]
fn schedule_needs_the_same_action_version() {
    let free = pool(vec![("warm", warmed_data())]);
    let different = Action { version: "1.0.0".into(), ..copy(&action()) };
    assert_eq!(chosen(&different, "invocationSpace", &free), None);
}

#[test]
fn schedule_needs_the_same_code_even_under_the_same_name() {
    // Same name and version, other code: the index hashes the name only, so this
    // lands in the same bucket and equality must tell them apart.
    let free = pool(vec![("warm", warmed_data())]);
    let different = Action { code: Some("other code".into()), ..copy(&action()) };
    assert_eq!(chosen(&different, "invocationSpace", &free), None);
}

#[test]
fn schedule_skips_a_container_at_max_concurrent() {
    let concurrent = action_with(25);
    let full = pool(vec![("warm", warmed(&concurrent, "invocationSpace", t(0), 25))]);
    assert_eq!(chosen(&concurrent, "invocationSpace", &full), None);
    let room = pool(vec![("warm", warmed(&concurrent, "invocationSpace", t(0), 24))]);
    assert_eq!(chosen(&concurrent, "invocationSpace", &room), Some("warm"));
}

#[test]
fn schedule_uses_warming_below_max_concurrent_and_prefers_warm() {
    let concurrent = action_with(25);
    let mut free = pool(vec![("warming", warming(&concurrent, 24))]);
    assert_eq!(chosen(&concurrent, "invocationSpace", &free), Some("warming"));
    free.insert("warm", warmed(&concurrent, "invocationSpace", t(0), 24));
    assert_eq!(chosen(&concurrent, "invocationSpace", &free), Some("warm"));
}

#[test]
fn schedule_prefers_warm_to_warming_cold() {
    let concurrent = action_with(25);
    let free = pool(vec![
        ("warming", warming_cold(&concurrent, 24)),
        ("warm", warmed(&concurrent, "invocationSpace", t(0), 24)),
    ]);
    assert_eq!(chosen(&concurrent, "invocationSpace", &free), Some("warm"));
}

#[test]
fn schedule_uses_warming_cold_until_it_is_full() {
    let concurrent = action_with(25);
    let mut free = pool(vec![("warmingCold", warming_cold(&concurrent, 24))]);
    assert_eq!(chosen(&concurrent, "invocationSpace", &free), Some("warmingCold"));
    // After scheduling, the pool stores the next data: now at max_concurrent.
    free.insert("warmingCold", warming_cold(&concurrent, 25));
    assert_eq!(chosen(&concurrent, "invocationSpace", &free), None);
}

#[test]
fn schedule_prefers_warming_to_warming_cold() {
    let concurrent = action_with(25);
    let free =
        pool(vec![("warmingCold", warming_cold(&concurrent, 24)), ("warming", warming(&concurrent, 24))]);
    assert_eq!(chosen(&concurrent, "invocationSpace", &free), Some("warming"));
}

#[test]
fn schedule_follows_next_run_and_removal() {
    let concurrent = action_with(2);
    let mut free = pool(vec![("a", warmed(&concurrent, "invocationSpace", t(0), 0))]);
    let run = Run::new(Arc::clone(&concurrent), ActivationMessage::new("x", "invocationSpace"));
    for expected in [Some("a"), Some("a"), None] {
        assert_eq!(chosen(&concurrent, "invocationSpace", &free), expected);
        if let Some(data) = free.remove(&"a") {
            free.insert("a", data.next_run(&run, t(1)));
        }
    }
    free.remove(&"a");
    assert_eq!(chosen(&concurrent, "invocationSpace", &free), None);
    assert_eq!(free.index_buckets(), 0, "an emptied bucket is dropped");
}

#[test]
fn remove_nothing_from_an_empty_pool() {
    assert_eq!(remove(pool(vec![]).iter(), STD_MEMORY), Vec::<&str>::new());
}

#[test]
fn remove_never_evicts_cold_or_prewarmed_containers() {
    let free = pool(vec![("none", PoolData::NoData), ("pre", PoolData::PreWarmed(prewarmed("k", None)))]);
    assert_eq!(remove(free.iter(), STD_MEMORY), Vec::<&str>::new());
}

#[test]
fn remove_nothing_unless_the_eligible_free_enough() {
    let free = pool(vec![("first", warmed_data())]);
    assert_eq!(remove(free.iter(), STD_MEMORY * 2), Vec::<&str>::new());
}

#[test]
fn remove_the_one_free_container() {
    let free = pool(vec![("warm", warmed_data())]);
    assert_eq!(remove(free.iter(), STD_MEMORY), vec!["warm"]);
}

#[test]
fn remove_nothing_when_nothing_is_needed() {
    let free = pool(vec![("warm", warmed_data())]);
    assert_eq!(remove(free.iter(), 0), Vec::<&str>::new());
}

#[test]
fn remove_the_oldest_container() {
    let a = action();
    let free = pool(vec![
        ("first", warmed(&a, "anotherSpace", t(1), 0)),
        ("second", warmed(&a, "anotherSpace", t(2), 0)),
        ("oldest", warmed(&a, "anotherSpace", t(0), 0)),
    ]);
    assert_eq!(remove(free.iter(), STD_MEMORY), vec!["oldest"]);
}

#[test]
fn remove_the_oldest_few_when_more_is_needed() {
    let a = action();
    let free = pool(vec![
        ("first", warmed(&a, "anotherSpace", t(1), 0)),
        ("second", warmed(&a, "anotherSpace", t(2), 0)),
        ("third", warmed(&a, "anotherSpace", t(3), 0)),
        ("oldest", warmed(&a, "anotherSpace", t(0), 0)),
    ]);
    assert_eq!(remove(free.iter(), STD_MEMORY * 2), vec!["oldest", "first"]);
    // A need that is not a multiple of the containers' size rounds up to whole ones.
    assert_eq!(remove(free.iter(), STD_MEMORY + 1), vec!["oldest", "first"]);
}

#[test]
fn remove_skips_containers_with_activations_out() {
    let a = action_with(5);
    let mut free = pool(vec![
        ("first", warmed(&a, "anotherSpace", t(1), 0)),
        ("second", warmed(&a, "anotherSpace", t(2), 0)),
        ("oldest", warmed(&a, "anotherSpace", t(0), 3)),
    ]);
    assert_eq!(remove(free.iter(), STD_MEMORY), vec!["first"]);
    free.remove(&"first");
    assert_eq!(remove(free.iter(), STD_MEMORY), vec!["second"]);
}

#[test]
fn remove_breaks_ties_by_lowest_key() {
    let a = action();
    let free = pool(vec![
        ("b", warmed(&a, "ns", t(5), 0)),
        ("a", warmed(&a, "ns", t(5), 0)),
        ("c", warmed(&a, "ns", t(9), 0)),
    ]);
    assert_eq!(remove(free.iter(), STD_MEMORY), vec!["a"]);
}

fn reactive_config(kind: &str, min: usize) -> PrewarmingConfig {
    PrewarmingConfig {
        initial_count: 1,
        kind: kind.into(),
        image: "testImage".into(),
        memory_mb: STD_MEMORY,
        reactive: Some(ReactivePrewarmingConfig::new(min, 10, Duration::from_secs(10), 1, 1).unwrap()),
    }
}

#[test]
fn remove_expired_in_order_of_expiration_across_kinds() {
    let now = t(10_000);
    let configs = [reactive_config("actionKind", 0), reactive_config("actionKind2", 0)];
    let prewarmed: BTreeMap<&str, PreWarmedData<()>> = [
        ("newest", prewarmed("actionKind", Some(now + Duration::from_secs(1)))),
        ("oldest", prewarmed("actionKind2", Some(now - Duration::from_secs(1)))),
        // Due now, not overdue: stays.
        ("newer", prewarmed("actionKind", Some(now))),
    ]
    .into_iter()
    .collect();
    assert_eq!(remove_expired(&configs, &prewarmed, 1, now), vec!["oldest"]);
    assert_eq!(remove_expired(&configs, &prewarmed, 10, now), vec!["oldest"]);
}

fn five_overdue(now: Instant) -> BTreeMap<&'static str, PreWarmedData<()>> {
    [
        ("newest", prewarmed("actionKind", Some(now - Duration::from_secs(3)))),
        ("oldest", prewarmed("actionKind", Some(now - Duration::from_secs(5)))),
        ("newest3", prewarmed("actionKind", Some(now - Duration::from_secs(1)))),
        ("newer", prewarmed("actionKind", Some(now - Duration::from_secs(4)))),
        ("newest2", prewarmed("actionKind", Some(now - Duration::from_secs(2)))),
    ]
    .into_iter()
    .collect()
}

#[test]
fn remove_expired_at_most_the_limit() {
    let now = t(10_000);
    let configs = [reactive_config("actionKind", 0)];
    assert_eq!(remove_expired(&configs, &five_overdue(now), 2, now), vec!["oldest", "newer"]);
}

#[test]
fn remove_expired_regardless_of_min_count() {
    let now = t(10_000);
    let configs = [reactive_config("actionKind", 2)];
    assert_eq!(
        remove_expired(&configs, &five_overdue(now), 100, now),
        vec!["oldest", "newer", "newest", "newest2", "newest3"]
    );
}

#[test]
fn remove_expired_only_of_reactive_kinds_and_memory() {
    let now = t(10_000);
    let not_reactive = PrewarmingConfig { reactive: None, ..reactive_config("plain", 0) };
    let configs = [reactive_config("actionKind", 0), not_reactive];
    let overdue = Some(now - Duration::from_secs(1));
    let prewarmed: BTreeMap<&str, PreWarmedData<()>> = [
        ("plain", prewarmed("plain", overdue)),
        ("other memory", PreWarmedData { memory_mb: 512, ..prewarmed("actionKind", overdue) }),
        ("match", prewarmed("actionKind", overdue)),
    ]
    .into_iter()
    .collect();
    assert_eq!(remove_expired(&configs, &prewarmed, 10, now), vec!["match"]);
}

#[test]
fn remove_expired_lists_a_prewarm_once_under_duplicate_configs() {
    // Deviation: upstream lists it once per matching config.
    let now = t(10_000);
    let configs = [reactive_config("actionKind", 0), reactive_config("actionKind", 0)];
    let prewarmed: BTreeMap<&str, PreWarmedData<()>> =
        [("p", prewarmed("actionKind", Some(now - Duration::from_secs(1))))].into_iter().collect();
    assert_eq!(remove_expired(&configs, &prewarmed, 10, now), vec!["p"]);
}

fn reactive(min: usize, max: usize, threshold: usize, increment: usize) -> ReactivePrewarmingConfig {
    ReactivePrewarmingConfig::new(min, max, Duration::from_secs(60), threshold, increment).unwrap()
}

fn cold(kind: &str, count: usize) -> HashMap<ColdStartKey, usize> {
    [(ColdStartKey { kind: kind.into(), memory_mb: STD_MEMORY }, count)].into_iter().collect()
}

#[test]
fn reactive_cold_is_increment_per_threshold_within_min_and_max() {
    // Upstream's comment: threshold 2, increment 1: 2 cold starts ask 1, 4 ask 2.
    let r = reactive(0, 3, 2, 1);
    assert_eq!(reactive_cold(&cold("k", 2), &r, "k", STD_MEMORY), Some(1));
    assert_eq!(reactive_cold(&cold("k", 4), &r, "k", STD_MEMORY), Some(2));
    assert_eq!(reactive_cold(&cold("k", 5), &r, "k", STD_MEMORY), Some(2), "integer division first");
    assert_eq!(reactive_cold(&cold("k", 100), &r, "k", STD_MEMORY), Some(3), "at most max");
    assert_eq!(reactive_cold(&cold("k", 1), &reactive(2, 3, 2, 1), "k", STD_MEMORY), Some(2), "at least min");
    assert_eq!(reactive_cold(&cold("k", 4), &r, "k", 512), None, "another memory");
    assert_eq!(reactive_cold(&cold("k", 4), &r, "other", STD_MEMORY), None, "another kind");
}

#[test]
fn increase_prewarms_counts_started_and_starting_and_picks_the_desired_count() {
    let config = |initial, r| PrewarmingConfig {
        initial_count: initial,
        kind: "k".into(),
        image: "img".into(),
        memory_mb: STD_MEMORY,
        reactive: r,
    };
    let configs = [config(2, Some(reactive(1, 6, 2, 2))), config(3, None)];
    // One expired prewarm still counts; another memory does not.
    let prewarmed = [
        prewarmed("k", Some(t(0))),
        prewarmed("k", None),
        PreWarmedData { memory_mb: 512, ..prewarmed("k", None) },
    ];
    let starting = [("k", STD_MEMORY), ("other", STD_MEMORY)];
    let counts = |init, scheduled, cold_starts: &HashMap<ColdStartKey, usize>| {
        increase_prewarms(init, scheduled, cold_starts, &configs, &prewarmed, starting)
    };
    let none = HashMap::new();
    let desired = |c: Vec<PrewarmCount>| c.iter().map(|c| c.desired).collect::<Vec<_>>();

    let at_start = counts(true, false, &cold("k", 10));
    assert_eq!(at_start[0], PrewarmCount { current: 3, desired: 2 });
    assert_eq!(at_start[0].to_start(), 0);
    assert_eq!(desired(at_start), vec![2, 3], "init: initial counts");
    // Scheduled: 5 cold starts / 2 * 2 = 4 for the reactive kind; initial for the other.
    assert_eq!(desired(counts(false, true, &cold("k", 5))), vec![4, 3]);
    assert_eq!(desired(counts(false, true, &none)), vec![1, 3], "no cold start: min");
    // Backfill after a removal: min, cold starts notwithstanding.
    assert_eq!(desired(counts(false, false, &cold("k", 10))), vec![1, 3]);
    assert_eq!(counts(false, true, &cold("k", 100))[0], PrewarmCount { current: 3, desired: 6 });
    assert_eq!(counts(false, true, &cold("k", 100))[0].to_start(), 3);
}

#[test]
fn pool_space_counts_used_starting_and_the_new_one() {
    let free = pool(vec![("a", warmed_data()), ("b", PoolData::Memory(MemoryData { memory_mb: 128 }))]);
    let used = || free.iter().map(|(_, d)| d.memory_mb());
    assert_eq!(memory_consumption_of(free.iter().map(|(_, d)| d)), 384);
    assert!(has_pool_space_for(used(), [128], 512, 1024));
    assert!(!has_pool_space_for(used(), [128, 1], 512, 1024));
    assert!(!has_pool_space_for(used(), [], 1024, 1024));
    assert!(has_pool_space_for([], [], 1024, 1024));
    assert!(!has_pool_space_for([u64::MAX], [], 1, u64::MAX), "no overflow");
}

#[test]
fn remove_expired_breaks_equal_expiries_by_lowest_key() {
    // Deviation: upstream's order among equal expiries follows config order, then
    // its `Map`'s iteration order.
    let now = t(10_000);
    let configs = [reactive_config("actionKind", 0), reactive_config("actionKind2", 0)];
    let same = Some(now - Duration::from_secs(1));
    let prewarmed: BTreeMap<&str, PreWarmedData<()>> = [
        ("b", prewarmed("actionKind", same)),
        ("a", prewarmed("actionKind2", same)),
        ("c", prewarmed("actionKind", same)),
    ]
    .into_iter()
    .collect();
    assert_eq!(remove_expired(&configs, &prewarmed, 2, now), vec!["a", "b"]);
}

#[test]
fn increase_prewarms_answers_once_per_config_even_for_identical_ones() {
    // Deviation: upstream's map keyed by config would hold one entry for both.
    let configs = [reactive_config("k", 1), reactive_config("k", 1)];
    let counts = increase_prewarms::<()>(false, false, &HashMap::new(), &configs, [], []);
    assert_eq!(counts, vec![PrewarmCount { current: 0, desired: 1 }; 2]);
}
