//! The leased connection of the `lease` example: its table and handlers. The
//! runtime tests of `proxy-tests` include this very file, so what they check is the
//! example's machine, not a copy.

use std::time::Duration;

use proxy_machine::lifecycle;

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addr(pub String);

/// An open connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Socket {
    /// The peer.
    pub peer: String,
}

/// What the lease owns in every state.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LeaseCx {
    /// How long a connect attempt may take.
    pub connect_timeout: Duration,
    /// Failed attempts so far.
    pub failures: u32,
    /// How many failures close the lease for good.
    pub max_failures: u32,
    /// The peer of the last connection.
    pub last_peer: Option<String>,
    /// The address of the last connect attempt.
    pub last_addr: Option<String>,
    /// One `"Source + Event"` entry per handled event.
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
        self.log.push("Idle + Connect".into());
        self.last_addr = Some(event.0);
    }

    fn connecting_connected(&mut self, event: Socket) -> Socket {
        self.log.push("Connecting + Connected".into());
        self.last_peer = Some(event.peer.clone());
        event
    }

    fn connecting_fail(&mut self, _event: String) -> LeaseConnectingFail {
        self.log.push("Connecting + Fail".into());
        self.failures += 1;
        if self.failures >= self.max_failures {
            LeaseConnectingFail::Closed
        } else {
            LeaseConnectingFail::Idle
        }
    }

    fn connecting_timed_out(&mut self) {
        self.log.push("Connecting + TimedOut".into());
    }

    fn idle_close(&mut self) {
        self.log.push("Idle + Close".into());
    }

    fn open_close(&mut self, state: Socket) {
        self.log.push("Open + Close".into());
        self.last_peer = Some(state.peer);
    }
}
