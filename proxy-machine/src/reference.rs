//! The `lifecycle!` DSL reference: every construct, what it generates, and the error
//! each check gives.
//!
//! # A whole table
//!
//! ```
//! use std::time::Duration;
//! use proxy_machine::lifecycle;
//!
//! pub struct Cx { pub patience: Duration }
//!
//! lifecycle! {
//!     /// A leased connection. (Doc comments are kept on every item.)
//!     pub machine Lease {
//!         context: Cx;                 // owned in every state; `()` when omitted
//!         initial: Idle;               // required
//!         terminal: [Closed];          // or `terminal: Closed;`; optional
//!         states {
//!             /// Nothing to do.
//!             Idle,
//!             Connecting,
//!             Open(u32),               // a state with data: one type (use a tuple for more)
//!             Closed,
//!         }
//!         events {
//!             Connect,
//!             Connected(u32),          // an event with a payload
//!             Fail,
//!             Close,
//!             TimedOut,
//!         }
//!         transitions {
//!             Idle + Connect => Connecting,
//!             Connecting + Connected => Open,
//!             /// Alternatives: the handler chooses one.
//!             Connecting + Fail => Idle | Closed,
//!             Connecting + TimedOut => Idle,
//!             [Idle, Open] + Close => Closed,   // several sources: one handler per source
//!         }
//!         timeouts { Connecting after cx.patience => TimedOut }
//!         defer { Connecting: [Close] }
//!     }
//! }
//!
//! // One method per (source, event) pair: `{state}_{event}` in snake case. It gets
//! // the context, the source's data (if any) and the payload (if any), and returns
//! // the target's data, or the choice enum for alternatives.
//! impl LeaseHandlers for Cx {
//!     fn idle_connect(&mut self) {}
//!     fn connecting_connected(&mut self, event: u32) -> u32 { event }
//!     fn connecting_fail(&mut self) -> LeaseConnectingFail { LeaseConnectingFail::Idle }
//!     fn connecting_timed_out(&mut self) {}
//!     fn idle_close(&mut self) {}
//!     fn open_close(&mut self, state: u32) { let _ = state; }
//! }
//!
//! let lease = Lease::new(Cx { patience: Duration::from_secs(3) }); // Lease<lease::Idle>
//! let open = lease.connect().connected(7);                          // Lease<lease::Open>
//! assert_eq!(*open.data(), 7);
//! let closed = open.close();
//! assert_eq!(closed.state_name(), "Closed");
//! ```
//!
//! # Sections
//!
//! | section | form | required |
//! |---|---|---|
//! | `context` | `context: Type;` | no (`()`) |
//! | `initial` | `initial: State;` | yes |
//! | `terminal` | `terminal: [A, B];` or `terminal: A;` | no |
//! | `entry` | `entry: [A, B];`: states (and superstates) with an entry action | no |
//! | `exit` | `exit: [A];`: states (not terminal ones) and superstates with an exit action | no |
//! | `states` | `states { A, B(Data), .. }` | yes |
//! | `events` | `events { E, F(Payload), .. }` | no |
//! | `transitions` | `transitions { A + E => B, [A, B] + F => C \| D, _ + G => E, A + H if g => B, A + H => C, .. }` | no |
//! | `timeouts` | `timeouts { A after <Duration expr using cx> => E, .. }` | no |
//! | `defer` | `defer { A: [E, F], .. }` | no |
//! | `superstates` | `superstates { G: [A, B], H: [G, C], .. }`: groups sharing rows, timeouts, deferrals | no |
//!
//! Sections may come in any order, each at most once. A machine may be generic
//! (`machine Pool<'a, T: Clone> where T: Send`); one `lifecycle!` may hold several
//! machines; it may be invoked inside a function.
//!
//! # Through a re-export
//!
//! The generated code names this crate by the path `lifecycle!` was called through
//! (its `$crate`), so a crate that re-exports the framework (`pub use proxy_machine as
//! machine;`, as `proxy_core` does) lets its users write `machine::lifecycle!`
//! without depending on `proxy-machine` themselves.
//!
//! ```
//! mod framework {
//!     pub(crate) use ::proxy_machine as machine;
//! }
//! framework::machine::lifecycle! {
//!     machine Bell {
//!         initial: Quiet;
//!         states { Quiet, Ringing }
//!         events { Ring, Stop }
//!         transitions { Quiet + Ring => Ringing, Ringing + Stop => Quiet }
//!     }
//! }
//! impl BellHandlers for () {
//!     fn quiet_ring(&mut self) {}
//!     fn ringing_stop(&mut self) {}
//! }
//! assert_eq!(Bell::new(()).ring().state_name(), "Ringing");
//! ```
//!
//! # What is generated, for `machine Lease`
//!
//! | item | what |
//! |---|---|
//! | `mod lease` | one uninhabited type per state (`lease::Idle`) and per event (`lease::event::Close`, whose docs list the states that accept it and where it leads) |
//! | `Lease<S>` | the handle: owns the context and the state's data; as big as those, no more |
//! | `Lease::<Initial>::new(cx[, data])` | a machine in its initial state |
//! | `Lease<S>::connect(self[, payload])` | one method per event, callable only where a row accepts it |
//! | `Lease<S>::{context, context_mut, data, data_mut, into_parts, state_name, into_any, restore}` | accessors; `restore` rebuilds a handle in any state (persistence) |
//! | `LeaseHandlers` | the rows' bodies, implemented for the context type |
//! | `LeaseConnectingFail`, `LeaseConnectingFailNext` | the handler's choice, and the typed result, of a row with alternatives |
//! | `LeaseAny`, `LeaseEvent` | the machine and its events as values: `dispatch`, `timeout`, `defers`, `is_terminal` |
//! | `LeaseAny::META`, `to_mermaid()`, `to_dot()` | the table as data and as diagrams; the diagram is also in `Lease`'s docs, as a picture (an inline SVG drawn at expansion: no script, nothing fetched; up to 64 states and 256 rows, as laying out a bigger table would slow every build) with the Mermaid text under it |
//!
//! # Alternatives
//!
//! A row with `=> A | B` returns an enum: the handler picks a variant of
//! `{Machine}{Source}{Event}`, and the typed transition returns
//! `{Machine}{Source}{Event}Next`, one variant per target holding its handle.
//!
//! ```
//! use proxy_machine::lifecycle;
//! struct Toss(u32);
//! lifecycle! {
//!     machine Coin {
//!         context: Toss;
//!         initial: Up;
//!         terminal: [Lost];
//!         states { Up, Down, Lost }
//!         events { Flip }
//!         transitions { [Up, Down] + Flip => Up | Down | Lost }
//!     }
//! }
//! impl CoinHandlers for Toss {
//!     fn up_flip(&mut self) -> CoinUpFlip { self.0 += 1; CoinUpFlip::Down }
//!     fn down_flip(&mut self) -> CoinDownFlip { CoinDownFlip::Lost }
//! }
//! let coin = match Coin::new(Toss(0)).flip() {
//!     CoinUpFlipNext::Down(down) => down,
//!     other => panic!("the handler chose Down, not {:?}", CoinAny::from(other)),
//! };
//! assert!(matches!(coin.flip(), CoinDownFlipNext::Lost(_)));
//! ```
//!
//! # The runtime enum
//!
//! When the state is known only at run time (an actor's inbox), `LeaseAny::dispatch`
//! goes through the same typed transitions, on a machine it borrows: it moves the
//! machine to the row's target in place and returns the [`Transition`](crate::Transition)
//! it took. An event the state has no row for leaves the machine untouched and comes
//! back in a [`Rejected`](crate::Rejected), with the names of the machine, the state
//! and the event.
//!
//! ```
//! use proxy_machine::lifecycle;
//! lifecycle! {
//!     machine Door {
//!         initial: Shut;
//!         states { Shut, Open }
//!         events { Push, Pull }
//!         transitions { Shut + Push => Open, Open + Pull => Shut }
//!     }
//! }
//! impl DoorHandlers for () {
//!     fn shut_push(&mut self) {}
//!     fn open_pull(&mut self) {}
//! }
//! let mut door = DoorAny::from(Door::new(()));
//! let rejected = door.dispatch(DoorEvent::Pull).unwrap_err();
//! assert_eq!(rejected.to_string(), "illegal transition: `Shut` does not accept `Pull` (machine `Door`)");
//! assert!(matches!(rejected.into_event(), DoorEvent::Pull));
//! assert_eq!(door.state_name(), "Shut");
//! let transition = door.dispatch(DoorEvent::Push).unwrap();
//! assert_eq!((transition.from, transition.event, transition.to), ("Shut", "Push", "Open"));
//! assert_eq!(door.state_name(), "Open");
//! assert!(DoorAny::to_mermaid().contains("Shut --> Open: Push"));
//! assert_eq!(DoorAny::META.targets("Open", "Pull"), Some(&["Shut"][..]));
//! ```
//!
//! # Timeouts and deferral
//!
//! `timeouts { S after <expr> => E }`: the expression, of type `Duration`, is
//! evaluated with `cx` bound to `&Context`. The event must carry no data and `S`
//! must have a row for it. `defer { S: [E] }`: `S` keeps `E` to be replayed after
//! the state changes; `S` must not also handle `E`. Both are data that a driver
//! acts on: `LeaseAny::timeout()` and `LeaseAny::defers(&event)`.
//!
//! ```
//! use std::time::Duration;
//! use proxy_machine::lifecycle;
//! lifecycle! {
//!     machine Job {
//!         context: u64;
//!         initial: Queued;
//!         terminal: [Done];
//!         states { Queued, Running, Done }
//!         events { Start, Finish, Cancel, Expire }
//!         transitions { Queued + Start => Running, Running + Finish => Done, Running + Expire => Done, Queued + Cancel => Done }
//!         timeouts { Running after Duration::from_millis(*cx) => Expire }
//!         defer { Running: [Cancel] }
//!     }
//! }
//! impl JobHandlers for u64 {
//!     fn queued_start(&mut self) {}
//!     fn running_finish(&mut self) {}
//!     fn running_expire(&mut self) {}
//!     fn queued_cancel(&mut self) {}
//! }
//! let running = JobAny::from(Job::new(250).start());
//! let (after, event) = running.timeout().unwrap();
//! assert_eq!((after, event.name()), (Duration::from_millis(250), "Expire"));
//! assert!(running.defers(&JobEvent::Cancel));
//! ```
//!
//! # A wildcard source
//!
//! `_ + Event => Target` is a row from every state that is not terminal, has no row
//! of its own for `Event` (wherever in the table that row is) and does not defer
//! it. It is shorthand for listing those states as sources: each gets its own
//! handler `{state}_{event}`, with its own data, and `META` and the diagrams hold
//! the rows it stands for, after the table's own. A wildcard that leaves no state
//! to cover is an error.
//!
//! ```
//! use proxy_machine::lifecycle;
//!
//! lifecycle! {
//!     machine Upload {
//!         initial: Picking;
//!         terminal: [Sent, Aborted];
//!         states { Picking, Sending(u32), Retrying(u32), Sent, Aborted }
//!         events { Send, Fail, Done, Abort }
//!         transitions {
//!             Picking + Send => Sending,
//!             Sending + Fail => Retrying,
//!             Retrying + Send => Sending,
//!             Sending + Done => Sent,
//!             _ + Abort => Aborted,   // from Picking, Sending and Retrying
//!         }
//!     }
//! }
//!
//! impl UploadHandlers for () {
//!     fn picking_send(&mut self) -> u32 { 0 }
//!     fn sending_fail(&mut self, tries: u32) -> u32 { tries + 1 }
//!     fn retrying_send(&mut self, tries: u32) -> u32 { tries }
//!     fn sending_done(&mut self, _tries: u32) {}
//!     fn picking_abort(&mut self) {}
//!     fn sending_abort(&mut self, _tries: u32) {}
//!     fn retrying_abort(&mut self, _tries: u32) {}
//! }
//!
//! assert_eq!(Upload::new(()).send().fail().abort().state_name(), "Aborted");
//! let sources: Vec<&str> =
//!     UploadAny::META.rows.iter().filter(|r| r.event == "Abort").map(|r| r.source).collect();
//! assert_eq!(sources, ["Picking", "Sending", "Retrying"]);
//! ```
//!
//! # Guards
//!
//! Several rows for one (state, event) pair, each but the last with `if <guard>`:
//! they are tried in table order, the first whose guard holds is taken, and the last,
//! unguarded, is taken when none holds, so the pair always has a row. The guard is
//! a method of the handlers trait, `fn <guard>(&self [, event: &Payload]) -> bool`:
//! it sees the context and the payload, not the state's data, so one guard can serve
//! the same event in several states (and every event it guards carries the same
//! payload type). It runs before anything else of the transition (the exit action
//! comes after it).
//!
//! Each guarded row has its own handler, `{state}_{event}_if_{guard}`, returning its
//! target's data; the unguarded row keeps `{state}_{event}`. A guarded row, and the
//! unguarded row after guarded ones, has one target (alternatives: write one guarded
//! row per target). The typed method returns the handle when every row of the pair
//! leads to one state, else the `..Next` enum of alternatives over the pair's
//! targets. `dispatch` evaluates the guards the same way (it goes through the typed
//! transition) and its `Transition.to` is the row taken; `META` holds one row per
//! guarded row, with `guard: Some(..)`, before the unguarded one (`rows_for` gives
//! them in order); the diagrams label the edges `Run [fits]` and `Run [else]`.
//!
//! ```
//! use proxy_machine::lifecycle;
//!
//! pub struct Slots { free: u32 }
//!
//! lifecycle! {
//!     machine Task {
//!         context: Slots;
//!         initial: Ready;
//!         terminal: [Done];
//!         states { Ready, Running(u32), Queued(u32), Done }
//!         events { Run(u32), Finish }
//!         transitions {
//!             Ready + Run if fits => Running,    // tried first
//!             Ready + Run => Queued,             // taken when `fits` does not hold
//!             Queued + Run if fits => Running,   // the same guard in another state
//!             Queued + Run => Queued,
//!             [Running, Queued] + Finish => Done,
//!         }
//!     }
//! }
//!
//! impl TaskHandlers for Slots {
//!     fn fits(&self, size: &u32) -> bool { *size <= self.free }
//!     fn ready_run_if_fits(&mut self, size: u32) -> u32 { self.free -= size; size }
//!     fn ready_run(&mut self, size: u32) -> u32 { size }
//!     fn queued_run_if_fits(&mut self, _queued: u32, size: u32) -> u32 { self.free -= size; size }
//!     fn queued_run(&mut self, queued: u32, _size: u32) -> u32 { queued }
//!     fn running_finish(&mut self, size: u32) { self.free += size; }
//!     fn queued_finish(&mut self, _size: u32) {}
//! }
//!
//! // Two targets for `Ready + Run`: the method returns `TaskReadyRunNext`.
//! match Task::new(Slots { free: 4 }).run(3) {
//!     TaskReadyRunNext::Running(task) => assert_eq!(*task.data(), 3),
//!     TaskReadyRunNext::Queued(_) => unreachable!("3 fits in 4"),
//! }
//! let mut task: TaskAny = Task::new(Slots { free: 2 }).into();
//! assert_eq!(task.dispatch(TaskEvent::Run(3)).unwrap().to, "Queued");
//! let guards: Vec<Option<&str>> = TaskAny::META.rows_for("Ready", "Run").map(|r| r.guard).collect();
//! assert_eq!(guards, [Some("fits"), None]);
//! assert!(TaskAny::to_mermaid().contains("Ready --> Running: Run [fits]"));
//! ```
//!
//! Overlap is decided on the rows, not on what the guards compute (which the macro
//! cannot see): an unguarded row before guarded ones of its pair (it would shadow
//! them), the same guard twice in one pair, a pair of guarded rows only, a guard on a
//! wildcard row (not supported: write the guarded rows per state), a guard named like
//! a handler, and a guard for events of different payload types are errors. A
//! wildcard row is no fallback for a state's guarded rows: it covers only states
//! without a row of their own for the event, so each guarded pair ends with its own
//! unguarded row.
//!
//! # Entry and exit actions
//!
//! `entry: [A, B];` and `exit: [A];` give states actions: the handlers trait gets
//! `on_enter_<state>` and `on_exit_<state>` (with `&mut` the state's data, if it has
//! any). Every row leaves its source and enters its target, a self-loop too: exit
//! of the source, then the row's handler, then entry of the target the row led to
//! (for alternatives, the one the handler chose; the entry action sees, and may
//! change, the data the handler made). `new` enters the initial state; `restore`
//! runs nothing (the machine was already there); a rejected or deferred event runs
//! nothing. A terminal state is never left, so it takes no exit action. `META`
//! marks each state's actions, and the diagrams show them.
//!
//! ```
//! use proxy_machine::lifecycle;
//!
//! lifecycle! {
//!     machine Lamp {
//!         context: Vec<&'static str>;
//!         initial: Off;
//!         entry: [On];
//!         exit: [On];
//!         states { Off, On(u8) }
//!         events { Toggle, Dim }
//!         transitions { Off + Toggle => On, On + Dim => On, On + Toggle => Off }
//!     }
//! }
//!
//! impl LampHandlers for Vec<&'static str> {
//!     fn off_toggle(&mut self) -> u8 { self.push("switch on"); 100 }
//!     fn on_dim(&mut self, level: u8) -> u8 { self.push("dim"); level / 2 }
//!     fn on_toggle(&mut self, _level: u8) { self.push("switch off"); }
//!     fn on_enter_on(&mut self, level: &mut u8) { self.push(if *level > 50 { "bright" } else { "dimmed" }); }
//!     fn on_exit_on(&mut self, _level: &mut u8) { self.push("leave On"); }
//! }
//!
//! let lamp = Lamp::new(Vec::new()).toggle().dim().toggle();
//! assert_eq!(
//!     lamp.context(),
//!     &["switch on", "bright", "leave On", "dim", "dimmed", "leave On", "switch off"]
//! );
//! assert!(LampAny::META.states[1].entry && LampAny::META.states[1].exit);
//! ```
//!
//! # Superstates
//!
//! `superstates { Loaded: [Active, Paused], Active: [Playing, Buffering] }` groups
//! states, and other superstates, into a tree: each state and superstate is in at most
//! one superstate. A row, a timeout or a deferral may then name a superstate where
//! it names a source state, and stands for the same row, timeout or deferral of every
//! state below it that is not terminal. For one state and one event, the nearest
//! level that says anything decides: the state's own row or deferral first, then its
//! superstate's, then the enclosing superstate's, and the wildcard `_` last. So a
//! state overrides its superstate's row by writing its own, and a superstate's
//! guarded rows come as a whole (every state it stands for gets the pair).
//!
//! The typestate API stays exact per state: each state a superstate's row stands for
//! gets its own method and its own handler, `{state}_{event}`, with its own data, as
//! for a wildcard. A shared timeout is each state's timer (it restarts on every
//! transition, between states of the superstate too). Each superstate is also a
//! trait, `{Machine}{Superstate}`, implemented by the markers of every state below
//! it, so generic code can take a handle in any of them. `META.superstates` holds
//! the tree and each expanded row names it in `via`; Mermaid draws composite states
//! with one edge per superstate row, DOT draws clusters, the SVG marks each state
//! with a bar per superstate and lists them in its legend.
//!
//! `entry: [..]` and `exit: [..]` may list superstates too: `on_enter_<superstate>`
//! and `on_exit_<superstate>` (with only `&mut self`: the states below differ in
//! data) run when a transition crosses the superstate's border, never on a move
//! within it. A row runs, in order: the source's exit action, the row's handler,
//! the exit actions of the superstates it leaves (innermost first), the entry
//! actions of those it enters (outermost first), the target's entry action. The
//! superstates' actions come after the handler because, for a row with
//! alternatives, the handler is what decides which superstates are left. `new`
//! runs the entries of the initial state's superstates, outermost first, before its
//! own.
//!
//! ```
//! use proxy_machine::lifecycle;
//!
//! lifecycle! {
//!     machine Lamp {
//!         context: Vec<&'static str>;
//!         initial: Dim;
//!         entry: [Lit];
//!         exit: [Lit];
//!         states { Dim, Bright, Off }
//!         events { Up, Cut, Fix }
//!         superstates { Lit: [Dim, Bright] }
//!         transitions { Dim + Up => Bright, Lit + Cut => Off, Off + Fix => Dim }
//!     }
//! }
//!
//! impl LampHandlers for Vec<&'static str> {
//!     fn dim_up(&mut self) { self.push("up"); }
//!     fn dim_cut(&mut self) { self.push("cut"); }
//!     fn bright_cut(&mut self) { self.push("cut"); }
//!     fn off_fix(&mut self) { self.push("fix"); }
//!     fn on_enter_lit(&mut self) { self.push("power on"); }
//!     fn on_exit_lit(&mut self) { self.push("power off"); }
//! }
//!
//! let lamp = Lamp::new(Vec::new()).up().cut().fix();
//! assert_eq!(lamp.context(), &["power on", "up", "cut", "power off", "fix", "power on"]);
//! ```
//!
//! Targets, `initial` and `terminal` name states, never superstates (an error names
//! the superstate's states); a superstate row that no
//! state takes (each has its own row, defers the event, or is terminal) is an error;
//! so is a superstate that both handles and defers an event.
//!
//! ```
//! use proxy_machine::lifecycle;
//!
//! lifecycle! {
//!     machine Order {
//!         initial: Cart;
//!         terminal: [Delivered, Cancelled];
//!         states { Cart, Paid(u32), Packed(u32), Shipped(u32), Delivered, Cancelled }
//!         events { Pay(u32), Pack, Ship, Deliver, Cancel, Refund }
//!         superstates {
//!             /// Paid for and not yet delivered.
//!             Open: [Paid, Packed, Shipped],
//!         }
//!         transitions {
//!             Cart + Pay => Paid,
//!             Paid + Pack => Packed,
//!             Packed + Ship => Shipped,
//!             Shipped + Deliver => Delivered,
//!             Open + Refund => Cancelled,   // from Paid, Packed and Shipped
//!             Cart + Cancel => Cancelled,
//!             Open + Cancel => Cancelled,
//!             Shipped + Cancel => Shipped,  // its own row: too late
//!         }
//!     }
//! }
//!
//! impl OrderHandlers for () {
//!     fn cart_pay(&mut self, cents: u32) -> u32 { cents }
//!     fn paid_pack(&mut self, cents: u32) -> u32 { cents }
//!     fn packed_ship(&mut self, cents: u32) -> u32 { cents }
//!     fn shipped_deliver(&mut self, _cents: u32) {}
//!     fn cart_cancel(&mut self) {}
//!     fn paid_refund(&mut self, _cents: u32) {}
//!     fn packed_refund(&mut self, _cents: u32) {}
//!     fn shipped_refund(&mut self, _cents: u32) {}
//!     fn paid_cancel(&mut self, _cents: u32) {}
//!     fn packed_cancel(&mut self, _cents: u32) {}
//!     fn shipped_cancel(&mut self, cents: u32) -> u32 { cents }
//! }
//!
//! fn amount<S: OrderOpen>(order: &Order<S>) -> u32
//! where
//!     S: OrderState<Data = u32>,
//! {
//!     *order.data()
//! }
//!
//! let packed = Order::new(()).pay(1200).pack();
//! assert_eq!(amount(&packed), 1200);
//! assert_eq!(packed.ship().cancel().state_name(), "Shipped");
//! let refunds: Vec<(&str, Option<&str>)> =
//!     OrderAny::META.rows.iter().filter(|r| r.event == "Refund").map(|r| (r.source, r.via)).collect();
//! assert_eq!(refunds, [("Paid", Some("Open")), ("Packed", Some("Open")), ("Shipped", Some("Open"))]);
//! assert!(OrderAny::to_mermaid().contains("Open --> Cancelled: Refund"));
//! ```
//!
//! # `no_std`
//!
//! With `proxy-machine = { .., default-features = false }` the crate is `no_std`, and
//! so is what `lifecycle!` generates: the handle and its transitions, the handlers
//! trait, `LeaseAny` with `dispatch`, `timeout` and `defers`, and `META`, with no
//! allocator. What needs `std` goes with the `std` feature: `to_mermaid()` and
//! `to_dot()` (a `String`) and the metadata's renderings; the `driver` feature (tokio)
//! needs `std`. `tests/no-std` is a `#![no_std]` crate built alone in CI to keep it so.
//!
//! # Errors
//!
//! Every mistake in a table is reported on the offending token, all of them in one
//! build, and what was valid is still generated, so one mistake gives one error.
//!
//! | mistake | message |
//! |---|---|
//! | unknown state | ``unknown state `Idel`; did you mean `Idle`? the states are `Idle`, `Busy` `` |
//! | unknown event | ``unknown event `Stp`; did you mean `Stop`? the events are `Go`, `Stop` `` |
//! | duplicate state / event | ``duplicate state `A`: each state is declared once`` |
//! | duplicate row | ``duplicate transition: `A` already has a row for `Go`; a state has one row per event (..)`` |
//! | unreachable state | ``state `B` is unreachable from the initial state `A`; add a row that leads to it, or remove it`` |
//! | dead end | ``state `B` has no way out: add a row leaving it, or list it in `terminal: [..]` `` |
//! | terminal with rows | ``terminal state `C` has an outgoing row for `Go`; remove the row or take `C` out of `terminal` `` |
//! | missing initial | ``missing initial state: add `initial: <state>;` to `M`, naming one of `A`, `B` `` |
//! | missing or empty `states` | ``missing `states { .. }` section: ..`` / ``` `states {}` is empty: .. ``` (with the missing `initial`, in the same build) |
//! | terminal initial state | ``the initial state `Done` is terminal: the machine could never leave it; ..`` |
//! | repeated section | ``duplicate section `transitions`: ..``; the items of the second are still checked |
//! | deferral in a terminal state | ``terminal state `Done` defers events, but it is never left, ..`` |
//! | timeout / deferral naming an unknown name | the unknown state / event message |
//! | timeout event with data | ``timeout event `Tick` carries data, but a timer has none to give; use an event without data`` |
//! | timeout without a row | ``` `A` times out with `Late` but has no row for it; add `A + Late => <state>` to `transitions` ``` |
//! | deferring a handled event | ``` `A` both handles and defers `Go`; remove its row or its deferral ``` |
//! | unguarded row before guarded ones | ``` `A + Go` already has its unguarded row, which is always taken, so this row is never tried; put the unguarded row last ``` |
//! | guarded rows only | ``` `A + Go` has only guarded rows: add an unguarded row after them, `A + Go => <state>`, taken when no guard holds ``` |
//! | a guard twice in a pair | ``guard `g` is used twice for `A + Go`: the second row would never be taken; use another guard`` |
//! | guard on a wildcard | ``guards on wildcard rows are not supported: write the guarded rows per state (..)`` |
//! | guard named like a handler | ``guard `a_go` has the name of a handler of the trait; rename the guard`` |
//! | guard for two payload types | ``guard `g` guards `Go` (payload `u8`) and `Stop` (no payload): a guard takes one event type; ..`` |
//! | guarded row with alternatives | ``a guarded row has one target: the guard already chose it; write one row per target, each with its own guard (..)`` |
//! | superstate mistakes | ``unknown member `Runing` of superstate `Busy`; ..``, ``` `Priming` is already in superstate `Busy`; .. ```, ``` `Working` is a superstate, and a row's target names a state: .. ```, ``` `Working + Check` covers no state: .. ``` |
//! | event named like a handle method | ``event `IntoAny` would generate the method `into_any`, which `M` already has; ..`` |
//!
//! ```compile_fail
//! proxy_machine::lifecycle! {
//!     machine M {
//!         initial: Idle;
//!         terminal: [Done];
//!         states { Idle, Done }
//!         events { Go }
//!         transitions { Idel + Go => Done }   // unknown state `Idel`; did you mean `Idle`? ..
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! An illegal transition on a typed handle is an E0277 that speaks the domain, with
//! the same message, label and notes when the machine is defined in another crate
//! (rustc's one `help:` line names the hidden trait by its path there):
//!
//! ```text
//! error[E0277]: illegal transition: `Open` does not accept `Connect`
//!    --> src/main.rs:119:18
//!     |
//! 119 |     let _ = open.connect(Addr("b".into()));
//!     |                  ^^^^^^^ `Open` does not accept `Connect`
//!     |
//!     = help: the trait `for<'__a> OpenAcceptsConnect<'__a>` is not implemented for `Connect`
//!     = note: `Open` accepts `Close`
//! note: required by a bound in `Lease::<Open>::connect`
//! ```
//!
//! ```compile_fail
//! use proxy_machine::lifecycle;
//! lifecycle! {
//!     machine Door {
//!         initial: Shut;
//!         states { Shut, Open }
//!         events { Push, Pull }
//!         transitions { Shut + Push => Open, Open + Pull => Shut }
//!     }
//! }
//! impl DoorHandlers for () {
//!     fn shut_push(&mut self) {}
//!     fn open_pull(&mut self) {}
//! }
//! let door = Door::new(());
//! door.pull(); // illegal transition: `Shut` does not accept `Pull`
//! ```
//!
//! A missing handler is E0046 on the `impl`; a handler cannot produce a state outside
//! its row, because it returns the target's data (E0308 otherwise), never a handle.
//! A handler of a row with alternatives that picks a state outside them gets one
//! error listing them: ``error[E0277]: `Connecting + Fail` leads to `Idle` or `Closed`, not `Open` ``
//! (for a state without data, an E0308 whose found type is
//! `LeaseConnectingFailLeadsToIdleOrClosedNotConnecting`).
//!
//! A name used in a row but declared nowhere, without a close match, is one error on
//! the name; the expansion then treats it as declared (a state without data, an event
//! without payload), so the handler `impl` and the calls written for that row add no
//! error of their own.
//!
//! # Lints
//!
//! The expansion is warning-free under `#![deny(warnings)]` whatever the machine's
//! visibility and however it is driven (only through `dispatch`, or only through the
//! typed methods): the generated items that such a use leaves unused carry
//! `#[allow(dead_code)]`; the user's own items get no `allow`.
