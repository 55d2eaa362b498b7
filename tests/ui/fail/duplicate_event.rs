use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        states { Off, On }
        events { Toggle, Toggle }
        transitions {
            Off + Toggle => On,
            On + Toggle => Off,
        }
    }
}

fn main() {}
