//! Assistants. Each graph has a system assistant (spec §4.7); others are
//! created, versioned on every update, searched and deleted here, each action
//! through the authorization handler.

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
use crate::storage::{
    Assistant, AssistantQuery, Page, StorageError, system_assistant_id, timestamp,
};

/// Wire JSON of an assistant.
pub fn assistant_json(a: &Assistant) -> Value {
    json!({
        "assistant_id": a.assistant_id,
        "graph_id": a.graph_id,
        "config": a.config,
        "context": a.context,
        "metadata": a.metadata,
        "name": a.name,
        "description": a.description,
        "version": a.version,
        "created_at": timestamp(&a.created_at),
        "updated_at": timestamp(&a.updated_at),
    })
}

fn not_found(id: Uuid) -> ApiError {
    ApiError::not_found(format!("Assistant {id} not found"))
}

/// `config` and `context` mirror each other (spec §2).
fn mirrored(
    config: Map<String, Value>,
    context: Option<Map<String, Value>>,
) -> Result<(Value, Value), ApiError> {
    let configurable = config
        .get("configurable")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let context = context.unwrap_or_default();
    if !configurable.is_empty() && !context.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Cannot specify both configurable and context. Prefer setting context alone.",
        ));
    }
    let mut config = config;
    if !context.is_empty() {
        config.insert("configurable".into(), Value::Object(context.clone()));
        return Ok((Value::Object(config), Value::Object(context)));
    }
    Ok((Value::Object(config), Value::Object(configurable)))
}

#[derive(Deserialize)]
pub struct AssistantCreate {
    graph_id: String,
    assistant_id: Option<Uuid>,
    #[serde(default)]
    config: Map<String, Value>,
    context: Option<Map<String, Value>>,
    #[serde(default)]
    metadata: Map<String, Value>,
    if_exists: Option<String>,
    name: Option<String>,
    description: Option<String>,
}

/// `POST /assistants`.
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<AssistantCreate>,
) -> Result<AxumJson<Value>, ApiError> {
    let do_nothing = match body.if_exists.as_deref() {
        None | Some("raise") => false,
        Some("do_nothing") => true,
        Some(other) => {
            return Err(ApiError::unprocessable(format!(
                "invalid request body at `if_exists`: expected raise or do_nothing, got `{other}`"
            )));
        }
    };
    if !state.live.load().graphs.contains_key(&body.graph_id) {
        return Err(ApiError::not_found(format!(
            "Graph '{}' not found",
            body.graph_id
        )));
    }
    let id = body.assistant_id.unwrap_or_else(Uuid::now_v7);
    let mut metadata = body.metadata;
    strip_reserved_metadata(&mut metadata);
    let name = body.name.unwrap_or_else(|| "Untitled".into());
    let mut value = json!({
        "assistant_id": id, "graph_id": body.graph_id, "config": body.config,
        "context": body.context, "metadata": metadata, "name": name,
    });
    let filter = authorize(&state, &caller, "assistants", "create", &mut value).await?;
    let (config, context) = mirrored(body.config, body.context)?;
    let now = Utc::now();
    let assistant = Assistant {
        assistant_id: id,
        graph_id: body.graph_id,
        config,
        context,
        metadata: value["metadata"].clone(),
        name,
        description: body.description,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let conflict = || {
        ApiError::new(
            StatusCode::CONFLICT,
            format!("Assistant {id} already exists"),
        )
    };
    match state.storage.create_assistant(&assistant).await {
        Ok(()) => Ok(AxumJson(assistant_json(&assistant))),
        Err(StorageError::Conflict) => {
            let existing = state
                .storage
                .get_assistant(id)
                .await?
                .ok_or_else(conflict)?;
            if !do_nothing || !visible(&filter, &existing.metadata) {
                return Err(conflict());
            }
            Ok(AxumJson(assistant_json(&existing)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Resolves a path id (a UUID, or a graph name where `by_graph`) and loads
/// the assistant if the caller may read it.
async fn readable(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    by_graph: bool,
) -> Result<Assistant, ApiError> {
    let id = match Uuid::parse_str(raw) {
        Ok(id) => id,
        Err(_) if by_graph && state.live.load().graphs.contains_key(raw) => {
            system_assistant_id(raw)
        }
        Err(_) => {
            return Err(ApiError::unprocessable(
                "Invalid assistant ID: must be a UUID",
            ));
        }
    };
    let mut value = json!({"assistant_id": id});
    let filter = authorize(state, caller, "assistants", "read", &mut value).await?;
    match state.storage.get_assistant(id).await? {
        Some(a) if visible(&filter, &a.metadata) => Ok(a),
        _ => Err(not_found(id)),
    }
}

/// `GET /assistants/{assistant_id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<AxumJson<Value>, ApiError> {
    let assistant = readable(&state, &caller, &id, false).await?;
    Ok(AxumJson(assistant_json(&assistant)))
}

#[derive(Deserialize)]
pub struct AssistantPatch {
    graph_id: Option<String>,
    config: Option<Map<String, Value>>,
    context: Option<Map<String, Value>>,
    metadata: Option<Map<String, Value>>,
    name: Option<String>,
    description: Option<String>,
}

/// `PATCH /assistants/{assistant_id}`: a new version; metadata is merged.
pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Json(body): Json<AssistantPatch>,
) -> Result<AxumJson<Value>, ApiError> {
    let id = parse_id("assistant", &id)?;
    let mut patch = body.metadata.unwrap_or_default();
    strip_reserved_metadata(&mut patch);
    let mut value = json!({
        "assistant_id": id, "graph_id": body.graph_id, "config": body.config,
        "context": body.context, "metadata": patch, "name": body.name,
    });
    let filter = authorize(&state, &caller, "assistants", "update", &mut value).await?;
    let Some(current) = state.storage.get_assistant(id).await? else {
        return Err(not_found(id));
    };
    if !visible(&filter, &current.metadata) {
        return Err(not_found(id));
    }
    if let Some(g) = &body.graph_id
        && !state.live.load().graphs.contains_key(g)
    {
        return Err(ApiError::not_found(format!("Graph '{g}' not found")));
    }
    let mut metadata = current.metadata.as_object().cloned().unwrap_or_default();
    if let Some(Value::Object(patch)) = value.get("metadata") {
        metadata.extend(patch.clone());
    }
    let (config, context) = if body.config.is_some() || body.context.is_some() {
        mirrored(body.config.unwrap_or_default(), body.context)?
    } else {
        (current.config.clone(), current.context.clone())
    };
    let updated = Assistant {
        graph_id: body.graph_id.unwrap_or(current.graph_id),
        config,
        context,
        metadata: Value::Object(metadata),
        name: body.name.unwrap_or(current.name),
        description: body.description.or(current.description),
        version: current.version + 1,
        updated_at: Utc::now(),
        ..current
    };
    state.storage.update_assistant(&updated).await?;
    Ok(AxumJson(assistant_json(&updated)))
}

/// `DELETE /assistants/{assistant_id}`.
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id("assistant", &id)?;
    let mut value = json!({"assistant_id": id});
    let filter = authorize(&state, &caller, "assistants", "delete", &mut value).await?;
    match state.storage.get_assistant(id).await? {
        Some(a) if visible(&filter, &a.metadata) => {
            state.storage.delete_assistant(id).await?;
            Ok(StatusCode::NO_CONTENT)
        }
        _ => Err(not_found(id)),
    }
}

#[derive(Deserialize)]
pub struct AssistantSearch {
    #[serde(default)]
    metadata: Map<String, Value>,
    graph_id: Option<String>,
    name: Option<String>,
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

const ASSISTANT_SORT: &[&str] = &[
    "assistant_id",
    "graph_id",
    "name",
    "created_at",
    "updated_at",
];

async fn assistant_query(
    state: &AppState,
    caller: &Caller,
    metadata: Map<String, Value>,
    graph_id: Option<String>,
    name: Option<String>,
    limit: i64,
    offset: i64,
) -> Result<AssistantQuery, ApiError> {
    let mut value =
        json!({"graph_id": graph_id, "metadata": metadata, "limit": limit, "offset": offset});
    let filter = authorize(state, caller, "assistants", "search", &mut value).await?;
    let metadata = value["metadata"].as_object().cloned().unwrap_or_default();
    Ok(AssistantQuery {
        filter: Filter::and(Filter::containment(&metadata), filter),
        graph_id,
        name,
    })
}

/// `POST /assistants/search`.
pub async fn search(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<AssistantSearch>,
) -> Result<Response, ApiError> {
    if body.limit < 0 || body.offset < 0 {
        return Err(ApiError::unprocessable(
            "limit and offset must not be negative",
        ));
    }
    let sort = sort(
        body.sort_by.as_deref(),
        body.sort_order.as_deref(),
        ASSISTANT_SORT,
        "created_at",
    )?;
    let query = assistant_query(
        &state,
        &caller,
        body.metadata,
        body.graph_id,
        body.name,
        body.limit,
        body.offset,
    )
    .await?;
    let page = Page {
        limit: body.limit,
        offset: body.offset,
    };
    let (assistants, total) = state.storage.search_assistants(&query, sort, page).await?;
    let items = assistants
        .iter()
        .map(|a| select(assistant_json(a), &body.select))
        .collect();
    Ok(paginated(items, total, body.offset, body.limit))
}

#[derive(Deserialize)]
pub struct AssistantCount {
    #[serde(default)]
    metadata: Map<String, Value>,
    graph_id: Option<String>,
    name: Option<String>,
}

/// `POST /assistants/count`.
pub async fn count(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<AssistantCount>,
) -> Result<AxumJson<i64>, ApiError> {
    let query = assistant_query(
        &state,
        &caller,
        body.metadata,
        body.graph_id,
        body.name,
        0,
        0,
    )
    .await?;
    Ok(AxumJson(state.storage.count_assistants(&query).await?))
}

/// `GET /assistants/{assistant_id or graph}/graph`. A WebAssembly graph is
/// one opaque node between `__start__` and `__end__`.
pub async fn graph(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<AxumJson<Value>, ApiError> {
    let a = readable(&state, &caller, &id, true).await?;
    let node = a.graph_id.clone();
    Ok(AxumJson(json!({
        "nodes": [
            {"id": "__start__", "type": "schema", "data": "__start__"},
            {"id": node, "type": "runnable", "data": {"id": ["wasmgate", "graph", node], "name": node}},
            {"id": "__end__", "type": "schema", "data": "__end__"},
        ],
        "edges": [
            {"source": "__start__", "target": node},
            {"source": node, "target": "__end__"},
        ],
    })))
}

/// `GET /assistants/{assistant_id}/schemas`. WebAssembly graphs declare no
/// JSON Schemas (yet): every schema is null.
pub async fn schemas(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<AxumJson<Value>, ApiError> {
    let a = readable(&state, &caller, &id, true).await?;
    Ok(AxumJson(json!({
        "graph_id": a.graph_id, "input_schema": null, "output_schema": null,
        "state_schema": null, "config_schema": null, "context_schema": null,
    })))
}

#[derive(Deserialize)]
pub struct VersionsQuery {
    #[serde(default)]
    metadata: Map<String, Value>,
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
}

/// `POST /assistants/{assistant_id}/versions`, newest first.
pub async fn versions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Json(body): Json<VersionsQuery>,
) -> Result<AxumJson<Value>, ApiError> {
    let a = readable(&state, &caller, &id, false).await?;
    let page = Page {
        limit: body.limit.max(0),
        offset: body.offset.max(0),
    };
    let versions = state
        .storage
        .assistant_versions(a.assistant_id, &body.metadata, page)
        .await?;
    Ok(AxumJson(Value::Array(
        versions.iter().map(assistant_json).collect(),
    )))
}
