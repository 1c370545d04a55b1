"""The types handlers see and annotate with (``Auth.types``).

The names are those of ``langgraph_sdk.auth.types`` so that annotations such as
``ctx: Auth.types.AuthContext`` or ``value: Auth.types.on.threads.create.value``
keep working. Action values are plain dicts decoded from the JSON wasmgate
sends, in the shape LangGraph documents; a store ``namespace`` is a tuple, as in
LangGraph.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass

FilterType = dict[str, typing.Any]
"""A metadata filter: ``{"owner": id}``, ``{"k": {"$eq": v}}``, ``{"k": {"$contains": v}}``,
``{"$or": [...]}``, ``{"$and": [...]}``."""

HandlerResult = typing.Union[None, bool, FilterType]
"""``None``/``True`` allow, ``False`` denies (403), a dict is a filter."""

Handler = Callable[..., Awaitable[HandlerResult]]
Authenticator = Callable[..., Awaitable[typing.Any]]

RunStatus = typing.Literal["pending", "error", "success", "timeout", "interrupted"]
MultitaskStrategy = typing.Literal["reject", "rollback", "interrupt", "enqueue"]
OnConflictBehavior = typing.Literal["raise", "do_nothing"]
IfNotExists = typing.Literal["create", "reject"]
ThreadStatus = typing.Literal["idle", "busy", "interrupted", "error"]
MetadataInput = dict[str, typing.Any]


class MinimalUserDict(typing.TypedDict, total=False):
    """What an authenticate handler may return as a dict: ``identity`` (required) and
    optionally ``display_name``, ``is_authenticated``, ``permissions``; any other key
    is a custom field that graphs receive."""

    identity: str
    display_name: str
    is_authenticated: bool
    permissions: Sequence[str]


@typing.runtime_checkable
class MinimalUser(typing.Protocol):
    """A user object: at least an ``identity``."""

    @property
    def identity(self) -> str: ...


@typing.runtime_checkable
class BaseUser(typing.Protocol):
    """The user handlers receive as ``ctx.user``."""

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def display_name(self) -> str: ...

    @property
    def identity(self) -> str: ...

    @property
    def permissions(self) -> Sequence[str]: ...

    def __getitem__(self, key): ...

    def __contains__(self, key): ...

    def __iter__(self): ...


class StudioUser:
    """LangGraph Studio's user (``wasmgate dev`` only): ``ctx.user`` is an instance
    when wasmgate says the caller is Studio or the user's ``kind`` is ``StudioUser``.
    Test with ``is_studio_user(ctx.user)`` or ``isinstance``."""

    __slots__ = ("_is_authenticated", "_permissions", "username")

    def __init__(self, username: str, is_authenticated: bool = False) -> None:
        self.username = username
        self._is_authenticated = is_authenticated
        self._permissions = ["authenticated"] if is_authenticated else []

    @property
    def is_authenticated(self) -> bool:
        return self._is_authenticated

    @property
    def display_name(self) -> str:
        return self.username

    @property
    def identity(self) -> str:
        return self.username

    @property
    def permissions(self) -> Sequence[str]:
        return self._permissions

    def __repr__(self) -> str:
        return f"StudioUser({self.username!r})"


class User:
    """An authenticated user as handlers see it (``ctx.user``).

    It reads like LangGraph's: ``ctx.user.identity``, ``ctx.user["identity"]``,
    ``ctx.user.get("github_token")``, ``"org" in ctx.user``, ``dict(ctx.user)``;
    custom fields are attributes too (``ctx.user.github_token``; nested objects as
    ``ctx.user.org.id``).
    """

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, typing.Any]) -> None:
        if "identity" not in data:
            raise ValueError("a user needs an identity")
        self._data = data

    @property
    def identity(self) -> str:
        return self._data["identity"]

    @property
    def is_authenticated(self) -> bool:
        return self._data.get("is_authenticated", True)

    @property
    def display_name(self) -> str:
        return self._data.get("display_name", self._data["identity"])

    @property
    def permissions(self) -> Sequence[str]:
        return self._data.get("permissions", [])

    def dict(self) -> dict[str, typing.Any]:
        """The user as JSON: identity, is_authenticated, display_name, then every field."""
        return {
            "identity": self.identity,
            "is_authenticated": self.is_authenticated,
            "display_name": self.display_name,
            **self._data,
        }

    def model_dump(self, **_: typing.Any) -> dict[str, typing.Any]:
        return self.dict()

    def __getattr__(self, name: str) -> typing.Any:
        if name == "_data":  # not set yet (copy, pickle)
            raise AttributeError(name)
        try:
            value = self._data[name]
        except KeyError:
            raise AttributeError(f"user has no attribute {name!r}") from None
        return _Fields(value) if isinstance(value, dict) else value

    def __getitem__(self, key: str) -> typing.Any:
        return self.dict()[key]

    def __setitem__(self, key: str, value: typing.Any) -> None:
        self._data[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self.dict()

    def __iter__(self) -> Iterator[str]:
        return iter(self.dict())

    def __len__(self) -> int:
        return len(self.dict())

    def get(self, key: str, default: typing.Any = None, /) -> typing.Any:
        return self.dict().get(key, default)

    def keys(self):
        return self.dict().keys()

    def values(self):
        return self.dict().values()

    def items(self):
        return self.dict().items()

    def __repr__(self) -> str:
        return f"User(identity={self.identity!r})"


class _Fields:
    """A nested custom field read as an attribute: ``ctx.user.org.id``."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, typing.Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> typing.Any:
        if name == "_data":
            raise AttributeError(name)
        try:
            value = self._data[name]
        except KeyError:
            raise AttributeError(name) from None
        return _Fields(value) if isinstance(value, dict) else value

    def __getitem__(self, key: str) -> typing.Any:
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: str, default: typing.Any = None, /) -> typing.Any:
        return self._data.get(key, default)

    def dict(self) -> dict[str, typing.Any]:
        return self._data

    def items(self):
        return self._data.items()

    def keys(self):
        return self._data.keys()

    def values(self):
        return self._data.values()


@dataclass(slots=True)
class BaseAuthContext:
    """Who is acting: ``permissions`` and ``user``."""

    permissions: Sequence[str]
    user: BaseUser


@typing.final
@dataclass(slots=True)
class AuthContext(BaseAuthContext):
    """Who is acting, on what: ``user``, ``permissions``, ``resource``, ``action``."""

    resource: str
    """``threads``, ``assistants``, ``crons`` or ``store``."""
    action: str
    """``create``, ``read``, ``update``, ``delete``, ``search``, ``create_run``,
    ``put``, ``get`` or ``list_namespaces``."""


# Action values: dicts in LangGraph's documented shapes.
_Value = dict[str, typing.Any]
ThreadTTL = ThreadsCreate = ThreadsRead = ThreadsUpdate = ThreadsDelete = _Value
ThreadsSearch = RunsCreate = _Value
AssistantsCreate = AssistantsRead = AssistantsUpdate = _Value
AssistantsDelete = AssistantsSearch = _Value
CronsCreate = CronsRead = CronsUpdate = CronsDelete = CronsSearch = _Value
StoreGet = StoreSearch = StoreListNamespaces = StorePut = StoreDelete = _Value


class on:  # noqa: N801 -- LangGraph's name
    """Value types per resource and action, for annotations:
    ``value: Auth.types.on.threads.create.value``."""

    value = _Value

    class threads:  # noqa: N801
        value = _Value

        class create:  # noqa: N801
            value = ThreadsCreate

        class create_run:  # noqa: N801
            value = RunsCreate

        class read:  # noqa: N801
            value = ThreadsRead

        class update:  # noqa: N801
            value = ThreadsUpdate

        class delete:  # noqa: N801
            value = ThreadsDelete

        class search:  # noqa: N801
            value = ThreadsSearch

    class assistants:  # noqa: N801
        value = _Value

        class create:  # noqa: N801
            value = AssistantsCreate

        class read:  # noqa: N801
            value = AssistantsRead

        class update:  # noqa: N801
            value = AssistantsUpdate

        class delete:  # noqa: N801
            value = AssistantsDelete

        class search:  # noqa: N801
            value = AssistantsSearch

    class crons:  # noqa: N801
        value = _Value

        class create:  # noqa: N801
            value = CronsCreate

        class read:  # noqa: N801
            value = CronsRead

        class update:  # noqa: N801
            value = CronsUpdate

        class delete:  # noqa: N801
            value = CronsDelete

        class search:  # noqa: N801
            value = CronsSearch

    class store:  # noqa: N801
        value = _Value

        class put:  # noqa: N801
            value = StorePut

        class get:  # noqa: N801
            value = StoreGet

        class search:  # noqa: N801
            value = StoreSearch

        class delete:  # noqa: N801
            value = StoreDelete

        class list_namespaces:  # noqa: N801
            value = StoreListNamespaces


__all__ = [
    "AssistantsCreate",
    "AssistantsDelete",
    "AssistantsRead",
    "AssistantsSearch",
    "AssistantsUpdate",
    "AuthContext",
    "Authenticator",
    "BaseAuthContext",
    "BaseUser",
    "CronsCreate",
    "CronsDelete",
    "CronsRead",
    "CronsSearch",
    "CronsUpdate",
    "FilterType",
    "Handler",
    "HandlerResult",
    "MinimalUser",
    "MinimalUserDict",
    "RunsCreate",
    "StoreDelete",
    "StoreGet",
    "StoreListNamespaces",
    "StorePut",
    "StoreSearch",
    "StudioUser",
    "ThreadsCreate",
    "ThreadsDelete",
    "ThreadsRead",
    "ThreadsSearch",
    "ThreadsUpdate",
    "User",
    "on",
]
