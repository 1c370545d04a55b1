//! Per-call host state: what one fresh `Store` carries.
//!
//! Every call gets a new `HostState`: a WASI context with no preopened
//! directories, no environment, no arguments, no sockets and a closed stdin;
//! bounded in-memory stdout/stderr that are logged after the call; the
//! module's declared settings; and a resource limiter that records when the
//! memory cap was hit, so that an out-of-memory trap is reported as such.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::bindings;

/// Bytes of guest stdout/stderr kept per call; output past it is dropped.
const OUTPUT_CAPACITY: usize = 64 * 1024;

pub(crate) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: Limiter,
    settings: Arc<BTreeMap<String, String>>,
    pub(crate) deadline: Instant,
    pub(crate) timed_out: bool,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
    /// Where events a graph emits through `host.emit` go, as they happen.
    pub(crate) events: Option<tokio::sync::mpsc::UnboundedSender<(String, String)>>,
    /// How many events this call emitted.
    pub(crate) emitted: usize,
}

impl HostState {
    pub(crate) fn new(
        settings: Arc<BTreeMap<String, String>>,
        memory_bytes: u64,
        deadline: Instant,
    ) -> Self {
        let stdout = MemoryOutputPipe::new(OUTPUT_CAPACITY);
        let stderr = MemoryOutputPipe::new(OUTPUT_CAPACITY);
        let wasi = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        HostState {
            wasi,
            table: ResourceTable::new(),
            limiter: Limiter {
                memory_bytes: usize::try_from(memory_bytes).unwrap_or(usize::MAX),
                memory_exhausted: false,
            },
            settings,
            deadline,
            timed_out: false,
            stdout,
            stderr,
            events: None,
            emitted: 0,
        }
    }

    /// Guest output captured during the call, for the logs.
    pub(crate) fn output(&self) -> (bytes::Bytes, bytes::Bytes) {
        (self.stdout.contents(), self.stderr.contents())
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl bindings::auth::langgraph::auth::settings::Host for HostState {
    fn get(&mut self, name: String) -> Option<String> {
        self.settings.get(&name).cloned()
    }

    fn get_all(&mut self) -> Vec<(String, String)> {
        self.settings
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

impl bindings::graph::langgraph::graph::host::Host for HostState {
    fn emit(&mut self, mode: String, data: String) {
        // Bound what a run can buffer: a graph that emits without end is
        // stopped by its deadline, but memory must not grow meanwhile.
        const MAX_EVENTS: usize = 10_000;
        self.emitted += 1;
        // The receiver is gone when the client stopped listening; the run
        // goes on regardless.
        if self.emitted <= MAX_EVENTS
            && let Some(events) = &self.events
        {
            let _ = events.send((mode, data));
        }
    }
}

/// Caps linear memory and records whether the cap was hit.
pub(crate) struct Limiter {
    memory_bytes: usize,
    pub(crate) memory_exhausted: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.memory_exhausted = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

impl bindings::auth::langgraph::auth::types::Host for HostState {}
