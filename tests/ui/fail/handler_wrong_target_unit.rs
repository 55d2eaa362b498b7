// A handler choosing a unit state that is not among its row's alternatives: one
// error, naming the alternatives.
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
        LeaseConnectingFail::Connecting
    }

    fn connecting_connected(&mut self, event: u16) -> u16 {
        event
    }

    fn open_close(&mut self, _state: u16) {}
}

fn main() {}
