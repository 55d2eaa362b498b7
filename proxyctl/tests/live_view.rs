//! The live view end to end: the real `proxyctl serve` on the process backend (no
//! engine needed), and the page in a real headless browser, Debian's `chromium`,
//! driven over the Chrome DevTools Protocol. The page must load with nothing from
//! elsewhere, show the stream open and no container, then show the container an
//! invocation made, in its warm idle state on the diagram, and the cold and warm
//! counts move without a reload. A screenshot is kept as a test artefact
//! (`target/test-artefacts/live-view.png`, or under `CARGO_TARGET_DIR`).
//!
//! Without chromium the browser test says it skipped; with `PROXY_REQUIRE_BROWSER=1`
//! (as `scripts/test.sh` sets in CI) that is a failure. `PROXY_CHROMIUM` names
//! another browser binary.

mod common;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{script, serial, Backend, Server};
use nix::sys::signal::Signal;
use serde_json::{json, Value};

const HELLO: &str = "#!/bin/sh\necho '{\"hello\": \"live\"}'";

/// How long a step may take before the test fails saying which.
const STEP: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------
// The browser.

/// The browser binary: `PROXY_CHROMIUM`, else `chromium` or `chromium-browser` on
/// the PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PROXY_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// A headless chromium with a profile of its own, killed (its whole process group)
/// and its profile removed when dropped, however the test ends.
struct Browser {
    child: Child,
    /// The DevTools websocket of the browser.
    endpoint: String,
    /// The last lines of its stderr, for failure messages.
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// The profile and the browser's temp files; dropped after the kill (fields
    /// drop after `Drop::drop`), which removes them.
    _profile: tempfile::TempDir,
}

impl Browser {
    fn launch(binary: &PathBuf) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        // Chromium keeps its singleton socket in a directory of its own under TMPDIR,
        // which a killed browser leaves behind: so TMPDIR is inside the profile too.
        let tmp = profile.path().join("tmp");
        std::fs::create_dir(&tmp).expect("the browser's temp dir");
        let mut child = Command::new(binary)
            .args(["--headless=new", "--remote-debugging-port=0", "--no-sandbox"])
            .arg(format!("--user-data-dir={}", profile.path().join("profile").display()))
            .env("TMPDIR", &tmp)
            .args([
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-gpu",
                "--disable-dev-shm-usage",
            ])
            .args(["--disable-extensions", "--disable-background-networking", "--disable-sync"])
            .arg("about:blank")
            // Its own process group, so that the renderer and GPU processes go with it.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        let (found, endpoint) = mpsc::channel();
        let lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let tail = Arc::clone(&stderr);
        // Reads stderr to its end (a full pipe would stall chromium), passing on the
        // DevTools address and keeping the last lines.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = found.send(url.trim().to_owned());
                }
                let mut tail = tail.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if tail.len() == 40 {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        });
        let mut browser = Browser { child, endpoint: String::new(), stderr, _profile: profile };
        match endpoint.recv_timeout(STEP) {
            Ok(url) => browser.endpoint = url,
            Err(_) => panic!(
                "chromium printed no `DevTools listening on` line within {STEP:?}:\n{}",
                browser.tail()
            ),
        }
        browser
    }

    fn tail(&self) -> String {
        let tail = self.stderr.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let group = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::SIGKILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------
// The Chrome DevTools Protocol, the little of it the test needs.

/// One websocket to the browser, commands sent to one page (a flat session).
struct Cdp {
    socket: tungstenite::WebSocket<TcpStream>,
    next_id: u64,
    session: Option<String>,
    /// Every event received so far (method and params), in order.
    events: Vec<Value>,
}

impl Cdp {
    fn connect(endpoint: &str) -> Cdp {
        let authority = endpoint
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("not a ws:// address: {endpoint}"));
        let stream = TcpStream::connect(authority).expect("connect to chromium's DevTools");
        // A browser that stops answering fails the step instead of hanging the test.
        stream.set_read_timeout(Some(STEP)).expect("read timeout");
        let (socket, _) = tungstenite::client(endpoint, stream).expect("DevTools websocket handshake");
        Cdp { socket, next_id: 0, session: None, events: Vec::new() }
    }

    /// Sends `method` and waits for its answer, keeping the events that come first.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = &self.session {
            message["sessionId"] = json!(session);
        }
        self.socket.send(tungstenite::Message::text(message.to_string())).expect("send to chromium");
        loop {
            let frame = self.socket.read().unwrap_or_else(|e| panic!("no answer to {method}: {e}"));
            let tungstenite::Message::Text(text) = frame else { continue };
            let answer: Value = serde_json::from_str(&text).expect("DevTools sends JSON");
            if answer["id"] == id {
                if let Some(error) = answer.get("error") {
                    panic!("{method} failed: {error}");
                }
                return answer["result"].clone();
            }
            if answer.get("method").is_some() {
                self.events.push(answer);
            }
        }
    }

    /// A new page, and this connection's commands going to it from now on.
    fn open_page(&mut self) {
        let target = self.call("Target.createTarget", json!({"url": "about:blank"}));
        let target = target["targetId"].as_str().expect("targetId").to_owned();
        let attached = self.call("Target.attachToTarget", json!({"targetId": target, "flatten": true}));
        self.session = Some(attached["sessionId"].as_str().expect("sessionId").to_owned());
    }

    /// `expression` evaluated in the page, its JSON value.
    fn evaluate(&mut self, expression: &str) -> Value {
        let answer = self.call("Runtime.evaluate", json!({"expression": expression, "returnByValue": true}));
        if let Some(exception) = answer.get("exceptionDetails") {
            panic!("{expression} threw: {exception}");
        }
        answer["result"]["value"].clone()
    }

    /// The events named `method` seen so far.
    fn seen(&self, method: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["method"] == method).collect()
    }
}

/// What the page shows, read from its DOM as a person would read the screen.
/// (`loaded: false` while the navigation has not replaced `about:blank` yet.)
const PROBE: &str = r##"(() => document.readyState !== "complete" || document.getElementById("conn") === null ? JSON.stringify({loaded: false}) : JSON.stringify({
  loaded: true,
  connection: document.getElementById("conn").dataset.state,
  noContainers: !document.getElementById("no-containers").hidden,
  cold: document.getElementById("stat-cold").textContent,
  warm: document.getElementById("stat-warm").textContent,
  p50: document.getElementById("stat-p50").textContent,
  rows: [...document.querySelectorAll("#containers tbody tr")].map((tr) => ({
    state: tr.dataset.state,
    cells: [...tr.cells].map((td) => td.textContent),
    selected: tr.classList.contains("selected"),
  })),
  occupied: [...document.querySelectorAll("#diagram g.state.occupied")].map((g) => [
    g.dataset.state, g.querySelector(".badge text").textContent]),
  selected: [...document.querySelectorAll("#diagram g.state.selected")].map((g) => g.dataset.state),
  activations: document.querySelectorAll("#activations tbody tr").length,
  marker: window.liveViewTestMarker ?? null,
}))()"##;

fn probe(cdp: &mut Cdp) -> Value {
    let text = cdp.evaluate(PROBE);
    serde_json::from_str(text.as_str().expect("the probe gives a string")).expect("probe JSON")
}

/// Polls the page until `done` holds, at most [`STEP`]; fails naming `what`.
fn wait_for(cdp: &mut Cdp, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + STEP;
    loop {
        let shown = probe(cdp);
        if done(&shown) {
            return shown;
        }
        assert!(
            Instant::now() < deadline,
            "the page did not show {what} within {STEP:?}; it shows {shown:#}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Where test artefacts go: `$CARGO_TARGET_DIR/test-artefacts`, else the
/// workspace's `target/test-artefacts`.
fn artefacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| common::workspace().join("target"));
    let dir = target.join("test-artefacts");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

fn require_browser() -> bool {
    std::env::var("PROXY_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

// ---------------------------------------------------------------------------------
// The tests.

#[test]
fn the_page_follows_invocations_in_a_real_browser() {
    let Some(binary) = chromium() else {
        let message = "no chromium on the PATH (install it: apt-get install -y chromium)";
        assert!(!require_browser(), "PROXY_REQUIRE_BROWSER=1 but {message}");
        eprintln!("skipped: {message}");
        return;
    };
    let Some(_serial) = serial(Backend::Process) else { return };
    let started = Instant::now();
    let mut server = Server::new("live", Backend::Process, &[]);
    server.start();
    let origin = format!("http://127.0.0.1:{}", server.port);

    let browser = Browser::launch(&binary);
    let mut cdp = Cdp::connect(&browser.endpoint);
    cdp.open_page();
    for domain in ["Page.enable", "Network.enable", "Runtime.enable", "Log.enable"] {
        cdp.call(domain, json!({}));
    }
    cdp.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1360, "height": 1000, "deviceScaleFactor": 1, "mobile": false}),
    );
    let navigated = cdp.call("Page.navigate", json!({"url": format!("{origin}/")}));
    assert!(navigated.get("errorText").is_none(), "navigation failed: {navigated}\n{}", browser.tail());

    let empty = wait_for(&mut cdp, "the stream open and no container", |s| {
        s["connection"] == "open" && s["noContainers"] == true && s["rows"] == json!([])
    });
    assert_eq!((empty["cold"].as_str(), empty["warm"].as_str()), (Some("0"), Some("0")));
    assert_eq!(empty["occupied"], json!([]));
    // Set in the page: still there at the end means nothing reloaded it.
    cdp.evaluate("window.liveViewTestMarker = 'no reload'");

    server.put_action("hello", script(HELLO));
    let invoke = "/api/v1/namespaces/_/actions/hello?blocking=true";
    let first = server.call("POST", invoke, None);
    assert_eq!(first.status, 200, "{:?}", first.body);
    // Warm and idle: `Ready`, or `Paused` if the pause grace (10 s) already passed.
    let warm_idle = |state: &Value| state == "Ready" || state == "Paused";
    let cold = wait_for(&mut cdp, "the container warm and idle after a cold start", |s| {
        let row = &s["rows"][0];
        s["rows"].as_array().map(Vec::len) == Some(1)
            && warm_idle(&row["state"])
            && row["cells"][2] == "/guest/hello"
            && row["cells"][3] == "cold"
            && row["cells"][4] == "1"
            && s["cold"] == "1"
            && s["warm"] == "0"
    });
    let state = cold["rows"][0]["state"].clone();
    assert_eq!(cold["occupied"], json!([[state, "1"]]), "the diagram marks the container's state");
    assert_ne!(cold["p50"], "–", "a latency once an activation ended");

    let second = server.call("POST", invoke, None);
    assert_eq!(second.status, 200, "{:?}", second.body);
    let warm = wait_for(&mut cdp, "the second run, warm, without a reload", |s| {
        let row = &s["rows"][0];
        s["warm"] == "1"
            && s["cold"] == "1"
            && row["cells"][4] == "2"
            && warm_idle(&row["state"])
            && s["activations"] == 2
    });
    assert_eq!(warm["marker"], "no reload");
    assert_eq!(warm["rows"][0]["cells"][3], "warmed", "{warm:#}");

    // Selecting the container marks its state on the diagram.
    cdp.evaluate(r##"document.querySelector("#containers tbody tr").click()"##);
    let selected = wait_for(&mut cdp, "the selected container's state", |s| {
        s["rows"][0]["selected"] == true && s["selected"].as_array().map(Vec::len) == Some(1)
    });
    assert_eq!(selected["selected"][0], selected["rows"][0]["state"]);

    // Everything the page loaded came from the server itself.
    let urls: Vec<String> = cdp
        .seen("Network.requestWillBeSent")
        .iter()
        .filter_map(|e| e["params"]["request"]["url"].as_str().map(str::to_owned))
        .collect();
    assert!(
        urls.contains(&format!("{origin}/")) && urls.contains(&format!("{origin}/live/events")),
        "{urls:?}"
    );
    let foreign: Vec<&String> =
        urls.iter().filter(|u| !u.starts_with(&origin) && !u.starts_with("data:")).collect();
    assert!(foreign.is_empty(), "the page fetched from elsewhere: {foreign:?}");
    let errors: Vec<&Value> = cdp
        .seen("Runtime.exceptionThrown")
        .into_iter()
        .chain(cdp.seen("Log.entryAdded").into_iter().filter(|e| e["params"]["entry"]["level"] == "error"))
        .collect();
    assert!(errors.is_empty(), "the page reported errors (a blocked load, a script error): {errors:#?}");

    let shot = cdp.call("Page.captureScreenshot", json!({"format": "png", "captureBeyondViewport": true}));
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot["data"].as_str().expect("screenshot data"))
        .expect("base64 PNG");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let path = artefacts().join("live-view.png");
    std::fs::write(&path, &png).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    println!(
        "live view screenshot: {} ({} bytes, test took {:?})",
        path.display(),
        png.len(),
        started.elapsed()
    );
}

/// One GET over loopback on a new connection: status, headers (lower-case names), body.
fn get(port: u16, path: &str) -> (u16, Vec<(String, String)>, String) {
    get_at(IpAddr::from([127, 0, 0, 1]), port, path)
}

/// One GET to `ip` on a new connection: status, headers (lower-case names), body.
fn get_at(ip: IpAddr, port: u16, path: &str) -> (u16, Vec<(String, String)>, String) {
    let mut stream = TcpStream::connect((ip, port)).expect("connect");
    stream.set_read_timeout(Some(STEP)).expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {ip}:{port}\r\nConnection: close\r\n\r\n").expect("send");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a head");
    let mut lines = head.lines();
    let status =
        lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok()).expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[test]
fn the_page_snapshot_and_stream_over_plain_http() {
    let Some(_serial) = serial(Backend::Process) else { return };
    let mut server = Server::new("live-http", Backend::Process, &[]);
    server.start();

    let (status, headers, html) = get(server.port, "/");
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("text/html; charset=utf-8"));
    let policy = header(&headers, "content-security-policy").expect("a CSP");
    assert!(policy.starts_with("default-src 'none'") && policy.contains("connect-src 'self'"), "{policy}");
    assert!(html.contains("id=\"state-Ready\"") && html.contains("<svg"), "the diagram is inline");

    let (status, headers, svg) = get(server.port, "/live/diagram.svg");
    assert_eq!((status, header(&headers, "content-type")), (200, Some("image/svg+xml")));
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));

    // The live view needs no key; the API still does.
    let snapshot = server.call_as(None, "GET", "/live/snapshot", None);
    assert_eq!(snapshot.status, 200);
    assert_eq!(
        (snapshot.body["type"].as_str(), snapshot.body["containers"].clone()),
        (Some("snapshot"), json!([]))
    );
    assert_eq!(server.call_as(None, "GET", "/api/v1/namespaces/_/actions", None).status, 401);

    // The stream starts with the snapshot; then an invocation's transitions follow.
    let mut events = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    events.set_read_timeout(Some(STEP)).expect("timeout");
    write!(events, "GET /live/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").expect("send");
    let mut events = BufReader::new(events);
    let mut data = Vec::new();
    let mut next_data = |events: &mut BufReader<TcpStream>| loop {
        let mut line = String::new();
        assert!(events.read_line(&mut line).expect("read the stream") > 0, "the stream ended");
        // Chunked framing: the data lines are whole within a chunk.
        if let Some(json) = line.trim_end().strip_prefix("data: ") {
            let value: Value = serde_json::from_str(json).expect("event JSON");
            data.push(value.clone());
            return value;
        }
    };
    let first = next_data(&mut events);
    assert_eq!(first["type"], "snapshot", "{first}");
    server.put_action("hello", script(HELLO));
    assert_eq!(server.call("POST", "/api/v1/namespaces/_/actions/hello?blocking=true", None).status, 200);
    let deadline = Instant::now() + STEP;
    loop {
        let event = next_data(&mut events);
        if event["type"] == "activation" {
            assert_eq!((event["name"].as_str(), event["cold"].as_bool()), (Some("hello"), Some(true)));
            assert_eq!(event["stats"]["cold"], 1);
            break;
        }
        assert!(Instant::now() < deadline, "no activation event within {STEP:?}");
    }
    let states: Vec<&str> =
        data.iter().filter(|e| e["type"] == "container").filter_map(|e| e["state"].as_str()).collect();
    assert!(states.starts_with(&["Uninitialized"]) && states.contains(&"Running"), "{states:?}");

    // A drain ends the open stream instead of waiting out the 5 s for open requests.
    let draining = Instant::now();
    let status = server.signal(Signal::SIGTERM);
    assert!(status.success(), "{status:?}");
    let drained = draining.elapsed();
    assert!(drained < Duration::from_secs(4), "the drain waited {drained:?} for the open stream");
    let mut rest = String::new();
    let _ = events.read_to_string(&mut rest);
    assert!(
        rest.contains("\r\n0\r\n\r\n") || rest.ends_with("0\r\n\r\n"),
        "the stream ended cleanly: {rest:?}"
    );
}

/// This machine's IPv4 addresses that are not loopback (a Docker engine's bridge,
/// if nothing else): a connection to one comes from that address, not loopback.
fn non_loopback_ipv4() -> Option<IpAddr> {
    nix::ifaddrs::getifaddrs()
        .ok()?
        .filter_map(|interface| interface.address?.as_sockaddr_in().map(|a| IpAddr::from(a.ip())))
        .find(|ip| !ip.is_loopback())
}

/// The live view has no authentication, so a client from another address gets a
/// 403 that says how to reach it (a forwarded port); the API on the same listener
/// still answers such a client, with its own authentication.
#[test]
fn a_client_from_another_address_is_refused_the_live_view_not_the_api() {
    let Some(ip) = non_loopback_ipv4() else {
        assert!(!require_browser(), "no non-loopback IPv4 address on this machine to test from");
        eprintln!("skipped: no non-loopback IPv4 address on this machine to test from");
        return;
    };
    let Some(_serial) = serial(Backend::Process) else { return };
    let mut server = Server::new("live-remote", Backend::Process, &[]);
    server.addr = "0.0.0.0:0".into();
    server.start();

    for path in ["/", "/live/snapshot", "/live/events", "/live/diagram.svg"] {
        let (status, headers, body) = get_at(ip, server.port, path);
        assert_eq!(status, 403, "{path} from {ip}: {body}");
        assert_eq!(header(&headers, "content-type"), Some("text/plain; charset=utf-8"));
        assert!(body.contains("loopback clients only") && body.contains("ssh -L"), "{body}");
    }
    // From loopback, on the same listener, the page is served.
    assert_eq!(get(server.port, "/").0, 200);
    // The API answers any address and asks it for credentials.
    let (status, _, body) = get_at(ip, server.port, "/api/v1/namespaces/_/actions");
    assert_eq!(status, 401, "{body}");
    assert_eq!(server.signal(Signal::SIGTERM).code(), Some(0));
}
