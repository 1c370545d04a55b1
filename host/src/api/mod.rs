//! The LangGraph Agent Server HTTP API. **Only this module knows LangGraph
//! wire JSON**: request bodies are parsed here (with reserved keys stripped,
//! spec §5.2) and responses are rendered here from storage types.

mod assistants;
mod meta;
mod runs;
mod store;
mod threads;

use axum::Router;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::AppState;
use crate::storage::StorageError;

/// An API error: a status and LangGraph's `{"detail": ...}` body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    detail: String,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    /// An error with this status and detail.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// 404 with this detail.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// 422 with this detail.
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response =
            (self.status, axum::Json(json!({ "detail": self.detail }))).into_response();
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        // The client gets a generic message; the detail goes to the log.
        tracing::error!(error = %err, "storage error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
    }
}

/// Keys clients may not set in `configurable` or `context` (spec §5.2).
pub const RESERVED_CONFIGURABLE_KEYS: &[&str] = &[
    "langgraph_auth_user",
    "langgraph_auth_user_id",
    "langgraph_auth_permissions",
    "langgraph_request_id",
    "__langsmith_project__",
    "__langsmith_example_id__",
    "__request_start_time_ms__",
    "__after_seconds__",
    "__otel_traceparent__",
    "__otel_tracestate__",
    "__dd_trace_headers__",
    "__pregel_node_finished",
    "__context_provided__",
];

/// Metadata keys that write bodies may not set (spec §5.2).
const RESERVED_METADATA_KEYS: &[&str] = &[
    "thread_id",
    "assistant_id",
    "run_id",
    "cron_id",
    "counters_since_delta_snapshot",
];

/// Removes reserved keys from `config.configurable`, a top-level
/// `configurable`, and `context`, of the body or of each element of an array
/// body. Refuses key names containing NUL.
fn sanitize(body: &mut Value) -> Result<(), ApiError> {
    match body {
        Value::Array(items) => items.iter_mut().try_for_each(sanitize_one),
        other => sanitize_one(other),
    }
}

fn sanitize_one(body: &mut Value) -> Result<(), ApiError> {
    let Value::Object(map) = body else {
        return Ok(());
    };
    let mut targets: Vec<&mut Map<String, Value>> = Vec::new();
    let (mut config, mut configurable, mut context) = (None, None, None);
    for (k, v) in map.iter_mut() {
        match (k.as_str(), v) {
            ("config", Value::Object(c)) => config = Some(c),
            ("configurable", Value::Object(c)) => configurable = Some(c),
            ("context", Value::Object(c)) => context = Some(c),
            _ => {}
        }
    }
    if let Some(Value::Object(c)) = config.and_then(|c| c.get_mut("configurable")) {
        targets.push(c);
    }
    targets.extend(configurable);
    targets.extend(context);
    for target in targets {
        if target.keys().any(|k| k.contains('\0')) {
            return Err(ApiError::unprocessable(
                "configurable and context keys may not contain NUL characters",
            ));
        }
        for key in RESERVED_CONFIGURABLE_KEYS {
            if target.remove(*key).is_some() {
                tracing::warn!(key, "ignoring reserved configurable key sent by the client");
            }
        }
    }
    Ok(())
}

/// Removes reserved keys from a write body's metadata.
fn strip_reserved_metadata(metadata: &mut Map<String, Value>) {
    for key in RESERVED_METADATA_KEYS {
        metadata.remove(*key);
    }
}

/// A JSON body in our error format: malformed input is a 422 with a detail
/// that names the JSON path. An empty body reads as `{}`.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = bytes::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::new(e.status(), e.body_text()))?;
        let mut value: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::unprocessable(format!("invalid JSON body: {e}")))?
        };
        sanitize(&mut value)?;
        serde_path_to_error::deserialize(value)
            .map(Json)
            .map_err(|e| {
                let path = e.path().to_string();
                ApiError::unprocessable(format!(
                    "invalid request body at `{path}`: {}",
                    e.into_inner()
                ))
            })
    }
}

/// Validates a store namespace: a list of non-empty string labels without
/// `.` (spec §5).
pub fn validate_namespace(value: &Value) -> Result<Vec<String>, String> {
    let Value::Array(labels) = value else {
        return Err("a namespace must be a list of strings".into());
    };
    labels
        .iter()
        .map(|l| match l {
            Value::String(s) if !s.is_empty() && !s.contains('.') => Ok(s.clone()),
            other => Err(format!(
                "Namespace label '{}' must be a non-empty string without periods",
                other
                    .as_str()
                    .map_or_else(|| other.to_string(), str::to_string)
            )),
        })
        .collect()
}

/// Authorizes one action as the request's caller (see [`crate::auth::authz`]).
async fn authorize(
    state: &AppState,
    caller: &crate::auth::Caller,
    resource: &str,
    action: &str,
    value: &mut Value,
) -> Result<Option<crate::auth::filter::Filter>, ApiError> {
    let live = state.live.load_full();
    crate::auth::authz::authorize(&live, caller, resource, action, value).await
}

/// Whether a resource's metadata passes an optional filter.
fn visible(filter: &Option<crate::auth::filter::Filter>, metadata: &Value) -> bool {
    filter.as_ref().is_none_or(|f| f.matches(metadata))
}

/// A JSON list response with LangGraph's pagination headers.
fn paginated(items: Vec<Value>, total: i64, offset: i64, limit: i64) -> Response {
    let returned = items.len() as i64;
    let mut response = axum::Json(Value::Array(items)).into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::try_from(total.to_string()) {
        h.insert("x-pagination-total", v);
    }
    if offset + returned < total
        && let Ok(v) = HeaderValue::try_from((offset + limit).to_string())
    {
        h.insert("x-pagination-next", v);
    }
    response
}

/// Keeps only the `select`ed fields of a rendered resource.
fn select(value: Value, fields: &Option<Vec<String>>) -> Value {
    match (value, fields) {
        (Value::Object(map), Some(fields)) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| fields.contains(k))
                .collect(),
        ),
        (v, _) => v,
    }
}

/// A sort order: `sort_by` (one of `allowed`) and `sort_order`.
fn sort(
    sort_by: Option<&str>,
    sort_order: Option<&str>,
    allowed: &[&'static str],
    default: &'static str,
) -> Result<crate::storage::Sort, ApiError> {
    let column = match sort_by {
        None => default,
        Some(s) => allowed.iter().copied().find(|a| *a == s).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "invalid sort_by `{s}`: expected one of {}",
                allowed.join(", ")
            ))
        })?,
    };
    let desc = match sort_order {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(o) => {
            return Err(ApiError::unprocessable(format!(
                "invalid sort_order `{o}`: expected asc or desc"
            )));
        }
    };
    Ok(crate::storage::Sort { column, desc })
}

/// Parses an id path segment; `what` is e.g. `thread`.
fn parse_id(what: &str, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw)
        .map_err(|_| ApiError::unprocessable(format!("Invalid {what} ID: must be a UUID")))
}

/// The router with every API route. Authentication is layered on by
/// [`crate::App::router`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ok", get(meta::ok))
        .route("/info", get(meta::info))
        .route("/assistants", post(assistants::create))
        .route("/assistants/search", post(assistants::search))
        .route("/assistants/count", post(assistants::count))
        .route(
            "/assistants/{assistant_id}",
            get(assistants::get_one)
                .patch(assistants::update)
                .delete(assistants::delete),
        )
        .route("/assistants/{assistant_id}/graph", get(assistants::graph))
        .route(
            "/assistants/{assistant_id}/schemas",
            get(assistants::schemas),
        )
        .route(
            "/assistants/{assistant_id}/versions",
            post(assistants::versions),
        )
        .route("/threads", post(threads::create))
        .route("/threads/search", post(threads::search))
        .route("/threads/count", post(threads::count))
        .route(
            "/threads/{thread_id}",
            get(threads::get_one)
                .patch(threads::update)
                .delete(threads::delete),
        )
        .route("/threads/{thread_id}/copy", post(threads::copy))
        .route("/threads/{thread_id}/state", get(threads::state))
        .route(
            "/threads/{thread_id}/state/checkpoint",
            post(threads::state_at_posted_checkpoint),
        )
        .route(
            "/threads/{thread_id}/state/{checkpoint_id}",
            get(threads::state_at),
        )
        .route(
            "/threads/{thread_id}/history",
            get(threads::history_get).post(threads::history_post),
        )
        .route(
            "/store/items",
            axum::routing::put(store::put)
                .get(store::get)
                .delete(store::delete),
        )
        .route("/store/items/search", post(store::search))
        .route("/store/namespaces", post(store::namespaces))
        .route("/threads/{thread_id}/runs/wait", post(runs::wait_stateful))
        .route(
            "/threads/{thread_id}/runs/stream",
            post(runs::stream_stateful),
        )
        .route("/runs/wait", post(runs::wait_stateless))
        .route("/runs/stream", post(runs::stream_stateless))
        .fallback(|| async { ApiError::not_found("Not Found") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_keys_are_stripped_everywhere_langgraph_strips_them() {
        let mut body = json!({
            "config": {"configurable": {"langgraph_auth_user": {"identity": "mallory"}, "k": 1}},
            "configurable": {"langgraph_auth_user_id": "mallory"},
            "context": {"langgraph_auth_permissions": ["admin"], "langgraph_request_id": "x", "c": 2},
            "input": {"langgraph_auth_user": "kept: nested fields are not scanned"}
        });
        sanitize(&mut body).unwrap();
        assert_eq!(
            body,
            json!({
                "config": {"configurable": {"k": 1}},
                "configurable": {},
                "context": {"c": 2},
                "input": {"langgraph_auth_user": "kept: nested fields are not scanned"}
            })
        );
        let mut batch = json!([{"context": {"langgraph_auth_user": 1}}]);
        sanitize(&mut batch).unwrap();
        assert_eq!(batch, json!([{"context": {}}]));
        let mut nul = json!({"context": {"a\u{0}": 1}});
        assert!(sanitize(&mut nul).is_err());
    }
}
