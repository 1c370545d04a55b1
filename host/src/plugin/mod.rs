//! The WebAssembly plugin runtime: one engine, compiled modules, and calls on
//! fresh instances under limits.
//!
//! - One process-wide [`Runtime`] owns the wasmtime `Engine` (component model,
//!   epoch interruption, pooling allocator with an on-demand fallback), one
//!   `Linker` per world, an epoch ticker thread, and the concurrency bound.
//! - [`Runtime::load_auth`] / [`Runtime::load_graph`] compile a module off the
//!   request path, link it against its world (so a module that imports a
//!   capability we do not grant is refused at load time) and keep the
//!   pre-instantiated form.
//! - Every call creates a fresh `Store` and instance: no state outlives a
//!   request. A call is bounded by a CPU deadline (epoch interruption, with a
//!   yield to the executor every tick and a tokio timeout around the whole
//!   call) and by a memory cap. Any trap, deadline or memory exhaustion is a
//!   [`Fault`]; callers fail closed on it.

pub mod auth;
mod bindings;
mod cache;
pub mod graph;
mod state;
pub mod surface;
pub mod swap;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::component::{Component, Linker};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, UpdateDeadline,
};

use crate::config::{Limits, ModuleConfig};
use state::HostState;

pub use auth::{
    AuthModule, AuthRequest, AuthzDecision, AuthzOutcome, AuthzRequest, CallPhases, Denial,
    GuestUser,
};
pub use graph::{EventSink, GraphModule, GraphOutcome, RunRequest};

/// How often the epoch advances. Deadlines are enforced to this granularity,
/// and a running guest yields to the async executor this often.
const EPOCH_TICK: Duration = Duration::from_millis(2);

/// Bytes of each pooled memory kept resident between calls: with the
/// `PAGEMAP_SCAN` reset, the budget of written pages rewritten in place;
/// without it, the first bytes of every memory, rewritten in full.
const KEEP_RESIDENT: usize = 2 << 20;

/// Bytes of each pooled table kept resident between calls.
const TABLE_KEEP_RESIDENT: usize = 64 << 10;

/// Extra time the tokio timeout allows past the epoch deadline before it
/// abandons a call that is stuck in the host rather than in guest code.
const TIMEOUT_GRACE: Duration = Duration::from_millis(50);

/// Why a module could not be loaded. Every variant names the file and, once
/// it was read, the sha256 of its bytes.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read module {path}: {source}")]
    Read {
        /// The module file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a component (or not WebAssembly at all).
    #[error("module {path} (sha256 {sha256}) is not a WebAssembly component: {reason}")]
    NotComponent {
        /// The module file.
        path: PathBuf,
        /// sha256 of the bytes.
        sha256: String,
        /// What it is instead, and how to build a component.
        reason: String,
    },
    /// wasmtime refused to compile it.
    #[error("module {path} (sha256 {sha256}) failed to compile: {reason}")]
    Compile {
        /// The module file.
        path: PathBuf,
        /// sha256 of the bytes.
        sha256: String,
        /// The compiler's message.
        reason: String,
    },
    /// Its imports or exports do not match the world.
    #[error("module {path} (sha256 {sha256}) does not fit the `{world}` world: {reason}")]
    World {
        /// The module file.
        path: PathBuf,
        /// sha256 of the bytes.
        sha256: String,
        /// The WIT world it was checked against.
        world: &'static str,
        /// What does not match.
        reason: String,
    },
}

/// A failed call: the guest misbehaved, or the host had no room for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// Every instance slot is in use; the request was not attempted.
    #[error("too many concurrent WebAssembly calls")]
    Busy,
    /// The guest trapped (a panic, `unreachable`, a bad memory access...).
    #[error("guest trapped: {0}")]
    Trap(String),
    /// The guest ran past its deadline.
    #[error("guest exceeded its {0:?} deadline")]
    Timeout(Duration),
    /// The guest tried to grow its memory past the cap.
    #[error("guest exhausted its {0} MiB memory cap")]
    OutOfMemory(u64),
    /// The guest returned something the contract does not allow.
    #[error("guest returned an invalid result: {0}")]
    Invalid(String),
    /// Fresh instances can no longer be guaranteed a clean memory; the call
    /// was not attempted. Only a restart clears it.
    #[error("{0}")]
    Isolation(String),
}

/// What a client is told when calls fail closed with [`Fault::Isolation`].
pub const SANDBOX_UNAVAILABLE: &str = "the WebAssembly sandbox is unavailable: the server cannot currently guarantee a clean \
     instance per request; its operator must restart it (see the server log)";

/// How a pooled memory slot is reset between instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryReset {
    /// Only the pages the last instance wrote are rewritten (`PAGEMAP_SCAN`),
    /// when the kernel supports it; chosen only where no page can be swapped.
    PagemapScan,
    /// The first [`KEEP_RESIDENT`] bytes are rewritten and the rest is
    /// discarded (`madvise`): safe with swap, slower per call.
    Madvise {
        /// Why the scan is not used, e.g. `swap is on (/dev/zram0)`.
        why: String,
    },
    /// Instances are not pooled (the pool could not be reserved).
    OnDemand,
}

impl std::fmt::Display for MemoryReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MemoryReset::PagemapScan => f.write_str("pagemap-scan"),
            MemoryReset::Madvise { why } => write!(f, "madvise ({why})"),
            MemoryReset::OnDemand => f.write_str("on-demand"),
        }
    }
}

/// Identity of a loaded module, for logs and `/info`.
#[derive(Debug, Clone)]
pub struct ModuleInfo {
    /// The file it was loaded from.
    pub path: PathBuf,
    /// Hex sha256 of its bytes.
    pub sha256: String,
    /// When it was compiled and linked.
    pub loaded_at: chrono::DateTime<chrono::Utc>,
    /// Its imports and exports.
    pub surface: surface::Surface,
    /// Size of the file, in bytes.
    pub size: usize,
}

/// Options of the runtime that are fixed for the life of the process.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Bound on instances alive at once (the `wasmgate.max_concurrency` key).
    pub max_concurrency: usize,
    /// Where compiled components are cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
}

/// The process-wide engine, linkers and concurrency bound.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    auth_linker: Linker<HostState>,
    graph_linker: Linker<HostState>,
    permits: Arc<Semaphore>,
    memory_reset: MemoryReset,
    /// Set, with the reason, when swap appears while slots are reset with
    /// `PAGEMAP_SCAN`: from then on every call fails closed.
    isolation_lost: Arc<std::sync::OnceLock<String>>,
    cache: Option<cache::ArtifactCache>,
    recent: std::sync::Mutex<Recent>,
    stop_ticker: Arc<AtomicBool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}

impl Runtime {
    /// Builds the engine (pooling allocator if the pool can be reserved,
    /// on-demand allocation otherwise), the linkers and the epoch ticker.
    pub fn new(options: &RuntimeOptions) -> anyhow::Result<Self> {
        Self::with_swap_sources(options, swap::Sources::system())
    }

    /// [`Runtime::new`], reading whether swap is on from `sources`.
    pub fn with_swap_sources(
        options: &RuntimeOptions,
        sources: swap::Sources,
    ) -> anyhow::Result<Self> {
        let swap_risk = sources.swap_risk();
        let instances = u32::try_from(options.max_concurrency)
            .unwrap_or(u32::MAX)
            .saturating_add(16);
        let mut config = base_config();
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(instances)
            .total_core_instances(instances.saturating_mul(8))
            .total_memories(instances.saturating_mul(2))
            .total_tables(instances.saturating_mul(4))
            .total_stacks(instances)
            .max_core_instances_per_component(64)
            .max_memories_per_component(16)
            .max_tables_per_component(32)
            .max_memory_size(4 << 30)
            .table_elements(100_000)
            // Reset a slot's memory by rewriting only the pages the last call
            // dirtied (PAGEMAP_SCAN, Linux 6.7+) and keep them resident, so
            // the next call does not page-fault its stack and heap back in;
            // but never where a dirty page could be swapped out (see `swap`).
            .pagemap_scan(if swap_risk.is_none() {
                wasmtime::Enabled::Auto
            } else {
                wasmtime::Enabled::No
            })
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(TABLE_KEEP_RESIDENT);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let (engine, pooling) = match Engine::new(&config) {
            Ok(engine) => (engine, true),
            Err(err) => {
                tracing::warn!(
                    error = %format!("{err:#}"),
                    "cannot reserve the pooling allocator; falling back to on-demand instance allocation (slower per request)"
                );
                (Engine::new(&base_config())?, false)
            }
        };
        let memory_reset = match (&swap_risk, pooling) {
            (_, false) => MemoryReset::OnDemand,
            (None, true) => MemoryReset::PagemapScan,
            (Some(why), true) => {
                tracing::warn!(
                    "{why}: resetting instance memory without PAGEMAP_SCAN, which could leave a \
                     swapped-out page of one request to the next; calls cost more (Rust guests \
                     about 2x). For the fast reset, run wasmgate with swap off for its cgroup \
                     (memory.swap.max = 0) or on a host without swap"
                );
                MemoryReset::Madvise { why: why.clone() }
            }
        };
        let isolation_lost = Arc::new(std::sync::OnceLock::new());

        let mut auth_linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut auth_linker)?;
        bindings::auth::Authenticator::add_to_linker::<_, wasmtime::component::HasSelf<_>>(
            &mut auth_linker,
            |s| s,
        )?;
        let mut graph_linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut graph_linker)?;
        bindings::graph::Agent::add_to_linker::<_, wasmtime::component::HasSelf<_>>(
            &mut graph_linker,
            |s| s,
        )?;

        let stop_ticker = Arc::new(AtomicBool::new(false));
        {
            let engine = engine.clone();
            let stop = stop_ticker.clone();
            let mut swap_watch = (memory_reset == MemoryReset::PagemapScan)
                .then(|| swap::Watch::new(sources, isolation_lost.clone()));
            std::thread::Builder::new()
                .name("wasmgate-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        engine.increment_epoch();
                        if let Some(watch) = &mut swap_watch {
                            watch.tick();
                        }
                    }
                })?;
        }

        let cache = options
            .cache_dir
            .as_deref()
            .map(|dir| cache::ArtifactCache::new(dir, &engine));
        Ok(Runtime {
            inner: Arc::new(Inner {
                engine,
                auth_linker,
                graph_linker,
                permits: Arc::new(Semaphore::new(options.max_concurrency)),
                memory_reset,
                isolation_lost,
                cache,
                recent: Default::default(),
                stop_ticker,
            }),
        })
    }

    /// Whether instances come from the pooling allocator.
    pub fn is_pooling(&self) -> bool {
        self.inner.memory_reset != MemoryReset::OnDemand
    }

    /// How memory is reset between instances (for logs and `/info`).
    pub fn memory_reset(&self) -> &MemoryReset {
        &self.inner.memory_reset
    }

    /// Reads, compiles (or fetches from the cache) and links an
    /// authentication handler, off the request path.
    pub async fn load_auth(&self, module: &ModuleConfig) -> Result<AuthModule, LoadError> {
        let bytes = ModuleBytes::new(read_module(&module.path).await?);
        self.load_auth_bytes(module, bytes).await
    }

    /// [`Runtime::load_auth`] for bytes already read.
    pub async fn load_auth_bytes(
        &self,
        module: &ModuleConfig,
        bytes: ModuleBytes,
    ) -> Result<AuthModule, LoadError> {
        let (component, info) = self.compile(&module.path, bytes).await?;
        let mut auth = AuthModule::link(self.clone(), component, info, module)?;
        auth.discover_coverage().await?;
        Ok(auth)
    }

    /// Reads, compiles (or fetches from the cache) and links a graph, off the
    /// request path.
    pub async fn load_graph(&self, module: &ModuleConfig) -> Result<GraphModule, LoadError> {
        let bytes = ModuleBytes::new(read_module(&module.path).await?);
        self.load_graph_bytes(module, bytes).await
    }

    /// [`Runtime::load_graph`] for bytes already read.
    pub async fn load_graph_bytes(
        &self,
        module: &ModuleConfig,
        bytes: ModuleBytes,
    ) -> Result<GraphModule, LoadError> {
        let (component, info) = self.compile(&module.path, bytes).await?;
        GraphModule::link(self.clone(), component, info, module)
    }

    /// The compiled component for `bytes`: one of the last few this runtime
    /// served (a rollback), else the on-disk cache, else a fresh compile, off
    /// the async executor.
    async fn compile(
        &self,
        path: &Path,
        module: ModuleBytes,
    ) -> Result<(Component, ModuleInfo), LoadError> {
        let ModuleBytes { bytes, sha256 } = module;
        let size = bytes.len();
        if let Some(reason) = not_a_component(&bytes) {
            return Err(LoadError::NotComponent {
                path: path.to_path_buf(),
                sha256,
                reason,
            });
        }
        let started = Instant::now();
        let recent = self
            .inner
            .recent
            .lock()
            .expect("recent components")
            .get(&sha256);
        let (component, source) = match recent {
            Some(component) => (component, "memory"),
            None => {
                let engine = self.inner.engine.clone();
                let cache = self.inner.cache.clone();
                let key = sha256.clone();
                tokio::task::spawn_blocking(move || {
                    if let Some(component) = cache.as_ref().and_then(|c| c.get(&engine, &key)) {
                        return Ok((component, "disk cache"));
                    }
                    let component = Component::from_binary(&engine, &bytes)?;
                    if let Some(cache) = &cache {
                        cache.put(&key, &component);
                    }
                    Ok::<_, wasmtime::Error>((component, "compiled"))
                })
                .await
                .expect("compile task panicked")
                .map_err(|err| LoadError::Compile {
                    path: path.to_path_buf(),
                    sha256: sha256.clone(),
                    reason: format!("{err:#}"),
                })?
            }
        };
        self.inner
            .recent
            .lock()
            .expect("recent components")
            .put(&sha256, &component);
        tracing::info!(
            module = %path.display(),
            sha256 = %sha256,
            from = source,
            ms = started.elapsed().as_millis() as u64,
            "module ready"
        );
        let surface = surface::Surface::of(&self.inner.engine, &component);
        Ok((
            component,
            ModuleInfo {
                path: path.to_path_buf(),
                sha256,
                loaded_at: chrono::Utc::now(),
                surface,
                size,
            },
        ))
    }

    fn permit(&self) -> Result<OwnedSemaphorePermit, Fault> {
        if let Some(reason) = self.inner.isolation_lost.get() {
            return Err(Fault::Isolation(reason.clone()));
        }
        self.inner
            .permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| Fault::Busy)
    }

    /// A fresh store for one call, with the memory cap and the deadline set.
    fn store(
        &self,
        settings: Arc<std::collections::BTreeMap<String, String>>,
        limits: Limits,
    ) -> Store<HostState> {
        let deadline = Instant::now() + limits.timeout;
        let mut store = Store::new(
            &self.inner.engine,
            HostState::new(settings, limits.memory_bytes, deadline),
        );
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut ctx| {
            let state = ctx.data_mut();
            if Instant::now() >= state.deadline {
                state.timed_out = true;
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store
    }
}

fn base_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.cranelift_opt_level(wasmtime::OptLevel::Speed);
    config
}

/// Runs `call` on `store` under the limits and turns every failure into a
/// [`Fault`]. Guest output is logged, tagged with the module, either way.
async fn guarded<R>(
    info: &ModuleInfo,
    limits: Limits,
    store: &mut Store<HostState>,
    call: impl AsyncFnOnce(&mut Store<HostState>) -> wasmtime::Result<R>,
) -> Result<R, Fault> {
    let outcome = tokio::time::timeout(limits.timeout + TIMEOUT_GRACE, call(store)).await;
    log_output(info, store.data());
    let state = store.data();
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Err(_elapsed) => Err(Fault::Timeout(limits.timeout)),
        Ok(Err(_)) if state.timed_out => Err(Fault::Timeout(limits.timeout)),
        Ok(Err(_)) if state.limiter.memory_exhausted => {
            Err(Fault::OutOfMemory(limits.memory_bytes / (1024 * 1024)))
        }
        Ok(Err(err)) => Err(Fault::Trap(match err.downcast_ref::<wasmtime::Trap>() {
            Some(trap) => trap.to_string(),
            None => format!("{err:#}"),
        })),
    }
}

fn log_output(info: &ModuleInfo, state: &HostState) {
    let (stdout, stderr) = state.output();
    for (stream, bytes) in [("stdout", stdout), ("stderr", stderr)] {
        if bytes.is_empty() {
            continue;
        }
        for line in String::from_utf8_lossy(&bytes).lines() {
            tracing::info!(
                target: "wasmgate::guest",
                module = %info.path.display(),
                sha256 = %&info.sha256[..12],
                stream,
                "{line}"
            );
        }
    }
}

/// A linker error, preceded by what the component's surface explains.
fn explain(reason: String, problems: &[String]) -> String {
    if problems.is_empty() {
        reason
    } else {
        format!("{}; ({reason})", problems.join("; "))
    }
}

/// Recognises a core module or non-WebAssembly bytes before the compiler
/// gives a less helpful message.
fn not_a_component(bytes: &[u8]) -> Option<String> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Some("the file does not start with the WebAssembly magic bytes".into());
    }
    match bytes[4..8] {
        [0x0d, 0x00, 0x01, 0x00] => None,
        [0x01, 0x00, 0x00, 0x00] => Some(
            "it is a core WebAssembly module; build for `--target wasm32-wasip2` (whose output is a component) or wrap it with `wasm-tools component new`".into(),
        ),
        _ => Some("unknown WebAssembly version or layer".into()),
    }
}

/// Reads a module file.
pub async fn read_module(path: &Path) -> Result<Vec<u8>, LoadError> {
    tokio::fs::read(path)
        .await
        .map_err(|source| LoadError::Read {
            path: path.to_path_buf(),
            source,
        })
}

/// A module's bytes and their sha256, hashed once: the identity that logs,
/// `/info`, the compilation caches and the unchanged-bytes check all use.
#[derive(Clone)]
pub struct ModuleBytes {
    bytes: Vec<u8>,
    sha256: String,
}

impl ModuleBytes {
    /// Hashes `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        let sha256 = sha256_hex(&bytes);
        ModuleBytes { bytes, sha256 }
    }

    /// The hex sha256.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

/// How many compiled components a runtime keeps in memory after serving
/// them, so that rolling back to one of them skips the disk cache. Bounded,
/// so that memory stays flat across any number of reloads.
const RECENT_COMPONENTS: usize = 4;

/// The last [`RECENT_COMPONENTS`] components compiled or loaded, by sha256,
/// most recent first. `Component` is a cheap handle.
#[derive(Default)]
struct Recent(std::collections::VecDeque<(String, Component)>);

impl Recent {
    fn get(&self, sha256: &str) -> Option<Component> {
        self.0
            .iter()
            .find(|(key, _)| key == sha256)
            .map(|(_, c)| c.clone())
    }

    fn put(&mut self, sha256: &str, component: &Component) {
        self.0.retain(|(key, _)| key != sha256);
        self.0.push_front((sha256.to_string(), component.clone()));
        self.0.truncate(RECENT_COMPONENTS);
    }
}

/// Hex sha256 of some bytes: how modules are identified everywhere.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Logs a fault with the module's identity. Callers answer the client with a
/// generic message; the detail is only ever in the logs.
pub fn log_fault(info: &ModuleInfo, what: &str, fault: &Fault) {
    if matches!(fault, Fault::Busy) {
        tracing::warn!(module = %info.path.display(), "{what}: {fault}");
    } else {
        tracing::error!(
            module = %info.path.display(),
            sha256 = %info.sha256,
            "{what} failed closed: {fault}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_core_modules_and_garbage() {
        assert!(not_a_component(b"hello world").is_some());
        let core = not_a_component(b"\0asm\x01\0\0\0").unwrap();
        assert!(core.contains("wasm32-wasip2"), "{core}");
        assert_eq!(not_a_component(b"\0asm\x0d\0\x01\0"), None);
    }
}
