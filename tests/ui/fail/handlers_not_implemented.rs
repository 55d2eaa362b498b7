use proxy_machine::lifecycle;

struct Cx;

lifecycle! {
    machine Lease {
        context: Cx;
        initial: Idle;
        states { Idle, Open }
        events { Connect, Close }
        transitions {
            Idle + Connect => Open,
            Open + Close => Idle,
        }
    }
}

fn main() {
    let _ = Lease::new(Cx).connect();
}
