//! Hot-reload benchmark: `cargo bench -p wasmgate-e2e --bench reload`.
//!
//! Prints the reload latency — from the file landing (atomic rename) to the
//! new version serving — for the Rust example handler (`examples/apikey-auth`)
//! compiled cold and taken from the compilation cache, and the process RSS
//! after 10 and after 1,000 reloads. `WASMGATE_BENCH_RELOADS` changes the
//! 1,000.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use wasmgate_e2e::{Project, Server, guests, sha256, standard_config, wait_status};

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
    println!(
        "wasmgate reload benchmark (file landed → new version serving; includes the {} ms debounce)",
        20
    );
    println!("  Rust example handler: {} KiB", example.len() / 1024);

    let mut cold = Vec::new();
    for n in 0..15 {
        cold.push(reload(&mut server, &auth, &with_nonce(&example, 1_000_000 + n)).await);
    }
    let (a, b) = (with_nonce(&example, 1), with_nonce(&example, 2));
    reload(&mut server, &auth, &a).await;
    reload(&mut server, &auth, &b).await;
    let mut cached = Vec::new();
    for n in 0..30 {
        cached.push(reload(&mut server, &auth, if n % 2 == 0 { &a } else { &b }).await);
    }
    println!(
        "  cold compile: median {:.1} ms (target ≤ 250 ms), max {:.1} ms",
        ms(median(cold.clone())),
        ms(*cold.iter().max().unwrap())
    );
    println!(
        "  cached:       median {:.1} ms (target ≤ 50 ms), max {:.1} ms",
        ms(median(cached.clone())),
        ms(*cached.iter().max().unwrap())
    );

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
}
