//! The user a handler returns.

use serde_json::{Map, Value};

use super::wit;

/// Keys of the exposed user JSON that have a typed setter and may not be custom fields.
const RESERVED: [&str; 4] = [
    "identity",
    "display_name",
    "is_authenticated",
    "permissions",
];

/// The authenticated user, built with chained setters.
///
/// wasmgate normalises it as LangGraph does: the display name defaults to the identity and
/// `is_authenticated` to true. Graphs receive it as `config.configurable.langgraph_auth_user`
/// (every custom field included), its identity as `langgraph_auth_user_id` and its permissions
/// as `langgraph_auth_permissions`. Custom fields stay in memory: wasmgate never stores them and
/// never returns them in an API response.
///
/// ```
/// use wasmgate_guest::auth::User;
/// use serde_json::json;
///
/// let user = User::new("alice")
///     .display_name("Alice")
///     .permissions(["threads:read", "threads:write"])
///     .field("github_token", "ghp_...")
///     .field("org", json!({"id": 7}));
/// assert_eq!(user.identity(), "alice");
/// assert_eq!(user.to_json()["org"]["id"], 7);
/// ```
///
/// # Reserved keys
///
/// `identity`, `display_name`, `is_authenticated` and `permissions` are fields of the user itself,
/// not custom fields. Handing one of them to [`field`](Self::field) or [`fields`](Self::fields)
/// sets the typed field instead, so the user graphs see is the one you described: `identity` and
/// `display_name` take a string (`display_name` also `null`, meaning "default"),
/// `is_authenticated` a boolean and `permissions` an array of strings. A value of any other type
/// is a programming error and panics, which wasmgate reports as a handler fault (500, nobody
/// authenticated).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    identity: String,
    display_name: Option<String>,
    is_authenticated: Option<bool>,
    permissions: Vec<String>,
    fields: Map<String, Value>,
}

impl User {
    /// A user with this identity (LangGraph's `identity`, the graph's `langgraph_auth_user_id`).
    pub fn new(identity: impl Into<String>) -> Self {
        Self {
            identity: identity.into(),
            display_name: None,
            is_authenticated: None,
            permissions: Vec::new(),
            fields: Map::new(),
        }
    }

    /// Set the human-readable name (defaults to the identity).
    #[must_use]
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Set `is_authenticated` (defaults to true).
    #[must_use]
    pub fn authenticated(mut self, authenticated: bool) -> Self {
        self.is_authenticated = Some(authenticated);
        self
    }

    /// Add one permission.
    #[must_use]
    pub fn permission(mut self, permission: impl Into<String>) -> Self {
        self.permissions.push(permission.into());
        self
    }

    /// Add several permissions.
    #[must_use]
    pub fn permissions<I>(mut self, permissions: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.permissions
            .extend(permissions.into_iter().map(Into::into));
        self
    }

    /// Set a custom field, e.g. an OAuth token that graphs need. A later call with the same key
    /// replaces the value.
    ///
    /// # Panics
    ///
    /// If `key` is reserved (see [Reserved keys](Self#reserved-keys)) and `value` has the wrong
    /// type for it.
    #[must_use]
    pub fn field(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.set(key.into(), value.into());
        self
    }

    /// Set every entry of `fields` as with [`field`](Self::field).
    ///
    /// # Panics
    ///
    /// As [`field`](Self::field).
    #[must_use]
    pub fn fields(mut self, fields: Map<String, Value>) -> Self {
        for (key, value) in fields {
            self.set(key, value);
        }
        self
    }

    /// The identity.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// The custom fields set so far (never a reserved key).
    pub fn custom_fields(&self) -> &Map<String, Value> {
        &self.fields
    }

    /// The user as graphs receive it in `langgraph_auth_user`: `identity`, `is_authenticated`
    /// (default true), `display_name` (default the identity), `permissions`, then the custom
    /// fields. Handy in native tests of a handler.
    pub fn to_json(&self) -> Value {
        let mut json = Map::new();
        json.insert("identity".into(), self.identity.clone().into());
        json.insert(
            "is_authenticated".into(),
            self.is_authenticated.unwrap_or(true).into(),
        );
        json.insert(
            "display_name".into(),
            self.display_name
                .clone()
                .unwrap_or_else(|| self.identity.clone())
                .into(),
        );
        json.insert("permissions".into(), self.permissions.clone().into());
        json.extend(self.fields.clone());
        Value::Object(json)
    }

    fn set(&mut self, key: String, value: Value) {
        let wrong_type = |expected: &str| -> ! {
            panic!("user field `{key}` is reserved and must be {expected}, not {value}")
        };
        match key.as_str() {
            "identity" => match value {
                Value::String(identity) => self.identity = identity,
                _ => wrong_type("a string"),
            },
            "display_name" => match value {
                Value::String(name) => self.display_name = Some(name),
                Value::Null => self.display_name = None,
                _ => wrong_type("a string or null"),
            },
            "is_authenticated" => match value {
                Value::Bool(authenticated) => self.is_authenticated = Some(authenticated),
                _ => wrong_type("a boolean"),
            },
            "permissions" => match &value {
                Value::Array(items) if items.iter().all(Value::is_string) => {
                    self.permissions = items
                        .iter()
                        .filter_map(|item| item.as_str().map(str::to_owned))
                        .collect();
                }
                _ => wrong_type("an array of strings"),
            },
            _ => {
                debug_assert!(!RESERVED.contains(&key.as_str()));
                self.fields.insert(key, value);
            }
        }
    }

    pub(super) fn into_wit(self) -> wit::User {
        wit::User {
            identity: self.identity,
            display_name: self.display_name,
            is_authenticated: self.is_authenticated,
            permissions: self.permissions,
            custom_fields: Value::Object(self.fields).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn minimal_user_record() {
        let record = User::new("alice").into_wit();
        assert_eq!(record.identity, "alice");
        assert_eq!(record.display_name, None);
        assert_eq!(record.is_authenticated, None);
        assert!(record.permissions.is_empty());
        assert_eq!(record.custom_fields, "{}");
    }

    #[test]
    fn full_user_record() {
        let record = User::new("alice")
            .display_name("Alice")
            .authenticated(false)
            .permission("a")
            .permissions(["b", "c"])
            .field("github_token", "ghp_x")
            .field("n", 3)
            .field("n", 4)
            .fields(json!({"org": {"id": 7}}).as_object().cloned().unwrap())
            .into_wit();
        assert_eq!(record.identity, "alice");
        assert_eq!(record.display_name.as_deref(), Some("Alice"));
        assert_eq!(record.is_authenticated, Some(false));
        assert_eq!(record.permissions, ["a", "b", "c"]);
        let fields: Value = serde_json::from_str(&record.custom_fields).unwrap();
        assert_eq!(
            fields,
            json!({"github_token": "ghp_x", "n": 4, "org": {"id": 7}})
        );
    }

    #[test]
    fn reserved_keys_set_the_typed_fields() {
        let user = User::new("alice").fields(
            json!({
                "identity": "bob",
                "display_name": "Bob",
                "is_authenticated": false,
                "permissions": ["p"],
                "team": "x",
            })
            .as_object()
            .cloned()
            .unwrap(),
        );
        assert_eq!(user.custom_fields().len(), 1);
        let record = user.clone().into_wit();
        assert_eq!(record.identity, "bob");
        assert_eq!(record.display_name.as_deref(), Some("Bob"));
        assert_eq!(record.is_authenticated, Some(false));
        assert_eq!(record.permissions, ["p"]);
        assert_eq!(record.custom_fields, r#"{"team":"x"}"#);

        let cleared = user.field("display_name", Value::Null).into_wit();
        assert_eq!(cleared.display_name, None);
    }

    #[test]
    #[should_panic(expected = "user field `permissions` is reserved")]
    fn reserved_key_with_wrong_type_panics() {
        let _ = User::new("alice").field("permissions", "threads:read");
    }

    #[test]
    fn to_json_applies_langgraph_defaults() {
        assert_eq!(
            User::new("alice").field("k", 1).to_json(),
            json!({
                "identity": "alice",
                "is_authenticated": true,
                "display_name": "alice",
                "permissions": [],
                "k": 1,
            })
        );
    }
}
