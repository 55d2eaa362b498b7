// Every misuse of `entry` and `exit` in one table, each reported on its token: an
// unknown state (with the close match), a state listed twice, an exit action on a
// terminal state (never left), and an action whose handler name a row's handler
// already has (`on_enter_idle` is the handler of `On + EnterIdle`).

use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {
        initial: Off;
        terminal: [Broken];
        entry: [Of, Off, Off, Idle];
        exit: [Broken];
        states { Off, On, Idle, Broken }
        events { Toggle, EnterIdle, Smash }
        transitions {
            Off + Toggle => On,
            On + Toggle => Off,
            On + EnterIdle => Idle,
            Idle + Toggle => Off,
            [Off, On, Idle] + Smash => Broken,
        }
    }
}

fn main() {}
