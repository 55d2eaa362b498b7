use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        events { Toggle }
        transitions {
            Off + Toggle => On,
            On + Toggle => Off,
        }
    }
}

fn main() {}
