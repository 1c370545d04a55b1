//! Authorization end to end: every resource action goes through the WASM
//! handler's `authorize`, and its filters are enforced in storage.
//!
//! - `owner_scoping_*`: the `examples/owner-scoping` handler, alice, bob and
//!   anonymous across every endpoint, as a table of expected statuses and
//!   visible resources.
//! - `probe_*`: `tests/fixtures/authz-probe`, whose rules come from its
//!   settings: filter operators, unknown operators (fail closed), handler
//!   precedence, value edits, the uncovered-pair deny option, Studio.

use serde_json::{Value, json};
use wasmgate_e2e::{Project, Server, client, guests, send, standard_config};

const ALICE: &[(&str, &str)] = &[("x-api-key", "alice-key")];
const BOB: &[(&str, &str)] = &[("x-api-key", "bob-key")];
const ANON: &[(&str, &str)] = &[];
const STUDIO: &[(&str, &str)] = &[("x-auth-scheme", "langsmith")];

/// One row of a table: who, method, path, body, expected status.
type Row = (
    &'static [(&'static str, &'static str)],
    &'static str,
    String,
    Option<Value>,
    u16,
);

fn owner_project() -> Project {
    let g = guests();
    Project::new(
        Some(&g.path("owner-scoping")),
        &g.on_behalf_graph,
        &standard_config(None),
    )
}

/// Ids of the objects in a list body, under `field`.
fn ids(body: &Value, field: &str) -> Vec<String> {
    body.as_array()
        .unwrap_or_else(|| panic!("expected a list, got {body}"))
        .iter()
        .map(|t| t[field].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_scoping_hides_every_resource_from_other_users() {
    let project = owner_project();
    let server = Server::start(&project).await;
    let (c, url) = (client(), server.url.clone());

    // Alice's thread: the owner she claims is overwritten by the handler.
    let (s, t_a) = send(
        &c,
        &url,
        "POST",
        "/threads",
        ALICE,
        Some(json!({"metadata": {"owner": "mallory", "topic": "x"}})),
    )
    .await;
    assert_eq!(s, 200, "{t_a}");
    assert_eq!(t_a["metadata"], json!({"owner": "alice", "topic": "x"}));
    let ta = t_a["thread_id"].as_str().unwrap().to_string();
    let (_, t_b) = send(&c, &url, "POST", "/threads", BOB, Some(json!({}))).await;
    let tb = t_b["thread_id"].as_str().unwrap().to_string();
    let (s, a_a) = send(
        &c,
        &url,
        "POST",
        "/assistants",
        ALICE,
        Some(json!({"graph_id": "agent", "name": "mine"})),
    )
    .await;
    assert_eq!(s, 200, "{a_a}");
    assert_eq!(a_a["metadata"]["owner"], "alice");
    let aa = a_a["assistant_id"].as_str().unwrap().to_string();
    let system = "fe096781-5601-53d2-b2f6-0d3403f7e9ca";

    // (who, method, path, body, expected status)
    let table: Vec<Row> = vec![
        (ANON, "POST", "/threads/search".into(), Some(json!({})), 401),
        (ALICE, "GET", format!("/threads/{ta}"), None, 200),
        (BOB, "GET", format!("/threads/{ta}"), None, 404),
        (
            BOB,
            "PATCH",
            format!("/threads/{ta}"),
            Some(json!({"metadata": {"x": 1}})),
            404,
        ),
        (
            ALICE,
            "PATCH",
            format!("/threads/{ta}"),
            Some(json!({"metadata": {"x": 1}})),
            200,
        ),
        (BOB, "GET", format!("/threads/{ta}/state"), None, 404),
        (
            BOB,
            "POST",
            format!("/threads/{ta}/history"),
            Some(json!({"limit": 10})),
            404,
        ),
        (BOB, "POST", format!("/threads/{ta}/copy"), None, 404),
        (
            BOB,
            "POST",
            format!("/threads/{ta}/runs/wait"),
            Some(json!({"assistant_id": "agent", "input": {}})),
            404,
        ),
        (
            ALICE,
            "POST",
            format!("/threads/{ta}/runs/wait"),
            Some(json!({"assistant_id": "agent", "input": {}})),
            200,
        ),
        (ALICE, "GET", format!("/threads/{ta}/state"), None, 200),
        (
            BOB,
            "POST",
            format!("/threads/{tb}/runs/wait"),
            Some(json!({"assistant_id": aa, "input": {}})),
            404,
        ),
        (
            ALICE,
            "POST",
            format!("/threads/{ta}/runs/wait"),
            Some(json!({"assistant_id": aa, "input": {}})),
            200,
        ),
        (BOB, "DELETE", format!("/threads/{ta}"), None, 404),
        (ALICE, "GET", format!("/assistants/{aa}"), None, 200),
        (BOB, "GET", format!("/assistants/{aa}"), None, 404),
        (
            BOB,
            "PATCH",
            format!("/assistants/{aa}"),
            Some(json!({"name": "stolen"})),
            404,
        ),
        (BOB, "DELETE", format!("/assistants/{aa}"), None, 404),
        (BOB, "GET", format!("/assistants/{system}"), None, 200),
        (BOB, "GET", "/assistants/agent/graph".into(), None, 200),
        (
            BOB,
            "PATCH",
            format!("/assistants/{system}"),
            Some(json!({"name": "x"})),
            404,
        ),
        (
            ALICE,
            "PATCH",
            format!("/assistants/{aa}"),
            Some(json!({"metadata": {"v": 2}})),
            200,
        ),
        (
            ALICE,
            "PUT",
            "/store/items".into(),
            Some(json!({"namespace": ["alice", "docs"], "key": "k1", "value": {"n": 1}})),
            204,
        ),
        (
            ALICE,
            "PUT",
            "/store/items".into(),
            Some(json!({"namespace": ["bob", "docs"], "key": "k1", "value": {"n": 1}})),
            403,
        ),
        (
            ALICE,
            "PUT",
            "/store/items".into(),
            Some(json!({"namespace": ["docs"], "key": "k1", "value": {"n": 1}})),
            403,
        ),
        (
            ALICE,
            "GET",
            "/store/items?namespace=alice.docs&key=k1".into(),
            None,
            200,
        ),
        (
            BOB,
            "GET",
            "/store/items?namespace=alice.docs&key=k1".into(),
            None,
            403,
        ),
        (
            BOB,
            "DELETE",
            "/store/items".into(),
            Some(json!({"namespace": ["alice", "docs"], "key": "k1"})),
            403,
        ),
        (
            BOB,
            "POST",
            "/store/items/search".into(),
            Some(json!({"namespace_prefix": ["alice"]})),
            403,
        ),
        (
            BOB,
            "POST",
            "/store/namespaces".into(),
            Some(json!({"prefix": ["alice"]})),
            403,
        ),
        (ALICE, "GET", "/store/items?key=k1".into(), None, 422),
        (ALICE, "GET", "/threads/not-a-uuid".into(), None, 422),
        (
            ALICE,
            "POST",
            "/threads/search".into(),
            Some(json!({"limit": "ten"})),
            422,
        ),
        // Creating an id that exists and is hidden: 409, whatever if_exists says.
        (
            BOB,
            "POST",
            "/threads".into(),
            Some(json!({"thread_id": ta, "if_exists": "do_nothing"})),
            409,
        ),
        (
            ALICE,
            "POST",
            "/threads".into(),
            Some(json!({"thread_id": ta, "if_exists": "do_nothing"})),
            200,
        ),
        // Studio's header means nothing to `wasmgate serve`.
        (
            STUDIO,
            "POST",
            "/threads/search".into(),
            Some(json!({})),
            401,
        ),
    ];
    for (who, method, path, body, expected) in &table {
        let (status, got) = send(&c, &url, method, path, who, body.clone()).await;
        assert_eq!(status, *expected, "{who:?} {method} {path}: {got}");
        if status >= 400 {
            assert!(
                got["detail"].is_string(),
                "{method} {path}: errors carry a detail: {got}"
            );
        }
    }

    // Searches, counts and pagination see only the caller's rows.
    for _ in 0..2 {
        send(&c, &url, "POST", "/threads", ALICE, Some(json!({}))).await;
    }
    let (_, alice_threads) = send(
        &c,
        &url,
        "POST",
        "/threads/search",
        ALICE,
        Some(json!({"limit": 100})),
    )
    .await;
    assert_eq!(
        alice_threads.as_array().unwrap().len(),
        3,
        "{alice_threads}"
    );
    assert!(
        alice_threads
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["metadata"]["owner"] == "alice")
    );
    let (_, bob_threads) = send(&c, &url, "POST", "/threads/search", BOB, Some(json!({}))).await;
    assert_eq!(ids(&bob_threads, "thread_id"), vec![tb.clone()]);
    let (_, n) = send(&c, &url, "POST", "/threads/count", ALICE, Some(json!({}))).await;
    assert_eq!(n, 3);
    let (_, n) = send(&c, &url, "POST", "/threads/count", BOB, Some(json!({}))).await;
    assert_eq!(n, 1);
    let resp = c
        .post(format!("{url}/threads/search"))
        .header("x-api-key", "alice-key")
        .json(&json!({"limit": 2, "offset": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-pagination-total"], "3");
    assert_eq!(resp.headers()["x-pagination-next"], "2");
    let page: Value = resp.json().await.unwrap();
    assert_eq!(page.as_array().unwrap().len(), 2);
    let (_, selected) = send(
        &c,
        &url,
        "POST",
        "/threads/search",
        ALICE,
        Some(json!({"select": ["thread_id", "metadata"], "limit": 1})),
    )
    .await;
    let keys: Vec<&String> = selected[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["thread_id", "metadata"]);
    // Alice's own filter asking for bob's threads is narrowed to hers (the
    // handler stamps the search metadata in place, as in LangGraph).
    let (_, narrowed) = send(
        &c,
        &url,
        "POST",
        "/threads/search",
        ALICE,
        Some(json!({"metadata": {"owner": "bob"}})),
    )
    .await;
    assert_eq!(narrowed.as_array().unwrap().len(), 3);

    let (_, bob_assistants) =
        send(&c, &url, "POST", "/assistants/search", BOB, Some(json!({}))).await;
    assert_eq!(
        ids(&bob_assistants, "assistant_id"),
        vec![system.to_string()]
    );
    let (_, alice_assistants) = send(
        &c,
        &url,
        "POST",
        "/assistants/search",
        ALICE,
        Some(json!({"sort_by": "name", "sort_order": "asc"})),
    )
    .await;
    assert_eq!(
        ids(&alice_assistants, "assistant_id"),
        vec![system.to_string(), aa.clone()]
    );
    let (_, versions) = send(
        &c,
        &url,
        "POST",
        &format!("/assistants/{aa}/versions"),
        ALICE,
        Some(json!({})),
    )
    .await;
    assert_eq!(
        versions
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![2, 1]
    );

    let (_, found) = send(
        &c,
        &url,
        "POST",
        "/store/items/search",
        ALICE,
        Some(json!({"namespace_prefix": ["alice"]})),
    )
    .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    let (_, history) = send(
        &c,
        &url,
        "POST",
        &format!("/threads/{ta}/history"),
        ALICE,
        Some(json!({"limit": 10})),
    )
    .await;
    assert_eq!(
        history.as_array().unwrap().len(),
        2,
        "two runs, two checkpoints: {history}"
    );

    // A copy keeps the owner and the checkpoints.
    let (s, copy) = send(
        &c,
        &url,
        "POST",
        &format!("/threads/{ta}/copy"),
        ALICE,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(copy["metadata"]["owner"], "alice");
    let (s, _) = send(&c, &url, "DELETE", &format!("/threads/{ta}"), ALICE, None).await;
    assert_eq!(s, 204);
    let (s, _) = send(&c, &url, "GET", &format!("/threads/{ta}"), ALICE, None).await;
    assert_eq!(s, 404);
    server.stop().await;
}

fn probe_project(rules: Value, extra: Value) -> Project {
    let g = guests();
    let mut auth = json!({"settings": {"rules": rules}});
    auth.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    Project::new(
        Some(&g.path("authz-probe")),
        &g.on_behalf_graph,
        &json!({"graphs": {"agent": "./agent.wasm"}, "auth": {"path": "./auth.wasm"}, "wasmgate": {"auth": auth}}),
    )
}

fn bearer(who: &str) -> [(&'static str, String); 1] {
    [("authorization", format!("Bearer {who}"))]
}

async fn as_user(
    c: &reqwest::Client,
    url: &str,
    who: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let h = bearer(who);
    let headers: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    send(c, url, method, path, &headers, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_filters_operators_precedence_and_faults() {
    let rules = json!({
        "threads:create": {"set": {"/metadata/stamped": true, "/thread_id": "00000000-0000-0000-0000-000000000000"}},
        "threads:search": {"filter": {"$or": [{"tags": {"$contains": "red"}}, {"$and": [{"n": {"$eq": 1}}, {"k": "v"}]}]}},
        "threads:delete": {"filter": {"n": {"$ne": 1}}},
        "threads:*": "allow",
        "*:read": {"filter": {"tags": {"$contains": ["red", "blue"]}}},
        "assistants:create": {"error": {"status": 418, "detail": "teapot", "headers": [["x-why", "because"]]}},
        "store:put": "namespace-prefix",
        "store:get": {"filter": {"owner": "me"}},
        "store:search": {"filter": {"public": true}},
    });
    let project = probe_project(rules, json!({}));
    let server = Server::start(&project).await;
    let (c, url) = (client(), server.url.clone());

    let mut made = Vec::new();
    for meta in [
        json!({"tags": ["red", "blue"]}),
        json!({"tags": ["red"]}),
        json!({"n": 1, "k": "v"}),
        json!({"n": 1}),
        json!({"tags": "red"}),
    ] {
        let (s, t) = as_user(
            &c,
            &url,
            "u",
            "POST",
            "/threads",
            Some(json!({"metadata": meta})),
        )
        .await;
        assert_eq!(s, 200, "{t}");
        // The metadata edit took effect; the thread_id edit did not.
        assert_eq!(t["metadata"]["stamped"], true);
        assert_ne!(t["thread_id"], "00000000-0000-0000-0000-000000000000");
        made.push(t["thread_id"].as_str().unwrap().to_string());
    }
    // $or of $contains and $and/$eq, in SQL: threads 0, 1, 2 (not "red" as a string).
    let (s, found) = as_user(
        &c,
        &url,
        "u",
        "POST",
        "/threads/search",
        Some(json!({"limit": 100, "sort_by": "created_at", "sort_order": "asc"})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(ids(&found, "thread_id"), made[..3].to_vec());
    let (_, n) = as_user(&c, &url, "u", "POST", "/threads/count", Some(json!({}))).await;
    assert_eq!(n, 3);
    // Only the most specific handler runs: (threads, *) beats (*, read),
    // so every thread is readable...
    for id in &made {
        let (s, _) = as_user(&c, &url, "u", "GET", &format!("/threads/{id}"), None).await;
        assert_eq!(s, 200);
    }
    // ...while assistants.read falls to (*, read), whose list $contains hides
    // the system assistant.
    let system = "/assistants/fe096781-5601-53d2-b2f6-0d3403f7e9ca";
    assert_eq!(as_user(&c, &url, "u", "GET", system, None).await.0, 404);
    // An unknown operator fails closed: 500, and nothing is deleted.
    let (s, body) = as_user(
        &c,
        &url,
        "u",
        "DELETE",
        &format!("/threads/{}", made[3]),
        None,
    )
    .await;
    assert_eq!(s, 500, "{body}");
    assert_eq!(
        body["detail"],
        "authorization handler failed; the action was not performed"
    );
    // An http-error keeps its status, detail and headers.
    let resp = c
        .post(format!("{url}/assistants"))
        .header("authorization", "Bearer u")
        .json(&json!({"graph_id": "agent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 418);
    assert_eq!(resp.headers()["x-why"], "because");
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"detail": "teapot"})
    );
    // Uncovered pairs are allowed by default (LangGraph-compatible).
    assert_eq!(
        as_user(&c, &url, "u", "POST", "/assistants/search", Some(json!({})))
            .await
            .0,
        200
    );
    // Namespace rewriting, and a store.get filter applied to the value.
    assert_eq!(
        as_user(
            &c,
            &url,
            "u",
            "PUT",
            "/store/items",
            Some(json!({"namespace": ["docs"], "key": "k", "value": {"owner": "someone"}}))
        )
        .await
        .0,
        204
    );
    let (s, item) = as_user(
        &c,
        &url,
        "u",
        "GET",
        "/store/items?namespace=u.docs&key=k",
        None,
    )
    .await;
    assert_eq!(
        s, 404,
        "we differ from LangGraph: the get filter applies: {item}"
    );
    // A search combines the handler's filter with the client's.
    for (key, value) in [
        ("a", json!({"public": true, "n": 1})),
        ("b", json!({"public": true, "n": 2})),
        ("c", json!({"public": false, "n": 1})),
    ] {
        let body = json!({"namespace": ["docs"], "key": key, "value": value});
        assert_eq!(
            as_user(&c, &url, "u", "PUT", "/store/items", Some(body))
                .await
                .0,
            204
        );
    }
    let (s, found) = as_user(
        &c,
        &url,
        "u",
        "POST",
        "/store/items/search",
        Some(json!({"namespace_prefix": ["u"], "filter": {"n": {"$lte": 1}}})),
    )
    .await;
    assert_eq!(s, 200);
    let keys: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["a"], "public (handler) and n <= 1 (client): {found}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_uncovered_deny_trap_and_studio_modes() {
    let project = probe_project(
        json!({"threads:read": "allow", "threads:delete": "trap"}),
        json!({"deny_uncovered": true}),
    );
    let server = Server::start(&project).await;
    let (c, url) = (client(), server.url.clone());
    // What the load-time warning lists is visible in /info.
    let (_, info) = send(&c, &url, "GET", "/info", ANON, None).await;
    let authz = &info["wasmgate"]["authorization"];
    assert_eq!(authz["handlers"], json!(["threads.delete", "threads.read"]));
    assert_eq!(authz["uncovered_actions"], "denied");
    let uncovered = authz["uncovered"].as_array().unwrap();
    assert_eq!(uncovered.len(), 19, "{uncovered:?}");
    assert!(uncovered.contains(&json!("threads.create")));
    let (s, body) = as_user(&c, &url, "u", "POST", "/threads", Some(json!({}))).await;
    assert_eq!((s, body), (403, json!({"detail": "Forbidden"})));
    let (s, _) = as_user(&c, &url, "u", "POST", "/threads/search", Some(json!({}))).await;
    assert_eq!(s, 403);
    // A trapping handler fails closed, and the next request is served.
    let (s, _) = as_user(
        &c,
        &url,
        "u",
        "DELETE",
        "/threads/01234567-89ab-cdef-0123-456789abcdef",
        None,
    )
    .await;
    assert_eq!(s, 500);
    let (s, _) = as_user(
        &c,
        &url,
        "u",
        "GET",
        "/threads/01234567-89ab-cdef-0123-456789abcdef",
        None,
    )
    .await;
    assert_eq!(s, 404);
    // `serve` never trusts the Studio header.
    assert_eq!(
        send(
            &c,
            &url,
            "GET",
            "/threads/01234567-89ab-cdef-0123-456789abcdef",
            STUDIO,
            None
        )
        .await
        .0,
        401
    );
    server.stop().await;

    // `dev` does, and the handler sees a Studio user.
    let project = probe_project(json!({"*": "echo"}), json!({}));
    let server = Server::start_dev(&project).await;
    let (s, body) = send(
        &c,
        &server.url,
        "POST",
        "/threads/search",
        STUDIO,
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 418, "{body}");
    let seen: Value = serde_json::from_str(body["detail"].as_str().unwrap()).unwrap();
    assert_eq!(seen["is_studio_user"], true);
    assert_eq!(seen["identity"], "langgraph-studio-user");
    assert_eq!(seen["user"]["kind"], "StudioUser");
    server.stop().await;

    // ...unless `auth.disable_studio_auth` is set.
    let g = guests();
    let project = Project::new(
        Some(&g.path("authz-probe")),
        &g.on_behalf_graph,
        &json!({"graphs": {"agent": "./agent.wasm"}, "auth": {"path": "./auth.wasm", "disable_studio_auth": true}}),
    );
    let server = Server::start_dev(&project).await;
    assert_eq!(
        send(
            &c,
            &server.url,
            "POST",
            "/threads/search",
            STUDIO,
            Some(json!({}))
        )
        .await
        .0,
        401
    );
    server.stop().await;
}
