use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        states { Off, On }
        events { Toggle, Dim }
        transitions {
            Off + Toggle => On,
            On + Toggle => Off,
        }
        defer {
            On: [Dim, Dim],
        }
    }
}

fn main() {}
