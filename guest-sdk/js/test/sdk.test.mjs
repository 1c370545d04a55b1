// The SDK as the component runs it: a policy bundled by lib/bundle.mjs, called with WIT values.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { context, loadPolicy, request, result } from "./harness.mjs";

const fixture = fileURLToPath(new URL("./fixtures/sdk-policy.mts", import.meta.url));
let policy;
before(async () => {
  policy = await loadPolicy(fixture);
});

const authenticate = (headers) => result(() => policy.authenticate.authenticate(request(headers)));
const authorize = (resource, action, value = {}, options = {}) => {
  const user = options.user ?? { identity: "alice", permissions: ["p"] };
  return policy.authorize.authorize(context(user, resource, action, options), JSON.stringify(value));
};

describe("authenticate", () => {
  test("a string is the identity", () => {
    assert.deepEqual(authenticate({}).ok, {
      identity: "just-a-string",
      displayName: null,
      isAuthenticated: null,
      permissions: [],
      customFields: "{}",
    });
  });

  test("an object keeps its reserved fields and its custom fields", () => {
    const { ok } = authenticate({ "x-case": "full" });
    assert.deepEqual(
      { ...ok, customFields: JSON.parse(ok.customFields) },
      {
        identity: "u1",
        displayName: "User One",
        isAuthenticated: false,
        permissions: ["a", "b"],
        customFields: { org: { id: 7 }, token: "t" },
      },
    );
  });

  test("async handlers, async methods, caught rejections and then() run to completion", () => {
    assert.equal(authenticate({ "x-case": "awaited" }).ok.identity, "id-x");
    assert.equal(authenticate({ "x-case": "caught" }).ok.identity, "caught-inner");
    assert.equal(authenticate({ "x-case": "then" }).ok.identity, "chained-then");
  });

  test("an HTTPException is a refusal, thrown as a WIT http-error", () => {
    assert.deepEqual(authenticate({ "x-case": "refuse" }).err, {
      status: 403,
      detail: "nope",
      headers: [["x-why", "because"]],
    });
    assert.deepEqual(authenticate({ "x-case": "refuse-default" }).err, {
      status: 401,
      detail: "Unauthorized",
      headers: [],
    });
    assert.deepEqual(authenticate({ "x-case": "refuse-shaped" }).err, {
      status: 429,
      detail: "slow down",
      headers: [["retry-after", "1"]],
    });
    assert.deepEqual(authenticate({ "x-case": "refuse-headers-object" }).err.headers, [
      ["www-authenticate", "Bearer"],
    ]);
    const thrown = authenticate({ "x-case": "refuse" }).err;
    assert.ok(!(thrown instanceof Error), "an Error thrown from an export would trap");
  });

  test("anything else thrown, or an invalid user, is a fault (an Error, which traps)", () => {
    for (const [name, message] of [
      ["fault", /a bug/],
      ["fault-string", /not an HTTPException/],
      ["bad-user", /user field `identity` must be a string/],
      ["bad-permissions", /user field `permissions` must be an array of strings/],
      ["native-promise", /did not settle synchronously/],
    ]) {
      const { err } = authenticate({ "x-case": name });
      assert.ok(err instanceof Error, name);
      assert.match(err.message, message, name);
    }
  });

  test("the request is Web-style: method, url, headers.get (last value wins), iteration", () => {
    const req = request(
      [
        ["x-case", "request"],
        ["x-api-key", "first"],
        ["x-api-key", "sécond"],
      ],
      { method: "POST", path: "/threads/t1", query: "a=1&b=2" },
    );
    const user = policy.authenticate.authenticate(req);
    assert.deepEqual(JSON.parse(user.customFields), {
      method: "POST",
      url: "http://localhost/threads/t1?a=1&b=2",
      key: "sécond",
      missing: null,
      has: true,
      all: ["x-case=request", "x-api-key=first", "x-api-key=sécond"],
    });
  });
});

describe("authorize", () => {
  test("handlers() lists every registered key once, in registration order", () => {
    assert.deepEqual(policy.authorize.handlers(), [
      { resource: "*", action: "*" },
      { resource: "*", action: "delete" },
      { resource: "threads", action: "*" },
      { resource: "threads", action: "create" },
      { resource: "crons", action: "read" },
      { resource: "crons", action: "search" },
      { resource: "crons", action: "update" },
      { resource: "crons", action: "create" },
      { resource: "store", action: "*" },
      { resource: "store", action: "get" },
      { resource: "assistants", action: "read" },
    ]);
  });

  test("only the most specific handler runs: resource:action, resource, *:action, *", () => {
    const filter = (outcome) => JSON.parse(outcome.decision.val);
    assert.deepEqual(filter(authorize("threads", "create", { metadata: {} })), { level: "exact" });
    assert.deepEqual(filter(authorize("threads", "read")), { level: "resource" });
    assert.deepEqual(filter(authorize("threads", "delete")), { level: "resource" });
    assert.deepEqual(authorize("assistants", "delete").decision, { tag: "deny" });
    assert.deepEqual(filter(authorize("assistants", "create")), { level: "global" });
    assert.deepEqual(filter(authorize("assistants", "read")), { replaced: true });
  });

  test("return values: nothing or true allow, false denies, an object filters", () => {
    assert.deepEqual(authorize("crons", "read"), { decision: { tag: "allow" }, value: null });
    assert.deepEqual(authorize("crons", "update"), { decision: { tag: "allow" }, value: null });
    assert.deepEqual(authorize("assistants", "delete").decision, { tag: "deny" });
    const invalid = authorize("crons", "create").decision;
    assert.equal(invalid.tag, "error");
    assert.equal(invalid.val.status, 500);
    assert.match(invalid.val.detail, /Got "number" instead/);
  });

  test("the handler gets {event, resource, action, value, permissions, user}; edits come back", () => {
    const outcome = authorize("threads", "create", { thread_id: "t", metadata: { a: 1 } });
    assert.deepEqual(JSON.parse(outcome.value), {
      thread_id: "t",
      metadata: {
        a: 1,
        seen: {
          event: "threads:create",
          resource: "threads",
          action: "create",
          permissions: ["p"],
          identity: "alice",
        },
      },
    });
    assert.equal(authorize("threads", "read", { thread_id: "t" }).value, null, "unchanged");
  });

  test("an HTTPException refuses with its status, detail and headers; other errors are faults", () => {
    assert.deepEqual(authorize("store", "put").decision, {
      tag: "error",
      val: { status: 418, detail: "teapot", headers: [["x-tea", "earl grey"]] },
    });
    assert.throws(() => authorize("store", "get"), /store get bug/);
  });

  test("the host's Studio flag marks the user as Studio's", () => {
    const studio = { studio: true, user: { identity: "langgraph-studio-user", permissions: [] } };
    assert.deepEqual(authorize("store", "put", {}, studio).decision, { tag: "allow" });
    const impostor = { user: { identity: "langgraph-studio-user", permissions: [] } };
    assert.equal(authorize("store", "put", {}, impostor).decision.tag, "error");
  });
});
