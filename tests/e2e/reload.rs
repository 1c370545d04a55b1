//! Hot reload under load: modules replaced while clients hammer the server,
//! every way files really land, bad modules refused while the last good one
//! keeps serving, runs finishing on the graph they started with, live config
//! edits, and the compilation cache surviving corruption.
//!
//! Every wait is on the reload status channel (`wait_status`) or on a
//! response: nothing sleeps to synchronise.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde_json::{Value, json};
use wasmgate_e2e::{Project, Server, call, client, guests, sha256, wait_status};

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// The ways a file lands on disk.
#[derive(Clone, Copy, Debug)]
enum Landing {
    /// Write a temporary file, then rename it over the target.
    AtomicRename,
    /// Truncate and overwrite in place (`cp` over the old file).
    CopyOver,
    /// Delete, then create.
    DeleteRecreate,
    /// Overwrite in place in several chunks, flushing each.
    Chunked,
}

fn land(path: &Path, bytes: &[u8], how: Landing) {
    match how {
        Landing::AtomicRename => {
            let tmp = path.with_extension("wasm.tmp~");
            std::fs::write(&tmp, bytes).unwrap();
            std::fs::rename(&tmp, path).unwrap();
        }
        Landing::CopyOver => std::fs::write(path, bytes).unwrap(),
        Landing::DeleteRecreate => {
            std::fs::remove_file(path).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        Landing::Chunked => {
            let mut f = std::fs::File::create(path).unwrap();
            for chunk in bytes.chunks(bytes.len() / 4 + 1) {
                f.write_all(chunk).unwrap();
                f.flush().unwrap();
            }
        }
    }
}

fn tagged_project() -> Project {
    let g = guests();
    let config = json!({
        "graphs": {"agent": "./agent.wasm"},
        "auth": {"path": "./auth.wasm"},
    });
    Project::new(
        Some(&g.path("tagged-auth-a")),
        &g.path("tagged-graph-a"),
        &config,
    )
}

fn active(status: &wasmgate::reload::Status, role: &str) -> Option<String> {
    status.modules.get(role).and_then(|m| m.sha256.clone())
}

fn refused(status: &wasmgate::reload::Status, role: &str) -> Option<String> {
    status
        .modules
        .get(role)
        .and_then(|m| m.last_error.as_ref())
        .and_then(|e| e.sha256.clone())
}

/// The tag of the auth version that answers now (from its 401 detail).
async fn auth_tag(c: &reqwest::Client, url: &str) -> String {
    let (status, _, body) = call(
        c,
        url,
        "GET",
        "/threads/00000000-0000-7000-8000-000000000000",
        Some("bad"),
        None,
    )
    .await;
    assert_eq!(status, 401, "{body}");
    body["detail"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auth_module_is_replaced_60_times_under_load_without_a_failed_request() {
    let g = guests();
    let a = read(&g.path("tagged-auth-a"));
    let b = read(&g.path("tagged-auth-b"));
    let wrong_exports = read(&g.path("tagged-graph-a"));
    let ungranted = read(&g.path("ungranted-import"));
    let project = tagged_project();
    let auth_path = project.dir.path().join("auth.wasm");
    let mut server = Server::start(&project).await;
    let url = server.url.clone();

    // Load: authenticated thread creation, refusals that name the version,
    // and graph runs, from four concurrent clients until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    for n in 0..4 {
        let (stop, served, url) = (stop.clone(), served.clone(), url.clone());
        clients.push(tokio::spawn(async move {
            let c = client();
            let mut failures = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let (status, _, body) = match n % 3 {
                    0 => call(&c, &url, "POST", "/threads", Some("ok"), Some(json!({}))).await,
                    1 => {
                        call(
                            &c,
                            &url,
                            "GET",
                            "/threads/00000000-0000-7000-8000-000000000000",
                            Some("bad"),
                            None,
                        )
                        .await
                    }
                    _ => {
                        call(
                            &c,
                            &url,
                            "POST",
                            "/runs/wait",
                            Some("ok"),
                            Some(json!({"assistant_id": "agent"})),
                        )
                        .await
                    }
                };
                let ok = match n % 3 {
                    0 => status == 200,
                    1 => {
                        status == 401
                            && ["tag-a", "tag-b"].contains(&body["detail"].as_str().unwrap_or(""))
                    }
                    _ => {
                        status == 200
                            && ["tag-a", "tag-b"].contains(&body["caller"].as_str().unwrap_or(""))
                    }
                };
                if !ok {
                    failures.push(format!("{status} {body}"));
                }
                served.fetch_add(1, Ordering::Relaxed);
            }
            failures
        }));
    }

    let c = client();
    assert_eq!(auth_tag(&c, &url).await, "tag-a");
    let landings = [
        Landing::AtomicRename,
        Landing::CopyOver,
        Landing::DeleteRecreate,
        Landing::Chunked,
    ];
    let mut current = sha256(&a);
    for i in 0..60 {
        let (bytes, tag) = if i % 2 == 0 {
            (&b, "tag-b")
        } else {
            (&a, "tag-a")
        };
        let how = landings[i % landings.len()];
        land(&auth_path, bytes, how);
        let want = sha256(bytes);
        wait_status(
            &mut server.status,
            &format!("version {tag} serving after {how:?}"),
            |s| active(s, "auth").as_deref() == Some(want.as_str()),
        )
        .await;
        assert_eq!(auth_tag(&c, &url).await, tag, "round {i}: {how:?}");
        current = want;

        // Every tenth round, a bad module lands and must be refused.
        if i % 10 == 5 {
            let half = &bytes[..bytes.len() / 2];
            for (what, bad) in [
                ("garbage", b"definitely not wasm".to_vec()),
                ("half-written file", half.to_vec()),
                (
                    "wrong exports (a graph at the auth path)",
                    wrong_exports.clone(),
                ),
                ("an import wasmgate does not grant", ungranted.clone()),
            ] {
                land(&auth_path, &bad, Landing::CopyOver);
                let bad_sha = sha256(&bad);
                let status = wait_status(&mut server.status, &format!("{what} refused"), |s| {
                    refused(s, "auth").as_deref() == Some(bad_sha.as_str())
                })
                .await;
                assert_eq!(
                    active(&status, "auth").as_deref(),
                    Some(current.as_str()),
                    "{what} took over"
                );
                let message = &status.modules["auth"].last_error.as_ref().unwrap().message;
                assert!(
                    message.contains("auth.wasm") && message.contains(&bad_sha),
                    "{message}"
                );
                if what.contains("grant") {
                    assert!(
                        message.contains("wasmgate-test:ungranted/backdoor"),
                        "the refusal names the import: {message}"
                    );
                }
                assert_eq!(
                    auth_tag(&c, &url).await,
                    tag,
                    "after {what}, the last good version serves"
                );
            }
        }
    }

    stop.store(true, Ordering::Relaxed);
    let mut failures = Vec::new();
    for t in clients {
        failures.extend(t.await.unwrap());
    }
    assert!(
        failures.is_empty(),
        "{} failed requests, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert!(served.load(Ordering::Relaxed) > 100, "the load ran");
    let (_, _, info) = call(&c, &url, "GET", "/info", None, None).await;
    let auth = info["wasmgate"]["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "auth")
        .unwrap()
        .clone();
    assert_eq!(auth["reloads"], 60, "{auth}");
    assert_eq!(auth["sha256"], Value::from(current));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_saves_ends_on_the_last_one() {
    let g = guests();
    let (a, b) = (
        read(&g.path("tagged-auth-a")),
        read(&g.path("tagged-auth-b")),
    );
    let project = tagged_project();
    let auth_path = project.dir.path().join("auth.wasm");
    let mut server = Server::start(&project).await;
    for bytes in [&b, &a, &b, &a, &b] {
        land(&auth_path, bytes, Landing::AtomicRename);
    }
    let want = sha256(&b);
    wait_status(&mut server.status, "the last save serving", |s| {
        active(s, "auth").as_deref() == Some(want.as_str())
    })
    .await;
    assert_eq!(auth_tag(&client(), &server.url).await, "tag-b");
    // Editors' temporary files beside the module change nothing.
    let (before, before_generation) = {
        let s = server.status.borrow();
        (s.modules["auth"].clone(), s.generation)
    };
    std::fs::write(project.dir.path().join(".auth.wasm.swp"), b"editor state").unwrap();
    std::fs::write(project.dir.path().join("auth.wasm~"), &a).unwrap();
    // Unchanged bytes are a no-op: rewrite the same module, wait for its recheck.
    let generation = before_generation;
    land(&auth_path, &b, Landing::CopyOver);
    let after = wait_status(&mut server.status, "a recheck", |s| {
        s.generation > generation
    })
    .await;
    assert_eq!(after.modules["auth"].sha256, before.sha256);
    assert_eq!(after.modules["auth"].reloads, before.reloads);
    assert_eq!(auth_tag(&client(), &server.url).await, "tag-b");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_in_flight_finishes_on_the_graph_it_started_with() {
    let g = guests();
    let b = read(&g.path("tagged-graph-b"));
    let project = tagged_project();
    let mut server = Server::start(&project).await;
    let c = client();
    let (_, _, thread) = call(
        &c,
        &server.url,
        "POST",
        "/threads",
        Some("ok"),
        Some(json!({})),
    )
    .await;
    let tid = thread["thread_id"].as_str().unwrap().to_string();

    let slow = tokio::spawn({
        let (c, url, tid) = (c.clone(), server.url.clone(), tid.clone());
        async move {
            call(
                &c,
                &url,
                "POST",
                &format!("/threads/{tid}/runs/wait"),
                Some("ok"),
                Some(json!({"assistant_id": "agent", "input": {"spin_ms": 4000}})),
            )
            .await
        }
    });
    // The run is in flight once its thread is busy.
    loop {
        let (_, _, t) = call(
            &c,
            &server.url,
            "GET",
            &format!("/threads/{tid}"),
            Some("ok"),
            None,
        )
        .await;
        if t["status"] == "busy" {
            break;
        }
        assert!(
            !slow.is_finished(),
            "the slow run ended before it was seen in flight"
        );
        tokio::task::yield_now().await;
    }
    land(
        &project.dir.path().join("agent.wasm"),
        &b,
        Landing::AtomicRename,
    );
    let want = sha256(&b);
    wait_status(&mut server.status, "graph b serving", |s| {
        active(s, "graph:agent").as_deref() == Some(want.as_str())
    })
    .await;
    let (status, _, out) = call(
        &c,
        &server.url,
        "POST",
        "/runs/wait",
        Some("ok"),
        Some(json!({"assistant_id": "agent"})),
    )
    .await;
    assert_eq!(
        (status, out["version"].clone()),
        (200, json!("b")),
        "new runs use the new graph"
    );
    assert!(
        !slow.is_finished(),
        "the old run is still running while the new graph serves"
    );
    let (status, _, out) = slow.await.unwrap();
    assert_eq!(
        (status, out["version"].clone()),
        (200, json!("a")),
        "the old run finished on the old graph: {out}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_edits_apply_live_and_an_invalid_edit_is_refused() {
    let g = guests();
    let project = tagged_project();
    let dir = project.dir.path();
    std::fs::copy(g.path("tagged-auth-b"), dir.join("other-auth.wasm")).unwrap();
    std::fs::copy(g.path("tagged-graph-b"), dir.join("second.wasm")).unwrap();
    let mut server = Server::start(&project).await;
    let c = client();

    // Point auth.path at another module and add a graph.
    let edited = json!({
        "graphs": {"agent": "./agent.wasm", "second": "./second.wasm"},
        "auth": {"path": "./other-auth.wasm"},
    });
    let text = serde_json::to_vec_pretty(&edited).unwrap();
    land(&project.config_file(), &text, Landing::AtomicRename);
    let want = sha256(&read(&g.path("tagged-auth-b")));
    wait_status(&mut server.status, "the edited config serving", |s| {
        active(s, "auth").as_deref() == Some(want.as_str())
            && s.modules.contains_key("graph:second")
    })
    .await;
    assert_eq!(auth_tag(&c, &server.url).await, "tag-b");
    let (status, _, out) = call(
        &c,
        &server.url,
        "POST",
        "/runs/wait",
        Some("ok"),
        Some(json!({"assistant_id": "second"})),
    )
    .await;
    assert_eq!((status, out["version"].clone()), (200, json!("b")), "{out}");

    // An invalid edit is refused; the previous config keeps serving.
    let broken = b"{\"graphs\": {\"agent\": ";
    land(&project.config_file(), broken, Landing::CopyOver);
    let broken_sha = sha256(broken);
    let status = wait_status(&mut server.status, "the broken config refused", |s| {
        s.config
            .last_error
            .as_ref()
            .and_then(|e| e.sha256.as_deref())
            == Some(broken_sha.as_str())
    })
    .await;
    let message = &status.config.last_error.as_ref().unwrap().message;
    assert!(
        message.contains("langgraph.json") && message.contains("invalid JSON"),
        "{message}"
    );
    assert_eq!(auth_tag(&c, &server.url).await, "tag-b");
    let (status, _, _) = call(
        &c,
        &server.url,
        "POST",
        "/runs/wait",
        Some("ok"),
        Some(json!({"assistant_id": "second"})),
    )
    .await;
    assert_eq!(status, 200);

    // Removing the graph from a valid config removes it.
    let text = serde_json::to_vec_pretty(
        &json!({"graphs": {"agent": "./agent.wasm"}, "auth": {"path": "./other-auth.wasm"}}),
    )
    .unwrap();
    land(&project.config_file(), &text, Landing::AtomicRename);
    wait_status(&mut server.status, "graph second removed", |s| {
        !s.modules.contains_key("graph:second")
    })
    .await;
    let (status, _, _) = call(
        &c,
        &server.url,
        "POST",
        "/runs/wait",
        Some("ok"),
        Some(json!({"assistant_id": "second"})),
    )
    .await;
    assert_eq!(status, 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compilation_cache_is_used_and_survives_corruption() {
    let project = tagged_project();
    let server = Server::start(&project).await;
    server.stop().await;
    let cache = project.data_dir().join("compiled");
    let files: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let mut entries: Vec<_> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .cloned()
        .collect();
    entries.sort();
    assert_eq!(entries.len(), 2, "one entry per module: {files:?}");
    assert_eq!(
        files.len(),
        4,
        "each artifact has its checksum file: {files:?}"
    );
    let good: Vec<Vec<u8>> = entries.iter().map(|p| read(p)).collect();

    // Corrupt both entries: one truncated, one with a flipped byte.
    std::fs::write(&entries[0], &good[0][..good[0].len() / 3]).unwrap();
    let mut flipped = good[1].clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0xff;
    std::fs::write(&entries[1], &flipped).unwrap();

    let server = Server::start(&project).await;
    assert_eq!(
        auth_tag(&client(), &server.url).await,
        "tag-a",
        "serves from recompiled modules"
    );
    server.stop().await;
    for (path, good) in entries.iter().zip(&good) {
        assert_eq!(&read(path), good, "{} was rewritten whole", path.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_importing_an_ungranted_capability_never_starts() {
    let g = guests();
    let project = Project::new(
        Some(&g.path("ungranted-import")),
        &g.path("tagged-graph-a"),
        &json!({
            "graphs": {"agent": "./agent.wasm"},
            "auth": {"path": "./auth.wasm"},
        }),
    );
    let config = wasmgate::config::load(&project.config_file()).unwrap();
    let err = match wasmgate::App::build(&config, &project.data_dir()).await {
        Ok(_) => panic!("a handler importing an ungranted capability was loaded"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.contains("auth.wasm") && err.contains("wasmgate-test:ungranted/backdoor"),
        "{err}"
    );
}
