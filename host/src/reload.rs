//! Hot reload: the live set of modules, and the watcher that replaces them.
//!
//! **Validate, then swap.** A changed module is read (and re-read if it moved
//! while being read), hashed, compiled off the request path (or taken from the
//! compilation cache), linked against its world, and proven on a canary
//! instance. Only then does the new [`Live`] set replace the old one, in one
//! atomic pointer swap. Requests take the set they start with
//! (`ArcSwap::load_full`) and finish on it; an old module is freed when the
//! last request holding it ends. **A bad module never takes over**: the last
//! good version keeps serving and the failure is logged with the path, the
//! sha256 and the reason, and shown in `/info`.
//!
//! What is watched: the config file and every module it names. Editing the
//! config applies live (another auth module, a new graph, new settings or
//! limits); an invalid edit is refused and the old config keeps serving.
//! Rechecks are serialised and idempotent: the file contents decide, so
//! unchanged bytes are a no-op and the last of a burst of saves wins.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, mpsc, watch};

use crate::config::{self, Config, ModuleConfig};
use crate::plugin::{AuthModule, GraphModule, LoadError, ModuleBytes, Runtime, sha256_hex};
use crate::storage::Storage;

/// Quiet time after the last file event before a recheck, unless a watched
/// file has landed (renamed into place or closed after writing).
const DEBOUNCE: Duration = Duration::from_millis(20);

/// The modules serving requests, swapped as a whole.
pub struct Live {
    /// The configuration they were loaded from.
    pub config: Arc<Config>,
    /// The authentication handler, if `auth` is configured.
    pub auth: Option<Arc<AuthModule>>,
    /// Graphs by id.
    pub graphs: BTreeMap<String, Arc<GraphModule>>,
}

/// What `/info` reports about one module.
#[derive(Debug, Clone, Default)]
pub struct ModuleStatus {
    /// The file.
    pub path: PathBuf,
    /// sha256 of the version serving now (`None` if none ever loaded).
    pub sha256: Option<String>,
    /// When the serving version was loaded.
    pub loaded_at: Option<DateTime<Utc>>,
    /// How many times a new version took over after the first load.
    pub reloads: u64,
    /// The last refused version, if any (kept after later successes).
    pub last_error: Option<ReloadError>,
}

/// A refused reload.
#[derive(Debug, Clone)]
pub struct ReloadError {
    /// Why.
    pub message: String,
    /// sha256 of the refused bytes, when they could be read.
    pub sha256: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// The state of everything that reloads, published after every recheck.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// Increments with every recheck (including no-ops).
    pub generation: u64,
    /// The config file.
    pub config: ModuleStatus,
    /// Modules by role: `auth`, `graph:<id>`.
    pub modules: BTreeMap<String, ModuleStatus>,
}

/// Loads modules and keeps the live set current.
pub struct Reloader {
    runtime: Runtime,
    storage: Storage,
    config_file: PathBuf,
    live: Arc<ArcSwap<Live>>,
    status: watch::Sender<Arc<Status>>,
    /// Serialises rechecks; holds the sha256 of the config text last parsed.
    lock: Mutex<String>,
}

/// A module kind the reloader knows how to load.
trait Reloadable: Sized {
    async fn load(
        runtime: &Runtime,
        config: &ModuleConfig,
        bytes: ModuleBytes,
    ) -> Result<Self, LoadError>;
    async fn canary(&self) -> Result<(), crate::plugin::Fault>;
    fn info(&self) -> &crate::plugin::ModuleInfo;
    fn same_config(&self, config: &ModuleConfig) -> bool;
}

impl Reloadable for AuthModule {
    async fn load(
        runtime: &Runtime,
        config: &ModuleConfig,
        bytes: ModuleBytes,
    ) -> Result<Self, LoadError> {
        runtime.load_auth_bytes(config, bytes).await
    }
    async fn canary(&self) -> Result<(), crate::plugin::Fault> {
        AuthModule::canary(self).await
    }
    fn info(&self) -> &crate::plugin::ModuleInfo {
        AuthModule::info(self)
    }
    fn same_config(&self, config: &ModuleConfig) -> bool {
        let (settings, limits) = self.config();
        *settings == config.settings && limits == config.limits
    }
}

impl Reloadable for GraphModule {
    async fn load(
        runtime: &Runtime,
        config: &ModuleConfig,
        bytes: ModuleBytes,
    ) -> Result<Self, LoadError> {
        runtime.load_graph_bytes(config, bytes).await
    }
    async fn canary(&self) -> Result<(), crate::plugin::Fault> {
        GraphModule::canary(self).await
    }
    fn info(&self) -> &crate::plugin::ModuleInfo {
        GraphModule::info(self)
    }
    fn same_config(&self, config: &ModuleConfig) -> bool {
        let (settings, limits) = self.config();
        *settings == config.settings && limits == config.limits
    }
}

/// Reads a file whose size and modification time did not change while it
/// was read; `Ok(None)` if it moved (another event will follow).
async fn read_stable(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let before = tokio::fs::metadata(path).await?;
    let bytes = tokio::fs::read(path).await?;
    let after = tokio::fs::metadata(path).await?;
    let stable = before.len() == after.len()
        && before.modified().ok() == after.modified().ok()
        && bytes.len() as u64 == after.len();
    Ok(stable.then_some(bytes))
}

impl Reloader {
    /// Loads everything `config` names. Any failure is an error: a server
    /// does not start on a bad module.
    pub async fn start(
        runtime: Runtime,
        storage: Storage,
        config: Config,
    ) -> anyhow::Result<Arc<Reloader>> {
        let config_text = std::fs::read(&config.file).unwrap_or_default();
        let mut status = Status {
            config: ModuleStatus {
                path: config.file.clone(),
                sha256: Some(sha256_hex(&config_text)),
                loaded_at: Some(Utc::now()),
                ..ModuleStatus::default()
            },
            ..Status::default()
        };
        let auth = match &config.auth {
            Some(a) => {
                let m = Arc::new(runtime.load_auth(&a.module).await?);
                crate::auth::authz::log_coverage(&m, a.deny_uncovered);
                status
                    .modules
                    .insert("auth".into(), loaded_status(m.info()));
                Some(m)
            }
            None => None,
        };
        let mut graphs = BTreeMap::new();
        for (id, g) in &config.graphs {
            let m = Arc::new(runtime.load_graph(g).await?);
            status
                .modules
                .insert(format!("graph:{id}"), loaded_status(m.info()));
            storage.ensure_system_assistant(id).await?;
            graphs.insert(id.clone(), m);
        }
        let config_file = config.file.clone();
        let live = Live {
            config: Arc::new(config),
            auth,
            graphs,
        };
        let config_sha = status.config.sha256.clone().unwrap_or_default();
        Ok(Arc::new(Reloader {
            runtime,
            storage,
            config_file,
            live: Arc::new(ArcSwap::from_pointee(live)),
            status: watch::channel(Arc::new(status)).0,
            lock: Mutex::new(config_sha),
        }))
    }

    /// The live set; requests `load_full` it once and keep it.
    pub fn live(&self) -> &Arc<ArcSwap<Live>> {
        &self.live
    }

    /// Status updates, one per recheck.
    pub fn status(&self) -> watch::Receiver<Arc<Status>> {
        self.status.subscribe()
    }

    /// Files whose changes trigger a recheck: the config and every module.
    fn watched_files(&self) -> BTreeSet<PathBuf> {
        let live = self.live.load();
        let mut files = BTreeSet::from([self.config_file.clone()]);
        if let Some(a) = &live.config.auth {
            files.insert(a.module.path.clone());
        }
        files.extend(live.config.graphs.values().map(|g| g.path.clone()));
        files
    }

    /// Re-reads the config and every module, and swaps in what changed and
    /// proved itself. `force` (SIGHUP) also re-resolves settings (`$env`,
    /// `$file`) when the config text did not change.
    pub async fn recheck(&self, force: bool) {
        let mut config_sha = self.lock.lock().await;
        let current = self.live.load_full();
        let mut status = (**self.status.borrow()).clone();
        status.generation += 1;

        let config = self
            .recheck_config(&current, &mut config_sha, &mut status, force)
            .await;

        let auth = match &config.auth {
            None => {
                if current.auth.is_some() {
                    tracing::warn!(file = %config.file.display(), "`auth` was removed from the config: requests are no longer authenticated");
                }
                status.modules.remove("auth");
                None
            }
            Some(a) => {
                reconcile(
                    &self.runtime,
                    "auth",
                    current.auth.as_ref(),
                    &a.module,
                    &mut status,
                )
                .await
            }
        };
        let mut graphs = BTreeMap::new();
        for (id, g) in &config.graphs {
            let role = format!("graph:{id}");
            if let Some(m) =
                reconcile(&self.runtime, &role, current.graphs.get(id), g, &mut status).await
            {
                if !current.graphs.contains_key(id) {
                    if let Err(e) = self.storage.ensure_system_assistant(id).await {
                        tracing::error!(graph = %id, error = %e, "cannot create the system assistant of a new graph; the graph is not added");
                        continue;
                    }
                    tracing::info!(graph = %id, "graph added");
                }
                graphs.insert(id.clone(), m);
            }
        }
        for id in current
            .graphs
            .keys()
            .filter(|id| !config.graphs.contains_key(*id))
        {
            tracing::info!(graph = %id, "graph removed from the config");
            status.modules.remove(&format!("graph:{id}"));
        }

        let changed = !Arc::ptr_eq(&config, &current.config)
            || !same_ptr(&auth, &current.auth)
            || graphs.len() != current.graphs.len()
            || graphs
                .iter()
                .any(|(id, m)| current.graphs.get(id).is_none_or(|c| !Arc::ptr_eq(c, m)));
        if let (Some(new), Some(a)) = (&auth, &config.auth)
            && (!same_ptr(&auth, &current.auth) || !Arc::ptr_eq(&config, &current.config))
        {
            crate::auth::authz::log_coverage(new, a.deny_uncovered);
        }
        if changed {
            self.live.store(Arc::new(Live {
                config,
                auth,
                graphs,
            }));
        }
        self.status.send_replace(Arc::new(status));
    }

    async fn recheck_config(
        &self,
        current: &Live,
        config_sha: &mut String,
        status: &mut Status,
        force: bool,
    ) -> Arc<Config> {
        let file = &self.config_file;
        let text = match read_stable(file).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return current.config.clone(),
            Err(e) => {
                record_error(
                    &mut status.config,
                    format!("cannot read config file {}: {e}", file.display()),
                    None,
                );
                return current.config.clone();
            }
        };
        let sha = sha256_hex(&text);
        if sha == *config_sha && !force {
            return current.config.clone();
        }
        *config_sha = sha.clone();
        let parsed = std::str::from_utf8(&text)
            .map_err(|e| config::ConfigError::Syntax {
                file: file.clone(),
                message: format!("not UTF-8: {e}"),
            })
            .and_then(|t| config::parse(file, t));
        match parsed {
            Ok((config, unknown)) => {
                for key in unknown {
                    tracing::warn!(file = %file.display(), key = %key, "ignoring config key `{key}`: wasmgate does not use it");
                }
                if config.max_concurrency != current.config.max_concurrency {
                    tracing::warn!(
                        file = %file.display(),
                        "`wasmgate.max_concurrency` changed from {} to {}: this needs a restart (the instance pool is sized at startup); the old value stays in force",
                        current.config.max_concurrency,
                        config.max_concurrency
                    );
                }
                if status.config.sha256.as_deref() != Some(sha.as_str()) {
                    tracing::info!(file = %file.display(), sha256 = %sha, "config reloaded");
                    status.config.sha256 = Some(sha);
                    status.config.loaded_at = Some(Utc::now());
                    status.config.reloads += 1;
                }
                Arc::new(config)
            }
            Err(e) => {
                tracing::error!(error = %e, "config reload refused; the previous configuration keeps serving");
                record_error(&mut status.config, e.to_string(), Some(sha));
                current.config.clone()
            }
        }
    }
}

fn same_ptr<T>(a: &Option<Arc<T>>, b: &Option<Arc<T>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

fn loaded_status(info: &crate::plugin::ModuleInfo) -> ModuleStatus {
    ModuleStatus {
        path: info.path.clone(),
        sha256: Some(info.sha256.clone()),
        loaded_at: Some(info.loaded_at),
        reloads: 0,
        last_error: None,
    }
}

fn record_error(status: &mut ModuleStatus, message: String, sha256: Option<String>) {
    status.last_error = Some(ReloadError {
        message,
        sha256,
        at: Utc::now(),
    });
}

/// Brings one module up to date with its file and config. Returns the module
/// that serves from now on: the new one if it loaded and proved itself, the
/// current one otherwise (`None` if there is none).
async fn reconcile<M: Reloadable>(
    runtime: &Runtime,
    role: &str,
    current: Option<&Arc<M>>,
    config: &ModuleConfig,
    status: &mut Status,
) -> Option<Arc<M>> {
    let entry = status.modules.entry(role.to_string()).or_default();
    let bytes = match read_stable(&config.path).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return current.cloned(),
        Err(e) => {
            let message = format!("cannot read module {}: {e}", config.path.display());
            if entry
                .last_error
                .as_ref()
                .is_none_or(|l| l.message != message)
            {
                tracing::error!(
                    module = role,
                    "{message}; the previous version keeps serving"
                );
            }
            record_error(entry, message, None);
            return current.cloned();
        }
    };
    let bytes = ModuleBytes::new(bytes);
    let sha = bytes.sha256().to_string();
    if let Some(cur) = current
        .filter(|c| c.info().sha256 == sha && c.info().path == config.path && c.same_config(config))
    {
        return Some(cur.clone());
    }
    let loaded = match M::load(runtime, config, bytes).await {
        Ok(m) => match m.canary().await {
            Ok(()) => Ok(m),
            Err(fault) => Err(format!(
                "module {} (sha256 {sha}) failed its canary instance: {fault}",
                config.path.display()
            )),
        },
        Err(e) => Err(e.to_string()),
    };
    match loaded {
        Ok(m) => {
            tracing::info!(module = role, path = %config.path.display(), sha256 = %sha, "new version serving");
            entry.path = config.path.clone();
            entry.sha256 = Some(sha);
            entry.loaded_at = Some(m.info().loaded_at);
            if current.is_some() {
                entry.reloads += 1;
            }
            Some(Arc::new(m))
        }
        Err(message) => {
            tracing::error!(
                module = role,
                "reload refused: {message}; the previous version keeps serving"
            );
            entry.path = config.path.clone();
            record_error(entry, message, Some(sha));
            current.cloned()
        }
    }
}

/// Watches the config and module files and rechecks on change, until the
/// returned handle is dropped.
pub fn watch(reloader: Arc<Reloader>) -> anyhow::Result<WatchHandle> {
    let (events_tx, mut events) = mpsc::unbounded_channel::<notify::Result<Change>>();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Some(forwarded) = changed_paths(res) {
            let _ = events_tx.send(forwarded);
        }
    })?;
    let (stop_tx, mut stop) = tokio::sync::oneshot::channel::<()>();
    let (recheck_tx, mut recheck) = mpsc::unbounded_channel::<bool>();
    let mut watched_dirs = BTreeSet::new();
    let mut files = reloader.watched_files();
    update_watches(&mut watcher, &files, &mut watched_dirs);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = &mut stop => break,
                Some(force) = recheck.recv() => {
                    reloader.recheck(force).await;
                }
                Some(result) = events.recv() => {
                    let (mut relevant, mut landed) = classify(&files, result);
                    // Debounce: wait until the files have been quiet for a
                    // moment, so a burst of writes is one recheck; but a
                    // watched file renamed into place or closed after
                    // writing has landed, so act on it at once.
                    while !landed {
                        match tokio::time::timeout(DEBOUNCE, events.recv()).await {
                            Ok(Some(more)) => {
                                let (r, l) = classify(&files, more);
                                relevant |= r;
                                landed = l;
                            }
                            _ => break,
                        }
                    }
                    if relevant {
                        reloader.recheck(false).await;
                    }
                }
                else => break,
            }
            let now = reloader.watched_files();
            if now != files {
                files = now;
                update_watches(&mut watcher, &files, &mut watched_dirs);
            }
        }
        drop(watcher);
    });
    Ok(WatchHandle {
        _stop: stop_tx,
        recheck: recheck_tx,
    })
}

/// Keeps the watcher alive; dropping it stops watching.
pub struct WatchHandle {
    _stop: tokio::sync::oneshot::Sender<()>,
    recheck: mpsc::UnboundedSender<bool>,
}

impl WatchHandle {
    /// Queues a recheck of everything, as SIGHUP does.
    pub fn recheck_all(&self) {
        let _ = self.recheck.send(true);
    }
}

/// Files are matched by directory (canonicalised) and name, so `./a.wasm`
/// and the watcher's absolute path agree; editors' temporary files in the
/// same directory do not match.
fn is_watched(files: &BTreeSet<PathBuf>, event: &Path) -> bool {
    let key = |p: &Path| {
        let dir = p.parent().map(|d| {
            if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            }
        });
        dir.and_then(|d| d.canonicalize().ok())
            .zip(p.file_name().map(|n| n.to_os_string()))
    };
    let Some(event_key) = key(event) else {
        return false;
    };
    files.iter().any(|f| key(f).as_ref() == Some(&event_key))
}

/// A watcher event, reduced to what the watch loop needs.
struct Change {
    paths: Vec<PathBuf>,
    /// The file is complete: renamed into place, or closed after writing.
    landed: bool,
}

/// What a watcher event says changed, or `None` for events that are not
/// changes (opens and reads: a recheck reads every watched file, and
/// counting those reads would recheck forever).
fn changed_paths(res: notify::Result<notify::Event>) -> Option<notify::Result<Change>> {
    use notify::EventKind;
    use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
    match res {
        Ok(event) => {
            let landed = matches!(
                event.kind,
                EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Both))
                    // A close after writing is how inotify says a write finished.
                    | EventKind::Access(AccessKind::Close(AccessMode::Write))
            );
            if matches!(event.kind, EventKind::Access(_)) && !landed {
                return None;
            }
            Some(Ok(Change {
                paths: event.paths,
                landed,
            }))
        }
        Err(e) => Some(Err(e)),
    }
}

/// Whether a watcher event concerns a watched file (an error: assume so),
/// and whether it says that watched file has landed.
fn classify(files: &BTreeSet<PathBuf>, result: notify::Result<Change>) -> (bool, bool) {
    match result {
        Ok(change) => {
            let relevant = change.paths.iter().any(|p| is_watched(files, p));
            (relevant, relevant && change.landed)
        }
        Err(e) => {
            tracing::warn!(error = %e, "file watcher error; rechecking everything");
            (true, false)
        }
    }
}

/// Watches the directories of `files` (not the files: an atomic rename
/// replaces the inode a file watch would follow).
fn update_watches(
    watcher: &mut impl notify::Watcher,
    files: &BTreeSet<PathBuf>,
    watched: &mut BTreeSet<PathBuf>,
) {
    let dirs: BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|f| {
            f.parent().map(|d| {
                if d.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    d.to_path_buf()
                }
            })
        })
        .filter_map(|d| d.canonicalize().ok())
        .collect();
    for dir in watched.difference(&dirs) {
        let _ = watcher.unwatch(dir);
    }
    for dir in dirs.difference(watched) {
        if let Err(e) = watcher.watch(dir, notify::RecursiveMode::NonRecursive) {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot watch directory; changes there need SIGHUP");
        }
    }
    *watched = dirs;
}

#[cfg(test)]
mod tests {
    use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, ModifyKind, RenameMode};
    use notify::{Event, EventKind};

    use super::*;

    #[test]
    fn reads_of_watched_files_are_not_changes() {
        let path = PathBuf::from("/x/auth.wasm");
        let event = |kind| Ok(Event::new(kind).add_path(path.clone()));
        for read in [
            EventKind::Access(AccessKind::Open(AccessMode::Read)),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Access(AccessKind::Read),
        ] {
            assert!(changed_paths(event(read)).is_none());
        }
        // Changes still in progress (debounced), and changes that say the
        // file has landed (acted on at once).
        for (change, landed) in [
            (EventKind::Create(CreateKind::File), false),
            (EventKind::Modify(ModifyKind::Any), false),
            (
                EventKind::Modify(ModifyKind::Data(DataChange::Content)),
                false,
            ),
            (EventKind::Modify(ModifyKind::Name(RenameMode::From)), false),
            (
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                true,
            ),
            (EventKind::Modify(ModifyKind::Name(RenameMode::To)), true),
            (EventKind::Modify(ModifyKind::Name(RenameMode::Both)), true),
        ] {
            let forwarded = changed_paths(event(change)).unwrap().unwrap();
            assert_eq!(forwarded.paths, vec![path.clone()], "{change:?}");
            assert_eq!(forwarded.landed, landed, "{change:?}");
        }
    }

    #[test]
    fn only_a_watched_file_landing_skips_the_debounce() {
        // Watched files are matched by their (existing) folder and name.
        let dir = std::env::temp_dir();
        let files = BTreeSet::from([dir.join("auth.wasm")]);
        let change = |name: &str, landed| {
            Ok(Change {
                paths: vec![dir.join(name)],
                landed,
            })
        };
        assert_eq!(classify(&files, change("auth.wasm", true)), (true, true));
        assert_eq!(classify(&files, change("auth.wasm", false)), (true, false));
        assert_eq!(classify(&files, change("other.wasm", true)), (false, false));
        let error = Err(notify::Error::generic("overflow"));
        assert_eq!(classify(&files, error), (true, false));
    }
}
