use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        states { Off, On(u8, u16) }
        events { Toggle }
        transitions {
            Off + Toggle => On,
            On + Toggle => Off,
        }
    }
}

fn main() {}
