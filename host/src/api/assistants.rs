//! Assistants. Each graph has a system assistant (spec §4.7).

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::{ApiError, parse_id};
use crate::AppState;
use crate::storage::{Assistant, timestamp};

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

/// `GET /assistants/{assistant_id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id("assistant", &id)?;
    let assistant = state
        .storage
        .get_assistant(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("Assistant {id} not found")))?;
    Ok(Json(assistant_json(&assistant)))
}
