//! Entity names as the `wsk` CLI takes them (`hello`, `pkg/hello`, `/ns/hello`,
//! `/ns/pkg/hello`) and their percent-encoded form in a path or a query.

use std::fmt;

/// The namespace that means the caller's own.
pub const OWN_NAMESPACE: &str = "_";

/// A qualified action name.
///
/// ```
/// use proxy_client::EntityName;
/// let name = EntityName::parse("/guest/utils/echo");
/// assert_eq!((name.namespace.as_str(), name.name.as_str()), ("guest", "utils/echo"));
/// assert_eq!(EntityName::parse("hello").to_string(), "/_/hello");
/// assert_eq!(EntityName::parse("my action").path("actions"), "/api/v1/namespaces/_/actions/my%20action");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityName {
    /// The namespace (`_` for the caller's own).
    pub namespace: String,
    /// The name, `pkg/name` inside a package.
    pub name: String,
}

impl EntityName {
    /// `text` as `wsk` reads it: a leading `/` starts with the namespace.
    pub fn parse(text: &str) -> Self {
        match text.strip_prefix('/').and_then(|rest| rest.split_once('/')) {
            Some((namespace, name)) if !namespace.is_empty() => {
                EntityName { namespace: namespace.to_string(), name: name.to_string() }
            }
            _ => EntityName {
                namespace: OWN_NAMESPACE.to_string(),
                name: text.trim_start_matches('/').to_string(),
            },
        }
    }

    /// The API path of this entity in `collection` (`actions`).
    pub fn path(&self, collection: &str) -> String {
        let name: Vec<String> = self.name.split('/').map(encode).collect();
        format!("{}/{collection}/{}", namespace_path(&self.namespace), name.join("/"))
    }
}

impl fmt::Display for EntityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/{}", self.namespace, self.name)
    }
}

/// `/api/v1/namespaces/{namespace}`.
pub(crate) fn namespace_path(namespace: &str) -> String {
    format!("/api/v1/namespaces/{}", encode(namespace))
}

/// `text` percent-encoded for a path segment or a query value: everything but
/// RFC 3986's unreserved characters.
pub(crate) fn encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// `pairs` as a query string, values encoded; `None` values left out.
pub(crate) fn query(pairs: &[(&str, Option<String>)]) -> String {
    let present: Vec<String> = pairs
        .iter()
        .filter_map(|(key, value)| value.as_ref().map(|value| format!("{key}={}", encode(value))))
        .collect();
    present.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_wsk_accepts() {
        let cases = [
            ("hello", "_", "hello"),
            ("pkg/hello", "_", "pkg/hello"),
            ("/guest/hello", "guest", "hello"),
            ("/guest/pkg/hello", "guest", "pkg/hello"),
            ("/hello", "_", "hello"),
        ];
        for (text, namespace, name) in cases {
            assert_eq!(
                EntityName::parse(text),
                EntityName { namespace: namespace.into(), name: name.into() },
                "{text}"
            );
        }
    }

    #[test]
    fn encodes_everything_but_unreserved() {
        assert_eq!(encode("a b/c?d&é"), "a%20b%2Fc%3Fd%26%C3%A9");
        assert_eq!(
            query(&[("limit", Some("1".into())), ("skip", None), ("name", Some("a b".into()))]),
            "limit=1&name=a%20b"
        );
    }
}
