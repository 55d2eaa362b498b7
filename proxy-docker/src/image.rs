//! Images built through the engine's API from an in-memory tar, since nothing can be
//! pulled: `FROM scratch`, the files given, an entrypoint. An image is tagged by the
//! hash of its build context, so it is built only when its tag is missing.
//!
//! The runtime image holds the static `proxy-runtime` binary as `/proxy-runtime`
//! (its entrypoint) and Debian's static busybox as `/bin/busybox`, with `/bin/sh`
//! and a few applets as symlinks, so that script actions have a shell.

use std::collections::HashMap;
use std::path::Path;

use bollard::query_parameters::BuildImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::error::{status, DockerError};

/// Where Debian's `busybox-static` package installs its binary.
pub const BUSYBOX_PATH: &str = "/bin/busybox";

/// The runtime image's repository; its tag is the content hash.
pub const RUNTIME_REPOSITORY: &str = "proxy-runtime";

/// The label every image built here carries.
pub const IMAGE_LABEL: &str = "proxy.image";

/// The busybox applets linked into `/bin` of the runtime image.
pub const APPLETS: &[&str] = &[
    "sh", "cat", "echo", "sleep", "head", "tail", "dd", "env", "ls", "printf", "true", "false", "test", "wc",
    "tr", "sed", "grep", "yes", "mkdir", "rm", "base64",
];

/// One entry of the image's file system.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    File { path: String, mode: u32, contents: Vec<u8> },
    Dir { path: String, mode: u32 },
    Symlink { path: String, target: String },
}

/// A `FROM scratch` image: files, directories, symlinks and an entrypoint.
///
/// ```
/// use proxy_docker::image::ImageRecipe;
///
/// let recipe = ImageRecipe::new("hello")
///     .file("/hello.txt", 0o644, b"hi\n".to_vec())
///     .entrypoint(["/bin/busybox", "cat", "/hello.txt"]);
/// assert!(recipe.tag().unwrap().starts_with("hello:"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRecipe {
    repository: String,
    entries: Vec<Entry>,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
}

impl ImageRecipe {
    /// An empty image named `repository:<hash>`.
    pub fn new(repository: impl Into<String>) -> Self {
        ImageRecipe {
            repository: repository.into(),
            entries: Vec::new(),
            entrypoint: Vec::new(),
            cmd: Vec::new(),
        }
    }

    /// Adds a regular file at the absolute `path`.
    pub fn file(mut self, path: impl Into<String>, mode: u32, contents: Vec<u8>) -> Self {
        self.entries.push(Entry::File { path: path.into(), mode, contents });
        self
    }

    /// Adds a directory.
    pub fn dir(mut self, path: impl Into<String>, mode: u32) -> Self {
        self.entries.push(Entry::Dir { path: path.into(), mode });
        self
    }

    /// Adds a symlink at `path` pointing to `target`.
    pub fn symlink(mut self, path: impl Into<String>, target: impl Into<String>) -> Self {
        self.entries.push(Entry::Symlink { path: path.into(), target: target.into() });
        self
    }

    /// Adds `busybox` as `/bin/busybox`, with `/bin/<applet>` symlinks for [`APPLETS`].
    pub fn busybox(mut self, busybox: Vec<u8>) -> Self {
        self = self.dir("/bin", 0o755).file("/bin/busybox", 0o755, busybox);
        for applet in APPLETS {
            self = self.symlink(format!("/bin/{applet}"), "busybox");
        }
        self
    }

    /// Sets the entrypoint (exec form).
    pub fn entrypoint<S: Into<String>>(mut self, argv: impl IntoIterator<Item = S>) -> Self {
        self.entrypoint = argv.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the default arguments (exec form).
    pub fn cmd<S: Into<String>>(mut self, argv: impl IntoIterator<Item = S>) -> Self {
        self.cmd = argv.into_iter().map(Into::into).collect();
        self
    }

    /// The Dockerfile: everything under `rootfs/` of the context is copied to `/`.
    fn dockerfile(&self) -> String {
        let json = |argv: &[String]| serde_json::to_string(argv).expect("strings serialise");
        let mut text = String::from("FROM scratch\nCOPY rootfs/ /\n");
        if !self.entrypoint.is_empty() {
            text.push_str(&format!("ENTRYPOINT {}\n", json(&self.entrypoint)));
        }
        if !self.cmd.is_empty() {
            text.push_str(&format!("CMD {}\n", json(&self.cmd)));
        }
        text
    }

    /// The build context as a tar: the Dockerfile and `rootfs/`. Deterministic (fixed
    /// owners and times), so that equal recipes hash equally.
    pub fn context(&self) -> std::io::Result<Vec<u8>> {
        let mut tar = tar::Builder::new(Vec::new());
        let header = |kind: tar::EntryType, mode: u32, size: u64| {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(kind);
            header.set_mode(mode);
            header.set_size(size);
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(0);
            header
        };
        let dockerfile = self.dockerfile();
        let mut h = header(tar::EntryType::Regular, 0o644, dockerfile.len() as u64);
        tar.append_data(&mut h, "Dockerfile", dockerfile.as_bytes())?;
        let mut h = header(tar::EntryType::Directory, 0o755, 0);
        tar.append_data(&mut h, "rootfs/", std::io::empty())?;
        for entry in &self.entries {
            match entry {
                Entry::File { path, mode, contents } => {
                    let mut h = header(tar::EntryType::Regular, *mode, contents.len() as u64);
                    tar.append_data(&mut h, rooted(path), contents.as_slice())?;
                }
                Entry::Dir { path, mode } => {
                    let mut h = header(tar::EntryType::Directory, *mode, 0);
                    tar.append_data(&mut h, format!("{}/", rooted(path)), std::io::empty())?;
                }
                Entry::Symlink { path, target } => {
                    let mut h = header(tar::EntryType::Symlink, 0o777, 0);
                    tar.append_link(&mut h, rooted(path), target)?;
                }
            }
        }
        tar.into_inner()
    }

    /// `repository:<the first 12 hex digits of the context's SHA-256>`.
    pub fn tag(&self) -> std::io::Result<String> {
        Ok(tag_of(&self.repository, &self.context()?))
    }

    /// The image's tag, building it first if the engine does not have it.
    pub async fn ensure(&self, docker: &Docker) -> Result<String, DockerError> {
        let context = self.context().map_err(|source| DockerError::MissingInput {
            what: "image build context",
            path: "(memory)".into(),
            hint: "",
            source,
        })?;
        let tag = tag_of(&self.repository, &context);
        match docker.inspect_image(&tag).await {
            Ok(_) => return Ok(tag),
            Err(e) if status(&e) == Some(404) => {}
            Err(e) => return Err(DockerError::from_engine("inspect image", &crate::docker_host(), e)),
        }
        tracing::info!(image = %tag, bytes = context.len(), "building image");
        build(docker, &tag, context).await?;
        Ok(tag)
    }
}

fn rooted(path: &str) -> String {
    format!("rootfs/{}", path.trim_start_matches('/'))
}

fn tag_of(repository: &str, context: &[u8]) -> String {
    let digest = Sha256::digest(context);
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{repository}:{hex}")
}

async fn build(docker: &Docker, tag: &str, context: Vec<u8>) -> Result<(), DockerError> {
    let labels = HashMap::from([(IMAGE_LABEL.to_string(), "true".to_string())]);
    let options = BuildImageOptionsBuilder::default()
        .dockerfile("Dockerfile")
        .t(tag)
        .rm(true)
        .forcerm(true)
        .labels(&labels)
        .build();
    let mut stream =
        std::pin::pin!(docker.build_image(options, None, Some(bollard::body_full(context.into()))));
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(text) = info.stream.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                    tracing::debug!(image = tag, "{text}");
                }
            }
            Err(bollard::errors::Error::DockerStreamError { error }) => {
                return Err(DockerError::ImageBuild { image: tag.to_string(), message: error });
            }
            Err(e) => return Err(DockerError::from_engine("build image", &crate::docker_host(), e)),
        }
    }
    Ok(())
}

fn read_input(what: &'static str, path: &Path, hint: &'static str) -> Result<Vec<u8>, DockerError> {
    std::fs::read(path).map_err(|source| DockerError::MissingInput {
        what,
        path: path.to_path_buf(),
        hint,
        source,
    })
}

const BUSYBOX_HINT: &str = "; install it with `apt-get install -y busybox-static`";

/// The static busybox of Debian's `busybox-static` package. Debian's `busybox`
/// package puts a dynamically linked one at the same path, which cannot run in a
/// `FROM scratch` image: it is refused.
pub fn read_busybox() -> Result<Vec<u8>, DockerError> {
    let path = Path::new(BUSYBOX_PATH);
    let busybox = read_input("static busybox", path, BUSYBOX_HINT)?;
    if has_interpreter(&busybox) {
        let source = std::io::Error::other("it is dynamically linked");
        return Err(DockerError::MissingInput {
            what: "static busybox",
            path: path.into(),
            hint: BUSYBOX_HINT,
            source,
        });
    }
    Ok(busybox)
}

/// Whether `elf` is a 64-bit little-endian ELF file with a program interpreter
/// (`PT_INTERP`), that is, dynamically linked.
fn has_interpreter(elf: &[u8]) -> bool {
    const PT_INTERP: u32 = 3;
    if elf.len() < 64 || &elf[..4] != b"\x7fELF" || elf[4] != 2 || elf[5] != 1 {
        return false;
    }
    let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]) as usize;
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().expect("8 bytes")) as usize;
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    (0..phnum).any(|i| {
        let at = phoff.saturating_add(i.saturating_mul(phentsize));
        elf.get(at..at + 4).is_some_and(|t| u32::from_le_bytes(t.try_into().expect("4 bytes")) == PT_INTERP)
    })
}

/// The runtime image's recipe: `binary` as `/proxy-runtime` (the entrypoint), busybox
/// with its applets, and a world-writable `/tmp`.
pub fn runtime_recipe(binary: Vec<u8>, busybox: Vec<u8>) -> ImageRecipe {
    ImageRecipe::new(RUNTIME_REPOSITORY)
        .file("/proxy-runtime", 0o755, binary)
        .busybox(busybox)
        .dir("/tmp", 0o1777)
        .entrypoint(["/proxy-runtime"])
}

/// Builds the runtime image from the static `proxy-runtime` binary at `binary_path`
/// and [`BUSYBOX_PATH`], unless the engine already has it; returns its tag
/// (`proxy-runtime:<hash>`).
///
/// ```no_run
/// # async fn demo() -> Result<(), proxy_docker::DockerError> {
/// let docker = proxy_docker::connect().await?;
/// let binary = "target/x86_64-unknown-linux-gnu/release/proxy-runtime";
/// let image = proxy_docker::image::ensure_runtime_image(&docker, binary.as_ref()).await?;
/// assert!(image.starts_with("proxy-runtime:"));
/// # Ok(()) }
/// ```
pub async fn ensure_runtime_image(docker: &Docker, binary_path: &Path) -> Result<String, DockerError> {
    let binary = read_input(
        "proxy-runtime binary",
        binary_path,
        "; build it with `RUSTFLAGS='-C target-feature=+crt-static' cargo build -p proxy-runtime \
         --release --target x86_64-unknown-linux-gnu`",
    )?;
    runtime_recipe(binary, read_busybox()?).ensure(docker).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(context: &[u8]) -> Vec<(String, tar::EntryType, u32, Option<String>)> {
        let mut archive = tar::Archive::new(context);
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                let link = e.link_name().unwrap().map(|l| l.to_string_lossy().into_owned());
                (e.path().unwrap().to_string_lossy().into_owned(), h.entry_type(), h.mode().unwrap(), link)
            })
            .collect()
    }

    #[test]
    fn the_runtime_context_holds_the_binary_busybox_and_links() {
        let recipe = runtime_recipe(b"runtime".to_vec(), b"busybox".to_vec());
        let context = recipe.context().unwrap();
        let entries = entries(&context);
        assert_eq!(entries[0].0, "Dockerfile");
        assert!(entries.contains(&("rootfs/proxy-runtime".into(), tar::EntryType::Regular, 0o755, None)));
        assert!(entries.contains(&("rootfs/bin/busybox".into(), tar::EntryType::Regular, 0o755, None)));
        assert!(entries.contains(&(
            "rootfs/bin/sh".into(),
            tar::EntryType::Symlink,
            0o777,
            Some("busybox".into())
        )));
        assert!(entries.contains(&("rootfs/tmp/".into(), tar::EntryType::Directory, 0o1777, None)));
        assert_eq!(recipe.dockerfile(), "FROM scratch\nCOPY rootfs/ /\nENTRYPOINT [\"/proxy-runtime\"]\n");
    }

    #[test]
    fn the_tag_follows_the_contents() {
        let a = runtime_recipe(b"one".to_vec(), b"bb".to_vec());
        let b = runtime_recipe(b"two".to_vec(), b"bb".to_vec());
        assert_eq!(a.tag().unwrap(), a.clone().tag().unwrap(), "deterministic");
        assert_ne!(a.tag().unwrap(), b.tag().unwrap());
        let tag = a.tag().unwrap();
        let (repo, hash) = tag.split_once(':').unwrap();
        assert_eq!(repo, "proxy-runtime");
        assert_eq!(hash.len(), 12);
        assert!(hash.bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn a_dynamically_linked_binary_is_told_apart() {
        let this_test = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(has_interpreter(&this_test), "test binaries are linked dynamically");
        assert!(!has_interpreter(b"#!/bin/sh\n"));
        if let Ok(busybox) = std::fs::read(BUSYBOX_PATH) {
            assert_eq!(has_interpreter(&busybox), read_busybox().is_err());
        }
    }

    #[test]
    fn a_missing_binary_says_how_to_build_it() {
        let error = read_input("proxy-runtime binary", Path::new("/nonexistent/proxy-runtime"), "; build it")
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot read the proxy-runtime binary at /nonexistent/proxy-runtime: \
             No such file or directory (os error 2); build it"
        );
    }
}
