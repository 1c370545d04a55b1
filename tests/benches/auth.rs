//! Authentication benchmark: `cargo bench -p wasmgate-e2e --bench auth`.
//!
//! Prints, in one run and against a native Rust baseline doing the same work
//! (look up `x-api-key` in the `api_keys` setting, parsed per request as the
//! guest does, and build the user with custom fields):
//! 1. per-request authentication cost (fresh instance + call) of the example
//!    handler, as p50/p90/p99;
//! 2. end-to-end throughput of authenticated `GET /threads/{id}` over
//!    loopback HTTP, WASM handler vs native handler.
//!
//! Machines here are shared and noisy: read the ratios, not the absolutes.
//! `WASMGATE_BENCH_SECS` sets the length of each throughput round (default 3).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use wasmgate::auth::{AuthResult, Authenticator, WasmAuthenticator, normalize};
use wasmgate::plugin::{AuthRequest, Denial, GuestUser, Runtime, RuntimeOptions};
use wasmgate_e2e::load::{self, percentile};
use wasmgate_e2e::{Project, Server, guests, standard_config};

/// The example handler's logic, natively.
struct NativeApiKey {
    settings: Arc<BTreeMap<String, String>>,
}

impl Authenticator for NativeApiKey {
    fn authenticate<'a>(
        &'a self,
        request: &'a AuthRequest,
    ) -> Pin<Box<dyn Future<Output = AuthResult> + Send + 'a>> {
        Box::pin(async move {
            let deny = || {
                Ok(Err(Denial {
                    status: 401,
                    detail: Some("Invalid API key".into()),
                    headers: vec![("www-authenticate".into(), "ApiKey".into())],
                }))
            };
            let Some(key) = request
                .headers
                .iter()
                .rev()
                .find(|(n, _)| n == "x-api-key")
                .and_then(|(_, v)| std::str::from_utf8(v).ok())
            else {
                return deny();
            };
            let table: Map<String, Value> = self
                .settings
                .get("api_keys")
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_default();
            let Some(Value::Object(entry)) = table.get(key) else {
                return deny();
            };
            let mut custom = entry.clone();
            let identity = custom
                .remove("identity")
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            let permissions = custom
                .remove("permissions")
                .and_then(|v| serde_json::from_value::<Vec<String>>(v).ok())
                .unwrap_or_default();
            let display_name = custom
                .remove("display_name")
                .and_then(|v| v.as_str().map(String::from));
            normalize(GuestUser {
                identity,
                display_name,
                is_authenticated: None,
                permissions,
                custom_fields: Value::Object(custom).to_string(),
            })
            .map(Ok)
        })
    }
}

fn request() -> AuthRequest {
    AuthRequest {
        method: "GET".into(),
        path: "/threads/0193e0a2-0000-7000-8000-000000000000".into(),
        query: String::new(),
        headers: vec![
            ("host".into(), b"127.0.0.1".to_vec()),
            ("user-agent".into(), b"langgraph-sdk-py/0.4.14".to_vec()),
            ("accept".into(), b"application/json".to_vec()),
            ("x-api-key".into(), b"alice-key".to_vec()),
            (
                "x-request-id".into(),
                b"0b6f1e64-6b39-4a4f-8f0c-1d2a3b4c5d6e".to_vec(),
            ),
        ],
    }
}

async fn per_request(auth: &dyn Authenticator, n: usize) -> Vec<Duration> {
    let req = request();
    for _ in 0..50 {
        let r = auth.authenticate(&req).await;
        assert!(matches!(r, Ok(Ok(_))), "warm-up call failed: {r:?}");
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = auth.authenticate(&req).await;
        samples.push(t.elapsed());
        assert!(matches!(r, Ok(Ok(_))));
    }
    samples
}

fn report(name: &str, s: &[Duration]) -> Duration {
    let p50 = percentile(s, 0.5);
    println!(
        "  {name:<28} p50 {:>8.1} µs   p90 {:>8.1} µs   p99 {:>8.1} µs",
        p50.as_secs_f64() * 1e6,
        percentile(s, 0.9).as_secs_f64() * 1e6,
        percentile(s, 0.99).as_secs_f64() * 1e6
    );
    p50
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let secs: f64 = std::env::var("WASMGATE_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let g = guests();
    let config_json = standard_config(None);
    let project = Project::new(Some(&g.apikey_auth), &g.on_behalf_graph, &config_json);
    let config = wasmgate::config::load(&project.config_file()).unwrap();
    let auth_cfg = config.auth.clone().unwrap();

    println!("wasmgate auth benchmark (example handler: examples/apikey-auth)");
    let runtime = Runtime::new(&RuntimeOptions {
        max_concurrency: 256,
        cache_dir: None,
    })
    .unwrap();
    println!("  pooling allocator: {}", runtime.is_pooling());
    let module = runtime.load_auth(&auth_cfg.module).await.unwrap();
    let wasm = WasmAuthenticator(Arc::new(module));
    let native = NativeApiKey {
        settings: auth_cfg.module.settings.clone(),
    };

    println!(
        "\n1. per-request authentication (fresh instance + call): 10 interleaved batches of 1000 calls each"
    );
    let (mut native_all, mut wasm_all) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        native_all.extend(per_request(&native, 1000).await);
        wasm_all.extend(per_request(&wasm, 1000).await);
    }
    native_all.sort();
    wasm_all.sort();
    let native_p50 = report("native Rust handler", &native_all);
    let wasm_p50 = report("WASM handler (Rust guest)", &wasm_all);
    println!(
        "  WASM p50 {:.1} µs (target ≤ 30 µs); WASM − native = {:.1} µs",
        wasm_p50.as_secs_f64() * 1e6,
        (wasm_p50.as_secs_f64() - native_p50.as_secs_f64()) * 1e6
    );

    println!(
        "\n2. end-to-end authenticated GET /threads/{{id}} over loopback HTTP, 16 connections, {secs}s rounds"
    );
    let wasm_server = Server::start(&project).await;
    let client = reqwest::Client::new();
    let thread: Value = client
        .post(format!("{}/threads", wasm_server.url))
        .header("x-api-key", "alice-key")
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!("/threads/{}", thread["thread_id"].as_str().unwrap());
    wasm_server.stop().await;

    // Rounds alternate native and WASM; each round's ratio compares two runs
    // taken seconds apart, which cancels most of the machine's drift.
    let mut ratios = Vec::new();
    for round in 0..5 {
        let mut rps = [0.0f64; 2];
        for (slot, kind) in ["native", "wasm"].into_iter().enumerate() {
            let app = wasmgate::App::build(&config, &project.data_dir())
                .await
                .unwrap();
            let app = if kind == "native" {
                app.with_authenticator(Arc::new(NativeApiKey {
                    settings: auth_cfg.module.settings.clone(),
                }))
            } else {
                app
            };
            let server = Server::serve(app).await;
            let (url, p) = (
                server.url.trim_start_matches("http://").to_string(),
                path.clone(),
            );
            rps[slot] = tokio::task::spawn_blocking(move || {
                load::throughput(url, load::get(&p, "alice-key"), 16, secs)
            })
            .await
            .unwrap();
            server.stop().await;
        }
        let ratio = rps[1] / rps[0];
        println!(
            "  round {round}: native {:>7.0} req/s, WASM {:>7.0} req/s → {:.0}%",
            rps[0],
            rps[1],
            100.0 * ratio
        );
        ratios.push(ratio);
    }
    ratios.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "  WASM keeps a median {:.0}% of native throughput (range {:.0}–{:.0}%; target ≥ 67%)",
        100.0 * ratios[ratios.len() / 2],
        100.0 * ratios[0],
        100.0 * ratios[ratios.len() - 1]
    );
}
