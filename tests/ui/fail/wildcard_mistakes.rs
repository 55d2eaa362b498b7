// A wildcard that covers no state (every state that is not terminal has its own
// row), and one with a misspelt event: each one error, on its token.

use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        terminal: [Broken];
        states { Off, On, Broken }
        events { Toggle, Smash }
        transitions {
            Off + Toggle => On,
            On + Toggle => Off,
            _ + Toggle => Broken,
            _ + Smahs => Broken,
        }
    }
}

fn main() {}
