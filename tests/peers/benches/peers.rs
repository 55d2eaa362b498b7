//! Runtime dispatch against the peers (issue 10, item 1): one 6-state connection
//! table written by hand (enum + `match`, in place), with `lifecycle!`, and with each
//! peer crate (statig, smlang, rust-fsm, finny), driven by the same events.
//!
//! The table: 6 states and 9 events, no data in states or events (rust-fsm cannot
//! carry any, so none does), 11 rows, one self-loop (`Connected + Send`) and a
//! three-source row (`[Connecting, Connected, Suspended] + Error => Failed`). Every
//! row's handler adds that row's own weight to a counter in the context, so that
//! the work is the same everywhere and cannot be folded away, and the final sum
//! checks that each way took the same rows. Where a peer has no handler per row
//! (rust-fsm), the row's output is matched on after `consume` and adds the weight.
//!
//! The events: a fixed pseudo-random sequence ([`EVENTS`] of them), made once by
//! walking the hand-written machine; at each step an event the current state has no
//! row for is drawn with probability [`REJECT_PERCENT`], else one it has a row for.
//! Each way reads the sequence one event at a time through `black_box` and makes
//! its own event from it with a `match` (the events carry no data, so this is a
//! copy of the tag at most): our events are not `Clone`, so they could not be made
//! once beforehand, and doing the same for every way keeps the loops alike.
//!
//! - `cargo bench -p proxy-peers --bench peers`: checks that every way ends with
//!   the same sum and the same number of rejections, prints interleaved ratios to
//!   the hand-written baseline, then runs criterion on each way.
//! - `peers callgrind <way> <events>` (the bench binary, run directly): runs one way
//!   once, for `scripts/callgrind-peers.sh`, which counts the instructions of the
//!   way's `run_*` function only.
//! - Under `cargo test --all-targets`: the same-work check on 10,000 events, then
//!   criterion's one pass per way; seconds, not minutes.

use std::hint::black_box;
use std::time::Instant;
use std::{env, process};

use criterion::{Criterion, Throughput};

/// Events per measured iteration.
const EVENTS: usize = 1_000_000;
/// Events under `cargo test`, where the bench only has to show that it runs.
const TEST_EVENTS: usize = 10_000;
/// The share of events drawn from those the current state has no row for.
const REJECT_PERCENT: u64 = 15;

/// The weight each row's handler adds to the counter: a different one per row, so
/// that the final sum tells whether two ways took the same rows.
mod weight {
    pub(crate) const CONNECT: u64 = 1;
    pub(crate) const ESTABLISHED: u64 = 2;
    pub(crate) const SEND: u64 = 3;
    pub(crate) const SUSPEND: u64 = 5;
    pub(crate) const RESUME: u64 = 7;
    pub(crate) const CLOSE: u64 = 11;
    pub(crate) const CLOSED: u64 = 13;
    pub(crate) const CONNECTING_ERROR: u64 = 17;
    pub(crate) const CONNECTED_ERROR: u64 = 19;
    pub(crate) const SUSPENDED_ERROR: u64 = 23;
    pub(crate) const RESET: u64 = 29;
}

/// What every way returns: the counter and the number of rejected events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Outcome {
    sum: u64,
    rejected: u64,
}

/// The baseline: the table written by hand, as a user without a framework would,
/// stepping in place.
mod hand {
    use super::weight;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum State {
        Disconnected,
        Connecting,
        Connected,
        Suspended,
        Closing,
        Failed,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Event {
        Connect,
        Established,
        Send,
        Suspend,
        Resume,
        Close,
        Closed,
        Error,
        Reset,
    }

    impl Event {
        pub(crate) const ALL: [Event; 9] = [
            Event::Connect,
            Event::Established,
            Event::Send,
            Event::Suspend,
            Event::Resume,
            Event::Close,
            Event::Closed,
            Event::Error,
            Event::Reset,
        ];
    }

    pub(crate) struct Machine {
        pub(crate) sum: u64,
        pub(crate) state: State,
    }

    impl Machine {
        pub(crate) fn new() -> Machine {
            Machine { sum: 0, state: State::Disconnected }
        }
    }

    /// One transition in place, or the event back when the state has no row for it.
    #[inline]
    pub(crate) fn step(m: &mut Machine, event: Event) -> Result<(), Event> {
        use {Event as E, State as S};
        let (weight, next) = match (m.state, event) {
            (S::Disconnected, E::Connect) => (weight::CONNECT, S::Connecting),
            (S::Connecting, E::Established) => (weight::ESTABLISHED, S::Connected),
            (S::Connected, E::Send) => (weight::SEND, S::Connected),
            (S::Connected, E::Suspend) => (weight::SUSPEND, S::Suspended),
            (S::Suspended, E::Resume) => (weight::RESUME, S::Connected),
            (S::Connected, E::Close) => (weight::CLOSE, S::Closing),
            (S::Closing, E::Closed) => (weight::CLOSED, S::Disconnected),
            (S::Connecting, E::Error) => (weight::CONNECTING_ERROR, S::Failed),
            (S::Connected, E::Error) => (weight::CONNECTED_ERROR, S::Failed),
            (S::Suspended, E::Error) => (weight::SUSPENDED_ERROR, S::Failed),
            (S::Failed, E::Reset) => (weight::RESET, S::Disconnected),
            (_, event) => return Err(event),
        };
        m.sum += weight;
        m.state = next;
        Ok(())
    }
}

/// Ours: the same table through `lifecycle!`.
// A private machine driven only through `dispatch` gets dead-code warnings on its
// generated event methods today (issue 10, item 2, being fixed elsewhere).
#[allow(dead_code)]
mod ours {
    use std::hint::black_box;

    use proxy_machine::lifecycle;

    use super::weight;

    /// The context: the counter.
    #[derive(Debug, Default)]
    pub(crate) struct Cx {
        pub(crate) sum: u64,
    }

    lifecycle! {
        /// A connection.
        pub(crate) machine Conn {
            context: Cx;
            initial: Disconnected;
            states {
                /// Not connected.
                Disconnected,
                /// Connecting.
                Connecting,
                /// Connected.
                Connected,
                /// Suspended.
                Suspended,
                /// Closing.
                Closing,
                /// Failed.
                Failed,
            }
            events {
                /// Start connecting.
                Connect,
                /// The connection is up.
                Established,
                /// Send a message.
                Send,
                /// Suspend.
                Suspend,
                /// Resume.
                Resume,
                /// Start closing.
                Close,
                /// Closed.
                Closed,
                /// An error.
                Error,
                /// Start over.
                Reset,
            }
            transitions {
                Disconnected + Connect => Connecting,
                Connecting + Established => Connected,
                Connected + Send => Connected,
                Connected + Suspend => Suspended,
                Suspended + Resume => Connected,
                Connected + Close => Closing,
                Closing + Closed => Disconnected,
                [Connecting, Connected, Suspended] + Error => Failed,
                Failed + Reset => Disconnected,
            }
        }
    }

    impl ConnHandlers for Cx {
        fn disconnected_connect(&mut self) {
            self.sum += weight::CONNECT;
        }
        fn connecting_established(&mut self) {
            self.sum += weight::ESTABLISHED;
        }
        fn connected_send(&mut self) {
            self.sum += weight::SEND;
        }
        fn connected_suspend(&mut self) {
            self.sum += weight::SUSPEND;
        }
        fn suspended_resume(&mut self) {
            self.sum += weight::RESUME;
        }
        fn connected_close(&mut self) {
            self.sum += weight::CLOSE;
        }
        fn closing_closed(&mut self) {
            self.sum += weight::CLOSED;
        }
        fn connecting_error(&mut self) {
            self.sum += weight::CONNECTING_ERROR;
        }
        fn connected_error(&mut self) {
            self.sum += weight::CONNECTED_ERROR;
        }
        fn suspended_error(&mut self) {
            self.sum += weight::SUSPENDED_ERROR;
        }
        fn failed_reset(&mut self) {
            self.sum += weight::RESET;
        }
    }

    pub(crate) fn event(e: super::hand::Event) -> ConnEvent {
        use super::hand::Event as E;
        match e {
            E::Connect => ConnEvent::Connect,
            E::Established => ConnEvent::Established,
            E::Send => ConnEvent::Send,
            E::Suspend => ConnEvent::Suspend,
            E::Resume => ConnEvent::Resume,
            E::Close => ConnEvent::Close,
            E::Closed => ConnEvent::Closed,
            E::Error => ConnEvent::Error,
            E::Reset => ConnEvent::Reset,
        }
    }

    // ---- ADAPTER: the only code here that knows `ConnAny::dispatch`'s signature. ----
    // `dispatch(&mut self, e) -> Result<Transition, Rejected<E>>`: the machine stays
    // where it is, so the loop has the shape of the hand-written one.

    /// Every event once, on a new machine.
    #[inline]
    pub(crate) fn run(events: &[super::hand::Event]) -> super::Outcome {
        let (mut m, mut rejected) = (ConnAny::from(Conn::new(Cx::default())), 0);
        for &e in events {
            if m.dispatch(event(black_box(e))).is_err() {
                rejected += 1;
            }
        }
        super::Outcome { sum: black_box(&m).context().sum, rejected }
    }
    // ---- end of ADAPTER ----
}

/// statig 0.4: states are methods matching on the event; a state without a row
/// for the event returns `Super`, and with no superstate above it the event is
/// dropped. `handle` reports nothing, so the catch-all counts the rejection.
#[allow(missing_docs, unreachable_pub, clippy::all)] // what the macro generates
mod statig_peer {
    use statig::prelude::*;

    use super::weight;

    #[derive(Default)]
    pub struct Conn {
        pub sum: u64,
        pub rejected: u64,
    }

    pub enum Event {
        Connect,
        Established,
        Send,
        Suspend,
        Resume,
        Close,
        Closed,
        Error,
        Reset,
    }

    #[state_machine(initial = "State::disconnected()")]
    impl Conn {
        #[state]
        fn disconnected(&mut self, event: &Event) -> Outcome<State> {
            match event {
                Event::Connect => {
                    self.sum += weight::CONNECT;
                    Transition(State::connecting())
                }
                _ => {
                    self.rejected += 1;
                    Super
                }
            }
        }

        #[state]
        fn connecting(&mut self, event: &Event) -> Outcome<State> {
            match event {
                Event::Established => {
                    self.sum += weight::ESTABLISHED;
                    Transition(State::connected())
                }
                Event::Error => {
                    self.sum += weight::CONNECTING_ERROR;
                    Transition(State::failed())
                }
                _ => {
                    self.rejected += 1;
                    Super
                }
            }
        }

        #[state]
        fn connected(&mut self, event: &Event) -> Outcome<State> {
            match event {
                // The self-loop: handled in place, as the other peers' internal
                // transitions (statig would run no entry/exit action anyway: none).
                Event::Send => {
                    self.sum += weight::SEND;
                    Handled
                }
                Event::Suspend => {
                    self.sum += weight::SUSPEND;
                    Transition(State::suspended())
                }
                Event::Close => {
                    self.sum += weight::CLOSE;
                    Transition(State::closing())
                }
                Event::Error => {
                    self.sum += weight::CONNECTED_ERROR;
                    Transition(State::failed())
                }
                _ => {
                    self.rejected += 1;
                    Super
                }
            }
        }

        #[state]
        fn suspended(&mut self, event: &Event) -> Outcome<State> {
            match event {
                Event::Resume => {
                    self.sum += weight::RESUME;
                    Transition(State::connected())
                }
                Event::Error => {
                    self.sum += weight::SUSPENDED_ERROR;
                    Transition(State::failed())
                }
                _ => {
                    self.rejected += 1;
                    Super
                }
            }
        }

        #[state]
        fn closing(&mut self, event: &Event) -> Outcome<State> {
            match event {
                Event::Closed => {
                    self.sum += weight::CLOSED;
                    Transition(State::disconnected())
                }
                _ => {
                    self.rejected += 1;
                    Super
                }
            }
        }

        #[state]
        fn failed(&mut self, event: &Event) -> Outcome<State> {
            match event {
                Event::Reset => {
                    self.sum += weight::RESET;
                    Transition(State::disconnected())
                }
                _ => {
                    self.rejected += 1;
                    Super
                }
            }
        }
    }

    pub type Machine = InitializedStateMachine<Conn>;

    pub fn new() -> Machine {
        Conn::default().uninitialized_state_machine().init()
    }

    pub fn event(e: super::hand::Event) -> Event {
        use super::hand::Event as E;
        match e {
            E::Connect => Event::Connect,
            E::Established => Event::Established,
            E::Send => Event::Send,
            E::Suspend => Event::Suspend,
            E::Resume => Event::Resume,
            E::Close => Event::Close,
            E::Closed => Event::Closed,
            E::Error => Event::Error,
            E::Reset => Event::Reset,
        }
    }
}

/// smlang 0.8: the table in its DSL, one action per row on the context;
/// `process_event` returns `Err(InvalidEvent)` for an event without a row.
#[allow(missing_docs, unreachable_pub, clippy::all)] // what the macro generates
mod smlang_peer {
    use smlang::statemachine;

    use super::weight;

    statemachine! {
        name: Conn,
        transitions: {
            *Disconnected + Connect / connect = Connecting,
            Connecting + Established / established = Connected,
            Connected + Send / send = Connected,
            Connected + Suspend / suspend = Suspended,
            Suspended + Resume / resume = Connected,
            Connected + Close / close = Closing,
            Closing + Closed / closed = Disconnected,
            Connecting + Error / connecting_error = Failed,
            Connected + Error / connected_error = Failed,
            Suspended + Error / suspended_error = Failed,
            Failed + Reset / reset = Disconnected,
        }
    }

    pub struct Cx {
        pub sum: u64,
    }

    impl ConnStateMachineContext for Cx {
        fn connect(&mut self) -> Result<(), ()> {
            self.sum += weight::CONNECT;
            Ok(())
        }
        fn established(&mut self) -> Result<(), ()> {
            self.sum += weight::ESTABLISHED;
            Ok(())
        }
        fn send(&mut self) -> Result<(), ()> {
            self.sum += weight::SEND;
            Ok(())
        }
        fn suspend(&mut self) -> Result<(), ()> {
            self.sum += weight::SUSPEND;
            Ok(())
        }
        fn resume(&mut self) -> Result<(), ()> {
            self.sum += weight::RESUME;
            Ok(())
        }
        fn close(&mut self) -> Result<(), ()> {
            self.sum += weight::CLOSE;
            Ok(())
        }
        fn closed(&mut self) -> Result<(), ()> {
            self.sum += weight::CLOSED;
            Ok(())
        }
        fn connecting_error(&mut self) -> Result<(), ()> {
            self.sum += weight::CONNECTING_ERROR;
            Ok(())
        }
        fn connected_error(&mut self) -> Result<(), ()> {
            self.sum += weight::CONNECTED_ERROR;
            Ok(())
        }
        fn suspended_error(&mut self) -> Result<(), ()> {
            self.sum += weight::SUSPENDED_ERROR;
            Ok(())
        }
        fn reset(&mut self) -> Result<(), ()> {
            self.sum += weight::RESET;
            Ok(())
        }
    }

    pub type Machine = ConnStateMachine<Cx>;

    pub fn new() -> Machine {
        ConnStateMachine::new(Cx { sum: 0 })
    }

    pub fn event(e: super::hand::Event) -> ConnEvents {
        use super::hand::Event as E;
        match e {
            E::Connect => ConnEvents::Connect,
            E::Established => ConnEvents::Established,
            E::Send => ConnEvents::Send,
            E::Suspend => ConnEvents::Suspend,
            E::Resume => ConnEvents::Resume,
            E::Close => ConnEvents::Close,
            E::Closed => ConnEvents::Closed,
            E::Error => ConnEvents::Error,
            E::Reset => ConnEvents::Reset,
        }
    }
}

/// rust-fsm 0.8: a Mealy machine without context or handlers; each row outputs
/// its own value, and the caller's match on it is the handler body.
#[allow(missing_docs, unreachable_pub, clippy::all)] // what the macro generates
mod rust_fsm_peer {
    use rust_fsm::state_machine;

    use super::weight;

    state_machine! {
        pub conn(Disconnected)
        Disconnected(Connect) => Connecting [RowConnect],
        Connecting => {
            Established => Connected [RowEstablished],
            Error => Failed [RowConnectingError],
        },
        Connected => {
            Send => Connected [RowSend],
            Suspend => Suspended [RowSuspend],
            Close => Closing [RowClose],
            Error => Failed [RowConnectedError],
        },
        Suspended => {
            Resume => Connected [RowResume],
            Error => Failed [RowSuspendedError],
        },
        Closing(Closed) => Disconnected [RowClosed],
        Failed(Reset) => Disconnected [RowReset],
    }

    pub struct Machine {
        pub fsm: conn::StateMachine,
        pub sum: u64,
    }

    pub fn new() -> Machine {
        Machine { fsm: conn::StateMachine::new(), sum: 0 }
    }

    /// One event: whether the machine accepted it; the row's handler runs here.
    #[inline]
    pub fn step(m: &mut Machine, e: &conn::Input) -> bool {
        use conn::Output as O;
        match m.fsm.consume(e) {
            Ok(Some(output)) => {
                m.sum += match output {
                    O::RowConnect => weight::CONNECT,
                    O::RowEstablished => weight::ESTABLISHED,
                    O::RowSend => weight::SEND,
                    O::RowSuspend => weight::SUSPEND,
                    O::RowResume => weight::RESUME,
                    O::RowClose => weight::CLOSE,
                    O::RowClosed => weight::CLOSED,
                    O::RowConnectingError => weight::CONNECTING_ERROR,
                    O::RowConnectedError => weight::CONNECTED_ERROR,
                    O::RowSuspendedError => weight::SUSPENDED_ERROR,
                    O::RowReset => weight::RESET,
                };
                true
            }
            // Every row has an output.
            Ok(None) => true,
            Err(_) => false,
        }
    }

    pub fn event(e: super::hand::Event) -> conn::Input {
        use super::hand::Event as E;
        match e {
            E::Connect => conn::Input::Connect,
            E::Established => conn::Input::Established,
            E::Send => conn::Input::Send,
            E::Suspend => conn::Input::Suspend,
            E::Resume => conn::Input::Resume,
            E::Close => conn::Input::Close,
            E::Closed => conn::Input::Closed,
            E::Error => conn::Input::Error,
            E::Reset => conn::Input::Reset,
        }
    }
}

/// finny 0.3: states and events are types, rows are declared through a builder in
/// a function the macro reads; `dispatch` returns `Err` for an event without a
/// row. The machine is made by `FsmFactory::new`: a no-op inspector and finny's
/// default queue and timers.
#[allow(missing_docs, unreachable_pub, clippy::all)] // what the macro generates
mod finny_peer {
    use finny::decl::{BuiltFsm, FsmBuilder};
    use finny::{finny_fsm, FsmFactory};

    use super::weight;

    #[derive(Default)]
    pub struct Cx {
        pub sum: u64,
    }

    #[derive(Default)]
    pub struct Disconnected;
    #[derive(Default)]
    pub struct Connecting;
    #[derive(Default)]
    pub struct Connected;
    #[derive(Default)]
    pub struct Suspended;
    #[derive(Default)]
    pub struct Closing;
    #[derive(Default)]
    pub struct Failed;

    #[derive(Clone)]
    pub struct Connect;
    #[derive(Clone)]
    pub struct Established;
    #[derive(Clone)]
    pub struct Send;
    #[derive(Clone)]
    pub struct Suspend;
    #[derive(Clone)]
    pub struct Resume;
    #[derive(Clone)]
    pub struct Close;
    #[derive(Clone)]
    pub struct Closed;
    #[derive(Clone)]
    pub struct Error;
    #[derive(Clone)]
    pub struct Reset;

    #[finny_fsm]
    fn conn_fsm(mut fsm: FsmBuilder<ConnFsm, Cx>) -> BuiltFsm {
        fsm.state::<Disconnected>().on_event::<Connect>().transition_to::<Connecting>().action(
            |_, ctx, _, _| {
                ctx.context.sum += weight::CONNECT;
            },
        );
        fsm.state::<Connecting>().on_event::<Established>().transition_to::<Connected>().action(
            |_, ctx, _, _| {
                ctx.context.sum += weight::ESTABLISHED;
            },
        );
        // The self-loop as an internal transition: no exit and re-entry, as in the
        // other ways (none of them has entry or exit actions).
        fsm.state::<Connected>().on_event::<Send>().internal_transition().action(|_, ctx, _| {
            ctx.context.sum += weight::SEND;
        });
        fsm.state::<Connected>().on_event::<Suspend>().transition_to::<Suspended>().action(|_, ctx, _, _| {
            ctx.context.sum += weight::SUSPEND;
        });
        fsm.state::<Suspended>().on_event::<Resume>().transition_to::<Connected>().action(|_, ctx, _, _| {
            ctx.context.sum += weight::RESUME;
        });
        fsm.state::<Connected>().on_event::<Close>().transition_to::<Closing>().action(|_, ctx, _, _| {
            ctx.context.sum += weight::CLOSE;
        });
        fsm.state::<Closing>().on_event::<Closed>().transition_to::<Disconnected>().action(|_, ctx, _, _| {
            ctx.context.sum += weight::CLOSED;
        });
        fsm.state::<Connecting>().on_event::<Error>().transition_to::<Failed>().action(|_, ctx, _, _| {
            ctx.context.sum += weight::CONNECTING_ERROR;
        });
        fsm.state::<Connected>().on_event::<Error>().transition_to::<Failed>().action(|_, ctx, _, _| {
            ctx.context.sum += weight::CONNECTED_ERROR;
        });
        fsm.state::<Suspended>().on_event::<Error>().transition_to::<Failed>().action(|_, ctx, _, _| {
            ctx.context.sum += weight::SUSPENDED_ERROR;
        });
        fsm.state::<Failed>().on_event::<Reset>().transition_to::<Disconnected>().action(|_, ctx, _, _| {
            ctx.context.sum += weight::RESET;
        });
        fsm.initial_state::<Disconnected>();
        fsm.build()
    }

    pub type Machine = finny::FsmFrontend<
        ConnFsm,
        finny::FsmEventQueueVec<ConnFsm>,
        finny::inspect::null::InspectNull,
        finny::timers::std::TimersStd<ConnFsm>,
    >;

    pub fn new() -> Machine {
        let mut fsm = ConnFsm::new(Cx::default()).expect("a new finny machine");
        fsm.start().expect("start the finny machine");
        fsm
    }

    pub fn event(e: super::hand::Event) -> ConnFsmEvents {
        use super::hand::Event as E;
        match e {
            E::Connect => Connect.into(),
            E::Established => Established.into(),
            E::Send => Send.into(),
            E::Suspend => Suspend.into(),
            E::Resume => Resume.into(),
            E::Close => Close.into(),
            E::Closed => Closed.into(),
            E::Error => Error.into(),
            E::Reset => Reset.into(),
        }
    }
}

/// A fixed xorshift64 generator: the same sequence on every run and machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[(self.next() % from.len() as u64) as usize]
    }
}

/// The event sequence, made by walking the hand-written machine.
fn sequence(n: usize) -> Vec<hand::Event> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut machine = hand::Machine::new();
    (0..n)
        .map(|_| {
            let (accepted, rejected): (Vec<hand::Event>, Vec<hand::Event>) =
                hand::Event::ALL.iter().partition(|&&e| {
                    let mut probe = hand::Machine { sum: 0, state: machine.state };
                    hand::step(&mut probe, e).is_ok()
                });
            let event =
                if rng.next() % 100 < REJECT_PERCENT { rng.pick(&rejected) } else { rng.pick(&accepted) };
            let _ = hand::step(&mut machine, event);
            event
        })
        .collect()
}

// One `run_*` per way: a new machine, every event once, the outcome. Not inlined,
// so that callgrind can count each one alone (`--toggle-collect`).

#[inline(never)]
fn run_hand(events: &[hand::Event]) -> Outcome {
    let (mut m, mut rejected) = (hand::Machine::new(), 0);
    for &e in events {
        if hand::step(&mut m, black_box(e)).is_err() {
            rejected += 1;
        }
    }
    Outcome { sum: black_box(&m).sum, rejected }
}

#[inline(never)]
fn run_ours(events: &[hand::Event]) -> Outcome {
    ours::run(events)
}

#[inline(never)]
fn run_statig(events: &[hand::Event]) -> Outcome {
    let mut m = statig_peer::new();
    for &e in events {
        m.handle(&statig_peer::event(black_box(e)));
    }
    let m = black_box(&m).inner();
    Outcome { sum: m.sum, rejected: m.rejected }
}

#[inline(never)]
fn run_smlang(events: &[hand::Event]) -> Outcome {
    let (mut m, mut rejected) = (smlang_peer::new(), 0);
    for &e in events {
        if m.process_event(smlang_peer::event(black_box(e))).is_err() {
            rejected += 1;
        }
    }
    Outcome { sum: black_box(&m).context().sum, rejected }
}

#[inline(never)]
fn run_rust_fsm(events: &[hand::Event]) -> Outcome {
    let (mut m, mut rejected) = (rust_fsm_peer::new(), 0);
    for &e in events {
        if !rust_fsm_peer::step(&mut m, &rust_fsm_peer::event(black_box(e))) {
            rejected += 1;
        }
    }
    Outcome { sum: black_box(&m).sum, rejected }
}

#[inline(never)]
fn run_finny(events: &[hand::Event]) -> Outcome {
    let (mut m, mut rejected) = (finny_peer::new(), 0);
    for &e in events {
        if m.dispatch(finny_peer::event(black_box(e))).is_err() {
            rejected += 1;
        }
    }
    Outcome { sum: black_box(&m).sum, rejected }
}

/// A way: its name and how to run it on the inputs.
type Way = (&'static str, fn(&[hand::Event]) -> Outcome);

/// Every way, the baseline first.
const WAYS: [Way; 6] = [
    ("hand_written", run_hand),
    ("ours", run_ours),
    ("statig", run_statig),
    ("smlang", run_smlang),
    ("rust_fsm", run_rust_fsm),
    ("finny", run_finny),
];

/// Every way ends with the baseline's counter and rejections, and about
/// [`REJECT_PERCENT`] of the events are rejected.
fn same_work(inputs: &[hand::Event]) -> Outcome {
    let expected = run_hand(inputs);
    for (name, run) in WAYS {
        assert_eq!(run(inputs), expected, "{name} did other work than the hand-written machine");
    }
    let share = expected.rejected as f64 / inputs.len() as f64;
    assert!((0.12..0.18).contains(&share), "{:.1}% rejected", share * 100.0);
    expected
}

/// Rounds of [`interleaved`].
const ROUNDS: usize = 31;

/// Each way's time per event over the hand-written one's, robust to the load
/// changing during the run: each round times every way once (1,000,000 events
/// each), rotating which goes first, and the median of the per-round ratios is
/// printed.
fn interleaved(inputs: &[hand::Event]) {
    let mut times = vec![Vec::new(); WAYS.len()];
    for round in 0..ROUNDS {
        for k in 0..WAYS.len() {
            let way = (round + k) % WAYS.len();
            let start = Instant::now();
            black_box(WAYS[way].1(black_box(inputs)));
            times[way].push(start.elapsed().as_secs_f64());
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let events = inputs.len() as f64;
    println!("interleaved: {ROUNDS} rounds, each way once per round on {events} events");
    for (way, (name, _)) in WAYS.iter().enumerate() {
        let ratios: Vec<f64> = times[way].iter().zip(&times[0]).map(|(t, h)| t / h).collect();
        println!(
            "interleaved {name:<12} {:>6.2} ns/event, ratio to hand_written {:.3}",
            median(times[way].clone()) / events * 1e9,
            median(ratios)
        );
    }
}

/// `peers callgrind <way> <events>`: one run of one way, for callgrind.
fn callgrind(args: &[String]) {
    let usage = || -> ! {
        let names: Vec<&str> = WAYS.iter().map(|(name, _)| *name).collect();
        eprintln!("usage: peers callgrind <{}> <events>", names.join("|"));
        process::exit(2)
    };
    let (Some(name), Some(n)) = (args.first(), args.get(1).and_then(|n| n.parse().ok())) else { usage() };
    let Some((_, run)) = WAYS.iter().find(|(way, _)| way == name) else { usage() };
    let inputs = sequence(n);
    let outcome = run(&inputs);
    println!("{name}: {n} events, {} rejected, sum {}", outcome.rejected, outcome.sum);
}

// `criterion_group!` would define an undocumented `pub fn`; this is what it and
// `criterion_main!` expand to.
fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("callgrind") {
        callgrind(&args[1..]);
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --all-targets` does not, and then
    // a short sequence is enough to show that everything runs.
    let bench = args.iter().any(|arg| arg == "--bench");
    let inputs = sequence(if bench { EVENTS } else { TEST_EVENTS });
    let outcome = same_work(&inputs);
    println!(
        "peers: {} events, {} rejected ({:.1}%), every way did the same work",
        inputs.len(),
        outcome.rejected,
        100.0 * outcome.rejected as f64 / inputs.len() as f64
    );
    if bench {
        interleaved(&inputs);
    }
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("peers");
    group.throughput(Throughput::Elements(inputs.len() as u64));
    // Ten samples of 1,000,000 events each: every sample is milliseconds long.
    group.sample_size(10);
    for (name, run) in WAYS {
        group.bench_function(name, |b| b.iter(|| black_box(run(black_box(&inputs[..])))));
    }
    group.finish();
    c.final_summary();
}
