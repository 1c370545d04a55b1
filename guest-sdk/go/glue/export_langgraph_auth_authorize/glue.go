//go:build wasip1

// Package export_langgraph_auth_authorize implements the `handlers` and
// `authorize` exports that the generated bindings (wit_exports.go) call, by
// converting between the generated types and package wasmgate's. Copied next
// to the generated bindings by examples/policy-go/build.sh; not for handlers.
package export_langgraph_auth_authorize

import (
	witTypes "go.bytecodealliance.org/pkg/wit/types"
	"wit_component/export_langgraph_auth_authenticate"
	"wit_component/langgraph_auth_authorize"
	"wit_component/wasmgate"
)

// Handlers is the WIT export.
func Handlers() []langgraph_auth_authorize.HandlerKey {
	keys := wasmgate.RunHandlers()
	out := make([]langgraph_auth_authorize.HandlerKey, len(keys))
	for i, key := range keys {
		out[i] = langgraph_auth_authorize.HandlerKey{Resource: key[0], Action: key[1]}
	}
	return out
}

// Authorize is the WIT export.
func Authorize(context langgraph_auth_authorize.AuthContext, value string) langgraph_auth_authorize.Outcome {
	outcome := wasmgate.RunAuthorize(wasmgate.AuthContext{
		Permissions: context.Permissions,
		Resource:    context.Resource,
		Action:      context.Action,
		StudioFlag:  context.IsStudioUser,
	}, context.User, value)
	out := langgraph_auth_authorize.Outcome{Value: witTypes.None[string]()}
	switch {
	case outcome.Refusal != nil:
		out.Decision = langgraph_auth_authorize.MakeDecisionError(
			export_langgraph_auth_authenticate.HTTPError(outcome.Refusal))
	case outcome.Decision.Kind() == wasmgate.KindDeny:
		out.Decision = langgraph_auth_authorize.MakeDecisionDeny()
	case outcome.Decision.Kind() == wasmgate.KindFilter:
		out.Decision = langgraph_auth_authorize.MakeDecisionFilter(outcome.Decision.FilterJSON())
	default:
		out.Decision = langgraph_auth_authorize.MakeDecisionAllow()
	}
	if outcome.Value != nil {
		out.Value = witTypes.Some(*outcome.Value)
	}
	return out
}
