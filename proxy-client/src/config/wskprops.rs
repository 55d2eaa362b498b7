//! The `wsk` CLI's properties file (`~/.wskprops`, or `$WSK_CONFIG_FILE`): lines of
//! `KEY=VALUE`, of which the client reads `APIHOST` and `AUTH`.
//!
//! Deviation D51: upstream's reader (`readProps` in openwhisk-cli) splits each line on every `=` and
//! skips a line that does not give exactly two parts. This one splits at the first
//! `=` only, so a value containing `=` is kept rather than silently dropped, and trims
//! spaces and a Windows line end around keys and values, which `wsk` would keep as part
//! of the key or the value. Lines starting with `#` are comments. As upstream, a later
//! line for the same key wins.

use std::collections::BTreeMap;

/// The properties of one file, by key.
///
/// ```
/// use proxy_client::config::WskProps;
/// let props = WskProps::parse("APIHOST=http://127.0.0.1:3233\nAUTH=uuid:key\n");
/// assert_eq!(props.get("APIHOST"), Some("http://127.0.0.1:3233"));
/// assert_eq!(props.get("AUTH"), Some("uuid:key"));
/// assert_eq!(props.get("NAMESPACE"), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WskProps {
    values: BTreeMap<String, String>,
}

impl WskProps {
    /// The properties in `text`; lines that are not `KEY=VALUE` are skipped, as
    /// upstream skips them.
    pub fn parse(text: &str) -> Self {
        let values = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(|line| line.split_once('='))
            .map(|(key, value)| (key.trim(), value.trim()))
            .filter(|(key, _)| !key.is_empty())
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        WskProps { values }
    }

    /// The value of `key`, if the file sets it to something non-empty (`wsk property
    /// unset` leaves `AUTH=` behind, which means no key).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str).filter(|value| !value.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_wsk_property_set_writes() {
        let props = WskProps::parse(
            "AUTH=23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZ\nAPIHOST=localhost:3233\nNAMESPACE=guest\n",
        );
        assert_eq!(props.get("AUTH"), Some("23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZ"));
        assert_eq!(props.get("APIHOST"), Some("localhost:3233"));
        assert_eq!(props.get("NAMESPACE"), Some("guest"));
    }

    #[test]
    fn skips_comments_blank_and_malformed_lines() {
        let props = WskProps::parse("# a comment\n\nnot a property\n=novalue\nAPIHOST=http://h:1\n");
        assert_eq!(props, WskProps::parse("APIHOST=http://h:1"));
    }

    #[test]
    fn a_value_with_an_equals_sign_is_kept_whole() {
        assert_eq!(WskProps::parse("AUTH=a:b=c").get("AUTH"), Some("a:b=c"));
    }

    #[test]
    fn trims_spaces_and_windows_line_ends() {
        let props = WskProps::parse(" APIHOST = http://h:1 \r\nAUTH=u:k\r\n");
        assert_eq!((props.get("APIHOST"), props.get("AUTH")), (Some("http://h:1"), Some("u:k")));
    }

    #[test]
    fn the_last_line_for_a_key_wins_and_empty_means_unset() {
        assert_eq!(WskProps::parse("AUTH=old\nAUTH=new").get("AUTH"), Some("new"));
        assert_eq!(WskProps::parse("AUTH=old\nAUTH=").get("AUTH"), None);
    }

    #[test]
    fn keys_are_case_sensitive_as_upstream() {
        assert_eq!(WskProps::parse("auth=u:k").get("AUTH"), None);
    }
}
