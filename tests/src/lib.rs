//! Helpers for wasmgate's end-to-end tests and benchmarks.
//!
//! - [`guests`] builds the guest components from source in this repository
//!   (examples and fixtures) once per test process.
//! - [`Server`] runs the real router on a real loopback socket (ephemeral
//!   port), with a real SQLite database in a temporary directory, and can be
//!   restarted on the same data.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Built guest components.
pub struct Guests {
    /// `examples/apikey-auth`.
    pub apikey_auth: PathBuf,
    /// `examples/on-behalf-graph`.
    pub on_behalf_graph: PathBuf,
    /// `tests/fixtures/faulty-auth`.
    pub faulty_auth: PathBuf,
    out: PathBuf,
}

impl Guests {
    /// The component built from guest crate `krate` (one of [`GUEST_CRATES`]).
    pub fn path(&self, krate: &str) -> PathBuf {
        assert!(
            GUEST_CRATES.contains(&krate),
            "{krate} is not a guest crate the tests build"
        );
        self.out.join(format!("{}.wasm", krate.replace('-', "_")))
    }
}

/// Every guest crate the tests build.
pub const GUEST_CRATES: &[&str] = &[
    "apikey-auth",
    "on-behalf-graph",
    "faulty-auth",
    "tagged-auth-a",
    "tagged-auth-b",
    "tagged-graph-a",
    "tagged-graph-b",
    "ungranted-import",
    "owner-scoping",
    "authz-probe",
    "whoami-graph",
];

/// Where guest builds go: their own target dir, so that building them from
/// inside `cargo test` never waits on the outer cargo's lock.
pub fn guest_target_dir() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    base.join("guests")
}

/// Builds every guest crate (once per process) and returns their paths.
pub fn guests() -> &'static Guests {
    static GUESTS: OnceLock<Guests> = OnceLock::new();
    GUESTS.get_or_init(|| {
        let target_dir = guest_target_dir();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(repo_root())
            .args(["build", "--profile", "guest", "--target", "wasm32-wasip2", "--target-dir"])
            .arg(&target_dir);
        for krate in GUEST_CRATES {
            cmd.args(["-p", krate]);
        }
        // Do not inherit flags meant for the native test build.
        cmd.env_remove("RUSTFLAGS").env_remove("CARGO_ENCODED_RUSTFLAGS");
        let status = cmd.status().expect("cannot run cargo to build the guests");
        assert!(
            status.success(),
            "building the guest components failed (is the wasm32-wasip2 target installed? `rustup target add wasm32-wasip2`)"
        );
        let out = target_dir.join("wasm32-wasip2/guest");
        Guests {
            apikey_auth: out.join("apikey_auth.wasm"),
            on_behalf_graph: out.join("on_behalf_graph.wasm"),
            faulty_auth: out.join("faulty_auth.wasm"),
            out,
        }
    })
}

/// The quickstart's `api_keys` setting, as the tests' config uses it.
pub fn demo_keys() -> Value {
    let text = std::fs::read_to_string(repo_root().join("examples/quickstart/langgraph.json"))
        .expect("examples/quickstart/langgraph.json");
    let config: Value = serde_json::from_str(&text).expect("quickstart config is JSON");
    config["wasmgate"]["auth"]["settings"]["api_keys"].clone()
}

/// A project directory: `langgraph.json` plus the modules it names.
pub struct Project {
    /// Holds the files; removed on drop.
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A project with `auth.wasm` and `agent.wasm` copied from `auth` and
    /// `graph`, and `config` written as its `langgraph.json`.
    pub fn new(auth: Option<&Path>, graph: &Path, config: &Value) -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        if let Some(auth) = auth {
            std::fs::copy(auth, dir.path().join("auth.wasm")).expect("copy auth module");
        }
        std::fs::copy(graph, dir.path().join("agent.wasm")).expect("copy graph module");
        std::fs::write(
            dir.path().join("langgraph.json"),
            serde_json::to_vec_pretty(config).unwrap(),
        )
        .unwrap();
        Project { dir }
    }

    /// The config file.
    pub fn config_file(&self) -> PathBuf {
        self.dir.path().join("langgraph.json")
    }

    /// The data directory the servers of this project use.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

/// The standard config: the API-key handler with the quickstart keys and the
/// on-behalf graph.
pub fn standard_config(extra_auth: Option<Value>) -> Value {
    let mut auth = serde_json::json!({"settings": {"api_keys": demo_keys()}});
    if let Some(Value::Object(extra)) = extra_auth {
        auth.as_object_mut().unwrap().extend(extra);
    }
    serde_json::json!({
        "graphs": {"agent": "./agent.wasm"},
        "auth": {"path": "./auth.wasm"},
        "wasmgate": {"auth": auth}
    })
}

/// A running in-process server on an ephemeral loopback port.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Reload status updates (one per recheck).
    pub status: tokio::sync::watch::Receiver<std::sync::Arc<wasmgate::reload::Status>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Loads the project's config, builds the app and serves it.
    pub async fn start(project: &Project) -> Server {
        let config = wasmgate::config::load(&project.config_file()).expect("config loads");
        let app = wasmgate::App::build(&config, &project.data_dir())
            .await
            .expect("app builds");
        Server::serve(app).await
    }

    /// [`Server::start`] in development mode (`wasmgate dev`).
    pub async fn start_dev(project: &Project) -> Server {
        let config = wasmgate::config::load(&project.config_file()).expect("config loads");
        let app = wasmgate::App::build(&config, &project.data_dir())
            .await
            .expect("app builds")
            .with_dev_mode(true);
        Server::serve(app).await
    }

    /// Serves an already built app.
    pub async fn serve(app: wasmgate::App) -> Server {
        let status = app.status();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(wasmgate::serve(listener, app, async {
            let _ = rx.await;
        }));
        Server {
            url,
            status,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Stops accepting, drains in-flight requests, and waits for the end.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// A client with sane timeouts (a hung server fails the test, not CI).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Sends `method path` with an optional api key and JSON body; returns the
/// status, the headers and the body parsed as JSON (or `Value::Null`).
pub async fn call(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = client.request(method, format!("{base}{path}"));
    if let Some(key) = key {
        req = req.header("x-api-key", key);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("request reaches the server");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, body)
}

/// Sends `method path` with the given headers and optional JSON body; returns
/// the status and the body parsed as JSON (or `Value::Null`).
pub async fn send(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = client.request(method, format!("{base}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("request reaches the server");
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The quickstart's masking rule: all but the last four characters become `*`.
pub fn masked(token: &str) -> String {
    let n = token.chars().count();
    token
        .chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < n { '*' } else { c })
        .collect()
}

/// Waits (on the reload status channel, no polling) until `done` holds for
/// the latest status; panics with `what` after 20 s.
pub async fn wait_status(
    rx: &mut tokio::sync::watch::Receiver<std::sync::Arc<wasmgate::reload::Status>>,
    what: &str,
    done: impl Fn(&wasmgate::reload::Status) -> bool,
) -> std::sync::Arc<wasmgate::reload::Status> {
    let wait = async {
        loop {
            let status = rx.borrow_and_update().clone();
            if done(&status) {
                return status;
            }
            rx.changed().await.expect("the reloader is gone");
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), wait)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "timed out waiting for: {what}; last status: {:?}",
                rx.borrow()
            )
        })
}

/// The sha256 the server reports for some bytes.
pub fn sha256(bytes: &[u8]) -> String {
    wasmgate::plugin::sha256_hex(bytes)
}

/// Languages whose build of the shared policy (`examples/policy-<lang>/`)
/// the conformance test and the language benchmark run. Adding a language:
/// its recipe (`examples/policy-<lang>/build.sh`), its toolchain installer
/// (`scripts/toolchains/<lang>.sh`), and one entry here.
pub const POLICY_LANGUAGES: &[&str] = &["rust", "python", "js", "go", "c"];

/// Builds a language's policy with its recipe into `out`.
pub fn build_policy(lang: &str, out: &Path) -> PathBuf {
    let recipe = repo_root().join(format!("examples/policy-{lang}/build.sh"));
    let status = Command::new("bash")
        .arg(&recipe)
        .arg(out)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", recipe.display()));
    assert!(
        status.success(),
        "{} failed: is its toolchain installed? scripts/test.sh installs every one (scripts/toolchains/{lang}.sh)",
        recipe.display()
    );
    out.to_path_buf()
}

/// A language's policy config (`examples/policy-<lang>/langgraph.json`).
pub fn policy_config(lang: &str) -> Value {
    let file = repo_root().join(format!("examples/policy-{lang}/langgraph.json"));
    serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// A minimal HTTP/1.1 load generator for the benchmarks (like wrk): raw
/// requests over keep-alive connections, so that the client's CPU share
/// stays small and the figures reflect the server.
pub mod load {
    use std::time::{Duration, Instant};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// `GET path` with an API key.
    pub fn get(path: &str, api_key: &str) -> String {
        format!("GET {path} HTTP/1.1\r\nhost: bench\r\nx-api-key: {api_key}\r\n\r\n")
    }

    /// `POST path` with an API key and a JSON body.
    pub fn post(path: &str, api_key: &str, body: &str) -> String {
        format!(
            "POST {path} HTTP/1.1\r\nhost: bench\r\nx-api-key: {api_key}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    /// Requests per second of `request`, sent over `conns` connections to
    /// `addr` (`host:port`) for `secs`, each answer read in full and checked
    /// to be a 200. Runs its own runtime: call it from `spawn_blocking`.
    pub fn throughput(addr: String, request: String, conns: usize, secs: f64) -> f64 {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let deadline = Instant::now() + Duration::from_secs_f64(secs);
            let mut tasks = Vec::new();
            for _ in 0..conns {
                let (addr, request) = (addr.clone(), request.clone());
                tasks.push(tokio::spawn(async move {
                    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    let mut buf = Vec::with_capacity(16384);
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        stream.write_all(request.as_bytes()).await.unwrap();
                        read_response(&mut stream, &mut buf).await;
                        n += 1;
                    }
                    n
                }));
            }
            let started = Instant::now();
            let mut total = 0;
            for t in tasks {
                total += t.await.unwrap();
            }
            total as f64 / started.elapsed().as_secs_f64()
        })
    }

    /// Reads one response (headers, then `content-length` bytes) and checks
    /// for 200.
    async fn read_response(stream: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) {
        buf.clear();
        let header_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 8192];
            let read = stream.read(&mut chunk).await.unwrap();
            assert!(read > 0, "server closed the connection");
            buf.extend_from_slice(&chunk[..read]);
        };
        let head = std::str::from_utf8(&buf[..header_end])
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            head.starts_with("http/1.1 200"),
            "unexpected response: {head}"
        );
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().unwrap())
            .expect("content-length");
        while buf.len() < header_end + length {
            let mut chunk = [0u8; 8192];
            let read = stream.read(&mut chunk).await.unwrap();
            assert!(read > 0, "server closed the connection");
            buf.extend_from_slice(&chunk[..read]);
        }
    }

    /// The `p` quantile (0..=1) of sorted samples.
    pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
        sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
    }
}
