// An empty `states {}` is an error, not an expansion that generates nothing.
use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        states {}
    }
}

fn main() {}
