//! Authentication: the middleware in front of every protected route, and the
//! user it produces.
//!
//! - [`Authenticator`] is what the middleware calls. The shipped one is the
//!   WebAssembly handler ([`WasmAuthenticator`]); benchmarks plug in a native
//!   implementation to compare against.
//! - [`normalize`] turns what a handler returned into an [`AuthUser`] exactly
//!   as LangGraph does (spec §2.3); anything malformed is a fault.
//! - [`authenticate`] is the axum middleware. `/`, `/ok`, `/info`, `/docs`
//!   and `/openapi.json` skip it; every other path, unknown ones included, is
//!   authenticated first (spec §2.1). **A fault never authenticates anyone**:
//!   the client gets a generic 500, the log gets the module and its sha256.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

pub mod authz;
pub mod filter;

use crate::api::ApiError;
use crate::plugin::{AuthModule, AuthRequest, Denial, Fault, GuestUser};

/// Identity of the Studio user.
const STUDIO_IDENTITY: &str = "langgraph-studio-user";

/// Keys of the exposed user JSON that the typed fields own.
const RESERVED_USER_KEYS: &[&str] = &[
    "identity",
    "display_name",
    "is_authenticated",
    "permissions",
];

/// The authenticated user of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthUser {
    /// `identity`; becomes `langgraph_auth_user_id`.
    pub identity: String,
    /// Defaults to `identity`.
    pub display_name: String,
    /// Defaults to true.
    pub is_authenticated: bool,
    /// Becomes `langgraph_auth_permissions`.
    pub permissions: Vec<String>,
    /// Custom fields. **Never stored, never returned by the API**: they reach
    /// graphs in memory only.
    pub custom_fields: Map<String, Value>,
    /// LangGraph Studio's user (spec §3): only in development mode.
    pub studio: bool,
}

impl AuthUser {
    /// The full user as graphs see it in `langgraph_auth_user`: the
    /// LangGraph shape, custom fields included.
    pub fn exposed_json(&self) -> Value {
        let mut map = self.base_map();
        map.extend(self.custom_fields.clone());
        map.insert("permissions".into(), self.permissions_json());
        Value::Object(map)
    }

    /// The user with no custom fields: what storage and API responses may show.
    pub fn public_json(&self) -> Value {
        Value::Object(self.public_map())
    }

    fn public_map(&self) -> Map<String, Value> {
        let mut map = self.base_map();
        map.insert("permissions".into(), self.permissions_json());
        map
    }

    /// The user LangGraph's development server gives a request carrying
    /// `x-auth-scheme: langsmith` (spec §3).
    pub fn studio() -> AuthUser {
        AuthUser {
            identity: STUDIO_IDENTITY.into(),
            display_name: STUDIO_IDENTITY.into(),
            is_authenticated: false,
            permissions: Vec::new(),
            custom_fields: Map::new(),
            studio: true,
        }
    }

    fn base_map(&self) -> Map<String, Value> {
        let mut map = Map::new();
        if self.studio {
            map.insert("kind".into(), "StudioUser".into());
        }
        map.insert("identity".into(), self.identity.clone().into());
        map.insert("is_authenticated".into(), self.is_authenticated.into());
        map.insert("display_name".into(), self.display_name.clone().into());
        map
    }

    fn permissions_json(&self) -> Value {
        Value::Array(self.permissions.iter().cloned().map(Value::from).collect())
    }
}

/// Who a request runs as: `None` when no `auth` is configured (LangGraph's
/// no-op backend: `langgraph_auth_user` is null and the user id is `""`).
#[derive(Debug, Clone, Default)]
pub struct Caller(pub Option<Arc<AuthUser>>);

/// Normalises a handler's user (spec §2.3). An error is a handler fault.
pub fn normalize(user: GuestUser) -> Result<AuthUser, Fault> {
    let text = user.custom_fields.trim();
    let custom_fields = if text.is_empty() {
        Map::new()
    } else {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(other) => {
                return Err(Fault::Invalid(format!(
                    "custom-fields must be a JSON object, got {}",
                    json_kind(&other)
                )));
            }
            Err(e) => {
                return Err(Fault::Invalid(format!(
                    "custom-fields is not valid JSON: {e}"
                )));
            }
        }
    };
    if let Some(key) = RESERVED_USER_KEYS
        .iter()
        .find(|k| custom_fields.contains_key(**k))
    {
        return Err(Fault::Invalid(format!(
            "custom-fields may not contain `{key}`: it is a typed field of the user record"
        )));
    }
    Ok(AuthUser {
        display_name: user.display_name.unwrap_or_else(|| user.identity.clone()),
        identity: user.identity,
        is_authenticated: user.is_authenticated.unwrap_or(true),
        permissions: user.permissions,
        custom_fields,
        studio: false,
    })
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The result of authenticating one request.
pub type AuthResult = Result<Result<AuthUser, Denial>, Fault>;

/// Something that authenticates requests.
pub trait Authenticator: Send + Sync + 'static {
    /// Authenticates one request. See [`AuthResult`].
    fn authenticate<'a>(
        &'a self,
        request: &'a AuthRequest,
    ) -> Pin<Box<dyn Future<Output = AuthResult> + Send + 'a>>;
}

/// Authenticates with a WebAssembly handler: the call, normalisation, and
/// the fault log.
pub async fn authenticate_wasm(module: &AuthModule, request: &AuthRequest) -> AuthResult {
    let result = match module.authenticate(request).await {
        Ok(Ok(user)) => normalize(user).map(Ok),
        Ok(Err(denial)) => Ok(Err(denial)),
        Err(fault) => Err(fault),
    };
    if let Err(fault) = &result {
        crate::plugin::log_fault(module.info(), "authentication handler", fault);
    }
    result
}

/// The WebAssembly authentication handler as an [`Authenticator`].
pub struct WasmAuthenticator(pub Arc<AuthModule>);

impl Authenticator for WasmAuthenticator {
    fn authenticate<'a>(
        &'a self,
        request: &'a AuthRequest,
    ) -> Pin<Box<dyn Future<Output = AuthResult> + Send + 'a>> {
        Box::pin(authenticate_wasm(&self.0, request))
    }
}

/// What the middleware needs: the live modules, or a fixed authenticator
/// that replaces them (benchmarks).
#[derive(Clone)]
pub struct AuthLayer {
    /// The live modules.
    pub live: Arc<arc_swap::ArcSwap<crate::reload::Live>>,
    /// Used instead of the live handler when set.
    pub fixed: Option<Arc<dyn Authenticator>>,
    /// Development mode (`wasmgate dev`): `x-auth-scheme: langsmith` yields
    /// the Studio user unless `auth.disable_studio_auth` is set. Never in
    /// `wasmgate serve`.
    pub dev_mode: bool,
}

/// Paths that skip authentication (spec §2.1).
pub fn is_public(path: &str) -> bool {
    matches!(path, "/" | "/ok" | "/info" | "/docs" | "/openapi.json")
}

/// The authentication middleware.
pub async fn authenticate(
    State(layer): State<AuthLayer>,
    mut request: Request,
    next: Next,
) -> Response {
    // One snapshot per request: the handler it starts with is the one it uses.
    let live = layer.live.load_full();
    if layer.fixed.is_none() && live.auth.is_none() {
        request.extensions_mut().insert(Caller(None));
        return next.run(request).await;
    }
    if is_public(request.uri().path()) {
        return next.run(request).await;
    }
    let studio_allowed = layer.dev_mode
        && !live
            .config
            .auth
            .as_ref()
            .is_some_and(|a| a.disable_studio_auth);
    if studio_allowed
        && request
            .headers()
            .get("x-auth-scheme")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"langsmith"))
    {
        request
            .extensions_mut()
            .insert(Caller(Some(Arc::new(AuthUser::studio()))));
        return next.run(request).await;
    }
    let auth_request = AuthRequest {
        method: request.method().as_str().to_string(),
        path: request.uri().path().to_string(),
        query: request.uri().query().unwrap_or("").to_string(),
        headers: request
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_string(), value.as_bytes().to_vec()))
            .collect(),
    };
    let result = match (&layer.fixed, &live.auth) {
        (Some(fixed), _) => fixed.authenticate(&auth_request).await,
        (None, Some(module)) => authenticate_wasm(module, &auth_request).await,
        (None, None) => unreachable!("checked above"),
    };
    let refusal = match result {
        Ok(Ok(user)) => {
            request
                .extensions_mut()
                .insert(Caller(Some(Arc::new(user))));
            return next.run(request).await;
        }
        Ok(Err(denial)) => denial_error(denial, "authentication").into_response(),
        Err(Fault::Busy) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server busy: too many concurrent requests, retry shortly",
        )
        .into_response(),
        Err(Fault::Isolation(_)) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            crate::plugin::SANDBOX_UNAVAILABLE,
        )
        .into_response(),
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "authentication handler failed; the request was not authenticated",
        )
        .into_response(),
    };
    discard_body(request, refusal).await
}

/// Largest unread request body a refusal drains to keep the connection.
const DRAIN_LIMIT: usize = 1 << 20;
/// How long a refusal waits for the rest of an unread body.
const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Reads and drops the body of a request that is answered without it, so
/// that the client can reuse its keep-alive connection for the next request
/// (otherwise the connection is closed under a client that already sent its
/// next request on it). A body that is too large or too slow closes the
/// connection instead, and the response says so.
async fn discard_body(request: Request, mut response: Response) -> Response {
    let has_body = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() != b"0")
        || request
            .headers()
            .contains_key(axum::http::header::TRANSFER_ENCODING);
    if !has_body {
        return response;
    }
    let drained = tokio::time::timeout(
        DRAIN_TIMEOUT,
        axum::body::to_bytes(request.into_body(), DRAIN_LIMIT),
    )
    .await;
    if !matches!(drained, Ok(Ok(_))) {
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            HeaderValue::from_static("close"),
        );
    }
    response
}

/// A handler's refusal as an API error: its status and `{"detail"}`, with
/// its headers kept (we deliberately differ from LangGraph here, as RFC 9110
/// asks for `WWW-Authenticate` on a 401). `what` names the phase for logs.
pub(crate) fn denial_error(denial: Denial, what: &str) -> ApiError {
    let Some(status) = StatusCode::from_u16(denial.status)
        .ok()
        .filter(|s| s.is_client_error() || s.is_server_error())
    else {
        tracing::error!(
            status = denial.status,
            "{what} handler returned an http-error with a status outside 400-599; failing closed"
        );
        return ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            if what == "authentication" {
                "authentication handler failed; the request was not authenticated".to_string()
            } else {
                format!("{what} handler failed; the action was not performed")
            },
        );
    };
    let detail = match denial.detail {
        None => status
            .canonical_reason()
            .unwrap_or("unknown error")
            .to_string(),
        Some(d) if d.is_empty() => "unknown error".to_string(),
        Some(d) => d,
    };
    let mut error = ApiError::new(status, detail);
    for (name, value) in denial.headers {
        match (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            (Ok(name), Ok(value)) => error = error.with_header(name, value),
            _ => {
                tracing::warn!(header = %name, "{what} handler set an invalid response header; dropped")
            }
        }
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guest(custom: &str) -> GuestUser {
        GuestUser {
            identity: "alice".into(),
            display_name: None,
            is_authenticated: None,
            permissions: vec!["read".into()],
            custom_fields: custom.into(),
        }
    }

    #[test]
    fn normalises_like_langgraph() {
        let user = normalize(guest(r#"{"github_token": "t", "org": {"id": 1}}"#)).unwrap();
        assert_eq!(user.display_name, "alice");
        assert!(user.is_authenticated);
        assert_eq!(
            user.exposed_json().to_string(),
            r#"{"identity":"alice","is_authenticated":true,"display_name":"alice","github_token":"t","org":{"id":1},"permissions":["read"]}"#
        );
        assert_eq!(
            user.public_json().to_string(),
            r#"{"identity":"alice","is_authenticated":true,"display_name":"alice","permissions":["read"]}"#
        );
        let user = normalize(GuestUser {
            display_name: Some("Alice".into()),
            is_authenticated: Some(false),
            ..guest("")
        })
        .unwrap();
        assert_eq!(user.display_name, "Alice");
        assert!(!user.is_authenticated);
        assert!(user.custom_fields.is_empty());
    }

    #[test]
    fn malformed_custom_fields_are_faults() {
        for bad in [
            "[1,2]",
            "\"s\"",
            "{not json",
            "null",
            r#"{"identity":"mallory"}"#,
            r#"{"permissions":[]}"#,
        ] {
            assert!(
                matches!(normalize(guest(bad)), Err(Fault::Invalid(_))),
                "{bad} should be refused"
            );
        }
    }
}
