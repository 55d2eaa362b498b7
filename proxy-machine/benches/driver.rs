//! What the async driver costs per event, against a bare tokio task doing the same
//! work on the same kind of channel.
//!
//! The machine is a counter: two states, `Even` and `Odd`, toggled by `Tick(n)`,
//! whose handler adds `n` to a total in the context; `Finish` ends it in the terminal
//! `Done`. The bare side is one task that receives the same messages over an
//! unbounded tokio mpsc channel, toggles an enum and adds to a total, and returns
//! the total on `Finish`.
//!
//! One measured run: start the machine (or the task), send `N` ticks and the finish
//! from the owner without yielding, then wait for the end, on a `current_thread`
//! runtime built once:
//!
//! - `driver`: the owner reads its notice channel until [`Notice::Stopped`] (every
//!   transition is a notice, as a parent of a proxy reads them), then joins the task;
//! - `driver_recv_many`: the same, the owner reading a batch of notices at a time
//!   with `NoticeReceiver::recv_many`;
//! - `driver_notices_dropped`: the owner drops the notice receiver at once and only
//!   joins the task, so the notices cost the driver a failed send each and the owner
//!   nothing;
//! - `bare`: the owner awaits the task's `JoinHandle`.
//!
//! Every run checks the total, so the work cannot be skipped and both sides are
//! seen to do the same. Besides criterion's figures, under `cargo bench` the bench
//! prints an interleaved ratio (each round times both sides back to back, the median
//! of the per-round ratios), which holds up better on a loaded machine.
//!
//! Run with `cargo bench -p proxy-machine --bench driver`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use proxy_machine::driver::{self, Driven, Effects, Notice, StopReason};
use proxy_machine::lifecycle;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

/// Events per measured run (ticks; the final `Finish` is not counted).
const N: u64 = 10_000;

/// The counter's context.
#[derive(Default)]
pub struct CounterCx {
    effects: Effects<CounterEvent, ()>,
    /// The sum of the ticks' payloads.
    pub total: u64,
}

lifecycle! {
    /// A counter that toggles between two states on every tick.
    pub machine Counter {
        context: CounterCx;
        initial: Even;
        terminal: [Done];
        states {
            /// An even number of ticks so far.
            Even,
            /// An odd number of ticks so far.
            Odd,
            /// Finished.
            Done,
        }
        events {
            /// Add to the total.
            Tick(u64),
            /// Stop.
            Finish,
        }
        transitions {
            Even + Tick => Odd,
            Odd + Tick => Even,
            [Even, Odd] + Finish => Done,
        }
    }
}

impl CounterHandlers for CounterCx {
    fn even_tick(&mut self, event: u64) {
        self.total += event;
    }
    fn odd_tick(&mut self, event: u64) {
        self.total += event;
    }
    fn even_finish(&mut self) {}
    fn odd_finish(&mut self) {}
}

impl Driven for CounterAny {
    type Output = ();
    fn effects(context: &mut CounterCx) -> &mut Effects<CounterEvent, ()> {
        &mut context.effects
    }
}

/// The bare loop's messages.
enum Msg {
    Tick(u64),
    Finish,
}

/// The bare loop's states.
#[derive(Clone, Copy)]
enum State {
    Even,
    Odd,
}

/// The total every run must reach: the sum of `1..=N`.
const EXPECTED: u64 = N * (N + 1) / 2;

/// Starts the counter on the driver and queues the `N` ticks and the finish,
/// without yielding; the time it started.
fn start_counter() -> (Instant, driver::Running<CounterAny>, driver::Notices<CounterAny>) {
    let start = Instant::now();
    let (running, notices) = driver::spawn(CounterAny::from(Counter::new(CounterCx::default())));
    for i in 1..=N {
        assert!(running.send(CounterEvent::Tick(black_box(i))).is_ok(), "the machine is alive");
    }
    assert!(running.send(CounterEvent::Finish).is_ok(), "the machine is alive");
    (start, running, notices)
}

/// Joins the driver, checks the total, and returns the time since `start`.
async fn join_counter(start: Instant, running: driver::Running<CounterAny>) -> Duration {
    let machine = running.join().await.expect("the driver task");
    let elapsed = start.elapsed();
    assert_eq!(machine.state_name(), "Done");
    assert_eq!(machine.context().total, EXPECTED);
    elapsed
}

/// Counts a transition notice; `true` for the last one, `Stopped`.
fn read_notice(notice: Notice<CounterEvent, ()>, transitions: &mut u64) -> bool {
    match notice {
        Notice::Transition(_) => {
            *transitions += 1;
            false
        }
        Notice::Stopped { reason, .. } => {
            assert_eq!(reason, StopReason::Terminal);
            true
        }
        other => panic!("unexpected notice {other:?}"),
    }
}

/// The driver, the owner reading every notice until `Stopped`.
async fn run_driver() -> Duration {
    let (start, running, mut notices) = start_counter();
    let mut transitions = 0u64;
    while !read_notice(notices.recv().await.expect("a Stopped notice"), &mut transitions) {}
    let elapsed = join_counter(start, running).await;
    assert_eq!(transitions, N + 1);
    elapsed
}

/// The driver, the owner reading every notice a batch at a time
/// (`NoticeReceiver::recv_many`) until `Stopped`.
async fn run_driver_recv_many() -> Duration {
    let (start, running, mut notices) = start_counter();
    let (mut transitions, mut buffer, mut stopped) = (0u64, Vec::new(), false);
    while !stopped {
        assert!(notices.recv_many(&mut buffer).await > 0, "a Stopped notice");
        for notice in buffer.drain(..) {
            stopped |= read_notice(notice, &mut transitions);
        }
    }
    let elapsed = join_counter(start, running).await;
    assert_eq!(transitions, N + 1);
    elapsed
}

/// The driver, the notice receiver dropped at once: the owner only joins.
async fn run_driver_notices_dropped() -> Duration {
    let (start, running, notices) = start_counter();
    drop(notices);
    join_counter(start, running).await
}

/// A bare task on an unbounded channel doing the same state update.
async fn run_bare() -> Duration {
    let start = Instant::now();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut state = State::Even;
        let mut total = 0u64;
        while let Some(msg) = rx.recv().await {
            match (state, msg) {
                (State::Even, Msg::Tick(n)) => {
                    total += n;
                    state = State::Odd;
                }
                (State::Odd, Msg::Tick(n)) => {
                    total += n;
                    state = State::Even;
                }
                (_, Msg::Finish) => break,
            }
        }
        black_box(state);
        total
    });
    for i in 1..=N {
        assert!(tx.send(Msg::Tick(black_box(i))).is_ok(), "the task is alive");
    }
    assert!(tx.send(Msg::Finish).is_ok(), "the task is alive");
    let total = task.await.expect("the bare task");
    let elapsed = start.elapsed();
    assert_eq!(total, EXPECTED);
    elapsed
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime")
}

/// Times `iters` runs of `run` on `rt`.
fn timed<F: std::future::Future<Output = Duration>>(rt: &Runtime, iters: u64, run: fn() -> F) -> Duration {
    (0..iters).map(|_| rt.block_on(run())).sum()
}

fn throughput(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("driver_events");
    group.throughput(Throughput::Elements(N));
    group.bench_function("driver", |b| b.iter_custom(|iters| timed(&rt, iters, run_driver)));
    group.bench_function("driver_recv_many", |b| {
        b.iter_custom(|iters| timed(&rt, iters, run_driver_recv_many))
    });
    group.bench_function("driver_notices_dropped", |b| {
        b.iter_custom(|iters| timed(&rt, iters, run_driver_notices_dropped))
    });
    group.bench_function("bare", |b| b.iter_custom(|iters| timed(&rt, iters, run_bare)));
    group.finish();
}

/// Rounds of [`interleaved_ratio`].
const ROUNDS: usize = 201;

/// `subject / baseline` time per run, robust to the machine's load changing: each
/// round times one run of each side back to back (alternating which goes first);
/// the median of the per-round ratios is returned, with the median time per run of
/// each side.
fn interleaved_ratio(subject: &dyn Fn() -> Duration, baseline: &dyn Fn() -> Duration) -> (f64, f64, f64) {
    let (mut ratios, mut subjects, mut baselines) = (Vec::new(), Vec::new(), Vec::new());
    // Warm up the allocator and the runtime.
    for _ in 0..10 {
        subject();
        baseline();
    }
    for round in 0..ROUNDS {
        let (s, b) = if round % 2 == 0 {
            let s = subject();
            (s, baseline())
        } else {
            let b = baseline();
            (subject(), b)
        };
        let (s, b) = (s.as_secs_f64(), b.as_secs_f64());
        ratios.push(s / b);
        subjects.push(s);
        baselines.push(b);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(ratios), median(subjects), median(baselines))
}

/// Prints the interleaved figures `BENCHMARKS.md` quotes: events/s of each side and
/// the throughput ratio driver/bare (the inverse of the time ratio).
fn interleaved(rt: &Runtime) {
    println!("interleaved: {ROUNDS} rounds, one run of {N} events per side per round");
    let bare = || rt.block_on(run_bare());
    let rows: [(&str, &dyn Fn() -> Duration); 3] = [
        ("driver", &|| rt.block_on(run_driver())),
        ("driver_recv_many", &|| rt.block_on(run_driver_recv_many())),
        ("driver_notices_dropped", &|| rt.block_on(run_driver_notices_dropped())),
    ];
    for (name, subject) in rows {
        let (ratio, s, b) = interleaved_ratio(subject, &bare);
        println!(
            "interleaved {name}: {:.2} M events/s ({:.1} ns/event), bare {:.2} M events/s ({:.1} ns/event), \
             throughput ratio {name}/bare {:.3}",
            N as f64 / s / 1e6,
            s / N as f64 * 1e9,
            N as f64 / b / 1e6,
            b / N as f64 * 1e9,
            1.0 / ratio
        );
    }
}

// `criterion_group!` would define an undocumented `pub fn`; this is what it and
// `criterion_main!` expand to.
fn main() {
    // Only under `cargo bench`, not when `cargo test --all-targets` runs the bench once.
    if std::env::args().any(|arg| arg == "--bench") {
        interleaved(&runtime());
    }
    let mut c = Criterion::default().configure_from_args();
    throughput(&mut c);
    c.final_summary();
}
