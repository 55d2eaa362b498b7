// Mistakes in the `superstates` section, each one error on its token: a superstate
// named like a state, one named like a generated item, an unknown member, a state in
// two superstates, a superstate inside itself, and an empty one.

use proxy_machine::lifecycle;

lifecycle! {
    machine Pump {
        initial: Idle;
        states { Idle, Priming, Running, Drained }
        events { Start, Primed, Stop }
        superstates {
            Idle: [Priming],
            Any: [Priming],
            Busy: [Priming, Runing],
            Working: [Running, Priming],
            Outer: [Inner],
            Inner: [Outer],
            Empty: [],
        }
        transitions {
            Idle + Start => Priming,
            Priming + Primed => Running,
            Running + Stop => Drained,
            Drained + Start => Priming,
        }
    }
}

fn main() {}
