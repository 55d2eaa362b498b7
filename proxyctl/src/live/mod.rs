//! The live view: `GET /` is one page (style, script and the lifecycle diagram
//! inline; nothing is fetched from the network) showing every container of the pool
//! on the container table's diagram ([`ContainerProxyAny::META`] drawn by
//! [`to_svg`](proxy_core::machine::meta::MachineMeta::to_svg)), the list of
//! containers, the cold and warm counts, the outcomes and the latency percentiles,
//! kept current by server-sent events.
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the page |
//! | `GET /live/events` | `text/event-stream`: first the whole board (`{"type":"snapshot", "now_ms", "containers", "stats"}`), then each [`Update`](crate::board::Update) as JSON (`type`: `container`, `gone`, `activation`); a fresh snapshot after falling behind; a keep-alive comment every 15 s; ends when the server drains |
//! | `GET /live/snapshot` | the same snapshot as one JSON document |
//! | `GET /live/diagram.svg` | the diagram alone, a standalone SVG |
//!
//! No authentication, loopback only ([`guard`]): like upstream's local playground, it
//! is for the person at the machine; it shows action names, activation ids and
//! container states, no parameters, results or logs. A client from elsewhere gets 403.
//!
//! [`ContainerProxyAny::META`]: proxy_core::container::ContainerProxyAny

pub mod guard;
pub mod page;
pub mod stream;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{middleware, Json, Router};
use futures_util::stream::{Stream, StreamExt as _};

use crate::api::AppState;
use stream::{LiveSnapshot, Message};

/// How often an idle event stream sends a comment, so that proxies and browsers
/// keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How long a browser waits before reconnecting a dropped stream.
const RETRY: Duration = Duration::from_secs(2);

/// The live view's routes, for the API's router to merge.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(page))
        .route("/live/events", get(events))
        .route("/live/snapshot", get(snapshot))
        .route("/live/diagram.svg", get(diagram))
        .route_layer(middleware::from_fn(guard::loopback_only))
}

async fn page() -> impl IntoResponse {
    let page = &*page::PAGE;
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, page.policy.as_str()),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        page.html.as_str(),
    )
}

async fn diagram() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "no-store")], page::DIAGRAM.as_str())
}

async fn snapshot(State(state): State<Arc<AppState>>) -> Json<LiveSnapshot> {
    Json(LiveSnapshot::of(&state.board))
}

async fn events(State(state): State<Arc<AppState>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let draining = Arc::clone(&state);
    let messages = stream::messages(Arc::clone(&state.board), move || draining.is_draining());
    Sse::new(messages.map(|message| Ok(event(&message)))).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// One message as an SSE event: its JSON as the data.
fn event(message: &Message) -> Event {
    let event = match Event::default().json_data(message) {
        Ok(event) => event,
        // The board's types are plain data; if one ever failed, say so in-band.
        Err(error) => Event::default().comment(format!("not serialisable: {error}")),
    };
    match message {
        Message::Snapshot(_) => event.retry(RETRY),
        Message::Update(_) => event,
    }
}
