// A machine without `pub`: everything generated is private to the module, and the
// nested marker modules still see what they need. The machine lives in a module so
// that its privacy is tested from outside it.
// trybuild builds pass cases with `-A dead_code`; the attribute turns it back on.
#![deny(warnings, dead_code)]

mod valve {
    use proxy_machine::lifecycle;

    lifecycle! {
        machine Tap {
            initial: Closed;
            states { Closed, Running }
            events { Turn }
            transitions {
                Closed + Turn => Running,
                Running + Turn => Closed,
            }
        }
    }

    impl TapHandlers for () {
        fn closed_turn(&mut self) {}
        fn running_turn(&mut self) {}
    }

    pub(crate) fn cycle() -> &'static str {
        let tap: Tap<tap::Closed> = Tap::new(());
        tap.turn().turn().state_name()
    }
}

fn main() {
    assert_eq!(valve::cycle(), "Closed");
}
