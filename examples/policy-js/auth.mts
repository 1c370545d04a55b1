// LangGraph's owner-scoping guide ("Make conversations private") as a LangGraph-style
// `auth.mts`, built into a wasmgate component. The rules are those of examples/owner-scoping
// (Rust); only the import line differs from what `langgraph dev` would load, plus `settings`
// (the component's configuration, instead of `process.env`).
import { Auth, HTTPException, isStudioUser, parseUser, settings } from "wasmgate-guest/auth";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A 500 that says what is wrong with the configuration and never quotes a secret. */
const misconfigured = (problem: string) =>
  new HTTPException(500, { message: `auth handler misconfigured: ${problem}` });

/** The `api_keys` setting: API key → user entry (`identity`, `permissions`, custom fields). */
function apiKeys(): Json {
  let keys: unknown;
  try {
    keys = settings.json("api_keys");
  } catch (error) {
    throw misconfigured((error as Error).message);
  }
  if (!isObject(keys)) throw misconfigured("setting `api_keys` is not a JSON object");
  return keys;
}

export const auth = new Auth()
  // Header `x-api-key`, looked up in `api_keys`; the entry is the user, custom fields included.
  .authenticate(async (request: Request) => {
    const keys = apiKeys();
    const apiKey = request.headers.get("x-api-key");
    if (!apiKey || !Object.hasOwn(keys, apiKey)) {
      throw new HTTPException(401, {
        message: "Invalid API key",
        headers: { "www-authenticate": "ApiKey" },
      });
    }
    try {
      return parseUser(keys[apiKey]);
    } catch (error) {
      throw misconfigured(`an \`api_keys\` entry is not a user: ${(error as Error).message}`);
    }
  })

  // Global: whatever you create or update is yours, and you only see and touch what is yours.
  .on("*", async ({ value, user }) => {
    if (isStudioUser(user)) return;
    const metadata = (value as Json).metadata;
    if (isObject(metadata)) metadata.owner = user.identity;
    return { owner: user.identity };
  })

  // Your assistants, and the system assistant of each graph (`created_by: "system"`, no owner),
  // which the owner filter would otherwise hide.
  .on(["assistants:read", "assistants:search"], async ({ user }) => {
    if (isStudioUser(user)) return;
    return { $or: [{ owner: user.identity }, { created_by: "system" }] };
  })

  // LangGraph's `assert namespace[0] == ctx.user.identity, "Not authorized"`.
  .on("store", async ({ value, user }) => {
    if (isStudioUser(user)) return;
    const namespace = (value as Json).namespace;
    const labels = Array.isArray(namespace) && namespace.every((l) => typeof l === "string");
    if (!labels || namespace[0] !== user.identity) {
      throw new HTTPException(403, { message: "Not authorized" });
    }
  });
