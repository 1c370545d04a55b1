"""Owner-scoping auth for the reference server, written as LangGraph's
custom-auth guide writes it (``from langgraph_sdk import Auth``).

- authenticate: the ``x-api-key`` header names the user.
- every resource: the creator's identity is stamped into ``metadata.owner``
  and reads/searches are filtered on it.
- assistants read/search: the user's own assistants plus the system ones.
- store: the first namespace label must be the user's identity.
- Studio (``x-auth-scheme: langsmith`` under ``langgraph dev``) is let through.
"""

from langgraph_sdk import Auth
from langgraph_sdk.auth import is_studio_user

auth = Auth()

USERS = {
    "alice-key": {"identity": "alice", "github_token": "ghp_alice", "permissions": ["threads:write"]},
    "bob-key": {"identity": "bob", "github_token": "ghp_bob", "permissions": ["threads:write"]},
}


@auth.authenticate
async def get_current_user(headers: dict) -> Auth.types.MinimalUserDict:
    api_key = headers.get(b"x-api-key")
    user = USERS.get(api_key.decode() if api_key else "")
    if user is None:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Invalid API key")
    return dict(user)


@auth.on
async def add_owner(ctx: Auth.types.AuthContext, value: dict):
    """Make resources private to their creator."""
    if is_studio_user(ctx.user):
        return None
    filters = {"owner": ctx.user.identity}
    metadata = value.setdefault("metadata", {})
    metadata.update(filters)
    return filters


@auth.on.assistants.read
async def read_assistants(ctx: Auth.types.AuthContext, value: Auth.types.on.assistants.read.value):
    """Own assistants, plus the system assistants made from langgraph.json."""
    if is_studio_user(ctx.user):
        return None
    return {"$or": [{"owner": ctx.user.identity}, {"created_by": "system"}]}


@auth.on.assistants.search
async def search_assistants(ctx: Auth.types.AuthContext, value: Auth.types.on.assistants.search.value):
    if is_studio_user(ctx.user):
        return None
    return {"$or": [{"owner": ctx.user.identity}, {"created_by": "system"}]}


@auth.on.store()
async def authorize_store(ctx: Auth.types.AuthContext, value: dict):
    """A user may only touch namespaces that start with their identity."""
    if is_studio_user(ctx.user):
        return None
    # list_namespaces passes its prefix here, which may be None.
    namespace = value["namespace"]
    assert namespace and namespace[0] == ctx.user.identity, "Not authorized"
