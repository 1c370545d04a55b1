package main

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"wit_component/wasmgate"
)

func demoKeys(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	text, err := os.ReadFile("langgraph.json")
	if err != nil {
		t.Fatal(err)
	}
	var config struct {
		Wasmgate struct {
			Auth struct {
				Settings struct {
					APIKeys map[string]json.RawMessage `json:"api_keys"`
				} `json:"settings"`
			} `json:"auth"`
		} `json:"wasmgate"`
	}
	if err := json.Unmarshal(text, &config); err != nil {
		t.Fatal(err)
	}
	return config.Wasmgate.Auth.Settings.APIKeys
}

func request(headers ...string) wasmgate.Request {
	r := wasmgate.Request{Method: "GET", Path: "/threads"}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Headers = append(r.Headers, wasmgate.Header{Name: headers[i], Value: []byte(headers[i+1])})
	}
	return r
}

func refusal(t *testing.T, err error) *wasmgate.HTTPError {
	t.Helper()
	var e *wasmgate.HTTPError
	if !errors.As(err, &e) {
		t.Fatalf("want a refusal, got %v", err)
	}
	return e
}

func TestDemoKeysAuthenticate(t *testing.T) {
	bob, err := authenticateWith(request("x-api-key", "bob-key"), demoKeys(t))
	if err != nil || bob.Identity != "bob" || !reflect.DeepEqual(bob.Permissions, []string{"threads:write"}) ||
		string(bob.Fields["github_token"]) != `"ghp_bob_0000000000003333"` {
		t.Fatalf("bob: %+v %v", bob, err)
	}
	for _, r := range []wasmgate.Request{request(), request("x-api-key", "mallory-key"), request("x-api-key", "")} {
		_, err := authenticateWith(r, demoKeys(t))
		e := refusal(t, err)
		if e.Status != 401 || e.Detail != "Invalid API key" || !reflect.DeepEqual(e.Headers, [][2]string{{"www-authenticate", "ApiKey"}}) {
			t.Fatalf("got %+v", e)
		}
	}
}

func TestMisconfiguredSettingIsA500WithoutSecrets(t *testing.T) {
	for _, setting := range []string{"", "ghp_secret", `["ghp_secret"]`, `{"k": "ghp_secret"}`} {
		wasmgate.UseSettings(func(name string) (string, bool) { return setting, setting != "" })
		_, err := authenticate(request("x-api-key", "k"))
		e := refusal(t, err)
		if e.Status != 500 || !strings.HasPrefix(e.Detail, "auth handler misconfigured: ") || strings.Contains(e.Detail, "ghp_secret") {
			t.Fatalf("%q: got %+v", setting, e)
		}
	}
}

func dispatch(t *testing.T, identity, resource, action string, studio bool, value string) (wasmgate.Outcome, map[string]any) {
	t.Helper()
	user := `{"identity": "` + identity + `", "permissions": []}`
	if studio {
		user = `{"identity": "langgraph-studio-user", "kind": "StudioUser", "is_authenticated": false, "permissions": []}`
	}
	out := wasmgate.RunAuthorize(wasmgate.AuthContext{Resource: resource, Action: action}, user, value)
	var edited map[string]any
	if out.Value != nil {
		_ = json.Unmarshal([]byte(*out.Value), &edited)
	}
	return out, edited
}

func TestRules(t *testing.T) {
	// init has exported the handler.
	if got := wasmgate.RunHandlers(); !reflect.DeepEqual(got, [][2]string{{"*", "*"}, {"assistants", "read"}, {"assistants", "search"}, {"store", "*"}}) {
		t.Fatalf("handlers %v", got)
	}

	out, edited := dispatch(t, "alice", "threads", "create", false, `{"thread_id": "t1", "metadata": {"owner": "mallory", "x": 1}}`)
	if out.Decision.FilterJSON() != `{"owner":"alice"}` || !reflect.DeepEqual(edited["metadata"], map[string]any{"owner": "alice", "x": 1.0}) {
		t.Fatalf("global: %v %v", out.Decision.FilterJSON(), edited)
	}
	for _, value := range []string{`{"thread_id": "t1"}`, `{"thread_id": "t1", "metadata": null}`} {
		out, _ := dispatch(t, "bob", "threads", "read", false, value)
		if out.Decision.FilterJSON() != `{"owner":"bob"}` || out.Value != nil {
			t.Fatalf("read %s: %v", value, out)
		}
	}
	for _, action := range []string{"read", "search"} {
		out, _ := dispatch(t, "alice", "assistants", action, false, `{"assistant_id": "a1", "metadata": {}}`)
		if out.Decision.FilterJSON() != `{"$or":[{"owner":"alice"},{"created_by":"system"}]}` || out.Value != nil {
			t.Fatalf("assistants.%s: %v", action, out)
		}
	}
	if out, _ := dispatch(t, "alice", "store", "put", false, `{"namespace": ["alice", "docs"]}`); out.Refusal != nil || out.Decision.Kind() != wasmgate.KindAllow {
		t.Fatalf("own namespace: %+v", out)
	}
	for _, ns := range []string{`["bob", "docs"]`, `[]`, `null`, `["alice-2"]`, `"alice"`, `["alice", 1]`} {
		out, _ := dispatch(t, "alice", "store", "put", false, `{"namespace": `+ns+`, "key": "k"}`)
		if out.Refusal == nil || out.Refusal.Status != 403 || out.Refusal.Detail != "Not authorized" || out.Refusal.Headers != nil {
			t.Fatalf("namespace %s: %+v", ns, out)
		}
	}
	for _, key := range [][2]string{{"threads", "create"}, {"assistants", "read"}, {"assistants", "search"}, {"store", "put"}, {"crons", "delete"}} {
		out, _ := dispatch(t, "", key[0], key[1], true, `{"namespace": ["someone"], "metadata": {"owner": "x"}}`)
		if out.Refusal != nil || out.Decision.Kind() != wasmgate.KindAllow || out.Value != nil {
			t.Fatalf("studio %v: %+v", key, out)
		}
	}
	flagged := wasmgate.RunAuthorize(wasmgate.AuthContext{Resource: "threads", Action: "create", StudioFlag: true},
		`{"identity": "alice"}`, `{"metadata": {}}`)
	if flagged.Decision.Kind() != wasmgate.KindAllow || flagged.Value != nil {
		t.Fatalf("studio flag: %+v", flagged)
	}
}
