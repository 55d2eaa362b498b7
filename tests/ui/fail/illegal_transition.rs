use proxy_machine::lifecycle;

lifecycle! {
    machine Lease {
        initial: Idle;
        states { Idle, Open }
        events { Connect, Close }
        transitions {
            Idle + Connect => Open,
            Open + Close => Idle,
        }
    }
}

impl LeaseHandlers for () {
    fn idle_connect(&mut self) {}
    fn open_close(&mut self) {}
}

fn main() {
    let open = Lease::new(()).connect();
    let _ = open.connect();
}
