use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        states { Off, On }
        events { Toggle }
        transitions {
            Off + Toggle => On,
            On + Toggle => Off,
        }
    }
}

fn main() {}
