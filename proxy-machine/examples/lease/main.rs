//! A leased network connection: a lifecycle that is not a container, declared with
//! the same macro. Run it with `cargo run -p proxy-machine --example lease`.
//!
//! It shows data-bearing states (`Open(Socket)`), payload events (`Connect(Addr)`), a
//! row with alternative targets (`Connecting + Fail => Idle | Closed`), a row with
//! several sources, a timeout and a deferred event; then walks the machine through
//! the typed API and through the runtime enum.

use std::time::Duration;

// The table is shared with the runtime tests (`proxy-tests`), which use all of its
// API; this example uses only part of it.
#[allow(dead_code, unreachable_pub)]
mod machine;

use machine::*;

fn main() {
    println!("{}", LeaseAny::to_mermaid());

    // The typed API: every step is checked at compile time.
    let cx = LeaseCx { connect_timeout: Duration::from_secs(2), max_failures: 2, ..LeaseCx::default() };
    let lease = Lease::new(cx);
    let lease = lease.connect(Addr("db:5432".into()));
    let lease = match lease.fail("refused".into()) {
        LeaseConnectingFailNext::Idle(idle) => idle,
        LeaseConnectingFailNext::Closed(_) => unreachable!("one failure of two allowed"),
    };
    let lease = lease.connect(Addr("db:5432".into()));
    let open = lease.connected(Socket { peer: "db:5432".into() });
    println!("typed: now in `{}`, peer {}", open.state_name(), open.data().peer);
    // `open.connect(..)` would not compile:
    //   illegal transition: `Open` does not accept `Connect`
    let closed = open.close();
    for line in &closed.context().log {
        println!("  {line}");
    }

    // The runtime enum: the state is known only at run time, as in an actor's inbox.
    let mut machine = LeaseAny::from(Lease::new(LeaseCx { max_failures: 1, ..LeaseCx::default() }));
    for event in
        [LeaseEvent::Connect(Addr("cache:6379".into())), LeaseEvent::Close, LeaseEvent::Fail("reset".into())]
    {
        if machine.defers(&event) {
            println!("dynamic: `{}` defers `{}`", machine.state_name(), event.name());
            continue;
        }
        // In place: a rejection leaves the machine as it was and hands back the event.
        match machine.dispatch(event) {
            Ok(transition) => {
                println!("dynamic: `{}` + `{}` => `{}`", transition.from, transition.event, transition.to)
            }
            Err(rejected) => println!("dynamic: {rejected}"),
        }
        println!("dynamic: now in `{}`", machine.state_name());
    }
    if let Some((after, event)) =
        LeaseAny::from(Lease::new(LeaseCx::default()).connect(Addr("x".into()))).timeout()
    {
        println!("Connecting times out after {after:?} with `{}`", event.name());
    }
}
