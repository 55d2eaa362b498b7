use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        states { Off, On }
        events { Toggle, IntoAny }
        transitions {
            Off + Toggle => On,
            On + Toggle => Off,
            On + IntoAny => Off,
        }
    }
}

fn main() {}
