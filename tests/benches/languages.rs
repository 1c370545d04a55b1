//! Per-language benchmark: `cargo bench -p wasmgate-e2e --bench languages`.
//!
//! For every language's build of the shared policy (`examples/policy-<lang>/`,
//! the list in `wasmgate_e2e::POLICY_LANGUAGES`), in one run:
//! 1. the per-request cost on a fresh instance: `authenticate` (a known API
//!    key) and `authorize` (`threads.read`), p50/p90; for `authenticate`, the
//!    page faults per request and the p50 of each phase (instantiate, call,
//!    teardown);
//! 2. the end-to-end throughput of authenticated and authorized
//!    `GET /threads/{id}` over loopback HTTP.
//!
//! With Python among the languages it also measures the floor under any
//! Python handler: `tests/fixtures/python-floor` (no SDK, a fixed user).
//!
//! The Rust build is the baseline: every figure is also given as a ratio to
//! it, measured in the same run, because these machines are shared and noisy.
//! `WASMGATE_BENCH_SECS` sets the length of each throughput round (default 2);
//! `WASMGATE_BENCH_LANGS` (e.g. `rust,python`) runs only those languages.

use std::cell::RefCell;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wasmgate::plugin::{
    AuthModule, AuthRequest, AuthzRequest, CallPhases, Runtime, RuntimeOptions,
};
use wasmgate_e2e::load::{self, percentile};
use wasmgate_e2e::{POLICY_LANGUAGES, Project, Server, build_policy, guests, policy_config};

/// Minor page faults of this process so far (`/proc/self/stat`, field 10).
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name (field 2) may hold spaces; count fields after its ')'.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(7))
        .and_then(|f| f.parse().ok())
        .unwrap_or(0)
}

/// `authenticate` on a fresh instance `n` times: the sorted latencies, and
/// the report lines (p50, p90, page faults per call, p50 of each phase).
async fn measure_authenticate(
    module: &AuthModule,
    request: &AuthRequest,
    n: usize,
) -> (Vec<Duration>, String) {
    let faults_before = minor_faults();
    let phases = RefCell::new(Vec::with_capacity(n));
    let samples = timed(n, || async {
        let (result, p) = module.authenticate_phased(request).await;
        result.unwrap().unwrap();
        phases.borrow_mut().push(p);
    })
    .await;
    let faults = (minor_faults() - faults_before) as f64 / n as f64;
    let split = CallPhases::median(&phases.into_inner());
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let report = format!(
        "  authenticate  p50 {}  p90 {}  ({faults:.0} page faults/request)\n                p50 by phase: instantiate {:.1} µs, call {:.1} µs, teardown {:.1} µs",
        fmt(percentile(&samples, 0.5)),
        fmt(percentile(&samples, 0.9)),
        micros(split.instantiate),
        micros(split.call),
        micros(split.teardown),
    );
    (samples, report)
}

/// The auth handler `module_file` under `lang`'s policy config.
async fn load(runtime: &Runtime, module_file: &Path, lang: &str) -> (Project, AuthModule) {
    let project = Project::new(
        Some(module_file),
        &guests().on_behalf_graph,
        &policy_config(lang),
    );
    let config = wasmgate::config::load(&project.config_file()).unwrap();
    let module = runtime
        .load_auth(&config.auth.as_ref().unwrap().module)
        .await
        .unwrap();
    (project, module)
}

fn fmt(d: Duration) -> String {
    format!("{:>8.1} µs", d.as_secs_f64() * 1e6)
}

async fn timed<F: Future<Output = ()>>(n: usize, mut call: impl FnMut() -> F) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        call().await;
        samples.push(t.elapsed());
    }
    samples.sort();
    samples
}

/// The floor under any Python handler: `tests/fixtures/python-floor`, raw
/// componentize-py bindings returning a fixed user (no SDK, no settings).
async fn python_floor(runtime: &Runtime, request: &AuthRequest, dir: &Path) {
    let recipe = wasmgate_e2e::repo_root().join("tests/fixtures/python-floor/build.sh");
    let out = dir.join("python-floor.wasm");
    let status = std::process::Command::new("bash")
        .arg(&recipe)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "{} failed", recipe.display());
    let (_project, module) = load(runtime, &out, "python").await;
    for _ in 0..20 {
        module.authenticate(request).await.unwrap().unwrap();
    }
    let (_, report) = measure_authenticate(&module, request, 400).await;
    println!("\npython floor (tests/fixtures/python-floor: no SDK, a fixed user)\n{report}");
}

struct Figures {
    lang: &'static str,
    size: u64,
    authn: Duration,
    authz: Duration,
    rps: f64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let secs: f64 = std::env::var("WASMGATE_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::new(&RuntimeOptions {
        max_concurrency: 256,
        cache_dir: None,
    })
    .unwrap();
    println!(
        "wasmgate per-language benchmark (the shared policy, examples/policy-<lang>); pooling allocator: {}, memory reset: {}",
        runtime.is_pooling(),
        runtime.memory_reset()
    );
    let request = AuthRequest {
        method: "GET".into(),
        path: "/threads/0193e0a2-0000-7000-8000-000000000000".into(),
        query: String::new(),
        headers: vec![
            ("host".into(), b"127.0.0.1".to_vec()),
            ("user-agent".into(), b"langgraph-sdk-py/0.4.14".to_vec()),
            ("x-api-key".into(), b"alice-key".to_vec()),
        ],
    };
    let only = std::env::var("WASMGATE_BENCH_LANGS").ok();
    let chosen = POLICY_LANGUAGES.iter().filter(|l| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|x| x == **l))
    });
    let mut all = Vec::new();
    for lang in chosen {
        let module_file = build_policy(lang, &dir.path().join(format!("policy-{lang}.wasm")));
        let size = std::fs::metadata(&module_file).unwrap().len();
        let (project, module) = load(&runtime, &module_file, lang).await;
        let user = json!({"identity": "alice", "is_authenticated": true, "display_name": "alice",
                          "github_token": "ghp_alice", "permissions": ["threads:write"]});
        let authz = AuthzRequest {
            user: user.to_string(),
            permissions: vec!["threads:write".into()],
            resource: "threads".into(),
            action: "read".into(),
            is_studio_user: false,
            value: json!({"thread_id": "0193e0a2-0000-7000-8000-000000000000"}).to_string(),
        };
        // Warm up, and check the module answers as the policy says.
        for _ in 0..20 {
            assert!(
                matches!(module.authenticate(&request).await, Ok(Ok(_))),
                "{lang}: alice-key must authenticate"
            );
            module.authorize(&authz).await.unwrap();
        }
        let n = 400;
        let (authn, authn_report) = measure_authenticate(&module, &request, n).await;
        let authz_s = timed(n, || async {
            module.authorize(&authz).await.unwrap();
        })
        .await;
        println!(
            "\n{lang} ({} KiB)\n{authn_report}\n  authorize     p50 {}  p90 {}",
            size / 1024,
            fmt(percentile(&authz_s, 0.5)),
            fmt(percentile(&authz_s, 0.9))
        );

        let server = Server::start(&project).await;
        let thread: Value = reqwest::Client::new()
            .post(format!("{}/threads", server.url))
            .header("x-api-key", "alice-key")
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let path = format!("/threads/{}", thread["thread_id"].as_str().unwrap());
        let addr = server.url.trim_start_matches("http://").to_string();
        let rps = tokio::task::spawn_blocking(move || {
            load::throughput(addr, load::get(&path, "alice-key"), 16, secs)
        })
        .await
        .unwrap();
        println!("  GET /threads/{{id}} (authenticate + authorize): {rps:>7.0} req/s");
        server.stop().await;
        all.push(Figures {
            lang,
            size,
            authn: percentile(&authn, 0.5),
            authz: percentile(&authz_s, 0.5),
            rps,
        });
    }
    if only
        .as_deref()
        .is_none_or(|o| o.split(',').any(|x| x == "python"))
    {
        python_floor(&runtime, &request, dir.path()).await;
    }
    let base = &all[0];
    println!("\nsummary (ratios to {} in this run)", base.lang);
    println!(
        "  {:<8} {:>9} {:>14} {:>14} {:>12}",
        "language", "size", "authenticate", "authorize", "throughput"
    );
    for f in &all {
        println!(
            "  {:<8} {:>6} KiB {:>9.1} µs ×{:<4.1} {:>7.1} µs ×{:<4.1} {:>7.0}/s {:>3.0}%",
            f.lang,
            f.size / 1024,
            f.authn.as_secs_f64() * 1e6,
            f.authn.as_secs_f64() / base.authn.as_secs_f64(),
            f.authz.as_secs_f64() * 1e6,
            f.authz.as_secs_f64() / base.authz.as_secs_f64(),
            f.rps,
            100.0 * f.rps / base.rps
        );
    }
}
