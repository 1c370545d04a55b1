//! Hot-reload benchmark: `cargo bench -p wasmgate-e2e --bench reload`.
//!
//! Prints the reload latency — from the file landing (atomic rename) to the
//! new version serving — for the Rust example handler (`examples/apikey-auth`)
//! and for the larger Python and JavaScript builds of the shared policy
//! (`examples/policy-python`, `examples/policy-js`), each compiled cold, taken
//! from the on-disk compilation cache (as after a restart) and taken from the
//! runtime's memory of the last components it served (a rollback), and the
//! process RSS after 10 and after 1,000 reloads of the Rust handler. `WASMGATE_BENCH_RELOADS` changes the
//! 1,000.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use wasmgate_e2e::{
    Project, Server, build_policy, guests, policy_config, sha256, standard_config, wait_status,
};

/// A copy of a component with a custom section appended: valid, behaves the
/// same, but has bytes (and a sha256) never seen before, so it compiles cold.
fn with_nonce(component: &[u8], nonce: u64) -> Vec<u8> {
    let name = b"wasmgate-bench-nonce";
    let mut payload = vec![name.len() as u8];
    payload.extend_from_slice(name);
    payload.extend_from_slice(&nonce.to_le_bytes());
    let mut out = component.to_vec();
    out.push(0); // custom section id
    let mut len = payload.len();
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(&payload);
    out
}

fn land(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("wasm.tmp~");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

async fn reload(server: &mut Server, path: &Path, bytes: &[u8]) -> Duration {
    let want = sha256(bytes);
    let started = Instant::now();
    land(path, bytes);
    wait_status(&mut server.status, "the new version serving", |s| {
        s.modules.get("auth").and_then(|m| m.sha256.as_deref()) == Some(want.as_str())
    })
    .await;
    started.elapsed()
}

fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: f64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096.0 / (1024.0 * 1024.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let reloads: usize = std::env::var("WASMGATE_BENCH_RELOADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let g = guests();
    let example = std::fs::read(&g.apikey_auth).unwrap();
    let project = Project::new(
        Some(&g.apikey_auth),
        &g.on_behalf_graph,
        &standard_config(None),
    );
    let auth = project.dir.path().join("auth.wasm");
    let mut server = Server::start(&project).await;
    println!("wasmgate reload benchmark (file landed by atomic rename → new version serving)");
    println!("  Rust example handler: {} KiB", example.len() / 1024);

    let (a, b) = latencies(&mut server, &auth, &example, 15, 30).await;

    // Memory: alternate the two cached versions.
    let mut rss_at_10 = 0.0;
    for n in 0..reloads {
        reload(&mut server, &auth, if n % 2 == 0 { &a } else { &b }).await;
        if n + 1 == 10 {
            rss_at_10 = rss_mib();
        }
    }
    let rss_end = rss_mib();
    println!(
        "  RSS after 10 reloads {rss_at_10:.1} MiB, after {reloads} reloads {rss_end:.1} MiB ({:+.1} MiB)",
        rss_end - rss_at_10
    );
    // The server still answers after all of it.
    let resp = reqwest::Client::new()
        .post(format!("{}/threads", server.url))
        .header("x-api-key", "alice-key")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    server.stop().await;

    // The big guests: compiling them takes seconds, so fewer cold rounds.
    let dir = tempfile::tempdir().unwrap();
    for lang in ["python", "js"] {
        let module = build_policy(lang, &dir.path().join(format!("policy-{lang}.wasm")));
        let bytes = std::fs::read(&module).unwrap();
        let project = Project::new(Some(&module), &g.on_behalf_graph, &policy_config(lang));
        let auth = project.dir.path().join("auth.wasm");
        let mut server = Server::start(&project).await;
        println!("  {lang} policy handler: {} KiB", bytes.len() / 1024);
        latencies(&mut server, &auth, &bytes, 5, 10).await;
        server.stop().await;
    }
}

/// Reloads `component` into `auth` as `cold_n` (at least 5) versions never
/// seen (compiled cold), then as those versions again in the same order
/// (each has left the runtime's last-4 memory by then, so it comes from the
/// disk cache, as after a restart), then `memory_n` times alternating two
/// versions (the last-served ones stay in memory: a rollback). Prints the
/// medians; returns the two alternating versions.
async fn latencies(
    server: &mut Server,
    auth: &Path,
    component: &[u8],
    cold_n: u64,
    memory_n: usize,
) -> (Vec<u8>, Vec<u8>) {
    assert!(
        cold_n >= 5,
        "the disk round needs more versions than memory keeps"
    );
    let versions: Vec<Vec<u8>> = (0..cold_n)
        .map(|n| with_nonce(component, 1_000_000 + n))
        .collect();
    let mut cold = Vec::new();
    for v in &versions {
        cold.push(reload(server, auth, v).await);
    }
    let mut disk = Vec::new();
    for v in &versions {
        disk.push(reload(server, auth, v).await);
    }
    let (a, b) = (with_nonce(component, 1), with_nonce(component, 2));
    reload(server, auth, &a).await;
    reload(server, auth, &b).await;
    let mut memory = Vec::new();
    for n in 0..memory_n {
        memory.push(reload(server, auth, if n % 2 == 0 { &a } else { &b }).await);
    }
    for (what, samples, target) in [
        ("cold compile", cold, "Rust target ≤ 250 ms"),
        ("disk cache  ", disk, "target ≤ 50 ms"),
        ("in memory   ", memory, "target ≤ 50 ms"),
    ] {
        println!(
            "    {what}: median {:7.1} ms ({target}), max {:7.1} ms",
            ms(median(samples.clone())),
            ms(*samples.iter().max().unwrap())
        );
    }
    (a, b)
}
