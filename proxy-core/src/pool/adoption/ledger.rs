//! The host-side ledger of adoption records: one JSON file per container id in a
//! directory, written atomically (a temporary file, synced, then renamed), removed
//! with the container. Host-side, so that an action cannot forge another action's
//! identity, as it could a file inside its own container.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::record::AdoptionRecord;
use crate::container::ContainerId;

/// A ledger operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The file system refused.
    #[error("adoption ledger: cannot {operation} {}", path.display())]
    Io {
        /// What was tried (`write`, `read`, `remove`, `list`, ..).
        operation: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file of the ledger holds no adoption record.
    #[error("adoption ledger: {} is not an adoption record", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },
}

/// One file of the ledger, as read at start.
#[derive(Debug)]
pub struct Entry {
    /// The container the file is about.
    pub id: ContainerId,
    /// Its record, or why the file could not be read.
    pub record: Result<AdoptionRecord, LedgerError>,
}

/// The ledger in one directory (created when first written).
///
/// ```
/// use proxy_core::container::{Action, ContainerId};
/// use proxy_core::pool::adoption::{AdoptionRecord, Ledger};
/// let dir = std::env::temp_dir().join(format!("ledger-doc-{}", std::process::id()));
/// let ledger = Ledger::new(&dir);
/// let record = AdoptionRecord::of(&Action::new("guest", "a", "img", "code"), "guest");
/// ledger.write(&ContainerId("c1".into()), &record).unwrap();
/// let entries = ledger.read().unwrap();
/// assert_eq!(entries[0].record.as_ref().unwrap(), &record);
/// ledger.remove(&ContainerId("c1".into())).unwrap();
/// assert!(ledger.read().unwrap().is_empty());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Ledger {
    dir: PathBuf,
}

const SUFFIX: &str = ".json";
const TEMP_SUFFIX: &str = ".tmp";

impl Ledger {
    /// The ledger in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Ledger { dir: dir.into() }
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of container `id`.
    pub fn path_of(&self, id: &ContainerId) -> PathBuf {
        self.dir.join(format!("{}{SUFFIX}", encode(&id.0)))
    }

    /// Writes `record` as container `id`'s, atomically: a reader sees the old file
    /// or the new one, never a part.
    pub fn write(&self, id: &ContainerId, record: &AdoptionRecord) -> Result<(), LedgerError> {
        let io = |operation, path: &Path| {
            let path = path.to_path_buf();
            move |source| LedgerError::Io { operation, path, source }
        };
        std::fs::create_dir_all(&self.dir).map_err(io("create", &self.dir))?;
        let path = self.path_of(id);
        // A dot first: `read` skips (and clears) what a crash left half written.
        let temp = self.dir.join(format!(".{}{SUFFIX}{TEMP_SUFFIX}", encode(&id.0)));
        // A record serialises without fail: strings and numbers only.
        let text = serde_json::to_vec(record).unwrap_or_default();
        let mut file = std::fs::File::create(&temp).map_err(io("create", &temp))?;
        file.write_all(&text).and_then(|()| file.sync_all()).map_err(io("write", &temp))?;
        std::fs::rename(&temp, &path).map_err(io("rename into", &path))?;
        Ok(())
    }

    /// Removes container `id`'s file; one that is not there is no error.
    pub fn remove(&self, id: &ContainerId) -> Result<(), LedgerError> {
        let path = self.path_of(id);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(LedgerError::Io { operation: "remove", path, source }),
        }
    }

    /// Removes the temporary files a crash between a write and its rename left.
    /// Only while nothing writes: a write's own temporary file would go too.
    pub fn clear_temporary(&self) {
        let Ok(listing) = std::fs::read_dir(&self.dir) else { return };
        for item in listing.flatten() {
            let name = item.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') && name.ends_with(TEMP_SUFFIX) {
                let _ = std::fs::remove_file(item.path());
            }
        }
    }

    /// Every record of the ledger (none when the directory does not exist), each
    /// with its container; a file that does not parse is an entry with its error.
    /// Temporary files are skipped.
    pub fn read(&self) -> Result<Vec<Entry>, LedgerError> {
        let listing = match std::fs::read_dir(&self.dir) {
            Ok(listing) => listing,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(LedgerError::Io { operation: "list", path: self.dir.clone(), source }),
        };
        let mut entries = Vec::new();
        for item in listing {
            let item =
                item.map_err(|source| LedgerError::Io { operation: "list", path: self.dir.clone(), source })?;
            let path = item.path();
            let Some(name) = item.file_name().to_str().map(str::to_owned) else { continue };
            if name.starts_with('.') {
                continue;
            }
            let Some(id) = name.strip_suffix(SUFFIX).and_then(decode) else { continue };
            let record = match std::fs::read(&path) {
                Ok(bytes) => serde_json::from_slice(&bytes)
                    .map_err(|source| LedgerError::Unreadable { path: path.clone(), source }),
                Err(source) => Err(LedgerError::Io { operation: "read", path: path.clone(), source }),
            };
            entries.push(Entry { id: ContainerId(id), record });
        }
        entries.sort_by(|a, b| a.id.0.cmp(&b.id.0));
        Ok(entries)
    }
}

/// A container id as a file name: letters, digits, `_` and `-` kept, every other
/// byte `%XX`, so that no id escapes the directory or hides as a dot file.
fn encode(id: &str) -> String {
    let mut name = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' {
            name.push(char::from(byte));
        } else {
            name.push_str(&format!("%{byte:02X}"));
        }
    }
    name
}

fn decode(name: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(name.len());
    let mut rest = name.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        if first == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(first);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

/// One change to the ledger, made off the pool's loop.
#[derive(Debug)]
enum Op {
    Write(ContainerId, AdoptionRecord),
    Remove(ContainerId),
}

/// Writes to the ledger on the blocking pool, one change after the other in the
/// order they were asked (a removal never overtakes the write it follows), so that
/// the pool's loop never waits on the disk. A failure is logged: the ledger is an
/// optimisation, and a container without a record is removed at the next start.
#[derive(Debug, Clone)]
pub(crate) struct LedgerWriter {
    tx: mpsc::UnboundedSender<Op>,
}

impl LedgerWriter {
    pub(crate) fn spawn(ledger: Arc<Ledger>) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<Op>();
        tokio::spawn(async move {
            while let Some(op) = rx.recv().await {
                let ledger = ledger.clone();
                let done = tokio::task::spawn_blocking(move || match op {
                    Op::Write(id, record) => ledger.write(&id, &record),
                    Op::Remove(id) => ledger.remove(&id),
                })
                .await;
                match done {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => {
                        tracing::warn!(
                            error = &error as &dyn std::error::Error,
                            "adoption ledger not updated"
                        )
                    }
                    Err(error) => tracing::error!(%error, "adoption ledger task failed"),
                }
            }
        });
        LedgerWriter { tx }
    }

    pub(crate) fn write(&self, id: ContainerId, record: AdoptionRecord) {
        // The task runs as long as a sender lives.
        let _ = self.tx.send(Op::Write(id, record));
    }

    pub(crate) fn remove(&self, id: ContainerId) {
        let _ = self.tx.send(Op::Remove(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::Action;

    /// A directory of this process and test, removed at the end.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(test: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("proxy-ledger-{test}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn record(name: &str) -> AdoptionRecord {
        AdoptionRecord::of(&Action::new("guest", name, "img", "code"), "guest")
    }

    #[test]
    fn a_written_record_is_read_back_and_removed() {
        let dir = TempDir::new("roundtrip");
        let ledger = Ledger::new(&dir.0);
        assert!(ledger.read().unwrap().is_empty(), "no directory yet: no records");
        let id = ContainerId("abc123".into());
        ledger.write(&id, &record("a")).unwrap();
        ledger.write(&id, &record("b")).unwrap();
        let entries = ledger.read().unwrap();
        assert_eq!(entries.len(), 1, "the second write replaced the first");
        assert_eq!((entries[0].id.clone(), entries[0].record.as_ref().unwrap()), (id.clone(), &record("b")));
        ledger.remove(&id).unwrap();
        ledger.remove(&id).unwrap();
        assert!(ledger.read().unwrap().is_empty());
    }

    #[test]
    fn the_write_leaves_no_temporary_file_and_a_crashed_one_is_cleared() {
        let dir = TempDir::new("atomic");
        let ledger = Ledger::new(&dir.0);
        ledger.write(&ContainerId("c".into()), &record("a")).unwrap();
        let names = || -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(&dir.0)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            names
        };
        assert_eq!(names(), ["c.json"]);
        // A crash between create and rename leaves a half-written temporary file.
        std::fs::write(dir.0.join(".d.json.tmp"), b"{\"invoc").unwrap();
        assert_eq!(ledger.read().unwrap().len(), 1, "a temporary file is no record");
        ledger.clear_temporary();
        assert_eq!(names(), ["c.json"], "the temporary file is gone");
    }

    #[test]
    fn an_unreadable_file_is_an_entry_with_an_error_naming_it() {
        let dir = TempDir::new("unreadable");
        let ledger = Ledger::new(&dir.0);
        let id = ContainerId("bad".into());
        std::fs::create_dir_all(&dir.0).unwrap();
        std::fs::write(ledger.path_of(&id), b"not json").unwrap();
        let entries = ledger.read().unwrap();
        let error = entries[0].record.as_ref().unwrap_err();
        assert!(matches!(error, LedgerError::Unreadable { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            format!("adoption ledger: {} is not an adoption record", ledger.path_of(&id).display())
        );
        assert!(std::error::Error::source(error).is_some(), "the parse error is kept");
    }

    #[test]
    fn ids_are_encoded_into_safe_file_names_and_back() {
        for id in ["0123abcdef", "scripted-a_b", "../../etc/passwd", ".hidden", "é/ü"] {
            let name = encode(id);
            assert!(!name.contains('/') && !name.starts_with('.'), "{name}");
            assert_eq!(decode(&name).as_deref(), Some(id));
        }
        assert_eq!(decode("%4"), None);
    }

    #[test]
    fn a_directory_that_cannot_be_created_is_an_io_error() {
        let dir = TempDir::new("blocked");
        std::fs::write(&dir.0, b"a file where the directory should be").unwrap();
        let ledger = Ledger::new(dir.0.join("sub"));
        let error = ledger.write(&ContainerId("c".into()), &record("a")).unwrap_err();
        assert!(matches!(error, LedgerError::Io { operation: "create", .. }), "{error:?}");
        let _ = std::fs::remove_file(&dir.0);
    }
}
