//! The user a handler returns.

use core::fmt;

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

    /// A user described by a JSON object, e.g. one entry of an `api_keys` setting:
    /// `identity` (a string, required), `display_name` (a string or `null`),
    /// `is_authenticated` (a boolean or `null`), `permissions` (an array of strings, default
    /// none), and every other key as a custom field. The inverse of [`to_json`](Self::to_json).
    ///
    /// ```
    /// use serde_json::json;
    /// use wasmgate_guest::auth::User;
    ///
    /// let user = User::from_json(json!({"identity": "alice", "github_token": "ghp_a"}))?;
    /// assert_eq!(user.identity(), "alice");
    /// assert_eq!(user.custom_fields()["github_token"], "ghp_a");
    /// assert!(User::from_json(json!({"identity": 7})).is_err());
    /// # Ok::<(), wasmgate_guest::auth::InvalidUser>(())
    /// ```
    ///
    /// # Errors
    ///
    /// If `value` is not an object or a reserved key has the wrong type. The error names the
    /// key and never quotes a value, so it may go into a response detail.
    pub fn from_json(value: Value) -> Result<Self, InvalidUser> {
        let Value::Object(mut fields) = value else {
            return Err(InvalidUser { field: None });
        };
        let invalid = |field| InvalidUser { field: Some(field) };
        let Some(Value::String(identity)) = fields.remove("identity") else {
            return Err(invalid("identity"));
        };
        let mut user = Self::new(identity);
        match fields.remove("display_name") {
            None | Some(Value::Null) => {}
            Some(Value::String(name)) => user.display_name = Some(name),
            Some(_) => return Err(invalid("display_name")),
        }
        match fields.remove("is_authenticated") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(authenticated)) => user.is_authenticated = Some(authenticated),
            Some(_) => return Err(invalid("is_authenticated")),
        }
        if let Some(permissions) = fields.remove("permissions") {
            let Value::Array(items) = permissions else {
                return Err(invalid("permissions"));
            };
            for item in items {
                let Value::String(permission) = item else {
                    return Err(invalid("permissions"));
                };
                user.permissions.push(permission);
            }
        }
        user.fields = fields;
        Ok(user)
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

/// Why [`User::from_json`] refused a JSON value. Its `Display` names the offending key but never
/// quotes a value, since user entries often hold tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidUser {
    field: Option<&'static str>,
}

impl InvalidUser {
    /// The reserved key with the wrong type or missing (`identity`), or `None` if the value was
    /// not a JSON object.
    pub fn field(&self) -> Option<&str> {
        self.field
    }
}

impl fmt::Display for InvalidUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            None => f.write_str("a user must be a JSON object"),
            Some("identity") => f.write_str("user field `identity` must be a string"),
            Some("display_name") => {
                f.write_str("user field `display_name` must be a string or null")
            }
            Some("is_authenticated") => {
                f.write_str("user field `is_authenticated` must be a boolean or null")
            }
            Some(field) => write!(f, "user field `{field}` must be an array of strings"),
        }
    }
}

impl std::error::Error for InvalidUser {}

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

    #[test]
    fn from_json_round_trips() {
        let json = json!({
            "identity": "alice",
            "is_authenticated": false,
            "display_name": "Alice",
            "permissions": ["threads:write"],
            "github_token": "ghp_a",
        });
        let user = User::from_json(json.clone()).unwrap();
        assert_eq!(user.to_json(), json);
        let bare = User::from_json(json!({"identity": "bob", "display_name": null})).unwrap();
        assert_eq!(bare, User::new("bob"));
    }

    #[test]
    fn from_json_names_the_bad_key_without_quoting_it() {
        for (value, field, message) in [
            (json!("ghp_secret"), None, "a user must be a JSON object"),
            (
                json!({}),
                Some("identity"),
                "user field `identity` must be a string",
            ),
            (
                json!({"identity": ["ghp_secret"]}),
                Some("identity"),
                "user field `identity` must be a string",
            ),
            (
                json!({"identity": "a", "display_name": 1}),
                Some("display_name"),
                "user field `display_name` must be a string or null",
            ),
            (
                json!({"identity": "a", "is_authenticated": "ghp_secret"}),
                Some("is_authenticated"),
                "user field `is_authenticated` must be a boolean or null",
            ),
            (
                json!({"identity": "a", "permissions": "ghp_secret"}),
                Some("permissions"),
                "user field `permissions` must be an array of strings",
            ),
            (
                json!({"identity": "a", "permissions": ["x", 1]}),
                Some("permissions"),
                "user field `permissions` must be an array of strings",
            ),
        ] {
            let error = User::from_json(value).unwrap_err();
            assert_eq!(error.field(), field);
            assert_eq!(error.to_string(), message);
        }
    }
}
