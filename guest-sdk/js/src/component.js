// The glue between an `Auth` and the exports of world `langgraph:auth/authorizer`.
//
// `build.mjs` generates the component's entry module:
//
//     import * as policy from "<the policy>";
//     import { exportsFor } from "wasmgate-guest/component";
//     export const { authenticate, authorize } = exportsFor(policy, "auth");
//
// componentize-qjs maps WIT to JS as jco does: records are objects with camelCase keys,
// `option` is `null`, variants are `{tag, val}`, `list<u8>` is a `Uint8Array`, and a
// top-level `result` error is *thrown* as a plain object (throwing an `Error` traps).

import { Auth, HANDLERS, parseUser } from "./auth.js";
import { settle } from "./async.js";
import { decodeUtf8 } from "./utf8.js";

/**
 * The export objects for the `Auth` that module `policy` exports as `name` (or as its default
 * export); throws, failing the build, if there is none.
 */
export function exportsFor(policy, name) {
  const auth = policy[name] ?? policy.default;
  if (!(auth instanceof Auth)) {
    throw new TypeError(
      `the policy must export \`${name}\` (or a default export): an Auth from wasmgate-guest/auth`,
    );
  }
  const { authenticate, on } = auth[HANDLERS];
  if (authenticate === undefined) {
    throw new TypeError("the policy's Auth has no authenticate handler (call .authenticate(...))");
  }
  const keys = [...on.keys()].map((key) => {
    const colon = key.indexOf(":");
    return { resource: key.slice(0, colon), action: key.slice(colon + 1) };
  });
  return {
    authenticate: {
      authenticate(request) {
        const { ok, value } = call(authenticate, new Request(request));
        if (!ok) throw refusal(value, "authenticate");
        return userRecord(value);
      },
    },
    authorize: {
      handlers() {
        return keys;
      },
      authorize(context, valueText) {
        const { resource, action } = context;
        const handler =
          on.get(`${resource}:${action}`) ??
          on.get(`${resource}:*`) ??
          on.get(`*:${action}`) ??
          on.get("*:*");
        if (handler === undefined) return { decision: { tag: "allow" }, value: null };
        const value = JSON.parse(valueText);
        const before = JSON.stringify(value);
        const user = JSON.parse(context.user);
        if (context.isStudioUser) user.kind = "StudioUser";
        const { ok, value: result } = call(handler, {
          event: `${resource}:${action}`,
          resource,
          action,
          value,
          permissions: context.permissions,
          user,
        });
        if (!ok) return { decision: { tag: "error", val: refusal(result, "an on handler") }, value: null };
        const decision = decide(result);
        if (decision.tag === "error") return { decision, value: null };
        const after = JSON.stringify(value);
        return { decision, value: after === before ? null : after };
      },
    },
  };
}

function call(handler, argument) {
  try {
    return settle(handler(argument));
  } catch (error) {
    return { ok: false, value: error };
  }
}

/** LangGraph's reading of a handler's return value. */
function decide(result) {
  if (result == null || result === true) return { tag: "allow" };
  if (result === false) return { tag: "deny" };
  if (typeof result === "object") return { tag: "filter", val: JSON.stringify(result) };
  return {
    tag: "error",
    val: {
      status: 500,
      detail:
        "Auth handler returned invalid result. Expected filter object, null, undefined or " +
        `boolean. Got "${typeof result}" instead.`,
      headers: [],
    },
  };
}

/**
 * An `HTTPException` (or anything shaped like one: a numeric `status` and `headers`, as the
 * LangGraph JS server accepts) as a WIT `http-error`. Anything else is a fault: it is rethrown
 * as an `Error`, which traps, so wasmgate answers 500 and nobody gets through.
 */
function refusal(error, where) {
  const shaped =
    typeof error === "object" && error !== null && typeof error.status === "number" && "headers" in error;
  if (!shaped) {
    if (error instanceof Error) throw error;
    throw new Error(`${where} threw a value that is not an HTTPException`);
  }
  const detail = error.message ?? error.detail;
  return {
    status: error.status,
    detail: detail == null || detail === "" ? null : String(detail),
    headers: headerPairs(error.headers),
  };
}

/** `HeadersInit` (a record, an array of pairs or a `Headers`-like object) as WIT pairs. */
function headerPairs(headers) {
  if (headers == null) return [];
  const pairs = [];
  const entries =
    Array.isArray(headers) || typeof headers[Symbol.iterator] === "function"
      ? headers
      : Object.entries(headers);
  for (const [name, value] of entries) pairs.push([String(name), String(value)]);
  return pairs;
}

/** A handler's return value as a WIT `user`: LangGraph's normalisation (spec §2.3). */
function userRecord(result) {
  const user = typeof result === "string" ? { identity: result } : result;
  const { identity, display_name, is_authenticated, permissions, ...fields } = parseUser(user);
  return {
    identity,
    displayName: user.display_name ?? null,
    isAuthenticated: user.is_authenticated ?? null,
    permissions,
    customFields: JSON.stringify(fields),
  };
}

/** A Web-style view of the WIT request: `method`, `url` and `headers.get(name)`. */
class Request {
  #request;
  #headers;

  constructor(request) {
    this.#request = request;
  }

  get method() {
    return this.#request.method;
  }

  /** `http://localhost` + path + `?query` (the host does not tell the guest its authority). */
  get url() {
    const { path, query } = this.#request;
    return `http://localhost${path}${query === "" ? "" : `?${query}`}`;
  }

  get headers() {
    return (this.#headers ??= new Headers(this.#request.headers));
  }
}

/**
 * The request headers: `get(name)` (case-insensitive, `null` when absent; the *last* value
 * of a repeated header, as everywhere in wasmgate and in LangGraph's Python server), `has`,
 * and iteration over every `[name, value]` pair in order. Values are decoded as UTF-8 (an
 * invalid byte becomes U+FFFD).
 */
class Headers {
  #raw;

  constructor(raw) {
    this.#raw = raw;
  }

  get(name) {
    const wanted = String(name).toLowerCase();
    for (let i = this.#raw.length - 1; i >= 0; i--) {
      if (this.#raw[i].name === wanted) return decodeUtf8(this.#raw[i].value);
    }
    return null;
  }

  has(name) {
    const wanted = String(name).toLowerCase();
    return this.#raw.some((header) => header.name === wanted);
  }

  *entries() {
    for (const { name, value } of this.#raw) yield [name, decodeUtf8(value)];
  }

  *keys() {
    for (const { name } of this.#raw) yield name;
  }

  *values() {
    for (const { value } of this.#raw) yield decodeUtf8(value);
  }

  forEach(callback, thisArg) {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }

  [Symbol.iterator]() {
    return this.entries();
  }
}
