// Package wasmgate is wasmgate's Go guest SDK for auth handlers (WIT world
// langgraph:auth/authorizer): requests, settings, users, refusals and
// LangGraph-style authorization rules, in plain Go types.
//
// A handler exports an authenticate function and a rule table from an init
// function of package main:
//
//	func init() {
//		wasmgate.Export(wasmgate.Handler{
//			Authenticate: authenticate,
//			Rules:        wasmgate.NewRules().Global(owner).On("store", "*", ownNamespace),
//		})
//	}
//
// authenticate returns a User, or an error: a *HTTPError refuses the request
// (401/403 with a detail); any other error, like a panic, is a fault, which
// wasmgate answers with a generic 500 and never takes as a decision. Rules
// receive the action's value decoded as a JSON object and may edit it in
// place; wasmgate gets the edited value back only if it changed.
//
// This package imports nothing but the standard library, so it and handlers
// built on it are tested natively with `go test`. The glue between it and
// the generated bindings (packages export_langgraph_auth_*, in
// guest-sdk/go/glue) and the build recipe (examples/policy-go/build.sh)
// assemble the component.
package wasmgate

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Header is one request header, as it arrived.
type Header struct {
	// Name is lower-cased.
	Name string
	// Value is the raw bytes: HTTP allows non-UTF-8 values.
	Value []byte
}

// Request is the request being authenticated. The body is never available.
type Request struct {
	Method  string
	Path    string
	Query   string
	Headers []Header
}

// Header returns the value of header name (ASCII case-insensitive; the last
// one if it repeats).
func (r Request) Header(name string) ([]byte, bool) {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if strings.EqualFold(r.Headers[i].Name, name) {
			return r.Headers[i].Value, true
		}
	}
	return nil, false
}

// HeaderString is Header as text; false when the value is not valid UTF-8.
func (r Request) HeaderString(name string) (string, bool) {
	value, ok := r.Header(name)
	if !ok || !utf8.Valid(value) {
		return "", false
	}
	return string(value), true
}

// APIKey returns the x-api-key header; false when it is missing, empty or
// not UTF-8.
func (r Request) APIKey() (string, bool) {
	key, ok := r.HeaderString("x-api-key")
	return key, ok && key != ""
}

// --- settings ---------------------------------------------------------------

var settingsSource = func(string) (string, bool) { return "", false }

// UseSettings sets where Setting reads from. The generated glue points it at
// the WIT settings import; native tests point it at a map.
func UseSettings(get func(name string) (string, bool)) {
	settingsSource = get
}

// Setting returns the raw value of setting name (JSON text unless it is a
// string setting), or false if it is not declared.
func Setting(name string) (string, bool) {
	return settingsSource(name)
}

// SettingError says why SettingJSON could not read a setting. Its message
// names the setting and the reason but never quotes the value, so it is safe
// in a response detail even when the setting holds secrets.
type SettingError struct {
	Name string
	// Missing: the setting is not declared. Otherwise Reason says what is wrong.
	Missing bool
	Reason  string
}

func (e *SettingError) Error() string {
	if e.Missing {
		return "setting `" + e.Name + "` is not declared"
	}
	return "setting `" + e.Name + "` " + e.Reason
}

// SettingJSON decodes setting name into v (a pointer). If the text is not
// JSON of v's shape, it is tried as a JSON string, so a string setting can
// be read into a string whatever it looks like.
func SettingJSON(name string, v any) error {
	raw, ok := Setting(name)
	if !ok {
		return &SettingError{Name: name, Missing: true}
	}
	err := json.Unmarshal([]byte(raw), v)
	if err == nil {
		return nil
	}
	if quoted, qerr := json.Marshal(raw); qerr == nil && json.Unmarshal(quoted, v) == nil {
		return nil
	}
	var syntax *json.SyntaxError
	reason := "does not have the expected shape"
	if errors.As(err, &syntax) {
		reason = "is not valid JSON"
	}
	return &SettingError{Name: name, Reason: reason}
}

// --- users and refusals -------------------------------------------------------

// User is the authenticated user. wasmgate normalises it as LangGraph does:
// DisplayName defaults to Identity, IsAuthenticated to true.
type User struct {
	Identity        string
	DisplayName     *string
	IsAuthenticated *bool
	Permissions     []string
	// Fields are the custom fields (OAuth tokens, roles...), as JSON values.
	// They reach graphs in memory only; wasmgate never stores or returns them.
	Fields map[string]json.RawMessage
}

var reservedFields = map[string]bool{
	"identity": true, "display_name": true, "is_authenticated": true, "permissions": true,
}

// UserFromJSON builds a user from a JSON object: identity (a string),
// display_name (string or null), is_authenticated (bool or null),
// permissions (array of strings); every other member is a custom field. The
// error names the field but never quotes a value.
func UserFromJSON(entry []byte) (User, error) {
	var fields map[string]json.RawMessage
	if !isObject(entry) || json.Unmarshal(entry, &fields) != nil {
		return User{}, errors.New("a user must be a JSON object")
	}
	var user User
	if json.Unmarshal(fields["identity"], &user.Identity) != nil || !isString(fields["identity"]) {
		return User{}, errors.New("user field `identity` must be a string")
	}
	if raw, ok := fields["display_name"]; ok && json.Unmarshal(raw, &user.DisplayName) != nil {
		return User{}, errors.New("user field `display_name` must be a string or null")
	}
	if raw, ok := fields["is_authenticated"]; ok && json.Unmarshal(raw, &user.IsAuthenticated) != nil {
		return User{}, errors.New("user field `is_authenticated` must be a boolean or null")
	}
	if raw, ok := fields["permissions"]; ok {
		if json.Unmarshal(raw, &user.Permissions) != nil || !isArray(raw) {
			return User{}, errors.New("user field `permissions` must be an array of strings")
		}
	}
	for key, value := range fields {
		if !reservedFields[key] {
			if user.Fields == nil {
				user.Fields = map[string]json.RawMessage{}
			}
			user.Fields[key] = value
		}
	}
	return user, nil
}

// CustomFieldsJSON is the custom fields as the text of one JSON object.
func (u User) CustomFieldsJSON() string {
	fields := map[string]json.RawMessage{}
	for key, value := range u.Fields {
		if !reservedFields[key] {
			fields[key] = value
		}
	}
	return marshal(fields)
}

// HTTPError refuses a request: wasmgate answers Status with {"detail": Detail}
// (the status's reason phrase if Detail is empty) and Headers.
type HTTPError struct {
	Status  uint16
	Detail  string
	Headers [][2]string
}

func (e *HTTPError) Error() string {
	return strconv.Itoa(int(e.Status)) + " " + e.Detail
}

// NewHTTPError is a refusal with status and detail.
func NewHTTPError(status uint16, detail string) *HTTPError {
	return &HTTPError{Status: status, Detail: detail}
}

// Unauthorized is a 401 refusal.
func Unauthorized(detail string) *HTTPError { return NewHTTPError(401, detail) }

// Forbidden is a 403 refusal.
func Forbidden(detail string) *HTTPError { return NewHTTPError(403, detail) }

// WithHeader adds a response header and returns e.
func (e *HTTPError) WithHeader(name, value string) *HTTPError {
	e.Headers = append(e.Headers, [2]string{name, value})
	return e
}

// --- authorization -------------------------------------------------------------

// AuthContext is who is acting, on what.
type AuthContext struct {
	// User is the normalised user as JSON (custom fields included).
	User        map[string]any
	Permissions []string
	Resource    string
	Action      string
	// StudioFlag is wasmgate's is-studio-user flag.
	StudioFlag bool
}

// Identity is the user's identity ("" if the user JSON has none).
func (c *AuthContext) Identity() string {
	identity, _ := c.User["identity"].(string)
	return identity
}

// IsStudioUser tells whether the user is LangGraph Studio's: wasmgate's flag,
// or kind == "StudioUser" in the user JSON.
func (c *AuthContext) IsStudioUser() bool {
	kind, _ := c.User["kind"].(string)
	return c.StudioFlag || kind == "StudioUser"
}

// Decision is what a rule decided (a rule refuses by returning an error).
type Decision struct {
	kind   uint8
	filter map[string]any
}

// Decision kinds, in the WIT variant's order.
const (
	KindAllow uint8 = iota
	KindDeny
	KindFilter
)

// Allow proceeds, unfiltered.
func Allow() Decision { return Decision{kind: KindAllow} }

// Deny refuses with 403 {"detail": "Forbidden"}.
func Deny() Decision { return Decision{kind: KindDeny} }

// Filter proceeds on the resources whose metadata matches filter (plain
// equality, $eq, $contains, $or, $and).
func Filter(filter map[string]any) Decision { return Decision{kind: KindFilter, filter: filter} }

// Kind is KindAllow, KindDeny or KindFilter.
func (d Decision) Kind() uint8 { return d.kind }

// FilterJSON is the filter as JSON text (for KindFilter).
func (d Decision) FilterJSON() string { return marshal(d.filter) }

// Rule decides one action. value is the action's value, which the rule may
// edit in place. A *HTTPError refuses with that status; any other error is a
// fault.
type Rule func(ctx *AuthContext, value map[string]any) (Decision, error)

// Rules is a table of rules keyed by (resource, action); either may be "*".
// Only the most specific rule runs, as in LangGraph: (resource, action), then
// (resource, *), then (*, action), then the global (*, *).
type Rules struct {
	keys  [][2]string
	rules []Rule
}

// NewRules is an empty table: every action is allowed.
func NewRules() *Rules { return &Rules{} }

// On registers rule for (resource, action); a later registration of the same
// key replaces the earlier one.
func (r *Rules) On(resource, action string, rule Rule) *Rules {
	for i, key := range r.keys {
		if key == [2]string{resource, action} {
			r.rules[i] = rule
			return r
		}
	}
	r.keys = append(r.keys, [2]string{resource, action})
	r.rules = append(r.rules, rule)
	return r
}

// Global registers the (*, *) rule.
func (r *Rules) Global(rule Rule) *Rules { return r.On("*", "*", rule) }

// Keys lists the registered (resource, action) pairs in registration order.
func (r *Rules) Keys() [][2]string { return append([][2]string(nil), r.keys...) }

// Route returns the key of the rule that handles (resource, action).
func (r *Rules) Route(resource, action string) ([2]string, bool) {
	i := r.route(resource, action)
	if i < 0 {
		return [2]string{}, false
	}
	return r.keys[i], true
}

func (r *Rules) route(resource, action string) int {
	for _, want := range [][2]string{{resource, action}, {resource, "*"}, {"*", action}, {"*", "*"}} {
		for i, key := range r.keys {
			if key == want {
				return i
			}
		}
	}
	return -1
}

// Dispatch runs the rule for ctx's (resource, action) on value; no rule
// allows.
func (r *Rules) Dispatch(ctx *AuthContext, value map[string]any) (Decision, error) {
	if r == nil {
		return Allow(), nil
	}
	i := r.route(ctx.Resource, ctx.Action)
	if i < 0 {
		return Allow(), nil
	}
	return r.rules[i](ctx, value)
}

// Metadata returns value["metadata"] if it is an object: the place to stamp
// an owner.
func Metadata(value map[string]any) (map[string]any, bool) {
	metadata, ok := value["metadata"].(map[string]any)
	return metadata, ok
}

// Namespace returns value["namespace"] if it is an array of strings.
func Namespace(value map[string]any) ([]string, bool) {
	items, ok := value["namespace"].([]any)
	if !ok {
		return nil, false
	}
	labels := make([]string, 0, len(items))
	for _, item := range items {
		label, ok := item.(string)
		if !ok {
			return nil, false
		}
		labels = append(labels, label)
	}
	return labels, true
}

// --- export ---------------------------------------------------------------------

// Handler is what a component exports.
type Handler struct {
	Authenticate func(Request) (User, error)
	// Rules is nil for an authentication-only handler.
	Rules *Rules
}

var exported Handler

// Export makes h the component's handler. Call it from an init function.
func Export(h Handler) { exported = h }

// RunAuthenticate is called by the generated glue: the exported handler's
// authentication. A refusal comes back as *HTTPError; a panic or any other
// error panics (a fault: the request fails closed).
func RunAuthenticate(request Request) (User, *HTTPError) {
	if exported.Authenticate == nil {
		panic("wasmgate: no handler exported (call wasmgate.Export in an init function)")
	}
	user, err := exported.Authenticate(request)
	if err != nil {
		var refusal *HTTPError
		if errors.As(err, &refusal) {
			return User{}, refusal
		}
		panic("wasmgate: authenticate failed: " + err.Error())
	}
	return user, nil
}

// RunHandlers is called by the generated glue: the registered keys.
func RunHandlers() [][2]string {
	if exported.Rules == nil {
		return nil
	}
	return exported.Rules.Keys()
}

// Outcome is an authorization result as the glue passes it to wasmgate.
type Outcome struct {
	Decision Decision
	// Refusal is set instead of Decision when the rule refused.
	Refusal *HTTPError
	// Value is the edited value's JSON, or nil if unchanged.
	Value *string
}

// RunAuthorize is called by the generated glue: decodes, dispatches and
// reports the decision and the value if edited. Input that is not JSON
// (wasmgate never sends any) panics.
func RunAuthorize(ctx AuthContext, userJSON, valueJSON string) Outcome {
	if err := decode(userJSON, &ctx.User); err != nil || ctx.User == nil {
		panic("wasmgate sent an auth context whose user is not a JSON object")
	}
	var original, edited map[string]any
	if decode(valueJSON, &original) != nil || decode(valueJSON, &edited) != nil || original == nil {
		panic("wasmgate sent an authorization value that is not a JSON object")
	}
	decision, err := exported.Rules.Dispatch(&ctx, edited)
	var out Outcome
	if err != nil {
		var refusal *HTTPError
		if !errors.As(err, &refusal) {
			panic("wasmgate: authorize failed: " + err.Error())
		}
		out.Refusal = refusal
	} else {
		out.Decision = decision
	}
	if !reflect.DeepEqual(original, edited) {
		text := marshal(edited)
		out.Value = &text
	}
	return out
}

// --- JSON helpers -----------------------------------------------------------------

func decode(text string, v any) error {
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data")
	}
	return nil
}

// marshal is compact JSON without HTML escaping.
func marshal(v any) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		panic("wasmgate: cannot encode JSON: " + err.Error())
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func firstByte(raw []byte) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

func isObject(raw []byte) bool { return firstByte(raw) == '{' }
func isArray(raw []byte) bool  { return firstByte(raw) == '[' }
func isString(raw []byte) bool { return firstByte(raw) == '"' }
