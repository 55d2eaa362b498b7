//! The container table's Mermaid text (`ContainerProxyAny::to_mermaid()`, what the
//! handle's rustdoc carries below its SVG), and a table with the constructs it
//! lacks, rendered by Mermaid itself, in a real
//! headless browser, Debian's `chromium`: it must parse, draw, and keep every row's
//! label. Mermaid draws the transitions between two states as one edge with one
//! label, so the text has to put a pair's rows on one edge; a line per row rendered
//! fine but showed one event of the five on `Running --> Running`.
//!
//! Mermaid is the `mermaid.min.js` of PyPI's `artoo-mermaid` wheel, which
//! `scripts/test.sh` unpacks into `target/test-artefacts/mermaid/` (nothing is
//! fetched at run time: the page loads the file from disk). `PROXY_MERMAID_JS` and
//! `PROXY_CHROMIUM` name other copies. Without either the test says it skipped; with
//! `PROXY_REQUIRE_BROWSER=1` (set by `scripts/test.sh` under CI) that is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};
use std::{env, fs};

use proxy_core::container::ContainerProxyAny;
use proxy_core::machine::lifecycle;

// A table with what the container table lacks: nested superstates with rows, a
// guard, a wildcard, a superstate's timeout and deferral, and entry and exit actions
// on a state and on superstates, drawn as notes. Only its `to_mermaid()` is used, so
// its handlers are not implemented.
lifecycle! {
    machine Upload {
        context: ();
        initial: Queued;
        terminal: [Gone];
        entry: [Online, Sending];
        exit: [Online, Checking];
        states { Queued, Connecting(u8), Sending(u64), Throttled(u64), Checking, Gone }
        events { Start, Open, Chunk(u64), Slow, Fast, Verify, Done, Drop, Cancel }
        superstates { Online: [Connecting, Busy], Busy: [Sending, Throttled, Checking] }
        transitions {
            Queued + Start => Connecting,
            Connecting + Open => Sending,
            Sending + Chunk => Sending,
            Sending + Slow => Throttled,
            Throttled + Fast => Sending,
            Sending + Verify => Checking,
            Busy + Done if complete => Gone,
            Busy + Done => Queued,
            Online + Drop => Queued,
            _ + Cancel => Gone,
        }
        // A duration written with what Mermaid cannot take in a label: `::`, `;`, `<>`.
        timeouts {
            Busy after { let secs = <u64 as From<u8>>::from(30); core::time::Duration::from_secs(secs) } => Done
        }
        defer { Online: [Start] }
    }
}

fn require_browser() -> bool {
    env::var("PROXY_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

/// The browser: `PROXY_CHROMIUM`, else `chromium` or `chromium-browser` on the PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = env::var_os("PROXY_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Mermaid's script: `PROXY_MERMAID_JS`, else the `mermaid-<version>.min.js` that
/// `scripts/test.sh` put in `target/test-artefacts/mermaid/`.
fn mermaid_js() -> Option<PathBuf> {
    if let Some(path) = env::var_os("PROXY_MERMAID_JS") {
        return Some(PathBuf::from(path)).filter(|path| path.is_file());
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-artefacts/mermaid");
    fs::read_dir(dir).ok()?.filter_map(Result::ok).map(|entry| entry.path()).find(|path| {
        path.file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with("mermaid") && name.ends_with(".min.js"))
    })
}

/// The labels of the text's edges, one per row: `A --> B: x<br/>y` gives `x` and `y`.
fn text_labels(mermaid: &str) -> Vec<String> {
    mermaid
        .lines()
        .filter(|line| line.contains("-->"))
        .filter_map(|line| line.split_once(": ").map(|(_, labels)| labels))
        .flat_map(|labels| labels.split("<br/>").map(str::to_owned))
        .collect()
}

/// The labels Mermaid drew: the text of each `<span class="edgeLabel"><p>..</p>`,
/// split at its line breaks, unescaped.
fn drawn_labels(dom: &str) -> Vec<String> {
    dom.split(r#"<span class="edgeLabel"><p>"#)
        .skip(1)
        .filter_map(|rest| rest.split_once("</p>").map(|(text, _)| text))
        .flat_map(|text| text.split("<br>").map(unescape))
        .filter(|label| !label.is_empty())
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A page that renders `mermaid` with the script at `script` and says how it went in
/// its title: `RENDERED`, or `PARSE-ERROR ..` / `RENDER-ERROR ..` with Mermaid's message.
fn page(mermaid: &str, script: &Path) -> String {
    format!(
        r#"<!doctype html><html><head><title>LOADING</title></head><body>
<pre class="mermaid" id="diagram">{text}</pre>
<script src="file://{script}"></script>
<script>
const node = document.getElementById('diagram');
mermaid.initialize({{ startOnLoad: false }});
mermaid.parse(node.textContent).then(
  () => mermaid.run({{ nodes: [node] }}).then(
    () => {{ document.title = 'RENDERED'; }},
    (e) => {{ document.title = 'RENDER-ERROR ' + e; }}),
  (e) => {{ document.title = 'PARSE-ERROR ' + e; }});
</script></body></html>"#,
        text = escape(mermaid),
        script = script.display(),
    )
}

/// Renders `mermaid` with Mermaid in headless chromium and checks that it drew every
/// row's label once; `false` if the browser or Mermaid's script is missing (a skip).
fn assert_drawn(name: &str, mermaid: &str, rows_at_least: usize) -> bool {
    let (Some(browser), Some(script)) = (chromium(), mermaid_js()) else {
        let message = "no chromium on the PATH or no mermaid.min.js (scripts/test.sh installs both)";
        assert!(!require_browser(), "PROXY_REQUIRE_BROWSER=1 but {message}");
        eprintln!("skipped: {message}");
        return false;
    };
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let dir = env::temp_dir().join(format!("proxy-mermaid-{name}-{}-{nanos}", std::process::id()));
    fs::create_dir_all(&dir).expect("a temp dir");
    let html = dir.join("diagram.html");
    fs::write(&html, page(mermaid, &script)).expect("write the page");
    let output = Command::new(&browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        // Scripts run in virtual time until the page is idle or the budget is spent.
        .arg("--virtual-time-budget=20000")
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("run chromium");
    let _ = fs::remove_dir_all(&dir);
    let dom = String::from_utf8_lossy(&output.stdout);
    let title = dom.split_once("<title>").and_then(|(_, rest)| rest.split_once("</title>")).map(|(t, _)| t);
    assert_eq!(
        title,
        Some("RENDERED"),
        "Mermaid did not draw {name}:\n{mermaid}\nchromium's stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dom.contains("<svg"), "no SVG in the page of {name}");

    let mut expected = text_labels(mermaid);
    let mut drawn = drawn_labels(&dom);
    assert!(expected.len() >= rows_at_least, "{name} has at least {rows_at_least} rows: {expected:?}");
    expected.sort();
    drawn.sort();
    assert_eq!(drawn, expected, "{name}: every row's label drawn once, none lost in a merged edge");
    true
}

#[test]
fn mermaid_draws_the_container_table_with_every_rows_label() {
    assert_drawn("ContainerProxy", &ContainerProxyAny::to_mermaid(), 30);
}

#[test]
fn mermaid_draws_nested_superstates_guards_wildcards_and_actions() {
    let upload = UploadAny::to_mermaid();
    assert!(upload.contains("[complete]") && upload.contains("state Busy {"), "{upload}");
    assert!(upload.contains("note left of Online"), "{upload}");
    let timeout =
        upload.lines().find(|l| l.starts_with("    Busy --> Gone: after")).expect("the timeout's edge");
    assert!(timeout.ends_with("/ Done [complete]"), "one line: {timeout}");
    let (_, label) = timeout.split_once(": ").expect("a labelled edge");
    for (look_alike, of) in [('\u{2237}', "::"), ('\u{37e}', ";"), ('\u{2039}', "<"), ('\u{203a}', ">")] {
        assert!(label.contains(look_alike) && !label.contains(of), "{of} written as {look_alike}: {label}");
    }
    assert_drawn("Upload", &upload, 10);
}

#[test]
fn the_label_readers_see_lines_and_breaks() {
    let text = "stateDiagram-v2\n    [*] --> A\n    A --> A: X<br/>Y [fits]\n    A --> B: after cx.t() / Z\n";
    assert_eq!(text_labels(text), ["X", "Y [fits]", "after cx.t() / Z"]);
    let dom = r#"<g><span class="edgeLabel"></span><span class="edgeLabel"><p>X<br>Y [fits]</p></span><span class="edgeLabel"><p>a &lt; b</p></span></g>"#;
    assert_eq!(drawn_labels(dom), ["X", "Y [fits]", "a < b"]);
}
