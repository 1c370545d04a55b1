//! The differential tests: a request script (`tests/compare/driver.py`) runs
//! against the reference LangGraph server (`langgraph dev`) and against
//! wasmgate in development mode with the same graph
//! (`tests/fixtures/whoami-graph`). Statuses and visible resources must
//! match, except the differences listed, each with both sides' expected
//! outcome, in a differences file.
//!
//! - `owner`: the Python owner-scoping handler in `tests/compare/reference/`
//!   against `examples/owner-scoping`; differences in
//!   `tests/compare/differences.json`.
//! - `probe`: the rule table `tests/compare/probe/rules.json`, served by
//!   `tests/compare/probe/auth.py` and by `tests/fixtures/authz-probe` (as
//!   its `rules` setting), aimed at wasmgate's deliberate differences;
//!   differences in `tests/compare/differences-probe.json`.

use std::process::Command;

use serde_json::{Value, json};
use wasmgate_e2e::{Project, Server, guests, repo_root};

/// Starts wasmgate in dev mode with `auth_crate` and the whoami graph under
/// `config`, and runs `compare.py --scenario <scenario>` against it and an
/// automatically started reference server.
async fn compare_with_reference(
    scenario: &str,
    auth_crate: &str,
    config: &Value,
    differences: &str,
) {
    let python = std::env::var("WASMGATE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    assert!(
        std::env::var_os("WASMGATE_REFERENCE_LANGGRAPH").is_some(),
        "the reference server is not installed: run the suite with scripts/test.sh (it calls ensure_reference_server)"
    );
    let g = guests();
    let project = Project::new(Some(&g.path(auth_crate)), &g.path("whoami-graph"), config);
    let server = Server::start_dev(&project).await;
    let url = server.url.clone();
    let out = project.dir.path().join("results");
    let scenario_arg = scenario.to_owned();
    let differences = repo_root().join(differences);
    let status = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(repo_root().join("tests/compare/compare.py"))
            .args(["--scenario", &scenario_arg])
            .args(["--reference", "auto", "--candidate", &url, "--differences"])
            .arg(differences)
            .arg("--out-dir")
            .arg(&out)
            .status()
    })
    .await
    .unwrap()
    .expect("cannot run tests/compare/compare.py");
    assert!(
        status.success(),
        "scenario {scenario}: wasmgate and the reference server disagree beyond the listed differences (see the table above)"
    );
    server.stop().await;
}

fn json_file(path: &str) -> Value {
    let text = std::fs::read_to_string(repo_root().join(path))
        .unwrap_or_else(|err| panic!("cannot read {path}: {err}"));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{path} is not JSON: {err}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasmgate_matches_the_reference_langgraph_server_except_where_we_differ() {
    let config = json_file("examples/owner-scoping/langgraph.json");
    compare_with_reference(
        "owner",
        "owner-scoping",
        &config,
        "tests/compare/differences.json",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasmgate_differs_from_the_reference_exactly_where_documented() {
    let rules = json_file("tests/compare/probe/rules.json");
    let config = json!({
        "graphs": {"agent": "./agent.wasm"},
        "auth": {"path": "./auth.wasm"},
        "wasmgate": {"auth": {"settings": {"rules": rules}}}
    });
    compare_with_reference(
        "probe",
        "authz-probe",
        &config,
        "tests/compare/differences-probe.json",
    )
    .await;
}
