"""What happens inside ``authenticate`` and ``authorize``, with plain Python values.

The WIT glue (``component.py``) only converts records; everything testable lives
here, so that it runs (and is unit-tested) in ordinary CPython too.

* Authentication: handler arguments by parameter name (LangGraph spec §2.2), the
  result normalised into ``(permissions, exposed user)`` (§2.3), errors mapped as
  §2.4 (``HTTPException`` -> its status, ``ValueError`` -> 400, anything else a
  fault).
* Authorization: the most specific handler (§4.2), ``ctx`` and ``value`` as LangGraph
  gives them (store namespaces as tuples), the result mapped to a decision, the value
  sent back only if the handler changed it.
"""

from __future__ import annotations

import datetime
import inspect
import json
from types import CoroutineType
import typing
import urllib.parse
import uuid
from collections.abc import Mapping

from ._auth import Auth, _instances
from .exceptions import HTTPException
from .settings import SettingError
from .types import AuthContext, StudioUser, User

#: Parameters an authenticate handler may declare, and what wasmgate passes.
SUPPORTED_PARAMETERS = (
    "method",
    "path",
    "headers",
    "authorization",
    "query_params",
    "path_params",
    "scopes",
    "user",
)
#: LangGraph parameters that do not exist in a component (no ASGI request or body).
UNAVAILABLE_PARAMETERS = ("request", "scope", "body")

#: Keys of the user that are typed fields of the WIT ``user`` record.
RESERVED_USER_KEYS = ("identity", "display_name", "is_authenticated", "permissions")


class Denial(typing.NamedTuple):
    """An HTTP error for the client: WIT ``http-error``."""

    status: int
    detail: str | None
    headers: list[tuple[str, str]]


class GuestUser(typing.NamedTuple):
    """An authenticated user: WIT ``user``."""

    identity: str
    display_name: str | None
    is_authenticated: bool | None
    permissions: list[str]
    custom_fields: str


class Outcome(typing.NamedTuple):
    """An authorization outcome: ``kind`` is ``allow``, ``deny``, ``filter`` (with the
    filter JSON) or ``error`` (with a :class:`Denial`); ``value`` is the edited value's
    JSON, or ``None`` when unchanged."""

    kind: str
    detail: typing.Any
    value: str | None


# -- finding the Auth object ---------------------------------------------------


def discover() -> Auth:
    """The one ``Auth()`` with an authenticate handler."""
    candidates = [a for a in _instances if a._authenticate_handler is not None]
    if len(candidates) != 1:
        found = "none" if not candidates else f"{len(candidates)}"
        raise RuntimeError(
            "wasmgate_auth: expected exactly one Auth() with an @auth.authenticate "
            f"handler, found {found}; import your auth module before "
            "wasmgate_auth.component, or call wasmgate_auth.component.use(auth)"
        )
    return candidates[0]


def check(auth: Auth) -> Auth:
    """Refuse, when the component is built, what could only fail per request."""
    if not isinstance(auth, Auth):
        raise TypeError(f"expected a wasmgate_auth.Auth instance, got {type(auth)}")
    fn = auth._authenticate_handler
    if fn is None:
        raise ValueError("the Auth object has no @auth.authenticate handler")
    for name, parameter in inspect.signature(fn).parameters.items():
        if name in SUPPORTED_PARAMETERS or parameter.default is not parameter.empty:
            continue
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        why = (
            "is not available in a wasmgate component (no ASGI request, no body)"
            if name in UNAVAILABLE_PARAMETERS
            else "is not a supported parameter"
        )
        raise ValueError(
            f"authenticate handler {fn.__name__!r}: required parameter {name!r} {why}; "
            f"supported: {', '.join(SUPPORTED_PARAMETERS)}"
        )
    _wanted(fn)
    return auth


# -- running handlers ----------------------------------------------------------


def run(result: typing.Any) -> typing.Any:
    """The result of an ``async`` handler, driven to completion without an event loop.

    ``await`` of other coroutines and ``asyncio.sleep(0)`` work; awaiting anything
    that needs an event loop (real I/O, timers, futures) is a fault. A plain value
    (a sync handler) is returned as is.
    """
    if type(result) is not CoroutineType and not inspect.isawaitable(result):
        return result
    steps = result.__await__()
    try:
        while True:
            if steps.send(None) is not None:
                steps.close()
                raise RuntimeError(
                    "an auth handler awaited something that needs an event loop; "
                    "wasmgate components have none (and no network or timers)"
                )
    except StopIteration as done:
        return done.value


# -- authentication ------------------------------------------------------------


def arguments(
    fn: typing.Callable[..., typing.Any],
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, bytes]],
) -> dict[str, typing.Any]:
    """The keyword arguments ``fn`` asked for, by parameter name."""
    wanted = _wanted(fn)
    args: dict[str, typing.Any] = {}
    if "headers" in wanted or "authorization" in wanted:
        header_map = {name.lower().encode("latin-1"): value for name, value in headers}
    if "headers" in wanted:
        args["headers"] = header_map
    if "authorization" in wanted:
        raw = header_map.get(b"authorization")
        args["authorization"] = raw.decode("utf-8") if raw is not None else None
    if "method" in wanted:
        args["method"] = method
    if "path" in wanted:
        args["path"] = path
    if "query_params" in wanted:
        args["query_params"] = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    if "path_params" in wanted:
        args["path_params"] = {}
    if "scopes" in wanted:
        args["scopes"] = []
    if "user" in wanted:
        args["user"] = None
    return args


# Handler -> the parameters it declares. Filled by check() while the component is
# built, so that requests never pay for inspect.signature (the cache is part of
# the snapshot componentize-py takes).
_parameters: dict[typing.Any, frozenset[str]] = {}


def _wanted(fn: typing.Callable[..., typing.Any]) -> frozenset[str]:
    names = _parameters.get(fn)
    if names is None:
        names = _parameters[fn] = frozenset(inspect.signature(fn).parameters)
    return names


def authenticate(
    auth: Auth, method: str, path: str, query: str, headers: list[tuple[str, bytes]]
) -> GuestUser | Denial:
    """Run the authenticate handler on one request."""
    fn = auth._authenticate_handler
    try:
        if fn is None:
            raise ValueError("no authenticate handler is registered")
        result = run(fn(**arguments(fn, method, path, query, headers)))
        return guest_user(*normalise(result))
    except HTTPException as error:
        return _denial(error)
    except SettingError as error:
        return _misconfigured(error)
    except ValueError as error:
        return Denial(400, str(error), [])


def normalise(result: typing.Any) -> tuple[list[str], dict[str, typing.Any]]:
    """An authenticate result as ``(permissions, exposed user JSON)`` (spec §2.3)."""
    if isinstance(result, tuple):
        if len(result) != 2:
            raise ValueError(
                "Expected a tuple with two elements (permissions, user), "
                f"got {len(result)}"
            )
        permissions, user = result
    elif hasattr(result, "permissions"):
        permissions, user = result.permissions, result
    elif isinstance(result, (dict, Mapping)) and "permissions" in result:
        permissions, user = result["permissions"], result
    else:
        permissions, user = [], result
    permissions = [] if permissions is None else list(permissions)

    if hasattr(user, "identity") and not isinstance(user, (str, Mapping)):
        identity = user.identity
        exposed = {
            "identity": identity,
            "is_authenticated": getattr(user, "is_authenticated", True),
            "display_name": getattr(user, "display_name", identity),
        }
        if callable(getattr(user, "model_dump", None)):
            exposed.update(user.model_dump(mode="json"))
        elif callable(getattr(user, "dict", None)):
            exposed.update(user.dict())
    elif isinstance(user, str):
        exposed = {"identity": user, "is_authenticated": True, "display_name": user}
    elif isinstance(user, (dict, Mapping)) and "identity" in user:
        exposed = {
            "identity": user["identity"],
            "is_authenticated": True,
            "display_name": user["identity"],
            **user,
        }
    else:
        raise ValueError(
            "Expected a BaseUser instance with required property: identity (str). "
            "Optional properties are: is_authenticated (bool, defaults to True) and "
            f"display_name (str, defaults to identity). Got {type(user)} instead"
        )
    return permissions, exposed


def guest_user(permissions: list[str], exposed: dict[str, typing.Any]) -> GuestUser:
    """The WIT user: typed fields, and every other key as custom fields.

    LangGraph does not type-check ``identity``, ``display_name`` or
    ``is_authenticated``; the WIT record does, so a wrong type is a fault.
    """
    identity = exposed["identity"]
    display_name = exposed.get("display_name")
    is_authenticated = exposed.get("is_authenticated")
    if not isinstance(identity, str):
        raise TypeError(f"user identity must be a string, not {type(identity).__name__}")
    if display_name is not None and not isinstance(display_name, str):
        raise TypeError("user display_name must be a string or None")
    if is_authenticated is not None and not isinstance(is_authenticated, bool):
        raise TypeError("user is_authenticated must be a bool or None")
    if not all(isinstance(p, str) for p in permissions):
        raise TypeError("user permissions must be strings")
    custom = {
        str(key): value for key, value in exposed.items() if key not in RESERVED_USER_KEYS
    }
    return GuestUser(
        identity, display_name, is_authenticated, permissions, to_json(custom)
    )


# -- authorization -------------------------------------------------------------


def handler_keys(auth: Auth) -> list[tuple[str, str]]:
    return auth._keys()


def context(
    user_json: str, permissions: list[str], resource: str, action: str, is_studio: bool
) -> AuthContext:
    """``ctx`` as LangGraph builds it; the user is a :class:`StudioUser` for Studio."""
    data = json.loads(user_json)
    if is_studio or data.get("kind") == "StudioUser":
        user: typing.Any = StudioUser(
            data.get("identity", ""), bool(data.get("is_authenticated", False))
        )
        user._permissions = list(data.get("permissions") or [])
    else:
        user = User(data)
    return AuthContext(
        permissions=list(permissions), user=user, resource=resource, action=action
    )


def authorize(auth: Auth, ctx: AuthContext, value_json: str) -> Outcome:
    """Run the one handler for ``ctx.resource``/``ctx.action`` on the value."""
    handler = auth._handler_for(ctx.resource, ctx.action)
    if handler is None:
        return Outcome("allow", None, None)
    original = json.loads(value_json)
    value = json.loads(value_json)
    namespace = value.get("namespace") if isinstance(value, dict) else None
    if ctx.resource == "store" and isinstance(namespace, list):
        value["namespace"] = tuple(namespace)
    try:
        result = run(handler(ctx=ctx, value=value))
    except HTTPException as error:
        return Outcome("error", _denial(error), None)
    except AssertionError as error:
        return Outcome("error", Denial(403, str(error) or "unknown error", []), None)
    except SettingError as error:
        return Outcome("error", _misconfigured(error), None)
    except ValueError as error:
        return Outcome("error", Denial(400, str(error) or "unknown error", []), None)
    if not isinstance(result, dict) and result in (None, True):  # as LangGraph tests it
        kind, detail = "allow", None
    elif result is False:
        return Outcome("deny", None, None)
    elif isinstance(result, dict):
        kind, detail = ("filter", to_json(result)) if result else ("allow", None)
    else:
        raise TypeError(
            "Auth handler returned invalid result. Expected filter dict, None, or "
            f"boolean. Got {type(result)} instead."
        )
    edited = None if _plain(value) == original else to_json(value)
    return Outcome(kind, detail, edited)


# -- helpers -------------------------------------------------------------------


def to_json(value: typing.Any) -> str:
    return _ENCODER.encode(value)


def _encode(value: typing.Any) -> typing.Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, User):
        return value.dict()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# One encoder, made while the component is built: json.dumps with options
# would build a new one on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_encode)


def _plain(value: typing.Any) -> typing.Any:
    """``value`` with tuples as lists, to compare with the decoded original."""
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _denial(error: HTTPException) -> Denial:
    headers = [(str(k), str(v)) for k, v in dict(error.headers or {}).items()]
    return Denial(int(error.status_code), error.detail, headers)


def _misconfigured(error: SettingError) -> Denial:
    return Denial(500, f"auth handler misconfigured: {error}", [])
