//! A `#![no_std]` library with a `lifecycle!` machine that uses every construct of the
//! table: a context, state data, payloads, alternatives, several sources, guarded
//! rows, a terminal state, a timeout and a deferral; driven through the typed API and through
//! `dispatch`. Built on its own (`cargo build -p proxy-no-std`, as `scripts/test.sh`
//! does) proxy-machine has no default features, so it is `no_std` itself, and a
//! `::std` path anywhere in the generated code fails this build: a `#![no_std]`
//! crate has no `std` in its prelude. Its tests (which link std for the harness
//! only) check that the machine behaves.

#![no_std]

use core::time::Duration;

use proxy_machine::lifecycle;

/// The context: how long to wait for a connection, and how many were made.
#[derive(Debug, Default)]
pub struct Cx {
    /// The connecting state's timeout, in milliseconds.
    pub patience_ms: u64,
    /// Connections made.
    pub connections: u32,
}

lifecycle! {
    /// A lease on a connection.
    pub machine Lease {
        context: Cx;
        initial: Idle;
        terminal: [Closed];
        states { Idle, Connecting, Open(u32), Closed }
        events { Connect, Connected(u32), Fail, Close, TimedOut, Renew(u32) }
        transitions {
            Idle + Connect => Connecting,
            Connecting + Connected => Open,
            Connecting + Fail => Idle | Closed,
            Connecting + TimedOut => Idle,
            [Idle, Open] + Close => Closed,
            Open + Renew if same => Open,
            Open + Renew => Open,
        }
        timeouts { Connecting after Duration::from_millis(cx.patience_ms) => TimedOut }
        defer { Connecting: [Close] }
    }
}

impl LeaseHandlers for Cx {
    fn idle_connect(&mut self) {}
    fn connecting_connected(&mut self, event: u32) -> u32 {
        self.connections += 1;
        event
    }
    fn connecting_fail(&mut self) -> LeaseConnectingFail {
        if self.connections == 0 {
            LeaseConnectingFail::Closed
        } else {
            LeaseConnectingFail::Idle
        }
    }
    fn connecting_timed_out(&mut self) {}
    fn idle_close(&mut self) {}
    fn open_close(&mut self, state: u32) {
        let _ = state;
    }
    fn same(&self, _event: &u32) -> bool {
        self.connections == 1
    }
    fn open_renew_if_same(&mut self, state: u32, _event: u32) -> u32 {
        state
    }
    fn open_renew(&mut self, _state: u32, event: u32) -> u32 {
        event
    }
}

/// Renews an open lease: the first connection keeps its id (the guard holds), any
/// later one takes the new id.
pub fn renewed(connections: u32, id: u32, new_id: u32) -> u32 {
    let open = Lease::<lease::Open>::restore(Cx { patience_ms: 0, connections }, id);
    *open.renew(new_id).data()
}

/// Opens a lease through the typed API and returns the connection's id.
pub fn open_typed(patience_ms: u64, id: u32) -> u32 {
    let open = Lease::new(Cx { patience_ms, connections: 0 }).connect().connected(id);
    *open.data()
}

/// Feeds `events` to a fresh lease through `dispatch`, deferring what its state
/// defers (dropped here: no allocator for a queue) and counting the rejections; the
/// final state's name and the rejections.
pub fn run_dynamic(events: impl IntoIterator<Item = LeaseEvent>) -> (&'static str, usize) {
    let mut machine = LeaseAny::from(Lease::new(Cx { patience_ms: 5, connections: 0 }));
    let mut rejected = 0;
    for event in events {
        if machine.defers(&event) {
            continue;
        }
        if machine.dispatch(event).is_err() {
            rejected += 1;
        }
    }
    (machine.state_name(), rejected)
}

/// The connecting state's timeout, read from the table.
pub fn connecting_timeout(patience_ms: u64) -> Option<(Duration, &'static str)> {
    let machine = LeaseAny::from(Lease::new(Cx { patience_ms, connections: 0 }).connect());
    machine.timeout().map(|(after, event)| (after, event.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_api_works_without_std() {
        assert_eq!(open_typed(10, 7), 7);
    }

    #[test]
    fn dispatch_rejects_defers_and_transitions_without_std() {
        use LeaseEvent::*;
        // Connected is rejected in Idle; Close is deferred in Connecting.
        let (state, rejected) = run_dynamic([Connected(1), Connect, Close, Connected(2), Close]);
        assert_eq!((state, rejected), ("Closed", 1));
        let (state, _) = run_dynamic([Connect, Fail]);
        assert_eq!(state, "Closed", "no connection yet: the handler chose Closed");
    }

    #[test]
    fn guards_work_without_std() {
        assert_eq!(renewed(1, 5, 9), 5);
        assert_eq!(renewed(2, 5, 9), 9);
    }

    #[test]
    fn timeouts_and_meta_work_without_std() {
        assert_eq!(connecting_timeout(25), Some((Duration::from_millis(25), "TimedOut")));
        assert_eq!(LeaseAny::META.initial, "Idle");
        assert_eq!(LeaseAny::META.targets("Connecting", "Fail"), Some(&["Idle", "Closed"][..]));
    }
}
