// Build step: bundle a policy with the SDK into one ES module for componentize-qjs.
//
// The entry generated here imports the policy and hands its `Auth` to the glue, whose export
// objects become the component's exports. TypeScript is stripped; `wasmgate-guest/auth` and
// `@langchain/langgraph-sdk/auth` both resolve to src/auth.js; every module's async functions
// are lowered (lower-async.mjs); WIT imports (`langgraph:...`, `wasi:...`) stay imports.

import path from "node:path";
import { fileURLToPath } from "node:url";

import { rolldown } from "rolldown";

import { lowerAsync } from "./lower-async.mjs";

const ENTRY = "\0wasmgate-entry";
const sdk = (file) => fileURLToPath(new URL(`../src/${file}`, import.meta.url));

/**
 * The bundled source of the component for `policy` (a path), whose `Auth` is the export
 * `exportName` (or the default export). `alias` maps more specifiers to files (tests use it
 * to stand in for the WIT imports).
 */
export async function bundlePolicy(policy, { exportName = "auth", alias = {} } = {}) {
  const file = path.resolve(policy);
  const entry = [
    `import * as policy from ${JSON.stringify(file)};`,
    `import { exportsFor } from "wasmgate-guest/component";`,
    `export const { authenticate, authorize } = exportsFor(policy, ${JSON.stringify(exportName)});`,
    "",
  ].join("\n");
  const bundle = await rolldown({
    input: ENTRY,
    // Paths in the output are relative to the policy, so the bytes do not depend on the caller.
    cwd: path.dirname(file),
    platform: "neutral",
    external: (id) => /^(langgraph|wasi):/.test(id) && !(id in alias),
    resolve: {
      alias: {
        "wasmgate-guest/auth": sdk("auth.js"),
        "wasmgate-guest/component": sdk("component.js"),
        "@langchain/langgraph-sdk/auth": sdk("auth.js"),
        ...alias,
      },
    },
    plugins: [
      {
        name: "wasmgate-entry",
        resolveId: (id) => (id === ENTRY ? ENTRY : null),
        load: (id) => (id === ENTRY ? entry : null),
      },
      {
        name: "wasmgate-lower-async",
        transform(code, id) {
          if (!/\.[cm]?[jt]s$/.test(id) || !/\basync\b/.test(code)) return null;
          return { code: lowerAsync(code, path.relative(process.cwd(), id)) };
        },
      },
    ],
    logLevel: "warn",
  });
  try {
    const { output } = await bundle.generate({ format: "esm", codeSplitting: false, comments: false });
    return output[0].code;
  } finally {
    await bundle.close();
  }
}
