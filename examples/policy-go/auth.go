// The shared policy in Go: API keys with custom fields, owner scoping, store
// namespaces scoped to the identity, Studio pass-through. It behaves exactly
// as the Rust reference, examples/owner-scoping/src/lib.rs.
//
// Build: ./build.sh; test natively: ./test.sh (see README.md).
package main

import (
	"encoding/json"

	"wit_component/wasmgate"
)

func init() {
	wasmgate.Export(wasmgate.Handler{
		Authenticate: authenticate,
		Rules: wasmgate.NewRules().
			Global(owner).
			On("assistants", "read", ownOrSystemAssistants).
			On("assistants", "search", ownOrSystemAssistants).
			On("store", "*", ownNamespace),
	})
}

// authenticate looks up x-api-key in the setting api_keys: {"<key>": {user entry}}.
func authenticate(request wasmgate.Request) (wasmgate.User, error) {
	var keys map[string]json.RawMessage
	if err := wasmgate.SettingJSON("api_keys", &keys); err != nil {
		return wasmgate.User{}, wasmgate.NewHTTPError(500, "auth handler misconfigured: "+err.Error())
	}
	return authenticateWith(request, keys)
}

// authenticateWith is authenticate without the setting lookup, for native tests.
func authenticateWith(request wasmgate.Request, keys map[string]json.RawMessage) (wasmgate.User, error) {
	key, ok := request.APIKey()
	entry, known := keys[key]
	if !ok || !known {
		return wasmgate.User{}, wasmgate.Unauthorized("Invalid API key").WithHeader("www-authenticate", "ApiKey")
	}
	user, err := wasmgate.UserFromJSON(entry)
	if err != nil {
		return wasmgate.User{}, wasmgate.NewHTTPError(500,
			"auth handler misconfigured: an `api_keys` entry is not a user: "+err.Error())
	}
	return user, nil
}

// owner (global): whatever you create or update is yours, and you only see
// and touch what is yours.
func owner(ctx *wasmgate.AuthContext, value map[string]any) (wasmgate.Decision, error) {
	if ctx.IsStudioUser() {
		return wasmgate.Allow(), nil
	}
	if metadata, ok := wasmgate.Metadata(value); ok {
		metadata["owner"] = ctx.Identity()
	}
	return wasmgate.Filter(map[string]any{"owner": ctx.Identity()}), nil
}

// ownOrSystemAssistants (assistants.read, assistants.search): your assistants
// and the system assistant of each graph, which an owner filter would hide.
func ownOrSystemAssistants(ctx *wasmgate.AuthContext, _ map[string]any) (wasmgate.Decision, error) {
	if ctx.IsStudioUser() {
		return wasmgate.Allow(), nil
	}
	return wasmgate.Filter(map[string]any{"$or": []any{
		map[string]any{"owner": ctx.Identity()},
		map[string]any{"created_by": "system"},
	}}), nil
}

// ownNamespace (store.*): LangGraph's `assert namespace[0] == ctx.user.identity`.
func ownNamespace(ctx *wasmgate.AuthContext, value map[string]any) (wasmgate.Decision, error) {
	if ctx.IsStudioUser() {
		return wasmgate.Allow(), nil
	}
	if namespace, ok := wasmgate.Namespace(value); ok && len(namespace) > 0 && namespace[0] == ctx.Identity() {
		return wasmgate.Allow(), nil
	}
	return wasmgate.Decision{}, wasmgate.Forbidden("Not authorized")
}
