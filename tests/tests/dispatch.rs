//! Runtime behaviour of generated machines, checked against their own tables.
//!
//! The (state, event) pairs come from `META`, not from a hand-written list: for every
//! state and every event of the table, `dispatch` must succeed exactly when the table
//! has a row, land in one of the row's targets and report that row, and otherwise
//! leave the machine untouched and hand back the event. Then the sizes of handles,
//! and a walk through every row with the typed API.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::mem::size_of;
use std::time::Duration;

use proxy_machine::{Event, Machine, MachineMeta, Transition};
use proxy_tests::machines::*;

/// What the table-driven checks need to know about one machine.
trait Fixture: Machine + Sized {
    /// Builds the state called `name`.
    fn state_named(name: &str) -> Self;
    /// Builds the event called `name`.
    fn event_named(name: &str) -> Self::Event;
    /// The state's name, its data and the context, for comparing a machine before and
    /// after a rejected event.
    fn snapshot(&self) -> String;
    /// The event's name and payload.
    fn event_snapshot(event: &Self::Event) -> String;
    /// The handler log, one `"Source + Event"` per handled event.
    fn log(&self) -> &[String];
    /// What a timeout expression of the table evaluates to in the fixture context.
    fn after(expr: &str) -> Duration;
}

fn snap<D: Debug, C: Debug>(state: &str, data: &D, cx: &C) -> String {
    format!("{state}({data:?}) {cx:?}")
}

impl Fixture for LeaseAny {
    fn state_named(name: &str) -> Self {
        lease_state_named(name)
    }
    fn event_named(name: &str) -> LeaseEvent {
        lease_event_named(name)
    }
    fn snapshot(&self) -> String {
        match self {
            LeaseAny::Idle(h) => snap(h.state_name(), h.data(), h.context()),
            LeaseAny::Connecting(h) => snap(h.state_name(), h.data(), h.context()),
            LeaseAny::Open(h) => snap(h.state_name(), h.data(), h.context()),
            LeaseAny::Closed(h) => snap(h.state_name(), h.data(), h.context()),
        }
    }
    fn event_snapshot(event: &LeaseEvent) -> String {
        let payload = match event {
            LeaseEvent::Connect(addr) => format!("{addr:?}"),
            LeaseEvent::Connected(socket) => format!("{socket:?}"),
            LeaseEvent::Fail(reason) => format!("{reason:?}"),
            LeaseEvent::Close | LeaseEvent::TimedOut => String::new(),
        };
        format!("{}({payload})", event.name())
    }
    fn log(&self) -> &[String] {
        &self.context().log
    }
    fn after(expr: &str) -> Duration {
        match expr {
            "cx.connect_timeout" => lease_cx().connect_timeout,
            _ => panic!("unexpected timeout expression `{expr}`"),
        }
    }
}

impl Fixture for VmAny {
    fn state_named(name: &str) -> Self {
        vm_state_named(name)
    }
    fn event_named(name: &str) -> VmEvent {
        vm_event_named(name)
    }
    fn snapshot(&self) -> String {
        match self {
            VmAny::Stopped(h) => snap(h.state_name(), h.data(), h.context()),
            VmAny::Booting(h) => snap(h.state_name(), h.data(), h.context()),
            VmAny::Running(h) => snap(h.state_name(), h.data(), h.context()),
            VmAny::Paused(h) => snap(h.state_name(), h.data(), h.context()),
            VmAny::Crashed(h) => snap(h.state_name(), h.data(), h.context()),
            VmAny::Destroyed(h) => snap(h.state_name(), h.data(), h.context()),
        }
    }
    fn event_snapshot(event: &VmEvent) -> String {
        let payload = match event {
            VmEvent::Booted(pid) => format!("{pid:?}"),
            VmEvent::BootFailed(reason) | VmEvent::Fault(reason) => format!("{reason:?}"),
            VmEvent::Start
            | VmEvent::BootTimeout
            | VmEvent::Pause
            | VmEvent::Resume
            | VmEvent::Stop
            | VmEvent::Restart
            | VmEvent::Destroy => String::new(),
        };
        format!("{}({payload})", event.name())
    }
    fn log(&self) -> &[String] {
        &self.context().log
    }
    fn after(expr: &str) -> Duration {
        match expr {
            "cx.boot_timeout" => vm_cx().boot_timeout,
            _ => panic!("unexpected timeout expression `{expr}`"),
        }
    }
}

/// Every state, every event and every (source, event) row listed once; rows,
/// timeouts, deferrals, initial and terminal name declared states and events.
fn meta_is_well_formed(meta: &MachineMeta<'static>) {
    let states: BTreeSet<&str> = meta.states.iter().map(|s| s.name).collect();
    let events: BTreeSet<&str> = meta.events.iter().map(|e| e.name).collect();
    assert_eq!(states.len(), meta.states.len(), "{}: a state is listed twice", meta.name);
    assert_eq!(events.len(), meta.events.len(), "{}: an event is listed twice", meta.name);
    let pairs: BTreeSet<(&str, &str)> = meta.rows.iter().map(|r| (r.source, r.event)).collect();
    assert_eq!(pairs.len(), meta.rows.len(), "{}: a (source, event) row is listed twice", meta.name);
    for row in meta.rows {
        assert!(states.contains(row.source), "{}: row source `{}`", meta.name, row.source);
        assert!(events.contains(row.event), "{}: row event `{}`", meta.name, row.event);
        assert!(!row.targets.is_empty(), "{}: row {} + {} has no target", meta.name, row.source, row.event);
        for target in row.targets {
            assert!(states.contains(target), "{}: row target `{target}`", meta.name);
        }
    }
    assert!(states.contains(meta.initial));
    for terminal in meta.terminal {
        assert!(states.contains(terminal));
        assert_eq!(meta.accepted(terminal).count(), 0, "{}: terminal `{terminal}` has a row", meta.name);
    }
    for timeout in meta.timeouts {
        assert!(states.contains(timeout.state) && events.contains(timeout.event));
        assert!(meta.targets(timeout.state, timeout.event).is_some(), "a timeout's event has a row");
    }
    for deferral in meta.deferrals {
        assert!(states.contains(deferral.state));
        for event in deferral.events {
            assert!(events.contains(event));
            assert!(meta.targets(deferral.state, event).is_none(), "a state defers an event it handles");
        }
    }
}

/// `dispatch` against the table for every (state, event) pair of `M::META`, plus
/// `timeout` and `defers` for every state. Returns the number of pairs checked.
fn dispatch_agrees_with_table<M: Fixture>() -> usize {
    let meta = M::META;
    meta_is_well_formed(&meta);
    let mut checked = 0;
    for state in meta.states.iter().map(|s| s.name) {
        let probe = M::state_named(state);
        assert_eq!(probe.state_name(), state, "{}: state_named({state:?})", meta.name);
        assert_eq!(probe.is_terminal(), meta.is_terminal(state), "{}: is_terminal of `{state}`", meta.name);

        let timeout = probe.timeout().map(|(after, event)| (after, event.name()));
        let expected = meta.timeout(state).map(|t| (M::after(t.after), t.event));
        assert_eq!(timeout, expected, "{}: timeout of `{state}`", meta.name);

        for event in meta.events.iter().map(|e| e.name) {
            let value = M::event_named(event);
            assert_eq!(value.name(), event, "{}: event_named({event:?})", meta.name);
            assert_eq!(
                probe.defers(&value),
                meta.defers(state, event),
                "{}: `{state}` defers `{event}`",
                meta.name
            );

            let mut machine = M::state_named(state);
            let before = machine.snapshot();
            let event_before = M::event_snapshot(&value);
            let log_before = machine.log().len();
            // Every state the pair may lead to: with guarded rows, any of its rows'.
            let targets: Vec<&str> =
                meta.rows_for(state, event).flat_map(|r| r.targets.iter().copied()).collect();
            let targets = (!targets.is_empty()).then_some(targets);
            match (machine.dispatch(value), targets) {
                (Ok(transition), Some(targets)) => {
                    assert!(
                        targets.contains(&machine.state_name()),
                        "{}: {state} + {event} led to `{}`, not one of {targets:?}",
                        meta.name,
                        machine.state_name()
                    );
                    assert_eq!(
                        transition,
                        Transition { from: state, event, to: machine.state_name() },
                        "{}: {state} + {event} reported the row it took",
                        meta.name
                    );
                    assert_eq!(
                        machine.log()[log_before..],
                        [format!("{state} + {event}")],
                        "{}: {state} + {event} ran exactly its own handler",
                        meta.name
                    );
                }
                (Ok(transition), None) => panic!(
                    "{}: {state} + {event} has no row, yet dispatch went to `{}`",
                    meta.name, transition.to
                ),
                (Err(rejected), Some(targets)) => panic!(
                    "{}: {state} + {event} has a row to {targets:?}, yet dispatch rejected it: {rejected}",
                    meta.name
                ),
                (Err(rejected), None) => {
                    assert_eq!(rejected.machine_name, meta.name);
                    assert_eq!(rejected.state, state);
                    assert_eq!(rejected.event_name, event);
                    assert_eq!(
                        rejected.to_string(),
                        format!(
                            "illegal transition: `{state}` does not accept `{event}` (machine `{}`)",
                            meta.name
                        )
                    );
                    let value = rejected.into_event();
                    assert_eq!(
                        machine.snapshot(),
                        before,
                        "{}: {state} + {event} changed the machine",
                        meta.name
                    );
                    assert_eq!(M::event_snapshot(&value), event_before, "{}: {state} + {event}", meta.name);
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, meta.states.len() * meta.events.len());
    checked
}

#[test]
fn lease_dispatch_agrees_with_its_table() {
    assert_eq!(dispatch_agrees_with_table::<LeaseAny>(), 4 * 5);
}

#[test]
fn vm_dispatch_agrees_with_its_table() {
    assert_eq!(dispatch_agrees_with_table::<VmAny>(), 6 * 10);
}

#[test]
fn meta_counts_are_as_declared() {
    let lease = LeaseAny::META;
    assert_eq!((lease.states.len(), lease.events.len(), lease.rows.len()), (4, 5, 6));
    assert_eq!((lease.initial, lease.terminal), ("Idle", &["Closed"][..]));
    assert_eq!(lease.targets("Connecting", "Fail"), Some(&["Idle", "Closed"][..]));
    let vm = VmAny::META;
    assert_eq!((vm.states.len(), vm.events.len(), vm.rows.len()), (6, 10, 13));
    assert_eq!(vm.targets("Paused", "Stop"), Some(&["Stopped"][..]));
    assert_eq!(vm.targets("Running", "Fault"), Some(&["Running", "Crashed"][..]));
    assert_eq!(vm.states[2].data, Some("Pid"));
    assert_eq!(vm.events[2].payload, Some("String"));
}

#[test]
fn handles_cost_their_fields() {
    assert_eq!(size_of::<Lease<lease::Open>>(), size_of::<(LeaseCx, Socket)>());
    assert_eq!(size_of::<Lease<lease::Idle>>(), size_of::<LeaseCx>());
    assert_eq!(size_of::<Vm<vm::Running>>(), size_of::<(VmCx, Pid)>());
    assert_eq!(size_of::<Vm<vm::Stopped>>(), size_of::<VmCx>());
    assert_eq!(size_of::<Switch<switch::Off>>(), 0);
    assert_eq!(size_of::<Switch<switch::On>>(), 0);
}

/// Where the context sits inside a handle.
fn context_offset<T, C>(handle: &T, context: &C) -> usize {
    std::ptr::from_ref(context) as usize - std::ptr::from_ref(handle) as usize
}

#[test]
fn the_context_comes_first_in_every_handle() {
    // Otherwise every transition between two states that place it differently moves
    // the whole context (`#[repr(C)]` on the handle).
    let open = Lease::<lease::Open>::restore(lease_cx(), Socket { peer: "p".into() });
    let idle = Lease::<lease::Idle>::restore(lease_cx(), ());
    assert_eq!((context_offset(&open, open.context()), context_offset(&idle, idle.context())), (0, 0));
    let running = Vm::<vm::Running>::restore(vm_cx(), Pid(1));
    let paused = Vm::<vm::Paused>::restore(vm_cx(), Pid(1));
    let stopped = Vm::<vm::Stopped>::restore(vm_cx(), ());
    let offsets = [
        context_offset(&running, running.context()),
        context_offset(&paused, paused.context()),
        context_offset(&stopped, stopped.context()),
    ];
    assert_eq!(offsets, [0, 0, 0]);
}

/// Follows a row out of `Booting` that leads to `Running`.
fn boot(vm: Vm<vm::Stopped>, pid: u32) -> Vm<vm::Running> {
    vm.start().booted(Pid(pid))
}

#[test]
fn typed_lease_walks_every_row() {
    let lease = Lease::new(lease_cx());
    assert_eq!(lease.state_name(), "Idle");
    let connecting = lease.connect(Addr("db:5432".into()));
    assert_eq!(connecting.context().last_addr.as_deref(), Some("db:5432"));
    // Connecting + Fail => Idle (one failure of two).
    let idle = match connecting.fail("refused".into()) {
        LeaseConnectingFailNext::Idle(idle) => idle,
        LeaseConnectingFailNext::Closed(_) => panic!("one failure of two closed the lease"),
    };
    assert_eq!(idle.context().failures, 1);
    // Connecting + TimedOut => Idle.
    let idle = idle.connect(Addr("db:5433".into())).timed_out();
    // Connecting + Connected => Open, with the socket as the state's data.
    let open = idle.connect(Addr("db:5434".into())).connected(Socket { peer: "db:5434".into() });
    assert_eq!(open.data(), &Socket { peer: "db:5434".into() });
    assert_eq!(open.context().last_peer.as_deref(), Some("db:5434"));
    // Open + Close => Closed; the handler receives the socket.
    let mut closed = open.close();
    assert_eq!(closed.state_name(), "Closed");
    closed.context_mut().last_peer = None;
    let (cx, ()) = closed.into_parts();

    // Idle + Close => Closed.
    let closed = Lease::new(cx).close();
    // Connecting + Fail => Closed (the second failure of two).
    let (mut cx, ()) = closed.into_parts();
    cx.max_failures = 2;
    let closed = match Lease::new(cx).connect(Addr("db:5435".into())).fail("reset".into()) {
        LeaseConnectingFailNext::Closed(closed) => closed,
        LeaseConnectingFailNext::Idle(_) => panic!("the second failure of two kept the lease"),
    };
    let cx = closed.context();
    assert_eq!(cx.failures, 2);
    assert_eq!(
        cx.log,
        [
            "Idle + Connect",
            "Connecting + Fail",
            "Idle + Connect",
            "Connecting + TimedOut",
            "Idle + Connect",
            "Connecting + Connected",
            "Open + Close",
            "Idle + Close",
            "Idle + Connect",
            "Connecting + Fail",
        ]
    );
    covers_every_row(&LeaseAny::META, &cx.log);
    // The typed walk and the runtime enum agree on where the walk ended.
    assert_eq!(LeaseAny::from(closed).state_name(), "Closed");
}

#[test]
fn typed_vm_walks_every_row() {
    let vm = Vm::new(vm_cx());
    // Stopped + Start => Booting; Booting + BootFailed => Stopped (first failure).
    let vm = match vm.start().boot_failed("no disk".into()) {
        VmBootingBootFailedNext::Stopped(vm) => vm,
        VmBootingBootFailedNext::Crashed(_) => panic!("one boot failure of two crashed"),
    };
    assert_eq!((vm.context().starts, vm.context().boot_failures), (1, 1));
    assert_eq!(vm.context().last_error.as_deref(), Some("no disk"));
    // Booting + Booted => Running(pid); Running + Pause; Paused + Resume keep the pid.
    let running = boot(vm, 100).pause().resume();
    assert_eq!(*running.data(), Pid(100));
    // Running + Fault => Running (first fault), the pid kept by the handler.
    let running = match running.fault("page fault".into()) {
        VmRunningFaultNext::Running(running) => running,
        VmRunningFaultNext::Crashed(_) => panic!("one fault of two crashed"),
    };
    assert_eq!((*running.data(), running.context().faults), (Pid(100), 1));
    // Running + Stop => Stopped; Paused + Stop => Stopped.
    let stopped = running.stop();
    assert_eq!(stopped.context().last_pid, Some(Pid(100)));
    let stopped = boot(stopped, 101).pause().stop();
    assert_eq!(stopped.context().last_pid, Some(Pid(101)));
    // Running + Fault => Crashed (second fault); Crashed + Restart => Booting;
    // Booting + BootTimeout => Crashed.
    let crashed = match boot(stopped, 102).fault("double fault".into()) {
        VmRunningFaultNext::Crashed(crashed) => crashed,
        VmRunningFaultNext::Running(_) => panic!("the second fault of two kept running"),
    };
    let crashed = crashed.restart().boot_timeout();
    assert_eq!((crashed.context().starts, crashed.context().boot_failures), (5, 2));
    // Crashed + Destroy => Destroyed.
    let (cx, ()) = crashed.destroy().into_parts();
    // Stopped + Destroy => Destroyed.
    let (cx, ()) = Vm::new(cx).destroy().into_parts();
    // Paused + Destroy => Destroyed.
    let (mut cx, ()) = boot(Vm::new(cx), 103).pause().destroy().into_parts();
    assert_eq!(cx.last_pid, Some(Pid(103)));
    // Booting + BootFailed => Crashed (boot_failures is already 2 of 2).
    cx.boot_failures = 1;
    let crashed = match Vm::new(cx).start().boot_failed("no kernel".into()) {
        VmBootingBootFailedNext::Crashed(crashed) => crashed,
        VmBootingBootFailedNext::Stopped(_) => panic!("the second boot failure of two stopped"),
    };
    let destroyed = crashed.destroy();
    assert_eq!(destroyed.context().log.len(), 26);
    covers_every_row(&VmAny::META, &destroyed.context().log);
    assert!(VmAny::from(destroyed).is_terminal());
}

#[test]
fn typed_switch_toggles() {
    let on = Switch::new(()).toggle();
    assert_eq!(on.state_name(), "On");
    let off = on.toggle();
    let mut any = SwitchAny::from(off);
    assert_eq!(any.dispatch(SwitchEvent::Toggle).ok().map(|t| t.to), Some("On"));
    assert_eq!(any.state_name(), "On");
}

/// A state's data that says when it is dropped, for the panicking handler below.
pub struct Loud(&'static str);

impl Drop for Loud {
    fn drop(&mut self) {
        eprintln!("dropped {}", self.0);
    }
}

proxy_machine::lifecycle! {
    /// A machine whose `Armed + Fire` handler panics. Public: a private machine used
    /// only through `dispatch` still gets dead-code warnings (issue 10, item 2).
    pub machine Fuse {
        initial: Armed;
        terminal: [Blown];
        states { Armed(Loud), Blown }
        events { Fire }
        transitions { Armed + Fire => Blown }
    }
}

impl FuseHandlers for () {
    fn armed_fire(&mut self, _state: Loud) {
        panic!("the fuse handler panics");
    }
}

/// Set in the child process that `a_panicking_handler_aborts_without_a_double_drop`
/// starts; the child test does nothing without it.
const PANIC_CHILD: &str = "PROXY_TESTS_PANICKING_HANDLER_CHILD";

#[test]
fn panicking_handler_child() {
    if std::env::var_os(PANIC_CHILD).is_none() {
        return;
    }
    let mut fuse = FuseAny::from(Fuse::new((), Loud("the fuse's data")));
    let _ = fuse.dispatch(FuseEvent::Fire);
    eprintln!("dispatch returned after its handler panicked");
}

/// `dispatch` moves the handle out of the machine into the handler; if the handler
/// panics, unwinding drops what the handler was given, and the machine still holds
/// those bytes. Dropping them again would be a double drop: the process must abort
/// before the caller's machine is dropped. Run in a child process, as an abort ends
/// the process.
#[test]
fn a_panicking_handler_aborts_without_a_double_drop() {
    let output = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--exact", "panicking_handler_child", "--nocapture", "--test-threads=1"])
        .env(PANIC_CHILD, "1")
        .output()
        .expect("the child runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the child should have aborted: {stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(output.status.signal(), Some(6), "SIGABRT expected: {stderr}");
    }
    assert!(stderr.contains("the fuse handler panics"), "{stderr}");
    assert!(stderr.contains("cannot be put back, so the process aborts"), "{stderr}");
    assert_eq!(
        stderr.matches("dropped the fuse's data").count(),
        1,
        "dropped once, while unwinding: {stderr}"
    );
    assert!(!stderr.contains("dispatch returned"), "{stderr}");
}

/// A rejection leaves the machine where it was, unchanged, and hands back the event
/// with its payload.
#[test]
fn a_rejection_hands_back_the_event_and_leaves_the_machine() {
    let mut lease = LeaseAny::from(
        Lease::new(lease_cx()).connect(Addr("db:5432".into())).connected(Socket { peer: "p".into() }),
    );
    let before = lease.snapshot();
    let rejected = lease.dispatch(LeaseEvent::Connect(Addr("other".into()))).unwrap_err();
    assert_eq!((rejected.machine_name, rejected.state, rejected.event_name), ("Lease", "Open", "Connect"));
    assert!(matches!(rejected.into_event(), LeaseEvent::Connect(Addr(a)) if a == "other"));
    assert_eq!(lease.snapshot(), before);
    let transition = lease.dispatch(LeaseEvent::Close).ok();
    assert_eq!(transition, Some(Transition { from: "Open", event: "Close", to: "Closed" }));
}

/// Every row of `meta` appears in `log` (as `"Source + Event"`), and nothing else does.
fn covers_every_row(meta: &MachineMeta<'static>, log: &[String]) {
    let rows: BTreeSet<String> = meta.rows.iter().map(|r| format!("{} + {}", r.source, r.event)).collect();
    let walked: BTreeSet<String> = log.iter().cloned().collect();
    assert_eq!(walked, rows, "{}: the typed walk missed or invented a row", meta.name);
}
