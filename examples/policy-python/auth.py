"""LangGraph's custom-auth handlers (API keys with custom fields, private conversations,
per-user store namespaces, Studio pass-through), as a wasmgate component.

This is an ordinary LangGraph ``auth.py``. Two lines differ, both marked ``wasmgate:``:
the import, and where the API-key table comes from (the handler's settings in
``langgraph.json``; a LangGraph deployment would read an environment variable).
"""

from wasmgate_auth import Auth, is_studio_user, settings  # wasmgate: was langgraph_sdk.auth

auth = Auth()


@auth.authenticate
async def get_current_user(headers: dict[bytes, bytes]) -> Auth.types.MinimalUserDict:
    """The `x-api-key` header, looked up in the API-key table."""
    api_keys = settings.json("api_keys", expect=dict)  # wasmgate: LangGraph reads env/config
    api_key = headers.get(b"x-api-key", b"").decode(errors="replace")
    user = api_keys.get(api_key) if api_key else None
    if user is None:
        raise Auth.exceptions.HTTPException(
            status_code=401,
            detail="Invalid API key",
            headers={"www-authenticate": "ApiKey"},
        )
    if not isinstance(user, dict) or not isinstance(user.get("identity"), str):
        raise Auth.exceptions.HTTPException(
            status_code=500,
            detail="auth handler misconfigured: an `api_keys` entry is not a user",
        )
    # identity, permissions and the custom fields (github_token, jira_token...)
    return user


@auth.on
async def owner(ctx: Auth.types.AuthContext, value: dict) -> Auth.types.FilterType | None:
    """Everything else: what you create is yours, and you only see what is yours."""
    if is_studio_user(ctx.user):
        return None
    metadata = value.get("metadata")
    if isinstance(metadata, dict):
        metadata["owner"] = ctx.user.identity
    return {"owner": ctx.user.identity}


@auth.on(resources="assistants", actions=["read", "search"])
async def own_or_system_assistants(
    ctx: Auth.types.AuthContext, value: dict
) -> Auth.types.FilterType | None:
    """Your assistants, and the one the server creates for each graph."""
    if is_studio_user(ctx.user):
        return None
    return {"$or": [{"owner": ctx.user.identity}, {"created_by": "system"}]}


@auth.on.store()
async def own_namespace(ctx: Auth.types.AuthContext, value: dict) -> None:
    """Store items live under a namespace that starts with your identity."""
    if is_studio_user(ctx.user):
        return None
    namespace = value.get("namespace") or ()
    assert namespace[:1] == (ctx.user.identity,), "Not authorized"
