// `A + E => X | Y`: the handler returns the choice enum, the transition returns the
// `Next` enum, and `dispatch` follows whichever target the handler chose.

use proxy_machine::lifecycle;

struct Cx {
    attempts: u32,
    limit: u32,
}

lifecycle! {
    machine Retry {
        context: Cx;
        initial: Waiting;
        terminal: [Done, GaveUp];
        states { Waiting, Done(String), GaveUp }
        events { Try(Option<String>) }
        transitions {
            Waiting + Try => Waiting | Done | GaveUp,
        }
    }
}

impl RetryHandlers for Cx {
    fn waiting_try(&mut self, event: Option<String>) -> RetryWaitingTry {
        self.attempts += 1;
        match event {
            Some(answer) => RetryWaitingTry::Done(answer),
            None if self.attempts >= self.limit => RetryWaitingTry::GaveUp,
            None => RetryWaitingTry::Waiting,
        }
    }
}

fn main() {
    let retry = Retry::new(Cx { attempts: 0, limit: 3 });
    let retry = match retry.r#try(None) {
        RetryWaitingTryNext::Waiting(waiting) => waiting,
        other => panic!("expected to wait again, got {:?}", RetryAny::from(other)),
    };
    match retry.r#try(Some("yes".into())) {
        RetryWaitingTryNext::Done(done) => {
            assert_eq!(done.data(), "yes");
            assert_eq!(done.context().attempts, 2);
        }
        other => panic!("expected done, got {:?}", RetryAny::from(other)),
    }

    let mut any = RetryAny::from(Retry::new(Cx { attempts: 0, limit: 2 }));
    assert_eq!(any.dispatch(RetryEvent::Try(None)).unwrap().to, "Waiting");
    assert_eq!(any.state_name(), "Waiting");
    // The row's target is the one the handler chose, whichever of the alternatives.
    assert_eq!(any.dispatch(RetryEvent::Try(None)).unwrap().to, "GaveUp");
    assert_eq!(any.state_name(), "GaveUp");
    assert!(any.is_terminal());
}
