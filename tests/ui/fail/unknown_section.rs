use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        states { Off, On }
        events { Toggle }
        rows {
            Off + Toggle => On,
        }
    }
}

fn main() {}
