//! Authorization: one decision per resource action, routed as LangGraph's `@auth.on` is.
//!
//! A handler describes its rules in [`Handler::authorization`](super::Handler::authorization):
//! a [`Rules`] value that maps (resource, action) keys to handler functions. For every action
//! wasmgate asks about (`threads.create`, `assistants.search`, `store.put`...), the SDK runs the
//! **most specific** registered function, and only that one:
//!
//! 1. `(resource, action)`, e.g. [`Rules::on`]`("threads", "create", ..)`;
//! 2. `(resource, "*")`, [`Rules::on_resource`];
//! 3. `("*", action)`, [`Rules::on_action`];
//! 4. the global function, [`Rules::global`].
//!
//! Functions are never chained: a global default-deny is skipped whenever a more specific
//! function exists. No match allows the action, unfiltered.
//!
//! A function receives the [`AuthContext`] (who acts, on what) and the action's value as a
//! mutable [`serde_json::Value`] in the shape LangGraph gives its handlers (e.g.
//! `{"thread_id", "metadata", "if_exists"}` for `threads.create`). It returns a [`Decision`] or
//! refuses with an [`HttpError`]. Editing the value in place is how a handler stamps metadata
//! (`value["metadata"]["owner"] = ...`) or rewrites a store namespace; the SDK sends the value
//! back only if it changed, and wasmgate decides which edits it takes.

use core::fmt;

use serde_json::{Map, Value};

use super::HttpError;
use super::bindings::exports::langgraph::auth::authorize as wit;

/// Who is acting, on what: LangGraph's `ctx`.
///
/// wasmgate builds it from the authenticated user; tests build it by hand:
///
/// ```
/// use serde_json::json;
/// use wasmgate_guest::auth::{AuthContext, User};
///
/// let ctx = AuthContext::new(User::new("alice").permission("threads:write").to_json(), "threads", "create");
/// assert_eq!(ctx.identity(), "alice");
/// assert!(ctx.has_permission("threads:write"));
/// assert!(!ctx.is_studio_user());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AuthContext {
    user: Value,
    permissions: Vec<String>,
    resource: String,
    action: String,
    studio_flag: bool,
}

impl AuthContext {
    /// A context for `user` (the user JSON: `identity`, `display_name`, `is_authenticated`,
    /// `permissions` and custom fields, as [`User::to_json`](super::User::to_json) builds it)
    /// acting on `resource`/`action`. The permissions are taken from the user's `permissions`.
    ///
    /// # Panics
    ///
    /// If `user` is not a JSON object.
    pub fn new(user: Value, resource: impl Into<String>, action: impl Into<String>) -> Self {
        assert!(
            user.is_object(),
            "the auth context user must be a JSON object, not {user}"
        );
        let permissions = string_list(user.get("permissions")).unwrap_or_default();
        Self {
            user,
            permissions,
            resource: resource.into(),
            action: action.into(),
            studio_flag: false,
        }
    }

    /// Replace the permissions (builder style); mostly useful in tests.
    #[must_use]
    pub fn with_permissions<I>(mut self, permissions: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.permissions = permissions.into_iter().map(Into::into).collect();
        self
    }

    /// Set wasmgate's Studio-user flag (builder style); mostly useful in tests.
    #[must_use]
    pub fn with_studio_user(mut self, studio: bool) -> Self {
        self.studio_flag = studio;
        self
    }

    /// The user JSON object, custom fields included; e.g. `ctx.user()["org"]`.
    pub fn user(&self) -> &Value {
        &self.user
    }

    /// The user's `identity`; empty if the user has none (wasmgate always sends one).
    pub fn identity(&self) -> &str {
        self.user
            .get("identity")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The permissions from authentication.
    pub fn permissions(&self) -> &[String] {
        &self.permissions
    }

    /// Whether `permission` is one of [`permissions`](Self::permissions).
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    /// The resource acted on: `threads`, `assistants`, `crons` or `store`.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The action: `create`, `read`, `update`, `delete`, `search`, `create_run`, `put`, `get`
    /// or `list_namespaces`.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// Whether the user is LangGraph Studio's: wasmgate says so, or the user's `kind` is
    /// `"StudioUser"` (LangGraph's `is_studio_user`). Handlers conventionally let Studio through.
    pub fn is_studio_user(&self) -> bool {
        self.studio_flag || self.user.get("kind").and_then(Value::as_str) == Some("StudioUser")
    }

    fn from_wit(context: wit::AuthContext) -> Self {
        let user: Value = serde_json::from_str(&context.user)
            .expect("wasmgate sent an auth context whose user is not valid JSON");
        assert!(
            user.is_object(),
            "wasmgate sent an auth context whose user is not a JSON object"
        );
        Self {
            user,
            permissions: context.permissions,
            resource: context.resource,
            action: context.action,
            studio_flag: context.is_studio_user,
        }
    }
}

/// What a handler function decided (an [`HttpError`] refuses instead).
///
/// `Decision::from(true)` is [`Allow`](Self::Allow) and `Decision::from(false)` is
/// [`Deny`](Self::Deny), like returning `True`/`False` in LangGraph.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Proceed, unfiltered (LangGraph: `None` or `True`).
    Allow,
    /// Refuse with `403 {"detail": "Forbidden"}` (LangGraph: `False`).
    Deny,
    /// Proceed, but only on resources whose metadata (the item value, for the store) matches
    /// this filter (LangGraph: a returned dict). It must be a JSON object using plain equality,
    /// `$eq`, `$contains`, `$or` and `$and`; `{}` means no filter. wasmgate treats anything
    /// else as a handler fault (500), never as a match.
    Filter(Value),
}

impl Decision {
    /// [`Decision::Filter`] from anything that converts to JSON, e.g.
    /// `Decision::filter(json!({"owner": ctx.identity()}))`.
    pub fn filter(filter: impl Into<Value>) -> Self {
        Self::Filter(filter.into())
    }
}

impl From<bool> for Decision {
    fn from(allowed: bool) -> Self {
        if allowed { Self::Allow } else { Self::Deny }
    }
}

/// What a handler function returns.
pub type Verdict = Result<Decision, HttpError>;

type HandlerFn = Box<dyn Fn(&AuthContext, &mut Value) -> Verdict>;

/// The wildcard: any resource or any action.
pub const ANY: &str = "*";

/// The handler functions of a component, keyed by (resource, action); LangGraph's `Auth.on`.
///
/// Build it in [`Handler::authorization`](super::Handler::authorization):
///
/// ```
/// use serde_json::{Value, json};
/// use wasmgate_guest::auth::{AuthContext, Decision, HttpError, Rules};
///
/// fn owner_only(ctx: &AuthContext, value: &mut Value) -> Result<Decision, HttpError> {
///     if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
///         metadata.insert("owner".into(), ctx.identity().into());
///     }
///     Ok(Decision::filter(json!({"owner": ctx.identity()})))
/// }
///
/// let rules = Rules::new()
///     .global(owner_only)
///     .on("threads", "delete", |_, _| Ok(Decision::Deny))
///     .on_resource("store", |ctx, _| Ok(ctx.has_permission("store").into()));
///
/// let ctx = AuthContext::new(json!({"identity": "alice"}), "threads", "create");
/// let mut value = json!({"thread_id": "t1", "metadata": {"owner": "mallory"}});
/// assert_eq!(rules.dispatch(&ctx, &mut value), Ok(Decision::filter(json!({"owner": "alice"}))));
/// assert_eq!(value["metadata"]["owner"], "alice");
/// assert_eq!(rules.route("threads", "delete"), Some(("threads", "delete")));
/// ```
///
/// # Panics
///
/// Registering the same key twice panics (LangGraph raises at import); so does registering a
/// second global function, including as `on("*", "*", ..)`. wasmgate reports the panic as a
/// fault of the module.
#[derive(Default)]
pub struct Rules {
    handlers: Vec<(String, String, HandlerFn)>,
}

impl Rules {
    /// No rules: every action is allowed. A component with no rules authenticates only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Register `handler` for `resource`/`action`; either may be [`ANY`] (`"*"`), and
    /// `on("*", "*", ..)` is the same as [`global`](Self::global).
    ///
    /// # Panics
    ///
    /// If a function is already registered for that key.
    #[must_use]
    pub fn on<F>(
        mut self,
        resource: impl Into<String>,
        action: impl Into<String>,
        handler: F,
    ) -> Self
    where
        F: Fn(&AuthContext, &mut Value) -> Verdict + 'static,
    {
        let (resource, action) = (resource.into(), action.into());
        if self.position(&resource, &action).is_some() {
            if resource == ANY && action == ANY {
                panic!("a global authorization handler is already registered");
            }
            panic!("an authorization handler for ({resource:?}, {action:?}) is already registered");
        }
        self.handlers.push((resource, action, Box::new(handler)));
        self
    }

    /// Register `handler` for every action on `resource` (`@auth.on.<resource>`).
    ///
    /// # Panics
    ///
    /// As [`on`](Self::on).
    #[must_use]
    pub fn on_resource<F>(self, resource: impl Into<String>, handler: F) -> Self
    where
        F: Fn(&AuthContext, &mut Value) -> Verdict + 'static,
    {
        self.on(resource, ANY, handler)
    }

    /// Register `handler` for `action` on every resource (`@auth.on(actions=...)`).
    ///
    /// # Panics
    ///
    /// As [`on`](Self::on).
    #[must_use]
    pub fn on_action<F>(self, action: impl Into<String>, handler: F) -> Self
    where
        F: Fn(&AuthContext, &mut Value) -> Verdict + 'static,
    {
        self.on(ANY, action, handler)
    }

    /// Register the global `handler`, run when nothing more specific matches (`@auth.on`).
    ///
    /// # Panics
    ///
    /// If a global function is already registered.
    #[must_use]
    pub fn global<F>(self, handler: F) -> Self
    where
        F: Fn(&AuthContext, &mut Value) -> Verdict + 'static,
    {
        self.on(ANY, ANY, handler)
    }

    /// Whether no function is registered.
    pub fn is_empty(&self) -> bool {
        self.handlers.is_empty()
    }

    /// The registered (resource, action) keys, in registration order; the global one is
    /// `("*", "*")`.
    pub fn keys(&self) -> impl Iterator<Item = (&str, &str)> {
        self.handlers
            .iter()
            .map(|(resource, action, _)| (resource.as_str(), action.as_str()))
    }

    /// The key whose function runs for `resource`/`action`: `(resource, action)`, else
    /// `(resource, "*")`, else `("*", action)`, else the global `("*", "*")`. `None` when nothing
    /// matches (the action is allowed).
    pub fn route(&self, resource: &str, action: &str) -> Option<(&str, &str)> {
        let (resource, action, _) = &self.handlers[self.find(resource, action)?];
        Some((resource, action))
    }

    /// Run the one function that [`route`](Self::route) picks for the context's resource and
    /// action; [`Decision::Allow`] when none matches.
    pub fn dispatch(&self, ctx: &AuthContext, value: &mut Value) -> Verdict {
        match self.find(ctx.resource(), ctx.action()) {
            Some(index) => (self.handlers[index].2)(ctx, value),
            None => Ok(Decision::Allow),
        }
    }

    fn find(&self, resource: &str, action: &str) -> Option<usize> {
        [
            (resource, action),
            (resource, ANY),
            (ANY, action),
            (ANY, ANY),
        ]
        .into_iter()
        .find_map(|(resource, action)| self.position(resource, action))
    }

    fn position(&self, resource: &str, action: &str) -> Option<usize> {
        self.handlers
            .iter()
            .position(|(r, a, _)| r == resource && a == action)
    }

    pub(super) fn wit_keys(&self) -> Vec<wit::HandlerKey> {
        self.keys()
            .map(|(resource, action)| wit::HandlerKey {
                resource: resource.into(),
                action: action.into(),
            })
            .collect()
    }

    /// The WIT `authorize` call: parse, dispatch, report the decision and the value if edited.
    pub(super) fn authorize_wit(&self, context: wit::AuthContext, value: &str) -> wit::Outcome {
        let ctx = AuthContext::from_wit(context);
        let original: Value = serde_json::from_str(value)
            .expect("wasmgate sent an authorization value that is not valid JSON");
        let mut edited = original.clone();
        let decision = match self.dispatch(&ctx, &mut edited) {
            Ok(Decision::Allow) => wit::Decision::Allow,
            Ok(Decision::Deny) => wit::Decision::Deny,
            Ok(Decision::Filter(filter)) => wit::Decision::Filter(filter.to_string()),
            Err(error) => wit::Decision::Error(error.into_wit()),
        };
        wit::Outcome {
            decision,
            value: (edited != original).then(|| edited.to_string()),
        }
    }
}

impl fmt::Debug for Rules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.keys()).finish()
    }
}

/// `value["namespace"]` as labels (store actions), or `None` when it is missing, `null` or not
/// an array of strings.
///
/// ```
/// use serde_json::json;
/// use wasmgate_guest::auth::namespace;
///
/// assert_eq!(namespace(&json!({"namespace": ["alice", "docs"]})), Some(vec!["alice".to_owned(), "docs".to_owned()]));
/// assert_eq!(namespace(&json!({"namespace": null})), None);
/// ```
pub fn namespace(value: &Value) -> Option<Vec<String>> {
    string_list(value.get("namespace"))
}

/// The metadata object of an action's value (`value["metadata"]`), if it is an object; the place
/// to stamp an owner: `if let Some(m) = metadata_mut(value) { m.insert(..) }`.
pub fn metadata_mut(value: &mut Value) -> Option<&mut Map<String, Value>> {
    value.get_mut("metadata")?.as_object_mut()
}

fn string_list(value: Option<&Value>) -> Option<Vec<String>> {
    value?
        .as_array()?
        .iter()
        .map(|item| item.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tag(name: &'static str) -> impl Fn(&AuthContext, &mut Value) -> Verdict {
        move |_, _| Ok(Decision::filter(json!({"by": name})))
    }

    fn ctx(resource: &str, action: &str) -> AuthContext {
        AuthContext::new(json!({"identity": "alice"}), resource, action)
    }

    fn run(rules: &Rules, resource: &str, action: &str) -> Verdict {
        rules.dispatch(&ctx(resource, action), &mut json!({}))
    }

    fn by(name: &str) -> Verdict {
        Ok(Decision::filter(json!({"by": name})))
    }

    #[test]
    fn most_specific_handler_wins_and_only_it_runs() {
        let rules = Rules::new()
            .global(tag("global"))
            .on_action("read", tag("*.read"))
            .on_resource("threads", tag("threads.*"))
            .on("threads", "read", tag("threads.read"));
        assert_eq!(run(&rules, "threads", "read"), by("threads.read"));
        assert_eq!(run(&rules, "threads", "create"), by("threads.*"));
        assert_eq!(run(&rules, "assistants", "read"), by("*.read"));
        assert_eq!(run(&rules, "crons", "delete"), by("global"));
        assert_eq!(rules.route("store", "put"), Some(("*", "*")));
        assert_eq!(
            rules.keys().collect::<Vec<_>>(),
            [
                ("*", "*"),
                ("*", "read"),
                ("threads", "*"),
                ("threads", "read")
            ]
        );
    }

    #[test]
    fn resource_wildcard_beats_action_wildcard() {
        let rules = Rules::new()
            .on_action("create", tag("*.create"))
            .on_resource("threads", tag("threads.*"));
        assert_eq!(run(&rules, "threads", "create"), by("threads.*"));
        assert_eq!(run(&rules, "assistants", "create"), by("*.create"));
    }

    #[test]
    fn no_match_allows() {
        let rules = Rules::new().on("threads", "create", |_, _| Ok(Decision::Deny));
        assert_eq!(run(&rules, "threads", "read"), Ok(Decision::Allow));
        assert_eq!(rules.route("threads", "read"), None);
        assert_eq!(run(&Rules::new(), "store", "put"), Ok(Decision::Allow));
        assert!(Rules::new().is_empty());
        assert_eq!(format!("{rules:?}"), r#"[("threads", "create")]"#);
    }

    #[test]
    #[should_panic(
        expected = r#"an authorization handler for ("threads", "create") is already registered"#
    )]
    fn duplicate_key_panics() {
        let _ = Rules::new()
            .on("threads", "create", tag("a"))
            .on("threads", "create", tag("b"));
    }

    #[test]
    #[should_panic(
        expected = r#"an authorization handler for ("store", "*") is already registered"#
    )]
    fn duplicate_resource_wildcard_panics() {
        let _ = Rules::new()
            .on_resource("store", tag("a"))
            .on("store", "*", tag("b"));
    }

    #[test]
    #[should_panic(expected = "a global authorization handler is already registered")]
    fn second_global_panics() {
        let _ = Rules::new().global(tag("a")).on("*", "*", tag("b"));
    }

    #[test]
    fn context_accessors() {
        let user = json!({"identity": "alice", "permissions": ["a", 1, "b"], "org": 7});
        let ctx = AuthContext::new(user.clone(), "threads", "read");
        // Not an array of strings: no permissions.
        assert!(ctx.permissions().is_empty());
        let ctx = ctx.with_permissions(["a", "b"]);
        assert_eq!(ctx.permissions(), ["a", "b"]);
        assert!(ctx.has_permission("b") && !ctx.has_permission("c"));
        assert_eq!(
            (ctx.identity(), ctx.resource(), ctx.action()),
            ("alice", "threads", "read")
        );
        assert_eq!(ctx.user()["org"], 7);
        assert!(!ctx.is_studio_user());
        assert!(ctx.clone().with_studio_user(true).is_studio_user());
        let studio = AuthContext::new(
            json!({"identity": "langgraph-studio-user", "kind": "StudioUser"}),
            "threads",
            "read",
        );
        assert!(studio.is_studio_user());
        assert_eq!(
            AuthContext::new(json!({}), "threads", "read").identity(),
            ""
        );
    }

    #[test]
    #[should_panic(expected = "the auth context user must be a JSON object")]
    fn context_user_must_be_an_object() {
        let _ = AuthContext::new(json!("alice"), "threads", "read");
    }

    #[test]
    fn value_helpers() {
        assert_eq!(
            namespace(&json!({"namespace": ["a", "b"]})),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(namespace(&json!({"namespace": []})), Some(vec![]));
        for value in [
            json!({}),
            json!({"namespace": null}),
            json!({"namespace": "a.b"}),
            json!({"namespace": ["a", 1]}),
            json!(null),
        ] {
            assert_eq!(namespace(&value), None, "{value}");
        }
        let mut value = json!({"metadata": {"a": 1}});
        metadata_mut(&mut value)
            .unwrap()
            .insert("b".into(), 2.into());
        assert_eq!(value, json!({"metadata": {"a": 1, "b": 2}}));
        assert!(metadata_mut(&mut json!({"metadata": null})).is_none());
        assert_eq!(Decision::from(true), Decision::Allow);
        assert_eq!(Decision::from(false), Decision::Deny);
    }

    fn wit_context(resource: &str, action: &str) -> wit::AuthContext {
        wit::AuthContext {
            user: r#"{"identity": "alice", "kind": "StudioUser"}"#.into(),
            permissions: vec!["p".into()],
            resource: resource.into(),
            action: action.into(),
            is_studio_user: false,
        }
    }

    fn probe() -> Rules {
        Rules::new()
            .on("threads", "create", |ctx, value| {
                assert!(ctx.is_studio_user());
                assert!(ctx.has_permission("p"));
                if let Some(metadata) = metadata_mut(value) {
                    metadata.insert("owner".into(), ctx.identity().into());
                }
                Ok(Decision::filter(json!({"owner": ctx.identity()})))
            })
            .on("threads", "read", |_, value| {
                // Rewrites the value to an equal one: not a change.
                *value = value.clone();
                Ok(Decision::Allow)
            })
            .on("threads", "delete", |_, value| {
                value["gone"] = true.into();
                Ok(Decision::Deny)
            })
            .on("threads", "update", |_, _| {
                Err(HttpError::new(418, "teapot").header("x-a", "b"))
            })
    }

    #[test]
    fn wit_outcome_carries_the_decision_and_only_a_changed_value() {
        let rules = probe();
        let outcome = rules.authorize_wit(
            wit_context("threads", "create"),
            r#"{"thread_id": "t", "metadata": {"owner": "mallory"}}"#,
        );
        assert!(
            matches!(&outcome.decision, wit::Decision::Filter(f) if f == r#"{"owner":"alice"}"#)
        );
        let value: Value = serde_json::from_str(outcome.value.as_deref().unwrap()).unwrap();
        assert_eq!(
            value,
            json!({"thread_id": "t", "metadata": {"owner": "alice"}})
        );

        // No metadata object: nothing stamped, nothing sent back.
        let outcome =
            rules.authorize_wit(wit_context("threads", "create"), r#"{"thread_id": "t"}"#);
        assert_eq!(outcome.value, None);

        let outcome =
            rules.authorize_wit(wit_context("threads", "read"), r#"{"a": 1.0, "b": [1]}"#);
        assert!(matches!(outcome.decision, wit::Decision::Allow));
        assert_eq!(outcome.value, None);

        let outcome = rules.authorize_wit(wit_context("threads", "delete"), "{}");
        assert!(matches!(outcome.decision, wit::Decision::Deny));
        assert_eq!(outcome.value.as_deref(), Some(r#"{"gone":true}"#));

        let outcome = rules.authorize_wit(wit_context("threads", "update"), "{}");
        let wit::Decision::Error(error) = outcome.decision else {
            panic!("expected an error, got {:?}", outcome.decision);
        };
        assert_eq!(
            (error.status, error.detail.as_deref(), error.headers),
            (418, Some("teapot"), vec![("x-a".into(), "b".into())])
        );

        // Nothing matches: allowed, unchanged.
        let outcome = rules.authorize_wit(wit_context("store", "put"), r#"{"namespace": ["x"]}"#);
        assert!(matches!(outcome.decision, wit::Decision::Allow));
        assert_eq!(outcome.value, None);

        let keys = rules.wit_keys();
        assert_eq!(keys.len(), 4);
        assert_eq!(
            (keys[0].resource.as_str(), keys[0].action.as_str()),
            ("threads", "create")
        );
    }

    #[test]
    fn wit_context_flag_marks_the_studio_user() {
        let mut context = wit_context("threads", "read");
        context.user = r#"{"identity": "x"}"#.into();
        context.is_studio_user = true;
        let ctx = AuthContext::from_wit(context);
        assert!(ctx.is_studio_user());
        assert_eq!(ctx.permissions(), ["p"]);
    }

    #[test]
    #[should_panic(expected = "not valid JSON")]
    fn invalid_value_json_is_a_fault() {
        let _ = probe().authorize_wit(wit_context("threads", "read"), "{not json");
    }

    #[test]
    #[should_panic(expected = "user is not valid JSON")]
    fn invalid_user_json_is_a_fault() {
        let mut context = wit_context("threads", "read");
        context.user = "nope".into();
        let _ = probe().authorize_wit(context, "{}");
    }
}
