//! wasmgate: the LangGraph Agent Server API, with authentication handlers and
//! graphs as sandboxed WebAssembly components.
//!
//! Stages, in order: [`config::load`] (parse and validate `langgraph.json`) →
//! [`App::build`] (compile every module, open storage) → [`serve`]. The
//! server only ever sees a fully resolved configuration and compiled modules.
//! See `ARCHITECTURE.md` for the code map and the invariants.

pub mod api;
pub mod auth;
pub mod check;
pub mod componentize;
pub mod config;
pub mod graph;
pub mod plugin;
pub mod reload;
pub mod scaffold;
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

use arc_swap::ArcSwap;
use auth::{AuthLayer, Authenticator};
use config::Config;
use graph::ThreadLocks;
use plugin::{Runtime, RuntimeOptions};
use reload::{Live, Reloader, Status, WatchHandle};
use storage::Storage;

/// State shared by every route.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub storage: Storage,
    /// The modules serving now. A request loads it once and keeps that
    /// snapshot to the end, so it finishes on the versions it started with.
    pub live: Arc<ArcSwap<Live>>,
    /// Reload status, for `/info`.
    pub status: tokio::sync::watch::Receiver<Arc<Status>>,
    /// Serialises runs per thread.
    pub thread_locks: Arc<ThreadLocks>,
    /// The WebAssembly runtime, for `/info`.
    pub runtime: Runtime,
}

/// A ready-to-serve application: modules compiled, storage open, watcher on.
pub struct App {
    state: AppState,
    reloader: Arc<Reloader>,
    fixed_auth: Option<Arc<dyn Authenticator>>,
    dev_mode: bool,
    watcher: Option<WatchHandle>,
    runtime: Runtime,
}

impl App {
    /// Compiles every module named by `config` (or takes it from the
    /// compilation cache in `data_dir`), opens the database in `data_dir`,
    /// and starts watching the config and module files. Fails, naming the
    /// file, if any module cannot be loaded.
    pub async fn build(config: &Config, data_dir: &Path) -> anyhow::Result<App> {
        let runtime = Runtime::new(&RuntimeOptions {
            max_concurrency: config.max_concurrency,
            cache_dir: Some(data_dir.join("compiled")),
        })
        .context("cannot start the WebAssembly runtime")?;
        if config.auth.is_none() {
            tracing::warn!(
                file = %config.file.display(),
                "no `auth` configured: every request is served without authentication"
            );
        }
        let storage = Storage::open(data_dir).await?;
        let recovered = storage.recover_interrupted_runs().await?;
        if recovered > 0 {
            tracing::warn!(
                runs = recovered,
                "marked runs interrupted by a previous shutdown as errored"
            );
        }
        let reloader = Reloader::start(runtime.clone(), storage.clone(), config.clone()).await?;
        let watcher =
            reload::watch(reloader.clone()).context("cannot watch the config and module files")?;
        Ok(App {
            state: AppState {
                storage,
                live: reloader.live().clone(),
                status: reloader.status(),
                thread_locks: Arc::new(ThreadLocks::default()),
                runtime: runtime.clone(),
            },
            reloader,
            fixed_auth: None,
            dev_mode: false,
            watcher: Some(watcher),
            runtime,
        })
    }

    /// Replaces the authenticator (benchmarks compare a native one).
    pub fn with_authenticator(mut self, auth: Arc<dyn Authenticator>) -> App {
        self.fixed_auth = Some(auth);
        self
    }

    /// Development mode (`wasmgate dev`): trusts `x-auth-scheme: langsmith`
    /// as LangGraph Studio's user unless `auth.disable_studio_auth` is set.
    pub fn with_dev_mode(mut self, dev: bool) -> App {
        self.dev_mode = dev;
        self
    }

    /// The WebAssembly runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Reload status updates (one per recheck), for tests and tools.
    pub fn status(&self) -> tokio::sync::watch::Receiver<Arc<Status>> {
        self.reloader.status()
    }

    /// A handle that asks for a recheck of everything (what SIGHUP does).
    pub fn reload_trigger(&self) -> ReloadTrigger {
        ReloadTrigger(self.reloader.clone())
    }

    /// The complete router: API routes behind the request-id and
    /// authentication middleware.
    pub fn router(&self) -> Router {
        api::routes()
            .with_state(self.state.clone())
            .layer(middleware::from_fn_with_state(
                AuthLayer {
                    live: self.state.live.clone(),
                    fixed: self.fixed_auth.clone(),
                    dev_mode: self.dev_mode,
                },
                auth::authenticate,
            ))
            .layer(middleware::from_fn(request_id))
    }
}

/// Forces a recheck of the config and every module, as SIGHUP does.
#[derive(Clone)]
pub struct ReloadTrigger(Arc<Reloader>);

impl ReloadTrigger {
    /// Rechecks everything now (settings references are resolved again) and
    /// returns when the recheck is done.
    pub async fn recheck_all(&self) {
        self.0.recheck(true).await;
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
    let App {
        state, mut watcher, ..
    } = app;
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await;
    // Close the database only after the last request finished, so that the
    // files are complete (WAL checkpointed) when this returns.
    watcher.take();
    state.storage.close().await;
    served
}
