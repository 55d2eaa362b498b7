//! Example machines shared by the runtime tests: the `Lease` of
//! `proxy-machine/examples/lease.rs`, a `Vm` with data-bearing states, alternatives
//! and multi-source rows, and a `Switch` without a context.
//!
//! Every handler appends `"Source + Event"` to its context's `log`, so a test can
//! tell which rows ran, and updates a counter or two, so a test can tell that the
//! payloads and the state data reached the handler. [`lease_state_named`],
//! [`vm_state_named`] and their `event_named` siblings build any state and any event
//! from its name as written in the table, for tests driven by `META`.

use std::time::Duration;

use proxy_machine::lifecycle;

// ---- Lease ----------------------------------------------------------------

#[path = "../../proxy-machine/examples/lease/machine.rs"]
mod lease_machine;

pub use lease_machine::*;

/// The context the name-driven tests start from: two failures allowed, a 2 s
/// connect timeout.
pub fn lease_cx() -> LeaseCx {
    LeaseCx { connect_timeout: Duration::from_secs(2), max_failures: 2, ..LeaseCx::default() }
}

/// The machine in the state called `name`, with [`lease_cx`] and fixed data.
///
/// # Panics
/// When the table has no such state.
pub fn lease_state_named(name: &str) -> LeaseAny {
    let cx = lease_cx();
    match name {
        "Idle" => LeaseAny::from(Lease::<lease::Idle>::restore(cx, ())),
        "Connecting" => LeaseAny::from(Lease::<lease::Connecting>::restore(cx, ())),
        "Open" => LeaseAny::from(Lease::<lease::Open>::restore(cx, Socket { peer: "db:5432".into() })),
        "Closed" => LeaseAny::from(Lease::<lease::Closed>::restore(cx, ())),
        _ => panic!("`Lease` has no state `{name}`"),
    }
}

/// The event called `name`, with a fixed payload.
///
/// # Panics
/// When the table has no such event.
pub fn lease_event_named(name: &str) -> LeaseEvent {
    match name {
        "Connect" => LeaseEvent::Connect(Addr("db:5432".into())),
        "Connected" => LeaseEvent::Connected(Socket { peer: "db:5432".into() }),
        "Fail" => LeaseEvent::Fail("refused".into()),
        "Close" => LeaseEvent::Close,
        "TimedOut" => LeaseEvent::TimedOut,
        _ => panic!("`Lease` has no event `{name}`"),
    }
}

// ---- Vm: data-bearing states (`Running(Pid)`, `Paused(Pid)`), payload events,
// rows with alternatives whose targets carry data, multi-source rows out of
// data-bearing states ----------------------------------------------------------

/// A process id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pid(pub u32);

/// What the VM owns in every state.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct VmCx {
    /// How long a boot may take.
    pub boot_timeout: Duration,
    /// Boots started.
    pub starts: u32,
    /// Boots that failed or timed out.
    pub boot_failures: u32,
    /// Boot failures after which the VM counts as crashed rather than stopped.
    pub max_boot_failures: u32,
    /// Faults survived while running.
    pub faults: u32,
    /// Faults that crash the VM.
    pub max_faults: u32,
    /// The pid of the last process seen by a handler.
    pub last_pid: Option<Pid>,
    /// The last error message.
    pub last_error: Option<String>,
    /// One `"Source + Event"` entry per handled event.
    pub log: Vec<String>,
}

lifecycle! {
    /// A virtual machine.
    pub machine Vm {
        context: VmCx;
        initial: Stopped;
        terminal: [Destroyed];
        states {
            /// Not running; may start.
            Stopped,
            /// Starting up.
            Booting,
            /// Running as a process.
            Running(Pid),
            /// Suspended; the process is kept.
            Paused(Pid),
            /// Died; may restart.
            Crashed,
            /// Gone for good.
            Destroyed,
        }
        events {
            /// Start booting.
            Start,
            /// The boot finished with a process.
            Booted(Pid),
            /// The boot failed.
            BootFailed(String),
            /// The boot took too long.
            BootTimeout,
            /// Suspend the process.
            Pause,
            /// Resume the process.
            Resume,
            /// The process hit a fault.
            Fault(String),
            /// Stop the process.
            Stop,
            /// Boot again after a crash.
            Restart,
            /// Remove the VM.
            Destroy,
        }
        transitions {
            Stopped + Start => Booting,
            Booting + Booted => Running,
            /// Too many failed boots count as a crash.
            Booting + BootFailed => Stopped | Crashed,
            Booting + BootTimeout => Crashed,
            Running + Pause => Paused,
            Paused + Resume => Running,
            /// A fault is survived until there are too many.
            Running + Fault => Running | Crashed,
            [Running, Paused] + Stop => Stopped,
            Crashed + Restart => Booting,
            [Stopped, Crashed, Paused] + Destroy => Destroyed,
        }
        timeouts {
            Booting after cx.boot_timeout => BootTimeout,
        }
        defer {
            Booting: [Stop, Destroy],
            Paused: [Fault],
        }
    }
}

impl VmHandlers for VmCx {
    fn stopped_start(&mut self) {
        self.log.push("Stopped + Start".into());
        self.starts += 1;
    }

    fn booting_booted(&mut self, event: Pid) -> Pid {
        self.log.push("Booting + Booted".into());
        self.last_pid = Some(event);
        event
    }

    fn booting_boot_failed(&mut self, event: String) -> VmBootingBootFailed {
        self.log.push("Booting + BootFailed".into());
        self.boot_failures += 1;
        self.last_error = Some(event);
        if self.boot_failures >= self.max_boot_failures {
            VmBootingBootFailed::Crashed
        } else {
            VmBootingBootFailed::Stopped
        }
    }

    fn booting_boot_timeout(&mut self) {
        self.log.push("Booting + BootTimeout".into());
        self.boot_failures += 1;
    }

    fn running_pause(&mut self, state: Pid) -> Pid {
        self.log.push("Running + Pause".into());
        self.last_pid = Some(state);
        state
    }

    fn paused_resume(&mut self, state: Pid) -> Pid {
        self.log.push("Paused + Resume".into());
        self.last_pid = Some(state);
        state
    }

    fn running_fault(&mut self, state: Pid, event: String) -> VmRunningFault {
        self.log.push("Running + Fault".into());
        self.faults += 1;
        self.last_error = Some(event);
        if self.faults >= self.max_faults {
            VmRunningFault::Crashed
        } else {
            VmRunningFault::Running(state)
        }
    }

    fn running_stop(&mut self, state: Pid) {
        self.log.push("Running + Stop".into());
        self.last_pid = Some(state);
    }

    fn paused_stop(&mut self, state: Pid) {
        self.log.push("Paused + Stop".into());
        self.last_pid = Some(state);
    }

    fn crashed_restart(&mut self) {
        self.log.push("Crashed + Restart".into());
        self.starts += 1;
    }

    fn stopped_destroy(&mut self) {
        self.log.push("Stopped + Destroy".into());
    }

    fn crashed_destroy(&mut self) {
        self.log.push("Crashed + Destroy".into());
    }

    fn paused_destroy(&mut self, state: Pid) {
        self.log.push("Paused + Destroy".into());
        self.last_pid = Some(state);
    }
}

/// The context the name-driven tests start from: two failed boots and two
/// faults allowed, a 30 s boot timeout.
pub fn vm_cx() -> VmCx {
    VmCx { boot_timeout: Duration::from_secs(30), max_boot_failures: 2, max_faults: 2, ..VmCx::default() }
}

/// The machine in the state called `name`, with [`vm_cx`] and fixed data.
///
/// # Panics
/// When the table has no such state.
pub fn vm_state_named(name: &str) -> VmAny {
    let cx = vm_cx();
    match name {
        "Stopped" => VmAny::from(Vm::<vm::Stopped>::restore(cx, ())),
        "Booting" => VmAny::from(Vm::<vm::Booting>::restore(cx, ())),
        "Running" => VmAny::from(Vm::<vm::Running>::restore(cx, Pid(41))),
        "Paused" => VmAny::from(Vm::<vm::Paused>::restore(cx, Pid(42))),
        "Crashed" => VmAny::from(Vm::<vm::Crashed>::restore(cx, ())),
        "Destroyed" => VmAny::from(Vm::<vm::Destroyed>::restore(cx, ())),
        _ => panic!("`Vm` has no state `{name}`"),
    }
}

/// The event called `name`, with a fixed payload.
///
/// # Panics
/// When the table has no such event.
pub fn vm_event_named(name: &str) -> VmEvent {
    match name {
        "Start" => VmEvent::Start,
        "Booted" => VmEvent::Booted(Pid(7)),
        "BootFailed" => VmEvent::BootFailed("no disk".into()),
        "BootTimeout" => VmEvent::BootTimeout,
        "Pause" => VmEvent::Pause,
        "Resume" => VmEvent::Resume,
        "Fault" => VmEvent::Fault("page fault".into()),
        "Stop" => VmEvent::Stop,
        "Restart" => VmEvent::Restart,
        "Destroy" => VmEvent::Destroy,
        _ => panic!("`Vm` has no event `{name}`"),
    }
}

// ---- Switch: no context, so its handle is zero-sized in its unit states --------

lifecycle! {
    /// A light switch.
    pub machine Switch {
        initial: Off;
        states {
            /// Dark.
            Off,
            /// Lit.
            On,
        }
        events {
            /// Flip it.
            Toggle,
        }
        transitions {
            Off + Toggle => On,
            On + Toggle => Off,
        }
    }
}

impl SwitchHandlers for () {
    fn off_toggle(&mut self) {}

    fn on_toggle(&mut self) {}
}
