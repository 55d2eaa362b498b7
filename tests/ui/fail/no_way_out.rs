use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        states { Off, On }
        events { Toggle }
        transitions {
            Off + Toggle => On,
        }
    }
}

fn main() {}
