// Stands in for the WIT import `langgraph:auth/settings@0.1.0` in tests: the settings are
// whatever `globalThis.wasmgateTestSettings` holds (name → raw text).
const current = () => globalThis.wasmgateTestSettings ?? {};

export default {
  get: (name) => current()[name] ?? null,
  getAll: () => Object.entries(current()).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
};
