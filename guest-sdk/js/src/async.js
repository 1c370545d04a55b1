// Async functions without an event loop.
//
// A wasmgate JS guest is built with componentize-qjs' synchronous runtime: an export returns
// before QuickJS would run a single promise job, so a native `Promise` never settles in time.
// The build (`build.mjs`) therefore rewrites every `async` function of the bundle into a
// generator driven by `__wasmgate_async` below, which runs it to completion on the spot and
// returns an already-settled `SyncPromise`. `await x` becomes `yield x` and is resolved with
// `settle`: plain values, `SyncPromise`s and thenables that call back synchronously resolve;
// a native promise (`fetch`, `new Promise`, `Promise.all`) cannot and rejects with a clear error.

const NOT_SYNC =
  "an awaited promise did not settle synchronously: wasmgate's QuickJS guests have no event " +
  "loop, so only plain values and async functions of the bundle can be awaited (no native " +
  "Promise, Promise.all or I/O)";

/** A promise that is settled when it is created, and calls `then` callbacks synchronously. */
export class SyncPromise {
  #ok;
  #value;

  constructor(ok, value) {
    this.#ok = ok;
    this.#value = value;
  }

  static resolve(value) {
    const { ok, value: settled } = settle(value);
    return new SyncPromise(ok, settled);
  }

  static reject(reason) {
    return new SyncPromise(false, reason);
  }

  then(onFulfilled, onRejected) {
    const callback = this.#ok ? onFulfilled : onRejected;
    if (typeof callback !== "function") return this;
    try {
      return SyncPromise.resolve(callback(this.#value));
    } catch (error) {
      return SyncPromise.reject(error);
    }
  }

  catch(onRejected) {
    return this.then(undefined, onRejected);
  }

  finally(onFinally) {
    if (typeof onFinally !== "function") return this;
    try {
      const { ok, value } = settle(onFinally());
      if (!ok) return SyncPromise.reject(value);
    } catch (error) {
      return SyncPromise.reject(error);
    }
    return this;
  }

  get [Symbol.toStringTag]() {
    return "Promise";
  }

  /** `{ok, value}` without calling back. */
  get state() {
    return { ok: this.#ok, value: this.#value };
  }
}

/**
 * Resolve `value` now: `{ok: true, value}` for a plain value or a thenable that fulfils
 * synchronously, `{ok: false, value: reason}` when it rejects or cannot settle synchronously.
 */
export function settle(value) {
  if (value instanceof SyncPromise) return value.state;
  if ((typeof value !== "object" && typeof value !== "function") || value === null) {
    return { ok: true, value };
  }
  let then;
  try {
    then = value.then;
  } catch (error) {
    return { ok: false, value: error };
  }
  if (typeof then !== "function") return { ok: true, value };
  let outcome;
  const once = (ok) => (result) => {
    outcome ??= ok ? settle(result) : { ok: false, value: result };
  };
  try {
    then.call(value, once(true), once(false));
  } catch (error) {
    outcome ??= { ok: false, value: error };
  }
  return outcome ?? { ok: false, value: new Error(NOT_SYNC) };
}

/**
 * What `async function f(params) {body}` becomes: `function f() { return
 * __wasmgate_async(function* (params) {body}, this, arguments); }`.
 */
function runAsync(generatorFunction, self, args) {
  let iterator;
  try {
    iterator = generatorFunction.apply(self, args);
  } catch (error) {
    return SyncPromise.reject(error);
  }
  let input = { ok: true, value: undefined };
  for (;;) {
    let step;
    try {
      step = input.ok ? iterator.next(input.value) : iterator.throw(input.value);
    } catch (error) {
      return SyncPromise.reject(error);
    }
    if (step.done) return SyncPromise.resolve(step.value);
    input = settle(step.value);
  }
}

Object.defineProperty(globalThis, "__wasmgate_async", { value: runAsync });
