//! What an action runs, checked at put and turned into proxy-core's [`Action`] at
//! invoke.
//!
//! Kinds:
//! - `blackbox` with an `image` and no code: the user's image, as it is (its logs
//!   read without sentinels, upstream's default for a user's image);
//! - `blackbox` with `code` and no image (or upstream's native skeleton image,
//!   `openwhisk/dockerskeleton`): upstream's *native* action (`wsk action create
//!   --native`: kind `blackbox`, a script or an executable, base64 when `binary`),
//!   run on our runtime image (deviation D44: upstream runs it on its
//!   `dockerskeleton` image, which we do not have; ours speaks the same protocol);
//! - any kind of the runtimes manifest (`--runtimes`): its image, with `code`.
//!
//! Sequences are refused (400): `serve` does not run them.

use std::sync::Arc;

use base64::Engine as _;
use proxy_core::container::Action;
use proxy_store::doc::{ActionDoc, ExecDoc, KeyValue};
use serde_json::{Map, Value};

use super::error::ApiError;
use crate::runtimes::Runtimes;

/// Upstream's image for native actions, which `blackbox` + code with this image also
/// maps to our runtime image.
pub const NATIVE_SKELETON: &str = "openwhisk/dockerskeleton";

/// How kinds map to images.
#[derive(Debug, Clone)]
pub struct Kinds {
    /// Our runtime image: native actions run on it.
    pub runtime_image: String,
    /// The kinds of the runtimes manifest.
    pub runtimes: Runtimes,
}

/// What an exec runs on, and whether its runtime writes log sentinels.
struct Resolved {
    image: String,
    sentinelled: bool,
}

fn is_native_skeleton(image: &str) -> bool {
    image == NATIVE_SKELETON || image.strip_prefix(NATIVE_SKELETON).is_some_and(|rest| rest.starts_with(':'))
}

impl Kinds {
    fn resolve(&self, exec: &ExecDoc) -> Result<Resolved, ApiError> {
        if exec.binary {
            let code = exec.code.as_deref().unwrap_or_default();
            base64::engine::general_purpose::STANDARD
                .decode(code.trim())
                .map_err(|e| ApiError::malformed(format!("binary code is not base64: {e}")))?;
        }
        match exec.kind.as_str() {
            "blackbox" => match (exec.image.as_deref(), exec.code.as_deref()) {
                (Some(image), _) if !is_native_skeleton(image) => {
                    if image.trim().is_empty() {
                        return Err(ApiError::malformed("image must not be empty"));
                    }
                    Ok(Resolved { image: image.to_string(), sentinelled: false })
                }
                (_, Some(_)) => Ok(Resolved { image: self.runtime_image.clone(), sentinelled: true }),
                (_, None) => Err(ApiError::malformed("a blackbox action needs an image or code")),
            },
            "sequence" => Err(ApiError::bad_request("sequences are not supported by this server")),
            kind => {
                let runtime = self.runtimes.get(kind).ok_or_else(|| {
                    let known: Vec<&str> = std::iter::once("blackbox").chain(self.runtimes.kinds()).collect();
                    ApiError::malformed(format!("kind '{kind}' not in [{}]", known.join(", ")))
                })?;
                if runtime.deprecated {
                    return Err(ApiError::bad_request(format!(
                        "The '{kind}' runtime is no longer supported."
                    )));
                }
                if exec.code.is_none() {
                    return Err(ApiError::malformed(format!("exec of kind '{kind}' needs code")));
                }
                Ok(Resolved { image: runtime.image.clone(), sentinelled: true })
            }
        }
    }

    /// Checks `exec` as a put must.
    pub fn check(&self, exec: &ExecDoc) -> Result<(), ApiError> {
        self.resolve(exec).map(drop)
    }

    /// The action proxy-core runs for `doc`.
    pub fn action(&self, doc: &ActionDoc) -> Result<Arc<Action>, ApiError> {
        let resolved = self.resolve(&doc.exec)?;
        let annotations: Map<String, Value> =
            doc.annotations.iter().map(|KeyValue { key, value }| (key.clone(), value.clone())).collect();
        Ok(Arc::new(Action {
            namespace: doc.namespace.clone(),
            package: None,
            name: doc.name.clone(),
            version: doc.version.clone(),
            kind: doc.exec.kind.clone(),
            image: resolved.image,
            code: doc.exec.code.clone(),
            binary: doc.exec.binary,
            main: doc.exec.main.clone(),
            limits: doc.limits.to_core(),
            annotations,
            sentinelled_logs: resolved.sentinelled,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds() -> Kinds {
        let runtimes = Runtimes::parse(
            r#"{"runtimes": {"python": [{"kind": "python:3.11", "default": true, "image": {"name": "py", "tag": "1"}},
                                        {"kind": "python:2", "deprecated": true, "image": {"name": "py2"}}]}}"#,
        )
        .unwrap();
        Kinds { runtime_image: "proxy-runtime:abc".into(), runtimes }
    }

    fn doc(exec: ExecDoc) -> ActionDoc {
        ActionDoc::new("guest", "a", exec)
    }

    #[test]
    fn kinds_map_to_images() {
        let k = kinds();
        let native = k.action(&doc(ExecDoc::code("blackbox", "#!/bin/sh\necho {}"))).unwrap();
        assert_eq!((native.image.as_str(), native.sentinelled_logs), ("proxy-runtime:abc", true));
        let skeleton = ExecDoc {
            image: Some("openwhisk/dockerskeleton:nightly".into()),
            ..ExecDoc::code("blackbox", "x")
        };
        assert_eq!(k.action(&doc(skeleton)).unwrap().image, "proxy-runtime:abc");
        let image = k.action(&doc(ExecDoc::blackbox("me/img:1"))).unwrap();
        assert_eq!((image.image.as_str(), image.sentinelled_logs), ("me/img:1", false));
        assert_eq!(
            k.action(&doc(ExecDoc::code("python:default", "def main(a): return a"))).unwrap().image,
            "py:1"
        );
    }

    #[test]
    fn bad_execs_are_refused() {
        let k = kinds();
        assert!(k
            .check(&ExecDoc::code("go:1.20", "x"))
            .unwrap_err()
            .message
            .contains("kind 'go:1.20' not in [blackbox, python:2, python:3.11, python:default]"));
        assert_eq!(k.check(&ExecDoc::code("python:2", "x")).unwrap_err().status, 400);
        assert!(k.check(&ExecDoc { binary: true, ..ExecDoc::code("blackbox", "not base64!") }).is_err());
        assert!(k.check(&ExecDoc { code: None, ..ExecDoc::code("python:3.11", "") }).is_err());
        assert!(k.check(&ExecDoc { code: None, ..ExecDoc::code("blackbox", "") }).is_err());
        assert!(k.check(&ExecDoc::code("sequence", "")).is_err());
    }
}
