// A superstate where a state belongs (a target, `initial`, `terminal`), a misspelt
// superstate as a source, a superstate row that covers no state, a superstate that
// handles and defers one event, and a superstate row with a misspelt event: each one
// error on its token, however many states the superstate stands for.

use proxy_machine::lifecycle;

lifecycle! {
    machine Valve {
        initial: Open;
        terminal: [Broken, Working];
        states { Shut, Opening, Open, Broken }
        events { Turn, Opened, Smash, Check }
        superstates {
            Working: [Shut, Opening, Open],
        }
        transitions {
            Shut + Turn => Opening,
            Opening + Opened => Open,
            Open + Turn => Working,
            Wroking + Smash => Broken,
            Working + Check => Open,
            Shut + Check => Shut,
            Opening + Check => Opening,
            Open + Check => Open,
            Working + Smahs => Broken,
        }
        defer { Working: [Smash] }
    }
}

fn main() {}
