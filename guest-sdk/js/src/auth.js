// wasmgate's JavaScript guest SDK: `@langchain/langgraph-sdk/auth` for a WebAssembly component.
//
// A LangGraph `auth.mts` builds against it with one changed line:
//
//     import { Auth, HTTPException } from "@langchain/langgraph-sdk/auth";   // LangGraph
//     import { Auth, HTTPException, settings } from "wasmgate-guest/auth";    // wasmgate
//
// The API is the LangGraph JS SDK's (`Auth`, `HTTPException`, `isStudioUser`), plus what a
// sandboxed component needs instead of `process.env`: `settings`, the module's settings from
// `langgraph.json`, and `parseUser`, the user normalisation as a function. `build.mjs` turns
// the module into a component of world `langgraph:auth/authorizer`; `component.js` is the glue.

import wit from "langgraph:auth/settings@0.1.0";
import "./async.js";

/** Where `Auth` keeps its handlers; read by the component glue. */
export const HANDLERS = Symbol("wasmgate.handlers");

const REASONS = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  410: "Gone",
  418: "I'm a Teapot",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/**
 * A refusal: the client gets `status` with `{"detail": message}` and these headers.
 *
 * `new HTTPException(401, { message: "Invalid API key", headers: { "www-authenticate": "ApiKey" } })`.
 * The message defaults to the status' reason phrase and the status to 401. Thrown from
 * `authenticate` it refuses the request; thrown from an `on` handler it refuses the action
 * (any 4xx/5xx). Anything else thrown is a fault: wasmgate answers 500 and lets nothing through.
 */
export class HTTPException extends Error {
  constructor(status = 401, options = {}) {
    super(options.message ?? REASONS[status] ?? "Unknown error", { cause: options.cause });
    this.name = "HTTPException";
    this.status = status;
    this.headers = options.headers ?? {};
  }

  /** The message, under the name the response body uses. */
  get detail() {
    return this.message;
  }
}

/**
 * The authentication handler and the authorization handlers of a component: LangGraph's `Auth`.
 *
 * ```js
 * export const auth = new Auth()
 *   .authenticate(async (request) => ({ identity: "alice", permissions: ["threads:write"] }))
 *   .on("*", ({ value, user }) => ({ owner: user.identity }))
 *   .on("threads:delete", () => false)
 *   .on(["assistants:read", "assistants:search"], ({ user }) => ({ owner: user.identity }))
 *   .on("store", ({ value, user }) => value.namespace?.[0] === user.identity);
 * ```
 *
 * Events: `"*"` (every action), `"threads"` (every action on a resource), `"*:create"` (an
 * action on every resource), `"threads:create"`, or an array of them. Only the most specific
 * handler runs: `resource:action`, then `resource`, then `*:action`, then `*`. Registering an
 * event again replaces its handler, as in LangGraph.
 */
export class Auth {
  constructor() {
    this[HANDLERS] = { authenticate: undefined, on: new Map() };
  }

  /**
   * Register the authentication handler: `(request) => user`, sync or async. `request` has
   * `method`, `url` and `headers.get(name)`. Return an identity string or an object with an
   * `identity` (plus `display_name`, `is_authenticated`, `permissions` and any custom fields),
   * or throw an `HTTPException`.
   */
  authenticate(callback) {
    if (typeof callback !== "function") {
      throw new TypeError("Auth.authenticate expects a function");
    }
    this[HANDLERS].authenticate = callback;
    return this;
  }

  /**
   * Register an authorization handler: `({event, resource, action, value, permissions, user})`,
   * sync or async. Return nothing or `true` (allow), `false` (403 Forbidden) or a filter object
   * on the resource's metadata (`{owner: user.identity}`, `$eq`, `$contains`, `$or`, `$and`),
   * or throw an `HTTPException`. Editing `value` in place (`value.metadata.owner = ...`) edits
   * the action.
   */
  on(event, callback) {
    if (typeof callback !== "function") {
      throw new TypeError("Auth.on expects a function as its second argument");
    }
    for (const name of Array.isArray(event) ? event : [event]) {
      this[HANDLERS].on.set(eventKey(name), callback);
    }
    return this;
  }
}

/** `"threads:create"` → `threads/create`, `"threads"` → `threads/*`, `"*"` → `*` + `*`. */
function eventKey(event) {
  if (typeof event !== "string" || event === "") {
    throw new TypeError(`Auth.on: an event must be a non-empty string, not ${typeof event}`);
  }
  const colon = event.indexOf(":");
  const [resource, action] =
    colon < 0 ? [event, "*"] : [event.slice(0, colon), event.slice(colon + 1)];
  if (resource === "" || action === "" || action.includes(":")) {
    throw new TypeError(`Auth.on: malformed event "${event}" (use "resource:action")`);
  }
  return `${resource}:${action}`;
}

/**
 * Whether `user` is LangGraph Studio's (`kind: "StudioUser"`). wasmgate marks it only under
 * `wasmgate dev`; the SDK also sets `kind` on the user it hands to `on` handlers whenever the
 * host says the caller is Studio's. Unlike the LangGraph JS SDK, the identity
 * `langgraph-studio-user` alone does not count: a handler's own users could claim it.
 */
export function isStudioUser(user) {
  return typeof user === "object" && user !== null && user.kind === "StudioUser";
}

/** Why `settings.json` could not read a setting. The message never quotes the value. */
export class SettingError extends Error {
  constructor(name, message) {
    super(message);
    this.name = "SettingError";
    this.setting = name;
  }
}

/**
 * The module's settings, declared in `langgraph.json` under `wasmgate.auth.settings` (values
 * written as `{"$env": ...}` or `{"$file": ...}` are resolved by the host). String settings
 * arrive as the string; objects, arrays, numbers and booleans as JSON text.
 */
export const settings = {
  /** The raw value of setting `name`, or `undefined` if it is not declared. */
  get(name) {
    return wit.get(name) ?? undefined;
  },

  /** Setting `name` parsed as JSON; throws a `SettingError` if it is missing or not JSON. */
  json(name) {
    const raw = wit.get(name);
    if (raw == null) throw new SettingError(name, `setting \`${name}\` is not declared`);
    try {
      return JSON.parse(raw);
    } catch {
      throw new SettingError(name, `setting \`${name}\` is not valid JSON`);
    }
  },

  /** Every setting as `[name, raw value]` pairs, sorted by name. */
  all() {
    return wit.getAll();
  },
};

const RESERVED = ["identity", "display_name", "is_authenticated", "permissions"];

/**
 * A user from a JSON-like object (e.g. an `api_keys` entry), normalised as LangGraph does:
 * `{identity, is_authenticated (default true), display_name (default identity), permissions
 * (default []), ...custom fields}`. Throws a `TypeError` naming the offending key, never its
 * value: `identity` must be a string, `display_name` a string or null, `is_authenticated` a
 * boolean or null, `permissions` an array of strings.
 */
export function parseUser(value) {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError("a user must be a JSON object");
  }
  const { identity, display_name, is_authenticated, permissions = [] } = value;
  if (typeof identity !== "string") {
    throw new TypeError("user field `identity` must be a string");
  }
  if (display_name != null && typeof display_name !== "string") {
    throw new TypeError("user field `display_name` must be a string or null");
  }
  if (is_authenticated != null && typeof is_authenticated !== "boolean") {
    throw new TypeError("user field `is_authenticated` must be a boolean or null");
  }
  if (!Array.isArray(permissions) || !permissions.every((p) => typeof p === "string")) {
    throw new TypeError("user field `permissions` must be an array of strings");
  }
  const user = {
    identity,
    is_authenticated: is_authenticated ?? true,
    display_name: display_name ?? identity,
    permissions: [...permissions],
  };
  for (const key of Object.keys(value)) {
    if (!RESERVED.includes(key)) user[key] = value[key];
  }
  return user;
}
