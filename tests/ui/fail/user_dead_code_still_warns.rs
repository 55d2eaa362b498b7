// The `allow(dead_code)` of the expansion is on generated items only: the user's own
// dead code beside a private machine is still reported, and nothing else is.
#![deny(warnings, dead_code)]

use proxy_machine::lifecycle;

lifecycle! {
    machine Tap {
        initial: Closed;
        states { Closed, Running }
        events { Turn }
        transitions { Closed + Turn => Running, Running + Turn => Closed }
    }
}

impl TapHandlers for () {
    fn closed_turn(&mut self) {}
    fn running_turn(&mut self) {}
}

fn forgotten() {}

fn main() {
    let _ = TapAny::from(Tap::new(())).dispatch(TapEvent::Turn);
}
