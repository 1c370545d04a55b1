//! The headline path, end to end: the API-key handler from `examples/`
//! authenticates every request, and its user (custom fields included)
//! reaches the graph's config — never storage, never a response.

use serde_json::{Value, json};
use wasmgate_e2e::{Project, Server, call, client, demo_keys, guests, masked, standard_config};

fn project() -> Project {
    let g = guests();
    Project::new(
        Some(&g.apikey_auth),
        &g.on_behalf_graph,
        &standard_config(None),
    )
}

fn token(user_key: &str, field: &str) -> String {
    demo_keys()[user_key][field].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_and_bad_keys_get_401_with_the_detail_and_headers() {
    let project = project();
    let server = Server::start(&project).await;
    let c = client();
    for key in [None, Some("not-a-key"), Some("")] {
        let (status, headers, body) =
            call(&c, &server.url, "POST", "/threads", key, Some(json!({}))).await;
        assert_eq!(status, 401, "key {key:?}");
        assert_eq!(body, json!({"detail": "Invalid API key"}));
        // We keep the handler's headers (LangGraph drops them).
        assert_eq!(headers["www-authenticate"], "ApiKey");
    }
    // Unknown paths are authenticated first, then 404.
    let (status, _, _) = call(&c, &server.url, "GET", "/no/such/path", None, None).await;
    assert_eq!(status, 401);
    let (status, _, body) = call(
        &c,
        &server.url,
        "GET",
        "/no/such/path",
        Some("alice-key"),
        None,
    )
    .await;
    assert_eq!((status, body), (404, json!({"detail": "Not Found"})));
    // Meta routes skip authentication.
    let (status, _, body) = call(&c, &server.url, "GET", "/ok", None, None).await;
    assert_eq!((status, body["ok"].clone()), (200, json!(true)));
    let (status, _, body) = call(&c, &server.url, "GET", "/info", None, None).await;
    assert_eq!(status, 200);
    let modules = body["wasmgate"]["modules"].as_array().unwrap();
    assert_eq!(modules.len(), 2);
    assert_eq!(modules[0]["role"], "auth");
    assert_eq!(modules[0]["sha256"].as_str().unwrap().len(), 64);
    // How instance memory is reset: the fast scan only where no swap is on.
    let sandbox = &body["wasmgate"]["sandbox"];
    let reset = sandbox["memory_reset"].as_str().unwrap();
    let risk = wasmgate::plugin::swap::Sources::system().swap_risk();
    match (sandbox["pooling"].as_bool().unwrap(), risk) {
        (false, _) => assert_eq!(reset, "on-demand"),
        (true, Some(why)) => assert_eq!(reset, format!("madvise ({why})")),
        (true, None) => assert_eq!(reset, "pagemap-scan"),
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graph_acts_on_behalf_of_the_user_and_spoofing_is_ignored() {
    let project = project();
    let server = Server::start(&project).await;
    let c = client();

    let (status, _, thread) = call(
        &c,
        &server.url,
        "POST",
        "/threads",
        Some("alice-key"),
        Some(json!({"metadata": {"topic": "x"}})),
    )
    .await;
    assert_eq!(status, 200, "{thread}");
    let tid = thread["thread_id"].as_str().unwrap().to_string();
    assert_eq!(thread["status"], "idle");
    assert_eq!(thread["values"], Value::Null);
    assert_eq!(thread["metadata"], json!({"topic": "x"}));

    let input = json!({"messages": [{"role": "user", "content": "hi"}]});
    let (status, headers, out) = call(
        &c,
        &server.url,
        "POST",
        &format!("/threads/{tid}/runs/wait"),
        Some("alice-key"),
        Some(json!({"assistant_id": "agent", "input": input})),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["acting_as"], "alice");
    assert_eq!(
        out["github_token"],
        masked(&token("alice-key", "github_token"))
    );
    assert_eq!(out["jira_token"], masked(&token("alice-key", "jira_token")));
    assert_eq!(out["permissions"], demo_keys()["alice-key"]["permissions"]);
    assert_eq!(out["turns"], 1);
    assert!(
        headers["content-location"]
            .to_str()
            .unwrap()
            .starts_with(&format!("/threads/{tid}/runs/"))
    );

    // Bob tries to pass as alice through every reserved key; he runs as bob.
    let spoof = json!({"identity": "alice", "github_token": "stolen"});
    for body in [
        json!({"assistant_id": "agent", "input": {}, "config": {"configurable": {
            "langgraph_auth_user": spoof, "langgraph_auth_user_id": "alice",
            "langgraph_auth_permissions": ["admin"], "langgraph_request_id": "forged"}}}),
        json!({"assistant_id": "agent", "input": {}, "context": {
            "langgraph_auth_user": spoof, "langgraph_auth_user_id": "alice",
            "langgraph_auth_permissions": ["admin"]}}),
    ] {
        let (status, _, out) = call(
            &c,
            &server.url,
            "POST",
            "/runs/wait",
            Some("bob-key"),
            Some(body),
        )
        .await;
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["acting_as"], "bob");
        assert_eq!(
            out["github_token"],
            masked(&token("bob-key", "github_token"))
        );
        assert_eq!(out["permissions"], demo_keys()["bob-key"]["permissions"]);
    }

    // The thread keeps the values the graph returned, and runs accumulate.
    let (status, _, out) = call(
        &c, &server.url, "POST", &format!("/threads/{tid}/runs/wait"), Some("alice-key"),
        Some(json!({"assistant_id": "agent", "input": {"messages": [{"role": "user", "content": "again"}]}})),
    ).await;
    assert_eq!(status, 200);
    assert_eq!(out["turns"], 2);
    let (status, _, thread) = call(
        &c,
        &server.url,
        "GET",
        &format!("/threads/{tid}"),
        Some("alice-key"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(thread["values"], out);
    assert_eq!(thread["status"], "idle");
    assert_eq!(thread["values"]["messages"].as_array().unwrap().len(), 4);

    // Unknown thread and malformed ids.
    let (status, _, _) = call(
        &c,
        &server.url,
        "GET",
        "/threads/6f1c0000-0000-4000-8000-000000000000",
        Some("alice-key"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, body) = call(
        &c,
        &server.url,
        "GET",
        "/threads/nope",
        Some("alice-key"),
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (422, json!({"detail": "Invalid thread ID: must be a UUID"}))
    );
    let (status, _, body) = call(
        &c,
        &server.url,
        "POST",
        "/threads",
        Some("alice-key"),
        Some(json!({"metadata": 5})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("metadata"),
        "{body}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_a_restart_and_secrets_never_reach_storage() {
    let project = project();
    let server = Server::start(&project).await;
    let c = client();
    let (_, _, thread) = call(
        &c,
        &server.url,
        "POST",
        "/threads",
        Some("alice-key"),
        Some(json!({})),
    )
    .await;
    let tid = thread["thread_id"].as_str().unwrap().to_string();
    let (status, _, out) = call(
        &c, &server.url, "POST", &format!("/threads/{tid}/runs/wait"), Some("alice-key"),
        Some(json!({"assistant_id": "agent", "input": {"messages": [{"role": "user", "content": "remember me"}]}})),
    ).await;
    assert_eq!(status, 200);
    server.stop().await;

    // Nothing in the database files holds a custom field's value.
    let db_files: Vec<_> = std::fs::read_dir(project.data_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("wasmgate.sqlite3")
        })
        .collect();
    assert!(!db_files.is_empty());
    for path in db_files {
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for key in ["alice-key", "bob-key"] {
            for field in ["github_token", "jira_token"] {
                assert!(
                    !text.contains(&token(key, field)),
                    "a {field} was written to storage"
                );
            }
        }
    }

    let server = Server::start(&project).await;
    let (status, _, thread) = call(
        &c,
        &server.url,
        "GET",
        &format!("/threads/{tid}"),
        Some("alice-key"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(thread["values"], out);
    let (status, _, out2) = call(
        &c,
        &server.url,
        "POST",
        &format!("/threads/{tid}/runs/wait"),
        Some("alice-key"),
        Some(json!({"assistant_id": "agent", "input": null})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(out2["turns"], 2);
    server.stop().await;
}

/// Parses an SSE body into (event, data) pairs.
fn sse_events(body: &str) -> Vec<(String, Value)> {
    body.split("\r\n\r\n")
        .filter(|f| !f.trim().is_empty())
        .map(|f| {
            let mut event = String::new();
            let mut data = Value::Null;
            for line in f.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    event = e.to_string();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(d).unwrap();
                }
            }
            (event, data)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_stream_as_server_sent_events_in_the_requested_modes() {
    let project = project();
    let server = Server::start(&project).await;
    let c = client();
    let (_, _, thread) = call(
        &c,
        &server.url,
        "POST",
        "/threads",
        Some("alice-key"),
        Some(json!({})),
    )
    .await;
    let tid = thread["thread_id"].as_str().unwrap();
    for (path, modes, want) in [
        (
            format!("/threads/{tid}/runs/stream"),
            json!(["values", "custom"]),
            vec!["metadata", "custom", "values"],
        ),
        (
            format!("/threads/{tid}/runs/stream"),
            json!("values"),
            vec!["metadata", "values"],
        ),
        (
            "/runs/stream".to_string(),
            json!(["custom"]),
            vec!["metadata", "custom"],
        ),
    ] {
        let resp = c
            .post(format!("{}{path}", server.url))
            .header("x-api-key", "alice-key")
            .json(
                &json!({"assistant_id": "agent", "input": {"messages": []}, "stream_mode": modes}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        assert!(location.ends_with("/stream"), "{location}");
        let events = sse_events(&resp.text().await.unwrap());
        let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
        assert_eq!(names, want, "{path} {modes}");
        let run_id = events[0].1["run_id"].as_str().unwrap();
        assert!(location.contains(run_id), "{location}");
        for (event, data) in &events[1..] {
            assert_eq!(data["acting_as"], "alice", "{event}: {data}");
            if event == "values" {
                assert_eq!(
                    data["github_token"],
                    masked(&token("alice-key", "github_token"))
                );
            }
        }
    }
    // Errors before the run exists are plain JSON statuses.
    let (status, _, body) = call(
        &c,
        &server.url,
        "POST",
        "/runs/stream",
        Some("alice-key"),
        Some(json!({"assistant_id": "nope"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (404, json!({"detail": "Thread or assistant not found."}))
    );
    let (status, _, _) = call(
        &c,
        &server.url,
        "POST",
        "/runs/stream",
        None,
        Some(json!({"assistant_id": "agent"})),
    )
    .await;
    assert_eq!(status, 401);
    server.stop().await;
}
