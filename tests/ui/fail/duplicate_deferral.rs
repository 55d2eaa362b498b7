use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        states { Off, On }
        events { Toggle, Dim, Blink }
        transitions {
            Off + Toggle => On,
            On + Toggle => Off,
        }
        defer {
            On: [Dim],
            On: [Blink],
        }
    }
}

fn main() {}
