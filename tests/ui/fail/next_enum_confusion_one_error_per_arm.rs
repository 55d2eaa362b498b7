// Matching a typed transition's result (`LeaseConnectingFailNext`, which holds
// handles) with the handler's choice enum (`LeaseConnectingFail`, which holds data).
// NOT YET ONE ERROR: rustc reports its E0308 once per arm; each names both types.

use proxy_machine::lifecycle;

lifecycle! {
    machine Lease {
        initial: Idle;
        terminal: [Closed];
        states { Idle, Connecting, Open(u16), Closed }
        events { Connect, Fail, Connected(u16), Close }
        transitions {
            Idle + Connect => Connecting,
            Connecting + Fail => Idle | Closed,
            Connecting + Connected => Open,
            Open + Close => Closed,
        }
    }
}

impl LeaseHandlers for () {
    fn idle_connect(&mut self) {}

    fn connecting_fail(&mut self) -> LeaseConnectingFail {
        LeaseConnectingFail::Idle
    }

    fn connecting_connected(&mut self, event: u16) -> u16 {
        event
    }

    fn open_close(&mut self, _state: u16) {}
}

fn main() {
    let lease = Lease::new(()).connect();
    match lease.fail() {
        LeaseConnectingFail::Idle => {}
        LeaseConnectingFail::Closed => {}
    }
}
