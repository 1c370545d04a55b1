package wasmgate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestHeaderLookupIsCaseInsensitiveAndLastWins(t *testing.T) {
	r := Request{Headers: []Header{
		{"x-api-key", []byte("first")}, {"x-other", []byte("o")}, {"X-API-KEY", []byte("second")},
	}}
	if v, _ := r.Header("x-api-key"); string(v) != "second" {
		t.Fatalf("got %q", v)
	}
	if key, ok := r.APIKey(); !ok || key != "second" {
		t.Fatalf("got %q %v", key, ok)
	}
	for _, value := range [][]byte{[]byte(""), {0xff, 0xfe}} {
		r := Request{Headers: []Header{{"x-api-key", value}}}
		if _, ok := r.APIKey(); ok {
			t.Fatalf("accepted %q", value)
		}
	}
	if _, ok := (Request{}).APIKey(); ok {
		t.Fatal("accepted a missing key")
	}
}

func withSettings(t *testing.T, settings map[string]string) {
	t.Helper()
	UseSettings(func(name string) (string, bool) { v, ok := settings[name]; return v, ok })
	t.Cleanup(func() { UseSettings(func(string) (string, bool) { return "", false }) })
}

func TestSettingJSONNeverQuotesTheValue(t *testing.T) {
	withSettings(t, map[string]string{
		"bad": "ghp_secret", "truncated": `{"ghp_secret": `, "shape": `["ghp_secret"]`, "ok": `{"a": {}}`, "text": "hello",
	})
	var keys map[string]json.RawMessage
	for name, want := range map[string]string{
		"missing":   "setting `missing` is not declared",
		"bad":       "setting `bad` is not valid JSON",
		"truncated": "setting `truncated` is not valid JSON",
		"shape":     "setting `shape` does not have the expected shape",
	} {
		err := SettingJSON(name, &keys)
		if err == nil || err.Error() != want || strings.Contains(err.Error(), "ghp_secret") {
			t.Errorf("%s: got %v, want %s", name, err, want)
		}
	}
	if err := SettingJSON("ok", &keys); err != nil || len(keys) != 1 {
		t.Fatalf("ok: %v %v", err, keys)
	}
	var text string
	if err := SettingJSON("text", &text); err != nil || text != "hello" {
		t.Fatalf("text: %v %q", err, text)
	}
}

func TestUserFromJSON(t *testing.T) {
	user, err := UserFromJSON([]byte(`{"identity": "alice", "display_name": null, "is_authenticated": false,
		"permissions": ["threads:write"], "github_token": "ghp_a", "identity": "bob"}`))
	if err != nil {
		t.Fatal(err)
	}
	if user.Identity != "bob" || user.DisplayName != nil || user.IsAuthenticated == nil || *user.IsAuthenticated ||
		!reflect.DeepEqual(user.Permissions, []string{"threads:write"}) {
		t.Fatalf("got %+v", user)
	}
	if got := user.CustomFieldsJSON(); got != `{"github_token":"ghp_a"}` {
		t.Fatalf("custom fields %s", got)
	}
	if got := (User{Identity: "x"}).CustomFieldsJSON(); got != "{}" {
		t.Fatalf("no custom fields: %s", got)
	}
	for entry, want := range map[string]string{
		`"ghp_secret"`:                         "a user must be a JSON object",
		`{}`:                                   "user field `identity` must be a string",
		`{"identity": null}`:                   "user field `identity` must be a string",
		`{"identity": ["ghp_secret"]}`:         "user field `identity` must be a string",
		`{"identity": "a", "display_name": 3}`: "user field `display_name` must be a string or null",
		`{"identity": "a", "is_authenticated": "yes"}`:   "user field `is_authenticated` must be a boolean or null",
		`{"identity": "a", "permissions": null}`:         "user field `permissions` must be an array of strings",
		`{"identity": "a", "permissions": [1]}`:          "user field `permissions` must be an array of strings",
		`{"identity": "a", "permissions": "ghp_secret"}`: "user field `permissions` must be an array of strings",
	} {
		if _, err := UserFromJSON([]byte(entry)); err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", entry, err, want)
		}
	}
}

func TestRoutingTakesTheMostSpecificRule(t *testing.T) {
	tag := func(name string) Rule {
		return func(*AuthContext, map[string]any) (Decision, error) { return Filter(map[string]any{"by": name}), nil }
	}
	rules := NewRules().Global(tag("global")).On("threads", "*", tag("threads")).
		On("*", "read", tag("read")).On("threads", "read", tag("threads.read"))
	for _, c := range []struct{ resource, action, want string }{
		{"threads", "read", "threads.read"}, {"threads", "create", "threads"},
		{"assistants", "read", "read"}, {"crons", "search", "global"},
	} {
		d, err := rules.Dispatch(&AuthContext{Resource: c.resource, Action: c.action}, map[string]any{})
		if err != nil || d.FilterJSON() != `{"by":"`+c.want+`"}` {
			t.Errorf("%s.%s: %v %v", c.resource, c.action, d.FilterJSON(), err)
		}
	}
	if d, _ := NewRules().Dispatch(&AuthContext{Resource: "threads", Action: "read"}, nil); d.Kind() != KindAllow {
		t.Fatal("an empty table must allow")
	}
	if !reflect.DeepEqual(rules.Keys(), [][2]string{{"*", "*"}, {"threads", "*"}, {"*", "read"}, {"threads", "read"}}) {
		t.Fatalf("keys %v", rules.Keys())
	}
}

func TestRunAuthorizeReportsOnlyChangedValues(t *testing.T) {
	stamp := func(ctx *AuthContext, value map[string]any) (Decision, error) {
		if m, ok := Metadata(value); ok {
			m["owner"] = ctx.Identity()
		}
		return Allow(), nil
	}
	Export(Handler{Rules: NewRules().Global(stamp)})
	t.Cleanup(func() { Export(Handler{}) })
	ctx := AuthContext{Resource: "threads", Action: "create"}
	out := RunAuthorize(ctx, `{"identity": "alice"}`, `{"metadata": {"owner": "mallory", "n": 1.50}, "x": "<&>"}`)
	if out.Value == nil || *out.Value != `{"metadata":{"n":1.50,"owner":"alice"},"x":"<&>"}` {
		t.Fatalf("edited: %v", out.Value)
	}
	out = RunAuthorize(ctx, `{"identity": "alice"}`, `{"metadata": {"owner": "alice"}}`)
	if out.Value != nil {
		t.Fatalf("unchanged value reported: %s", *out.Value)
	}
}

func TestNamespace(t *testing.T) {
	for text, want := range map[string][]string{
		`{"namespace": ["a", "b"]}`: {"a", "b"}, `{"namespace": []}`: {},
		`{"namespace": null}`: nil, `{"namespace": "a"}`: nil, `{"namespace": ["a", 1]}`: nil, `{}`: nil,
	} {
		var value map[string]any
		_ = json.Unmarshal([]byte(text), &value)
		got, ok := Namespace(value)
		if ok != (want != nil) || (ok && !reflect.DeepEqual(got, want)) {
			t.Errorf("%s: got %v %v", text, got, ok)
		}
	}
}
