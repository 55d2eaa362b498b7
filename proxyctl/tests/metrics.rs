//! `GET /metrics` and the server's logging, end to end: the real `proxyctl serve` on
//! a loopback port 0, its scrape parsed as Prometheus would (every family with its
//! `# HELP` and `# TYPE`, escaped labels, cumulative buckets), its counts checked
//! against the activations it answered; and its stderr as text or JSON, filtered by
//! `RUST_LOG`. The metrics scenario runs once per backend (`docker::*` skips without
//! an engine unless `PROXY_REQUIRE_DOCKER=1`; `process::*` needs none).

#[macro_use]
mod common;

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{script, serial, Backend, Server};
use nix::sys::signal::Signal;
use proxy_core::container::ContainerProxyAny;
use serde_json::Value;

const ECHO: &str = "#!/bin/sh\necho \"{\\\"args\\\": $1}\"";

on_both_backends!(metrics_count_cold_warm_and_failed_activations);

/// A scrape's answer: status, headers (names in lower case) and the text.
struct Scraped {
    status: u16,
    headers: BTreeMap<String, String>,
    text: String,
}

/// `GET /metrics` without credentials, as Prometheus scrapes.
fn scrape(port: u16) -> Scraped {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(stream, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("the answer");
    let (head, text) = raw.split_once("\r\n\r\n").expect("head and body");
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)?.parse().ok()).expect("status");
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    // A known length, not chunks: what is read is the whole text.
    assert_eq!(headers.get("content-length").map(String::as_str), Some(text.len().to_string().as_str()));
    Scraped { status, headers, text: text.to_string() }
}

/// One sample: its series' name, labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A parsed scrape.
#[derive(Debug, Default)]
struct Metrics {
    samples: Vec<Sample>,
    types: BTreeMap<String, String>,
}

/// Parses the text format 0.0.4, failing on any sample whose family was not
/// declared before it with both `# HELP` and `# TYPE`.
fn parse(text: &str) -> Metrics {
    let mut metrics = Metrics::default();
    let mut helps = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("help text");
            assert!(helps.insert(name.to_string(), help.to_string()).is_none(), "two HELPs of {name}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("type");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            assert!(
                metrics.types.insert(name.to_string(), kind.to_string()).is_none(),
                "two TYPEs of {name}"
            );
            continue;
        }
        assert!(!line.is_empty() && !line.starts_with('#'), "unexpected line {line:?}");
        let sample = parse_sample(line);
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                let base = sample.name.strip_suffix(suffix)?;
                (metrics.types.get(base).map(String::as_str) == Some("histogram")).then_some(base)
            })
            .unwrap_or(&sample.name)
            .to_string();
        assert!(metrics.types.contains_key(&family) && helps.contains_key(&family), "{family} undeclared");
        metrics.samples.push(sample);
    }
    metrics
}

/// `name{label="value",..} number`, with the label values' escapes undone.
fn parse_sample(line: &str) -> Sample {
    let name_end = line.find(['{', ' ']).expect("a value");
    let name = line[..name_end].to_string();
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices();
        loop {
            let start = chars.clone().next().expect("label").0;
            let eq = inner[start..].find('=').expect("label=") + start;
            let label = inner[start..eq].to_string();
            for _ in start..=eq {
                chars.next();
            }
            assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "{line}");
            let mut value = String::new();
            loop {
                match chars.next().expect("closing quote").1 {
                    '\\' => match chars.next().expect("escape").1 {
                        'n' => value.push('\n'),
                        c @ ('\\' | '"') => value.push(c),
                        c => panic!("bad escape \\{c} in {line}"),
                    },
                    '"' => break,
                    c => value.push(c),
                }
            }
            labels.insert(label, value);
            match chars.next().expect("`,` or `}`") {
                (_, ',') => continue,
                (at, '}') => {
                    rest = &inner[at + 1..];
                    break;
                }
                (_, c) => panic!("unexpected {c:?} in {line}"),
            }
        }
    }
    let value = number(rest.strip_prefix(' ').expect("space before the value"));
    Sample { name, labels, value }
}

/// A value or an `le`, in Go's float syntax.
fn number(text: &str) -> f64 {
    match text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().unwrap_or_else(|_| panic!("not a number: {v:?}")),
    }
}

impl Metrics {
    /// The value of the one series `name` with exactly `labels`.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let wanted: BTreeMap<String, String> =
            labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let found: Vec<f64> =
            self.samples.iter().filter(|s| s.name == name && s.labels == wanted).map(|s| s.value).collect();
        assert_eq!(found.len(), 1, "one {name}{labels:?}, found {found:?}");
        found[0]
    }

    /// Histogram `name`'s count with `labels`, after checking that its buckets
    /// ascend, are cumulative and end with `+Inf` at the count.
    fn histogram_count(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let bucket = format!("{name}_bucket");
        let buckets: Vec<(f64, f64)> = self
            .samples
            .iter()
            .filter(|s| {
                s.name == bucket
                    && s.labels.len() == labels.len() + 1
                    && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| (number(&s.labels["le"]), s.value))
            .collect();
        assert!(buckets.len() > 1, "{name}{labels:?} has buckets");
        assert!(buckets.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1), "{buckets:?}");
        let count = self.get(&format!("{name}_count"), labels);
        assert_eq!(buckets.last().copied(), Some((f64::INFINITY, count)), "{name}{labels:?}");
        count
    }
}

/// The annotation `key` of an answered activation, in ms.
fn annotation_ms(activation: &Value, key: &str) -> Option<u64> {
    activation["annotations"].as_array()?.iter().find(|a| a["key"] == key)?["value"].as_u64()
}

fn invoke(server: &Server, name: &str, status: u16) -> Value {
    let answer = server.call("POST", &format!("/api/v1/namespaces/_/actions/{name}?blocking=true"), None);
    assert_eq!(answer.status, status, "{name}: {:?}", answer.body);
    answer.body
}

fn metrics_count_cold_warm_and_failed_activations(backend: Backend) {
    let Some(_serial) = serial(backend) else { return };
    let mut server = Server::new("metrics", backend, &[]);
    server.start();

    let first = scrape(server.port);
    assert_eq!(first.status, 200, "unauthenticated: {}", first.text);
    let content_type = first.headers.get("content-type").cloned().unwrap_or_default();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let before = parse(&first.text);
    let outcomes = ["success", "application_error", "developer_error", "whisk_error"];
    for outcome in outcomes {
        for start in ["cold", "warm"] {
            let labels = [("outcome", outcome), ("start", start)];
            assert_eq!(before.get("proxyctl_activations_total", &labels), 0.0);
        }
    }
    assert_eq!(before.types["proxyctl_activation_duration_seconds"], "histogram");

    server.put_action("echo", script(ECHO));
    let cold = invoke(&server, "echo", 200);
    assert!(annotation_ms(&cold, "initTime").is_some(), "the first is cold: {cold}");
    // Once the board shows the container Ready, the pool has it free: the next run
    // takes it, warm.
    let deadline = Instant::now() + Duration::from_secs(10);
    while parse(&scrape(server.port).text).get("proxyctl_containers", &[("state", "Ready")]) < 1.0 {
        assert!(Instant::now() < deadline, "no container Ready within 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    let warm = invoke(&server, "echo", 200);
    assert_eq!(annotation_ms(&warm, "initTime"), None, "the second is warm: {warm}");
    server.put_action("fails", script("#!/bin/sh\necho '{\"error\": \"no\"}'"));
    let failed = invoke(&server, "fails", 502);
    assert!(annotation_ms(&failed, "initTime").is_some(), "a new action starts cold: {failed}");

    // Each blocking answer came after its record was stored, so after it was counted.
    let after = parse(&scrape(server.port).text);
    let count =
        |outcome, start| after.get("proxyctl_activations_total", &[("outcome", outcome), ("start", start)]);
    assert_eq!((count("success", "cold"), count("success", "warm")), (1.0, 1.0));
    assert_eq!((count("application_error", "cold"), count("application_error", "warm")), (1.0, 0.0));
    for outcome in ["developer_error", "whisk_error"] {
        assert_eq!((count(outcome, "cold"), count(outcome, "warm")), (0.0, 0.0), "{outcome}");
    }

    let by_start = [("cold", vec![&cold, &failed]), ("warm", vec![&warm])];
    for (start, activations) in &by_start {
        let labels = [("start", *start)];
        let n = activations.len() as f64;
        assert_eq!(after.histogram_count("proxyctl_activation_duration_seconds", &labels), n, "{start}");
        assert_eq!(after.histogram_count("proxyctl_activation_wait_seconds", &labels), n, "{start}");
        // The documents carry whole ms (truncated); the histogram the exact durations.
        let ms: u64 = activations.iter().map(|a| a["duration"].as_u64().unwrap()).sum();
        let sum = after.get("proxyctl_activation_duration_seconds_sum", &labels) * 1000.0;
        assert!(sum >= ms as f64 && sum < ms as f64 + n, "{start}: sum {sum} ms, documents {ms} ms");
        let waited: u64 = activations.iter().map(|a| annotation_ms(a, "waitTime").unwrap()).sum();
        let sum = after.get("proxyctl_activation_wait_seconds_sum", &labels);
        assert!((sum - waited as f64 / 1000.0).abs() < 1e-9, "{start}: wait sum {sum} s, {waited} ms");
    }
    assert_eq!(after.histogram_count("proxyctl_activation_init_seconds", &[]), 2.0);
    let inits = annotation_ms(&cold, "initTime").unwrap() + annotation_ms(&failed, "initTime").unwrap();
    let sum = after.get("proxyctl_activation_init_seconds_sum", &[]);
    assert!((sum - inits as f64 / 1000.0).abs() < 1e-9, "init sum {sum} s, {inits} ms");

    for state in ContainerProxyAny::META.states {
        let n = after.get("proxyctl_containers", &[("state", state.name)]);
        assert!(n >= 0.0 && n.fract() == 0.0, "{}: {n}", state.name);
    }
    assert!(after.get("proxyctl_containers", &[("state", "Ready")]) >= 1.0, "echo's container stays warm");
    assert!(after.get("proxyctl_pool_memory_mb", &[]) >= 128.0, "at least echo's 128 MB");
    assert_eq!(after.get("proxyctl_pool_buffered", &[]), 0.0);
    assert!(after.get("proxyctl_pool_activations_in_flight", &[]) >= 0.0);
    assert_eq!(server.signal(Signal::SIGTERM).code(), Some(0));
}

/// Whether process `pid` catches SIGTERM yet (its `SigCgt` mask in /proc): a SIGTERM
/// before the server's handler is installed would kill it, not drain it.
fn catches_sigterm(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let mask = status.lines().find_map(|l| l.strip_prefix("SigCgt:")).map(str::trim).unwrap_or("0");
    u64::from_str_radix(mask, 16).is_ok_and(|mask| mask & (1 << (Signal::SIGTERM as u64 - 1)) != 0)
}

/// Starts `proxyctl serve` on the process backend with `flags` and `RUST_LOG`,
/// drains it with SIGTERM once it listens and catches the signal, and gives its
/// stderr's lines and its exit.
fn serve_stderr(flags: &[&str], rust_log: &str) -> (Vec<String>, ExitStatus) {
    let mut server = Server::new("logs", Backend::Process, &[]);
    let runtime = proxy_suite::runtime::native_runtime().unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_proxyctl"))
        .args(["serve", "--backend", "process", "--addr", "127.0.0.1:0", "--instance", &server.instance])
        .arg("--data-dir")
        .arg(server.dir.path())
        .arg("--runtime-binary")
        .arg(runtime)
        .args(flags)
        .env("RUST_LOG", rust_log)
        .env("DOCKER_HOST", server.no_engine())
        .env("TMPDIR", server.temp_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn proxyctl");
    let mut stderr = child.stderr.take().expect("stderr");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).expect("stderr");
        text
    });
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let pid = child.id();
    // The guard kills the server if the test fails before the drain.
    server.child = Some(child);
    let mut lines = stdout.lines();
    lines
        .by_ref()
        .map(|line| line.expect("stdout"))
        .find(|line| line.contains("listening on"))
        .expect("serve printed its address");
    std::thread::spawn(move || for _ in lines {});
    let deadline = Instant::now() + Duration::from_secs(10);
    while !catches_sigterm(pid) {
        assert!(Instant::now() < deadline, "serve did not install its SIGTERM handler within 10 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = server.signal(Signal::SIGTERM);
    let text = stderr.join().expect("stderr reader");
    (text.lines().filter(|l| !l.trim().is_empty()).map(String::from).collect(), status)
}

#[test]
fn log_json_writes_json_objects_and_rust_log_filters() {
    let Some(_serial) = serial(Backend::Process) else { return };

    let (lines, status) = serve_stderr(&["--log-json"], "info");
    assert_eq!(status.code(), Some(0), "{lines:#?}");
    let events: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    for event in &events {
        assert!(event["timestamp"].is_string() && event["level"].is_string(), "{event}");
        assert!(event["fields"]["message"].is_string() && event["target"].is_string(), "{event}");
    }
    let ready = events.iter().find(|e| e["fields"]["message"] == "ready").expect("a ready event");
    assert_eq!(ready["level"], "INFO");
    assert!(ready["fields"]["ready_ms"].is_u64(), "{ready}");
    assert!(ready["fields"]["addr"].as_str().is_some_and(|a| a.starts_with("127.0.0.1:")), "{ready}");
    assert!(events.iter().any(|e| e["fields"]["message"] == "stopped"), "{events:#?}");

    let (lines, status) = serve_stderr(&["--log-json"], "error");
    assert_eq!(status.code(), Some(0), "{lines:#?}");
    assert!(lines.iter().all(|l| !l.contains("\"ready\"") && !l.contains("\"stopped\"")), "{lines:#?}");
    for line in &lines {
        let event: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert_eq!(event["level"], "ERROR", "RUST_LOG=error lets errors only through: {event}");
    }

    // Without the flag: text, the same event.
    let (lines, status) = serve_stderr(&[], "info");
    assert_eq!(status.code(), Some(0), "{lines:#?}");
    let ready = lines.iter().find(|l| l.contains("ready")).unwrap_or_else(|| panic!("{lines:#?}"));
    assert!(serde_json::from_str::<Value>(ready).is_err() && ready.contains("INFO"), "{ready}");
}
