//! What a `lifecycle!` machine costs at run time, against a hand-written enum and
//! `match` doing exactly the same work.
//!
//! The machine is a batch job: 6 states (three of them carrying data), 8 events (two
//! with a payload), a self-loop, a row with alternatives and multi-source rows. Every
//! handler bumps a counter in the context, so the work cannot be optimised away and
//! both sides can be checked to have done the same thing.
//!
//! - `typed`: a fixed cycle of 12 transitions through the typed methods, against the
//!   hand-written `step` applied to the same cycle of events. The payloads are
//!   opaque (`black_box`) and so is the machine between cycles, as if it had been
//!   stored: the typed side still knows its state from its type, the hand-written
//!   side has to match on it.
//! - `dispatch`: the same cycle through `TaskAny::dispatch`, each event opaque to the
//!   optimiser. `dispatch` works in place (`&mut self`), so its baseline is the
//!   hand-written twin that does too, `step_in_place(&mut Machine, Event) -> Result<(),
//!   Event>` (`hand_written_in_place`); neither side reads what an accepted event
//!   returns. Three more lines tell where a gap comes from: `hand_written`, the by-value
//!   `step` (the signature `dispatch` had before it worked in place);
//!   `hand_written_same_signature`, `step_in_place` returning `dispatch`'s own types
//!   (`proxy_machine::Transition`, `proxy_machine::Rejected`): the same match, a bigger
//!   `Result`; `hand_written_any_layout`, by value with the context inside every
//!   state's variant, as `TaskAny` holds it.
//!
//! Run with `cargo bench -p proxy-machine --bench transitions`.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use proxy_machine::{lifecycle, Rejected, Transition};

/// Cycles per measured iteration: 12 transitions each.
const CYCLES: u64 = 100;
/// Transitions per cycle.
const CYCLE_LEN: u64 = 12;

/// What both machines count: one counter per kind of work.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    /// Jobs submitted.
    pub submitted: u64,
    /// Sum of submitted ids.
    pub ids: u64,
    /// Jobs started.
    pub started: u64,
    /// Total progress reported.
    pub progress: u64,
    /// Pauses.
    pub pauses: u64,
    /// Resumes.
    pub resumes: u64,
    /// Jobs done.
    pub done: u64,
    /// Jobs failed.
    pub failed: u64,
    /// Resets.
    pub resets: u64,
}

/// A running or paused job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    /// The job's id.
    pub id: u64,
    /// Progress so far.
    pub progress: u32,
}

/// The progress at which a finished job counts as done rather than failed.
const DONE_AT: u32 = 10;

lifecycle! {
    /// A batch job.
    pub machine Task {
        context: Counters;
        initial: Idle;
        states {
            /// Nothing to do.
            Idle,
            /// Waiting to run, with the job's id.
            Queued(u64),
            /// Running.
            Running(Job),
            /// Suspended.
            Paused(Job),
            /// Finished, with the job's id.
            Done(u64),
            /// Failed.
            Failed,
        }
        events {
            /// Submit a job.
            Submit(u64),
            /// Start it.
            Start,
            /// It made progress.
            Progress(u32),
            /// Suspend it.
            Pause,
            /// Resume it.
            Resume,
            /// It finished.
            Finish,
            /// It failed.
            Fail,
            /// Start over.
            Reset,
        }
        transitions {
            Idle + Submit => Queued,
            Queued + Start => Running,
            Running + Progress => Running,
            Running + Pause => Paused,
            Paused + Resume => Running,
            Running + Finish => Done | Failed,
            [Queued, Running, Paused] + Fail => Failed,
            [Done, Failed] + Reset => Idle,
        }
    }
}

impl TaskHandlers for Counters {
    fn idle_submit(&mut self, event: u64) -> u64 {
        self.submitted += 1;
        self.ids += event;
        event
    }
    fn queued_start(&mut self, state: u64) -> Job {
        self.started += 1;
        Job { id: state, progress: 0 }
    }
    fn running_progress(&mut self, state: Job, event: u32) -> Job {
        self.progress += u64::from(event);
        Job { progress: state.progress + event, ..state }
    }
    fn running_pause(&mut self, state: Job) -> Job {
        self.pauses += 1;
        state
    }
    fn paused_resume(&mut self, state: Job) -> Job {
        self.resumes += 1;
        state
    }
    fn running_finish(&mut self, state: Job) -> TaskRunningFinish {
        if state.progress >= DONE_AT {
            self.done += 1;
            TaskRunningFinish::Done(state.id)
        } else {
            self.failed += 1;
            TaskRunningFinish::Failed
        }
    }
    fn queued_fail(&mut self, _state: u64) {
        self.failed += 1;
    }
    fn running_fail(&mut self, _state: Job) {
        self.failed += 1;
    }
    fn paused_fail(&mut self, _state: Job) {
        self.failed += 1;
    }
    fn done_reset(&mut self, _state: u64) {
        self.resets += 1;
    }
    fn failed_reset(&mut self) {
        self.resets += 1;
    }
}

/// The same machine, written by hand.
mod hand {
    use super::{Counters, Job, DONE_AT};

    /// The states.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum State {
        Idle,
        Queued(u64),
        Running(Job),
        Paused(Job),
        Done(u64),
        Failed,
    }

    /// The events.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Event {
        Submit(u64),
        Start,
        Progress(u32),
        Pause,
        Resume,
        Finish,
        Fail,
        Reset,
    }

    /// The machine: the context and the state, as `TaskAny` holds them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct Machine {
        pub(crate) cx: Counters,
        pub(crate) state: State,
    }

    /// One transition, or the machine and the event back when the state does not
    /// accept the event.
    #[inline]
    pub(crate) fn step(machine: Machine, event: Event) -> Result<Machine, (Machine, Event)> {
        let Machine { mut cx, state } = machine;
        let state = match (state, event) {
            (State::Idle, Event::Submit(id)) => {
                cx.submitted += 1;
                cx.ids += id;
                State::Queued(id)
            }
            (State::Queued(id), Event::Start) => {
                cx.started += 1;
                State::Running(Job { id, progress: 0 })
            }
            (State::Running(job), Event::Progress(p)) => {
                cx.progress += u64::from(p);
                State::Running(Job { progress: job.progress + p, ..job })
            }
            (State::Running(job), Event::Pause) => {
                cx.pauses += 1;
                State::Paused(job)
            }
            (State::Paused(job), Event::Resume) => {
                cx.resumes += 1;
                State::Running(job)
            }
            (State::Running(job), Event::Finish) => {
                if job.progress >= DONE_AT {
                    cx.done += 1;
                    State::Done(job.id)
                } else {
                    cx.failed += 1;
                    State::Failed
                }
            }
            (State::Queued(_) | State::Running(_) | State::Paused(_), Event::Fail) => {
                cx.failed += 1;
                State::Failed
            }
            (State::Done(_) | State::Failed, Event::Reset) => {
                cx.resets += 1;
                State::Idle
            }
            (state, event) => return Err((Machine { cx, state }, event)),
        };
        Ok(Machine { cx, state })
    }

    /// [`step`] in place: the state is replaced, the context updated where it is.
    #[inline]
    pub(crate) fn step_in_place(machine: &mut Machine, event: Event) -> Result<(), Event> {
        let cx = &mut machine.cx;
        machine.state = match (machine.state, event) {
            (State::Idle, Event::Submit(id)) => {
                cx.submitted += 1;
                cx.ids += id;
                State::Queued(id)
            }
            (State::Queued(id), Event::Start) => {
                cx.started += 1;
                State::Running(Job { id, progress: 0 })
            }
            (State::Running(job), Event::Progress(p)) => {
                cx.progress += u64::from(p);
                State::Running(Job { progress: job.progress + p, ..job })
            }
            (State::Running(job), Event::Pause) => {
                cx.pauses += 1;
                State::Paused(job)
            }
            (State::Paused(job), Event::Resume) => {
                cx.resumes += 1;
                State::Running(job)
            }
            (State::Running(job), Event::Finish) => {
                if job.progress >= DONE_AT {
                    cx.done += 1;
                    State::Done(job.id)
                } else {
                    cx.failed += 1;
                    State::Failed
                }
            }
            (State::Queued(_) | State::Running(_) | State::Paused(_), Event::Fail) => {
                cx.failed += 1;
                State::Failed
            }
            (State::Done(_) | State::Failed, Event::Reset) => {
                cx.resets += 1;
                State::Idle
            }
            (_, event) => return Err(event),
        };
        Ok(())
    }

    /// The name of a state, as the table writes it.
    pub(crate) fn state_name(state: &State) -> &'static str {
        match state {
            State::Idle => "Idle",
            State::Queued(_) => "Queued",
            State::Running(_) => "Running",
            State::Paused(_) => "Paused",
            State::Done(_) => "Done",
            State::Failed => "Failed",
        }
    }

    /// The name of an event, as the table writes it.
    pub(crate) fn event_name(event: &Event) -> &'static str {
        match event {
            Event::Submit(_) => "Submit",
            Event::Start => "Start",
            Event::Progress(_) => "Progress",
            Event::Pause => "Pause",
            Event::Resume => "Resume",
            Event::Finish => "Finish",
            Event::Fail => "Fail",
            Event::Reset => "Reset",
        }
    }

    /// The cycle of the benchmark as events.
    pub(crate) fn cycle(id: u64, p: u32) -> [Event; 12] {
        use Event::*;
        [
            Submit(id),
            Start,
            Progress(p),
            Pause,
            Resume,
            Progress(p),
            Finish,
            Reset,
            Submit(id + 1),
            Start,
            Fail,
            Reset,
        ]
    }
}

/// The same machine written by hand with `TaskAny`'s layout: the context inside each
/// state's variant instead of beside the state. Only for the `dispatch` group, to
/// tell the cost of the layout from the cost of the generated code.
mod hand_any {
    use super::hand::Event;
    use super::{Counters, Job, DONE_AT};

    /// The machine: one variant per state, each with the context.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Machine {
        Idle(Counters),
        Queued(Counters, u64),
        Running(Counters, Job),
        Paused(Counters, Job),
        Done(Counters, u64),
        Failed(Counters),
    }

    impl Machine {
        pub(crate) fn context(&self) -> &Counters {
            match self {
                Machine::Idle(cx)
                | Machine::Queued(cx, _)
                | Machine::Running(cx, _)
                | Machine::Paused(cx, _)
                | Machine::Done(cx, _)
                | Machine::Failed(cx) => cx,
            }
        }
    }

    /// One transition, or the machine and the event back.
    #[inline]
    pub(crate) fn step(machine: Machine, event: Event) -> Result<Machine, (Machine, Event)> {
        Ok(match (machine, event) {
            (Machine::Idle(mut cx), Event::Submit(id)) => {
                cx.submitted += 1;
                cx.ids += id;
                Machine::Queued(cx, id)
            }
            (Machine::Queued(mut cx, id), Event::Start) => {
                cx.started += 1;
                Machine::Running(cx, Job { id, progress: 0 })
            }
            (Machine::Running(mut cx, job), Event::Progress(p)) => {
                cx.progress += u64::from(p);
                Machine::Running(cx, Job { progress: job.progress + p, ..job })
            }
            (Machine::Running(mut cx, job), Event::Pause) => {
                cx.pauses += 1;
                Machine::Paused(cx, job)
            }
            (Machine::Paused(mut cx, job), Event::Resume) => {
                cx.resumes += 1;
                Machine::Running(cx, job)
            }
            (Machine::Running(mut cx, job), Event::Finish) => {
                if job.progress >= DONE_AT {
                    cx.done += 1;
                    Machine::Done(cx, job.id)
                } else {
                    cx.failed += 1;
                    Machine::Failed(cx)
                }
            }
            (
                Machine::Queued(mut cx, _) | Machine::Running(mut cx, _) | Machine::Paused(mut cx, _),
                Event::Fail,
            ) => {
                cx.failed += 1;
                Machine::Failed(cx)
            }
            (Machine::Done(mut cx, _) | Machine::Failed(mut cx), Event::Reset) => {
                cx.resets += 1;
                Machine::Idle(cx)
            }
            (machine, event) => return Err((machine, event)),
        })
    }
}

/// The benchmark's cycle through the typed API: back to `Idle` after 12 transitions.
#[inline]
fn typed_cycle(task: Task<task::Idle>, id: u64, p: u32) -> Task<task::Idle> {
    let running = task.submit(id).start().progress(p).pause().resume().progress(p);
    let idle = match running.finish() {
        TaskRunningFinishNext::Done(done) => done.reset(),
        TaskRunningFinishNext::Failed(failed) => failed.reset(),
    };
    idle.submit(id + 1).start().fail().reset()
}

/// The same cycle as `TaskEvent`s.
fn event_cycle(id: u64, p: u32) -> [TaskEvent; 12] {
    use TaskEvent::*;
    [
        Submit(id),
        Start,
        Progress(p),
        Pause,
        Resume,
        Progress(p),
        Finish,
        Reset,
        Submit(id + 1),
        Start,
        Fail,
        Reset,
    ]
}

fn run_typed(id: u64, p: u32) -> Counters {
    let mut task = Task::new(Counters::default());
    for _ in 0..CYCLES {
        task = black_box(typed_cycle(task, black_box(id), black_box(p)));
    }
    task.into_parts().0
}

fn run_hand_fixed(id: u64, p: u32) -> Counters {
    let mut machine = hand::Machine { cx: Counters::default(), state: hand::State::Idle };
    for _ in 0..CYCLES {
        for event in hand::cycle(black_box(id), black_box(p)) {
            machine = match hand::step(machine, event) {
                Ok(next) => next,
                Err((same, _)) => same,
            };
        }
        machine = black_box(machine);
    }
    machine.cx
}

fn run_dispatch(id: u64, p: u32) -> Counters {
    let mut task = TaskAny::from(Task::new(Counters::default()));
    for _ in 0..CYCLES {
        for event in event_cycle(id, p) {
            if let Err(rejected) = task.dispatch(black_box(event)) {
                black_box(rejected.event);
            }
        }
    }
    *task.context()
}

fn run_hand_in_place(id: u64, p: u32) -> Counters {
    let mut machine = hand::Machine { cx: Counters::default(), state: hand::State::Idle };
    for _ in 0..CYCLES {
        for event in hand::cycle(id, p) {
            if let Err(event) = hand::step_in_place(&mut machine, black_box(event)) {
                black_box(event);
            }
        }
    }
    machine.cx
}

fn run_hand_dispatch(id: u64, p: u32) -> Counters {
    let mut machine = hand::Machine { cx: Counters::default(), state: hand::State::Idle };
    for _ in 0..CYCLES {
        for event in hand::cycle(id, p) {
            machine = match hand::step(machine, black_box(event)) {
                Ok(next) => next,
                Err((same, _)) => same,
            };
        }
    }
    machine.cx
}

/// `hand::step_in_place` with `dispatch`'s types, `proxy_machine::Transition` and
/// `proxy_machine::Rejected`: isolates what they cost on top of the match.
#[inline]
fn step_same_signature(
    machine: &mut hand::Machine,
    event: hand::Event,
) -> Result<Transition, Rejected<hand::Event>> {
    let from = hand::state_name(&machine.state);
    let event_name = hand::event_name(&event);
    match hand::step_in_place(machine, event) {
        Ok(()) => Ok(Transition { from, event: event_name, to: hand::state_name(&machine.state) }),
        Err(event) => Err(Rejected::new("Task", from, event_name, event)),
    }
}

fn run_hand_same_signature(id: u64, p: u32) -> Counters {
    let mut machine = hand::Machine { cx: Counters::default(), state: hand::State::Idle };
    for _ in 0..CYCLES {
        for event in hand::cycle(id, p) {
            if let Err(rejected) = step_same_signature(&mut machine, black_box(event)) {
                black_box(rejected.event);
            }
        }
    }
    machine.cx
}

fn run_hand_any_dispatch(id: u64, p: u32) -> Counters {
    let mut machine = hand_any::Machine::Idle(Counters::default());
    for _ in 0..CYCLES {
        for event in hand::cycle(id, p) {
            machine = match hand_any::step(machine, black_box(event)) {
                Ok(next) => next,
                Err((same, _)) => same,
            };
        }
    }
    *machine.context()
}

/// Both sides do the same work: same counters, none rejected.
fn same_work() {
    let (id, p) = (7, 6);
    let expected = Counters {
        submitted: 2 * CYCLES,
        ids: (2 * id + 1) * CYCLES,
        started: 2 * CYCLES,
        progress: 2 * u64::from(p) * CYCLES,
        pauses: CYCLES,
        resumes: CYCLES,
        done: CYCLES,
        failed: CYCLES,
        resets: 2 * CYCLES,
    };
    assert_eq!(run_typed(id, p), expected);
    assert_eq!(run_hand_fixed(id, p), expected);
    assert_eq!(run_dispatch(id, p), expected);
    assert_eq!(run_hand_dispatch(id, p), expected);
    assert_eq!(run_hand_in_place(id, p), expected);
    assert_eq!(run_hand_same_signature(id, p), expected);
    assert_eq!(run_hand_any_dispatch(id, p), expected);
}

fn transitions(c: &mut Criterion) {
    same_work();

    let mut typed = c.benchmark_group("typed");
    typed.throughput(Throughput::Elements(CYCLES * CYCLE_LEN));
    typed.bench_function("generated", |b| b.iter(|| black_box(run_typed(black_box(7), black_box(6)))));
    typed
        .bench_function("hand_written", |b| b.iter(|| black_box(run_hand_fixed(black_box(7), black_box(6)))));
    typed.finish();

    let mut dispatch = c.benchmark_group("dispatch");
    dispatch.throughput(Throughput::Elements(CYCLES * CYCLE_LEN));
    dispatch.bench_function("generated", |b| b.iter(|| black_box(run_dispatch(black_box(7), black_box(6)))));
    dispatch.bench_function("hand_written", |b| {
        b.iter(|| black_box(run_hand_dispatch(black_box(7), black_box(6))))
    });
    dispatch.bench_function("hand_written_in_place", |b| {
        b.iter(|| black_box(run_hand_in_place(black_box(7), black_box(6))))
    });
    dispatch.bench_function("hand_written_same_signature", |b| {
        b.iter(|| black_box(run_hand_same_signature(black_box(7), black_box(6))))
    });
    dispatch.bench_function("hand_written_any_layout", |b| {
        b.iter(|| black_box(run_hand_any_dispatch(black_box(7), black_box(6))))
    });
    dispatch.finish();
}

/// Rounds of [`interleaved_ratio`].
const ROUNDS: usize = 201;
/// Calls of each side per round.
const BATCH: u32 = 100;

/// `generated / hand_written`, robust to the machine's load changing while the
/// benchmark runs: each round times a batch of each side back to back (alternating
/// which goes first) and the median of the per-round ratios is returned, with the
/// median time per call of each side.
fn interleaved_ratio(
    generated: &dyn Fn() -> Counters,
    hand_written: &dyn Fn() -> Counters,
) -> (f64, f64, f64) {
    let time = |f: &dyn Fn() -> Counters| {
        let start = Instant::now();
        for _ in 0..BATCH {
            black_box(f());
        }
        start.elapsed().as_secs_f64() / f64::from(BATCH)
    };
    let (mut ratios, mut gens, mut hands) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (g, h) = if round % 2 == 0 {
            let g = time(generated);
            (g, time(hand_written))
        } else {
            let h = time(hand_written);
            (time(generated), h)
        };
        ratios.push(g / h);
        gens.push(g);
        hands.push(h);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(ratios), median(gens), median(hands))
}

/// Prints the interleaved ratios: the figures `BENCHMARKS.md` quotes next to
/// criterion's, which are measured one after the other and drift with the load.
fn interleaved() {
    type Run<'a> = &'a dyn Fn() -> Counters;
    let rows: [(&str, Run<'_>, Run<'_>); 5] = [
        ("typed", &|| run_typed(black_box(7), black_box(6)), &|| run_hand_fixed(black_box(7), black_box(6))),
        ("dispatch vs hand_written_in_place", &|| run_dispatch(black_box(7), black_box(6)), &|| {
            run_hand_in_place(black_box(7), black_box(6))
        }),
        ("dispatch vs hand_written (by value)", &|| run_dispatch(black_box(7), black_box(6)), &|| {
            run_hand_dispatch(black_box(7), black_box(6))
        }),
        ("dispatch vs hand_written_same_signature", &|| run_dispatch(black_box(7), black_box(6)), &|| {
            run_hand_same_signature(black_box(7), black_box(6))
        }),
        ("dispatch vs hand_written_any_layout", &|| run_dispatch(black_box(7), black_box(6)), &|| {
            run_hand_any_dispatch(black_box(7), black_box(6))
        }),
    ];
    println!(
        "interleaved: {ROUNDS} rounds of {BATCH} calls per side, {} transitions per call",
        CYCLES * CYCLE_LEN
    );
    for (name, generated, hand_written) in rows {
        let (ratio, g, h) = interleaved_ratio(generated, hand_written);
        println!(
            "interleaved {name}: generated {:.3} µs, hand-written {:.3} µs, ratio {ratio:.3}",
            g * 1e6,
            h * 1e6
        );
    }
}

// `criterion_group!` would define an undocumented `pub fn`; this is what it and
// `criterion_main!` expand to.
fn main() {
    // Only under `cargo bench`, not when `cargo test --all-targets` runs the bench once.
    if std::env::args().any(|arg| arg == "--bench") {
        interleaved();
    }
    let mut c = Criterion::default().configure_from_args();
    transitions(&mut c);
    c.final_summary();
}
