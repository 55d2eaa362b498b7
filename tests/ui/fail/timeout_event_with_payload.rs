use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        states { Off, On }
        events { Toggle(u8) }
        transitions {
            Off + Toggle => On,
            On + Toggle => Off,
        }
        timeouts {
            On after std::time::Duration::from_secs(1) => Toggle,
        }
    }
}

fn main() {}
