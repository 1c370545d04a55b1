//! The real `wasmgate` binary: started as a user would, driven by the
//! official `langgraph-sdk` Python client, and stopped with SIGTERM. Also its
//! start-up errors: a bad config names the file and the JSON path.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::json;
use wasmgate_e2e::{Project, demo_keys, guests, masked, repo_root, standard_config};

/// The binary built next to this test (`cargo build --release -p wasmgate`,
/// which the test command runs first).
fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join("wasmgate");
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build --release -p wasmgate` (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// The Python with `langgraph-sdk` installed (scripts/test.sh sets it up).
fn python() -> String {
    let py = std::env::var("WASMGATE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", "import langgraph_sdk"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{py} cannot import langgraph_sdk: run the suite with scripts/test.sh, which installs it, or set WASMGATE_TEST_PYTHON"
    );
    py
}

struct Running {
    child: Child,
    url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(project: &Project) -> Running {
    let mut child = Command::new(binary())
        .args(["serve", "--port", "0", "--config"])
        .arg(project.config_file())
        .env("WASMGATE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("wasmgate listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    Running { child, url }
}

#[test]
fn the_official_python_sdk_works_unchanged() {
    let g = guests();
    let project = Project::new(
        Some(&g.apikey_auth),
        &g.on_behalf_graph,
        &standard_config(None),
    );
    let server = start(&project);
    let keys = demo_keys();
    let status = Command::new(python())
        .arg(repo_root().join("tests/python/sdk_e2e.py"))
        .arg(&server.url)
        .arg(masked(keys["alice-key"]["github_token"].as_str().unwrap()))
        .arg(masked(keys["bob-key"]["github_token"].as_str().unwrap()))
        .status()
        .unwrap();
    assert!(status.success(), "the langgraph-sdk script failed");
    // A graceful stop on SIGTERM.
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut server = server;
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "wasmgate exited with {exit:?} on SIGTERM");
}

#[test]
fn a_bad_config_is_refused_naming_the_file_and_the_json_path() {
    let g = guests();
    let mut config = standard_config(None);
    config["wasmgate"]["auth"]["limits"] = json!({"timeout_ms": "soon"});
    let project = Project::new(Some(&g.apikey_auth), &g.on_behalf_graph, &config);
    let out = Command::new(binary())
        .args(["serve", "--port", "0", "--config"])
        .arg(project.config_file())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("langgraph.json"), "{stderr}");
    assert!(
        stderr.contains("wasmgate.auth.limits.timeout_ms"),
        "{stderr}"
    );
}

#[test]
fn a_module_that_is_not_a_component_is_refused_at_startup() {
    let g = guests();
    let project = Project::new(
        Some(&g.apikey_auth),
        &g.on_behalf_graph,
        &standard_config(None),
    );
    // A core module: the magic bytes of WebAssembly 1.0, nothing else.
    std::fs::write(project.dir.path().join("auth.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let out = Command::new(binary())
        .args(["serve", "--port", "0", "--config"])
        .arg(project.config_file())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("auth.wasm"), "{stderr}");
    assert!(stderr.contains("core WebAssembly module"), "{stderr}");
}

#[test]
fn a_busy_port_is_named_with_the_way_out() {
    let g = guests();
    let project = Project::new(
        Some(&g.apikey_auth),
        &g.on_behalf_graph,
        &standard_config(None),
    );
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(binary())
        .args(["serve", "--port", &port, "--config"])
        .arg(project.config_file())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("already in use") && stderr.contains("--port"),
        "{stderr}"
    );
}

#[test]
fn sighup_rechecks_settings_that_live_in_files() {
    let g = guests();
    let mut config = standard_config(None);
    config["wasmgate"]["auth"]["settings"]["api_keys"] = json!({"$file": "./keys.json"});
    let project = Project::new(Some(&g.apikey_auth), &g.on_behalf_graph, &config);
    let keys_file = project.dir.path().join("keys.json");
    std::fs::write(&keys_file, demo_keys().to_string()).unwrap();
    let server = start(&project);
    let addr = server.url.trim_start_matches("http://").to_string();
    let carol = || {
        http_status(
            &addr,
            "POST /threads HTTP/1.1\r\nhost: t\r\nx-api-key: carol-key\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
        )
    };
    assert_eq!(carol(), "401");
    // The secret file is not watched: the new key needs SIGHUP.
    let mut keys = demo_keys();
    keys["carol-key"] = json!({"identity": "carol"});
    std::fs::write(&keys_file, keys.to_string()).unwrap();
    assert_eq!(
        carol(),
        "401",
        "settings are resolved at load, not per request"
    );
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    // The recheck runs in the background after the signal; wait for its effect.
    let mut seen = String::new();
    for _ in 0..2000 {
        seen = carol();
        if seen == "200" {
            break;
        }
        std::thread::yield_now();
    }
    assert_eq!(seen, "200", "after SIGHUP the new key authenticates");
}

/// Sends one raw HTTP/1.1 request and returns the status code as text.
fn http_status(addr: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

/// Runs `wasmgate check ARGS...`; returns (success, stdout + stderr).
fn check(args: &[&str]) -> (bool, String) {
    let out = Command::new(binary())
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn check_reports_contract_coverage_samples_and_latency() {
    let g = guests();
    let owner = g.path("owner-scoping");
    let config = repo_root().join("examples/owner-scoping/langgraph.json");
    let request = r#"[{"headers": {"x-api-key": "alice-key"},
                       "authorize": {"resource": "threads", "action": "create", "value": {"metadata": {}}}},
                      {"headers": {"x-api-key": "wrong"}}]"#;
    let (ok, out) = check(&[
        owner.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--request",
        request,
        "--iterations",
        "20",
    ]);
    assert!(ok, "{out}");
    for want in [
        "contract: langgraph:auth@0.1.0, world `authorizer`",
        "authorization handlers: *.*, assistants.read, assistants.search, store.*",
        r#""identity":"alice""#,
        r#"authorize threads.create: filter {"owner":"alice"}, value edited to {"metadata":{"owner":"alice"}}"#,
        r#"refused: 401 {"detail":"Invalid API key"}"#,
        "authenticate: p50 ",
        "ok: no problems found",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    // The latency comes with where it went: instantiate, call, teardown.
    let line = out
        .lines()
        .find(|l| l.contains("authenticate: p50 "))
        .unwrap();
    let figures: Vec<f64> = line
        .split(['(', ',', ')'])
        .filter_map(|part| {
            let (value, unit) = part.trim().rsplit_once(' ')?;
            let value: f64 = value.rsplit(' ').next()?.parse().ok()?;
            Some(if unit == "ms" { value * 1000.0 } else { value })
        })
        .collect();
    assert!(
        line.contains("instantiate ") && line.contains("call ") && line.contains("teardown "),
        "{line}"
    );
    assert_eq!(figures.len(), 4, "{line}");
    assert!(figures[1..].iter().all(|&f| f > 0.0), "{line}");

    // A graph is recognised as one.
    let graph = g.on_behalf_graph.to_str().unwrap().to_string();
    let (ok, out) = check(&[&graph]);
    assert!(ok && out.contains("langgraph:graph@0.1.0"), "{out}");

    // Every problem is a non-zero exit with the reason.
    let (ok, out) = check(&[g.path("ungranted-import").to_str().unwrap()]);
    assert!(!ok);
    assert!(
        out.contains("wasmgate-test:ungranted/backdoor") && out.contains("does not grant"),
        "{out}"
    );
    let (ok, out) = check(&[
        g.faulty_auth.to_str().unwrap(),
        "--request",
        r#"{"headers": {"x-fault": "trap"}}"#,
    ]);
    assert!(!ok, "{out}");
    assert!(out.contains("FAULT"), "{out}");
    let core = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(core.path(), b"\0asm\x01\0\0\0").unwrap();
    let (ok, out) = check(&[core.path().to_str().unwrap()]);
    assert!(!ok);
    assert!(
        out.contains("core WebAssembly module") && out.contains("wasm32-wasip2"),
        "{out}"
    );
}

/// `wasmgate new`, its build, then `wasmgate check`, for every language: the
/// dev loop a handler author follows, from an empty folder.
#[test]
fn new_projects_build_as_they_stand_and_pass_check() {
    let scratch = tempfile::tempdir().unwrap();
    // Rust scaffolds share one target dir, so that repeated runs are quick.
    let cargo_target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
        .join("scaffolds");
    for lang in wasmgate_e2e::POLICY_LANGUAGES {
        let name = format!("my-{lang}-auth");
        let out = Command::new(binary())
            .args(["new", "--lang", lang, &name])
            .current_dir(scratch.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "wasmgate new --lang {lang}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let project = scratch.path().join(&name);
        if *lang == "js" {
            // A JS project's first build runs `npm ci` for its build tools;
            // tests stay on loopback, so it gets the ones scripts/test.sh
            // installed (the same package-lock.json) instead.
            let tools = repo_root().join("guest-sdk/js/node_modules");
            assert!(
                tools.join(".bin/componentize-qjs").exists(),
                "{}: run scripts/test.sh, which installs the JS toolchain",
                tools.display()
            );
            std::os::unix::fs::symlink(&tools, project.join("wasmgate-js/node_modules")).unwrap();
        }
        // C and Go builds run `wasmgate componentize`: from PATH, as for a
        // handler author who has only installed wasmgate.
        let bin_dir = binary().parent().unwrap().to_path_buf();
        let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )))
        .unwrap();
        let status = Command::new("bash")
            .arg(project.join("build.sh"))
            .env("CARGO_TARGET_DIR", &cargo_target)
            .env_remove("WASMGATE_BIN")
            .env("PATH", path)
            .status()
            .unwrap();
        assert!(status.success(), "{lang}: the new project does not build");
        let module = project.join("auth.wasm");
        let config = project.join("langgraph.json");
        let (ok, report) = check(&[
            module.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--request",
            r#"{"headers": {"x-api-key": "alice-key"}, "authorize": {"resource": "store", "action": "put", "value": {"namespace": ["bob"]}}}"#,
            "--iterations",
            "5",
        ]);
        assert!(ok, "{lang}: {report}");
        for want in [
            "world `authorizer`",
            r#""identity":"alice""#,
            r#"authorize store.put: refuse 403 {"detail":"Not authorized"}"#,
        ] {
            assert!(
                report.contains(want),
                "{lang}: missing {want:?} in\n{report}"
            );
        }
    }
    // Unknown languages and names are refused with the reason.
    let out = Command::new(binary())
        .args(["new", "--lang", "rust", "1bad"])
        .current_dir(scratch.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid project name"));
}
