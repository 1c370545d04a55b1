//! Runs: `POST /threads/{thread_id}/runs/wait` and `POST /runs/wait`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json as AxumJson};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::threads::new_thread;
use super::{ApiError, Json, parse_id, strip_reserved_metadata};
use crate::AppState;
use crate::auth::Caller;
use crate::graph::{RunResult, RunSpec, execute};
use crate::plugin::GraphModule;
use crate::reload::Live;
use crate::storage::{Assistant, StorageError, system_assistant_id};

#[derive(Deserialize)]
pub struct RunCreate {
    assistant_id: String,
    #[serde(default)]
    input: Value,
    command: Option<Value>,
    #[serde(default)]
    metadata: Map<String, Value>,
    #[serde(default)]
    config: Map<String, Value>,
    context: Option<Map<String, Value>>,
    if_not_exists: Option<IfNotExists>,
    on_completion: Option<OnCompletion>,
    multitask_strategy: Option<String>,
    stream_mode: Option<Value>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum IfNotExists {
    Reject,
    Create,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum OnCompletion {
    Delete,
    Keep,
}

const NOT_FOUND: &str = "Thread or assistant not found.";

/// Resolves `assistant_id` (a UUID, or a graph name meaning its system
/// assistant) and its graph, from the live set the request started with.
async fn resolve_assistant(
    state: &AppState,
    live: &Live,
    raw: &str,
) -> Result<(Assistant, Arc<GraphModule>), ApiError> {
    let id = match Uuid::parse_str(raw) {
        Ok(id) => id,
        Err(_) if live.graphs.contains_key(raw) => system_assistant_id(raw),
        Err(_) => return Err(ApiError::not_found(NOT_FOUND)),
    };
    let assistant = state
        .storage
        .get_assistant(id)
        .await?
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    let Some(graph) = live.graphs.get(&assistant.graph_id).cloned() else {
        return Err(ApiError::not_found(format!(
            "Graph '{}' not found",
            assistant.graph_id
        )));
    };
    Ok((assistant, graph))
}

fn validate(body: &RunCreate) -> Result<(), ApiError> {
    if body.command.is_some() {
        return Err(ApiError::unprocessable(
            "`command` is not supported by wasmgate yet; send `input`",
        ));
    }
    let configurable_given =
        matches!(body.config.get("configurable"), Some(Value::Object(c)) if !c.is_empty());
    if configurable_given && body.context.is_some() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Cannot specify both configurable and context. Prefer setting context alone. Context was introduced in LangGraph 0.6.0 and is the long term planned replacement for configurable.",
        ));
    }
    Ok(())
}

fn spec(
    body: RunCreate,
    assistant: Assistant,
    thread_id: Uuid,
    caller: Caller,
    headers: &HeaderMap,
) -> RunSpec {
    let mut metadata = body.metadata;
    strip_reserved_metadata(&mut metadata);
    let mut config = body.config;
    if let Some(Value::Object(m)) = config.get_mut("metadata") {
        strip_reserved_metadata(m);
    }
    RunSpec {
        run_id: Uuid::now_v7(),
        thread_id,
        assistant,
        input: body.input,
        config,
        context: body.context,
        metadata,
        caller,
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        multitask_strategy: body
            .multitask_strategy
            .unwrap_or_else(|| "enqueue".to_string()),
        stream_mode: body.stream_mode.unwrap_or_else(|| json!(["values"])),
    }
}

fn wait_response(result: RunResult, location: Option<(Uuid, Uuid)>, stateless: bool) -> Response {
    let body = match result {
        RunResult::Success(values) => values,
        RunResult::Error(error) => json!({ "__error__": error }),
    };
    let mut response = AxumJson(body).into_response();
    if let Some((thread_id, run_id)) = location {
        let base = if stateless {
            format!("/runs/{run_id}")
        } else {
            format!("/threads/{thread_id}/runs/{run_id}")
        };
        if let Ok(v) = HeaderValue::try_from(base.clone()) {
            response.headers_mut().insert(header::CONTENT_LOCATION, v);
        }
        if let Ok(v) = HeaderValue::try_from(format!("{base}/join")) {
            response.headers_mut().insert(header::LOCATION, v);
        }
    }
    response
}

/// `POST /threads/{thread_id}/runs/wait`.
pub async fn wait_stateful(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(thread_id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<RunCreate>,
) -> Result<Response, ApiError> {
    let thread_id = parse_id("thread", &thread_id)?;
    validate(&body)?;
    let live = state.live.load_full();
    let (assistant, graph) = resolve_assistant(&state, &live, &body.assistant_id).await?;
    let _turn = state.thread_locks.of(thread_id).lock().await;
    if state.storage.get_thread(thread_id).await?.is_none() {
        if body.if_not_exists != Some(IfNotExists::Create) {
            return Err(ApiError::not_found(NOT_FOUND));
        }
        let mut metadata = body.metadata.clone();
        strip_reserved_metadata(&mut metadata);
        match state
            .storage
            .create_thread(&new_thread(thread_id, metadata))
            .await
        {
            Ok(()) | Err(StorageError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let spec = spec(body, assistant, thread_id, caller, &headers);
    let run_id = spec.run_id;
    let (_run, result) = execute(&state.storage, &graph, spec).await?;
    Ok(wait_response(result, Some((thread_id, run_id)), false))
}

/// `POST /runs/wait`: a run on a temporary thread, deleted afterwards unless
/// `on_completion` is `keep`.
pub async fn wait_stateless(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Json(body): Json<RunCreate>,
) -> Result<Response, ApiError> {
    validate(&body)?;
    let live = state.live.load_full();
    let (assistant, graph) = resolve_assistant(&state, &live, &body.assistant_id).await?;
    let thread_id = Uuid::now_v7();
    let mut metadata = body.metadata.clone();
    strip_reserved_metadata(&mut metadata);
    state
        .storage
        .create_thread(&new_thread(thread_id, metadata))
        .await?;
    let keep = body.on_completion == Some(OnCompletion::Keep);
    let spec = spec(body, assistant, thread_id, caller, &headers);
    let run_id = spec.run_id;
    let outcome = execute(&state.storage, &graph, spec).await;
    if !keep {
        state.storage.delete_thread(thread_id).await?;
    }
    let (_run, result) = outcome?;
    Ok(wait_response(result, Some((thread_id, run_id)), true))
}
