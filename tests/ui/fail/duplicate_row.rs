use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        terminal: [Broken];
        states { Off, On, Broken }
        events { Toggle, Kick }
        transitions {
            Off + Toggle => On,
            On + Toggle => Off,
            Off + Toggle => Off,
            Off + Kick => Broken,
            [On, Off] + Kick => Broken,
        }
    }
}

fn main() {}
