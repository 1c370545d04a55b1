//! Authorization: every resource action goes through the handler's
//! `authorize` (spec §4), dispatched from the API routes.
//!
//! - Coverage is known at load time ([`crate::plugin::AuthModule::coverage`]).
//!   An action no registered key covers is allowed (LangGraph) or, with
//!   `wasmgate.auth.deny_uncovered`, refused with 403. [`log_coverage`] logs
//!   the uncovered pairs once per load, as LangGraph does at startup (§6).
//! - The handler answers allow, deny, a filter or an http-error. A filter is
//!   validated here ([`Filter::parse`]); an invalid one is a fault.
//! - **A fault never authorizes anything**: trap, deadline, memory, a
//!   malformed filter or value edit all answer 500.
//! - Value edits (§4.4): `metadata` (where the value has one), `kwargs`
//!   (`threads.create_run`), and the store's `namespace` and `value` are
//!   taken back, re-validated; other top-level changes are ignored and logged.

use axum::http::StatusCode;
use serde_json::Value;

use super::filter::Filter;
use super::{Caller, denial_error};
use crate::api::ApiError;
use crate::plugin::{AuthModule, AuthzDecision, AuthzRequest, Fault};
use crate::reload::Live;

/// Every (resource, action) pair LangGraph dispatches (spec §6).
pub const KNOWN_PAIRS: &[(&str, &str)] = &[
    ("assistants", "create"),
    ("assistants", "read"),
    ("assistants", "update"),
    ("assistants", "delete"),
    ("assistants", "search"),
    ("threads", "create"),
    ("threads", "read"),
    ("threads", "update"),
    ("threads", "delete"),
    ("threads", "search"),
    ("threads", "create_run"),
    ("crons", "create"),
    ("crons", "read"),
    ("crons", "update"),
    ("crons", "delete"),
    ("crons", "search"),
    ("store", "put"),
    ("store", "get"),
    ("store", "search"),
    ("store", "delete"),
    ("store", "list_namespaces"),
];

/// Whether `coverage` has a key for this pair: `(r,a)`, `(r,*)`, `(*,a)` or
/// `(*,*)`.
pub fn covers(coverage: &[(String, String)], resource: &str, action: &str) -> bool {
    coverage
        .iter()
        .any(|(r, a)| (r == resource || r == "*") && (a == action || a == "*"))
}

/// The known pairs `coverage` leaves uncovered, as `resource.action`
/// (spec §6): none when there is no handler at all (authentication only) or
/// a global one.
pub fn uncovered(coverage: &[(String, String)]) -> Vec<String> {
    let global = coverage.iter().any(|(r, a)| r == "*" && a == "*");
    if coverage.is_empty() || global {
        return Vec::new();
    }
    KNOWN_PAIRS
        .iter()
        .filter(|(r, a)| !covers(coverage, r, a))
        .map(|(r, a)| format!("{r}.{a}"))
        .collect()
}

/// Logs the pairs a freshly loaded handler does not cover, once per load, as
/// LangGraph does at startup.
pub fn log_coverage(module: &AuthModule, deny_uncovered: bool) {
    let missing = uncovered(module.coverage());
    if missing.is_empty() {
        return;
    }
    if deny_uncovered {
        tracing::info!(
            module = %module.info().path.display(),
            missing_paths = ?missing,
            "these actions have no authorization handler and are denied (wasmgate.auth.deny_uncovered)"
        );
    } else {
        tracing::warn!(
            module = %module.info().path.display(),
            missing_paths = ?missing,
            "these actions have no authorization handler: authentication still runs, but they get no resource-level check. Add a global handler, or set wasmgate.auth.deny_uncovered to refuse them"
        );
    }
}

/// The result of one authorization: proceed, with an optional filter.
pub type Authorized = Result<Option<Filter>, ApiError>;

/// Authorizes one action for the caller, editing `value` in place as the
/// handler asked. Returns the filter the action must apply.
pub async fn authorize(
    live: &Live,
    caller: &Caller,
    resource: &str,
    action: &str,
    value: &mut Value,
) -> Authorized {
    // No auth configured, or no auth context: no check (spec §4.2).
    let (Some(module), Some(user)) = (&live.auth, &caller.0) else {
        return Ok(None);
    };
    let coverage = module.coverage();
    if coverage.is_empty() {
        return Ok(None);
    }
    if !covers(coverage, resource, action) {
        let deny = live.config.auth.as_ref().is_some_and(|a| a.deny_uncovered);
        return if deny {
            Err(ApiError::new(StatusCode::FORBIDDEN, "Forbidden"))
        } else {
            Ok(None)
        };
    }
    let request = AuthzRequest {
        user: user.exposed_json().to_string(),
        permissions: user.permissions.clone(),
        resource: resource.to_string(),
        action: action.to_string(),
        is_studio_user: user.studio,
        value: value.to_string(),
    };
    let fail = |fault: Fault| {
        crate::plugin::log_fault(
            module.info(),
            &format!("authorization handler ({resource}.{action})"),
            &fault,
        );
        fault_error(&fault)
    };
    let outcome = module.authorize(&request).await.map_err(fail)?;
    let filter = match outcome.decision {
        AuthzDecision::Allow => None,
        AuthzDecision::Deny => return Err(ApiError::new(StatusCode::FORBIDDEN, "Forbidden")),
        AuthzDecision::Error(denial) => return Err(denial_error(denial, "authorization")),
        AuthzDecision::Filter(text) => {
            let parsed: Value = serde_json::from_str(&text)
                .map_err(|e| fail(Fault::Invalid(format!("the filter is not JSON: {e}"))))?;
            Filter::parse(&parsed)
                .map_err(|e| fail(Fault::Invalid(format!("invalid filter: {e}"))))?
        }
    };
    if let Some(edited) = outcome.value {
        let edited: Value = serde_json::from_str(&edited)
            .map_err(|e| fail(Fault::Invalid(format!("the edited value is not JSON: {e}"))))?;
        apply_edits(resource, action, value, edited)
            .map_err(|e| fail(Fault::Invalid(format!("invalid value edit: {e}"))))?;
    }
    Ok(filter)
}

/// The client's answer to a fault: generic, never the reason.
fn fault_error(fault: &Fault) -> ApiError {
    match fault {
        Fault::Busy => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server busy: too many concurrent requests, retry shortly",
        ),
        Fault::Isolation(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            crate::plugin::SANDBOX_UNAVAILABLE,
        ),
        _ => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "authorization handler failed; the action was not performed",
        ),
    }
}

/// Takes back the edits LangGraph's runtime honours (spec §4.4).
fn apply_edits(
    resource: &str,
    action: &str,
    value: &mut Value,
    edited: Value,
) -> Result<(), String> {
    let (Value::Object(original), Value::Object(mut edited)) = (value, edited) else {
        return Err("the edited value must be a JSON object".into());
    };
    let mut taken: Vec<&str> = Vec::new();
    if matches!(original.get("metadata"), Some(Value::Object(_))) {
        taken.push("metadata");
    }
    if resource == "threads" && action == "create_run" {
        taken.push("kwargs");
    }
    if resource == "store" {
        taken.extend(["namespace", "value"]);
    }
    for key in &taken {
        if let Some(new) = edited.remove(*key) {
            validate_edit(key, &new, original.get(*key))?;
            original.insert((*key).to_string(), new);
        }
    }
    let ignored: Vec<&String> = edited
        .iter()
        .filter(|(k, v)| original.get(*k) != Some(*v))
        .map(|(k, _)| k)
        .chain(
            original
                .keys()
                .filter(|k| !edited.contains_key(*k) && !taken.contains(&k.as_str())),
        )
        .collect();
    if !ignored.is_empty() {
        tracing::warn!(
            resource,
            action,
            keys = ?ignored,
            "authorization handler changed keys of the value that do not take effect (only metadata, kwargs and the store's namespace/value do); ignored"
        );
    }
    Ok(())
}

fn validate_edit(key: &str, new: &Value, old: Option<&Value>) -> Result<(), String> {
    match key {
        "metadata" | "kwargs" if !new.is_object() => Err(format!("`{key}` must stay an object")),
        "namespace" => {
            // list_namespaces may carry a null prefix; it may stay null.
            if new.is_null() && old.is_none_or(Value::is_null) {
                return Ok(());
            }
            crate::api::validate_namespace(new).map(|_| ())
        }
        "value" if !(new.is_object() || new.is_null() && old.is_none_or(Value::is_null)) => {
            Err("the store item `value` must stay an object".into())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn coverage_matches_wildcards() {
        let cov = vec![
            ("threads".to_string(), "*".to_string()),
            ("*".into(), "read".into()),
        ];
        assert!(covers(&cov, "threads", "create"));
        assert!(covers(&cov, "assistants", "read"));
        assert!(!covers(&cov, "assistants", "create"));
    }

    #[test]
    fn only_honoured_edits_take_effect() {
        let mut v = json!({"thread_id": "t", "metadata": {"a": 1}, "if_exists": "raise"});
        apply_edits(
            "threads",
            "create",
            &mut v,
            json!({"thread_id": "other", "metadata": {"a": 1, "owner": "alice"}, "if_exists": "do_nothing"}),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"thread_id": "t", "metadata": {"a": 1, "owner": "alice"}, "if_exists": "raise"})
        );

        let mut s = json!({"namespace": ["docs"], "key": "k", "value": {"x": 1}});
        apply_edits(
            "store",
            "put",
            &mut s,
            json!({"namespace": ["alice", "docs"], "key": "k2", "value": {"x": 2}}),
        )
        .unwrap();
        assert_eq!(
            s,
            json!({"namespace": ["alice", "docs"], "key": "k", "value": {"x": 2}})
        );

        let mut bad = json!({"namespace": ["docs"]});
        assert!(apply_edits("store", "put", &mut bad, json!({"namespace": ["a.b"]})).is_err());
        let mut meta = json!({"metadata": {}});
        assert!(apply_edits("threads", "update", &mut meta, json!({"metadata": "x"})).is_err());
    }
}
