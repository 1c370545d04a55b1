//! The API-key handler of LangGraph's custom-auth guide, as a wasmgate component.
//!
//! Each client sends `x-api-key`. The handler looks the key up in its setting `api_keys`, an
//! object from key to user:
//!
//! ```json
//! {"alice-key": {"identity": "alice", "github_token": "ghp_...", "jira_token": "...",
//!                "display_name": "Alice", "permissions": ["threads:write"]}}
//! ```
//!
//! A known key authenticates as that user: `identity`, optional `display_name`, `permissions`
//! (default none) and every other key of the entry (`github_token`, `jira_token`, ...) as a
//! custom field that graphs receive in `langgraph_auth_user`. A missing or unknown key gets
//! `401 {"detail": "Invalid API key"}` with `www-authenticate: ApiKey`. A missing or malformed
//! `api_keys` setting fails closed: every request gets a 500.

use serde_json::{Map, Value};
use wasmgate_guest::auth::{Handler, HttpError, Request, User, settings};

struct ApiKeyAuth;

impl Handler for ApiKeyAuth {
    fn authenticate(request: Request) -> Result<User, HttpError> {
        // Parsed as plain JSON: only the matching entry is turned into a `User`.
        let keys = settings::json("api_keys")
            .map_err(|error| HttpError::new(500, format!("auth handler misconfigured: {error}")))?;
        authenticate_with(&request, keys)
    }
}

wasmgate_guest::export_auth!(ApiKeyAuth);

/// The handler without its setting lookup, so that it can be tested natively.
fn authenticate_with(request: &Request, mut keys: Map<String, Value>) -> Result<User, HttpError> {
    let Some(entry) = request.api_key().and_then(|key| keys.remove(key)) else {
        return Err(HttpError::unauthorized("Invalid API key").header("www-authenticate", "ApiKey"));
    };
    // `identity`, `display_name`, `is_authenticated`, `permissions`; every other key of the
    // entry (`github_token`, `jira_token`, ...) becomes a custom field.
    User::from_json(entry).map_err(|error| {
        HttpError::new(
            500,
            format!("auth handler misconfigured: an `api_keys` entry is not a user: {error}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn keys() -> Map<String, Value> {
        serde_json::from_value(json!({
            "alice-key": {"identity": "alice", "github_token": "ghp_a", "jira_token": "jira_a",
                          "permissions": ["threads:write"], "display_name": "Alice"},
            "bob-key": {"identity": "bob", "github_token": "ghp_b", "jira_token": "jira_b"},
        }))
        .unwrap()
    }

    #[test]
    fn known_key_authenticates_with_custom_fields() {
        let request = Request::new("GET", "/threads").with_header("x-api-key", "alice-key");
        let user = authenticate_with(&request, keys()).unwrap();
        assert_eq!(
            user.to_json(),
            json!({
                "identity": "alice",
                "is_authenticated": true,
                "display_name": "Alice",
                "permissions": ["threads:write"],
                "github_token": "ghp_a",
                "jira_token": "jira_a",
            })
        );
        let request = Request::new("GET", "/threads").with_header("x-api-key", "bob-key");
        let bob = authenticate_with(&request, keys()).unwrap().to_json();
        assert_eq!(bob["permissions"], json!([]));
        assert_eq!(bob["display_name"], "bob");
    }

    #[test]
    fn malformed_entry_fails_closed_without_quoting_it() {
        let mut keys = keys();
        keys.insert(
            "k".into(),
            json!({"identity": "eve", "permissions": "ghp_secret"}),
        );
        let request = Request::new("GET", "/threads").with_header("x-api-key", "k");
        let error = authenticate_with(&request, keys).unwrap_err();
        assert_eq!(error.status(), 500);
        assert!(error.detail().contains("`permissions`"), "{error}");
        assert!(!error.detail().contains("ghp_secret"), "{error}");
    }

    #[test]
    fn missing_or_unknown_key_is_refused() {
        for request in [
            Request::new("GET", "/threads"),
            Request::new("GET", "/threads").with_header("x-api-key", "mallory-key"),
            Request::new("GET", "/threads").with_header("x-api-key", "ALICE-KEY"),
        ] {
            let error = authenticate_with(&request, keys()).unwrap_err();
            assert_eq!(error.status(), 401);
            assert_eq!(error.detail(), "Invalid API key");
            assert_eq!(
                error.headers(),
                [("www-authenticate".into(), "ApiKey".into())]
            );
        }
    }
}
