use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        states { Off, On }
        events { HttpError, HTTPError }
        transitions {
            Off + HttpError => On,
            On + HTTPError => Off,
        }
    }
}

fn main() {}
