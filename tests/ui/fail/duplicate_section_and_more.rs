// A repeated section does not stop the parse: the table's other mistakes are
// reported in the same build.
use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        states { Off, On }
        events { Flip }
        transitions { Off + Flip => On }
        transitions { On + Flip => Of }
    }
}

fn main() {}
