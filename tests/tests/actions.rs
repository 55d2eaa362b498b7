//! Entry and exit actions (`entry: [..]`, `exit: [..]`), checked against the table's
//! own `META`: for every row, from every source, `dispatch` must run the source's
//! exit action (if `META` says it has one), then the row's handler, then the entry
//! action of the target the row led to (if it has one), and nothing else; self-loops
//! included. `new` runs the initial state's entry action; `restore` runs none.

use proxy_machine::lifecycle;

/// The context: a log of every handler and action, in order.
#[derive(Debug, Default)]
pub struct Log {
    lines: Vec<String>,
    /// What the alternatives' handler chooses: `true` for `Open`.
    reopen: bool,
}

impl Log {
    fn push(&mut self, line: impl Into<String>) {
        self.lines.push(line.into());
    }
}

lifecycle! {
    /// A connection with actions on most states.
    machine Conn {
        context: Log;
        initial: Idle;
        terminal: [Closed];
        entry: [Idle, Open, Closed, Backoff];
        exit: [Idle, Open, Backoff];
        states { Idle, Connecting, Open(u32), Backoff(u8), Closed }
        events { Connect, Connected(u32), Ping, Drop, Retry, Close }
        transitions {
            Idle + Connect => Connecting,
            Connecting + Connected => Open,
            Connecting + Drop => Backoff,
            Open + Ping => Open,
            Open + Drop => Backoff | Open,
            Backoff + Retry => Backoff | Connecting,
            [Idle, Open, Backoff] + Close => Closed,
        }
    }
}

impl ConnHandlers for Log {
    fn idle_connect(&mut self) {
        self.push("Idle + Connect");
    }
    fn connecting_connected(&mut self, event: u32) -> u32 {
        self.push("Connecting + Connected");
        event
    }
    fn connecting_drop(&mut self) -> u8 {
        self.push("Connecting + Drop");
        0
    }
    fn open_ping(&mut self, state: u32) -> u32 {
        self.push("Open + Ping");
        state + 1
    }
    fn open_drop(&mut self, state: u32) -> ConnOpenDrop {
        self.push("Open + Drop");
        if self.reopen {
            ConnOpenDrop::Open(state)
        } else {
            ConnOpenDrop::Backoff(0)
        }
    }
    fn backoff_retry(&mut self, state: u8) -> ConnBackoffRetry {
        self.push("Backoff + Retry");
        if state < 2 {
            ConnBackoffRetry::Backoff(state + 1)
        } else {
            ConnBackoffRetry::Connecting
        }
    }
    fn idle_close(&mut self) {
        self.push("Idle + Close");
    }
    fn open_close(&mut self, _state: u32) {
        self.push("Open + Close");
    }
    fn backoff_close(&mut self, _state: u8) {
        self.push("Backoff + Close");
    }
    fn on_enter_idle(&mut self) {
        self.push("enter Idle");
    }
    fn on_exit_idle(&mut self) {
        self.push("exit Idle");
    }
    fn on_enter_open(&mut self, state: &mut u32) {
        // The entry action sees, and may change, the data the row made.
        *state += 100;
        self.push("enter Open");
    }
    fn on_exit_open(&mut self, state: &mut u32) {
        self.push(format!("exit Open({state})"));
    }
    fn on_enter_backoff(&mut self, state: &mut u8) {
        self.push(format!("enter Backoff({state})"));
    }
    fn on_exit_backoff(&mut self, state: &mut u8) {
        self.push(format!("exit Backoff({state})"));
    }
    fn on_enter_closed(&mut self) {
        self.push("enter Closed");
    }
}

/// A machine in `state`, restored (no action runs), with an empty log.
fn in_state(state: &str, reopen: bool) -> ConnAny {
    let log = Log { lines: Vec::new(), reopen };
    match state {
        "Idle" => Conn::<conn::Idle>::restore(log, ()).into(),
        "Connecting" => Conn::<conn::Connecting>::restore(log, ()).into(),
        "Open" => Conn::<conn::Open>::restore(log, 1).into(),
        "Backoff" => Conn::<conn::Backoff>::restore(log, 2).into(),
        "Closed" => Conn::<conn::Closed>::restore(log, ()).into(),
        other => panic!("no state {other}"),
    }
}

fn event(name: &str) -> ConnEvent {
    match name {
        "Connect" => ConnEvent::Connect,
        "Connected" => ConnEvent::Connected(7),
        "Ping" => ConnEvent::Ping,
        "Drop" => ConnEvent::Drop,
        "Retry" => ConnEvent::Retry,
        "Close" => ConnEvent::Close,
        other => panic!("no event {other}"),
    }
}

/// The log line an action of `state` writes.
fn action_line(kind: &str, state: &str, machine: &ConnAny) -> String {
    let data = match machine {
        ConnAny::Open(open) if state == "Open" => format!("({})", open.data()),
        ConnAny::Backoff(backoff) if state == "Backoff" => format!("({})", backoff.data()),
        _ => String::new(),
    };
    format!("{kind} {state}{data}")
}

#[test]
fn every_row_runs_exit_handler_entry_as_meta_says() {
    let meta = ConnAny::META;
    let mut checked = 0;
    for row in meta.rows {
        for reopen in [false, true] {
            let source = meta.states.iter().find(|s| s.name == row.source).unwrap();
            let mut machine = in_state(row.source, reopen);
            let mut expected = Vec::new();
            if source.exit {
                expected.push(action_line("exit", row.source, &machine));
            }
            expected.push(format!("{} + {}", row.source, row.event));
            let transition = machine.dispatch(event(row.event)).expect("the table has the row");
            let after = &machine;
            assert_eq!(transition.to, after.state_name());
            let target = meta.states.iter().find(|s| s.name == after.state_name()).unwrap();
            assert!(row.targets.contains(&target.name), "{row:?} led to {}", target.name);
            if target.entry {
                // Open's entry action logs no data (it changes it).
                let line = match target.name {
                    "Open" => "enter Open".to_string(),
                    name => action_line("enter", name, after),
                };
                expected.push(line);
            }
            assert_eq!(after.context().lines, expected, "{} + {} (reopen {reopen})", row.source, row.event);
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * meta.rows.len());
}

#[test]
fn new_enters_the_initial_state_and_restore_enters_nothing() {
    let conn = Conn::new(Log::default());
    assert_eq!(conn.context().lines, ["enter Idle"]);
    let restored = Conn::<conn::Idle>::restore(Log::default(), ());
    assert!(restored.context().lines.is_empty());
}

#[test]
fn a_self_loop_leaves_and_reenters_and_the_entry_action_sees_the_rows_data() {
    let open = Conn::new(Log::default()).connect().connected(7);
    assert_eq!(*open.data(), 107, "entry added 100 to the row's 7");
    let open = open.ping();
    assert_eq!(*open.data(), 208);
    assert_eq!(
        open.context().lines,
        [
            "enter Idle",
            "exit Idle",
            "Idle + Connect",
            "Connecting + Connected",
            "enter Open",
            "exit Open(107)",
            "Open + Ping",
            "enter Open",
        ]
    );
}

#[test]
fn the_typed_api_runs_the_same_actions() {
    let backoff = Conn::<conn::Backoff>::restore(Log::default(), 2);
    let connecting = match backoff.retry() {
        ConnBackoffRetryNext::Connecting(connecting) => connecting,
        other => panic!("expected Connecting, got {:?}", ConnAny::from(other)),
    };
    assert_eq!(connecting.context().lines, ["exit Backoff(2)", "Backoff + Retry"]);
    let closed = Conn::new(Log::default()).close();
    assert_eq!(closed.context().lines, ["enter Idle", "exit Idle", "Idle + Close", "enter Closed"]);
}

#[test]
fn alternatives_enter_the_target_the_handler_chose() {
    let open = Conn::<conn::Open>::restore(Log { lines: Vec::new(), reopen: false }, 5);
    match open.drop() {
        ConnOpenDropNext::Backoff(backoff) => {
            assert_eq!(backoff.context().lines, ["exit Open(5)", "Open + Drop", "enter Backoff(0)"]);
        }
        other => panic!("expected Backoff, got {:?}", ConnAny::from(other)),
    }
}

#[test]
fn a_rejected_event_runs_no_action() {
    let mut closed = in_state("Closed", false);
    assert!(closed.dispatch(ConnEvent::Ping).is_err());
    assert!(closed.context().lines.is_empty());
}

#[test]
fn meta_and_the_diagrams_show_the_actions() {
    let flags: Vec<(&str, bool, bool)> =
        ConnAny::META.states.iter().map(|s| (s.name, s.entry, s.exit)).collect();
    assert_eq!(
        flags,
        [
            ("Idle", true, true),
            ("Connecting", false, false),
            ("Open", true, true),
            ("Backoff", true, true),
            ("Closed", true, false),
        ]
    );
    assert!(ConnAny::to_mermaid().contains("note left of Open: entry, exit"));
    assert!(ConnAny::to_mermaid().contains("note left of Closed: entry"));
    assert!(ConnAny::to_dot().contains("Backoff [shape=circle, xlabel=\"entry, exit\"];"));
    assert!(ConnAny::META.to_svg().contains("class=\"state entry exit\" id=\"state-Open\""));
}
