//! One container proxy on the scripted backend, driven by a scenario test: what it
//! told its parent, as text, and the calls its backend saw.

use std::sync::Arc;

use proxy_core::container::scripted::{Record, RecordingSink, ScriptedFactory};
use proxy_core::container::{
    spawn_proxy, ContainerProxyAny, ContainerProxyEvent as Event, ProxyConfig, ProxyDeps,
};
use proxy_core::machine::driver::{Notice, Notices, Running};

/// One proxy on the scripted backend, with what it told its parent and what its
/// backend was asked.
pub(crate) struct Proxy {
    pub(crate) factory: Arc<ScriptedFactory>,
    pub(crate) sink: Arc<RecordingSink>,
    pub(crate) running: Option<Running<ContainerProxyAny>>,
    pub(crate) notices: Notices<ContainerProxyAny>,
}

impl Proxy {
    pub(crate) fn new() -> Self {
        Self::with(ProxyConfig::default())
    }

    pub(crate) fn with(config: ProxyConfig) -> Self {
        let factory = ScriptedFactory::new();
        let sink = RecordingSink::new();
        let deps = Arc::new(ProxyDeps::new(factory.clone(), sink.clone(), config));
        let (running, notices) = spawn_proxy(deps);
        Proxy { factory, sink, running: Some(running), notices }
    }

    pub(crate) fn send(&self, event: Event) {
        self.running.as_ref().expect("running").send(event).expect("the proxy is alive");
    }

    /// Lets every task run until all wait on the clock or on the test.
    pub(crate) async fn settle(&self) {
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
    }

    /// The parent messages and transitions so far, as text.
    pub(crate) async fn seen(&mut self) -> Vec<String> {
        self.settle().await;
        let mut seen = Vec::new();
        while let Ok(notice) = self.notices.try_recv() {
            seen.push(match notice {
                Notice::Message(message) => message.to_string(),
                Notice::Transition(t) => format!("{} -> {}", t.from, t.to),
                Notice::Unhandled { state, event } => format!("unhandled {} in {state}", event.name()),
                Notice::EffectPanicked { state } => format!("panic in {state}"),
                Notice::Stopped { state, reason } => format!("stopped in {state} ({reason:?})"),
            });
        }
        seen
    }

    pub(crate) fn calls(&self) -> [usize; 7] {
        self.factory.script.calls.snapshot()
    }

    pub(crate) fn records(&self) -> Vec<Record> {
        self.sink.records()
    }

    pub(crate) async fn finished(&mut self) -> bool {
        self.settle().await;
        self.running.as_ref().expect("running").is_finished()
    }

    /// Everything the container was sent, `/init` and `/run` bodies, as text.
    pub(crate) fn sent_to_the_container(&self) -> String {
        let inits = self.factory.script.init_bodies.lock().unwrap().clone();
        let runs = self.factory.script.run_bodies.lock().unwrap().clone();
        format!("{inits:?} {runs:?}")
    }
}
