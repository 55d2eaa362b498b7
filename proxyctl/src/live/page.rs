//! The page: one HTML document with its style, its script and the lifecycle diagram
//! inline, and a Content-Security-Policy that lets it load nothing else.

use std::sync::LazyLock;

use base64::Engine as _;
use proxy_core::container::ContainerProxyAny;
use sha2::{Digest as _, Sha256};

const TEMPLATE: &str = include_str!("page.html");
const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// The built page and its policy.
#[derive(Debug)]
pub struct Page {
    /// The HTML document.
    pub html: String,
    /// The `Content-Security-Policy` it is served with: only its own inline script
    /// and style (by hash) run, and it may connect to its own origin only (the event
    /// stream). A page that tried to fetch a script, a font or an image from
    /// anywhere would be stopped by the browser.
    pub policy: String,
}

/// The diagram of the container table, drawn once.
pub static DIAGRAM: LazyLock<String> = LazyLock::new(|| ContainerProxyAny::META.to_svg());

/// The page, built once.
pub static PAGE: LazyLock<Page> = LazyLock::new(build);

fn sha256(text: &str) -> String {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes())))
}

fn build() -> Page {
    let html =
        TEMPLATE.replace("{{style}}", STYLE).replace("{{script}}", SCRIPT).replace("{{diagram}}", &DIAGRAM);
    let policy = format!(
        "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; img-src data:; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        sha256(SCRIPT),
        sha256(STYLE)
    );
    Page { html, policy }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_carries_the_diagram_and_everything_inline() {
        let page = &*PAGE;
        for state in ContainerProxyAny::META.states {
            assert!(page.html.contains(&format!("id=\"state-{}\"", state.name)), "{}", state.name);
        }
        assert!(!page.html.contains("{{"), "a placeholder left");
        // Nothing is loaded from elsewhere: no src or href but the data: favicon.
        for attribute in ["src=", "href="] {
            let uses: Vec<&str> =
                page.html.match_indices(attribute).map(|(i, _)| &page.html[i..i + 16]).collect();
            assert!(uses.iter().all(|u| u.starts_with("href=\"data:")), "{uses:?}");
        }
        assert!(page.html.contains(&format!("<script>{SCRIPT}</script>")));
        assert!(page.policy.contains(&sha256(SCRIPT)) && page.policy.starts_with("default-src 'none'"));
    }
}
