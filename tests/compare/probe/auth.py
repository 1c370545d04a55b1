"""The reference twin of ``tests/fixtures/authz-probe``: a LangGraph ``Auth``
whose authorization rules come from ``rules.json`` next to this file (the same
file wasmgate's side passes to the fixture as its ``rules`` setting).

- authenticate: ``authorization: Bearer <identity>`` (scheme case-insensitive,
  non-empty token) → user ``<identity>`` with no permissions; anything else →
  401 ``missing token``.
- authorization: exactly the keys of ``rules.json`` are registered, with
  ``@auth.on(resources=R, actions=A)`` (``"threads:*"`` → resource ``threads``,
  any action; ``"*:read"`` → any resource, action ``read``) and ``"*"`` as the
  global ``@auth.on``, so LangGraph's own precedence picks the handler that runs.

Responses implemented (the fixture's semantics):

- ``"allow"`` → ``None`` (allowed, no filter); ``"deny"`` → ``False`` (403);
- ``{"filter": F}`` → ``F`` verbatim;
- ``"owner"`` → ``metadata.owner = identity`` when ``metadata`` is a dict, and
  the filter ``{"owner": identity}``;
- ``{"error": {"status", "detail"?, "headers"?}}`` → ``HTTPException``.

Any other key or response fails at import, as the fixture panics at load.
"""

import json
from pathlib import Path
from typing import Any

from langgraph_sdk import Auth

auth = Auth()

RULES: dict[str, Any] = json.loads((Path(__file__).resolve().parent / "rules.json").read_text())


@auth.authenticate
async def authenticate(headers: dict) -> Auth.types.MinimalUserDict:
    raw = headers.get(b"authorization")
    value = raw.decode(errors="replace").strip() if raw else ""
    scheme, _, token = value.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Auth.exceptions.HTTPException(status_code=401, detail="missing token")
    return {"identity": token, "permissions": []}


def _handler(key: str, response: Any):
    if response == "allow":
        async def handler(ctx: Auth.types.AuthContext, value: dict):
            return None
    elif response == "deny":
        async def handler(ctx: Auth.types.AuthContext, value: dict):
            return False
    elif response == "owner":
        async def handler(ctx: Auth.types.AuthContext, value: dict):
            metadata = value.get("metadata") if isinstance(value, dict) else None
            if isinstance(metadata, dict):
                metadata["owner"] = ctx.user.identity
            return {"owner": ctx.user.identity}
    elif isinstance(response, dict) and list(response) == ["filter"]:
        returned = response["filter"]

        async def handler(ctx: Auth.types.AuthContext, value: dict):
            return json.loads(json.dumps(returned))  # a fresh copy: the server may keep it
    elif isinstance(response, dict) and list(response) == ["error"]:
        error = response["error"]
        status, detail, headers = error["status"], error.get("detail"), error.get("headers")

        async def handler(ctx: Auth.types.AuthContext, value: dict):
            raise Auth.exceptions.HTTPException(
                status_code=status, detail=detail, headers=dict(headers) if headers else None
            )
    else:
        raise ValueError(f"rule {key!r}: response {response!r} is not implemented by the reference twin")
    handler.__name__ = "rule_" + "".join(c if c.isalnum() else "_" for c in key)
    return handler


for _key, _response in RULES.items():
    _fn = _handler(_key, _response)
    if _key in ("*", "*:*"):
        auth.on(_fn)  # the global handler
        continue
    _resource, _sep, _action = _key.partition(":")
    if not _sep or not _resource or not _action:
        raise ValueError(f"rule key {_key!r} is not `resource:action` or `*`")
    auth.on(resources=_resource, actions=_action)(_fn)
