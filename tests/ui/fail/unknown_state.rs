use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        states { Off, On }
        events { Toggle }
        transitions {
            Off + Toggle => Onn,
            On + Toggle => Off,
        }
    }
}

fn main() {}
