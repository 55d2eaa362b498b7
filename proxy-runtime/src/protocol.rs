//! The wire types of the OpenWhisk action protocol: what `/init` and `/run` take, what
//! they answer, and the one error enum whose messages are the `{"error": ...}` bodies.
//!
//! Messages keep the wording of the upstream Go runtime (`openwhisk-runtime-go`) where
//! it has one, so logs and tests read the same against either runtime.

use serde::Deserialize;
use serde_json::{Map, Value};

/// The line written to stdout and to stderr after every activation (and after a failed
/// init), so the invoker's log collector knows where one activation's logs end.
pub const SENTINEL: &str = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n";

/// The body of `POST /init`: `{"value": {...}}`.
///
/// ```
/// use proxy_runtime::protocol::InitRequest;
///
/// let init: InitRequest = serde_json::from_str(
///     r##"{"value": {"name": "a", "main": "main", "code": "#!/bin/sh", "binary": false,
///                  "env": {"KEY": "v", "N": 1}}}"##,
/// ).unwrap();
/// assert_eq!(init.value.code.as_deref(), Some("#!/bin/sh"));
/// assert_eq!(init.value.env_vars(), vec![("KEY".into(), "v".into()), ("N".into(), "1".into())]);
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InitRequest {
    /// The initializer; a body without one is read as an initializer with no code.
    #[serde(default)]
    pub value: InitValue,
}

/// The initializer of an action. Every field may be missing; `name` and `main` are
/// accepted but unused, since the action is a single executable.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InitValue {
    /// The action's name (unused).
    pub name: Option<String>,
    /// The entry point (unused: the executable is the entry point).
    pub main: Option<String>,
    /// The code: plain text, or base64 when `binary` is true.
    pub code: Option<String>,
    /// Whether `code` is base64.
    pub binary: bool,
    /// Init-time environment, exported to every activation.
    pub env: Map<String, Value>,
}

impl InitValue {
    /// The `env` object as environment variables, in the order given: strings as they
    /// are, any other JSON value as its compact text.
    pub fn env_vars(&self) -> Vec<(String, String)> {
        self.env.iter().map(|(k, v)| (k.clone(), env_text(v))).collect()
    }
}

/// The body of `POST /run`: the parameters under `value`, and the activation's
/// metadata (`namespace`, `action_name`, `activation_id`, `deadline`, ...) beside it.
///
/// ```
/// use proxy_runtime::protocol::RunRequest;
///
/// let run: RunRequest = serde_json::from_str(
///     r#"{"value": {"name": "x"}, "activation_id": "a1", "deadline": 1700000000000}"#,
/// ).unwrap();
/// assert_eq!(run.value["name"], "x");
/// assert_eq!(
///     run.env_vars(),
///     vec![("__OW_ACTIVATION_ID".into(), "a1".into()), ("__OW_DEADLINE".into(), "1700000000000".into())],
/// );
/// ```
#[derive(Debug, Clone, Deserialize)]
pub struct RunRequest {
    /// The parameters; `{}` when the body has none.
    #[serde(default = "empty_object")]
    pub value: Value,
    /// Every other key of the body.
    #[serde(flatten)]
    pub activation: Map<String, Value>,
}

impl RunRequest {
    /// Every non-`value` key as `__OW_<KEY in upper case>`, valued like
    /// [`InitValue::env_vars`].
    pub fn env_vars(&self) -> Vec<(String, String)> {
        self.activation
            .iter()
            .map(|(k, v)| (format!("__OW_{}", k.to_ascii_uppercase()), env_text(v)))
            .collect()
    }
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

fn env_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The body of a successful `/init`: `{"ok":true}`.
pub const INIT_OK: &str = r#"{"ok":true}"#;

/// Whether `line`, once trimmed, is a JSON object or array: the only results an
/// action may return. Returns the trimmed text when it is.
///
/// ```
/// use proxy_runtime::protocol::json_result;
///
/// assert_eq!(json_result(b" {\"a\": 1}\r\n"), Some("{\"a\": 1}"));
/// assert_eq!(json_result(b"[1, 2]"), Some("[1, 2]"));
/// assert_eq!(json_result(b"\"a string\""), None);
/// assert_eq!(json_result(b"{\"a\": 1} trailing"), None);
/// assert_eq!(json_result(b"not json"), None);
/// ```
pub fn json_result(line: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(line).ok()?.trim();
    let container = text.starts_with('{') || text.starts_with('[');
    // `IgnoredAny` checks the syntax without building a tree; the caller sends the
    // action's own text, so numbers and key order reach the invoker untouched.
    (container && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()).then_some(text)
}

/// The line an actionloop action reads on its stdin for one activation: the `/run`
/// body as it came, which is what upstream's Go proxy sends (`value` and every
/// activation field beside it), with its line breaks removed and one `\n` at the end.
///
/// In valid JSON a raw line break can only be whitespace between tokens (inside a
/// string it is escaped), so removing them changes nothing the action parses.
///
/// ```
/// use proxy_runtime::protocol::activation_line;
///
/// let body = b"{\"value\": {\"a\": \"x\\ny\"},\r\n \"activation_id\": \"a1\"}\n";
/// assert_eq!(activation_line(body), b"{\"value\": {\"a\": \"x\\ny\"}, \"activation_id\": \"a1\"}\n");
/// ```
pub fn activation_line(body: &[u8]) -> Vec<u8> {
    let mut line = Vec::with_capacity(body.len() + 1);
    line.extend(body.iter().copied().filter(|b| *b != b'\n' && *b != b'\r'));
    line.push(b'\n');
    line
}

/// Checks the first line an actionloop action writes on fd 3: `{"ok": true}`, as
/// upstream's proxy expects it (any spacing, other keys ignored).
///
/// ```
/// use proxy_runtime::protocol::check_ack;
///
/// assert!(check_ack(b"{ \"ok\": true}\n").is_ok());
/// assert!(check_ack(b"{\"ok\": false}\n").is_err());
/// assert!(check_ack(b"{\"result\": 1}\n").is_err());
/// assert!(check_ack(b"ready\n").is_err());
/// ```
pub fn check_ack(line: &[u8]) -> Result<(), Error> {
    #[derive(Deserialize)]
    struct Ack {
        #[serde(default)]
        ok: bool,
    }
    match serde_json::from_slice::<Ack>(line) {
        Ok(Ack { ok: true }) => Ok(()),
        Ok(Ack { ok: false }) => Err(Error::BadAck { cause: None }),
        Err(error) => Err(Error::BadAck { cause: Some(error) }),
    }
}

/// Everything `/init` or `/run` can answer with other than success. The `Display` text
/// is the `error` of the body; [`Error::status`] is the HTTP status.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The body is not the JSON the endpoint expects (400).
    #[error("Error unmarshaling request: {0}")]
    Unmarshal(#[source] serde_json::Error),
    /// The body is larger than the runtime accepts (413).
    #[error("request body larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body could not be read from the connection (400).
    #[error("Error reading request body: {0}")]
    Body(#[source] hyper::Error),
    /// A second `/init` after a successful one (403).
    #[error("Cannot initialize the action more than once.")]
    AlreadyInitialized,
    /// `/init` without code, or with empty code (403).
    #[error("Missing main/no code to execute.")]
    MissingCode,
    /// `binary` code that is not base64 (400).
    #[error("cannot decode the request: {0}")]
    Decode(#[source] base64::DecodeError),
    /// Code that is neither a `#!` script nor an ELF executable (502).
    #[error("invalid action: the code is neither a `#!` script nor an ELF executable")]
    NotExecutable,
    /// The executable could not be written to any work directory (502).
    #[error("cannot write the action: {0}")]
    Write(#[source] std::io::Error),
    /// `/run` before a successful `/init` (500).
    #[error("no action defined yet")]
    NotInitialized,
    /// The action process could not be started (502).
    #[error("cannot start action: {0}")]
    CannotStart(#[source] std::io::Error),
    /// The action exited with a failure (non-zero status, or killed) and its last
    /// stdout line is no result (502).
    #[error("command exited")]
    CommandExited,
    /// The action exited with success but its last stdout line is no JSON object or
    /// array; or, in actionloop mode, its answer line on fd 3 is neither (502).
    #[error("The action did not return a dictionary or array.")]
    NotADictionary,
    /// The actionloop mode variable has a value that is neither on nor off (400).
    #[error("invalid {variable} `{value}`: expected `1`, `true`, `0`, `false` or nothing")]
    BadMode {
        /// The variable's name.
        variable: &'static str,
        /// Its value.
        value: String,
    },
    /// An actionloop action exited before it acknowledged its start (502).
    #[error("cannot start action: Command exited abruptly during initialization.")]
    ExitedAtStart,
    /// An actionloop action's first line on fd 3 is not `{"ok": true}` (502).
    #[error("cannot start action: The action did not initialize properly.")]
    BadAck {
        /// Why the line is no acknowledgement, when it is not JSON at all.
        #[source]
        cause: Option<serde_json::Error>,
    },
    /// The action could not be told its activation, or gave no answer line: it
    /// exited, or closed fd 3 or its stdin, during the activation. The process is gone
    /// for good; upstream answers 400 (the invoker then destroys the container).
    #[error("command exited")]
    Died(#[source] Option<std::io::Error>),
    /// An activation for an actionloop action whose process is gone (it died in an
    /// earlier activation or in between) (500).
    #[error("command exited")]
    Gone,
}

impl Error {
    /// The HTTP status this error is answered with.
    ///
    /// ```
    /// use proxy_runtime::protocol::Error;
    ///
    /// assert_eq!(Error::AlreadyInitialized.status(), 403);
    /// assert_eq!(Error::NotInitialized.status(), 500);
    /// assert_eq!(Error::NotADictionary.status(), 502);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            Error::Unmarshal(_)
            | Error::Body(_)
            | Error::Decode(_)
            | Error::BadMode { .. }
            | Error::Died(_) => 400,
            Error::TooLarge { .. } => 413,
            Error::AlreadyInitialized | Error::MissingCode => 403,
            Error::NotInitialized | Error::Gone => 500,
            Error::NotExecutable
            | Error::Write(_)
            | Error::CannotStart(_)
            | Error::CommandExited
            | Error::NotADictionary
            | Error::ExitedAtStart
            | Error::BadAck { .. } => 502,
        }
    }

    /// The JSON body: `{"error": "<Display text>"}`.
    ///
    /// ```
    /// use proxy_runtime::protocol::Error;
    ///
    /// assert_eq!(Error::NotInitialized.body(), r#"{"error":"no action defined yet"}"#);
    /// ```
    pub fn body(&self) -> String {
        serde_json::json!({ "error": self.to_string() }).to_string()
    }
}
