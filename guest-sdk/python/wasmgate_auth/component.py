"""The WIT glue: the classes componentize-py exports for world ``authorizer``.

componentize-py implements an exported interface with the class of the same name
(in CamelCase) in the app module: ``Authenticate`` and ``Authorize``. Import them
into your app module after your ``Auth()`` exists::

    import auth  # noqa: F401 -- your auth.py, which creates `auth = Auth()`
    from wasmgate_auth.component import Authenticate, Authorize  # noqa: F401

or let ``python -m wasmgate_auth.build auth.py:auth`` write that module for you.
The Auth object is the one passed to :func:`use`, else the only ``Auth()`` with an
authenticate handler. Everything here runs while componentize-py builds the
component, so mistakes in registration fail the build, not a request.
"""

from componentize_py_types import Err
from wit_world.exports import authorize as _authz
from wit_world.imports import types as _types

from . import _core
from ._auth import Auth, _instances

_auth: Auth | None = None


def use(auth: Auth) -> Auth:
    """Serve ``auth`` (checked now, i.e. at build time)."""
    global _auth
    _auth = _core.check(auth)
    return auth


def _current() -> Auth:
    if _auth is None:
        use(_core.discover())
    return _auth


class Authenticate:
    """WIT ``authenticate``: the ``@auth.authenticate`` handler."""

    def authenticate(self, request: _types.Request) -> _types.User:
        outcome = _core.authenticate(
            _current(),
            request.method,
            request.path,
            request.query,
            [(header.name, header.value) for header in request.headers],
        )
        if isinstance(outcome, _core.Denial):
            raise Err(_types.HttpError(outcome.status, outcome.detail, outcome.headers))
        return _types.User(*outcome)


class Authorize:
    """WIT ``authorize``: the ``@auth.on`` handlers."""

    def handlers(self) -> list[_authz.HandlerKey]:
        return [_authz.HandlerKey(r, a) for r, a in _core.handler_keys(_current())]

    def authorize(self, context: _authz.AuthContext, value: str) -> _authz.Outcome:
        ctx = _core.context(
            context.user,
            context.permissions,
            context.resource,
            context.action,
            context.is_studio_user,
        )
        outcome = _core.authorize(_current(), ctx, value)
        if outcome.kind == "allow":
            decision = _authz.Decision_Allow()
        elif outcome.kind == "deny":
            decision = _authz.Decision_Deny()
        elif outcome.kind == "filter":
            decision = _authz.Decision_Filter(outcome.detail)
        else:
            denial = outcome.detail
            decision = _authz.Decision_Error(
                _types.HttpError(denial.status, denial.detail, denial.headers)
            )
        return _authz.Outcome(decision, outcome.value)


# Imported after the Auth object was created (the usual order): bind it now, so
# that a bad authenticate signature fails the build.
if sum(a._authenticate_handler is not None for a in _instances) == 1:
    _current()

__all__ = ["Authenticate", "Authorize", "use"]

