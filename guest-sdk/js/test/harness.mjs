// Test helpers: load a policy as the component would run it, and call its exports with WIT
// values (records with camelCase keys, headers as bytes), without building WebAssembly.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { bundlePolicy } from "../lib/bundle.mjs";

const fake = fileURLToPath(new URL("./fake-settings.mjs", import.meta.url));

/** The `{authenticate, authorize}` exports of `policy`, bundled exactly as for the component. */
export async function loadPolicy(policy) {
  const code = await bundlePolicy(policy, { alias: { "langgraph:auth/settings@0.1.0": fake } });
  const dir = await mkdtemp(path.join(tmpdir(), "wasmgate-js-test-"));
  const file = path.join(dir, "bundle.mjs");
  await writeFile(file, code);
  return import(pathToFileURL(file).href);
}

export function setSettings(settings) {
  globalThis.wasmgateTestSettings = Object.fromEntries(
    Object.entries(settings).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

/** A WIT `request`. */
export function request(headers = {}, { method = "GET", path = "/threads", query = "" } = {}) {
  const encoder = new TextEncoder();
  const list = Array.isArray(headers) ? headers : Object.entries(headers);
  return {
    method,
    path,
    query,
    headers: list.map(([name, value]) => ({
      name,
      value: value instanceof Uint8Array ? value : encoder.encode(value),
    })),
  };
}

/** A WIT `auth-context` for `user` (an object). */
export function context(user, resource, action, { studio = false } = {}) {
  return {
    user: JSON.stringify(user),
    permissions: user.permissions ?? [],
    resource,
    action,
    isStudioUser: studio,
  };
}

/** Call a `result`-returning export: `{ok: value}` or `{err: thrown}` (as the runtime lowers it). */
export function result(call) {
  try {
    return { ok: call() };
  } catch (error) {
    return { err: error };
  }
}
