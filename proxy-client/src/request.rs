//! The bodies the client sends: upstream's `ActionPut` (every field optional, so an
//! update sends only what changes) and an invocation's parameters.

use std::path::Path;

use base64::Engine as _;
use proxy_store::doc::{ExecDoc, KeyValue};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::ClientError;

/// The kind of an action that runs a script or a binary in the platform's own
/// runtime: upstream sends such a "native" action (`wsk action create --native`) as
/// kind `blackbox` with its code and the image [`NATIVE_IMAGE`], and the server
/// maps that image to its runtime (D44).
pub const NATIVE_KIND: &str = "blackbox";

/// The image upstream names for native actions (its `dockerskeleton`).
pub const NATIVE_IMAGE: &str = "openwhisk/dockerskeleton";

/// The body of `PUT .../actions/{name}`: upstream's `ActionPut`. Absent fields are
/// left out of the JSON, so that an update keeps what the server has.
///
/// ```
/// use proxy_client::request::{ActionPut, LimitsPut};
/// let put = ActionPut { limits: Some(LimitsPut { memory: Some(512), ..LimitsPut::default() }), ..ActionPut::default() };
/// assert_eq!(serde_json::to_string(&put).unwrap(), r#"{"limits":{"memory":512}}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ActionPut {
    /// What runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecDoc>,
    /// Limits to set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitsPut>,
    /// Default parameters (replacing the old ones).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Vec<KeyValue>>,
}

/// Upstream's `ActionLimits`, each field optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LimitsPut {
    /// Time limit in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// Memory in MB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<u64>,
    /// Log size in MB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logs: Option<u64>,
    /// Activations at once in one container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u64>,
}

impl LimitsPut {
    /// `None` when no limit is set, so that the body leaves `limits` out.
    pub fn if_any(self) -> Option<Self> {
        (self != LimitsPut::default()).then_some(self)
    }
}

/// How to build an action's `exec`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecSource<'a> {
    /// The file with the code (a script, or any binary).
    pub file: Option<&'a Path>,
    /// The runtime kind; [`NATIVE_KIND`] when not given.
    pub kind: Option<&'a str>,
    /// The image of a `blackbox` action.
    pub docker: Option<&'a str>,
    /// The entry point.
    pub main: Option<&'a str>,
}

impl ExecSource<'_> {
    /// The `exec` to send, or `None` when neither a file nor an image is given (an
    /// update that keeps the code). A file that is not UTF-8 text, or holds a NUL
    /// byte, goes base64 with `binary: true` (a zip, an executable); `--docker`
    /// makes a `blackbox` action, with the file's code beside the image if given.
    ///
    /// ```
    /// use proxy_client::request::{ExecSource, NATIVE_KIND};
    /// let dir = tempfile::tempdir().unwrap();
    /// let script = dir.path().join("hello.sh");
    /// std::fs::write(&script, "#!/bin/sh\necho '{}'\n").unwrap();
    /// let exec = ExecSource { file: Some(&script), ..ExecSource::default() }.exec().unwrap().unwrap();
    /// assert_eq!((exec.kind.as_str(), exec.binary), (NATIVE_KIND, false));
    /// let image = ExecSource { docker: Some("me/echo:1"), ..ExecSource::default() }.exec().unwrap().unwrap();
    /// assert_eq!((image.kind.as_str(), image.image.as_deref()), ("blackbox", Some("me/echo:1")));
    /// ```
    pub fn exec(&self) -> Result<Option<ExecDoc>, ClientError> {
        let code = self.file.map(read_code).transpose()?;
        let mut exec = match (self.docker, code) {
            (None, None) => return Ok(None),
            (Some(image), code) => {
                let mut exec = ExecDoc::blackbox(image);
                if let Some(code) = code {
                    (exec.code, exec.binary) = (Some(code.text), code.binary);
                }
                exec
            }
            (None, Some(code)) => {
                let kind = self.kind.unwrap_or(NATIVE_KIND);
                let mut exec = ExecDoc::code(kind, code.text);
                exec.binary = code.binary;
                if kind == NATIVE_KIND {
                    exec.image = Some(NATIVE_IMAGE.into());
                }
                exec
            }
        };
        exec.main = self.main.map(str::to_string);
        Ok(Some(exec))
    }
}

/// An action's code as sent.
struct Code {
    text: String,
    binary: bool,
}

fn read_code(path: &Path) -> Result<Code, ClientError> {
    let bytes = std::fs::read(path)
        .map_err(|source| ClientError::ReadActionFile { path: path.to_path_buf(), source })?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => Code { text, binary: false },
        Ok(text) => Code { text: base64::engine::general_purpose::STANDARD.encode(text), binary: true },
        Err(error) => {
            Code { text: base64::engine::general_purpose::STANDARD.encode(error.into_bytes()), binary: true }
        }
    })
}

/// A parameter's value as `wsk` reads `-p key value`: JSON when it parses as JSON
/// (`3`, `true`, `{"a":1}`, `"quoted"`), the plain string otherwise.
///
/// ```
/// use serde_json::json;
/// assert_eq!(proxy_client::request::param_value("3"), json!(3));
/// assert_eq!(proxy_client::request::param_value("{\"a\":1}"), json!({"a": 1}));
/// assert_eq!(proxy_client::request::param_value("world"), json!("world"));
/// ```
pub fn param_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// `-p key value` pairs (flattened, as clap collects them) as a JSON object, later
/// keys winning.
///
/// ```
/// let params = proxy_client::request::params(&["name".into(), "Ada".into(), "n".into(), "2".into()]);
/// assert_eq!(serde_json::Value::Object(params), serde_json::json!({"name": "Ada", "n": 2}));
/// ```
pub fn params(flat: &[String]) -> Map<String, Value> {
    flat.chunks_exact(2).map(|pair| (pair[0].clone(), param_value(&pair[1]))).collect()
}

/// The same pairs as upstream's `KeyValue` list (an action's default parameters),
/// in the order given; a repeated key keeps its first place and its last value.
///
/// ```
/// let flat: Vec<String> = ["b", "1", "a", "2", "b", "3"].map(String::from).to_vec();
/// let pairs = proxy_client::request::key_values(&flat);
/// assert_eq!(pairs.iter().map(|p| (p.key.as_str(), p.value.clone())).collect::<Vec<_>>(), [("b", 3.into()), ("a", 2.into())]);
/// ```
pub fn key_values(flat: &[String]) -> Vec<KeyValue> {
    let mut pairs: Vec<KeyValue> = Vec::new();
    for pair in flat.chunks_exact(2) {
        let value = param_value(&pair[1]);
        match pairs.iter_mut().find(|known| known.key == pair[0]) {
            Some(known) => known.value = value,
            None => pairs.push(KeyValue { key: pair[0].clone(), value }),
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec_of(bytes: &[u8], source: ExecSource<'_>) -> ExecDoc {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("action");
        std::fs::write(&file, bytes).unwrap();
        ExecSource { file: Some(&file), ..source }.exec().unwrap().unwrap()
    }

    #[test]
    fn a_binary_file_goes_base64() {
        let exec = exec_of(&[0x7f, b'E', b'L', b'F', 0, 0xff], ExecSource::default());
        assert!(exec.binary);
        let decoded = base64::engine::general_purpose::STANDARD.decode(exec.code.unwrap()).unwrap();
        assert_eq!(decoded, [0x7f, b'E', b'L', b'F', 0, 0xff]);
    }

    #[test]
    fn a_runtime_kind_and_main_are_kept() {
        let source = ExecSource { kind: Some("python:3.11"), main: Some("handler"), ..ExecSource::default() };
        let exec = exec_of(b"def handler(args): return args", source);
        assert_eq!(
            (exec.kind.as_str(), exec.main.as_deref(), exec.binary),
            ("python:3.11", Some("handler"), false)
        );
        assert_eq!(exec.code.as_deref(), Some("def handler(args): return args"));
    }

    #[test]
    fn a_blackbox_keeps_the_code_beside_the_image() {
        let exec = exec_of(b"#!/bin/sh\n", ExecSource { docker: Some("img"), ..ExecSource::default() });
        assert_eq!(
            (exec.kind.as_str(), exec.image.as_deref(), exec.code.as_deref()),
            ("blackbox", Some("img"), Some("#!/bin/sh\n"))
        );
    }

    #[test]
    fn no_file_and_no_image_is_no_exec() {
        assert_eq!(ExecSource::default().exec().unwrap(), None);
    }

    #[test]
    fn a_missing_file_says_which() {
        let path = Path::new("/nonexistent/hello.sh");
        let error = ExecSource { file: Some(path), ..ExecSource::default() }.exec().unwrap_err();
        assert_eq!(error.to_string(), "cannot read the action file /nonexistent/hello.sh");
    }
}
