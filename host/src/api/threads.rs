//! Threads.

use axum::Json as AxumJson;
use axum::extract::{Path, State};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{ApiError, Json, parse_id, strip_reserved_metadata};
use crate::AppState;
use crate::storage::{StorageError, Thread, timestamp};

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
    Json(body): Json<ThreadCreate>,
) -> Result<AxumJson<Value>, ApiError> {
    let id = body.thread_id.unwrap_or_else(Uuid::now_v7);
    let mut metadata = body.metadata;
    strip_reserved_metadata(&mut metadata);
    let thread = new_thread(id, metadata);
    match state.storage.create_thread(&thread).await {
        Ok(()) => Ok(AxumJson(thread_json(&thread))),
        Err(StorageError::Conflict) => match body.if_exists.unwrap_or(IfExists::Raise) {
            IfExists::Raise => Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                format!("Thread {id} already exists"),
            )),
            IfExists::DoNothing => {
                let existing =
                    state.storage.get_thread(id).await?.ok_or_else(|| {
                        ApiError::not_found(format!("Thread with ID {id} not found"))
                    })?;
                Ok(AxumJson(thread_json(&existing)))
            }
        },
        Err(e) => Err(e.into()),
    }
}

/// `GET /threads/{thread_id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<AxumJson<Value>, ApiError> {
    let id = parse_id("thread", &id)?;
    let thread = state
        .storage
        .get_thread(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("Thread with ID {id} not found")))?;
    Ok(AxumJson(thread_json(&thread)))
}
