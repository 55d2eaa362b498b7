// `State after <expr> => Event`: `timeout()` evaluates the duration with `cx` bound to
// the context, in the current state only, and hands back the event to raise.

use std::time::Duration;

use proxy_machine::lifecycle;

struct Cx {
    patience: Duration,
}

lifecycle! {
    machine Call {
        context: Cx;
        initial: Ringing;
        terminal: [Hung];
        states { Ringing, Talking, Hung }
        events { Answer, NoAnswer, Silence, HangUp }
        transitions {
            Ringing + Answer => Talking,
            Ringing + NoAnswer => Hung,
            Talking + Silence => Hung,
            Talking + HangUp => Hung,
        }
        timeouts {
            Ringing after cx.patience * 2 => NoAnswer,
            Talking after Duration::from_secs(60) => Silence,
        }
    }
}

impl CallHandlers for Cx {
    fn ringing_answer(&mut self) {}
    fn ringing_no_answer(&mut self) {}
    fn talking_silence(&mut self) {}
    fn talking_hang_up(&mut self) {}
}

fn main() {
    let mut call = CallAny::from(Call::new(Cx { patience: Duration::from_millis(250) }));
    let (after, event) = call.timeout().expect("`Ringing` has a timeout");
    assert_eq!(after, Duration::from_millis(500));
    assert_eq!(event.name(), "NoAnswer");
    assert!(matches!(event, CallEvent::NoAnswer));

    call.dispatch(CallEvent::Answer).unwrap();
    let (after, event) = call.timeout().expect("`Talking` has a timeout");
    assert_eq!(after, Duration::from_secs(60));
    assert!(matches!(event, CallEvent::Silence));

    // Raising the timeout's event moves the machine on.
    let transition = call.dispatch(event).unwrap();
    assert_eq!((transition.from, transition.event, transition.to), ("Talking", "Silence", "Hung"));
    assert_eq!(call.state_name(), "Hung");
    assert!(call.timeout().is_none());

    assert_eq!(CallAny::META.timeouts[0].after, "cx.patience * 2");
}
