//! Graphs: the `agent` world of `wit/graph`.
//!
//! A graph implements [`Graph`] and names its type in [`export_graph!`](crate::export_graph).
//! wasmgate runs it once per run, on a fresh instance, with a [`RunRequest`]: the run's input,
//! the thread's current values and the run config, which carries the authenticated user. The
//! graph returns the thread's new values, or a [`RunError`] that the client sees like a Python
//! exception. While it runs it can stream events with [`emit`].

use core::fmt;

use serde_json::{Map, Value};

/// Generated bindings for the `agent` world. Not part of the API: use the types of
/// [`crate::graph`] instead.
#[doc(hidden)]
#[allow(missing_docs, unsafe_code, unreachable_pub, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "agent",
        path: "../wit/graph",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "wasmgate_guest::graph::bindings",
    });
}

use bindings::exports::langgraph::graph::graph as wit;

/// One run, with its JSON already parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunRequest {
    /// The run's `input` (`null` when the client sent none).
    pub input: Value,
    /// The thread's current values (`{}` for a new thread).
    pub state: Value,
    /// The full run config: `{"configurable": {...}, ...}`.
    pub config: Value,
}

impl RunRequest {
    /// `config.configurable`, if it is an object.
    pub fn configurable(&self) -> Option<&Map<String, Value>> {
        self.config.get("configurable")?.as_object()
    }

    /// The authenticated user as the auth handler built it (`langgraph_auth_user`): `identity`,
    /// `display_name`, `is_authenticated`, `permissions` and every custom field. `None` without
    /// custom auth.
    pub fn auth_user(&self) -> Option<&Value> {
        self.configurable()?
            .get("langgraph_auth_user")
            .filter(|user| !user.is_null())
    }

    /// One field of [`auth_user`](Self::auth_user), e.g. a custom `github_token`.
    pub fn auth_user_field(&self, name: &str) -> Option<&Value> {
        self.auth_user()?.get(name).filter(|value| !value.is_null())
    }

    /// The user's identity (`langgraph_auth_user_id`, else the user's `identity`). `None` without
    /// custom auth, where LangGraph sends an empty id.
    pub fn auth_user_id(&self) -> Option<&str> {
        self.configurable()
            .and_then(|configurable| configurable.get("langgraph_auth_user_id"))
            .and_then(Value::as_str)
            .or_else(|| self.auth_user_field("identity")?.as_str())
            .filter(|id| !id.is_empty())
    }

    /// The user's permissions (`langgraph_auth_permissions`, else the user's `permissions`);
    /// empty without custom auth. Entries that are not strings are skipped.
    pub fn auth_permissions(&self) -> Vec<String> {
        let list = self
            .configurable()
            .and_then(|configurable| configurable.get("langgraph_auth_permissions"))
            .and_then(Value::as_array)
            .or_else(|| self.auth_user_field("permissions")?.as_array());
        list.into_iter()
            .flatten()
            .filter_map(|permission| permission.as_str().map(str::to_owned))
            .collect()
    }

    fn from_wit(request: wit::RunRequest) -> Result<Self, RunError> {
        let parse = |what: &str, text: &str| {
            serde_json::from_str(text).map_err(|error| {
                RunError::new(
                    "ValueError",
                    format!("run {what} is not valid JSON: {error}"),
                )
            })
        };
        Ok(Self {
            input: parse("input", &request.input)?,
            state: parse("state", &request.state)?,
            config: parse("config", &request.config)?,
        })
    }
}

/// A failed run, reported to the client like a Python exception: `error` is the exception type
/// (e.g. `ValueError`), `message` its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunError {
    error: String,
    message: String,
}

impl RunError {
    /// A failure of type `error_type` (e.g. `ValueError`) with `message`.
    pub fn new(error_type: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: error_type.into(),
            message: message.into(),
        }
    }

    /// The error type.
    pub fn error_type(&self) -> &str {
        &self.error
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    fn into_wit(self) -> wit::RunError {
        wit::RunError {
            error: self.error,
            message: self.message,
        }
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

impl std::error::Error for RunError {}

/// A JSON error becomes a `ValueError`, so `?` works on `serde_json` calls inside a graph.
impl From<serde_json::Error> for RunError {
    fn from(error: serde_json::Error) -> Self {
        Self::new("ValueError", error.to_string())
    }
}

/// Emit an intermediate event for streaming clients. `mode` is a LangGraph stream mode such as
/// `custom` or `updates`; clients that stream that mode receive `data`.
pub fn emit(mode: &str, data: &Value) {
    bindings::langgraph::graph::host::emit(mode, &data.to_string());
}

/// A graph.
///
/// ```
/// use serde_json::{Value, json};
/// use wasmgate_guest::graph::{Graph, RunError, RunRequest};
///
/// struct Echo;
///
/// impl Graph for Echo {
///     fn invoke(request: RunRequest) -> Result<Value, RunError> {
///         Ok(json!({"last_input": request.input, "user": request.auth_user_id()}))
///     }
/// }
///
/// wasmgate_guest::export_graph!(Echo);
/// ```
pub trait Graph {
    /// Execute one run and return the thread's new values, which replace the old ones.
    ///
    /// The value **must be a JSON object**; anything else fails the run with an
    /// `InvalidUpdateError`, as LangGraph does. A panic is a fault: the run fails with a generic
    /// error.
    fn invoke(request: RunRequest) -> Result<Value, RunError>;
}

/// Export a [`Graph`] as the component's `invoke` function.
///
/// Use it exactly once, at the top level of a `cdylib` crate that targets `wasm32-wasip2`. The
/// crate only needs to depend on `wasmgate-guest` (and `serde_json` to build values).
#[macro_export]
macro_rules! export_graph {
    ($graph:ty) => {
        const _: () = {
            type __WasmgateGraphExport = $crate::graph::__private::Export<$graph>;
            $crate::graph::bindings::export!(
                __WasmgateGraphExport with_types_in $crate::graph::bindings
            );
        };
    };
}

/// Glue between the generated bindings and [`Graph`]; used by [`export_graph!`](crate::export_graph).
#[doc(hidden)]
pub mod __private {
    use core::marker::PhantomData;

    use super::{Graph, wit};

    /// The type the generated export macro is given: forwards to `G`.
    pub struct Export<G>(PhantomData<G>);

    impl<G: Graph> wit::Guest for Export<G> {
        fn invoke(request: wit::RunRequest) -> Result<String, wit::RunError> {
            super::invoke::<G>(request).map_err(super::RunError::into_wit)
        }
    }
}

fn invoke<G: Graph>(request: wit::RunRequest) -> Result<String, RunError> {
    let values = G::invoke(RunRequest::from_wit(request)?)?;
    if !values.is_object() {
        return Err(RunError::new(
            "InvalidUpdateError",
            format!(
                "expected the graph to return an object, got {}",
                kind(&values)
            ),
        ));
    }
    Ok(values.to_string())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(config: Value) -> RunRequest {
        RunRequest {
            input: Value::Null,
            state: json!({}),
            config,
        }
    }

    #[test]
    fn auth_helpers_read_the_injected_keys() {
        let run = request(json!({"configurable": {
            "langgraph_auth_user": {"identity": "alice", "github_token": "ghp", "permissions": ["x"]},
            "langgraph_auth_user_id": "alice",
            "langgraph_auth_permissions": ["threads:write", 5],
        }}));
        assert_eq!(run.auth_user_id(), Some("alice"));
        assert_eq!(run.auth_permissions(), ["threads:write"]);
        assert_eq!(run.auth_user_field("github_token"), Some(&json!("ghp")));
        assert_eq!(run.auth_user().unwrap()["identity"], "alice");
        assert_eq!(run.configurable().unwrap().len(), 3);
    }

    #[test]
    fn auth_helpers_fall_back_to_the_user_object() {
        let run = request(json!({"configurable": {
            "langgraph_auth_user": {"identity": "bob", "permissions": ["p"]},
        }}));
        assert_eq!(run.auth_user_id(), Some("bob"));
        assert_eq!(run.auth_permissions(), ["p"]);
    }

    #[test]
    fn auth_helpers_without_auth() {
        let noop = request(json!({"configurable": {
            "langgraph_auth_user": null,
            "langgraph_auth_user_id": "",
            "langgraph_auth_permissions": [],
        }}));
        assert_eq!(noop.auth_user(), None);
        assert_eq!(noop.auth_user_id(), None);
        assert!(noop.auth_permissions().is_empty());
        let bare = request(Value::Null);
        assert_eq!(bare.configurable(), None);
        assert_eq!(bare.auth_user_field("x"), None);
    }

    struct Fixed;

    impl Graph for Fixed {
        fn invoke(request: RunRequest) -> Result<Value, RunError> {
            match request.input.as_str() {
                Some("array") => Ok(json!([1])),
                Some("fail") => Err(RunError::new("KeyError", "k")),
                _ => Ok(json!({"input": request.input})),
            }
        }
    }

    fn run(input: &str) -> Result<String, RunError> {
        invoke::<Fixed>(wit::RunRequest {
            input: input.into(),
            state: "{}".into(),
            config: "{}".into(),
        })
    }

    #[test]
    fn invoke_glue() {
        assert_eq!(run("1").unwrap(), r#"{"input":1}"#);
        assert_eq!(
            run(r#""fail""#).unwrap_err(),
            RunError::new("KeyError", "k")
        );
        let error = run(r#""array""#).unwrap_err();
        assert_eq!(error.error_type(), "InvalidUpdateError");
        assert!(error.message().ends_with("got an array"));
        let error = run("{not json").unwrap_err();
        assert_eq!(error.error_type(), "ValueError");
        assert!(
            error.message().starts_with("run input is not valid JSON"),
            "{error}"
        );
    }
}
