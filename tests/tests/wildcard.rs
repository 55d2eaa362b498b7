//! A wildcard source, `_ + Event => Target`: a row for every state that is not
//! terminal and has no row of its own for the event, wherever the wildcard is
//! written, and that does not defer it. Checked against `META` (the expanded rows
//! are there, as ordinary rows) and through `dispatch` from every state.

use proxy_machine::lifecycle;

lifecycle! {
    /// A job that can be cancelled from anywhere but where it says otherwise.
    machine Job {
        context: Vec<String>;
        initial: Queued;
        terminal: [Done, Cancelled];
        states { Queued, Running(u32), Paused(u32), Saving(u32), Finishing, Done, Cancelled }
        events { Start, Pause, Resume, Save, Saved, Finish, Cancel }
        transitions {
            /// Cancelling is always possible.
            _ + Cancel => Cancelled,
            Queued + Start => Running,
            Running + Pause => Paused,
            Paused + Resume => Running,
            Running + Finish => Finishing,
            // Its own row: the wildcard does not cover it.
            Finishing + Cancel => Finishing,
            Finishing + Finish => Done,
            Running + Save => Saving,
            Saving + Saved => Running,
        }
        // Deferred, so not covered: a cancel waits for the save to end.
        defer { Saving: [Cancel] }
    }
}

impl JobHandlers for Vec<String> {
    fn queued_start(&mut self) -> u32 {
        1
    }
    fn running_pause(&mut self, state: u32) -> u32 {
        state
    }
    fn paused_resume(&mut self, state: u32) -> u32 {
        state + 1
    }
    fn running_finish(&mut self, _state: u32) {}
    fn finishing_cancel(&mut self) {
        self.push("too late to cancel".into());
    }
    fn finishing_finish(&mut self) {}
    fn running_save(&mut self, state: u32) -> u32 {
        state
    }
    fn saving_saved(&mut self, state: u32) -> u32 {
        state
    }
    // The wildcard's rows: one handler per state it covers, with that state's data.
    fn queued_cancel(&mut self) {
        self.push("cancelled while queued".into());
    }
    fn running_cancel(&mut self, state: u32) {
        self.push(format!("cancelled running attempt {state}"));
    }
    fn paused_cancel(&mut self, state: u32) {
        self.push(format!("cancelled paused attempt {state}"));
    }
}

fn in_state(name: &str) -> JobAny {
    match name {
        "Queued" => Job::<job::Queued>::restore(Vec::new(), ()).into(),
        "Running" => Job::<job::Running>::restore(Vec::new(), 3).into(),
        "Paused" => Job::<job::Paused>::restore(Vec::new(), 4).into(),
        "Saving" => Job::<job::Saving>::restore(Vec::new(), 5).into(),
        "Finishing" => Job::<job::Finishing>::restore(Vec::new(), ()).into(),
        "Done" => Job::<job::Done>::restore(Vec::new(), ()).into(),
        "Cancelled" => Job::<job::Cancelled>::restore(Vec::new(), ()).into(),
        other => panic!("no state {other}"),
    }
}

#[test]
fn meta_holds_the_expanded_rows_for_exactly_the_uncovered_states() {
    let meta = JobAny::META;
    let cancel_rows: Vec<(&str, &[&str])> =
        meta.rows.iter().filter(|r| r.event == "Cancel").map(|r| (r.source, r.targets)).collect();
    assert_eq!(
        cancel_rows,
        [
            ("Finishing", &["Finishing"][..]),
            ("Queued", &["Cancelled"][..]),
            ("Running", &["Cancelled"][..]),
            ("Paused", &["Cancelled"][..]),
        ]
    );
    // Every state that is not terminal and does not defer Cancel accepts it.
    for state in meta.states {
        let covered = !meta.is_terminal(state.name) && !meta.defers(state.name, "Cancel");
        assert_eq!(meta.targets(state.name, "Cancel").is_some(), covered, "{}", state.name);
    }
    assert!(meta.defers("Saving", "Cancel"));
    assert!(JobAny::to_mermaid().contains("Paused --> Cancelled: Cancel"));
}

#[test]
fn dispatch_follows_the_wildcard_from_every_state_meta_lists() {
    for state in JobAny::META.states {
        let mut machine = in_state(state.name);
        let expected = JobAny::META.targets(state.name, "Cancel");
        match (machine.dispatch(JobEvent::Cancel), expected) {
            (Ok(transition), Some(targets)) => {
                assert!(targets.contains(&transition.to), "{}", state.name);
                assert_eq!((transition.from, machine.state_name()), (state.name, transition.to));
            }
            (Err(rejected), None) => {
                assert_eq!(rejected.state, state.name);
                assert_eq!(machine.state_name(), state.name, "a rejection leaves the machine where it was");
            }
            (outcome, expected) => {
                panic!("{}: {:?} but META says {expected:?}", state.name, outcome.map(|t| t.to))
            }
        }
    }
}

#[test]
fn the_typed_api_has_the_wildcards_methods_with_each_states_data() {
    let running = Job::new(Vec::new()).start();
    let cancelled = running.pause().resume().cancel();
    assert_eq!(cancelled.context(), &["cancelled running attempt 2"]);
    let finishing = Job::new(Vec::new()).start().finish().cancel();
    assert_eq!(finishing.context(), &["too late to cancel"]);
    assert_eq!(finishing.finish().state_name(), "Done");
    assert_eq!(Job::new(Vec::new()).cancel().context(), &["cancelled while queued"]);
    let saved = Job::new(Vec::new()).start().save().saved();
    assert_eq!(*saved.data(), 1);
    let paused = Job::<job::Paused>::restore(Vec::new(), 9).cancel();
    assert_eq!(paused.context(), &["cancelled paused attempt 9"]);
}

#[test]
fn a_whole_run_through_dispatch_is_cancelled_by_the_wildcard() {
    let mut machine = JobAny::from(Job::new(Vec::new()));
    let events = [
        JobEvent::Start,
        JobEvent::Save,
        JobEvent::Saved,
        JobEvent::Pause,
        JobEvent::Resume,
        JobEvent::Cancel,
        JobEvent::Finish,
    ];
    for event in events {
        if let Err(rejected) = machine.dispatch(event) {
            // Cancelled is terminal: the last Finish is handed back.
            assert_eq!((rejected.state, rejected.event_name), ("Cancelled", "Finish"));
        }
    }
    assert_eq!(machine.context(), &["cancelled running attempt 2"]);
}
