//! wasmgate: the LangGraph Agent Server API, with authentication handlers and
//! graphs as sandboxed WebAssembly components.
//!
//! Stages, in order: [`config::load`] (parse and validate `langgraph.json`) →
//! [`App::build`] (compile every module, open storage) → [`serve`]. The
//! server only ever sees a fully resolved configuration and compiled modules.
//! See `ARCHITECTURE.md` for the code map and the invariants.

pub mod api;
pub mod auth;
pub mod config;
pub mod graph;
pub mod plugin;
pub mod storage;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;

use auth::{Authenticator, WasmAuthenticator};
use config::Config;
use graph::{Graphs, ThreadLocks};
use plugin::{ModuleInfo, Runtime, RuntimeOptions};
use storage::Storage;

/// State shared by every route.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub storage: Storage,
    /// Loaded graphs by id.
    pub graphs: Graphs,
    /// Serialises runs per thread.
    pub thread_locks: Arc<ThreadLocks>,
    /// Every loaded module, as (role, info), for `/info`.
    pub modules: Arc<Vec<(String, ModuleInfo)>>,
}

/// A ready-to-serve application: modules compiled, storage open.
pub struct App {
    state: AppState,
    auth: Option<Arc<dyn Authenticator>>,
    runtime: Runtime,
}

impl App {
    /// Compiles every module named by `config` and opens the database in
    /// `data_dir`. Fails, naming the file, if any module cannot be loaded.
    pub async fn build(config: &Config, data_dir: &Path) -> anyhow::Result<App> {
        let runtime = Runtime::new(&RuntimeOptions {
            max_concurrency: config.max_concurrency,
        })
        .context("cannot start the WebAssembly runtime")?;
        let mut modules = Vec::new();
        let auth: Option<Arc<dyn Authenticator>> = match &config.auth {
            Some(auth) => {
                let module = runtime.load_auth(&auth.module).await?;
                modules.push(("auth".to_string(), module.info().clone()));
                Some(Arc::new(WasmAuthenticator(module)))
            }
            None => {
                tracing::warn!(
                    file = %config.file.display(),
                    "no `auth` configured: every request is served without authentication"
                );
                None
            }
        };
        let mut graphs = std::collections::BTreeMap::new();
        for (id, graph) in &config.graphs {
            let module = runtime.load_graph(graph).await?;
            modules.push((format!("graph:{id}"), module.info().clone()));
            graphs.insert(id.clone(), Arc::new(module));
        }
        let storage = Storage::open(data_dir).await?;
        let recovered = storage.recover_interrupted_runs().await?;
        if recovered > 0 {
            tracing::warn!(
                runs = recovered,
                "marked runs interrupted by a previous shutdown as errored"
            );
        }
        for id in graphs.keys() {
            storage.ensure_system_assistant(id).await?;
        }
        Ok(App {
            state: AppState {
                storage,
                graphs: Arc::new(graphs),
                thread_locks: Arc::new(ThreadLocks::default()),
                modules: Arc::new(modules),
            },
            auth,
            runtime,
        })
    }

    /// Replaces the authenticator (benchmarks compare a native one).
    pub fn with_authenticator(mut self, auth: Arc<dyn Authenticator>) -> App {
        self.auth = Some(auth);
        self
    }

    /// The WebAssembly runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The complete router: API routes behind the request-id and
    /// authentication middleware.
    pub fn router(&self) -> Router {
        api::routes()
            .with_state(self.state.clone())
            .layer(middleware::from_fn_with_state(
                self.auth.clone(),
                auth::authenticate,
            ))
            .layer(middleware::from_fn(request_id))
    }
}

/// Adds `x-request-id` (a random UUID) to `/runs` and `/threads` requests
/// that carry none, before authentication, as LangGraph does.
async fn request_id(mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let wants = ["/runs", "/threads"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")));
    if wants && !request.headers().contains_key("x-request-id") {
        let id = uuid::Uuid::new_v4().to_string();
        if let Ok(v) = HeaderValue::try_from(id) {
            request.headers_mut().insert("x-request-id", v);
        }
    }
    next.run(request).await
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains
/// in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = app.router();
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await;
    // Close the database only after the last request finished, so that the
    // files are complete (WAL checkpointed) when this returns.
    app.state.storage.close().await;
    served
}
