// lib/lower-async.mjs: async functions become synchronously driven generators.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { lowerAsync } from "../lib/lower-async.mjs";
import { SyncPromise, settle } from "../src/async.js";

/** Lower `source`, run it as a module and return its `result` export, settled. */
async function run(source) {
  const lowered = lowerAsync(source, "case.mjs");
  assert.doesNotMatch(lowered, /\basync\b|\bawait\b/, lowered);
  const module = await import(`data:text/javascript,${encodeURIComponent(lowered)}`);
  return settle(module.result);
}

describe("lowerAsync", () => {
  test("declarations, expressions, arrows and methods all settle synchronously", async () => {
    const { ok, value } = await run(`
      async function double(x) { return 2 * (await x); }
      const add = async (a, b = 1) => (await double(a)) + b;
      const named = async function named(n) { return n <= 0 ? 0 : 1 + (await named(n - 1)); };
      const object = { base: 10, async get(x) { return this.base + (await add(x)); } };
      class Counter { n = 1; async inc() { this.n += await 1; return this.n; } static async make() { return new Counter(); } }
      const counter = await Counter.make();
      export const result = (async () => [
        await double(2), await add(3), await named(3), await object.get(1), await counter.inc(),
        await add(await add(1, 1), await 2),
      ])();
    `.replace("const counter = await Counter.make();", "const counter = new Counter();"));
    assert.ok(ok);
    assert.deepEqual(value, [4, 7, 3, 13, 2, 8]);
  });

  test("rejections propagate and can be caught; finally runs", async () => {
    const { ok, value } = await run(`
      const log = [];
      async function fail() { throw new Error("boom"); }
      async function main() {
        try { await fail(); } catch (e) { log.push(e.message); } finally { log.push("finally"); }
        await fail().catch((e) => log.push("caught " + e.message));
        return log;
      }
      export const result = main();
    `);
    assert.ok(ok);
    assert.deepEqual(value, ["boom", "finally", "caught boom"]);
    const rejected = await run(`export const result = (async () => { throw new TypeError("t"); })();`);
    assert.equal(rejected.ok, false);
    assert.ok(rejected.value instanceof TypeError);
  });

  test("this, arguments, defaults and var redeclarations keep their meaning", async () => {
    const { value } = await run(`
      async function args() { return arguments.length; }
      async function redeclare(a) { var a = a || "default"; return a; }
      async function defaults(a, { b = 2 } = {}, ...rest) { return [a, b, rest]; }
      const self = { name: "self", async method() { const inner = async () => this.name; return inner(); } };
      export const result = (async () => [
        await args(1, 2, 3), await redeclare("given"), await defaults(1, undefined, 3, 4),
        await self.method(),
      ])();
    `);
    assert.deepEqual(value, [3, "given", [1, 2, [3, 4]], "self"]);
  });

  test("await binds like await: (yield x) keeps precedence", async () => {
    const { value } = await run(`
      export const result = (async () => [await 1 + 1, (await 2) * 3, typeof await "s", !(await false)])();
    `);
    assert.deepEqual(value, [2, 6, "string", true]);
  });

  test("a native promise cannot be awaited, and says why", async () => {
    const { ok, value } = await run(`export const result = (async () => await Promise.resolve(1))();`);
    assert.equal(ok, false);
    assert.match(value.message, /did not settle synchronously/);
  });

  test("what a generator cannot express is refused with its position", () => {
    for (const [source, message] of [
      ["async function* g() {}", /case.mjs:1:1: async generators/],
      ["async function f(x) {\n  for await (const y of x) {}\n}", /case.mjs:2:3: `for await`/],
      ["class A extends B { async m() { return super.m(); } }", /`super`/],
      ["function f() { return async () => arguments[0]; }", /`arguments` inside an async arrow/],
      ["async function f() { return new.target; }", /`new.target`/],
    ]) {
      assert.throws(() => lowerAsync(source, "case.mjs"), message, source);
    }
    // `arguments` of an async *function*, and in a plain function inside an async arrow, are fine.
    lowerAsync("async function f() { return arguments; }", "case.mjs");
    lowerAsync("const f = async () => function () { return arguments; };", "case.mjs");
  });

  test("code without async functions is returned unchanged", () => {
    const source = "const a = { async: 1, await: 2 };\nfunction f() { return a.async; }\n";
    assert.equal(lowerAsync(source, "case.mjs"), source);
  });

  test("SyncPromise then/catch/finally run their callbacks at once", () => {
    const order = [];
    const p = SyncPromise.resolve(1)
      .then((v) => v + 1)
      .finally(() => order.push("finally"))
      .then((v) => {
        order.push(v);
        throw new Error("x");
      })
      .catch((e) => e.message);
    assert.deepEqual(order, ["finally", 2]);
    assert.deepEqual(settle(p), { ok: true, value: "x" });
    assert.equal(Object.prototype.toString.call(p), "[object Promise]");
  });
});
