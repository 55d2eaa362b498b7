// A machine may declare no events: a single terminal state, or a table still being
// written. Everything generated still compiles, and `dispatch` has nothing to do.
#![deny(warnings)]

use proxy_machine::lifecycle;

lifecycle! {
    machine Constant {
        context: u8;
        initial: Done;
        terminal: [Done];
        states { Done }
    }
}

lifecycle! {
    machine Phantom<T> {
        context: Vec<T>;
        initial: Done;
        terminal: [Done];
        states { Done }
        events {}
    }
}

impl ConstantHandlers for u8 {}

fn main() {
    let done = Constant::new(7).into_any();
    assert!(done.is_terminal());
    assert!(done.timeout().is_none());
    assert_eq!(*done.context(), 7);
    assert!(ConstantAny::META.events.is_empty());
    let phantom: PhantomAny<u8> = Phantom::new(vec![1]).into_any();
    assert_eq!(phantom.state_name(), "Done");
}
