"""``Auth``: registration of the authenticate handler and the ``@auth.on`` handlers.

Registration follows ``langgraph_sdk.auth.Auth`` (LangGraph spec §4.1): handlers
must be ``async`` and take ``ctx`` and ``value``; ``@auth.on`` is the global
handler; ``@auth.on(resources=R, actions=A)`` registers the cross product;
``@auth.on.<resource>`` is ``(resource, "*")`` and ``@auth.on.<resource>.<action>``
is ``(resource, action)``; registering a key twice raises ``ValueError``.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Sequence

from . import exceptions, types

F = typing.TypeVar("F", bound=Callable[..., typing.Any])

ANY = "*"

# Every Auth() created, so that the component glue can find the one to serve.
_instances: list[Auth] = []


class Auth:
    """Authentication and authorization handlers, as in ``langgraph_sdk.Auth``.

    ``auth = Auth()``, then ``@auth.authenticate`` for the function that turns a
    request into a user, and ``@auth.on...`` for authorization handlers.
    """

    __slots__ = ("_authenticate_handler", "_global_handlers", "_handlers", "on")

    types = types
    exceptions = exceptions

    def __init__(self) -> None:
        self.on = _On(self)
        # Same names and shapes as LangGraph's (its server reads them).
        self._handlers: dict[tuple[str, str], list[types.Handler]] = {}
        self._global_handlers: list[types.Handler] = []
        self._authenticate_handler: types.Authenticator | None = None
        _instances.append(self)

    def authenticate(self, fn: F) -> F:
        """Register the authentication handler (once).

        It may declare, by name, any of ``headers`` (dict bytes -> bytes, lower-case
        names, last duplicate wins), ``authorization`` (str or None), ``method``,
        ``path``, ``query_params`` (dict str -> str, last wins), ``path_params``
        (always ``{}``), ``scopes`` (always ``[]``) and ``user`` (always ``None``). It
        returns a string (the identity), a dict with ``identity`` (optionally
        ``permissions``, ``display_name``, ``is_authenticated`` and custom fields), a
        ``(permissions, user)`` tuple, or an object with an ``identity`` attribute.
        """
        if self._authenticate_handler is not None:
            raise ValueError(
                f"Authentication handler already set as {self._authenticate_handler}."
            )
        self._authenticate_handler = fn
        return fn

    def _handler_for(self, resource: str, action: str) -> types.Handler | None:
        """The one handler that runs: (r, a), (r, *), (*, a), then the global one."""
        for key in ((resource, action), (resource, ANY), (ANY, action), (ANY, ANY)):
            handlers = self._handlers.get(key)
            if handlers:
                return handlers[-1]
        return self._global_handlers[-1] if self._global_handlers else None

    def _keys(self) -> list[tuple[str, str]]:
        """The registered (resource, action) keys; the global handler is ``("*", "*")``."""
        keys = [(ANY, ANY)] if self._global_handlers else []
        return keys + [key for key in self._handlers if key != (ANY, ANY)]


def is_studio_user(user: typing.Any) -> bool:
    """Whether ``user`` is LangGraph Studio's (``langgraph_sdk.auth.is_studio_user``)."""
    return isinstance(user, types.StudioUser) or (
        isinstance(user, dict) and user.get("kind") == "StudioUser"
    )


def _names(value: str | Sequence[str] | None, what: str) -> list[str]:
    if value is None:
        return [ANY]
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    raise TypeError(f"{what} must be a string or sequence of strings")


def _validate_handler(fn: Callable[..., typing.Any]) -> None:
    name = getattr(fn, "__name__", fn)
    if not inspect.iscoroutinefunction(fn):
        raise ValueError(
            f"Auth handler '{name}' must be an async function. "
            "Add 'async' before 'def' to make it asynchronous."
        )
    parameters = inspect.signature(fn).parameters
    for required in ("ctx", "value"):
        if required not in parameters:
            raise ValueError(
                f"Auth handler '{name}' must have a '{required}' parameter."
            )


def _register(auth: Auth, resource: str | None, action: str | None, fn: F) -> F:
    _validate_handler(fn)
    key = (resource or ANY, action or ANY)
    if key == (ANY, ANY):
        if auth._global_handlers:
            raise ValueError("Global handler already set.")
        auth._global_handlers.append(fn)
    else:
        if key in auth._handlers:
            raise ValueError(f"types.Handler already set for {key[0]}, {key[1]}.")
        auth._handlers[key] = [fn]
    return fn


class _ActionOn:
    """``@auth.on.<resource>.<action>``."""

    __slots__ = ("_auth", "action", "resource")

    def __init__(self, auth: Auth, resource: str, action: str) -> None:
        self._auth = auth
        self.resource = resource
        self.action = action

    def __call__(self, fn: F) -> F:
        return _register(self._auth, self.resource, self.action, fn)


class _ResourceOn:
    """``@auth.on.<resource>``, ``@auth.on.<resource>(actions=[...])`` and its actions."""

    ACTIONS: tuple[str, ...] = ("create", "read", "update", "delete", "search")

    def __init__(self, auth: Auth, resource: str) -> None:
        self._auth = auth
        self.resource = resource
        for action in self.ACTIONS:
            setattr(self, action, _ActionOn(auth, resource, action))

    def __call__(
        self,
        fn: F | None = None,
        *,
        resources: str | Sequence[str] | None = None,
        actions: str | Sequence[str] | None = None,
    ) -> typing.Any:
        def decorator(handler: F) -> F:
            _validate_handler(handler)
            if resources is not None and _names(resources, "resources") != [self.resource]:
                raise ValueError(
                    f"Resource-specific decorator for {self.resource!r} cannot register "
                    f"handlers for {_names(resources, 'resources')!r}. Use @auth.on(...) "
                    "for other or multiple resources."
                )
            action_list = _names(actions, "actions")
            if not action_list:
                raise ValueError("actions must not be empty")
            if not all(isinstance(action, str) for action in action_list):
                raise TypeError("actions must be a string or sequence of strings")
            if actions is not None:
                invalid = sorted(set(action_list) - set(self.ACTIONS))
                if invalid:
                    raise ValueError(
                        f"Invalid action(s) for {self.resource}: {', '.join(invalid)}"
                    )
            if len(action_list) != len(set(action_list)):
                raise ValueError("actions must not contain duplicates")
            for action in action_list:  # all or nothing
                if (self.resource, action) in self._auth._handlers:
                    raise ValueError(
                        f"types.Handler already set for {self.resource}, {action}."
                    )
            for action in action_list:
                _register(self._auth, self.resource, action, handler)
            return handler

        return decorator(fn) if fn is not None else decorator


class _ThreadsOn(_ResourceOn):
    ACTIONS = ("create", "read", "update", "delete", "search", "create_run")


class _StoreOn:
    """``@auth.on.store``, ``@auth.on.store()``, ``@auth.on.store(actions=...)``,
    ``@auth.on.store.put`` ..."""

    ACTIONS = ("put", "get", "search", "delete", "list_namespaces")

    def __init__(self, auth: Auth) -> None:
        self._auth = auth
        for action in self.ACTIONS:
            setattr(self, action, _ActionOn(auth, "store", action))

    def __call__(
        self, fn: F | None = None, *, actions: str | Sequence[str] | None = None
    ) -> typing.Any:
        if fn is not None:
            return _register(self._auth, "store", None, fn)

        def decorator(handler: F) -> F:
            for action in _names(actions, "actions"):
                _register(self._auth, "store", action, handler)
            return handler

        return decorator


class _On:
    """``@auth.on`` (global), ``@auth.on(resources=..., actions=...)`` and
    ``@auth.on.threads`` / ``.assistants`` / ``.crons`` / ``.store``."""

    __slots__ = ("_auth", "assistants", "crons", "store", "threads", "value")

    def __init__(self, auth: Auth) -> None:
        self._auth = auth
        self.assistants = _ResourceOn(auth, "assistants")
        self.threads = _ThreadsOn(auth, "threads")
        self.crons = _ResourceOn(auth, "crons")
        self.store = _StoreOn(auth)
        self.value = dict[str, typing.Any]

    def __call__(
        self,
        fn: F | None = None,
        *,
        resources: str | Sequence[str] | None = None,
        actions: str | Sequence[str] | None = None,
    ) -> typing.Any:
        if fn is not None:
            return _register(self._auth, None, None, fn)

        def decorator(handler: F) -> F:
            for resource in _names(resources, "resources"):
                for action in _names(actions, "actions"):
                    _register(self._auth, resource, action, handler)
            return handler

        return decorator
