use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        states { Off, On, Lost }
        events { Toggle }
        transitions {
            Off + Toggle => On,
            On + Toggle => Off,
            Lost + Toggle => Off,
        }
    }
}

fn main() {}
