//! The `langgraph.json` schema, loading and validation.
//!
//! Load → resolve: [`load`] parses the file strictly (wrong types and missing
//! files are errors that name the file and the JSON path), warns on keys it
//! does not know (LangGraph keeps adding keys), resolves every setting
//! reference (`{"$env": ...}`, `{"$file": ...}`) and returns a [`Config`] that
//! the server uses as is. Nothing in here is looked at again at request time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

/// A configuration error. Every variant names the file, and the JSON path
/// where there is one.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {file}: {source}")]
    Read {
        /// The config file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid JSON.
    #[error("{file}: invalid JSON: {message}")]
    Syntax {
        /// The config file.
        file: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A value has the wrong type.
    #[error("{file}: at `{path}`: {message}")]
    Parse {
        /// The config file.
        file: PathBuf,
        /// JSON path of the offending value (`.` for the whole document).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The JSON is well-formed but a rule across values is broken.
    #[error("{file}: at `{path}`: {message}")]
    Invalid {
        /// The config file.
        file: PathBuf,
        /// JSON path of the offending value.
        path: String,
        /// What is wrong, and how to fix it.
        message: String,
    },
}

/// Default CPU deadline of one authentication call.
pub const DEFAULT_AUTH_TIMEOUT: Duration = Duration::from_millis(100);
/// Default memory cap of one authentication instance.
pub const DEFAULT_AUTH_MEMORY_MIB: u64 = 128;
/// Default deadline of one graph run.
pub const DEFAULT_GRAPH_TIMEOUT: Duration = Duration::from_secs(300);
/// Default memory cap of one graph instance.
pub const DEFAULT_GRAPH_MEMORY_MIB: u64 = 512;
/// Default bound on WebAssembly instances alive at once.
pub const DEFAULT_MAX_CONCURRENCY: usize = 256;

/// The fully resolved configuration the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The config file, as given.
    pub file: PathBuf,
    /// The authentication handler, if `auth` is configured.
    pub auth: Option<AuthConfig>,
    /// Graphs by id, in id order.
    pub graphs: BTreeMap<String, ModuleConfig>,
    /// Bound on WebAssembly instances alive at once; past it requests get 503.
    pub max_concurrency: usize,
}

/// The `auth` section, resolved.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The handler module and its settings and limits.
    pub module: ModuleConfig,
    /// LangGraph's `auth.disable_studio_auth`.
    pub disable_studio_auth: bool,
    /// `wasmgate.auth.deny_uncovered`: refuse (403) actions that no
    /// authorization handler covers, instead of allowing them as LangGraph does.
    pub deny_uncovered: bool,
}

/// One WebAssembly module with what the host grants it.
#[derive(Debug, Clone)]
pub struct ModuleConfig {
    /// Absolute (or config-relative, joined) path of the `.wasm` component.
    pub path: PathBuf,
    /// The settings the module may read, with references already resolved.
    pub settings: Arc<BTreeMap<String, String>>,
    /// Per-call limits.
    pub limits: Limits,
}

/// Per-call limits of a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock deadline of one call, enforced by epoch interruption.
    pub timeout: Duration,
    /// Linear-memory cap of one instance, in bytes.
    pub memory_bytes: u64,
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    graphs: BTreeMap<String, RawGraph>,
    auth: Option<RawAuth>,
    #[serde(default)]
    wasmgate: RawWasmgate,
    // LangGraph keys that wasmgate accepts and does not use; listed so that
    // they do not warn as typos.
    #[serde(default)]
    dependencies: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    python_version: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    node_version: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "$schema")]
    schema: Option<serde::de::IgnoredAny>,
}

/// A graph entry: `"./agent.wasm"` or `{"path": "./agent.wasm", ...}`.
struct RawGraph {
    path: String,
}

impl<'de> Deserialize<'de> for RawGraph {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(path) => Ok(RawGraph { path }),
            Value::Object(map) => match map.get("path") {
                Some(Value::String(path)) => Ok(RawGraph { path: path.clone() }),
                _ => Err(serde::de::Error::custom(
                    "a graph object needs a string `path`: {\"path\": \"./agent.wasm\"}",
                )),
            },
            _ => Err(serde::de::Error::custom(
                "expected the graph's .wasm path as a string, e.g. \"./agent.wasm\"",
            )),
        }
    }
}

#[derive(Deserialize)]
struct RawAuth {
    path: Option<String>,
    #[serde(default)]
    disable_studio_auth: bool,
    #[serde(default)]
    openapi: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    cache: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    allow_langsmith_api_keys: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWasmgate {
    #[serde(default)]
    auth: RawAuthModule,
    #[serde(default)]
    graphs: BTreeMap<String, RawModule>,
    max_concurrency: Option<usize>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAuthModule {
    #[serde(default)]
    settings: BTreeMap<String, Value>,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    deny_uncovered: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawModule {
    #[serde(default)]
    settings: BTreeMap<String, Value>,
    #[serde(default)]
    limits: RawLimits,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    timeout_ms: Option<u64>,
    memory_mib: Option<u64>,
}

/// Reads, parses and resolves a config file.
///
/// Unknown keys are logged as warnings; everything else that is wrong is an
/// error naming the file and the JSON path.
pub fn load(file: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(file).map_err(|source| ConfigError::Read {
        file: file.to_path_buf(),
        source,
    })?;
    let (config, unknown) = parse(file, &text)?;
    for key in unknown {
        tracing::warn!(
            file = %file.display(),
            key = %key,
            "ignoring config key `{key}`: wasmgate does not use it (check the spelling if you meant a wasmgate key)"
        );
    }
    Ok(config)
}

/// Parses and resolves config text. Returns the config and the JSON paths of
/// keys that were ignored.
pub fn parse(file: &Path, text: &str) -> Result<(Config, Vec<String>), ConfigError> {
    let mut unknown = Vec::new();
    let de = &mut serde_json::Deserializer::from_str(text);
    let mut track = |path: serde_ignored::Path<'_>| unknown.push(json_path(&path));
    let tracked = serde_ignored::Deserializer::new(de, &mut track);
    let raw: RawConfig =
        serde_path_to_error::deserialize(tracked).map_err(|err| parse_error(file, err))?;
    let dir = file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let config = resolve(file, &dir, raw)?;
    Ok((config, unknown))
}

/// Renders an ignored key's path as `a.b[0].c` (serde_ignored shows an
/// `Option` layer as `?`, which means nothing to the person editing the file).
fn json_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", json_path(parent)),
        Path::Map { parent, key } => match json_path(parent) {
            p if p.is_empty() => key.clone(),
            p => format!("{p}.{key}"),
        },
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => json_path(parent),
    }
}

fn parse_error(file: &Path, err: serde_path_to_error::Error<serde_json::Error>) -> ConfigError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        ConfigError::Syntax {
            file: file.to_path_buf(),
            message: inner.to_string(),
        }
    } else {
        ConfigError::Parse {
            file: file.to_path_buf(),
            path,
            message: inner.to_string(),
        }
    }
}

fn resolve(file: &Path, dir: &Path, raw: RawConfig) -> Result<Config, ConfigError> {
    let invalid = |path: &str, message: String| ConfigError::Invalid {
        file: file.to_path_buf(),
        path: path.to_string(),
        message,
    };

    let auth = match raw.auth {
        None => {
            if !raw.wasmgate.auth.settings.is_empty() {
                return Err(invalid(
                    "wasmgate.auth.settings",
                    "settings are declared for an auth handler but `auth.path` is not set".into(),
                ));
            }
            None
        }
        Some(auth) => {
            let path = auth.path.ok_or_else(|| {
                invalid(
                    "auth",
                    "`auth.path` is required: the path of the handler's .wasm component, relative to the config file".into(),
                )
            })?;
            let module_path = module_path(dir, &path).map_err(|m| invalid("auth.path", m))?;
            let limits = limits(
                &raw.wasmgate.auth.limits,
                DEFAULT_AUTH_TIMEOUT,
                DEFAULT_AUTH_MEMORY_MIB,
            )
            .map_err(|(k, m)| invalid(&format!("wasmgate.auth.limits.{k}"), m))?;
            let settings = settings(dir, "wasmgate.auth.settings", &raw.wasmgate.auth.settings)
                .map_err(|(p, m)| invalid(&p, m))?;
            let _ = (auth.openapi, auth.cache, auth.allow_langsmith_api_keys);
            Some(AuthConfig {
                module: ModuleConfig {
                    path: module_path,
                    settings: Arc::new(settings),
                    limits,
                },
                disable_studio_auth: auth.disable_studio_auth,
                deny_uncovered: raw.wasmgate.auth.deny_uncovered,
            })
        }
    };

    for id in raw.wasmgate.graphs.keys() {
        if !raw.graphs.contains_key(id) {
            return Err(invalid(
                &format!("wasmgate.graphs.{id}"),
                format!("graph `{id}` is not declared in `graphs`"),
            ));
        }
    }
    let empty = RawModule::default();
    let mut graphs = BTreeMap::new();
    for (id, graph) in &raw.graphs {
        if id.is_empty() {
            return Err(invalid("graphs", "a graph id must not be empty".into()));
        }
        let module_path =
            module_path(dir, &graph.path).map_err(|m| invalid(&format!("graphs.{id}"), m))?;
        let section = raw.wasmgate.graphs.get(id).unwrap_or(&empty);
        let limits = limits(
            &section.limits,
            DEFAULT_GRAPH_TIMEOUT,
            DEFAULT_GRAPH_MEMORY_MIB,
        )
        .map_err(|(k, m)| invalid(&format!("wasmgate.graphs.{id}.limits.{k}"), m))?;
        let settings = settings(
            dir,
            &format!("wasmgate.graphs.{id}.settings"),
            &section.settings,
        )
        .map_err(|(p, m)| invalid(&p, m))?;
        graphs.insert(
            id.clone(),
            ModuleConfig {
                path: module_path,
                settings: Arc::new(settings),
                limits,
            },
        );
    }

    let max_concurrency = raw
        .wasmgate
        .max_concurrency
        .unwrap_or(DEFAULT_MAX_CONCURRENCY);
    if max_concurrency == 0 {
        return Err(invalid(
            "wasmgate.max_concurrency",
            "must be at least 1".into(),
        ));
    }
    let _ = (
        raw.dependencies,
        raw.python_version,
        raw.node_version,
        raw.schema,
    );
    Ok(Config {
        file: file.to_path_buf(),
        auth,
        graphs,
        max_concurrency,
    })
}

const SOURCE_SUFFIXES: &[&str] = &[".py", ".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"];

fn module_path(dir: &Path, given: &str) -> Result<PathBuf, String> {
    if given.is_empty() {
        return Err("the module path is empty".into());
    }
    let path = dir.join(given);
    if path.is_file() {
        return Ok(path);
    }
    // LangGraph writes "file.py:attr"; say what wasmgate expects instead.
    let file_part = given.rsplit_once(':').map_or(given, |(f, _)| f);
    if SOURCE_SUFFIXES.iter().any(|s| file_part.ends_with(s)) {
        return Err(format!(
            "`{given}` names {file_part}, a source file: wasmgate runs WebAssembly components; build the handler to a .wasm component and give its path"
        ));
    }
    if file_part != given && dir.join(file_part).is_file() {
        return Err(format!(
            "`{given}`: drop the `:attribute` suffix; a component has one entry point, so give just the .wasm path"
        ));
    }
    Err(format!(
        "module file `{given}` does not exist (paths are relative to the folder of the config file)"
    ))
}

fn limits(raw: &RawLimits, timeout: Duration, memory_mib: u64) -> Result<Limits, (String, String)> {
    let timeout = match raw.timeout_ms {
        Some(0) => return Err(("timeout_ms".into(), "must be at least 1".into())),
        Some(ms) => Duration::from_millis(ms),
        None => timeout,
    };
    let mib = match raw.memory_mib {
        Some(0) => return Err(("memory_mib".into(), "must be at least 1".into())),
        Some(m) if m > 4096 => {
            return Err((
                "memory_mib".into(),
                "must be at most 4096: a 32-bit WebAssembly memory cannot grow past 4 GiB".into(),
            ));
        }
        Some(m) => m,
        None => memory_mib,
    };
    Ok(Limits {
        timeout,
        memory_bytes: mib * 1024 * 1024,
    })
}

/// Resolves setting values: a string is taken as is; `{"$env": "NAME"}` reads
/// the host environment variable; `{"$file": "path"}` reads a file relative to
/// the config file (one trailing newline removed); any other JSON value is
/// passed as its JSON text.
pub(crate) fn settings(
    dir: &Path,
    prefix: &str,
    raw: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, String>, (String, String)> {
    let mut out = BTreeMap::new();
    for (name, value) in raw {
        let at = format!("{prefix}.{name}");
        let resolved = match value {
            Value::String(s) => s.clone(),
            Value::Object(map) if map.keys().any(|k| k.starts_with('$')) => {
                match (map.len(), map.iter().next()) {
                    (1, Some((k, Value::String(var)))) if k == "$env" => std::env::var(var)
                        .map_err(|_| {
                            (
                                at.clone(),
                                format!(
                                    "environment variable `{var}` is not set (or not UTF-8); set it before starting wasmgate"
                                ),
                            )
                        })?,
                    (1, Some((k, Value::String(path)))) if k == "$file" => {
                        let full = dir.join(path);
                        let mut text = std::fs::read_to_string(&full).map_err(|e| {
                            (at.clone(), format!("cannot read secret file `{path}` (relative to the folder of the config file): {e}"))
                        })?;
                        if text.ends_with('\n') {
                            text.pop();
                            if text.ends_with('\r') {
                                text.pop();
                            }
                        }
                        text
                    }
                    _ => {
                        return Err((
                            at,
                            "a reference must be exactly {\"$env\": \"NAME\"} or {\"$file\": \"path\"}".into(),
                        ));
                    }
                }
            }
            other => other.to_string(),
        };
        out.insert(name.clone(), resolved);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
