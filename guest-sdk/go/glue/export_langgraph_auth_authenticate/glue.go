//go:build wasip1

// Package export_langgraph_auth_authenticate implements the `authenticate`
// export that the generated bindings (wit_exports.go) call, by converting
// between the generated types and package wasmgate's. Copied next to the
// generated bindings by examples/policy-go/build.sh; not for handlers.
package export_langgraph_auth_authenticate

import (
	witTypes "go.bytecodealliance.org/pkg/wit/types"
	"wit_component/langgraph_auth_settings"
	"wit_component/langgraph_auth_types"
	"wit_component/wasmgate"
)

func init() {
	wasmgate.UseSettings(func(name string) (string, bool) {
		value := langgraph_auth_settings.Get(name)
		return value.SomeOr(""), value.IsSome()
	})
}

// Authenticate is the WIT export.
func Authenticate(request langgraph_auth_types.Request) witTypes.Result[langgraph_auth_types.User, langgraph_auth_types.HttpError] {
	headers := make([]wasmgate.Header, len(request.Headers))
	for i, h := range request.Headers {
		headers[i] = wasmgate.Header{Name: h.Name, Value: h.Value}
	}
	user, refusal := wasmgate.RunAuthenticate(wasmgate.Request{
		Method: request.Method, Path: request.Path, Query: request.Query, Headers: headers,
	})
	if refusal != nil {
		return witTypes.Err[langgraph_auth_types.User](HTTPError(refusal))
	}
	out := langgraph_auth_types.User{
		Identity:        user.Identity,
		DisplayName:     witTypes.None[string](),
		IsAuthenticated: witTypes.None[bool](),
		Permissions:     user.Permissions,
		CustomFields:    user.CustomFieldsJSON(),
	}
	if out.Permissions == nil {
		out.Permissions = []string{}
	}
	if user.DisplayName != nil {
		out.DisplayName = witTypes.Some(*user.DisplayName)
	}
	if user.IsAuthenticated != nil {
		out.IsAuthenticated = witTypes.Some(*user.IsAuthenticated)
	}
	return witTypes.Ok[langgraph_auth_types.User, langgraph_auth_types.HttpError](out)
}

// HTTPError converts a refusal (shared with the authorize glue).
func HTTPError(e *wasmgate.HTTPError) langgraph_auth_types.HttpError {
	out := langgraph_auth_types.HttpError{Status: e.Status, Detail: witTypes.None[string]()}
	if e.Detail != "" {
		out.Detail = witTypes.Some(e.Detail)
	}
	out.Headers = make([]witTypes.Tuple2[string, string], len(e.Headers))
	for i, h := range e.Headers {
		out.Headers[i] = witTypes.Tuple2[string, string]{F0: h[0], F1: h[1]}
	}
	return out
}
