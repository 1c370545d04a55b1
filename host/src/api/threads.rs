//! Threads.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json as AxumJson};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{
    ApiError, Json, authorize, paginated, parse_id, select, sort, strip_reserved_metadata, visible,
};
use crate::AppState;
use crate::auth::Caller;
use crate::auth::filter::Filter;
use crate::storage::{Checkpoint, Page, StorageError, Thread, ThreadQuery, timestamp};

/// Wire JSON of a thread.
pub fn thread_json(t: &Thread) -> Value {
    let mut v = json!({
        "thread_id": t.thread_id,
        "created_at": timestamp(&t.created_at),
        "updated_at": timestamp(&t.updated_at),
        "state_updated_at": timestamp(&t.state_updated_at),
        "metadata": t.metadata,
        "status": t.status,
        "config": t.config,
        "values": t.values,
        "interrupts": {},
    });
    if let Some(error) = &t.error {
        v["error"] = error.clone();
    }
    v
}

/// A new idle thread.
pub fn new_thread(id: Uuid, metadata: Map<String, Value>) -> Thread {
    let now = Utc::now();
    Thread {
        thread_id: id,
        created_at: now,
        updated_at: now,
        state_updated_at: now,
        metadata: Value::Object(metadata),
        status: "idle".into(),
        config: json!({}),
        values: None,
        error: None,
    }
}

#[derive(Deserialize)]
pub struct ThreadCreate {
    thread_id: Option<Uuid>,
    #[serde(default)]
    metadata: Map<String, Value>,
    if_exists: Option<IfExists>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum IfExists {
    Raise,
    DoNothing,
}

/// `POST /threads`.
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<ThreadCreate>,
) -> Result<AxumJson<Value>, ApiError> {
    let id = body.thread_id.unwrap_or_else(Uuid::now_v7);
    let mut metadata = body.metadata;
    strip_reserved_metadata(&mut metadata);
    let if_exists = body.if_exists.unwrap_or(IfExists::Raise);
    let mut value = json!({
        "thread_id": id,
        "metadata": metadata,
        "if_exists": if if_exists == IfExists::Raise { "raise" } else { "do_nothing" },
    });
    let filter = authorize(&state, &caller, "threads", "create", &mut value).await?;
    let metadata = value["metadata"].as_object().cloned().unwrap_or_default();
    let thread = new_thread(id, metadata);
    let conflict = || ApiError::new(StatusCode::CONFLICT, format!("Thread {id} already exists"));
    match state.storage.create_thread(&thread).await {
        Ok(()) => Ok(AxumJson(thread_json(&thread))),
        Err(StorageError::Conflict) => {
            let existing = state.storage.get_thread(id).await?.ok_or_else(conflict)?;
            // An existing thread the caller may not see is a conflict,
            // whatever `if_exists` says (spec §4.5).
            if if_exists == IfExists::Raise || !visible(&filter, &existing.metadata) {
                return Err(conflict());
            }
            Ok(AxumJson(thread_json(&existing)))
        }
        Err(e) => Err(e.into()),
    }
}

/// 404 for a thread that is missing or filtered out.
fn thread_not_found(id: Uuid) -> ApiError {
    ApiError::not_found(format!("Thread with ID {id} not found"))
}

/// Loads a thread the caller may read (`threads.read`), or 404.
async fn readable(state: &AppState, caller: &Caller, id: Uuid) -> Result<Thread, ApiError> {
    let mut value = json!({"thread_id": id});
    let filter = authorize(state, caller, "threads", "read", &mut value).await?;
    match state.storage.get_thread(id).await? {
        Some(t) if visible(&filter, &t.metadata) => Ok(t),
        _ => Err(thread_not_found(id)),
    }
}

/// `GET /threads/{thread_id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<AxumJson<Value>, ApiError> {
    let id = parse_id("thread", &id)?;
    let thread = readable(&state, &caller, id).await?;
    Ok(AxumJson(thread_json(&thread)))
}

#[derive(Deserialize)]
pub struct ThreadPatch {
    #[serde(default)]
    metadata: Map<String, Value>,
}

/// `PATCH /threads/{thread_id}`: metadata is shallow-merged.
pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Json(body): Json<ThreadPatch>,
) -> Result<AxumJson<Value>, ApiError> {
    let id = parse_id("thread", &id)?;
    let Some(thread) = state.storage.get_thread(id).await? else {
        return Err(thread_not_found(id));
    };
    let mut patch = body.metadata;
    strip_reserved_metadata(&mut patch);
    let mut value = json!({"thread_id": id, "metadata": patch});
    let filter = authorize(&state, &caller, "threads", "update", &mut value).await?;
    if !visible(&filter, &thread.metadata) {
        return Err(ApiError::not_found("Not Found"));
    }
    let mut metadata = thread.metadata.as_object().cloned().unwrap_or_default();
    if let Some(Value::Object(patch)) = value.get("metadata") {
        metadata.extend(patch.clone());
    }
    let metadata = Value::Object(metadata);
    state.storage.set_thread_metadata(id, &metadata).await?;
    let updated = state
        .storage
        .get_thread(id)
        .await?
        .ok_or_else(|| thread_not_found(id))?;
    Ok(AxumJson(thread_json(&updated)))
}

/// `DELETE /threads/{thread_id}`.
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id("thread", &id)?;
    let mut value = json!({"thread_id": id});
    let filter = authorize(&state, &caller, "threads", "delete", &mut value).await?;
    match state.storage.get_thread(id).await? {
        Some(t) if visible(&filter, &t.metadata) => {
            state.storage.delete_thread(id).await?;
            Ok(StatusCode::NO_CONTENT)
        }
        _ => Err(thread_not_found(id)),
    }
}

#[derive(Deserialize)]
pub struct ThreadSearch {
    ids: Option<Vec<Uuid>>,
    #[serde(default)]
    metadata: Map<String, Value>,
    #[serde(default)]
    values: Map<String, Value>,
    status: Option<String>,
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
    sort_by: Option<String>,
    sort_order: Option<String>,
    select: Option<Vec<String>>,
}

fn default_limit() -> i64 {
    10
}

const THREAD_SORT: &[&str] = &[
    "thread_id",
    "status",
    "created_at",
    "updated_at",
    "state_updated_at",
];

/// Builds the query of a search or count, through `threads.search`.
async fn thread_query(
    state: &AppState,
    caller: &Caller,
    metadata: Map<String, Value>,
    values: Map<String, Value>,
    status: Option<String>,
    limit: i64,
    offset: i64,
) -> Result<ThreadQuery, ApiError> {
    let mut value = json!({"metadata": metadata, "values": values, "status": status, "limit": limit, "offset": offset});
    let filter = authorize(state, caller, "threads", "search", &mut value).await?;
    let metadata = value["metadata"].as_object().cloned().unwrap_or_default();
    let values = value["values"].as_object().cloned().unwrap_or_default();
    Ok(ThreadQuery {
        filter: Filter::and(Filter::containment(&metadata), filter),
        values,
        status,
        ids: None,
    })
}

/// `POST /threads/search`.
pub async fn search(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<ThreadSearch>,
) -> Result<Response, ApiError> {
    if body.limit < 0 || body.offset < 0 {
        return Err(ApiError::unprocessable(
            "limit and offset must not be negative",
        ));
    }
    let sort = sort(
        body.sort_by.as_deref(),
        body.sort_order.as_deref(),
        THREAD_SORT,
        "updated_at",
    )?;
    let mut query = thread_query(
        &state,
        &caller,
        body.metadata,
        body.values,
        body.status,
        body.limit,
        body.offset,
    )
    .await?;
    query.ids = body.ids;
    let page = Page {
        limit: body.limit,
        offset: body.offset,
    };
    let (threads, total) = state.storage.search_threads(&query, sort, page).await?;
    let items = threads
        .iter()
        .map(|t| select(thread_json(t), &body.select))
        .collect();
    Ok(paginated(items, total, body.offset, body.limit))
}

#[derive(Deserialize)]
pub struct ThreadCount {
    #[serde(default)]
    metadata: Map<String, Value>,
    #[serde(default)]
    values: Map<String, Value>,
    status: Option<String>,
}

/// `POST /threads/count`.
pub async fn count(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<ThreadCount>,
) -> Result<AxumJson<i64>, ApiError> {
    let query = thread_query(
        &state,
        &caller,
        body.metadata,
        body.values,
        body.status,
        0,
        0,
    )
    .await?;
    Ok(AxumJson(state.storage.count_threads(&query).await?))
}

/// `POST /threads/{thread_id}/copy`: a new thread with the source's
/// metadata, values and checkpoints.
pub async fn copy(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<AxumJson<Value>, ApiError> {
    let id = parse_id("thread", &id)?;
    let source = readable(&state, &caller, id).await?;
    let new_id = Uuid::now_v7();
    let mut value = json!({"thread_id": new_id});
    // A new resource: a returned filter has nothing to apply to.
    authorize(&state, &caller, "threads", "create", &mut value).await?;
    let copy = state.storage.copy_thread(&source, new_id).await?;
    Ok(AxumJson(thread_json(&copy)))
}

/// ThreadState JSON of a checkpoint, or of a thread with none (spec §3).
fn state_json(thread_id: Uuid, checkpoint: Option<&Checkpoint>) -> Value {
    let Some(cp) = checkpoint else {
        return json!({
            "values": {}, "next": [], "tasks": [], "metadata": null, "created_at": null,
            "checkpoint": null, "parent_checkpoint": null, "interrupts": [],
            "checkpoint_id": null, "parent_checkpoint_id": null,
        });
    };
    let reference = |id: Uuid| json!({"thread_id": thread_id, "checkpoint_ns": "", "checkpoint_id": id, "checkpoint_map": null});
    json!({
        "values": cp.values,
        "next": [],
        "tasks": [],
        "metadata": cp.metadata,
        "created_at": timestamp(&cp.created_at),
        "checkpoint": reference(cp.checkpoint_id),
        "parent_checkpoint": cp.parent_checkpoint_id.map(reference),
        "interrupts": [],
        "checkpoint_id": cp.checkpoint_id,
        "parent_checkpoint_id": cp.parent_checkpoint_id,
    })
}

/// `GET /threads/{thread_id}/state`.
pub async fn state(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<AxumJson<Value>, ApiError> {
    let id = parse_id("thread", &id)?;
    readable(&state, &caller, id).await?;
    let latest = state.storage.checkpoints(id, None, 1).await?;
    Ok(AxumJson(state_json(id, latest.first())))
}

async fn state_at_checkpoint(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    checkpoint_id: Uuid,
) -> Result<AxumJson<Value>, ApiError> {
    readable(state, caller, id).await?;
    let cp = state
        .storage
        .checkpoint(id, checkpoint_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("Checkpoint {checkpoint_id} not found")))?;
    Ok(AxumJson(state_json(id, Some(&cp))))
}

/// `GET /threads/{thread_id}/state/{checkpoint_id}`.
pub async fn state_at(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, checkpoint_id)): Path<(String, String)>,
) -> Result<AxumJson<Value>, ApiError> {
    let id = parse_id("thread", &id)?;
    let checkpoint_id = parse_id("checkpoint", &checkpoint_id)?;
    state_at_checkpoint(&state, &caller, id, checkpoint_id).await
}

#[derive(Deserialize)]
pub struct CheckpointBody {
    checkpoint: CheckpointRef,
}

#[derive(Deserialize, Default)]
pub struct CheckpointRef {
    checkpoint_id: Option<Uuid>,
}

/// `POST /threads/{thread_id}/state/checkpoint`.
pub async fn state_at_posted_checkpoint(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Json(body): Json<CheckpointBody>,
) -> Result<AxumJson<Value>, ApiError> {
    let id = parse_id("thread", &id)?;
    match body.checkpoint.checkpoint_id {
        Some(cp) => state_at_checkpoint(&state, &caller, id, cp).await,
        None => {
            readable(&state, &caller, id).await?;
            let latest = state.storage.checkpoints(id, None, 1).await?;
            Ok(AxumJson(state_json(id, latest.first())))
        }
    }
}

#[derive(Deserialize)]
pub struct HistoryQuery {
    limit: Option<i64>,
    before: Option<Value>,
}

async fn history(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    limit: i64,
    before: Option<Value>,
) -> Result<AxumJson<Value>, ApiError> {
    readable(state, caller, id).await?;
    let before = match before {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(parse_id("checkpoint", &s)?),
        Some(Value::Object(o)) => match o.get("checkpoint_id") {
            Some(Value::String(s)) => Some(parse_id("checkpoint", s)?),
            _ => None,
        },
        Some(_) => return Err(ApiError::unprocessable("`before` must be a checkpoint")),
    };
    let cps = state.storage.checkpoints(id, before, limit.max(0)).await?;
    Ok(AxumJson(Value::Array(
        cps.iter().map(|c| state_json(id, Some(c))).collect(),
    )))
}

/// `GET /threads/{thread_id}/history?limit&before`.
pub async fn history_get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<HistoryQuery>,
) -> Result<AxumJson<Value>, ApiError> {
    let id = parse_id("thread", &id)?;
    history(&state, &caller, id, q.limit.unwrap_or(1), q.before).await
}

/// `POST /threads/{thread_id}/history`.
pub async fn history_post(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Json(q): Json<HistoryQuery>,
) -> Result<AxumJson<Value>, ApiError> {
    let id = parse_id("thread", &id)?;
    history(&state, &caller, id, q.limit.unwrap_or(1), q.before).await
}
