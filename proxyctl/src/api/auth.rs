//! HTTP basic authentication with `uuid:key` subjects, and namespace resolution: `_`
//! is the caller's own namespace, any other than the caller's is a 403.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use base64::Engine as _;
use proxy_store::doc::Subject;

use super::error::{ApiError, UNAUTHENTICATED};
use super::AppState;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who it is.
    pub subject: Subject,
    /// Its `uuid:key`, handed to actions that provide the API key. Never logged.
    pub auth: String,
}

impl Caller {
    /// The namespace `requested` names for this caller: `_` or its own; another's is
    /// refused (403).
    pub fn namespace(&self, requested: &str) -> Result<String, ApiError> {
        if requested == "_" || requested == self.subject.namespace {
            Ok(self.subject.namespace.clone())
        } else {
            Err(ApiError::forbidden(requested))
        }
    }
}

fn unauthenticated() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, UNAUTHENTICATED)
}

/// `uuid` and `key` of a `Basic` authorization header.
fn credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (uuid, key) = text.split_once(':')?;
    Some((uuid.to_string(), key.to_string()))
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let header = parts.headers.get(AUTHORIZATION).and_then(|h| h.to_str().ok());
        let (uuid, key) = header.and_then(credentials).ok_or_else(unauthenticated)?;
        let subject = state.store.authenticate(&uuid, &key).await?.ok_or_else(unauthenticated)?;
        Ok(Caller { subject, auth: format!("{uuid}:{key}") })
    }
}

#[cfg(test)]
mod tests {
    use super::credentials;

    #[test]
    fn basic_credentials_are_read_and_others_refused() {
        // base64("u-1:k:with:colons")
        let header = format!(
            "Basic {}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "u-1:k:with:colons")
        );
        assert_eq!(credentials(&header), Some(("u-1".into(), "k:with:colons".into())));
        assert_eq!(credentials("Bearer abc"), None);
        assert_eq!(credentials("Basic !!!"), None);
        assert_eq!(credentials("Basic"), None);
    }
}
