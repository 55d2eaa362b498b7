use proxy_machine::lifecycle;

lifecycle! {
    machine Lease {
        initial: Idle;
        states { Idle, Open(u16) }
        events { Connect(String), Close }
        transitions {
            Idle + Connect => Open,
            Open + Close => Idle,
        }
    }
}

impl LeaseHandlers for () {
    fn idle_connect(&mut self, event: String) -> String {
        event
    }

    fn open_close(&mut self, _state: u16) {}
}

fn main() {}
