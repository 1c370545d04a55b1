"""LangGraph's ``Auth`` for wasmgate auth components written in Python.

An existing LangGraph ``auth.py`` changes only its import line::

    from langgraph_sdk import Auth          # LangGraph
    from wasmgate_auth import Auth          # wasmgate

and is built into a component with componentize-py (see ``wasmgate_auth.build`` and
the README next to this package). ``Auth``, ``Auth.types``, ``Auth.exceptions`` and
``is_studio_user`` mirror ``langgraph_sdk.auth``; ``settings`` reads the handler's
settings from ``langgraph.json``, where LangGraph code reads environment variables.
"""

from . import exceptions, settings, types
from ._auth import Auth, is_studio_user

__all__ = ["Auth", "exceptions", "is_studio_user", "settings", "types"]
