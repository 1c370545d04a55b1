//! Golden tests for config error wording (`ui/*.json` → `ui/*.err`), plus
//! the resolution rules. Set `WASMGATE_BLESS=1` to rewrite the `.err` files
//! after reviewing a wording change.

use super::*;

fn ui_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config/ui")
}

#[test]
fn error_messages_match_golden_files() {
    let dir = ui_dir();
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "expected the ui cases, found {cases:?}");
    let bless = std::env::var_os("WASMGATE_BLESS").is_some();
    let mut failures = Vec::new();
    for case in cases {
        let text = std::fs::read_to_string(&case).unwrap();
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        // Name the file relative to the ui dir so the golden text is stable.
        let shown = Path::new("ui").join(&name);
        let err = match parse_in(&dir, &shown, &text) {
            Ok(_) => "OK\n".to_string(),
            Err(e) => format!("{e}\n"),
        };
        let golden = case.with_extension("err");
        if bless {
            std::fs::write(&golden, &err).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if want != err {
            failures.push(format!("{name}:\n  want: {want}  got:  {err}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `parse`, with module paths resolved against `dir` but the file shown as `shown`.
fn parse_in(dir: &Path, shown: &Path, text: &str) -> Result<Config, ConfigError> {
    let mut unknown = Vec::new();
    let de = &mut serde_json::Deserializer::from_str(text);
    let mut track = |p: serde_ignored::Path<'_>| unknown.push(p.to_string());
    let tracked = serde_ignored::Deserializer::new(de, &mut track);
    let raw: RawConfig =
        serde_path_to_error::deserialize(tracked).map_err(|err| parse_error(shown, err))?;
    resolve(shown, dir, raw)
}

#[test]
fn unknown_keys_are_reported_not_refused() {
    let dir = ui_dir();
    let text = r#"{"graphs": {"agent": "./present.wasm"}, "htpp": {}, "auth": {"path": "./present.wasm", "pth": 1}}"#;
    let (config, mut unknown) = parse(&dir.join("langgraph.json"), text).unwrap();
    unknown.sort();
    assert_eq!(unknown, vec!["auth.pth".to_string(), "htpp".to_string()]);
    assert!(config.auth.is_some());
}

#[test]
fn settings_resolve_strings_json_env_and_files() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("auth.wasm"), b"x").unwrap();
    std::fs::write(tmp.path().join("secret.txt"), "s3cret\n").unwrap();
    // SAFETY-free: the variable name is unique to this test.
    let var = "WASMGATE_CONFIG_TEST_TOKEN";
    let text = format!(
        r#"{{"auth": {{"path": "auth.wasm"}}, "wasmgate": {{"auth": {{"settings": {{
            "plain": "v", "table": {{"k": [1, 2]}}, "n": 3,
            "from_file": {{"$file": "secret.txt"}}, "from_env": {{"$env": "{var}"}}
        }}, "limits": {{"timeout_ms": 250, "memory_mib": 16}}}}}}}}"#
    );
    let err = parse(&tmp.path().join("langgraph.json"), &text).unwrap_err();
    assert!(err.to_string().contains(var), "{err}");
    // Setting an env var is process-global: use a name no other test reads.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(var, "from-env")
    };
    let (config, _) = parse(&tmp.path().join("langgraph.json"), &text).unwrap();
    let auth = config.auth.unwrap();
    let s = &auth.module.settings;
    assert_eq!(s["plain"], "v");
    assert_eq!(s["table"], r#"{"k":[1,2]}"#);
    assert_eq!(s["n"], "3");
    assert_eq!(s["from_file"], "s3cret");
    assert_eq!(s["from_env"], "from-env");
    assert_eq!(auth.module.limits.timeout, Duration::from_millis(250));
    assert_eq!(auth.module.limits.memory_bytes, 16 * 1024 * 1024);
    assert_eq!(auth.module.path, tmp.path().join("auth.wasm"));
}

#[test]
fn defaults_apply_without_a_wasmgate_section() {
    let dir = ui_dir();
    let text = r#"{"graphs": {"agent": {"path": "./present.wasm"}}}"#;
    let (config, unknown) = parse(&dir.join("langgraph.json"), text).unwrap();
    assert!(unknown.is_empty());
    assert!(config.auth.is_none());
    let g = &config.graphs["agent"];
    assert_eq!(g.limits.timeout, DEFAULT_GRAPH_TIMEOUT);
    assert_eq!(config.max_concurrency, DEFAULT_MAX_CONCURRENCY);
}
