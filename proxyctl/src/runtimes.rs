//! Kinds mapped to local runtime images by a manifest in upstream's `runtimes.json`
//! form (`{"runtimes": {"python": [{"kind": "python:3.11", "default": true, "image":
//! {"prefix": "openwhisk", "name": "action-python-v3.11", "tag": "nightly"}}]}}`), so
//! that a user's local OpenWhisk runtime images run by kind. `<family>:default` names
//! the family's kind marked `default`, as upstream resolves it. Only `kind`,
//! `default`, `deprecated` and `image` are read; the rest (`stemCells`, `attached`,
//! ..) is ignored: `serve` starts no prewarms.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// What went wrong reading a manifest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("cannot read the runtimes manifest {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a manifest.
    #[error("the runtimes manifest {path} is not in runtimes.json form: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
}

#[derive(Debug, Deserialize)]
struct Manifest {
    #[serde(default)]
    runtimes: BTreeMap<String, Vec<RuntimeEntry>>,
}

#[derive(Debug, Deserialize)]
struct RuntimeEntry {
    kind: String,
    #[serde(default)]
    default: bool,
    #[serde(default)]
    deprecated: bool,
    image: ImageName,
}

#[derive(Debug, Deserialize)]
struct ImageName {
    #[serde(default)]
    registry: Option<String>,
    #[serde(default)]
    prefix: Option<String>,
    name: String,
    #[serde(default)]
    tag: Option<String>,
}

impl ImageName {
    /// `[registry/][prefix/]name:tag` (tag `latest` when absent), as upstream builds it.
    fn reference(&self) -> String {
        let mut text = String::new();
        for part in [&self.registry, &self.prefix].into_iter().flatten().filter(|p| !p.is_empty()) {
            text.push_str(part.trim_end_matches('/'));
            text.push('/');
        }
        text.push_str(&self.name);
        text.push(':');
        text.push_str(self.tag.as_deref().unwrap_or("latest"));
        text
    }
}

/// One kind's runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runtime {
    /// The image its containers run.
    pub image: String,
    /// Whether the manifest marks it deprecated (upstream refuses creating such
    /// actions; so do we).
    pub deprecated: bool,
}

/// The kinds of a manifest.
///
/// ```
/// let manifest = proxyctl::runtimes::Runtimes::parse(r#"{"runtimes": {"python": [
///     {"kind": "python:3.11", "default": true, "image": {"prefix": "openwhisk", "name": "action-python-v3.11", "tag": "nightly"}}
/// ]}}"#).unwrap();
/// assert_eq!(manifest.get("python:3.11").unwrap().image, "openwhisk/action-python-v3.11:nightly");
/// assert_eq!(manifest.get("python:default").unwrap().image, "openwhisk/action-python-v3.11:nightly");
/// assert!(manifest.get("go:1.20").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Runtimes {
    kinds: BTreeMap<String, Runtime>,
}

impl Runtimes {
    /// Reads the manifest at `path`.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ManifestError::Read { path: path.to_path_buf(), source })?;
        Runtimes::parse(&text).map_err(|source| ManifestError::Parse { path: path.to_path_buf(), source })
    }

    /// The manifest in `text`.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        let manifest: Manifest = serde_json::from_str(text)?;
        let mut kinds = BTreeMap::new();
        for (family, entries) in manifest.runtimes {
            for entry in entries {
                let runtime = Runtime { image: entry.image.reference(), deprecated: entry.deprecated };
                if entry.default {
                    kinds.insert(format!("{family}:default"), runtime.clone());
                }
                kinds.insert(entry.kind, runtime);
            }
        }
        Ok(Runtimes { kinds })
    }

    /// The runtime of `kind`, if the manifest has it.
    pub fn get(&self, kind: &str) -> Option<&Runtime> {
        self.kinds.get(kind)
    }

    /// Every kind, for error messages.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }
}
