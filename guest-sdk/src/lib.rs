//! Write [wasmgate](https://example.invalid/wasmgate) auth handlers and graphs in Rust.
//!
//! wasmgate is a LangGraph-Agent-Server-compatible server whose authentication handler and
//! graphs are WebAssembly components. This crate hides the generated WIT bindings: an auth
//! handler implements [`auth::Handler`] (authentication, and optionally authorization
//! [`auth::Rules`]) and is exported with [`export_auth!`]; a graph implements
//! [`graph::Graph`] and is exported with [`export_graph!`].
//!
//! # Walkthrough: an API-key handler
//!
//! 1. **Create a library crate** whose output is a component:
//!
//!    ```toml
//!    [package]
//!    name = "my-auth"
//!    edition = "2024"
//!
//!    [lib]
//!    crate-type = ["cdylib"]
//!
//!    [dependencies]
//!    wasmgate-guest = { path = "../wasmgate/guest-sdk" }
//!    serde_json = "1"
//!    ```
//!
//! 2. **Write the handler** in `src/lib.rs`. It receives the request (method, path, query,
//!    headers; never the body) and returns a user or a refusal. Settings come from
//!    `langgraph.json`, never from the environment:
//!
//!    ```
//!    use serde_json::{Map, Value};
//!    use wasmgate_guest::auth::{Handler, HttpError, Request, User, settings};
//!
//!    struct ApiKeys;
//!
//!    impl Handler for ApiKeys {
//!        fn authenticate(request: Request) -> Result<User, HttpError> {
//!            let keys: Map<String, Value> = settings::json("api_keys")
//!                .map_err(|e| HttpError::new(500, format!("auth handler misconfigured: {e}")))?;
//!            let identity = request
//!                .api_key()
//!                .and_then(|key| keys.get(key)?.as_str())
//!                .ok_or_else(|| HttpError::unauthorized("Invalid API key"))?;
//!            Ok(User::new(identity).permission("threads:write"))
//!        }
//!    }
//!
//!    wasmgate_guest::export_auth!(ApiKeys);
//!    ```
//!
//! 3. **Authorize actions** (optional; LangGraph's `@auth.on`). Once authenticated, every
//!    storage operation (`threads.create`, `assistants.search`, `store.put`...) is an action
//!    that [`auth::Handler::authorization`] can decide. It returns [`auth::Rules`]: functions
//!    keyed by (resource, action), `*` matching anything. Only the most specific match runs
//!    (`(resource, action)`, then `(resource, *)`, then `(*, action)`, then the global one);
//!    with no match the action is allowed. A function sees the [`auth::AuthContext`] and the
//!    action's value, which it may edit in place, and returns a [`auth::Decision`] (allow,
//!    deny, or a metadata filter) or refuses with an [`auth::HttpError`]. Here everyone sees
//!    only their own resources, and a store namespace must start with the user's identity:
//!
//!    ```
//!    use serde_json::{Value, json};
//!    use wasmgate_guest::auth::{
//!        AuthContext, Decision, Handler, HttpError, Request, Rules, User, metadata_mut, namespace,
//!    };
//!
//!    fn owner(ctx: &AuthContext, value: &mut Value) -> Result<Decision, HttpError> {
//!        // Stamp the owner on what is created or updated...
//!        if let Some(metadata) = metadata_mut(value) {
//!            metadata.insert("owner".into(), ctx.identity().into());
//!        }
//!        // ...and only let the caller see and touch what they own.
//!        Ok(Decision::filter(json!({"owner": ctx.identity()})))
//!    }
//!
//!    fn store(ctx: &AuthContext, value: &mut Value) -> Result<Decision, HttpError> {
//!        match namespace(value).as_deref() {
//!            Some([first, ..]) if first == ctx.identity() => Ok(Decision::Allow),
//!            _ => Err(HttpError::forbidden("Not authorized")),
//!        }
//!    }
//!
//!    struct ApiKeys;
//!
//!    impl Handler for ApiKeys {
//!        fn authenticate(request: Request) -> Result<User, HttpError> {
//!            // ... as in step 2
//!            # unimplemented!()
//!        }
//!
//!        fn authorization() -> Rules {
//!            Rules::new().global(owner).on_resource("store", store)
//!        }
//!    }
//!
//!    wasmgate_guest::export_auth!(ApiKeys);
//!
//!    // Rules are plain Rust: test them natively.
//!    let rules = ApiKeys::authorization();
//!    let bob = AuthContext::new(User::new("bob").to_json(), "threads", "create");
//!    let mut value = json!({"thread_id": "t1", "metadata": {}});
//!    assert_eq!(rules.dispatch(&bob, &mut value), Ok(Decision::filter(json!({"owner": "bob"}))));
//!    assert_eq!(value["metadata"]["owner"], "bob");
//!    ```
//!
//!    wasmgate applies the edits it accepts (metadata, run `kwargs`, the store's `namespace` and
//!    `value`) and enforces the filter; see `examples/owner-scoping`.
//!
//! 4. **Build it** for WASI preview 2; the `.wasm` file is already a component:
//!
//!    ```sh
//!    rustup target add wasm32-wasip2
//!    cargo build --target wasm32-wasip2 --release
//!    # -> target/wasm32-wasip2/release/my_auth.wasm
//!    ```
//!
//! 5. **Name it in `langgraph.json`**, with its settings in the `wasmgate` section (a setting
//!    can be `{"$env": "NAME"}` or `{"$file": "path"}` to keep secrets out of the file):
//!
//!    ```json
//!    {
//!      "graphs": {"agent": "./agent.wasm"},
//!      "auth": {"path": "./my_auth.wasm"},
//!      "wasmgate": {"auth": {"settings": {"api_keys": {"alice-key": "alice"}}}}
//!    }
//!    ```
//!
//! 6. **Run wasmgate** in that folder and call it: a request with `x-api-key: alice-key`
//!    proceeds as `alice`, anything else gets `401 {"detail": "Invalid API key"}`. Graphs see the
//!    user in `config.configurable.langgraph_auth_user` (read it with
//!    [`graph::RunRequest::auth_user`]).
//!
//! Graphs follow the same steps with [`graph::Graph`] and [`export_graph!`]; a graph's path in
//! `langgraph.json` goes under `graphs`.
//!
//! # Faults and refusals
//!
//! Returning an [`auth::HttpError`] (or [`auth::Decision::Deny`]) is a *refusal*: the client
//! gets its status. A panic, an endless loop or running out of memory is a *fault*: wasmgate
//! answers 500 and authenticates (or authorizes) nobody. Every call runs on a fresh instance, so
//! globals do not survive between requests.
//!
//! # Testing natively
//!
//! The types of this crate are plain Rust values, so a handler's `authenticate` function can be
//! called from `cargo test` on the host with a [`auth::Request`] built by hand, and its rules
//! with [`auth::Rules::dispatch`] and an [`auth::AuthContext`] built by hand. Only the calls
//! that reach wasmgate ([`auth::settings`] and [`graph::emit`]) need a real wasmgate.

#![deny(missing_docs)]

// Lets the generated code name this crate the way dependants do.
extern crate self as wasmgate_guest;

pub mod auth;
pub mod graph;
