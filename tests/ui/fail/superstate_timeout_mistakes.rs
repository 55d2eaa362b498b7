// A superstate's timeout whose event two of its states have no row for, and a second
// timeout for the same superstate: each one error, not one per state.

use proxy_machine::lifecycle;

lifecycle! {
    machine Kettle {
        initial: Cold;
        states { Cold, Warming, Boiling }
        events { Heat, Boil, Tick }
        superstates { Hot: [Warming, Boiling] }
        transitions {
            Cold + Heat => Warming,
            Warming + Boil => Boiling,
            Boiling + Tick => Cold,
            Warming + Tick => Cold,
        }
        timeouts {
            Hot after std::time::Duration::from_secs(60) => Heat,
            Hot after std::time::Duration::from_secs(30) => Tick,
        }
    }
}

fn main() {}
