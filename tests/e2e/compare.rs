//! The differential test: the same request script (`tests/compare/driver.py`)
//! runs against the reference LangGraph server (`langgraph dev` with the
//! Python owner-scoping handler in `tests/compare/reference/`) and against
//! wasmgate in development mode with `examples/owner-scoping` and the same
//! graph (`tests/fixtures/whoami-graph`). Statuses and
//! visible resources must match, except the differences listed, each with
//! both sides' expected outcome, in `tests/compare/differences.json`.

use std::process::Command;

use wasmgate_e2e::{Project, Server, guests, repo_root};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasmgate_matches_the_reference_langgraph_server_except_where_we_differ() {
    let python = std::env::var("WASMGATE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    assert!(
        std::env::var_os("WASMGATE_REFERENCE_LANGGRAPH").is_some(),
        "the reference server is not installed: run the suite with scripts/test.sh (it calls ensure_reference_server)"
    );
    let g = guests();
    let config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("examples/owner-scoping/langgraph.json"))
            .unwrap(),
    )
    .unwrap();
    let project = Project::new(
        Some(&g.path("owner-scoping")),
        &g.path("whoami-graph"),
        &config,
    );
    let server = Server::start_dev(&project).await;
    let url = server.url.clone();
    let out = project.dir.path().join("results");
    let status = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(repo_root().join("tests/compare/compare.py"))
            .args(["--reference", "auto", "--candidate", &url, "--differences"])
            .arg(repo_root().join("tests/compare/differences.json"))
            .arg("--out-dir")
            .arg(&out)
            .status()
    })
    .await
    .unwrap()
    .expect("cannot run tests/compare/compare.py");
    assert!(
        status.success(),
        "wasmgate and the reference server disagree beyond the listed differences (see the table above)"
    );
    server.stop().await;
}
