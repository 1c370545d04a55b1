#!/usr/bin/env node
// Build a wasmgate auth component from a LangGraph-style JS/TS policy (QuickJS engine).
//
//   node guest-sdk/js/build.mjs POLICY [-o OUT.wasm] [--export NAME] [--world WORLD] [--js OUT.js]
//
// 1. bundle the policy with the SDK (lib/bundle.mjs: rolldown, TypeScript stripped, every async
//    function rewritten into a synchronously driven generator by lib/lower-async.mjs),
// 2. componentize with componentize-qjs' synchronous runtime (`--sync`) against wit/auth, world
//    `authorizer`; the module is evaluated, and its state snapshotted, at build time,
// 3. refuse the result if it imports anything wasmgate does not grant (e.g. wasi:http).

import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Imports a wasmgate auth component may have: its own WIT and the WASI the host links. */
const GRANTED = /^(langgraph:auth\/|wasi:(cli|io|clocks|filesystem|random)\/)/;

async function main() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (!(major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19))) {
    throw new Error(
      `Node.js ${process.versions.node} is too old (rolldown needs ^20.19 or >= 22.12); ` +
        "run: source scripts/bootstrap.sh && ensure_js_toolchain, which exports WASMGATE_NODE",
    );
  }
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      output: { type: "string", short: "o", default: "auth.wasm" },
      export: { type: "string", default: "auth" },
      world: { type: "string", default: "authorizer" },
      wit: { type: "string", default: path.join(here, "..", "..", "wit", "auth") },
      js: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.error(
      "usage: build.mjs POLICY [-o OUT.wasm] [--export NAME] [--world WORLD] [--wit DIR] [--js OUT.js]",
    );
    process.exit(values.help ? 0 : 2);
  }
  const [{ bundlePolicy }, { componentize }, { componentWit }] = await Promise.all([
    import("./lib/bundle.mjs"),
    import("componentize-qjs"),
    import("@bytecodealliance/jco"),
  ]);

  const source = await bundlePolicy(positionals[0], { exportName: values.export });
  if (values.js) await writeFile(values.js, source);
  const { component } = await componentize({
    witPath: values.wit,
    jsSource: source,
    world: values.world,
    sync: true,
  });

  const wit = await componentWit(component);
  const imports = [...wit.matchAll(/^\s*import ([^;\s]+);/gm)].map((m) => m[1]);
  const refused = imports.filter((name) => !GRANTED.test(name));
  if (refused.length > 0) {
    throw new Error(`the component imports what wasmgate does not grant: ${refused.join(", ")}`);
  }
  const output = path.resolve(values.output);
  await writeFile(output, component);
  console.error(`wrote ${output} (${component.length} bytes)`);
}

main().catch((error) => {
  console.error(`error: ${error.message ?? error}`);
  process.exit(1);
});
