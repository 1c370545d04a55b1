//! LangGraph's owner-scoping guide ("Make conversations private") as a wasmgate component.
//!
//! Authentication is the API-key handler of `examples/apikey-auth`: header `x-api-key`, looked up
//! in the setting `api_keys`; a missing or unknown key gets `401 {"detail": "Invalid API key"}`.
//!
//! Authorization, most specific rule first (only one rule runs per action):
//!
//! | key | rule |
//! |---|---|
//! | `assistants.read`, `assistants.search` | filter `{"$or": [{"owner": id}, {"created_by": "system"}]}`: your assistants and the per-graph system ones |
//! | `store.*` | the first label of `namespace` must be your identity, else `403 {"detail": "Not authorized"}` |
//! | global (everything else) | stamp `metadata.owner = id` when `metadata` is an object; filter `{"owner": id}` |
//!
//! Every rule lets LangGraph Studio's user through unchanged and unfiltered.

use serde_json::{Map, Value, json};
use wasmgate_guest::auth::{
    AuthContext, Decision, Handler, HttpError, Request, Rules, User, metadata_mut, namespace,
    settings,
};

struct OwnerScoping;

impl Handler for OwnerScoping {
    fn authenticate(request: Request) -> Result<User, HttpError> {
        let keys = settings::json("api_keys")
            .map_err(|error| HttpError::new(500, format!("auth handler misconfigured: {error}")))?;
        authenticate_with(&request, keys)
    }

    fn authorization() -> Rules {
        Rules::new()
            .global(owner)
            .on("assistants", "read", own_or_system_assistants)
            .on("assistants", "search", own_or_system_assistants)
            .on_resource("store", own_namespace)
    }
}

wasmgate_guest::export_auth!(OwnerScoping);

/// `examples/apikey-auth` without its setting lookup, so that it can be tested natively.
fn authenticate_with(request: &Request, mut keys: Map<String, Value>) -> Result<User, HttpError> {
    let Some(entry) = request.api_key().and_then(|key| keys.remove(key)) else {
        return Err(HttpError::unauthorized("Invalid API key").header("www-authenticate", "ApiKey"));
    };
    User::from_json(entry).map_err(|error| {
        HttpError::new(
            500,
            format!("auth handler misconfigured: an `api_keys` entry is not a user: {error}"),
        )
    })
}

/// Global: whatever you create or update is yours, and you only see and touch what is yours.
fn owner(ctx: &AuthContext, value: &mut Value) -> Result<Decision, HttpError> {
    if ctx.is_studio_user() {
        return Ok(Decision::Allow);
    }
    if let Some(metadata) = metadata_mut(value) {
        metadata.insert("owner".into(), ctx.identity().into());
    }
    Ok(Decision::filter(json!({"owner": ctx.identity()})))
}

/// `assistants.read` and `assistants.search`: your assistants, and the system assistant of each
/// graph (`metadata.created_by == "system"`, no owner), which would otherwise be hidden.
fn own_or_system_assistants(ctx: &AuthContext, _value: &mut Value) -> Result<Decision, HttpError> {
    if ctx.is_studio_user() {
        return Ok(Decision::Allow);
    }
    Ok(Decision::filter(json!({
        "$or": [{"owner": ctx.identity()}, {"created_by": "system"}]
    })))
}

/// `store.*`: LangGraph's `assert namespace[0] == ctx.user.identity, "Not authorized"`.
fn own_namespace(ctx: &AuthContext, value: &mut Value) -> Result<Decision, HttpError> {
    if ctx.is_studio_user() {
        return Ok(Decision::Allow);
    }
    match namespace(value).as_deref() {
        Some([first, ..]) if first == ctx.identity() => Ok(Decision::Allow),
        _ => Err(HttpError::forbidden("Not authorized")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(identity: &str, resource: &str, action: &str) -> AuthContext {
        AuthContext::new(User::new(identity).to_json(), resource, action)
    }

    fn studio(resource: &str, action: &str) -> AuthContext {
        AuthContext::new(
            json!({"identity": "langgraph-studio-user", "kind": "StudioUser",
                   "is_authenticated": false, "permissions": []}),
            resource,
            action,
        )
    }

    fn dispatch(ctx: &AuthContext, value: &mut Value) -> Result<Decision, HttpError> {
        OwnerScoping::authorization().dispatch(ctx, value)
    }

    #[test]
    fn demo_keys_authenticate() {
        let config: Value = serde_json::from_str(include_str!("../langgraph.json")).unwrap();
        let keys = config["wasmgate"]["auth"]["settings"]["api_keys"]
            .as_object()
            .unwrap();
        let request = Request::new("GET", "/threads").with_header("x-api-key", "bob-key");
        let bob = authenticate_with(&request, keys.clone()).unwrap().to_json();
        assert_eq!(bob["identity"], "bob");
        assert_eq!(bob["permissions"], json!(["threads:write"]));
        assert_eq!(bob["github_token"], "ghp_bob_0000000000003333");
        for request in [
            Request::new("GET", "/threads"),
            Request::new("GET", "/threads").with_header("x-api-key", "mallory-key"),
        ] {
            let error = authenticate_with(&request, keys.clone()).unwrap_err();
            assert_eq!((error.status(), error.detail()), (401, "Invalid API key"));
        }
    }

    #[test]
    fn routing_covers_the_documented_keys() {
        let rules = OwnerScoping::authorization();
        assert_eq!(rules.route("threads", "create"), Some(("*", "*")));
        assert_eq!(rules.route("threads", "create_run"), Some(("*", "*")));
        assert_eq!(rules.route("crons", "search"), Some(("*", "*")));
        assert_eq!(rules.route("assistants", "create"), Some(("*", "*")));
        assert_eq!(
            rules.route("assistants", "read"),
            Some(("assistants", "read"))
        );
        assert_eq!(
            rules.route("assistants", "search"),
            Some(("assistants", "search"))
        );
        assert_eq!(
            rules.route("store", "list_namespaces"),
            Some(("store", "*"))
        );
    }

    #[test]
    fn global_stamps_the_owner_and_filters_on_it() {
        let alice = ctx("alice", "threads", "create");
        let mut value = json!({"thread_id": "t1", "metadata": {"owner": "mallory", "x": 1}, "if_exists": "raise"});
        let decision = dispatch(&alice, &mut value).unwrap();
        assert_eq!(decision, Decision::filter(json!({"owner": "alice"})));
        assert_eq!(
            value,
            json!({"thread_id": "t1", "metadata": {"owner": "alice", "x": 1}, "if_exists": "raise"})
        );

        // No metadata object (a read, or metadata: null): nothing stamped, still filtered.
        for before in [
            json!({"thread_id": "t1"}),
            json!({"thread_id": "t1", "metadata": null}),
        ] {
            let mut value = before.clone();
            let bob = ctx("bob", "threads", "read");
            assert_eq!(
                dispatch(&bob, &mut value).unwrap(),
                Decision::filter(json!({"owner": "bob"}))
            );
            assert_eq!(value, before);
        }
    }

    #[test]
    fn assistants_read_and_search_include_system_assistants() {
        for action in ["read", "search"] {
            let mut value = json!({"assistant_id": "a1", "metadata": {}});
            let decision = dispatch(&ctx("alice", "assistants", action), &mut value).unwrap();
            assert_eq!(
                decision,
                Decision::filter(json!({"$or": [{"owner": "alice"}, {"created_by": "system"}]}))
            );
            // Not stamped: only the global rule stamps, and it does not run here.
            assert_eq!(value, json!({"assistant_id": "a1", "metadata": {}}));
        }
    }

    #[test]
    fn store_namespace_must_start_with_the_identity() {
        let alice = ctx("alice", "store", "put");
        let mut ok = json!({"namespace": ["alice", "docs"], "key": "k", "value": {}});
        assert_eq!(dispatch(&alice, &mut ok).unwrap(), Decision::Allow);
        for namespace in [
            json!(["bob", "docs"]),
            json!([]),
            json!(null),
            json!(["alice-2"]),
            json!("alice"),
        ] {
            let mut value = json!({"namespace": namespace, "key": "k"});
            let error = dispatch(&alice, &mut value).unwrap_err();
            assert_eq!(
                (error.status(), error.detail()),
                (403, "Not authorized"),
                "{namespace}"
            );
        }
        let error =
            dispatch(&ctx("alice", "store", "list_namespaces"), &mut json!({})).unwrap_err();
        assert_eq!(error.status(), 403);
    }

    #[test]
    fn studio_user_passes_every_rule_untouched() {
        for (resource, action) in [
            ("threads", "create"),
            ("assistants", "read"),
            ("assistants", "search"),
            ("store", "put"),
            ("crons", "delete"),
        ] {
            let before = json!({"namespace": ["someone"], "metadata": {"owner": "x"}});
            let mut value = before.clone();
            assert_eq!(
                dispatch(&studio(resource, action), &mut value).unwrap(),
                Decision::Allow
            );
            assert_eq!(value, before);
        }
        // wasmgate's flag counts too.
        let flagged = ctx("alice", "threads", "create").with_studio_user(true);
        assert_eq!(
            dispatch(&flagged, &mut json!({"metadata": {}})).unwrap(),
            Decision::Allow
        );
    }
}
