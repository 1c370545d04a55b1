//! Run execution: builds a run's config (with the caller merged in), runs the
//! graph on a fresh instance and records the outcome.
//!
//! **The full user (custom fields included) exists only in the config handed
//! to the guest.** What is stored in the run's `kwargs` carries the public
//! user view.

use std::sync::Arc;

use chrono::Utc;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::auth::Caller;
use crate::plugin::{EventSink, Fault, GraphModule, RunRequest};
use crate::storage::{Assistant, Run, Storage, StorageError};

/// Runs on one thread are serialised (LangGraph's default `enqueue`
/// strategy). Threads map onto a fixed set of locks by hash: two threads may
/// share a lock, which only ever delays, never reorders, a run.
pub struct ThreadLocks {
    locks: Vec<Arc<tokio::sync::Mutex<()>>>,
}

impl Default for ThreadLocks {
    fn default() -> Self {
        ThreadLocks {
            locks: (0..64)
                .map(|_| Arc::new(tokio::sync::Mutex::new(())))
                .collect(),
        }
    }
}

impl ThreadLocks {
    /// Waits for a thread's turn; the run holds the guard (it may move into
    /// a task that outlives the request, as a stream's run does).
    pub async fn turn(&self, thread_id: Uuid) -> tokio::sync::OwnedMutexGuard<()> {
        let n = (thread_id.as_u128() % self.locks.len() as u128) as usize;
        self.locks[n].clone().lock_owned().await
    }
}

/// Everything a run needs, already validated by the API layer.
pub struct RunSpec {
    /// The new run's id.
    pub run_id: Uuid,
    /// The thread it runs on (created beforehand, temporary for stateless runs).
    pub thread_id: Uuid,
    /// The assistant being run.
    pub assistant: Assistant,
    /// The run input (`null` when none).
    pub input: Value,
    /// The client's `config`, reserved keys already stripped.
    pub config: Map<String, Value>,
    /// The client's `context`, reserved keys already stripped.
    pub context: Option<Map<String, Value>>,
    /// Run metadata.
    pub metadata: Map<String, Value>,
    /// Who runs it.
    pub caller: Caller,
    /// The request's `x-request-id`.
    pub request_id: Option<String>,
    /// `multitask_strategy` as sent.
    pub multitask_strategy: String,
    /// `stream_mode` as sent.
    pub stream_mode: Value,
}

/// How a run ended.
pub enum RunResult {
    /// The graph returned these values.
    Success(Value),
    /// The graph (or its module) failed; `{"error", "message"}`.
    Error(Value),
}

/// Builds the run config: assistant config, overlaid by the client's, with
/// the caller injected into `configurable` (spec §5.1). Returns the config for
/// the guest (full user) and the one to store (public user).
pub fn run_config(spec: &RunSpec) -> (Value, Value) {
    let mut config = spec
        .assistant
        .config
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut configurable = config
        .remove("configurable")
        .and_then(|c| c.as_object().cloned())
        .unwrap_or_default();
    for (k, v) in &spec.config {
        if k != "configurable" {
            config.insert(k.clone(), v.clone());
        }
    }
    match &spec.context {
        // LangGraph rebuilds configurable from the context when one is sent.
        Some(context) => configurable.extend(context.clone()),
        None => {
            if let Some(Value::Object(c)) = spec.config.get("configurable") {
                configurable.extend(c.clone());
            }
        }
    }
    let user = spec.caller.0.as_deref();
    let identity = user.map(|u| u.identity.clone()).unwrap_or_default();
    let user_id = match configurable.get("user_id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => identity.clone(),
    };
    configurable.insert("langgraph_auth_user_id".into(), identity.into());
    configurable.insert(
        "langgraph_auth_permissions".into(),
        json!(user.map(|u| u.permissions.clone()).unwrap_or_default()),
    );
    configurable.insert(
        "langgraph_request_id".into(),
        spec.request_id.clone().map_or(Value::Null, Value::from),
    );
    configurable.insert("user_id".into(), user_id.into());
    configurable.insert("run_id".into(), spec.run_id.to_string().into());
    configurable.insert("thread_id".into(), spec.thread_id.to_string().into());
    configurable.insert("graph_id".into(), spec.assistant.graph_id.clone().into());
    configurable.insert(
        "assistant_id".into(),
        spec.assistant.assistant_id.to_string().into(),
    );

    let mut stored = configurable.clone();
    configurable.insert(
        "langgraph_auth_user".into(),
        user.map_or(Value::Null, |u| u.exposed_json()),
    );
    stored.insert(
        "langgraph_auth_user".into(),
        user.map_or(Value::Null, |u| u.public_json()),
    );
    let mut guest = config.clone();
    guest.insert("configurable".into(), Value::Object(configurable));
    let mut kept = config;
    kept.insert("configurable".into(), Value::Object(stored));
    (Value::Object(guest), Value::Object(kept))
}

/// Records the run, executes the graph, and records the outcome.
pub async fn execute(
    storage: &Storage,
    graph: &GraphModule,
    spec: RunSpec,
    events: Option<EventSink>,
) -> Result<(Run, RunResult), StorageError> {
    let (guest_config, stored_config) = run_config(&spec);
    let now = Utc::now();
    let mut metadata = spec
        .assistant
        .metadata
        .as_object()
        .cloned()
        .unwrap_or_default();
    metadata.extend(spec.metadata.clone());
    metadata.insert(
        "assistant_id".into(),
        spec.assistant.assistant_id.to_string().into(),
    );
    let run = Run {
        run_id: spec.run_id,
        thread_id: spec.thread_id,
        assistant_id: spec.assistant.assistant_id,
        created_at: now,
        updated_at: now,
        status: "running".into(),
        metadata: Value::Object(metadata),
        kwargs: json!({
            "input": spec.input,
            "command": null,
            "config": stored_config,
            "context": spec.context.clone().map_or(Value::Null, Value::Object),
            "stream_mode": spec.stream_mode,
            "interrupt_before": null,
            "interrupt_after": null,
            "webhook": null,
            "feedback_keys": null,
            "temporary": false,
            "subgraphs": false,
            "resumable": false,
            "checkpoint_during": false,
            "durability": "async",
        }),
        multitask_strategy: spec.multitask_strategy.clone(),
    };
    storage.start_run(&run).await?;

    let state = storage
        .get_thread(spec.thread_id)
        .await?
        .and_then(|t| t.values)
        .unwrap_or_else(|| json!({}));
    let outcome = graph
        .invoke(
            RunRequest {
                input: spec.input.to_string(),
                state: state.to_string(),
                config: guest_config.to_string(),
            },
            events,
        )
        .await;
    let result = match outcome {
        Ok(outcome) => {
            tracing::debug!(run_id = %spec.run_id, events = outcome.emitted, "graph finished");
            match outcome.result {
                Ok(text) => match serde_json::from_str::<Value>(&text) {
                    Ok(values @ Value::Object(_)) => RunResult::Success(values),
                    _ => {
                        let fault = Fault::Invalid(
                            "graph returned values that are not a JSON object".into(),
                        );
                        crate::plugin::log_fault(graph.info(), "graph run", &fault);
                        RunResult::Error(
                            json!({"error": "GraphFault", "message": "the graph returned invalid values; see the server logs"}),
                        )
                    }
                },
                Err((error, message)) => {
                    RunResult::Error(json!({"error": error, "message": message}))
                }
            }
        }
        Err(Fault::Busy) => RunResult::Error(json!({
            "error": "ServerBusy",
            "message": "too many concurrent runs; retry shortly",
        })),
        Err(fault) => {
            crate::plugin::log_fault(graph.info(), "graph run", &fault);
            let message = match fault {
                Fault::Timeout(d) => {
                    format!("the graph exceeded its {}s deadline", d.as_secs_f64())
                }
                Fault::OutOfMemory(mib) => format!("the graph exhausted its {mib} MiB memory cap"),
                Fault::Isolation(_) => crate::plugin::SANDBOX_UNAVAILABLE.to_string(),
                _ => "the graph module failed; see the server logs".to_string(),
            };
            RunResult::Error(json!({"error": "GraphFault", "message": message}))
        }
    };
    let mut run = run;
    match &result {
        RunResult::Success(values) => {
            storage
                .finish_run(spec.thread_id, spec.run_id, "success", Some(values), None)
                .await?;
            run.status = "success".into();
        }
        RunResult::Error(error) => {
            storage
                .finish_run(spec.thread_id, spec.run_id, "error", None, Some(error))
                .await?;
            run.status = "error".into();
        }
    }
    Ok((run, result))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AuthUser;

    fn spec(caller: Caller, config: Value, context: Option<Value>) -> RunSpec {
        RunSpec {
            run_id: Uuid::nil(),
            thread_id: Uuid::nil(),
            assistant: Assistant {
                assistant_id: crate::storage::system_assistant_id("agent"),
                graph_id: "agent".into(),
                config: json!({"configurable": {"model": "m", "user_id": ""}}),
                context: json!({}),
                metadata: json!({"created_by": "system"}),
                name: "agent".into(),
                description: None,
                version: 1,
                created_at: Utc::now(),
                updated_at: Utc::now(),
            },
            input: Value::Null,
            config: config.as_object().cloned().unwrap(),
            context: context.map(|c| c.as_object().cloned().unwrap()),
            metadata: Map::new(),
            caller,
            request_id: Some("req-1".into()),
            multitask_strategy: "enqueue".into(),
            stream_mode: json!(["values"]),
        }
    }

    fn alice() -> Caller {
        let mut custom = Map::new();
        custom.insert("github_token".into(), "secret".into());
        Caller(Some(Arc::new(AuthUser {
            identity: "alice".into(),
            display_name: "alice".into(),
            is_authenticated: true,
            permissions: vec!["read".into()],
            custom_fields: custom,
            studio: false,
        })))
    }

    #[test]
    fn injects_the_caller_and_keeps_secrets_out_of_the_stored_copy() {
        let (guest, stored) = run_config(&spec(
            alice(),
            json!({"tags": ["t"], "configurable": {"k": "v"}}),
            None,
        ));
        let c = &guest["configurable"];
        assert_eq!(c["langgraph_auth_user"]["github_token"], "secret");
        assert_eq!(c["langgraph_auth_user_id"], "alice");
        assert_eq!(c["langgraph_auth_permissions"], json!(["read"]));
        assert_eq!(c["langgraph_request_id"], "req-1");
        assert_eq!(c["user_id"], "alice");
        assert_eq!(c["k"], "v");
        assert_eq!(c["model"], "m");
        assert_eq!(guest["tags"], json!(["t"]));
        assert!(!stored.to_string().contains("secret"));
        assert_eq!(
            stored["configurable"]["langgraph_auth_user"]["identity"],
            "alice"
        );
    }

    #[test]
    fn without_auth_the_user_is_null_and_the_id_empty() {
        let (guest, _) = run_config(&spec(
            Caller(None),
            json!({}),
            Some(json!({"user_id": "u"})),
        ));
        let c = &guest["configurable"];
        assert_eq!(c["langgraph_auth_user"], Value::Null);
        assert_eq!(c["langgraph_auth_user_id"], "");
        assert_eq!(c["user_id"], "u");
    }
}
