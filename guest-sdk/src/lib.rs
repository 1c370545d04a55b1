//! Write [wasmgate](https://example.invalid/wasmgate) auth handlers and graphs in Rust.
//!
//! wasmgate is a LangGraph-Agent-Server-compatible server whose authentication handler and
//! graphs are WebAssembly components. This crate hides the generated WIT bindings: an auth
//! handler implements [`auth::Handler`] and is exported with [`export_auth!`]; a graph implements
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
//! 3. **Build it** for WASI preview 2; the `.wasm` file is already a component:
//!
//!    ```sh
//!    rustup target add wasm32-wasip2
//!    cargo build --target wasm32-wasip2 --release
//!    # -> target/wasm32-wasip2/release/my_auth.wasm
//!    ```
//!
//! 4. **Name it in `langgraph.json`**, with its settings in the `wasmgate` section (a setting
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
//! 5. **Run wasmgate** in that folder and call it: a request with `x-api-key: alice-key`
//!    proceeds as `alice`, anything else gets `401 {"detail": "Invalid API key"}`. Graphs see the
//!    user in `config.configurable.langgraph_auth_user` (read it with
//!    [`graph::RunRequest::auth_user`]).
//!
//! Graphs follow the same steps with [`graph::Graph`] and [`export_graph!`]; a graph's path in
//! `langgraph.json` goes under `graphs`.
//!
//! # Faults and refusals
//!
//! Returning an [`auth::HttpError`] is a *refusal*: the client gets its status. A panic, an
//! endless loop or running out of memory is a *fault*: wasmgate answers 500 and authenticates
//! nobody. Every call runs on a fresh instance, so globals do not survive between requests.
//!
//! # Testing natively
//!
//! The types of this crate are plain Rust values, so a handler's `authenticate` function can be
//! called from `cargo test` on the host with a [`auth::Request`] built by hand. Only the calls
//! that reach wasmgate ([`auth::settings`] and [`graph::emit`]) need a real wasmgate.

#![deny(missing_docs)]

// Lets the generated code name this crate the way dependants do.
extern crate self as wasmgate_guest;

pub mod auth;
pub mod graph;
