"""The exception a handler raises to answer with an HTTP error (``Auth.exceptions``).

Same name, arguments and defaults as ``langgraph_sdk.auth.exceptions``.
"""

from __future__ import annotations

import http
from collections.abc import Mapping


class HTTPException(Exception):
    """Refuse the request with ``status_code`` and ``{"detail": detail}``.

    ``status_code`` defaults to 401 and ``detail`` to the status' reason phrase
    (``HTTPException()`` is ``401 Unauthorized``). ``headers`` are added to the
    response, e.g. ``{"www-authenticate": "Bearer"}``. Unlike LangGraph, wasmgate
    keeps the headers and the status of an authentication error too.
    """

    def __init__(
        self,
        status_code: int = 401,
        detail: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        # Unknown codes raise ValueError here, as in LangGraph.
        self.detail = http.HTTPStatus(status_code).phrase if detail is None else detail
        self.headers = headers
        super().__init__(status_code, self.detail)

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, "
            f"detail={self.detail!r})"
        )


__all__ = ["HTTPException"]
