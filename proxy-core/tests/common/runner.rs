//! The runner of a randomized test: a fresh paused runtime per case, the case count
//! and seed from the environment, and quiet scripted panics.

use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Panics the scripted backend makes on purpose print nothing (thousands of stories
/// script some); any other panic prints as usual.
pub(crate) fn quiet_scripted_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let scripted = info.payload().downcast_ref::<&str>().is_some_and(|m| m.ends_with("as scripted"));
            if !scripted {
                default(info);
            }
        }));
    });
}

/// A fresh runtime per case, on the paused clock: no case sees another's tasks or time.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    quiet_scripted_panics();
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime")
}

/// The number in `var`, if it is set.
pub(crate) fn env_number(var: &str) -> Option<u64> {
    let value = std::env::var(var).ok()?;
    Some(value.trim().parse().unwrap_or_else(|_| panic!("{var} must be a number, not {value:?}")))
}

/// The run's case count (from `cases_var`, else `default_cases`) and seed (from
/// `seed_var`, else the clock), and a runner seeded with it.
pub(crate) fn runner(cases_var: &str, seed_var: &str, default_cases: u32) -> (u32, u64, TestRunner) {
    let cases = env_number(cases_var).map_or(default_cases, |n| u32::try_from(n).unwrap_or(u32::MAX));
    let seed = env_number(seed_var).unwrap_or_else(|| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        now.as_nanos() as u64
    });
    let seed_bytes: Vec<u8> = seed.to_le_bytes().repeat(2);
    let config = Config {
        cases,
        // The named tests of each file are its regression file.
        failure_persistence: None,
        // XorShift, not ChaCha: in a debug build ChaCha's unoptimised SIMD took 40% of a run.
        rng_algorithm: RngAlgorithm::XorShift,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::XorShift, &seed_bytes);
    (cases, seed, TestRunner::new_with_rng(config, rng))
}
