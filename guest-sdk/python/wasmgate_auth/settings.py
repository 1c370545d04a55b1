"""The handler's settings, declared in ``langgraph.json`` (where LangGraph reads env vars).

Settings live under ``wasmgate.auth.settings``; values written as ``{"$env": ...}``
or ``{"$file": ...}`` are resolved by the host, so secrets need not sit in the file.
A component can read only its own settings and has no other access to the host
environment. String settings arrive as the string itself; objects, arrays, numbers
and booleans as JSON text.

Read them inside a handler, never at import time: the module is imported once
while the component is built (componentize-py snapshots it), when no host exists.

A :class:`SettingError` that escapes a handler becomes ``500`` with the detail
``auth handler misconfigured: <message>``; the message names the setting and never
quotes its value.
"""

from __future__ import annotations

import json as _json
import typing

try:  # the WIT import; only present inside a component built by componentize-py
    from wit_world.imports import settings as _wit
except ImportError:  # plain Python (tests, tools)
    _wit = None

_local: dict[str, str] | None = None


class SettingError(Exception):
    """A setting is missing or unreadable. ``str(error)`` never quotes the value."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"setting `{name}` {problem}")


def get(name: str) -> str | None:
    """The raw value of setting ``name``, or ``None`` if it is not declared."""
    if _local is not None:
        return _local.get(name)
    return _host().get(name)


def get_all() -> dict[str, str]:
    """Every declared setting, name to raw value."""
    if _local is not None:
        return dict(_local)
    return dict(_host().get_all())


def json(name: str, expect: type | tuple[type, ...] | None = None) -> typing.Any:
    """Setting ``name`` decoded from JSON, e.g. ``settings.json("api_keys", expect=dict)``.

    A value that is not JSON is returned as the raw string (a string setting).
    With ``expect``, the result must be an instance of it (``str`` also accepts the raw
    text, so ``"1234"`` reads as a string); otherwise :class:`SettingError`.
    """
    raw = get(name)
    if raw is None:
        raise SettingError(name, "is not declared")
    try:
        value = _json.loads(raw)
    except ValueError as error:
        if expect is None or _accepts(expect, raw):
            return raw
        position = getattr(error, "pos", None)
        if position is not None and position >= len(raw):
            raise SettingError(name, "is truncated JSON") from None
        line, column = getattr(error, "lineno", "?"), getattr(error, "colno", "?")
        raise SettingError(
            name, f"is not valid JSON (line {line}, column {column})"
        ) from None
    if expect is None or _accepts(expect, value):
        return value
    if _accepts(expect, raw):
        return raw
    raise SettingError(name, "does not have the expected shape")


def use(values: typing.Mapping[str, typing.Any] | None) -> None:
    """Serve settings from ``values`` instead of the host (tests, native tools).

    Strings are kept as they are and anything else is encoded as JSON, as the host
    does. ``use(None)`` goes back to the host.
    """
    global _local
    if values is None:
        _local = None
        return
    _local = {
        name: value if isinstance(value, str) else _json.dumps(value)
        for name, value in values.items()
    }


def _accepts(expect: type | tuple[type, ...], value: typing.Any) -> bool:
    return isinstance(value, expect)


def _host():
    if _wit is None:
        raise RuntimeError(
            "wasmgate settings are read from the host, which only exists inside a "
            "component; outside one, call wasmgate_auth.settings.use({...}) first"
        )
    return _wit


__all__ = ["SettingError", "get", "get_all", "json", "use"]
