//! Graphs: the host side of `langgraph:graph/graph`.

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::component::Component;

use super::bindings::graph::AgentPre;
use super::bindings::graph::exports::langgraph::graph::graph as wit;
use super::{Fault, LoadError, ModuleInfo, Runtime, explain, guarded};
use crate::config::{Limits, ModuleConfig};

/// One run's inputs, as JSON text.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The run input.
    pub input: String,
    /// The thread's current values.
    pub state: String,
    /// The full run config.
    pub config: String,
}

/// What a run produced, when the guest did not fault.
#[derive(Debug, Clone)]
pub struct GraphOutcome {
    /// `Ok(values JSON text)` or `Err((error type, message))` as the graph returned it.
    pub result: Result<String, (String, String)>,
    /// How many events the run emitted.
    pub emitted: usize,
}

/// Receives a run's events, as (mode, JSON text), while it runs.
pub type EventSink = tokio::sync::mpsc::UnboundedSender<(String, String)>;

/// A compiled, linked graph, ready to instantiate.
pub struct GraphModule {
    runtime: Runtime,
    pre: AgentPre<super::state::HostState>,
    info: ModuleInfo,
    settings: Arc<BTreeMap<String, String>>,
    limits: Limits,
}

impl GraphModule {
    pub(super) fn link(
        runtime: Runtime,
        component: Component,
        info: ModuleInfo,
        module: &ModuleConfig,
    ) -> Result<Self, LoadError> {
        let problems = super::surface::Surface::of(&runtime.inner.engine, &component).problems();
        let world_error = |reason: String| LoadError::World {
            path: info.path.clone(),
            sha256: info.sha256.clone(),
            world: "langgraph:graph/agent@0.1.0",
            reason: explain(reason, &problems),
        };
        let pre = runtime
            .inner
            .graph_linker
            .instantiate_pre(&component)
            .map_err(|e| world_error(format!("{e:#}")))?;
        let pre = AgentPre::new(pre).map_err(|e| world_error(format!("{e:#}")))?;
        Ok(GraphModule {
            runtime,
            pre,
            info,
            settings: module.settings.clone(),
            limits: module.limits,
        })
    }

    /// Which file, which bytes, loaded when.
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }

    /// Runs the graph once on a fresh instance; events it emits go to `events`.
    pub async fn invoke(
        &self,
        request: RunRequest,
        events: Option<EventSink>,
    ) -> Result<GraphOutcome, Fault> {
        let _permit = self.runtime.permit()?;
        let request = wit::RunRequest {
            input: request.input,
            state: request.state,
            config: request.config,
        };
        let limits = self.limits;
        let mut store = self.runtime.store(self.settings.clone(), limits);
        store.data_mut().events = events;
        let pre = &self.pre;
        let result = guarded(&self.info, limits, &mut store, async |store| {
            let instance = pre.instantiate_async(&mut *store).await?;
            instance
                .langgraph_graph_graph()
                .call_invoke(&mut *store, &request)
                .await
        })
        .await?;
        Ok(GraphOutcome {
            result: result.map_err(|e| (e.error, e.message)),
            emitted: store.data().emitted,
        })
    }

    /// Proves a freshly loaded graph instantiates before it takes over (a
    /// run is not attempted: it may be long or have effects).
    pub async fn canary(&self) -> Result<(), Fault> {
        let _permit = self.runtime.permit()?;
        let limits = self.limits;
        let mut store = self.runtime.store(self.settings.clone(), limits);
        let pre = &self.pre;
        guarded(&self.info, limits, &mut store, async |store| {
            pre.instantiate_async(&mut *store).await.map(|_| ())
        })
        .await
    }

    /// The settings and limits it was loaded with.
    pub fn config(&self) -> (&Arc<BTreeMap<String, String>>, Limits) {
        (&self.settings, self.limits)
    }
}
