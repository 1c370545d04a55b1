//! Authorization benchmark: `cargo bench -p wasmgate-e2e --bench authz`.
//!
//! Prints, in one run:
//! 1. the per-call cost of `authorize` (fresh instance + call) of
//!    `examples/owner-scoping` for `threads.read` and `threads.create`,
//!    against a native Rust function doing the same work (parse the value,
//!    stamp `metadata.owner`, build the owner filter);
//! 2. with SQLite holding 1,000 and then 10,000 threads from 100 owners, the
//!    throughput of authenticated and authorized `GET /threads/{id}` and
//!    `POST /threads/search` over loopback HTTP, against the same server
//!    authenticating only (the API-key example: no authorization), and the
//!    query plan of the owner-filtered search, which must use the metadata
//!    index: the search cost must not grow with other owners' threads. A
//!    third dataset (10,000 threads, alice still owning 10) isolates that:
//!    only other owners' threads grew.
//!
//! Machines here are shared and noisy: read the ratios, not the absolutes.
//! `WASMGATE_BENCH_SECS` sets the length of each throughput round (default 2).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wasmgate::auth::filter::Filter;
use wasmgate::plugin::{AuthzRequest, Runtime, RuntimeOptions};
use wasmgate::storage::{Storage, Thread, ThreadQuery};
use wasmgate_e2e::load::{self, percentile};
use wasmgate_e2e::{Project, Server, guests, standard_config};

const OWNERS: usize = 100;

fn report(name: &str, mut s: Vec<Duration>) -> Duration {
    s.sort();
    let p50 = percentile(&s, 0.5);
    println!(
        "  {name:<34} p50 {:>8.1} µs   p90 {:>8.1} µs   p99 {:>8.1} µs",
        p50.as_secs_f64() * 1e6,
        percentile(&s, 0.9).as_secs_f64() * 1e6,
        percentile(&s, 0.99).as_secs_f64() * 1e6
    );
    p50
}

/// What the owner-scoping rules do for one action, natively.
fn native_owner(user: &str, value: &str) -> (Value, Option<Filter>) {
    let user: Value = serde_json::from_str(user).unwrap();
    let identity = user["identity"].as_str().unwrap().to_string();
    let mut value: Value = serde_json::from_str(value).unwrap();
    if let Some(m) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        m.insert("owner".into(), identity.clone().into());
    }
    let filter = Filter::parse(&json!({"owner": identity})).unwrap();
    (value, filter)
}

fn owner_of(i: usize) -> String {
    match i % OWNERS {
        0 => "alice".into(),
        1 => "bob".into(),
        n => format!("user{n}"),
    }
}

/// Adds threads `from..to`, thread `i` owned by `owner(i)`.
async fn seed(storage: &Storage, from: usize, to: usize, owner: impl Fn(usize) -> String) {
    for i in from..to {
        let now = chrono::Utc::now();
        storage
            .create_thread(&Thread {
                thread_id: uuid::Uuid::now_v7(),
                created_at: now,
                updated_at: now,
                state_updated_at: now,
                metadata: json!({"owner": owner(i), "n": i}),
                status: "idle".into(),
                config: json!({}),
                values: None,
                error: None,
            })
            .await
            .unwrap();
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let secs: f64 = std::env::var("WASMGATE_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let g = guests();
    let owner = Project::new(
        Some(&g.path("owner-scoping")),
        &g.on_behalf_graph,
        &standard_config(None),
    );
    let owner_config = wasmgate::config::load(&owner.config_file()).unwrap();

    println!("wasmgate authorization benchmark (handler: examples/owner-scoping)");
    let runtime = Runtime::new(&RuntimeOptions {
        max_concurrency: 256,
        cache_dir: None,
    })
    .unwrap();
    let module = runtime
        .load_auth(&owner_config.auth.as_ref().unwrap().module)
        .await
        .unwrap();
    let user = json!({"identity": "alice", "is_authenticated": true, "display_name": "alice",
                      "github_token": "ghp_alice", "permissions": ["threads:write"]})
    .to_string();

    println!(
        "\n1. per-call authorize (fresh instance + call), 10 interleaved batches of 500 calls"
    );
    for (action, value) in [
        (
            "read",
            json!({"thread_id": "0193e0a2-0000-7000-8000-000000000000"}),
        ),
        (
            "create",
            json!({"thread_id": "0193e0a2-0000-7000-8000-000000000000", "metadata": {"topic": "x"}, "if_exists": "raise"}),
        ),
    ] {
        let request = AuthzRequest {
            user: user.clone(),
            permissions: vec!["threads:write".into()],
            resource: "threads".into(),
            action: action.into(),
            is_studio_user: false,
            value: value.to_string(),
        };
        let (mut native, mut wasm) = (Vec::new(), Vec::new());
        for _ in 0..10 {
            for _ in 0..500 {
                let t = Instant::now();
                std::hint::black_box(native_owner(&request.user, &request.value));
                native.push(t.elapsed());
            }
            for _ in 0..500 {
                let t = Instant::now();
                let outcome = module.authorize(&request).await.unwrap();
                wasm.push(t.elapsed());
                std::hint::black_box(outcome);
            }
        }
        let n = report(&format!("native threads.{action}"), native);
        let w = report(&format!("WASM threads.{action}"), wasm);
        println!(
            "  WASM − native = {:.1} µs",
            (w.as_secs_f64() - n.as_secs_f64()) * 1e6
        );
    }

    // Both servers share one database: the owner-scoping one authorizes, the
    // API-key one (same keys) only authenticates.
    let authn = Project::new(
        Some(&g.apikey_auth),
        &g.on_behalf_graph,
        &standard_config(None),
    );
    let authn_config = wasmgate::config::load(&authn.config_file()).unwrap();
    let configs = [
        ("authenticated only (apikey-auth)", &authn_config),
        ("authenticated + authorized (owner-scoping)", &owner_config),
    ];
    let data = tempfile::tempdir().unwrap();
    let storage = Storage::open(data.path()).await.unwrap();

    println!(
        "\n2. authorized requests against SQLite with threads from {OWNERS} owners (alice owns 1%), 16 connections, {secs}s rounds"
    );
    let mut search_rps = Vec::new();
    let mut seeded = 0;
    for total in [1_000usize, 10_000] {
        let started = Instant::now();
        seed(&storage, seeded, total, owner_of).await;
        seeded = total;
        println!(
            "  -- {total} threads (seeded in {:.1}s)",
            started.elapsed().as_secs_f64()
        );
        search_rps.push(round(&storage, data.path(), &configs, secs).await);
    }
    storage.close().await;

    // The same 10,000 threads from 100 owners, but alice keeps the 10 she
    // has at 1,000: the 9,000 others belong to the 99 other owners. Her
    // search returns the same rows, so only other owners' data grew.
    let others = tempfile::tempdir().unwrap();
    let storage = Storage::open(others.path()).await.unwrap();
    seed(&storage, 0, 10_000, |i| {
        if i < 1_000 {
            owner_of(i)
        } else {
            owner_of(1 + i % (OWNERS - 1))
        }
    })
    .await;
    println!("  -- 10000 threads, alice still owns 10 (only other owners' threads grew)");
    search_rps.push(round(&storage, others.path(), &configs[1..], secs).await);
    storage.close().await;

    println!(
        "\n  authorized search throughput at 10,000 threads, relative to 1,000 (flat = index lookups; a scan of everyone's threads would fall towards 10%):\n    alice's rows grew with the rest (10 -> 100): {:.0}%\n    only other owners' rows grew:                {:.0}%",
        100.0 * search_rps[1] / search_rps[0],
        100.0 * search_rps[2] / search_rps[0]
    );
}

/// Serves `data` with each config in turn and measures alice's `GET
/// /threads/{id}` and `POST /threads/search`; prints the query plan of her
/// owner-filtered search (which must use the metadata index) and returns
/// the search throughput of the last config.
async fn round(
    storage: &Storage,
    data: &std::path::Path,
    configs: &[(&str, &wasmgate::config::Config)],
    secs: f64,
) -> f64 {
    let q = ThreadQuery {
        filter: Filter::parse(&json!({"owner": owner_of(0)})).unwrap(),
        ..ThreadQuery::default()
    };
    let plan = storage.explain_thread_search(&q).await.unwrap();
    println!(
        "     query plan of the owner-filtered search: {}",
        plan.replace('\n', " | ")
    );
    assert!(
        plan.contains("thread_meta_lookup"),
        "the owner search does not use the metadata index: {plan}"
    );
    let (threads, _) = storage
        .search_threads(
            &q,
            wasmgate::storage::Sort {
                column: "created_at",
                desc: true,
            },
            wasmgate::storage::Page {
                limit: 1,
                offset: 0,
            },
        )
        .await
        .unwrap();
    let one = format!("/threads/{}", threads[0].thread_id);
    let search = load::post("/threads/search", "alice-key", r#"{"limit": 10}"#);
    let mut row = Vec::new();
    for (label, config) in configs {
        let app = wasmgate::App::build(config, data).await.unwrap();
        let server = Server::serve(app).await;
        let addr = server.url.trim_start_matches("http://").to_string();
        let mut rps = [0.0f64; 2];
        for (i, request) in [load::get(&one, "alice-key"), search.clone()]
            .into_iter()
            .enumerate()
        {
            let addr = addr.clone();
            rps[i] = tokio::task::spawn_blocking(move || load::throughput(addr, request, 16, secs))
                .await
                .unwrap();
        }
        println!(
            "     {label:<44} GET /threads/{{id}} {:>7.0} req/s   POST /threads/search {:>7.0} req/s",
            rps[0], rps[1]
        );
        row.push(rps);
        server.stop().await;
    }
    if let [authn, authz] = row[..] {
        println!(
            "     authorized / authenticated-only: GET {:.0}%, search {:.0}%",
            100.0 * authz[0] / authn[0],
            100.0 * authz[1] / authn[1]
        );
    }
    row.last().unwrap()[1]
}
