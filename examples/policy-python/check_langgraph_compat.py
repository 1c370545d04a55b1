"""Proves that auth.py is a LangGraph auth file with only its import line changed.

    .venv/bin/python examples/policy-python/check_langgraph_compat.py

1. Rewrites the one line that imports ``wasmgate_auth`` into
   ``from langgraph_sdk.auth import Auth, is_studio_user`` and imports the result
   under the real ``langgraph_sdk`` (``settings`` stands for what a LangGraph
   deployment reads from its environment: the same values, from langgraph.json).
2. Imports the unchanged file under ``wasmgate_auth``.
3. Checks both register the same handlers, then runs the same requests and actions
   through both: LangGraph's own dispatch and user normalisation
   (``langgraph_api.auth.custom``) when langgraph-api is installed (scripts/bootstrap.sh
   ``ensure_reference_server``), else the same rules restated from the spec; and
   wasmgate_auth's, natively. Every outcome must be identical.

Needs ``langgraph-sdk`` (``ensure_python_client``). Exits non-zero on any difference.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import pathlib
import sys
import types

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
SOURCE = HERE / "auth.py"
WASMGATE_IMPORT = "from wasmgate_auth import Auth, is_studio_user, settings"
LANGGRAPH_IMPORT = "from langgraph_sdk.auth import Auth, is_studio_user"

SETTINGS = json.loads((HERE / "langgraph.json").read_text())["wasmgate"]["auth"]["settings"]


class EnvSettings:
    """What the LangGraph version reads its API keys from (env/config there)."""

    @staticmethod
    def json(name, expect=None):
        return copy.deepcopy(SETTINGS[name])


def load_langgraph():
    lines = SOURCE.read_text().splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if "wasmgate_auth" in line]
    if len(hits) != 1 or not lines[hits[0]].startswith(WASMGATE_IMPORT):
        sys.exit(f"{SOURCE}: expected exactly one line starting with {WASMGATE_IMPORT!r}")
    lines[hits[0]] = LANGGRAPH_IMPORT + "\n"
    module = types.ModuleType("auth_langgraph")
    module.__file__ = str(SOURCE)
    module.settings = EnvSettings()
    exec(compile("".join(lines), f"{SOURCE} (langgraph_sdk)", "exec"), module.__dict__)
    return module


def load_wasmgate():
    sys.path.insert(0, str(REPO / "guest-sdk" / "python"))
    sys.path.insert(0, str(HERE))
    from wasmgate_auth import settings

    settings.use(SETTINGS)
    import auth  # noqa: PLC0415 -- the unchanged file

    return auth


def langgraph_api():
    """LangGraph's server-side auth module, if installed (needs a few env vars to import)."""
    for key, value in {
        "REDIS_URI": "redis://unused",
        "DATABASE_URI": ":memory:",
        "MIGRATIONS_PATH": "__inmem",
    }.items():
        os.environ.setdefault(key, value)
    try:
        import langgraph_api.auth.custom as custom  # noqa: PLC0415
    except Exception:  # noqa: BLE001 -- not installed, or not importable here
        return None
    return custom


# -- LangGraph's side ------------------------------------------------------------


def lg_authenticate(auth, custom, headers):
    from langgraph_sdk.auth.exceptions import HTTPException

    try:
        result = asyncio.run(auth._authenticate_handler(headers=dict(headers)))
    except HTTPException as error:
        return ("error", error.status_code, error.detail, dict(error.headers or {}))
    except ValueError as error:
        return ("error", 400, str(error), {})
    if custom is not None:
        credentials, user = custom._normalize_auth_response(result)
        return ("user", list(credentials.scopes), json.loads(json.dumps(user.dict())))
    # Spec §2.3 for the shapes this policy returns (a string or a dict).
    if isinstance(result, str):
        result = {"identity": result}
    exposed = {"identity": result["identity"], "is_authenticated": True,
               "display_name": result["identity"], **result}
    return ("user", list(result.get("permissions", [])), exposed)


def lg_authorize(auth, custom, user, studio, resource, action, value):
    from langgraph_sdk.auth.exceptions import HTTPException
    from langgraph_sdk.auth.types import AuthContext, StudioUser

    value = copy.deepcopy(value)
    original = copy.deepcopy(value)
    if resource == "store" and isinstance(value.get("namespace"), list):
        value["namespace"] = tuple(value["namespace"])
    if studio:
        user_obj = StudioUser(user["identity"])
    elif custom is not None:
        user_obj = custom.ProxyUser(custom.DotDict(copy.deepcopy(user)))
    else:
        user_obj = types.SimpleNamespace(**user)
    ctx = AuthContext(permissions=user.get("permissions", []), user=user_obj,
                      resource=resource, action=action)
    try:
        if custom is not None:
            custom.get_auth_instance = lambda: auth
            result = asyncio.run(custom.handle_event(ctx, value))
        else:
            result = asyncio.run(spec_dispatch(auth, ctx, value))
    except HTTPException as error:  # the SDK's
        return ("error", error.status_code, error.detail), None
    except ValueError as error:
        return ("error", 400, str(error)), None
    except Exception as error:  # starlette's HTTPException from handle_event
        status = getattr(error, "status_code", None)
        if status is None:
            raise
        return ("error", status, error.detail), None
    edited = json.loads(json.dumps(value))
    decision = ("filter", result) if result else ("allow",)
    return decision, (None if edited == original else edited)


async def spec_dispatch(auth, ctx, value):
    """LangGraph spec §4.2, for when langgraph-api is not installed."""
    keys = [(ctx.resource, ctx.action), (ctx.resource, "*"), ("*", ctx.action), ("*", "*")]
    handler = next((auth._handlers[k][-1] for k in keys if k in auth._handlers), None)
    if handler is None and auth._global_handlers:
        handler = auth._global_handlers[-1]
    if handler is None:
        return None
    from langgraph_sdk.auth.exceptions import HTTPException

    try:
        result = await handler(ctx=ctx, value=value)
    except AssertionError as error:
        raise HTTPException(403, str(error) or "unknown error") from error
    if result in (None, True):
        return None
    if result is False:
        raise HTTPException(403, "Forbidden")
    if not isinstance(result, dict):
        raise HTTPException(500, "Auth handler returned invalid result.")
    return result


# -- wasmgate_auth's side --------------------------------------------------------


def wg_authenticate(auth, headers):
    from wasmgate_auth import _core

    outcome = _core.authenticate(
        auth, "GET", "/threads", "", [(k.decode(), v) for k, v in headers.items()]
    )
    if isinstance(outcome, _core.Denial):
        return ("error", outcome.status, outcome.detail, dict(outcome.headers))
    exposed = {
        "identity": outcome.identity,
        "is_authenticated": outcome.is_authenticated,
        "display_name": outcome.display_name,
        "permissions": outcome.permissions,
        **json.loads(outcome.custom_fields),
    }
    return ("user", outcome.permissions, exposed)


def wg_authorize(auth, user, studio, resource, action, value):
    from wasmgate_auth import _core

    ctx = _core.context(json.dumps(user), user.get("permissions", []), resource, action, studio)
    outcome = _core.authorize(auth, ctx, json.dumps(value))
    if outcome.kind == "error":
        decision = ("error", outcome.detail.status, outcome.detail.detail)
    elif outcome.kind == "filter":
        decision = ("filter", json.loads(outcome.detail))
    elif outcome.kind == "deny":
        decision = ("error", 403, "Forbidden")
    else:
        decision = ("allow",)
    return decision, (json.loads(outcome.value) if outcome.value is not None else None)


# -- the cases -------------------------------------------------------------------


def user(identity):
    entry = next(e for e in SETTINGS["api_keys"].values() if e["identity"] == identity)
    return {"identity": identity, "is_authenticated": True, "display_name": identity, **entry}


STUDIO = {"identity": "langgraph-studio-user", "kind": "StudioUser", "is_authenticated": False,
          "display_name": "langgraph-studio-user", "permissions": []}

HEADERS = [
    {},
    {b"x-api-key": b"alice-key"},
    {b"x-api-key": b"bob-key", b"authorization": b"Bearer x"},
    {b"x-api-key": b"mallory-key"},
    {b"x-api-key": b""},
    {b"x-api-key": b"\xffalice-key"},
]

ACTIONS = [
    ("threads", "create", {"thread_id": "t1", "metadata": {"owner": "mallory", "topic": "x"}, "if_exists": "raise"}),
    ("threads", "create", {"thread_id": "t1"}),
    ("threads", "read", {"thread_id": "t1"}),
    ("threads", "update", {"thread_id": "t1", "metadata": None}),
    ("threads", "search", {"metadata": {}, "values": None, "status": None, "limit": 10, "offset": 0}),
    ("threads", "create_run", {"thread_id": "t1", "assistant_id": "a", "metadata": {}, "kwargs": {}}),
    ("assistants", "create", {"assistant_id": "a", "graph_id": "agent", "metadata": {}}),
    ("assistants", "read", {"assistant_id": "a"}),
    ("assistants", "search", {"graph_id": None, "metadata": {}, "limit": 10, "offset": 0}),
    ("crons", "create", {"cron_id": "c", "metadata": {"owner": "x"}}),
    ("store", "put", {"namespace": ["alice", "notes"], "key": "k", "value": {}}),
    ("store", "put", {"namespace": ["bob", "notes"], "key": "k", "value": {}}),
    ("store", "get", {"namespace": ["notes"], "key": "k"}),
    ("store", "search", {"namespace": [], "filter": None, "limit": 10, "offset": 0}),
    ("store", "list_namespaces", {"namespace": None, "suffix": None, "max_depth": None}),
    ("store", "delete", {"namespace": ["alice"], "key": "k"}),
]


def main() -> int:
    langgraph = load_langgraph()
    wasmgate = load_wasmgate()
    custom = langgraph_api()
    from langgraph_sdk import Auth as LangGraphAuth

    passed = failed = 0

    def expect(name, got_lg, got_wg):
        nonlocal passed, failed
        if got_lg == got_wg:
            passed += 1
        else:
            failed += 1
            print(f"DIFFERENT {name}\n  langgraph_sdk: {got_lg}\n  wasmgate_auth: {got_wg}")

    lg, wg = langgraph.auth, wasmgate.auth
    expect("is a langgraph_sdk Auth", True, isinstance(lg, LangGraphAuth))
    expect("authenticate registered", lg._authenticate_handler is not None,
           wg._authenticate_handler is not None)
    lg_keys = [("*", "*")] * len(lg._global_handlers) + list(lg._handlers)
    expect("handler keys", lg_keys, wg._keys())
    expect("handler keys are the policy's",
           [("*", "*"), ("assistants", "read"), ("assistants", "search"), ("store", "*")],
           wg._keys())

    for headers in HEADERS:
        expect(f"authenticate {headers}", lg_authenticate(lg, custom, headers),
               wg_authenticate(wg, headers))
    for who, studio in [(user("alice"), False), (user("bob"), False), (STUDIO, True)]:
        for resource, action, value in ACTIONS:
            expect(
                f"{who['identity']} {resource}.{action} {value}",
                lg_authorize(lg, custom, who, studio, resource, action, value),
                wg_authorize(wg, who, studio, resource, action, value),
            )

    dispatch = "langgraph_api.auth.custom" if custom else "the spec's rules (langgraph-api not installed)"
    print(f"auth.py under langgraph_sdk vs wasmgate_auth, LangGraph side via {dispatch}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
