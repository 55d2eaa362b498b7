//! A leased network connection: a lifecycle that is not a container, declared with
//! the same macro. Run it with `cargo run -p proxy-machine --example lease`.
//!
//! It shows data-bearing states (`Open(Socket)`), payload events (`Connect(Addr)`), a
//! row with alternative targets (`Connecting + Fail => Idle | Closed`), a row with
//! several sources, a timeout and a deferred event; then walks the machine through
//! the typed API and through the runtime enum.

use std::time::Duration;

use proxy_machine::lifecycle;

/// Where to connect.
#[derive(Debug, Clone)]
pub struct Addr(pub String);

/// An open connection.
#[derive(Debug)]
pub struct Socket {
    /// The peer.
    pub peer: String,
}

/// What the lease owns in every state.
#[derive(Debug, Default)]
pub struct LeaseCx {
    /// How long a connect attempt may take.
    pub connect_timeout: Duration,
    /// Failed attempts so far.
    pub failures: u32,
    /// How many failures close the lease for good.
    pub max_failures: u32,
    /// What happened, for the printout.
    pub log: Vec<String>,
}

lifecycle! {
    /// A leased network connection.
    pub machine Lease {
        context: LeaseCx;
        initial: Idle;
        terminal: [Closed];
        states {
            /// Not connected; may connect.
            Idle,
            /// A connect attempt is in flight.
            Connecting,
            /// Connected.
            Open(Socket),
            /// Given back for good.
            Closed,
        }
        events {
            /// Connect to an address.
            Connect(Addr),
            /// The attempt succeeded.
            Connected(Socket),
            /// The attempt failed.
            Fail(String),
            /// Give the lease back.
            Close,
            /// The attempt took too long.
            TimedOut,
        }
        transitions {
            Idle + Connect => Connecting,
            Connecting + Connected => Open,
            /// After too many failures the lease closes.
            Connecting + Fail => Idle | Closed,
            Connecting + TimedOut => Idle,
            [Idle, Open] + Close => Closed,
        }
        timeouts {
            Connecting after cx.connect_timeout => TimedOut,
        }
        defer {
            Connecting: [Close],
        }
    }
}

impl LeaseHandlers for LeaseCx {
    fn idle_connect(&mut self, event: Addr) {
        self.log.push(format!("connecting to {}", event.0));
    }

    fn connecting_connected(&mut self, event: Socket) -> Socket {
        self.log.push(format!("connected to {}", event.peer));
        event
    }

    fn connecting_fail(&mut self, event: String) -> LeaseConnectingFail {
        self.failures += 1;
        self.log.push(format!("failed ({}): {event}", self.failures));
        if self.failures >= self.max_failures {
            LeaseConnectingFail::Closed
        } else {
            LeaseConnectingFail::Idle
        }
    }

    fn connecting_timed_out(&mut self) {
        self.log.push("timed out".into());
    }

    fn idle_close(&mut self) {
        self.log.push("closed while idle".into());
    }

    fn open_close(&mut self, state: Socket) {
        self.log.push(format!("closed {}", state.peer));
    }
}

fn main() {
    println!("{}", LeaseAny::to_mermaid());

    // The typed API: every step is checked at compile time.
    let cx = LeaseCx { connect_timeout: Duration::from_secs(2), max_failures: 2, ..LeaseCx::default() };
    let lease = Lease::new(cx);
    let lease = lease.connect(Addr("db:5432".into()));
    let lease = match lease.fail("refused".into()) {
        LeaseConnectingFailNext::Idle(idle) => idle,
        LeaseConnectingFailNext::Closed(_) => unreachable!("one failure of two allowed"),
    };
    let lease = lease.connect(Addr("db:5432".into()));
    let open = lease.connected(Socket { peer: "db:5432".into() });
    println!("typed: now in `{}`, peer {}", open.state_name(), open.data().peer);
    // `open.connect(..)` would not compile:
    //   illegal transition: `Open` does not accept `Connect`
    let closed = open.close();
    for line in &closed.context().log {
        println!("  {line}");
    }

    // The runtime enum: the state is known only at run time, as in an actor's inbox.
    let mut machine = LeaseAny::from(Lease::new(LeaseCx { max_failures: 1, ..LeaseCx::default() }));
    for event in
        [LeaseEvent::Connect(Addr("cache:6379".into())), LeaseEvent::Close, LeaseEvent::Fail("reset".into())]
    {
        if machine.defers(&event) {
            println!("dynamic: `{}` defers `{}`", machine.state_name(), event.name());
            continue;
        }
        machine = match machine.dispatch(event) {
            Ok(next) => next,
            Err(rejected) => {
                println!("dynamic: {rejected}");
                rejected.machine
            }
        };
        println!("dynamic: now in `{}`", machine.state_name());
    }
    if let Some((after, event)) =
        LeaseAny::from(Lease::new(LeaseCx::default()).connect(Addr("x".into()))).timeout()
    {
        println!("Connecting times out after {after:?} with `{}`", event.name());
    }
}
