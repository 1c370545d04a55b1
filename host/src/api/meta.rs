//! `/ok` and `/info`: unauthenticated.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::AppState;
use crate::reload::ModuleStatus;
use crate::storage::timestamp;

/// `GET /ok`.
pub async fn ok() -> Json<Value> {
    Json(json!({"ok": true, "services": {}}))
}

/// `GET /info`: LangGraph's fields, plus `wasmgate`: for the config file and
/// every module, its path, the sha256 serving now, when it was loaded, how
/// many reloads took over, and the last refused version.
pub async fn info(State(state): State<AppState>) -> Json<Value> {
    let status = state.status.borrow().clone();
    let modules: Vec<Value> = status
        .modules
        .iter()
        .map(|(role, m)| module_json(role, m))
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
        "wasmgate": {
            "config": module_json("config", &status.config),
            "modules": modules,
            "rechecks": status.generation,
            "sandbox": {
                "pooling": state.runtime.is_pooling(),
                "memory_reset": state.runtime.memory_reset().to_string(),
            },
            "authorization": authorization_json(&state.live.load()),
        },
    }))
}

/// The serving handler's authorization coverage: `null` without an
/// authorizer; otherwise its handler keys, the known pairs they leave
/// uncovered (what the load-time warning lists) and what happens to those.
fn authorization_json(live: &crate::reload::Live) -> Value {
    let Some(module) = &live.auth else {
        return Value::Null;
    };
    let coverage = module.coverage();
    if coverage.is_empty() {
        return Value::Null;
    }
    let deny = live.config.auth.as_ref().is_some_and(|a| a.deny_uncovered);
    let mut handlers: Vec<String> = coverage.iter().map(|(r, a)| format!("{r}.{a}")).collect();
    handlers.sort();
    json!({
        "handlers": handlers,
        "uncovered": crate::auth::authz::uncovered(coverage),
        "uncovered_actions": if deny { "denied" } else { "allowed" },
    })
}

fn module_json(role: &str, m: &ModuleStatus) -> Value {
    json!({
        "role": role,
        "path": m.path.display().to_string(),
        "sha256": m.sha256,
        "loaded_at": m.loaded_at.as_ref().map(timestamp),
        "reloads": m.reloads,
        "last_error": m.last_error.as_ref().map(|e| json!({
            "message": e.message,
            "sha256": e.sha256,
            "at": timestamp(&e.at),
        })),
    })
}
