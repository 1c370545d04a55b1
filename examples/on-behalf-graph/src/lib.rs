//! A graph that acts on behalf of the authenticated user.
//!
//! The auth handler (e.g. `examples/apikey-auth`) attaches the user's GitHub and Jira tokens as
//! custom fields; wasmgate hands them to the graph in `config.configurable.langgraph_auth_user`,
//! in memory only. This graph does not call anything: it answers with the action it *would*
//! take, shows the tokens masked, and keeps a turn counter in the thread.
//!
//! Input: `{"messages": [{"role": "user", "content": "..."}]}`, any other object, or `null`.
//! New thread values: the old ones with `messages` (old + input + one assistant reply),
//! `acting_as`, `github_token` / `jira_token` (masked, `null` when absent), `permissions` and
//! `turns` (old + 1). It also emits one `custom` event `{"acting_as": <id>}`.

use serde_json::{Value, json};
use wasmgate_guest::graph::{self, Graph, RunError, RunRequest};

struct OnBehalf;

impl Graph for OnBehalf {
    fn invoke(request: RunRequest) -> Result<Value, RunError> {
        let values = step(&request)?;
        graph::emit("custom", &json!({"acting_as": values["acting_as"]}));
        Ok(values)
    }
}

wasmgate_guest::export_graph!(OnBehalf);

/// The new thread values for one run.
fn step(request: &RunRequest) -> Result<Value, RunError> {
    let new_messages = match &request.input {
        Value::Null => Vec::new(),
        Value::Object(input) => messages(input.get("messages"))?,
        _ => {
            return Err(RunError::new(
                "ValueError",
                "input must be an object or null",
            ));
        }
    };
    let mut values = request.state.as_object().cloned().unwrap_or_default();

    let user_id = request.auth_user_id();
    let token = |name| {
        request
            .auth_user_field(name)
            .and_then(Value::as_str)
            .map(mask)
    };
    let github_token = token("github_token");
    let reply = format!(
        "Acting for {}: I would call GitHub with token {}",
        user_id.unwrap_or("anonymous"),
        github_token.as_deref().unwrap_or("(none)"),
    );

    let mut all_messages = messages(values.get("messages"))?;
    all_messages.extend(new_messages);
    all_messages.push(json!({"role": "assistant", "content": reply}));
    let turns = values.get("turns").and_then(Value::as_u64).unwrap_or(0) + 1;

    let updates = [
        ("messages", Value::Array(all_messages)),
        ("acting_as", json!(user_id)),
        ("github_token", json!(github_token)),
        ("jira_token", json!(token("jira_token"))),
        ("permissions", json!(request.auth_permissions())),
        ("turns", json!(turns)),
    ];
    values.extend(updates.map(|(key, value)| (key.to_owned(), value)));
    Ok(Value::Object(values))
}

/// A `messages` value: absent or `null` is empty, anything but an array is an error.
fn messages(value: Option<&Value>) -> Result<Vec<Value>, RunError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(list)) => Ok(list.clone()),
        Some(_) => Err(RunError::new("ValueError", "`messages` must be a list")),
    }
}

/// Keep the last four characters and replace the rest with `*`. A token of four characters or
/// fewer is masked entirely, so some of it is always hidden.
fn mask(token: &str) -> String {
    let length = token.chars().count();
    if length <= 4 {
        return "*".repeat(length);
    }
    let hidden = length - 4;
    "*".repeat(hidden) + &token.chars().skip(hidden).collect::<String>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(input: Value, state: Value, configurable: Value) -> RunRequest {
        RunRequest {
            input,
            state,
            config: json!({"configurable": configurable}),
        }
    }

    fn alice() -> Value {
        json!({
            "langgraph_auth_user": {
                "identity": "alice",
                "github_token": "ghp_alice_1234",
                "jira_token": "jira_alice_2222",
                "permissions": ["threads:write"],
            },
            "langgraph_auth_user_id": "alice",
            "langgraph_auth_permissions": ["threads:write"],
        })
    }

    #[test]
    fn masking() {
        assert_eq!(mask("ghp_alice_1234"), "**********1234");
        assert_eq!(mask("12345"), "*2345");
        assert_eq!(mask("1234"), "****");
        assert_eq!(mask(""), "");
        assert_eq!(mask("äöüßxyz1"), "****xyz1");
    }

    #[test]
    fn first_turn_for_alice() {
        let input = json!({"messages": [{"role": "user", "content": "hi"}]});
        let values = step(&request(input, json!({}), alice())).unwrap();
        assert_eq!(
            values,
            json!({
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant",
                     "content": "Acting for alice: I would call GitHub with token **********1234"},
                ],
                "acting_as": "alice",
                "github_token": "**********1234",
                "jira_token": "***********2222",
                "permissions": ["threads:write"],
                "turns": 1,
            })
        );
    }

    #[test]
    fn later_turn_keeps_history_and_other_values() {
        let state =
            json!({"messages": [{"role": "user", "content": "a"}], "turns": 2, "note": "x"});
        let values = step(&request(Value::Null, state, alice())).unwrap();
        assert_eq!(values["messages"].as_array().unwrap().len(), 2);
        assert_eq!(values["turns"], 3);
        assert_eq!(values["note"], "x");
    }

    #[test]
    fn without_user() {
        let values = step(&request(json!({}), json!({}), json!({}))).unwrap();
        assert_eq!(values["acting_as"], Value::Null);
        assert_eq!(values["github_token"], Value::Null);
        assert_eq!(values["jira_token"], Value::Null);
        assert_eq!(values["permissions"], json!([]));
        assert_eq!(
            values["messages"][0]["content"],
            "Acting for anonymous: I would call GitHub with token (none)"
        );
    }

    #[test]
    fn bad_input_is_a_value_error() {
        let error = step(&request(json!([1]), json!({}), alice())).unwrap_err();
        assert_eq!(error.error_type(), "ValueError");
        let error = step(&request(json!({"messages": "hi"}), json!({}), alice())).unwrap_err();
        assert_eq!(error.error_type(), "ValueError");
    }
}
