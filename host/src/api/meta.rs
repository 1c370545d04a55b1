//! `/ok` and `/info`: unauthenticated.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::AppState;
use crate::storage::timestamp;

/// `GET /ok`.
pub async fn ok() -> Json<Value> {
    Json(json!({"ok": true, "services": {}}))
}

/// `GET /info`: LangGraph's fields, plus `wasmgate.modules` (path, sha256,
/// loaded_at of every module).
pub async fn info(State(state): State<AppState>) -> Json<Value> {
    let modules: Vec<Value> = state
        .modules
        .iter()
        .map(|(role, m)| {
            json!({
                "role": role,
                "path": m.path.display().to_string(),
                "sha256": m.sha256,
                "loaded_at": timestamp(&m.loaded_at),
            })
        })
        .collect();
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "langgraph_py_version": null,
        "flags": {
            "assistants": true,
            "crons": false,
            "langsmith": false,
            "langsmith_tracing_replicas": false,
            "langsmith_tracing_session_on_runs": false,
        },
        "host": {
            "kind": "self-hosted",
            "project_id": null,
            "host_revision_id": null,
            "revision_id": null,
            "tenant_id": null,
        },
        "wasmgate": {"modules": modules},
    }))
}
