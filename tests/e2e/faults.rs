//! A handler that traps, loops, exhausts its memory or returns a malformed
//! user fails closed: a generic 500, nobody authenticated, and the next good
//! request is served normally. The fixture `tests/fixtures/faulty-auth`
//! misbehaves on demand (header `x-fault`) and is an API-key handler otherwise.

use std::time::{Duration, Instant};

use serde_json::json;
use wasmgate_e2e::{Project, Server, client, demo_keys, guests};

const GENERIC: &str = "authentication handler failed; the request was not authenticated";

fn project(max_concurrency: usize, timeout_ms: u64) -> Project {
    let g = guests();
    let config = json!({
        "graphs": {"agent": "./agent.wasm"},
        "auth": {"path": "./auth.wasm"},
        "wasmgate": {
            "auth": {
                "settings": {"api_keys": demo_keys()},
                "limits": {"timeout_ms": timeout_ms, "memory_mib": 32}
            },
            "max_concurrency": max_concurrency
        }
    });
    Project::new(Some(&g.faulty_auth), &g.on_behalf_graph, &config)
}

async fn send(
    c: &reqwest::Client,
    url: &str,
    fault: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let mut req = c
        .post(format!("{url}/threads"))
        .header("x-api-key", "alice-key")
        .json(&json!({}));
    if let Some(f) = fault {
        req = req.header("x-fault", f);
    }
    let resp = req.send().await.expect("the server answers");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(serde_json::Value::Null);
    (status, headers, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_fails_closed_and_the_next_request_succeeds() {
    let project = project(64, 100);
    let server = Server::start(&project).await;
    let c = client();
    let (status, _, _) = send(&c, &server.url, None).await;
    assert_eq!(status, 200, "the fixture authenticates good requests");
    for fault in ["trap", "loop", "oom", "malformed", "not-json", "reserved"] {
        let started = Instant::now();
        let (status, _, body) = send(&c, &server.url, Some(fault)).await;
        assert_eq!(status, 500, "fault {fault}: {body}");
        assert_eq!(
            body,
            json!({"detail": GENERIC}),
            "fault {fault}: no detail leaks"
        );
        if fault == "loop" {
            // Deadline 100 ms: the answer comes from the deadline, not the client timeout.
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "loop answered after {:?}",
                started.elapsed()
            );
        }
        let (status, _, body) = send(&c, &server.url, None).await;
        assert_eq!(status, 200, "after {fault}: {body}");
        assert!(body["thread_id"].is_string());
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_http_error_status_and_its_headers_are_kept() {
    let project = project(64, 100);
    let server = Server::start(&project).await;
    let (status, headers, body) = send(&client(), &server.url, Some("status-418")).await;
    assert_eq!((status, body), (418, json!({"detail": "teapot"})));
    assert_eq!(headers["x-fixture"], "yes");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_concurrency_bound_requests_get_503_not_a_pool_failure() {
    // One instance slot; a looping request holds it for its 2 s deadline.
    let project = project(1, 2000);
    let server = Server::start(&project).await;
    let c = client();
    // The hog races the probes for the one slot; if a probe holds it when
    // the hog arrives, the hog itself gets 503 and we try again (bounded).
    let mut attempts = 0;
    let body = loop {
        attempts += 1;
        assert!(
            attempts <= 20,
            "the looping request never got the only slot"
        );
        let url = server.url.clone();
        let hog = tokio::spawn({
            let c = c.clone();
            async move { send(&c, &url, Some("loop")).await }
        });
        // Bounded: the hog's deadline ends the window; we stop at the first 503.
        let mut saw_busy = None;
        for _ in 0..10_000 {
            let (status, headers, body) = send(&c, &server.url, None).await;
            if status == 503 {
                saw_busy = Some((headers, body));
                break;
            }
            if hog.is_finished() {
                break;
            }
        }
        let (status, _, _) = hog.await.unwrap();
        if status == 503 {
            continue;
        }
        assert_eq!(status, 500, "the hog hits its deadline");
        let (_, body) = saw_busy.expect("a request made while the only slot was held got 503");
        break body;
    };
    assert!(body["detail"].as_str().unwrap().contains("busy"), "{body}");
    let (status, _, _) = send(&c, &server.url, None).await;
    assert_eq!(status, 200, "the slot is free again");
    server.stop().await;
}

/// Swap and the fast memory reset: wasmtime 48's `PAGEMAP_SCAN` reset skips a
/// written page that is swapped out, which would hand it to the next request.
/// The runtime uses that reset only while no swap can hold guest pages, and
/// fails every call closed if swap appears later. `/proc/swaps` and the
/// cgroup files are read from a directory the test controls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swap_turns_off_the_fast_reset_and_swap_appearing_later_fails_closed() {
    use wasmgate::plugin::swap::Sources;
    use wasmgate::plugin::{AuthRequest, Fault, MemoryReset, Runtime, RuntimeOptions};

    const HEADER: &str = "Filename\tType\tSize\tUsed\tPriority\n";
    let dir = tempfile::tempdir().unwrap();
    let sources = Sources {
        swaps: dir.path().join("swaps"),
        self_cgroup: dir.path().join("cgroup"),
        cgroup_root: dir.path().join("fs"),
    };
    std::fs::write(&sources.swaps, HEADER).unwrap();
    std::fs::write(&sources.self_cgroup, "0::/wasmgate\n").unwrap();

    let project = project(8, 2000);
    let config = wasmgate::config::load(&project.config_file()).unwrap();
    let module_config = &config.auth.as_ref().unwrap().module;
    let options = RuntimeOptions {
        max_concurrency: 8,
        cache_dir: None,
    };
    let request = AuthRequest {
        method: "POST".into(),
        path: "/threads".into(),
        query: String::new(),
        headers: vec![("x-api-key".into(), b"alice-key".to_vec())],
    };

    // No swap: the fast reset, and calls succeed.
    let runtime = Runtime::with_swap_sources(&options, sources.clone()).unwrap();
    let module = runtime.load_auth(module_config).await.unwrap();
    let user = module.authenticate(&request).await.unwrap().unwrap();
    assert_eq!(user.identity, "alice");
    if !runtime.is_pooling() {
        // Without the pool there is no slot reuse and nothing to watch.
        assert_eq!(runtime.memory_reset(), &MemoryReset::OnDemand);
        return;
    }
    assert_eq!(runtime.memory_reset(), &MemoryReset::PagemapScan);

    // Swap appears: within a recheck period (5 s) every call fails closed.
    std::fs::write(
        &sources.swaps,
        format!("{HEADER}/swapfile\tfile\t1048572\t0\t-2\n"),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let reason = loop {
        match module.authenticate(&request).await {
            Ok(Ok(_)) => assert!(Instant::now() < deadline, "swap was never noticed"),
            Err(Fault::Isolation(reason)) => break reason,
            other => panic!("unexpected outcome {other:?}"),
        }
        tokio::task::yield_now().await;
    };
    assert!(reason.contains("swap is on (/swapfile)"), "{reason}");
    assert!(reason.contains("restart wasmgate"), "{reason}");
    assert!(
        matches!(
            module.authenticate(&request).await,
            Err(Fault::Isolation(_))
        ),
        "it stays closed"
    );

    // Restarted with swap on: the swap-safe reset, and calls succeed.
    let restarted = Runtime::with_swap_sources(&options, sources.clone()).unwrap();
    assert_eq!(
        restarted.memory_reset(),
        &MemoryReset::Madvise {
            why: "swap is on (/swapfile)".into()
        }
    );
    let module = restarted.load_auth(module_config).await.unwrap();
    for _ in 0..3 {
        let user = module.authenticate(&request).await.unwrap().unwrap();
        assert_eq!(user.identity, "alice");
    }

    // A cgroup that forbids swap makes the fast reset safe again.
    std::fs::create_dir_all(sources.cgroup_root.join("wasmgate")).unwrap();
    std::fs::write(sources.cgroup_root.join("wasmgate/memory.swap.max"), "0\n").unwrap();
    let contained = Runtime::with_swap_sources(&options, sources).unwrap();
    assert_eq!(contained.memory_reset(), &MemoryReset::PagemapScan);
}
