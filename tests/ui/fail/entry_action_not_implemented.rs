// A state listed in `entry` needs its action in the handlers trait: a missing
// `on_enter_on` is E0046 on the impl, naming the method.

use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        entry: [On];
        states { Off, On }
        events { Toggle }
        transitions { Off + Toggle => On, On + Toggle => Off }
    }
}

impl LampHandlers for () {
    fn off_toggle(&mut self) {}
    fn on_toggle(&mut self) {}
}

fn main() {
    let _ = Lamp::new(()).toggle();
}
