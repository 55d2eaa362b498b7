// A superstate listed twice in `entry`, and one whose exit action would take the name
// of a row's handler (`On + ExitLive` is `on_exit_live`): each one error.

use proxy_machine::lifecycle;

lifecycle! {
    machine Switch {
        initial: On;
        entry: [Live, Live];
        exit: [Live];
        states { On, Off }
        events { ExitLive, Flip }
        superstates { Live: [On] }
        transitions {
            On + ExitLive => Off,
            Off + Flip => On,
        }
    }
}

fn main() {}
