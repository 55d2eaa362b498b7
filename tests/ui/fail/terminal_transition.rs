use proxy_machine::lifecycle;

lifecycle! {
    machine Lease {
        initial: Idle;
        terminal: [Closed];
        states { Idle, Closed }
        events { Connect, Close }
        transitions {
            Idle + Connect => Idle,
            Idle + Close => Closed,
        }
    }
}

impl LeaseHandlers for () {
    fn idle_connect(&mut self) {}
    fn idle_close(&mut self) {}
}

fn main() {
    let closed = Lease::new(()).close();
    let _ = closed.connect();
}
