//! `wasmgate check MODULE.wasm`: everything a handler author needs to know
//! before deploying a module, and a CI gate (any problem is a non-zero exit).
//!
//! It reports which contract (and version) the module implements, its
//! imports and whether wasmgate grants them, the (resource, action) pairs an
//! authorizer covers, the result of sample requests (the user JSON, the
//! refusal, or the fault), and the per-call latency on fresh instances,
//! exactly as the server would run them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::auth::{self, AuthUser, authz};
use crate::config::{DEFAULT_AUTH_MEMORY_MIB, DEFAULT_AUTH_TIMEOUT, Limits, ModuleConfig};
use crate::plugin::surface::{CONTRACT_VERSION, Contract, Surface};
use crate::plugin::{
    AuthModule, AuthRequest, AuthzDecision, AuthzRequest, CallPhases, LoadError, ModuleBytes,
    Runtime, RuntimeOptions, read_module,
};

/// One sample request, as written by the user (inline or in a file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// Default `GET`.
    #[serde(default = "default_method")]
    pub method: String,
    /// Default `/threads`.
    #[serde(default = "default_path")]
    pub path: String,
    /// Raw query string, without `?`.
    #[serde(default)]
    pub query: String,
    /// Header name → value.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Also authorize one action as the authenticated user.
    pub authorize: Option<SampleAction>,
}

/// The action of a sample.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleAction {
    /// e.g. `threads`.
    pub resource: String,
    /// e.g. `create`.
    pub action: String,
    /// The action's value (default `{}`).
    #[serde(default = "empty_object")]
    pub value: Value,
}

fn default_method() -> String {
    "GET".into()
}
fn default_path() -> String {
    "/threads".into()
}
fn empty_object() -> Value {
    json!({})
}

/// What to check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The module file.
    pub module: PathBuf,
    /// Its settings, resolved.
    pub settings: BTreeMap<String, String>,
    /// Sample requests; when empty, one anonymous `GET /threads`.
    pub samples: Vec<Sample>,
    /// Calls per sample for the latency figure.
    pub iterations: usize,
}

/// The report: human-readable lines and whether anything is wrong.
#[derive(Debug, Clone)]
pub struct Report {
    /// The text to print.
    pub text: String,
    /// Problems found; the exit status is non-zero when there is any.
    pub problems: Vec<String>,
}

/// Checks a module. Never panics on a bad module: everything wrong ends up
/// in [`Report::problems`].
pub async fn check(options: CheckOptions) -> Report {
    let mut out = String::new();
    let mut problems = Vec::new();
    let result = run(&options, &mut out, &mut problems).await;
    if let Err(e) = result {
        problems.push(e.to_string());
    }
    if problems.is_empty() {
        let _ = writeln!(out, "\nok: no problems found");
    } else {
        let _ = writeln!(out, "\n{} problem(s):", problems.len());
        for p in &problems {
            let _ = writeln!(out, "  - {p}");
        }
    }
    Report {
        text: out,
        problems,
    }
}

async fn run(
    options: &CheckOptions,
    out: &mut String,
    problems: &mut Vec<String>,
) -> Result<(), LoadError> {
    let bytes = read_module(&options.module).await?;
    let runtime = Runtime::new(&RuntimeOptions {
        max_concurrency: 16,
        cache_dir: None,
    })
    .map_err(|e| LoadError::Compile {
        path: options.module.clone(),
        sha256: String::new(),
        reason: format!("cannot start the WebAssembly runtime: {e:#}"),
    })?;
    let module = ModuleConfig {
        path: options.module.clone(),
        settings: Arc::new(options.settings.clone()),
        limits: Limits {
            timeout: DEFAULT_AUTH_TIMEOUT,
            memory_bytes: DEFAULT_AUTH_MEMORY_MIB * 1024 * 1024,
        },
    };
    // Compile once to read the surface; loading takes the world it names.
    let _ = writeln!(
        out,
        "module: {} ({} KiB)",
        options.module.display(),
        bytes.len() / 1024
    );
    let bytes = ModuleBytes::new(bytes);
    match runtime.load_auth_bytes(&module, bytes.clone()).await {
        Ok(auth) => check_auth(&auth, options, out, problems).await,
        Err(auth_err) => {
            // Perhaps it is a graph.
            match runtime.load_graph_bytes(&module, bytes).await {
                Ok(graph) => {
                    describe(graph.info(), out);
                    let started = Instant::now();
                    match graph.canary().await {
                        Ok(()) => {
                            let _ = writeln!(
                                out,
                                "graph: instantiates on a fresh instance in {:.1} ms",
                                started.elapsed().as_secs_f64() * 1e3
                            );
                        }
                        Err(fault) => {
                            problems.push(format!("the graph faults on instantiation: {fault}"))
                        }
                    }
                }
                Err(LoadError::World { .. }) => return Err(auth_err),
                Err(other) => return Err(other),
            }
        }
    }
    Ok(())
}

fn describe(info: &crate::plugin::ModuleInfo, out: &mut String) {
    let _ = writeln!(out, "sha256: {}", info.sha256);
    let contract = match info.surface.contract() {
        Contract::Auth { version, authorize } => format!(
            "langgraph:auth@{version}, world `{}`",
            if authorize {
                "authorizer"
            } else {
                "authenticator"
            }
        ),
        Contract::Graph { version } => format!("langgraph:graph@{version}, world `agent`"),
        Contract::Unknown => "none".into(),
    };
    let _ = writeln!(
        out,
        "contract: {contract} (this wasmgate implements {CONTRACT_VERSION})"
    );
    let _ = writeln!(out, "imports: {}", info.surface.imports.join(", "));
}

async fn check_auth(
    auth: &AuthModule,
    options: &CheckOptions,
    out: &mut String,
    problems: &mut Vec<String>,
) {
    describe(auth.info(), out);
    problems.extend(Surface::problems(&auth.info().surface));
    let coverage = auth.coverage();
    if coverage.is_empty() {
        let _ = writeln!(
            out,
            "authorization: none (authentication only: every action is allowed)"
        );
    } else {
        let keys: Vec<String> = coverage.iter().map(|(r, a)| format!("{r}.{a}")).collect();
        let _ = writeln!(out, "authorization handlers: {}", keys.join(", "));
        let missing = authz::uncovered(coverage);
        if missing.is_empty() {
            let _ = writeln!(out, "uncovered actions: none");
        } else {
            let _ = writeln!(
                out,
                "uncovered actions (allowed unless wasmgate.auth.deny_uncovered): {}",
                missing.join(", ")
            );
        }
    }
    let samples = if options.samples.is_empty() {
        vec![Sample {
            method: default_method(),
            path: default_path(),
            query: String::new(),
            headers: BTreeMap::new(),
            authorize: None,
        }]
    } else {
        options.samples.clone()
    };
    for (i, sample) in samples.iter().enumerate() {
        let request = AuthRequest {
            method: sample.method.to_ascii_uppercase(),
            path: sample.path.clone(),
            query: sample.query.clone(),
            headers: sample
                .headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.as_bytes().to_vec()))
                .collect(),
        };
        let headers: Vec<&str> = sample.headers.keys().map(String::as_str).collect();
        let _ = writeln!(
            out,
            "\nsample {}: {} {}{} [headers: {}]",
            i + 1,
            request.method,
            request.path,
            if request.query.is_empty() {
                String::new()
            } else {
                format!("?{}", request.query)
            },
            headers.join(", ")
        );
        let user = match auth::authenticate_wasm(auth, &request).await {
            Ok(Ok(user)) => {
                let _ = writeln!(out, "  authenticated: {}", user.exposed_json());
                Some(user)
            }
            Ok(Err(denial)) => {
                let _ = writeln!(
                    out,
                    "  refused: {} {}{}",
                    denial.status,
                    json!({"detail": denial.detail}),
                    if denial.headers.is_empty() {
                        String::new()
                    } else {
                        format!(" headers {:?}", denial.headers)
                    }
                );
                None
            }
            Err(fault) => {
                problems.push(format!("sample {}: the handler faulted: {fault}", i + 1));
                let _ = writeln!(out, "  FAULT: {fault} (the server would answer 500)");
                continue;
            }
        };
        let phases = std::cell::RefCell::new(Vec::with_capacity(options.iterations));
        let latency = measure(options.iterations, || async {
            let (_, p) = auth.authenticate_phased(&request).await;
            phases.borrow_mut().push(p);
        })
        .await;
        let split = CallPhases::median(&phases.into_inner());
        let _ = writeln!(
            out,
            "  authenticate: p50 {} (instantiate {}, call {}, teardown {})",
            micros(latency),
            micros(split.instantiate),
            micros(split.call),
            micros(split.teardown),
        );
        if let (Some(action), Some(user)) = (&sample.authorize, user) {
            check_action(
                auth,
                &user,
                action,
                options.iterations,
                i + 1,
                out,
                problems,
            )
            .await;
        }
    }
}

async fn check_action(
    auth: &AuthModule,
    user: &AuthUser,
    action: &SampleAction,
    iterations: usize,
    n: usize,
    out: &mut String,
    problems: &mut Vec<String>,
) {
    let request = AuthzRequest {
        user: user.exposed_json().to_string(),
        permissions: user.permissions.clone(),
        resource: action.resource.clone(),
        action: action.action.clone(),
        is_studio_user: false,
        value: action.value.to_string(),
    };
    let what = format!("{}.{}", action.resource, action.action);
    if !authz::covers(auth.coverage(), &action.resource, &action.action) {
        let _ = writeln!(
            out,
            "  authorize {what}: no handler covers it (allowed, or 403 with deny_uncovered)"
        );
        return;
    }
    match auth.authorize(&request).await {
        Err(fault) => {
            problems.push(format!("sample {n}: authorize {what} faulted: {fault}"));
            let _ = writeln!(
                out,
                "  authorize {what}: FAULT: {fault} (the server would answer 500)"
            );
            return;
        }
        Ok(outcome) => {
            let decision = match &outcome.decision {
                AuthzDecision::Allow => "allow".to_string(),
                AuthzDecision::Deny => "deny (403 Forbidden)".to_string(),
                AuthzDecision::Error(d) => {
                    format!("refuse {} {}", d.status, json!({"detail": d.detail}))
                }
                AuthzDecision::Filter(text) => {
                    let parsed = serde_json::from_str::<Value>(text)
                        .map_err(|e| e.to_string())
                        .and_then(|v| auth::filter::Filter::parse(&v).map(|_| v));
                    match parsed {
                        Ok(v) => format!("filter {v}"),
                        Err(e) => {
                            problems.push(format!(
                                "sample {n}: authorize {what} returned an invalid filter: {e}"
                            ));
                            format!("INVALID filter {text}: {e} (the server would answer 500)")
                        }
                    }
                }
            };
            let edited = outcome
                .value
                .as_deref()
                .map(|v| format!(", value edited to {v}"))
                .unwrap_or_default();
            let _ = writeln!(out, "  authorize {what}: {decision}{edited}");
        }
    }
    let latency = measure(iterations, || async {
        let _ = auth.authorize(&request).await;
    })
    .await;
    let _ = writeln!(out, "  authorize: p50 {}", micros(latency));
}

async fn measure<F: Future<Output = ()>>(n: usize, mut call: impl FnMut() -> F) -> Duration {
    let mut samples: Vec<Duration> = Vec::with_capacity(n.max(1));
    for _ in 0..n.max(1) {
        let t = Instant::now();
        call().await;
        samples.push(t.elapsed());
    }
    samples.sort();
    samples[samples.len() / 2]
}

fn micros(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{:.1} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    }
}

/// Parses `--settings` JSON (an object; values as in `langgraph.json`).
pub fn parse_settings(
    text: &str,
    dir: &std::path::Path,
) -> Result<BTreeMap<String, String>, String> {
    let map: Map<String, Value> =
        serde_json::from_str(text).map_err(|e| format!("--settings is not a JSON object: {e}"))?;
    let raw: BTreeMap<String, Value> = map.into_iter().collect();
    crate::config::settings(dir, "settings", &raw)
        .map_err(|(path, m)| format!("--settings at `{path}`: {m}"))
}

/// Parses samples: one JSON object, or a list of them.
pub fn parse_samples(text: &str, what: &str) -> Result<Vec<Sample>, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("{what} is not JSON: {e}"))?;
    let list = match value {
        Value::Array(items) => items,
        one => vec![one],
    };
    list.into_iter()
        .enumerate()
        .map(|(i, v)| {
            serde_path_to_error::deserialize(v)
                .map_err(|e| format!("{what}: sample {} at `{}`: {}", i + 1, e.path(), e.inner()))
        })
        .collect()
}

/// The auth settings (`wasmgate.auth.settings`) of a `langgraph.json`, for
/// `--config`, resolved as the server resolves them. The module paths the
/// file names are not needed, so they are not checked.
pub fn settings_from_config(file: &std::path::Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read config file {}: {e}", file.display()))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: invalid JSON: {e}", file.display()))?;
    let raw: BTreeMap<String, Value> = match &value["wasmgate"]["auth"]["settings"] {
        Value::Null => BTreeMap::new(),
        Value::Object(map) => map.clone().into_iter().collect(),
        _ => {
            return Err(format!(
                "{}: at `wasmgate.auth.settings`: expected an object",
                file.display()
            ));
        }
    };
    let dir = file.parent().unwrap_or(std::path::Path::new("."));
    crate::config::settings(dir, "wasmgate.auth.settings", &raw)
        .map_err(|(path, m)| format!("{}: at `{path}`: {m}", file.display()))
}
