use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        terminal: [On];
        states { Off, On }
        transitions {
            Off + Toggle => On,
        }
    }
}

fn main() {}
