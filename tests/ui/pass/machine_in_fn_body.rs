// A machine declared inside a function, with a context type local to that function.

use proxy_machine::lifecycle;

fn main() {
    struct Local {
        steps: u32,
    }

    lifecycle! {
        machine Inner {
            context: Local;
            initial: A;
            terminal: [C];
            states { A, B(u32), C }
            events { Next, Last(u32) }
            transitions {
                A + Next => B,
                B + Last => C,
            }
            timeouts {
                A after std::time::Duration::from_millis(u64::from(cx.steps)) => Next,
            }
        }
    }

    impl InnerHandlers for Local {
        fn a_next(&mut self) -> u32 {
            self.steps += 1;
            self.steps
        }

        fn b_last(&mut self, state: u32, event: u32) {
            self.steps += state + event;
        }
    }

    let c = Inner::new(Local { steps: 0 }).next().last(10);
    assert_eq!(c.context().steps, 12);
    assert_eq!(c.state_name(), "C");
    let a: InnerAny = Inner::new(Local { steps: 5 }).into_any();
    assert_eq!(a.timeout().unwrap().0, std::time::Duration::from_millis(5));
    let _: inner::A;
}
