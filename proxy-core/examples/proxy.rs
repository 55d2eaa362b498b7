//! One container proxy through its whole life, on the scripted in-memory backend:
//! prewarm, a job, two more back to back, a pause after the grace period, a resume,
//! and removal after the unused timeout. Prints the messages to the parent and the
//! transitions, in order, and the lifecycle table as a Mermaid diagram.
//!
//! `cargo run -p proxy-core --example proxy --features scripted`

use std::sync::Arc;
use std::time::Duration;

use proxy_core::container::scripted::{RecordingSink, ScriptedFactory};
use proxy_core::container::{
    spawn_proxy, Action, ActionLimits, ActivationMessage, Capacity, ContainerProxyAny, ContainerProxyEvent,
    ProxyConfig, ProxyDeps, Run, StartSpec, ToParent,
};
use proxy_core::machine::driver::Notice;
use serde_json::json;
use tokio::time::{sleep, Instant};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("{}", ContainerProxyAny::to_mermaid());

    let factory = ScriptedFactory::new();
    let sink = RecordingSink::new();
    let config = ProxyConfig {
        pause_grace: Duration::from_millis(200),
        unused_timeout: Duration::from_millis(500),
        ..ProxyConfig::default()
    };
    let (proxy, mut notices) = spawn_proxy(Arc::new(ProxyDeps::new(factory.clone(), sink.clone(), config)));
    let started = Instant::now();
    let printer = tokio::spawn(async move {
        while let Some(notice) = notices.recv().await {
            let at = started.elapsed().as_millis();
            match notice {
                Notice::Message(ToParent::NeedWork(Capacity::Prewarmed(_))) => {
                    println!("{at:>5} ms  -> parent: NeedWork(prewarmed)")
                }
                Notice::Message(ToParent::NeedWork(Capacity::Warm(_))) => {
                    println!("{at:>5} ms  -> parent: NeedWork(warm)")
                }
                Notice::Message(message) => println!("{at:>5} ms  -> parent: {message:?}"),
                Notice::Transition(t) => println!("{at:>5} ms  {} --{}--> {}", t.from, t.event, t.to),
                other => println!("{at:>5} ms  {other:?}"),
            }
        }
    });

    let action = Arc::new(Action {
        kind: "nodejs:20".into(),
        limits: ActionLimits { logs_mb: 0, ..ActionLimits::default() },
        ..Action::new(
            "guest",
            "hello",
            "runtime",
            "function main(p) { return {greeting: 'hello ' + p.name} }",
        )
    });
    let job = |id: &str| Run {
        action: action.clone(),
        msg: Arc::new(ActivationMessage {
            content: Some(json!({"name": "world"})),
            ..ActivationMessage::new(id, "guest")
        }),
    };

    let send = |event| proxy.send(event).expect("the proxy is alive");
    send(ContainerProxyEvent::Start(StartSpec {
        kind: "nodejs:20".into(),
        image: "runtime".into(),
        memory_mb: 256,
        ttl: None,
    }));
    sleep(Duration::from_millis(20)).await;
    send(ContainerProxyEvent::Run(job("a1")));
    send(ContainerProxyEvent::Run(job("a2")));
    send(ContainerProxyEvent::Run(job("a3")));
    sleep(Duration::from_millis(300)).await; // past the pause grace
    send(ContainerProxyEvent::Run(job("a4")));
    let machine = proxy.join().await.expect("the proxy task ends after its container is removed");
    printer.await.expect("printer");
    println!(
        "final state: {}; backend calls [creates, inits, runs, suspends, resumes, logs, destroys] = {:?}",
        machine.state_name(),
        factory.script.calls.snapshot()
    );
    println!("activations stored: {}", sink.stored.lock().expect("sink").len());
}
