"""Unit tests of wasmgate_auth in plain CPython (no component needed).

    python3 -m unittest discover -s guest-sdk/python/tests
"""

from __future__ import annotations

import asyncio
import json
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from wasmgate_auth import Auth, _core, is_studio_user, settings  # noqa: E402
from wasmgate_auth.types import StudioUser, User  # noqa: E402

HTTPException = Auth.exceptions.HTTPException


def request(headers=(), method="GET", path="/threads", query=""):
    return (method, path, query, [(name, value) for name, value in headers])


def authenticate(auth, *args, **kwargs):
    return _core.authenticate(auth, *request(*args, **kwargs))


def ctx(resource, action, user=None, studio=False, permissions=()):
    user = user or {"identity": "alice", "is_authenticated": True,
                    "display_name": "alice", "permissions": list(permissions)}
    return _core.context(json.dumps(user), list(permissions), resource, action, studio)


async def allow(ctx, value):
    return None


def tagged(name):
    async def handler(ctx, value):
        return {"by": name}
    handler.__name__ = name
    return handler


class Registration(unittest.TestCase):
    def test_decorator_forms_give_langgraph_keys(self):
        auth = Auth()
        auth.on(tagged("global"))
        auth.on.threads(tagged("threads"))
        auth.on.threads.create(tagged("threads.create"))
        auth.on.assistants(actions=["read", "search"])(tagged("assistants.rs"))
        auth.on(resources=["crons", "runs"], actions="delete")(tagged("cross"))
        auth.on(actions="update")(tagged("any.update"))
        auth.on.store()(tagged("store"))
        auth.on.threads.create_run(tagged("create_run"))
        self.assertEqual(
            _core.handler_keys(auth),
            [("*", "*"), ("threads", "*"), ("threads", "create"),
             ("assistants", "read"), ("assistants", "search"), ("crons", "delete"),
             ("runs", "delete"), ("*", "update"), ("store", "*"),
             ("threads", "create_run")],
        )

    def test_store_forms(self):
        auth = Auth()
        auth.on.store(tagged("all"))
        auth.on.store(actions=["put", "get"])(tagged("pg"))
        auth.on.store.delete(tagged("delete"))
        self.assertEqual(
            _core.handler_keys(auth),
            [("store", "*"), ("store", "put"), ("store", "get"), ("store", "delete")],
        )

    def test_on_star_star_is_the_global_handler(self):
        auth = Auth()
        auth.on(resources="*", actions="*")(tagged("g"))
        self.assertEqual(_core.handler_keys(auth), [("*", "*")])
        with self.assertRaisesRegex(ValueError, "Global handler already set"):
            auth.on(tagged("again"))

    def test_duplicates_and_bad_handlers_raise(self):
        auth = Auth()
        auth.on.threads.read(tagged("a"))
        with self.assertRaisesRegex(ValueError, "already set for threads, read"):
            auth.on(resources="threads", actions="read")(tagged("b"))
        with self.assertRaisesRegex(ValueError, "already set for threads, read"):
            auth.on.threads(actions=["create", "read"])(tagged("c"))
        self.assertNotIn(("threads", "create"), auth._handlers)  # all or nothing
        with self.assertRaisesRegex(ValueError, "must be an async function"):
            auth.on.threads.create(lambda ctx, value: None)

        async def no_value(ctx):
            return None

        with self.assertRaisesRegex(ValueError, "'value' parameter"):
            auth.on(no_value)
        with self.assertRaisesRegex(ValueError, "Invalid action"):
            auth.on.assistants(actions=["create_run"])(tagged("d"))
        with self.assertRaisesRegex(ValueError, "cannot register handlers"):
            auth.on.threads(resources="assistants")(tagged("e"))
        auth.authenticate(allow)
        with self.assertRaisesRegex(ValueError, "already set"):
            auth.authenticate(allow)

    def test_check_refuses_unavailable_parameters(self):
        auth = Auth()

        @auth.authenticate
        async def needs_request(request, headers):
            return "x"

        with self.assertRaisesRegex(ValueError, "'request' is not available"):
            _core.check(auth)

        auth = Auth()

        @auth.authenticate
        async def optional_request(headers, request=None):
            return "x"

        _core.check(auth)


class Precedence(unittest.TestCase):
    def test_most_specific_only(self):
        auth = Auth()
        auth.on(tagged("global"))
        auth.on(actions="read")(tagged("*.read"))
        auth.on.threads(tagged("threads.*"))
        auth.on.threads.read(tagged("threads.read"))
        cases = {
            ("threads", "read"): "threads.read",
            ("threads", "create"): "threads.*",
            ("assistants", "read"): "*.read",
            ("crons", "delete"): "global",
        }
        for (resource, action), want in cases.items():
            outcome = _core.authorize(auth, ctx(resource, action), "{}")
            self.assertEqual(outcome, ("filter", json.dumps({"by": want}, separators=(",", ":")), None))

    def test_no_handler_allows(self):
        auth = Auth()
        auth.on.threads.create(tagged("x"))
        self.assertEqual(_core.authorize(auth, ctx("threads", "read"), "{}").kind, "allow")


class Authentication(unittest.TestCase):
    def auth_returning(self, result=None, raises=None):
        auth = Auth()

        @auth.authenticate
        async def handler(headers):
            if raises is not None:
                raise raises
            return result

        return auth

    def test_arguments_by_name(self):
        auth = Auth()
        seen = {}

        @auth.authenticate
        async def handler(headers, authorization, method, path, query_params, path_params, scopes, user):
            seen.update(locals())
            return "alice"

        authenticate(
            auth,
            [("x-a", b"1"), ("authorization", b"Bearer t"), ("x-a", b"2")],
            method="POST", path="/runs", query="a=1&a=2&b=&c=%C3%BC+x",
        )
        self.assertEqual(seen["headers"], {b"x-a": b"2", b"authorization": b"Bearer t"})
        self.assertEqual(seen["authorization"], "Bearer t")
        self.assertEqual((seen["method"], seen["path"]), ("POST", "/runs"))
        self.assertEqual(seen["query_params"], {"a": "2", "b": "", "c": "ü x"})
        self.assertEqual((seen["path_params"], seen["scopes"], seen["user"]), ({}, [], None))

        auth = Auth()

        @auth.authenticate
        async def none(authorization):
            seen["none"] = authorization
            return "x"

        authenticate(auth)
        self.assertIsNone(seen["none"])

    def test_result_shapes(self):
        class WithIdentity:
            identity = "obj"
            permissions = ("p",)

            def dict(self):
                return {"org": "acme"}

        cases = [
            ("s", _core.GuestUser("s", "s", True, [], "{}")),
            ({"identity": "d", "display_name": "Disp", "is_authenticated": False, "permissions": ["x"]},
             _core.GuestUser("d", "Disp", False, ["x"], "{}")),
            ((["perm-a"], {"identity": "tup", "k": 1}),
             _core.GuestUser("tup", "tup", True, ["perm-a"], '{"k":1}')),
            ({"identity": "alice", "github_token": "ghp", "permissions": ["threads:write"]},
             _core.GuestUser("alice", "alice", True, ["threads:write"], '{"github_token":"ghp"}')),
            (WithIdentity(), _core.GuestUser("obj", "obj", True, ["p"], '{"org":"acme"}')),
        ]
        for result, want in cases:
            self.assertEqual(authenticate(self.auth_returning(result)), want, result)

    def test_bad_results(self):
        for result, status in [(None, 400), ({"name": "x"}, 400), ((1, 2, 3), 400)]:
            self.assertEqual(authenticate(self.auth_returning(result)).status, status)
        self.assertIn("Expected a BaseUser", authenticate(self.auth_returning(None)).detail)
        with self.assertRaises(TypeError):  # the WIT user needs a string identity
            authenticate(self.auth_returning({"identity": 7}))

    def test_errors(self):
        cases = [
            (HTTPException(), (401, "Unauthorized", [])),
            (HTTPException(403, "no", {"x-why": "because"}), (403, "no", [("x-why", "because")])),
            (HTTPException(status_code=429), (429, "Too Many Requests", [])),
            (ValueError("bad token"), (400, "bad token", [])),
            (settings.SettingError("api_keys", "is not declared"),
             (500, "auth handler misconfigured: setting `api_keys` is not declared", [])),
        ]
        for error, want in cases:
            self.assertEqual(tuple(authenticate(self.auth_returning(raises=error))), want)
        with self.assertRaises(KeyError):  # anything else is a fault
            authenticate(self.auth_returning(raises=KeyError("x")))
        with self.assertRaises(AssertionError):
            authenticate(self.auth_returning(raises=AssertionError("x")))


class Authorization(unittest.TestCase):
    def one(self, fn, resource="threads", action="create", value=None, **kwargs):
        auth = Auth()
        auth.on(fn)
        return _core.authorize(auth, ctx(resource, action, **kwargs), json.dumps(value or {}))

    def test_results(self):
        async def returns(result):
            async def handler(ctx, value):
                return result
            return handler

        for result, kind, detail in [
            (None, "allow", None), (True, "allow", None), (False, "deny", None),
            ({}, "allow", None), ({"owner": "a"}, "filter", '{"owner":"a"}'),
        ]:
            outcome = self.one(asyncio.run(returns(result)))
            self.assertEqual((outcome.kind, outcome.detail), (kind, detail), result)
        with self.assertRaisesRegex(TypeError, "invalid result"):
            self.one(asyncio.run(returns("yes")))

    def test_exceptions(self):
        def raising(error):
            async def handler(ctx, value):
                raise error
            return handler

        cases = [
            (HTTPException(418, "teapot", {"a": "b"}), _core.Denial(418, "teapot", [("a", "b")])),
            (HTTPException(), _core.Denial(401, "Unauthorized", [])),
            (AssertionError("Not authorized"), _core.Denial(403, "Not authorized", [])),
            (AssertionError(), _core.Denial(403, "unknown error", [])),
            (ValueError("bad"), _core.Denial(400, "bad", [])),
        ]
        for error, want in cases:
            outcome = self.one(raising(error), value={"metadata": {}})
            self.assertEqual(outcome, ("error", want, None))
        with self.assertRaises(KeyError):
            self.one(raising(KeyError("k")))

    def test_value_edits_are_sent_back_only_when_changed(self):
        async def stamp(ctx, value):
            value["metadata"]["owner"] = ctx.user.identity

        outcome = self.one(stamp, value={"metadata": {"owner": "mallory"}, "thread_id": "t"})
        self.assertEqual(json.loads(outcome.value), {"metadata": {"owner": "alice"}, "thread_id": "t"})
        outcome = self.one(stamp, value={"metadata": {"owner": "alice"}})
        self.assertIsNone(outcome.value)

    def test_store_namespaces_are_tuples(self):
        seen = []

        async def scope(ctx, value):
            seen.append(value["namespace"])
            value["namespace"] = (ctx.user.identity, *value["namespace"])

        outcome = self.one(scope, "store", "put", {"namespace": ["docs"], "key": "k"})
        self.assertEqual(seen, [("docs",)])
        self.assertEqual(json.loads(outcome.value)["namespace"], ["alice", "docs"])

        async def same(ctx, value):
            value["namespace"] = list(value["namespace"])

        self.assertIsNone(self.one(same, "store", "put", {"namespace": ["a"]}).value)

    def test_context_user(self):
        got = {}

        async def look(ctx, value):
            got.update(
                identity=ctx.user.identity, item=ctx.user["identity"], token=ctx.user.github_token,
                org=ctx.user.org.id, get=ctx.user.get("missing", 1), perms=ctx.permissions,
                user_perms=ctx.user.permissions, contains="github_token" in ctx.user,
                display=ctx.user.display_name, studio=is_studio_user(ctx.user),
                resource=ctx.resource, action=ctx.action,
            )

        user = {"identity": "alice", "display_name": "Alice", "is_authenticated": True,
                "permissions": ["p"], "github_token": "ghp", "org": {"id": 7}}
        self.one(look, user=user, permissions=["p"])
        self.assertEqual(got, {
            "identity": "alice", "item": "alice", "token": "ghp", "org": 7, "get": 1,
            "perms": ["p"], "user_perms": ["p"], "contains": True, "display": "Alice",
            "studio": False, "resource": "threads", "action": "create",
        })

    def test_studio_user(self):
        studio = {"identity": "langgraph-studio-user", "kind": "StudioUser",
                  "is_authenticated": False, "display_name": "langgraph-studio-user", "permissions": []}
        for c in (ctx("threads", "read", user=studio), ctx("threads", "read", studio=True)):
            self.assertIsInstance(c.user, StudioUser)
            self.assertTrue(is_studio_user(c.user))
        self.assertIsInstance(ctx("threads", "read").user, User)
        self.assertTrue(is_studio_user({"kind": "StudioUser"}))
        self.assertFalse(is_studio_user({"identity": "x"}))


class Runner(unittest.TestCase):
    def test_drives_coroutines_without_a_loop(self):
        async def inner():
            await asyncio.sleep(0)
            return 2

        async def outer():
            return await inner() + 1

        self.assertEqual(_core.run(outer()), 3)
        self.assertEqual(_core.run(5), 5)

    def test_real_waiting_is_a_fault(self):
        async def waits():
            await asyncio.sleep(0.01)

        with self.assertRaisesRegex(RuntimeError, "event loop"):
            _core.run(waits())


class Settings(unittest.TestCase):
    def tearDown(self):
        settings.use(None)

    def test_json_and_errors_never_quote_values(self):
        settings.use({
            "keys": {"k": {"identity": "a"}}, "issuer": "https://x", "pin": "1234",
            "broken": "{ghp_secret", "truncated": '{"a": ', "list": [1],
        })
        self.assertEqual(settings.json("keys", expect=dict), {"k": {"identity": "a"}})
        self.assertEqual(settings.json("issuer"), "https://x")
        self.assertEqual(settings.json("pin"), 1234)
        self.assertEqual(settings.json("pin", expect=str), "1234")
        self.assertEqual(settings.get("keys"), '{"k": {"identity": "a"}}')
        for name, message in [
            ("missing", "setting `missing` is not declared"),
            ("broken", "setting `broken` is not valid JSON (line 1, column 2)"),
            ("truncated", "setting `truncated` is truncated JSON"),
            ("list", "setting `list` does not have the expected shape"),
            ("issuer", "setting `issuer` is not valid JSON (line 1, column 1)"),
        ]:
            with self.assertRaises(settings.SettingError) as caught:
                settings.json(name, expect=dict)
            self.assertEqual(str(caught.exception), message)
            self.assertNotIn("ghp_secret", str(caught.exception))

    def test_outside_a_component(self):
        with self.assertRaisesRegex(RuntimeError, "only exists inside a component"):
            settings.get("x")


if __name__ == "__main__":
    unittest.main()
