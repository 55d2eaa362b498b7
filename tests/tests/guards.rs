//! Guarded rows, `State + Event if guard => Target`: several rows for one (state,
//! event) pair, tried in table order, the first whose guard holds is taken, the last
//! unguarded. Driven through `dispatch` from every state with every event and every
//! combination of guard values, and checked against `META`'s rows and guards.

use std::time::Duration;

use proxy_machine::lifecycle;

/// What the guards answer, and what the actions saw.
#[derive(Default)]
struct Cx {
    fits: bool,
    urgent: bool,
    late: bool,
    log: Vec<String>,
}

lifecycle! {
    /// A scheduler: a job runs if it fits, preempts if urgent, else waits.
    machine Sched {
        context: Cx;
        initial: Ready;
        terminal: [Done];
        entry: [Running];
        exit: [Ready];
        states { Ready(u32), Running(u32), Queued(u32), Preempted, Done }
        events { Run(u32), Tick, Stop }
        transitions {
            /// Runs at once when there is room.
            Ready + Run if fits => Running,
            Ready + Run if urgent => Preempted,
            Ready + Run => Queued,
            // The same guard for the same event in another state.
            Queued + Run if fits => Running,
            Queued + Run => Queued,
            // Every row of the pair leads to one state: the method returns the handle.
            Running + Tick if late => Preempted,
            Running + Tick => Preempted,
            Preempted + Run => Ready,
            [Ready, Running, Queued] + Stop => Done,
        }
        // A timeout's event may have guarded rows.
        timeouts { Running after Duration::from_secs(1) => Tick }
    }
}

impl SchedHandlers for Cx {
    fn ready_run_if_fits(&mut self, state: u32, event: u32) -> u32 {
        state + event
    }
    fn ready_run_if_urgent(&mut self, _state: u32, _event: u32) {}
    fn ready_run(&mut self, state: u32, event: u32) -> u32 {
        state * 100 + event
    }
    fn queued_run_if_fits(&mut self, state: u32, _event: u32) -> u32 {
        state
    }
    fn queued_run(&mut self, state: u32, event: u32) -> u32 {
        state + event
    }
    fn running_tick_if_late(&mut self, _state: u32) {
        self.log.push("late".into());
    }
    fn running_tick(&mut self, _state: u32) {}
    fn preempted_run(&mut self, event: u32) -> u32 {
        event
    }
    fn ready_stop(&mut self, _state: u32) {}
    fn running_stop(&mut self, _state: u32) {}
    fn queued_stop(&mut self, _state: u32) {}
    fn fits(&self, event: &u32) -> bool {
        // The payload is there for the guard to judge; here the context decides.
        self.fits && *event < 1000
    }
    fn urgent(&self, _event: &u32) -> bool {
        self.urgent
    }
    fn late(&self) -> bool {
        self.late
    }
    fn on_enter_running(&mut self, state: &mut u32) {
        self.log.push(format!("enter running {state}"));
    }
    fn on_exit_ready(&mut self, state: &mut u32) {
        self.log.push(format!("exit ready {state}"));
    }
}

fn in_state(name: &str, cx: Cx) -> SchedAny {
    match name {
        "Ready" => Sched::<sched::Ready>::restore(cx, 1).into(),
        "Running" => Sched::<sched::Running>::restore(cx, 2).into(),
        "Queued" => Sched::<sched::Queued>::restore(cx, 3).into(),
        "Preempted" => Sched::<sched::Preempted>::restore(cx, ()).into(),
        "Done" => Sched::<sched::Done>::restore(cx, ()).into(),
        other => panic!("no state {other}"),
    }
}

fn event(name: &str) -> SchedEvent {
    match name {
        "Run" => SchedEvent::Run(7),
        "Tick" => SchedEvent::Tick,
        "Stop" => SchedEvent::Stop,
        other => panic!("no event {other}"),
    }
}

/// Whether `guard` holds in `cx`, as the handlers above answer for a payload of 7.
fn holds(cx: &Cx, guard: &str) -> bool {
    match guard {
        "fits" => cx.fits,
        "urgent" => cx.urgent,
        "late" => cx.late,
        other => panic!("no guard {other}"),
    }
}

#[test]
fn every_pair_takes_the_first_row_whose_guard_holds() {
    let meta = SchedAny::META;
    let mut guarded_pairs = 0;
    for state in meta.states {
        for ev in meta.events {
            for bits in 0..8u8 {
                let cx = || Cx {
                    fits: bits & 1 != 0,
                    urgent: bits & 2 != 0,
                    late: bits & 4 != 0,
                    log: Vec::new(),
                };
                let expected = cx();
                let rows: Vec<_> = meta.rows_for(state.name, ev.name).collect();
                if bits == 0 && rows.iter().any(|r| r.guard.is_some()) {
                    guarded_pairs += 1;
                }
                let taken = rows.iter().find(|r| r.guard.is_none_or(|g| holds(&expected, g)));
                let mut machine = in_state(state.name, cx());
                match (machine.dispatch(event(ev.name)), taken) {
                    (Ok(transition), Some(row)) => {
                        assert_eq!((transition.from, transition.event), (state.name, ev.name));
                        assert_eq!(
                            [transition.to],
                            row.targets,
                            "{} + {} with {bits:03b}",
                            state.name,
                            ev.name
                        );
                        assert_eq!(machine.state_name(), transition.to);
                    }
                    (Err(rejected), None) => {
                        assert_eq!(rejected.state, state.name);
                        assert_eq!(machine.state_name(), state.name, "a rejection leaves the machine");
                    }
                    (result, row) => panic!("{} + {}: {result:?} but META says {row:?}", state.name, ev.name),
                }
            }
        }
    }
    assert_eq!(guarded_pairs, 3);
}

#[test]
fn meta_keeps_the_rows_in_the_order_they_are_tried() {
    let rows: Vec<(Option<&str>, &[&str])> =
        SchedAny::META.rows_for("Ready", "Run").map(|r| (r.guard, r.targets)).collect();
    assert_eq!(
        rows,
        [(Some("fits"), &["Running"][..]), (Some("urgent"), &["Preempted"]), (None, &["Queued"])]
    );
    assert!(SchedAny::META.is_fallback(SchedAny::META.rows_for("Ready", "Run").last().unwrap()));
    // `targets` is the fallback's; `accepted` names each event once.
    assert_eq!(SchedAny::META.targets("Ready", "Run"), Some(&["Queued"][..]));
    assert_eq!(SchedAny::META.accepted("Ready").collect::<Vec<_>>(), ["Run", "Stop"]);
}

#[test]
fn the_typed_method_returns_the_handle_or_a_next_enum() {
    let ready = Sched::<sched::Ready>::restore(Cx { fits: true, ..Cx::default() }, 1);
    let running = match ready.run(7) {
        SchedReadyRunNext::Running(running) => running,
        _ => panic!("`fits` holds"),
    };
    assert_eq!(*running.data(), 8);
    // The guard ran before the exit action, and the entry action after the handler.
    assert_eq!(running.context().log, ["exit ready 1", "enter running 8"]);
    // Both rows of `Running + Tick` lead to `Preempted`: a handle, no enum.
    let mut running = running;
    running.context_mut().late = true;
    let preempted: Sched<sched::Preempted> = running.tick();
    assert_eq!(preempted.context().log.last().unwrap(), "late");

    let ready = Sched::<sched::Ready>::restore(Cx::default(), 2);
    assert!(matches!(ready.run(5), SchedReadyRunNext::Queued(ref q) if *q.data() == 205));
    let queued = Sched::<sched::Queued>::restore(Cx { fits: true, ..Cx::default() }, 4);
    assert!(
        matches!(queued.run(2000), SchedQueuedRunNext::Queued(ref q) if *q.data() == 2004),
        "the payload is judged"
    );
}

#[test]
fn a_timeout_event_goes_through_its_guarded_rows() {
    let mut machine: SchedAny =
        Sched::<sched::Running>::restore(Cx { late: true, ..Cx::default() }, 2).into();
    let (after, tick) = machine.timeout().expect("Running has a timer");
    assert_eq!(after, Duration::from_secs(1));
    let transition = machine.dispatch(tick).unwrap();
    assert_eq!(transition.to, "Preempted");
    assert_eq!(machine.context().log, ["late"]);
}

#[test]
fn the_diagrams_show_the_guards() {
    let mermaid = SchedAny::to_mermaid();
    assert!(mermaid.contains("Ready --> Running: Run [fits]"), "{mermaid}");
    assert!(mermaid.contains("Ready --> Preempted: Run [urgent]"), "{mermaid}");
    assert!(mermaid.contains("Ready --> Queued: Run [else]"), "{mermaid}");
    assert!(mermaid.contains("Preempted --> Ready: Run\n"), "{mermaid}");
    assert!(
        // `::` written `∷` (U+2237): Mermaid cannot parse `::` in a label.
        mermaid.contains("Running --> Preempted: after Duration\u{2237}from_secs(1) / Tick [late]"),
        "{mermaid}"
    );
    let dot = SchedAny::to_dot();
    assert!(dot.contains("Ready -> Running [label=\"Run [fits]\"];"), "{dot}");
    let svg = SchedAny::META.to_svg();
    assert!(svg.contains("Ready → Running: Run [fits]"), "{svg}");
    assert!(
        svg.contains("Running → Preempted: Tick [late] (after Duration::from_secs(1)), Tick [else]"),
        "{svg}"
    );
    assert!(svg.contains(">Run [fits]<"), "{svg}");
}
