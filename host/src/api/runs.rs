//! Runs: `POST /threads/{thread_id}/runs/wait` and `POST /runs/wait`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json as AxumJson};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio_stream::StreamExt as _;
use uuid::Uuid;

use super::threads::new_thread;
use super::{ApiError, Json, authorize, parse_id, sanitize, strip_reserved_metadata, visible};
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
    run_id: Uuid,
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
        run_id,
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
        let base = base_location(stateless, thread_id, run_id);
        if let Ok(v) = HeaderValue::try_from(base.clone()) {
            response.headers_mut().insert(header::CONTENT_LOCATION, v);
        }
        if let Ok(v) = HeaderValue::try_from(format!("{base}/join")) {
            response.headers_mut().insert(header::LOCATION, v);
        }
    }
    response
}

/// A run ready to execute, holding its thread's turn.
struct Prepared {
    spec: RunSpec,
    graph: Arc<GraphModule>,
    turn: tokio::sync::OwnedMutexGuard<()>,
    /// A stateless run's temporary thread, deleted afterwards unless kept.
    delete_after: bool,
    stateless: bool,
}

/// Validates a run request and sets up its thread. `thread_id: None` is a
/// stateless run on a temporary thread.
async fn prepare(
    state: &AppState,
    caller: Caller,
    thread_id: Option<Uuid>,
    headers: &HeaderMap,
    body: RunCreate,
) -> Result<Prepared, ApiError> {
    validate(&body)?;
    // One snapshot: the run executes on the graph version it resolved here.
    let live = state.live.load_full();
    let (assistant, graph) = resolve_assistant(state, &live, &body.assistant_id).await?;
    let run_id = Uuid::now_v7();
    let mut body = body;
    strip_reserved_metadata(&mut body.metadata);
    let filter = authorize_run(state, &caller, thread_id, &assistant, run_id, &mut body).await?;
    let metadata = body.metadata.clone();
    let stateless = thread_id.is_none();
    let (thread_id, turn, delete_after) = match thread_id {
        Some(thread_id) => {
            let turn = state.thread_locks.turn(thread_id).await;
            let existing = state.storage.get_thread(thread_id).await?;
            if let Some(t) = &existing
                && !visible(&filter, &t.metadata)
            {
                return Err(ApiError::not_found(NOT_FOUND));
            }
            if existing.is_none() {
                if body.if_not_exists != Some(IfNotExists::Create) {
                    return Err(ApiError::not_found(NOT_FOUND));
                }
                match state
                    .storage
                    .create_thread(&new_thread(thread_id, metadata))
                    .await
                {
                    Ok(()) | Err(StorageError::Conflict) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            (thread_id, turn, false)
        }
        None => {
            let thread_id = Uuid::now_v7();
            let turn = state.thread_locks.turn(thread_id).await;
            state
                .storage
                .create_thread(&new_thread(thread_id, metadata))
                .await?;
            (
                thread_id,
                turn,
                body.on_completion != Some(OnCompletion::Keep),
            )
        }
    };
    Ok(Prepared {
        spec: spec(run_id, body, assistant, thread_id, caller, headers),
        graph,
        turn,
        delete_after,
        stateless,
    })
}

/// `threads.create_run` (spec §4.3), then `assistants.read` unless the
/// assistant is a system one. Takes back the handler's edits to `metadata`
/// and `kwargs` (input, config, context; reserved keys stripped again).
/// Returns the filter the run's existing thread must match.
async fn authorize_run(
    state: &AppState,
    caller: &Caller,
    thread_id: Option<Uuid>,
    assistant: &Assistant,
    run_id: Uuid,
    body: &mut RunCreate,
) -> Result<Option<crate::auth::filter::Filter>, ApiError> {
    let mut value = json!({
        "thread_id": thread_id,
        "assistant_id": assistant.assistant_id,
        "run_id": run_id,
        "status": "pending",
        "metadata": body.metadata,
        "prevent_insert_if_inflight": true,
        "multitask_strategy": body.multitask_strategy.as_deref().unwrap_or("enqueue"),
        "if_not_exists": if body.if_not_exists == Some(IfNotExists::Create) { "create" } else { "reject" },
        "after_seconds": null,
        "kwargs": {
            "input": body.input,
            "command": body.command,
            "config": body.config,
            "context": body.context,
            "stream_mode": body.stream_mode.clone().unwrap_or_else(|| json!(["values"])),
            "interrupt_before": null,
            "interrupt_after": null,
            "webhook": null,
            "feedback_keys": null,
            "temporary": thread_id.is_none(),
            "subgraphs": false,
            "resumable": false,
            "checkpoint_during": false,
            "durability": "async",
        },
    });
    let filter = authorize(state, caller, "threads", "create_run", &mut value).await?;
    if let Some(Value::Object(m)) = value.get("metadata") {
        body.metadata = m.clone();
        strip_reserved_metadata(&mut body.metadata);
    }
    if let Some(Value::Object(kwargs)) = value.get_mut("kwargs") {
        let mut edited = json!({
            "config": kwargs.remove("config").unwrap_or(Value::Null),
            "context": kwargs.remove("context").unwrap_or(Value::Null),
        });
        sanitize(&mut edited)?;
        body.input = kwargs.remove("input").unwrap_or(Value::Null);
        body.config = edited["config"].as_object().cloned().unwrap_or_default();
        body.context = edited["context"].as_object().cloned();
    }
    let system = assistant.metadata.get("created_by").and_then(Value::as_str) == Some("system");
    if !system {
        let mut value = json!({"assistant_id": assistant.assistant_id});
        let assistant_filter = authorize(state, caller, "assistants", "read", &mut value).await?;
        if !visible(&assistant_filter, &assistant.metadata) {
            return Err(ApiError::not_found(NOT_FOUND));
        }
    }
    Ok(filter)
}

/// Executes a prepared run, then releases its thread (deleting a temporary one).
async fn run(
    state: &AppState,
    prepared: Prepared,
    events: Option<crate::plugin::EventSink>,
) -> Result<RunResult, StorageError> {
    let thread_id = prepared.spec.thread_id;
    let outcome = execute(&state.storage, &prepared.graph, prepared.spec, events).await;
    if prepared.delete_after {
        state.storage.delete_thread(thread_id).await?;
    }
    drop(prepared.turn);
    outcome.map(|(_, result)| result)
}

fn base_location(stateless: bool, thread_id: Uuid, run_id: Uuid) -> String {
    if stateless {
        format!("/runs/{run_id}")
    } else {
        format!("/threads/{thread_id}/runs/{run_id}")
    }
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
    let prepared = prepare(&state, caller, Some(thread_id), &headers, body).await?;
    let run_id = prepared.spec.run_id;
    let result = run(&state, prepared, None).await?;
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
    let prepared = prepare(&state, caller, None, &headers, body).await?;
    let (thread_id, run_id) = (prepared.spec.thread_id, prepared.spec.run_id);
    let result = run(&state, prepared, None).await?;
    Ok(wait_response(result, Some((thread_id, run_id)), true))
}

/// `POST /threads/{thread_id}/runs/stream`.
pub async fn stream_stateful(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(thread_id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<RunCreate>,
) -> Result<Response, ApiError> {
    let thread_id = parse_id("thread", &thread_id)?;
    let prepared = prepare(&state, caller, Some(thread_id), &headers, body).await?;
    Ok(stream_response(state, prepared))
}

/// `POST /runs/stream`: a streamed run on a temporary thread.
pub async fn stream_stateless(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Json(body): Json<RunCreate>,
) -> Result<Response, ApiError> {
    let prepared = prepare(&state, caller, None, &headers, body).await?;
    Ok(stream_response(state, prepared))
}

/// One SSE frame as LangGraph writes it.
fn frame(event: &str, data: &Value) -> bytes::Bytes {
    bytes::Bytes::from(format!("event: {event}\r\ndata: {data}\r\n\r\n"))
}

/// The stream modes a run asked for (`messages-tuple` arrives as `messages`).
fn requested_modes(stream_mode: &Value) -> Vec<String> {
    let modes: Vec<String> = match stream_mode {
        Value::String(m) => vec![m.clone()],
        Value::Array(ms) => ms
            .iter()
            .filter_map(|m| m.as_str().map(String::from))
            .collect(),
        _ => vec![],
    };
    let modes: Vec<String> = modes
        .into_iter()
        .map(|m| {
            if m == "messages-tuple" {
                "messages".into()
            } else {
                m
            }
        })
        .collect();
    if modes.is_empty() {
        vec!["values".into()]
    } else {
        modes
    }
}

/// Runs in a task that outlives the request if the client goes away
/// (`on_disconnect: continue`), streaming `metadata`, the graph's events in
/// the requested modes, then the final `values` or an `error`. There is no
/// terminal event: the stream closes when the run ends, as in LangGraph.
fn stream_response(state: AppState, prepared: Prepared) -> Response {
    let (thread_id, run_id) = (prepared.spec.thread_id, prepared.spec.run_id);
    let base = base_location(prepared.stateless, thread_id, run_id);
    let modes = requested_modes(&prepared.spec.stream_mode);
    let (out, frames) = tokio::sync::mpsc::unbounded_channel::<bytes::Bytes>();
    tokio::spawn(async move {
        let _ = out.send(frame("metadata", &json!({"run_id": run_id, "attempt": 1})));
        let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel::<(String, String)>();
        let forward = |mode: String, data: String| {
            if !modes.contains(&mode) {
                return;
            }
            match serde_json::from_str::<Value>(&data) {
                Ok(v) => {
                    let _ = out.send(frame(&mode, &v));
                }
                Err(_) => {
                    tracing::warn!(%run_id, mode, "graph emitted an event that is not JSON; dropped")
                }
            }
        };
        let running = run(&state, prepared, Some(events_tx));
        tokio::pin!(running);
        let result = loop {
            tokio::select! {
                Some((mode, data)) = events.recv() => forward(mode, data),
                result = &mut running => break result,
            }
        };
        while let Ok((mode, data)) = events.try_recv() {
            forward(mode, data);
        }
        let last = match result {
            Ok(RunResult::Success(values)) => modes
                .iter()
                .any(|m| m == "values")
                .then(|| frame("values", &values)),
            Ok(RunResult::Error(error)) => Some(frame("error", &error)),
            Err(e) => {
                tracing::error!(%run_id, error = %e, "storage error during a streamed run");
                Some(frame(
                    "error",
                    &json!({"error": "InternalError", "message": "An internal error occurred"}),
                ))
            }
        };
        if let Some(last) = last {
            let _ = out.send(last);
        }
    });
    let body = axum::body::Body::from_stream(
        tokio_stream::wrappers::UnboundedReceiverStream::new(frames)
            .map(Ok::<_, std::convert::Infallible>),
    );
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::try_from(base.clone()) {
        h.insert(header::CONTENT_LOCATION, v);
    }
    if let Ok(v) = HeaderValue::try_from(format!("{base}/stream")) {
        h.insert(header::LOCATION, v);
    }
    response
}
