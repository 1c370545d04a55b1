//! One behaviour, every language: the shared policy (API keys with custom
//! fields, owner scoping, store namespaces, Studio pass-through) built from
//! `examples/policy-<lang>/` for every language, run through one table of
//! requests. Each row states the expected status and body; on top of that,
//! every language's full (normalised) responses must be identical.
//!
//! Adding a language: one build recipe (`examples/policy-<lang>/build.sh`,
//! with its toolchain in `scripts/toolchains/<lang>.sh`) and one line in
//! `wasmgate_e2e::POLICY_LANGUAGES`.

use serde_json::{Value, json};
use wasmgate_e2e::{
    POLICY_LANGUAGES, Project, Server, build_policy, client, demo_keys, guests, masked,
    policy_config, send,
};

const ALICE: &[(&str, &str)] = &[("x-api-key", "alice-key")];
const BOB: &[(&str, &str)] = &[("x-api-key", "bob-key")];
const ANON: &[(&str, &str)] = &[];
const WRONG: &[(&str, &str)] = &[("x-api-key", "mallory-key")];
const STUDIO: &[(&str, &str)] = &[("x-auth-scheme", "langsmith")];

/// One row: name, who, method, path (with `{t}` = alice's thread, `{a}` =
/// alice's assistant), body, expected status, expected body subset.
struct Row {
    name: &'static str,
    who: &'static [(&'static str, &'static str)],
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    status: u16,
    expect: Option<Value>,
}

fn row(
    name: &'static str,
    who: &'static [(&'static str, &'static str)],
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    status: u16,
    expect: Option<Value>,
) -> Row {
    Row {
        name,
        who,
        method,
        path,
        body,
        status,
        expect,
    }
}

fn table() -> Vec<Row> {
    let alice_mask = masked(demo_keys()["alice-key"]["github_token"].as_str().unwrap());
    vec![
        row(
            "no key",
            ANON,
            "POST",
            "/threads/search",
            Some(json!({})),
            401,
            Some(json!({"detail": "Invalid API key"})),
        ),
        row(
            "wrong key",
            WRONG,
            "GET",
            "/threads/{t}",
            None,
            401,
            Some(json!({"detail": "Invalid API key"})),
        ),
        row(
            "alice reads her thread",
            ALICE,
            "GET",
            "/threads/{t}",
            None,
            200,
            Some(json!({"metadata": {"owner": "alice", "topic": "x"}})),
        ),
        row(
            "bob cannot read it",
            BOB,
            "GET",
            "/threads/{t}",
            None,
            404,
            None,
        ),
        row(
            "bob cannot patch it",
            BOB,
            "PATCH",
            "/threads/{t}",
            Some(json!({"metadata": {"topic": "y"}})),
            404,
            None,
        ),
        row(
            "bob cannot delete it",
            BOB,
            "DELETE",
            "/threads/{t}",
            None,
            404,
            None,
        ),
        row(
            "bob cannot run on it",
            BOB,
            "POST",
            "/threads/{t}/runs/wait",
            Some(json!({"assistant_id": "agent", "input": {}})),
            404,
            None,
        ),
        row(
            "bob's search shows only his thread",
            BOB,
            "POST",
            "/threads/search",
            Some(json!({})),
            200,
            Some(json!([{"metadata": {"owner": "bob"}}])),
        ),
        row(
            "bob's count is 1",
            BOB,
            "POST",
            "/threads/count",
            Some(json!({})),
            200,
            Some(json!(1)),
        ),
        row(
            "alice's count is 1",
            ALICE,
            "POST",
            "/threads/count",
            Some(json!({})),
            200,
            Some(json!(1)),
        ),
        row(
            "alice runs as herself, tokens reach the graph",
            ALICE,
            "POST",
            "/threads/{t}/runs/wait",
            Some(json!({"assistant_id": "agent", "input": {"messages": []}})),
            200,
            Some(json!({"acting_as": "alice", "github_token": alice_mask})),
        ),
        row(
            "bob cannot read alice's assistant",
            BOB,
            "GET",
            "/assistants/{a}",
            None,
            404,
            None,
        ),
        row(
            "alice reads her assistant",
            ALICE,
            "GET",
            "/assistants/{a}",
            None,
            200,
            Some(json!({"metadata": {"owner": "alice"}})),
        ),
        row(
            "system assistants stay visible",
            BOB,
            "GET",
            "/assistants/fe096781-5601-53d2-b2f6-0d3403f7e9ca",
            None,
            200,
            Some(json!({"metadata": {"created_by": "system"}})),
        ),
        row(
            "bob's assistant search shows the system one",
            BOB,
            "POST",
            "/assistants/count",
            Some(json!({})),
            200,
            Some(json!(1)),
        ),
        row(
            "alice writes her namespace",
            ALICE,
            "PUT",
            "/store/items",
            Some(json!({"namespace": ["alice", "notes"], "key": "k", "value": {"v": 1}})),
            204,
            None,
        ),
        row(
            "alice cannot write bob's",
            ALICE,
            "PUT",
            "/store/items",
            Some(json!({"namespace": ["bob", "notes"], "key": "k", "value": {"v": 1}})),
            403,
            Some(json!({"detail": "Not authorized"})),
        ),
        row(
            "nor an unscoped one",
            ALICE,
            "PUT",
            "/store/items",
            Some(json!({"namespace": ["notes"], "key": "k", "value": {"v": 1}})),
            403,
            Some(json!({"detail": "Not authorized"})),
        ),
        row(
            "bob cannot read alice's item",
            BOB,
            "GET",
            "/store/items?namespace=alice.notes&key=k",
            None,
            403,
            Some(json!({"detail": "Not authorized"})),
        ),
        row(
            "alice reads her item",
            ALICE,
            "GET",
            "/store/items?namespace=alice.notes&key=k",
            None,
            200,
            Some(json!({"value": {"v": 1}})),
        ),
        row(
            "alice searches her namespace",
            ALICE,
            "POST",
            "/store/items/search",
            Some(json!({"namespace_prefix": ["alice"]})),
            200,
            None,
        ),
        row(
            "Studio passes through (dev mode)",
            STUDIO,
            "GET",
            "/threads/{t}",
            None,
            200,
            Some(json!({"metadata": {"owner": "alice"}})),
        ),
        row(
            "Studio sees every thread",
            STUDIO,
            "POST",
            "/threads/count",
            Some(json!({})),
            200,
            Some(json!(2)),
        ),
    ]
}

/// Whether `want` is contained in `got` (objects: every key recursively;
/// anything else: equal).
fn contains(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Array(g), Value::Array(w)) => {
            g.len() == w.len() && g.iter().zip(w).all(|(g, w)| contains(g, w))
        }
        (Value::Object(g), Value::Object(w)) => w
            .iter()
            .all(|(k, v)| g.get(k).is_some_and(|gv| contains(gv, v))),
        (g, w) => g == w,
    }
}

/// A response with its generated parts (ids, times) removed, so that two
/// servers' answers compare.
fn normalise(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !(k.ends_with("_id") || k.ends_with("_at")))
                .map(|(k, v)| (k.clone(), normalise(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalise).collect()),
        // Ids inside messages ("Thread with ID ... not found").
        Value::String(s) => Value::String(
            s.split(' ')
                .map(|w| {
                    if uuid::Uuid::parse_str(w).is_ok() {
                        "<id>"
                    } else {
                        w
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
        other => other.clone(),
    }
}

async fn run_language(lang: &str, dir: &std::path::Path) -> Vec<(u16, Value)> {
    let module = build_policy(lang, &dir.join(format!("policy-{lang}.wasm")));
    let config = policy_config(lang);
    let project = Project::new(Some(&module), &guests().on_behalf_graph, &config);
    let server = Server::start_dev(&project).await;
    let (c, url) = (client(), server.url.clone());

    let (s, thread) = send(
        &c,
        &url,
        "POST",
        "/threads",
        ALICE,
        Some(json!({"metadata": {"owner": "mallory", "topic": "x"}})),
    )
    .await;
    assert_eq!(s, 200, "{lang}: {thread}");
    let t = thread["thread_id"].as_str().unwrap().to_string();
    let (s, _) = send(&c, &url, "POST", "/threads", BOB, Some(json!({}))).await;
    assert_eq!(s, 200);
    let (s, assistant) = send(
        &c,
        &url,
        "POST",
        "/assistants",
        ALICE,
        Some(json!({"graph_id": "agent", "name": "a"})),
    )
    .await;
    assert_eq!(s, 200, "{lang}: {assistant}");
    let a = assistant["assistant_id"].as_str().unwrap().to_string();

    let mut results = Vec::new();
    for r in table() {
        let path = r.path.replace("{t}", &t).replace("{a}", &a);
        let (status, body) = send(&c, &url, r.method, &path, r.who, r.body.clone()).await;
        assert_eq!(status, r.status, "{lang}: {}: {body}", r.name);
        if let Some(want) = &r.expect {
            assert!(
                contains(&body, want),
                "{lang}: {}: expected {want} in {body}",
                r.name
            );
        }
        results.push((status, normalise(&body)));
    }
    // The coverage is the same everywhere.
    let (_, info) = send(&c, &url, "GET", "/info", ANON, None).await;
    assert_eq!(
        info["wasmgate"]["authorization"]["handlers"],
        json!(["*.*", "assistants.read", "assistants.search", "store.*"]),
        "{lang}"
    );
    server.stop().await;
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_language_gives_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let mut reference: Option<(&str, Vec<(u16, Value)>)> = None;
    for lang in POLICY_LANGUAGES {
        let results = run_language(lang, dir.path()).await;
        match &reference {
            None => reference = Some((lang, results)),
            Some((first, expected)) => {
                for ((row, got), want) in table().iter().zip(&results).zip(expected) {
                    assert_eq!(got, want, "{lang} differs from {first} on `{}`", row.name);
                }
            }
        }
    }
}
