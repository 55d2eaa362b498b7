//! What a case is: the proxies of a story, and the steps the parent, the backend and
//! the clock take, in order. Stories are values: proptest generates and shrinks them,
//! and a shrunk one prints as Rust that pastes into a named test (with
//! `use story::{*, Call::*, Op::*, Outcome::*, Verdict::*, Wait::*, When::*}`).
//!
//! Adding a kind of step is one variant of [`Op`], its weight in [`op`], and its
//! arm in `play::Play::apply`; the checks need nothing new, since they judge what
//! the parent and the sink saw, not which step caused it. The backend calls
//! (`Call`, `Outcome`, `Verdict`: panics included) and their generators live in
//! `tests/common/script.rs`, shared with the pool's randomized test.

use std::fmt;

use proptest::collection::vec;
use proptest::prelude::*;

// The calls and their generators are the pool test's too (`tests/common/script.rs`).
use crate::common::script::{call, wait, when};
pub(crate) use crate::common::script::{
    config, Call, Outcome, Verdict, Wait, When, ACTION_TIMEOUT, PREWARM_TTL,
};

/// A case: some proxies, each with its own action, scripted backend and sink, and
/// the steps taken on them. The final phase (release everything, `Remove`, let the
/// clock run) is not part of the story: every case ends with it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Story {
    /// The proxies, addressed by their index in `Op`s.
    pub(crate) proxies: Vec<ProxySpec>,
    /// The steps, in order; the proxies settle after each.
    pub(crate) ops: Vec<Op>,
}

/// One proxy of a story: the action all its jobs run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProxySpec {
    /// The action's `max_concurrent`.
    pub(crate) max_concurrent: usize,
    /// Whether the action collects logs (a log limit of 10 MB, or 0).
    pub(crate) logs: bool,
}

/// One step of a story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    /// The parent asks for a prewarm (`Start`), with [`PREWARM_TTL`] or without a TTL.
    Prewarm {
        /// Which proxy.
        proxy: usize,
        /// Whether the prewarm expires.
        ttl: bool,
    },
    /// The parent sends a new job (`Run`) of the proxy's action.
    Job {
        /// Which proxy.
        proxy: usize,
        /// Whether the caller waits for the result.
        blocking: bool,
    },
    /// The proxy's next call of this kind that has no step queued yet ends so.
    Script {
        /// Which proxy's backend.
        proxy: usize,
        /// The call and how it ends.
        call: Call,
        /// When it ends.
        when: When,
    },
    /// One held call completes: the `pick`-th (modulo how many) of the proxy's
    /// calls still held, so held calls complete in any order.
    Release {
        /// Which proxy's backend.
        proxy: usize,
        /// Which of the held calls.
        pick: usize,
    },
    /// A held call completes and a new job, sent by another task woken just after
    /// the call's, arrives `yields` scheduler rounds later: the job races the call's
    /// outcome into the proxy's inbox.
    Race {
        /// Which proxy.
        proxy: usize,
        /// Which of the held calls.
        pick: usize,
        /// Scheduler rounds between the release and the job.
        yields: u8,
        /// Whether the job's caller waits for the result.
        blocking: bool,
    },
    /// The parent sends `Remove`.
    Remove {
        /// Which proxy.
        proxy: usize,
    },
    /// Time passes on the paused clock.
    Advance(Wait),
    /// The owner shuts the proxy down with this grace (`Running::shutdown`): every
    /// job it still holds when the grace runs out comes back.
    Shutdown {
        /// Which proxy.
        proxy: usize,
        /// The grace.
        grace: Wait,
    },
}

impl Story {
    /// The story without proxies no step addresses, the others renumbered.
    pub(crate) fn without_unused_proxies(&self) -> Story {
        let used: Vec<usize> =
            (0..self.proxies.len()).filter(|&p| self.ops.iter().any(|op| op.proxy() == Some(p))).collect();
        let mut ops = self.ops.clone();
        for op in &mut ops {
            if let Some(proxy) = op.proxy_mut() {
                *proxy = used.iter().position(|&p| p == *proxy).expect("a used proxy");
            }
        }
        Story { proxies: used.iter().map(|&p| self.proxies[p]).collect(), ops }
    }
}

impl Op {
    /// The proxy the step is addressed to, if any.
    pub(crate) fn proxy(&self) -> Option<usize> {
        self.clone().proxy_mut().map(|p| *p)
    }

    fn proxy_mut(&mut self) -> Option<&mut usize> {
        match self {
            Op::Prewarm { proxy, .. }
            | Op::Job { proxy, .. }
            | Op::Script { proxy, .. }
            | Op::Release { proxy, .. }
            | Op::Race { proxy, .. }
            | Op::Remove { proxy }
            | Op::Shutdown { proxy, .. } => Some(proxy),
            Op::Advance(_) => None,
        }
    }

    /// Simpler versions of the step (the first held call, no scheduler rounds, a
    /// plain job instead of a race, no wait), for a failure's minimal story.
    pub(crate) fn simpler(&self) -> Vec<Op> {
        match *self {
            Op::Release { proxy, pick } if pick > 0 => vec![Op::Release { proxy, pick: 0 }],
            Op::Race { proxy, pick, yields, blocking } => {
                let mut simpler = vec![Op::Job { proxy, blocking }];
                if pick > 0 || yields > 0 {
                    simpler.push(Op::Race { proxy, pick: 0, yields: 0, blocking });
                }
                simpler
            }
            Op::Script { proxy, call, when: When::After(_) } => {
                vec![
                    Op::Script { proxy, call, when: When::Now },
                    Op::Script { proxy, call, when: When::Held },
                ]
            }
            _ => Vec::new(),
        }
    }
}

impl fmt::Debug for Story {
    /// As Rust: the shrunk case of a failure pastes into a named test as it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Story {{")?;
        writeln!(f, "    proxies: vec![")?;
        for proxy in &self.proxies {
            writeln!(f, "        {proxy:?},")?;
        }
        writeln!(f, "    ],")?;
        writeln!(f, "    ops: vec![")?;
        for op in &self.ops {
            writeln!(f, "        {op:?},")?;
        }
        writeln!(f, "    ],")?;
        write!(f, "}}")
    }
}

/// Stories of 1 to 3 proxies and up to `max_ops` steps.
pub(crate) fn story(max_ops: usize) -> impl Strategy<Value = Story> {
    (1..=3usize).prop_flat_map(move |proxies| {
        (vec(proxy_spec(), proxies), vec(op(proxies), 1..=max_ops))
            .prop_map(|(proxies, ops)| Story { proxies, ops })
    })
}

fn proxy_spec() -> impl Strategy<Value = ProxySpec> {
    (1..=4usize, any::<bool>()).prop_map(|(max_concurrent, logs)| ProxySpec { max_concurrent, logs })
}

/// One step on one of `proxies` proxies. The weights favour what makes activations
/// overlap: jobs, held calls and their releases.
fn op(proxies: usize) -> impl Strategy<Value = Op> {
    let proxy = 0..proxies;
    prop_oneof![
        5 => (proxy.clone(), any::<bool>()).prop_map(|(proxy, ttl)| Op::Prewarm { proxy, ttl }),
        30 => (proxy.clone(), any::<bool>()).prop_map(|(proxy, blocking)| Op::Job { proxy, blocking }),
        30 => (proxy.clone(), call(), when()).prop_map(|(proxy, call, when)| Op::Script { proxy, call, when }),
        16 => (proxy.clone(), 0..8usize).prop_map(|(proxy, pick)| Op::Release { proxy, pick }),
        // Mostly no rounds between the release and the job: the tightest race.
        6 => (proxy.clone(), 0..8usize, prop_oneof![3 => Just(0u8), 1 => 1..3u8], any::<bool>())
            .prop_map(|(proxy, pick, yields, blocking)| Op::Race { proxy, pick, yields, blocking }),
        4 => proxy.clone().prop_map(|proxy| Op::Remove { proxy }),
        8 => wait().prop_map(Op::Advance),
        2 => (proxy.clone(), wait()).prop_map(|(proxy, grace)| Op::Shutdown { proxy, grace }),
    ]
}
