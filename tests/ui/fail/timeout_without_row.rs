use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        states { Off, On }
        events { Toggle, Expire }
        transitions {
            Off + Toggle => On,
            On + Toggle => Off,
        }
        timeouts {
            On after std::time::Duration::from_secs(1) => Expire,
        }
    }
}

fn main() {}
