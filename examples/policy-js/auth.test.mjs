// The owner-scoping policy (auth.mts) as the component runs it, against the behaviour of the
// Rust reference (examples/owner-scoping): `node --test examples/policy-js/auth.test.mjs`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import {
  context,
  loadPolicy,
  request,
  result,
  setSettings,
} from "../../guest-sdk/js/test/harness.mjs";

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const config = JSON.parse(readFileSync(here("./langgraph.json"), "utf8"));
const demoKeys = config.wasmgate.auth.settings.api_keys;

let policy;
before(async () => {
  policy = await loadPolicy(here("./auth.mts"));
  setSettings({ api_keys: demoKeys });
});

const authenticate = (headers) => result(() => policy.authenticate.authenticate(request(headers)));
const user = (identity) => ({
  identity,
  is_authenticated: true,
  display_name: identity,
  permissions: ["threads:write"],
});
const studio = {
  identity: "langgraph-studio-user",
  kind: "StudioUser",
  is_authenticated: false,
  display_name: "langgraph-studio-user",
  permissions: [],
};
const authorize = (who, resource, action, value, options) =>
  policy.authorize.authorize(context(who, resource, action, options), JSON.stringify(value));
const filter = (json) => ({ tag: "filter", val: JSON.stringify(json) });
const notAuthorized = { tag: "error", val: { status: 403, detail: "Not authorized", headers: [] } };

describe("authenticate", () => {
  test("the demo keys authenticate with their custom fields", () => {
    const bob = authenticate({ "x-api-key": "bob-key" }).ok;
    assert.equal(bob.identity, "bob");
    assert.deepEqual(bob.permissions, ["threads:write"]);
    assert.equal(bob.displayName, "bob");
    assert.equal(bob.isAuthenticated, true);
    assert.deepEqual(JSON.parse(bob.customFields), {
      github_token: "ghp_bob_0000000000003333",
      jira_token: "jira_bob_4444",
    });
  });

  test("a missing, empty or unknown key is 401 Invalid API key with www-authenticate", () => {
    const invalid = { status: 401, detail: "Invalid API key", headers: [["www-authenticate", "ApiKey"]] };
    for (const headers of [
      {},
      { "x-api-key": "" },
      { "x-api-key": "mallory-key" },
      { "x-api-key": "constructor" },
      { "x-api-key": "__proto__" },
      { "x-api-key": "toString" },
      { "x-api-key": Uint8Array.of(0x61, 0xff) },
      { authorization: "Bearer alice-key" },
    ]) {
      assert.deepEqual(authenticate(headers).err, invalid, JSON.stringify(headers));
    }
  });

  test("a repeated header counts with its last value", () => {
    const headers = [
      ["x-api-key", "mallory-key"],
      ["x-api-key", "alice-key"],
    ];
    assert.equal(authenticate(headers).ok.identity, "alice");
  });

  test("a missing or malformed setting is a 500 that never quotes the secrets", () => {
    const cases = [
      [{}, "auth handler misconfigured: setting `api_keys` is not declared"],
      [{ api_keys: "{ghp_secret" }, "auth handler misconfigured: setting `api_keys` is not valid JSON"],
      [{ api_keys: ["ghp_secret"] }, "auth handler misconfigured: setting `api_keys` is not a JSON object"],
      [
        { api_keys: { "k": "ghp_secret" } },
        "auth handler misconfigured: an `api_keys` entry is not a user: a user must be a JSON object",
      ],
      [
        { api_keys: { "k": { identity: ["ghp_secret"] } } },
        "auth handler misconfigured: an `api_keys` entry is not a user: user field `identity` must be a string",
      ],
      [
        { api_keys: { "k": { identity: "a", permissions: "ghp_secret" } } },
        "auth handler misconfigured: an `api_keys` entry is not a user: user field `permissions` must be an array of strings",
      ],
    ];
    try {
      for (const [settings, detail] of cases) {
        setSettings(settings);
        for (const headers of [{ "x-api-key": "k" }, {}]) {
          if (detail.includes("entry") && !headers["x-api-key"]) continue;
          assert.deepEqual(authenticate(headers).err, { status: 500, detail, headers: [] });
        }
      }
    } finally {
      setSettings({ api_keys: demoKeys });
    }
  });
});

describe("authorize", () => {
  test("handlers() covers exactly global, assistants.read, assistants.search and store.*", () => {
    assert.deepEqual(policy.authorize.handlers(), [
      { resource: "*", action: "*" },
      { resource: "assistants", action: "read" },
      { resource: "assistants", action: "search" },
      { resource: "store", action: "*" },
    ]);
  });

  test("global: stamps metadata.owner over the client's and filters on it", () => {
    const value = { thread_id: "t1", metadata: { owner: "mallory", x: 1 }, if_exists: "raise" };
    const outcome = authorize(user("alice"), "threads", "create", value);
    assert.deepEqual(outcome.decision, filter({ owner: "alice" }));
    assert.deepEqual(JSON.parse(outcome.value), {
      thread_id: "t1",
      metadata: { owner: "alice", x: 1 },
      if_exists: "raise",
    });
    for (const [resource, action] of [
      ["threads", "create_run"],
      ["crons", "search"],
      ["assistants", "create"],
      ["threads", "delete"],
    ]) {
      assert.deepEqual(authorize(user("bob"), resource, action, {}).decision, filter({ owner: "bob" }));
    }
  });

  test("global: without a metadata object nothing is stamped, and it still filters", () => {
    for (const value of [{ thread_id: "t1" }, { thread_id: "t1", metadata: null }, { metadata: [1] }]) {
      assert.deepEqual(authorize(user("bob"), "threads", "read", value), {
        decision: filter({ owner: "bob" }),
        value: null,
      });
    }
  });

  test("assistants read/search: own or system assistants, nothing stamped", () => {
    for (const action of ["read", "search"]) {
      assert.deepEqual(authorize(user("alice"), "assistants", action, { assistant_id: "a1", metadata: {} }), {
        decision: filter({ $or: [{ owner: "alice" }, { created_by: "system" }] }),
        value: null,
      });
    }
  });

  test("store: the namespace must start with the identity, else 403 Not authorized", () => {
    const ok = authorize(user("alice"), "store", "put", { namespace: ["alice", "docs"], key: "k", value: {} });
    assert.deepEqual(ok, { decision: { tag: "allow" }, value: null });
    for (const namespace of [["bob", "docs"], [], null, ["alice-2"], "alice", ["alice", 3], undefined]) {
      const value = { namespace, key: "k" };
      assert.deepEqual(authorize(user("alice"), "store", "put", value).decision, notAuthorized);
    }
    assert.deepEqual(authorize(user("alice"), "store", "list_namespaces", {}).decision, notAuthorized);
  });

  test("the Studio user passes every rule untouched, by kind or by the host's flag", () => {
    for (const [resource, action] of [
      ["threads", "create"],
      ["assistants", "read"],
      ["assistants", "search"],
      ["store", "put"],
      ["crons", "delete"],
    ]) {
      const value = { namespace: ["someone"], metadata: { owner: "x" } };
      assert.deepEqual(authorize(studio, resource, action, value), { decision: { tag: "allow" }, value: null });
    }
    const flagged = authorize(user("alice"), "threads", "create", { metadata: {} }, { studio: true });
    assert.deepEqual(flagged, { decision: { tag: "allow" }, value: null });
  });
});
