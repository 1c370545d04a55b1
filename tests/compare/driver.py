"""Run a fixed scenario against one server and record outcomes.

    python driver.py --url http://127.0.0.1:PORT [--scenario owner|probe] [--out results.json] [--quiet]

A scenario is a table below: ``SCENARIO`` (``owner``, the default: the
owner-scoping policy of ``reference/``) or ``PROBE_SCENARIO`` (``probe``: the
rule table of ``probe/rules.json``, aimed at wasmgate's deliberate
differences). Every row is one HTTP request by one actor. Requests are sent with plain httpx, with the bodies and query
strings that langgraph-sdk 0.4.14 sends for the matching client call.

For every step the driver records:

- ``status``: the HTTP status code;
- ``visible`` (steps with a ``visible`` kind): which previously saved names
  (threads, assistants) appear in a list/search result, or the store items /
  namespaces / graph nodes / schema keys listed, or the count. Server ids are
  translated back to the names they were saved under, so runs against
  different servers compare;
- ``fields`` (steps with ``fields``): chosen values from the JSON body
  (e.g. ``metadata.owner``), again with saved ids translated to names.

Timestamps, generated ids and error texts are never recorded.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import Any

import httpx

# The system assistant that the server makes for graph "agent":
# uuid5(6ba7b821-9dad-11d1-80b4-00c04fd430c8, "agent").
SYSTEM_AGENT = str(uuid.uuid5(uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8"), "agent"))
assert SYSTEM_AGENT == "fe096781-5601-53d2-b2f6-0d3403f7e9ca"

SDK_USER_AGENT = "langgraph-sdk-py/0.4.14"

ACTORS: dict[str, dict[str, str]] = {
    "alice": {"x-api-key": "alice-key"},
    "bob": {"x-api-key": "bob-key"},
    "anon": {},
    "intruder": {"x-api-key": "wrong-key"},
    # Under `langgraph dev` this header alone selects the Studio (no-op) backend.
    "studio": {"x-auth-scheme": "langsmith"},
    # The probe scenario's actors (tests/fixtures/authz-probe and probe/auth.py): the bearer token is the identity.
    "carol": {"authorization": "Bearer carol"},
    "dave": {"authorization": "Bearer dave"},
    "basic": {"authorization": "Basic Y2Fyb2w6cHc="},  # the wrong scheme
}

# Names bound before the first step.
PRESET = {"sys_agent": SYSTEM_AGENT}

# Stand-in for a name whose saving step failed: a fixed, unknown UUID, so the
# later steps still run (and fail the same way on every run).
_UNBOUND_NS = uuid.UUID("00000000-0000-0000-0000-0000000000aa")


def S(name, actor, method, path, body=None, *, query=None, save=None, visible=None, fields=None):
    """One step.

    path / body / query: templates; "{name}" is replaced by a saved value.
    save:    {name: "dotted.path"} taken from the JSON response (only on 2xx).
    visible: "threads" | "assistants" | "items" | "namespaces" | "count" | "len"
             | "graph_nodes" | "schema_keys" (property names per schema).
    fields:  {label: "dotted.path"} recorded from the JSON response (on 2xx).
    """
    return {
        "name": name, "actor": actor, "method": method, "path": path, "body": body,
        "query": query, "save": save or {}, "visible": visible, "fields": fields or {},
    }


RUN = {"assistant_id": "agent", "input": {}}  # what runs.wait(thread, "agent", input={}) sends
THREAD_FIELDS = {"owner": "metadata.owner", "topic": "metadata.topic"}
ASSISTANT_FIELDS = {"owner": "metadata.owner", "graph_id": "graph_id", "name": "name"}

SCENARIO: list[dict[str, Any]] = [
    # ---- meta and authentication -------------------------------------------------
    S("meta.ok.anon", "anon", "GET", "/ok"),
    S("meta.info.anon", "anon", "GET", "/info"),  # body: server versions, which naturally differ
    S("unknown_path.anon", "anon", "GET", "/nonexistent"),
    S("unknown_path.alice", "alice", "GET", "/nonexistent"),
    S("unknown_path.studio", "studio", "GET", "/nonexistent"),
    S("authn.bad_key.intruder", "intruder", "POST", "/threads/search", {"limit": 10, "offset": 0}),
    S("authn.no_key.anon", "anon", "POST", "/threads/search", {"limit": 10, "offset": 0}),
    # ---- threads ------------------------------------------------------------------
    S("threads.create.alice", "alice", "POST", "/threads", {"metadata": {"owner": "mallory", "topic": "a"}},
      save={"t_alice": "thread_id"}, fields=THREAD_FIELDS),
    S("threads.create.alice.second", "alice", "POST", "/threads", {"metadata": {"topic": "a2"}},
      save={"t_alice2": "thread_id"}, fields=THREAD_FIELDS),
    S("threads.create.bob", "bob", "POST", "/threads", {"metadata": {"owner": "mallory", "topic": "b"}},
      save={"t_bob": "thread_id"}, fields=THREAD_FIELDS),
    S("threads.create.studio", "studio", "POST", "/threads", {"metadata": {"owner": "mallory", "topic": "s"}},
      save={"t_studio": "thread_id"}, fields=THREAD_FIELDS),
    S("threads.create.anon", "anon", "POST", "/threads", {"metadata": {"owner": "mallory"}}),
    S("threads.get.alice.own", "alice", "GET", "/threads/{t_alice}", fields=THREAD_FIELDS),
    S("threads.get.bob.alices", "bob", "GET", "/threads/{t_alice}"),
    S("threads.get.alice.studios", "alice", "GET", "/threads/{t_studio}"),
    S("threads.get.studio.alices", "studio", "GET", "/threads/{t_alice}", fields=THREAD_FIELDS),
    S("threads.get.anon.alices", "anon", "GET", "/threads/{t_alice}"),
    S("threads.patch.alice.own", "alice", "PATCH", "/threads/{t_alice}",
      {"metadata": {"owner": "mallory", "topic": "a-patched"}}, fields=THREAD_FIELDS),
    S("threads.patch.bob.alices", "bob", "PATCH", "/threads/{t_alice}", {"metadata": {"topic": "hijacked"}}),
    S("threads.patch.anon.alices", "anon", "PATCH", "/threads/{t_alice}", {"metadata": {"topic": "hijacked"}}),
    S("threads.get.alice.after_patches", "alice", "GET", "/threads/{t_alice}", fields=THREAD_FIELDS),
    S("threads.search.alice", "alice", "POST", "/threads/search", {"limit": 10, "offset": 0}, visible="threads"),
    S("threads.search.alice.filter_owner_bob", "alice", "POST", "/threads/search",
      {"limit": 10, "offset": 0, "metadata": {"owner": "bob"}}, visible="threads"),
    S("threads.search.alice.filter_topic", "alice", "POST", "/threads/search",
      {"limit": 10, "offset": 0, "metadata": {"topic": "a2"}}, visible="threads"),
    S("threads.search.bob", "bob", "POST", "/threads/search", {"limit": 10, "offset": 0}, visible="threads"),
    S("threads.search.studio", "studio", "POST", "/threads/search", {"limit": 10, "offset": 0}, visible="threads"),
    S("threads.count.alice", "alice", "POST", "/threads/count", {}, visible="count"),
    S("threads.count.bob", "bob", "POST", "/threads/count", {}, visible="count"),
    S("threads.count.studio", "studio", "POST", "/threads/count", {}, visible="count"),
    S("threads.count.anon", "anon", "POST", "/threads/count", {}),
    # copy() sends no body at all
    S("threads.copy.alice.own", "alice", "POST", "/threads/{t_alice2}/copy",
      save={"t_alice2_copy": "thread_id"}, fields=THREAD_FIELDS),
    S("threads.copy.bob.alices", "bob", "POST", "/threads/{t_alice}/copy", save={"t_bob_copy": "thread_id"}),
    S("threads.search.alice.after_copy", "alice", "POST", "/threads/search", {"limit": 10, "offset": 0},
      visible="threads"),
    # ---- runs ---------------------------------------------------------------------
    S("runs.wait.alice.own", "alice", "POST", "/threads/{t_alice}/runs/wait", RUN,
      fields={"who": "who", "has_token": "has_token"}),
    S("runs.wait.bob.alices", "bob", "POST", "/threads/{t_alice}/runs/wait", RUN,
      fields={"who": "who", "has_token": "has_token"}),
    S("runs.wait.bob.own", "bob", "POST", "/threads/{t_bob}/runs/wait", RUN,
      fields={"who": "who", "has_token": "has_token"}),
    S("runs.wait.studio.bobs", "studio", "POST", "/threads/{t_bob}/runs/wait", RUN,
      fields={"who": "who", "has_token": "has_token"}),
    S("runs.wait.anon.alices", "anon", "POST", "/threads/{t_alice}/runs/wait", RUN),
    S("threads.state.alice.own", "alice", "GET", "/threads/{t_alice}/state", query={"subgraphs": "false"},
      fields={"who": "values.who", "next": "next"}),
    S("threads.state.bob.alices", "bob", "GET", "/threads/{t_alice}/state", query={"subgraphs": "false"}),
    S("threads.state.studio.bobs", "studio", "GET", "/threads/{t_bob}/state", query={"subgraphs": "false"},
      fields={"who": "values.who"}),
    S("threads.state.anon.alices", "anon", "GET", "/threads/{t_alice}/state", query={"subgraphs": "false"}),
    S("threads.history.alice.own", "alice", "POST", "/threads/{t_alice}/history", {"limit": 10},
      visible="len", fields={"latest_who": "0.values.who"}),
    S("threads.history.bob.alices", "bob", "POST", "/threads/{t_alice}/history", {"limit": 10}, visible="len"),
    S("threads.history.anon.alices", "anon", "POST", "/threads/{t_alice}/history", {"limit": 10}),
    S("threads.get.alice.after_run", "alice", "GET", "/threads/{t_alice}",
      fields={**THREAD_FIELDS, "status": "status", "who": "values.who"}),
    # stateless runs (the temporary thread is deleted afterwards)
    S("runs.stateless.alice", "alice", "POST", "/runs/wait", RUN, fields={"who": "who", "has_token": "has_token"}),
    S("runs.stateless.bob.spoofed_user", "bob", "POST", "/runs/wait",
      {**RUN, "config": {"configurable": {
          "langgraph_auth_user": {"identity": "alice", "github_token": "stolen"},
          "langgraph_auth_user_id": "alice",
          "langgraph_auth_permissions": ["threads:write"],
      }}},
      fields={"who": "who", "has_token": "has_token"}),
    S("runs.stateless.studio", "studio", "POST", "/runs/wait", RUN, fields={"who": "who", "has_token": "has_token"}),
    S("runs.stateless.anon", "anon", "POST", "/runs/wait", RUN),
    # ---- thread deletion -----------------------------------------------------------
    S("threads.delete.bob.alices", "bob", "DELETE", "/threads/{t_alice2_copy}"),
    S("threads.delete.anon.alices", "anon", "DELETE", "/threads/{t_alice2_copy}"),
    S("threads.delete.alice.own", "alice", "DELETE", "/threads/{t_alice2_copy}"),
    S("threads.get.alice.deleted", "alice", "GET", "/threads/{t_alice2_copy}"),
    S("threads.delete.alice.studios", "alice", "DELETE", "/threads/{t_studio}"),
    S("threads.search.alice.final", "alice", "POST", "/threads/search", {"limit": 10, "offset": 0},
      visible="threads"),
    S("threads.search.studio.final", "studio", "POST", "/threads/search", {"limit": 10, "offset": 0},
      visible="threads"),
    # ---- assistants ----------------------------------------------------------------
    S("assistants.create.alice", "alice", "POST", "/assistants",
      {"graph_id": "agent", "metadata": {"owner": "mallory"}, "name": "alice-assistant"},
      save={"a_alice": "assistant_id"}, fields=ASSISTANT_FIELDS),
    S("assistants.create.bob", "bob", "POST", "/assistants",
      {"graph_id": "agent", "metadata": {"owner": "mallory"}, "name": "bob-assistant"},
      save={"a_bob": "assistant_id"}, fields=ASSISTANT_FIELDS),
    # bob labels his assistant as a system one: the $or read filter lets alice see it
    S("assistants.create.bob.fake_system", "bob", "POST", "/assistants",
      {"graph_id": "agent", "metadata": {"created_by": "system"}, "name": "bob-fake-system"},
      save={"a_bob_fake": "assistant_id"}, fields={**ASSISTANT_FIELDS, "created_by": "metadata.created_by"}),
    S("assistants.create.studio", "studio", "POST", "/assistants",
      {"graph_id": "agent", "metadata": {"owner": "mallory"}, "name": "studio-assistant"},
      save={"a_studio": "assistant_id"}, fields=ASSISTANT_FIELDS),
    S("assistants.create.anon", "anon", "POST", "/assistants", {"graph_id": "agent"}),
    S("assistants.create.alice.unknown_graph", "alice", "POST", "/assistants", {"graph_id": "no-such-graph"}),
    S("assistants.get.alice.own", "alice", "GET", "/assistants/{a_alice}", fields=ASSISTANT_FIELDS),
    S("assistants.get.bob.alices", "bob", "GET", "/assistants/{a_alice}"),
    S("assistants.get.alice.system", "alice", "GET", "/assistants/{sys_agent}",
      fields={**ASSISTANT_FIELDS, "created_by": "metadata.created_by"}),
    S("assistants.get.alice.bobs_fake_system", "alice", "GET", "/assistants/{a_bob_fake}", fields=ASSISTANT_FIELDS),
    S("assistants.get.studio.alices", "studio", "GET", "/assistants/{a_alice}", fields=ASSISTANT_FIELDS),
    S("assistants.get.anon.system", "anon", "GET", "/assistants/{sys_agent}"),
    S("assistants.get.alice.not_uuid", "alice", "GET", "/assistants/agent"),
    S("assistants.graph.alice.by_graph_name", "alice", "GET", "/assistants/agent/graph", query={"xray": "false"},
      visible="graph_nodes"),
    S("assistants.graph.alice.own", "alice", "GET", "/assistants/{a_alice}/graph", query={"xray": "false"},
      visible="graph_nodes"),
    S("assistants.graph.bob.alices", "bob", "GET", "/assistants/{a_alice}/graph", query={"xray": "false"},
      visible="graph_nodes"),
    S("assistants.graph.anon.system", "anon", "GET", "/assistants/agent/graph", query={"xray": "false"}),
    S("assistants.schemas.alice.system", "alice", "GET", "/assistants/{sys_agent}/schemas",
      visible="schema_keys", fields={"graph_id": "graph_id"}),
    S("assistants.schemas.alice.own", "alice", "GET", "/assistants/{a_alice}/schemas",
      visible="schema_keys", fields={"graph_id": "graph_id"}),
    S("assistants.schemas.bob.alices", "bob", "GET", "/assistants/{a_alice}/schemas", visible="schema_keys"),
    S("assistants.patch.alice.own", "alice", "PATCH", "/assistants/{a_alice}",
      {"metadata": {"owner": "mallory", "v": 2}},
      fields={**ASSISTANT_FIELDS, "v": "metadata.v", "version": "version"}),
    S("assistants.patch.bob.alices", "bob", "PATCH", "/assistants/{a_alice}", {"metadata": {"v": 3}}),
    S("assistants.patch.alice.system", "alice", "PATCH", "/assistants/{sys_agent}", {"metadata": {"v": 4}}),
    S("assistants.patch.studio.alices", "studio", "PATCH", "/assistants/{a_alice}", {"metadata": {"v": 5}},
      fields={**ASSISTANT_FIELDS, "v": "metadata.v", "version": "version"}),
    S("assistants.search.alice", "alice", "POST", "/assistants/search", {"limit": 10, "offset": 0},
      visible="assistants"),
    S("assistants.search.alice.filter_graph", "alice", "POST", "/assistants/search",
      {"limit": 10, "offset": 0, "graph_id": "agent"}, visible="assistants"),
    S("assistants.search.bob", "bob", "POST", "/assistants/search", {"limit": 10, "offset": 0},
      visible="assistants"),
    S("assistants.search.studio", "studio", "POST", "/assistants/search", {"limit": 10, "offset": 0},
      visible="assistants"),
    S("assistants.search.anon", "anon", "POST", "/assistants/search", {"limit": 10, "offset": 0}),
    S("assistants.count.alice", "alice", "POST", "/assistants/count", {}, visible="count"),
    S("assistants.count.bob", "bob", "POST", "/assistants/count", {}, visible="count"),
    S("assistants.count.studio", "studio", "POST", "/assistants/count", {}, visible="count"),
    S("runs.wait.alice.own_assistant", "alice", "POST", "/threads/{t_alice}/runs/wait",
      {"assistant_id": "{a_alice}", "input": {}}, fields={"who": "who"}),
    S("runs.wait.bob.alices_assistant", "bob", "POST", "/threads/{t_bob}/runs/wait",
      {"assistant_id": "{a_alice}", "input": {}}, fields={"who": "who"}),
    S("assistants.delete.bob.alices", "bob", "DELETE", "/assistants/{a_alice}"),
    S("assistants.delete.alice.system", "alice", "DELETE", "/assistants/{sys_agent}"),
    S("assistants.delete.anon.alices", "anon", "DELETE", "/assistants/{a_alice}"),
    S("assistants.delete.alice.own", "alice", "DELETE", "/assistants/{a_alice}"),
    S("assistants.get.alice.deleted", "alice", "GET", "/assistants/{a_alice}"),
    S("assistants.search.alice.final", "alice", "POST", "/assistants/search", {"limit": 10, "offset": 0},
      visible="assistants"),
    # ---- store -------------------------------------------------------------------------
    S("store.put.alice.own", "alice", "PUT", "/store/items",
      {"namespace": ["alice", "docs"], "key": "k1", "value": {"text": "alice's"}}),
    S("store.put.alice.bobs", "alice", "PUT", "/store/items",
      {"namespace": ["bob", "docs"], "key": "k9", "value": {"text": "planted"}}),
    S("store.put.alice.unscoped", "alice", "PUT", "/store/items",
      {"namespace": ["docs"], "key": "k2", "value": {"text": "unscoped"}}),
    S("store.put.bob.own", "bob", "PUT", "/store/items",
      {"namespace": ["bob", "docs"], "key": "k1", "value": {"text": "bob's"}}),
    S("store.put.studio.shared", "studio", "PUT", "/store/items",
      {"namespace": ["shared", "docs"], "key": "k1", "value": {"text": "studio's"}}),
    S("store.put.anon.own", "anon", "PUT", "/store/items",
      {"namespace": ["anon", "docs"], "key": "k1", "value": {"text": "x"}}),
    S("store.get.alice.own", "alice", "GET", "/store/items", query={"namespace": "alice.docs", "key": "k1"},
      fields={"key": "key", "namespace": "namespace", "text": "value.text"}),
    S("store.get.alice.own_missing_key", "alice", "GET", "/store/items",
      query={"namespace": "alice.docs", "key": "nope"}, fields={"body": ""}),
    S("store.get.bob.alices", "bob", "GET", "/store/items", query={"namespace": "alice.docs", "key": "k1"},
      fields={"text": "value.text"}),
    S("store.get.studio.alices", "studio", "GET", "/store/items", query={"namespace": "alice.docs", "key": "k1"},
      fields={"text": "value.text"}),
    S("store.get.anon.alices", "anon", "GET", "/store/items", query={"namespace": "alice.docs", "key": "k1"}),
    S("store.search.alice.own", "alice", "POST", "/store/items/search",
      {"namespace_prefix": ["alice"], "limit": 10, "offset": 0}, visible="items"),
    S("store.search.alice.bobs", "alice", "POST", "/store/items/search",
      {"namespace_prefix": ["bob"], "limit": 10, "offset": 0}, visible="items"),
    S("store.search.alice.root", "alice", "POST", "/store/items/search",
      {"namespace_prefix": [], "limit": 10, "offset": 0}, visible="items"),
    S("store.search.bob.own", "bob", "POST", "/store/items/search",
      {"namespace_prefix": ["bob"], "limit": 10, "offset": 0}, visible="items"),
    S("store.search.studio.root", "studio", "POST", "/store/items/search",
      {"namespace_prefix": [], "limit": 10, "offset": 0}, visible="items"),
    S("store.search.anon.alices", "anon", "POST", "/store/items/search",
      {"namespace_prefix": ["alice"], "limit": 10, "offset": 0}),
    S("store.namespaces.alice.own_prefix", "alice", "POST", "/store/namespaces",
      {"prefix": ["alice"], "limit": 100, "offset": 0}, visible="namespaces"),
    S("store.namespaces.alice.no_prefix", "alice", "POST", "/store/namespaces",
      {"limit": 100, "offset": 0}, visible="namespaces"),
    S("store.namespaces.alice.bobs_prefix", "alice", "POST", "/store/namespaces",
      {"prefix": ["bob"], "limit": 100, "offset": 0}, visible="namespaces"),
    S("store.namespaces.studio.no_prefix", "studio", "POST", "/store/namespaces",
      {"limit": 100, "offset": 0}, visible="namespaces"),
    S("store.namespaces.anon.no_prefix", "anon", "POST", "/store/namespaces", {"limit": 100, "offset": 0}),
    S("store.delete.bob.alices", "bob", "DELETE", "/store/items", {"namespace": ["alice", "docs"], "key": "k1"}),
    S("store.delete.anon.alices", "anon", "DELETE", "/store/items", {"namespace": ["alice", "docs"], "key": "k1"}),
    S("store.delete.alice.own", "alice", "DELETE", "/store/items", {"namespace": ["alice", "docs"], "key": "k1"}),
    S("store.get.alice.after_delete", "alice", "GET", "/store/items", query={"namespace": "alice.docs", "key": "k1"},
      fields={"body": ""}),
    S("store.search.studio.final", "studio", "POST", "/store/items/search",
      {"namespace_prefix": [], "limit": 10, "offset": 0}, visible="items"),
]


# ---- the probe scenario (probe/rules.json) ------------------------------------------
# rules: threads create/read "owner"; threads search: an unknown operator ($ne);
# threads delete: a malformed $or (one branch); threads:* and assistants:* allow, but
# assistants delete refuses with 418;
# store put allow; store get/delete {"secret": false}; store search {"public": true};
# the global "*" denies the rest (store list_namespaces).
SEARCH = {"limit": 10, "offset": 0}
NEVER_MADE = "00000000-0000-4000-8000-00000000dead"  # a thread id no server ever made
ITEM_FIELDS = {"key": "key", "text": "value.text"}


def _item(key: str) -> dict[str, str]:
    return {"namespace": "carol.docs", "key": key}


PROBE_SCENARIO: list[dict[str, Any]] = [
    # ---- authentication ------------------------------------------------------------
    S("authn.no_token.anon", "anon", "POST", "/threads/search", SEARCH),
    S("authn.wrong_scheme.basic", "basic", "POST", "/threads/search", SEARCH),
    # ---- threads create/read: "owner" ----------------------------------------------
    S("threads.create.carol", "carol", "POST", "/threads", {"metadata": {"owner": "mallory", "topic": "c"}},
      save={"t_carol": "thread_id"}, fields=THREAD_FIELDS),
    S("threads.create.carol.second", "carol", "POST", "/threads", {"metadata": {"topic": "c2"}},
      save={"t_carol2": "thread_id"}, fields=THREAD_FIELDS),
    S("threads.create.dave", "dave", "POST", "/threads", {"metadata": {"topic": "d"}},
      save={"t_dave": "thread_id"}, fields=THREAD_FIELDS),
    S("threads.get.carol.own", "carol", "GET", "/threads/{t_carol}", fields=THREAD_FIELDS),
    S("threads.get.dave.carols", "dave", "GET", "/threads/{t_carol}"),
    S("threads.state.dave.carols", "dave", "GET", "/threads/{t_carol}/state", query={"subgraphs": "false"}),
    # ---- threads search: {"owner": {"$ne": "nobody"}} --------------------------------
    S("threads.search.carol", "carol", "POST", "/threads/search", SEARCH, visible="threads"),
    S("threads.search.dave.filter_topic", "dave", "POST", "/threads/search",
      {**SEARCH, "metadata": {"topic": "c"}}, visible="threads"),
    S("threads.count.dave", "dave", "POST", "/threads/count", {}, visible="count"),
    # ---- threads:* allow (update, create_run) ------------------------------------------
    S("threads.patch.dave.carols", "dave", "PATCH", "/threads/{t_carol}", {"metadata": {"topic": "patched"}},
      fields=THREAD_FIELDS),
    S("threads.get.carol.after_patch", "carol", "GET", "/threads/{t_carol}", fields=THREAD_FIELDS),
    # (no run by dave on carol's thread, and no stateless run: threads:* lets LangGraph create the run,
    # then the join's threads.read "owner" filter fails after the 200 has started: a broken response
    # after ~5 s. A stateless run's temporary thread has no owner, so the same happens.)
    S("runs.wait.carol.own", "carol", "POST", "/threads/{t_carol}/runs/wait", RUN,
      fields={"who": "who", "has_token": "has_token"}),
    S("threads.get.carol.after_run", "carol", "GET", "/threads/{t_carol}",
      fields={**THREAD_FIELDS, "who": "values.who"}),
    # ---- threads delete: {"$or": [one filter]} ------------------------------------------
    S("threads.delete.carol.own", "carol", "DELETE", "/threads/{t_carol2}"),
    S("threads.get.carol.after_failed_delete", "carol", "GET", "/threads/{t_carol2}", fields=THREAD_FIELDS),
    S("threads.delete.carol.missing", "carol", "DELETE", f"/threads/{NEVER_MADE}"),
    # ---- assistants:* allow --------------------------------------------------------------
    S("assistants.create.carol", "carol", "POST", "/assistants",
      {"graph_id": "agent", "metadata": {"owner": "mallory"}, "name": "carol-assistant"},
      save={"a_carol": "assistant_id"}, fields=ASSISTANT_FIELDS),
    S("assistants.get.dave.carols", "dave", "GET", "/assistants/{a_carol}", fields=ASSISTANT_FIELDS),
    S("assistants.search.dave", "dave", "POST", "/assistants/search", SEARCH, visible="assistants"),
    # an http-error from an authorization handler keeps its status on both servers
    S("assistants.delete.carol.own", "carol", "DELETE", "/assistants/{a_carol}"),
    S("assistants.get.carol.after_refused_delete", "carol", "GET", "/assistants/{a_carol}", fields=ASSISTANT_FIELDS),
    # ---- store put allow; get/delete {"secret": false}; search {"public": true} --------------
    S("store.put.carol.secret", "carol", "PUT", "/store/items",
      {"namespace": ["carol", "docs"], "key": "k1", "value": {"secret": True, "public": True, "n": 1, "text": "s"}}),
    S("store.put.carol.plain", "carol", "PUT", "/store/items",
      {"namespace": ["carol", "docs"], "key": "k2", "value": {"secret": False, "public": True, "n": 2, "text": "p"}}),
    S("store.put.carol.private", "carol", "PUT", "/store/items",
      {"namespace": ["carol", "docs"], "key": "k3", "value": {"secret": False, "public": False, "n": 1, "text": "q"}}),
    S("store.put.anon", "anon", "PUT", "/store/items",
      {"namespace": ["carol", "docs"], "key": "k4", "value": {"text": "x"}}),
    S("store.get.dave.secret", "dave", "GET", "/store/items", query=_item("k1"), fields=ITEM_FIELDS),
    S("store.get.carol.secret", "carol", "GET", "/store/items", query=_item("k1"), fields=ITEM_FIELDS),
    S("store.get.dave.plain", "dave", "GET", "/store/items", query=_item("k2"), fields=ITEM_FIELDS),
    S("store.get.dave.missing", "dave", "GET", "/store/items", query=_item("k9")),
    S("store.search.dave", "dave", "POST", "/store/items/search",
      {"namespace_prefix": ["carol"], "limit": 10, "offset": 0}, visible="items"),
    S("store.search.dave.client_filter", "dave", "POST", "/store/items/search",
      {"namespace_prefix": ["carol"], "filter": {"n": 1}, "limit": 10, "offset": 0}, visible="items"),
    S("store.search.dave.client_filter_no_match", "dave", "POST", "/store/items/search",
      {"namespace_prefix": ["carol"], "filter": {"n": 5}, "limit": 10, "offset": 0}, visible="items"),
    S("store.namespaces.carol", "carol", "POST", "/store/namespaces", {"limit": 100, "offset": 0},
      visible="namespaces"),
    S("store.delete.dave.secret", "dave", "DELETE", "/store/items", {"namespace": ["carol", "docs"], "key": "k1"}),
    S("store.delete.dave.private", "dave", "DELETE", "/store/items", {"namespace": ["carol", "docs"], "key": "k3"}),
    S("store.delete.dave.missing", "dave", "DELETE", "/store/items", {"namespace": ["carol", "docs"], "key": "k9"}),
    S("store.get.carol.private_deleted", "carol", "GET", "/store/items", query=_item("k3")),
    S("store.search.carol.after_deletes", "carol", "POST", "/store/items/search",
      {"namespace_prefix": ["carol"], "limit": 10, "offset": 0}, visible="items"),
]

SCENARIOS: dict[str, list[dict[str, Any]]] = {"owner": SCENARIO, "probe": PROBE_SCENARIO}


# ------------------------------------------------------------------------------------
class Unbound(KeyError):
    pass


def _fill(template: Any, bound: dict[str, str], missing: set[str]) -> Any:
    if isinstance(template, str):
        out = template
        for name in _names_in(template):
            if name in bound:
                value = bound[name]
            else:
                missing.add(name)
                value = str(uuid.uuid5(_UNBOUND_NS, name))
            out = out.replace("{" + name + "}", value)
        return out
    if isinstance(template, dict):
        return {k: _fill(v, bound, missing) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, bound, missing) for v in template]
    return template


def _names_in(s: str) -> list[str]:
    names, i = [], 0
    while (start := s.find("{", i)) != -1:
        end = s.find("}", start)
        if end == -1:
            break
        names.append(s[start + 1 : end])
        i = end + 1
    return names


def _get(doc: Any, path: str) -> Any:
    """Dotted path into JSON; "" is the whole document; list indices are numbers."""
    if path == "":
        return doc
    cur = doc
    for part in path.split("."):
        if isinstance(cur, dict):
            if part not in cur:
                return None
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return None
    return cur


def _translate(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [_translate(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _translate(v, names) for k, v in value.items()}
    return value


def _visible(kind: str, doc: Any, names: dict[str, str]) -> Any:
    """The visible set (sorted), or a number, or None if the body has the wrong shape."""

    def ids(rows, key):
        if not isinstance(rows, list):
            return None
        return sorted(names.get(str(r.get(key)), "<unsaved>") if isinstance(r, dict) else "<bad>" for r in rows)

    if kind == "threads":
        return ids(doc, "thread_id")
    if kind == "assistants":
        return ids(doc, "assistant_id")
    if kind == "items":
        rows = doc.get("items") if isinstance(doc, dict) else None
        if not isinstance(rows, list):
            return None
        return sorted("/".join(r.get("namespace", [])) + ":" + str(r.get("key")) for r in rows)
    if kind == "namespaces":
        rows = doc.get("namespaces") if isinstance(doc, dict) else None
        if not isinstance(rows, list):
            return None
        return sorted("/".join(ns) for ns in rows)
    if kind == "count":
        return doc if isinstance(doc, int) else None
    if kind == "len":
        return len(doc) if isinstance(doc, list) else None
    if kind == "graph_nodes":
        nodes = doc.get("nodes") if isinstance(doc, dict) else None
        if not isinstance(nodes, list):
            return None
        return sorted(str(n.get("id")) for n in nodes)
    if kind == "schema_keys":
        if not isinstance(doc, dict):
            return None
        # property names of each schema; None where the server gives no schema
        out = {}
        for part in ("input", "output", "state", "config", "context"):
            schema = doc.get(f"{part}_schema")
            out[part] = sorted((schema.get("properties") or {}).keys()) if isinstance(schema, dict) else None
        return out
    raise ValueError(f"unknown visible kind {kind!r}")


def run_scenario(url: str, *, scenario: str = "owner", timeout: float = 60.0, log=None) -> list[dict[str, Any]]:
    bound: dict[str, str] = dict(PRESET)
    results = []
    with httpx.Client(base_url=url, timeout=timeout, headers={"User-Agent": SDK_USER_AGENT}) as client:
        for step in SCENARIOS[scenario]:
            missing: set[str] = set()
            path = _fill(step["path"], bound, missing)
            body = _fill(step["body"], bound, missing)
            query = _fill(step["query"], bound, missing)
            headers = dict(ACTORS[step["actor"]])
            content = None
            if body is not None:
                # as the SDK does: compact JSON with an explicit content type
                content = json.dumps(body, separators=(",", ":")).encode()
                headers["Content-Type"] = "application/json"
            try:
                r = client.request(step["method"], path, params=query, content=content, headers=headers)
                status = r.status_code
                try:
                    doc = r.json() if r.content.strip() else None
                except ValueError:
                    doc = None
            except httpx.HTTPError as err:
                status, doc = f"error: {type(err).__name__}", None

            ok = isinstance(status, int) and 200 <= status < 300
            if ok:
                for name, src in step["save"].items():
                    value = _get(doc, src)
                    if value is not None:
                        bound[name] = str(value)
            names = {v: k for k, v in bound.items()}
            rec: dict[str, Any] = {"step": step["name"], "status": status, "visible": None}
            if step["visible"] and ok:
                rec["visible"] = _visible(step["visible"], doc, names)
            if step["fields"]:
                rec["fields"] = (
                    {label: _translate(_get(doc, src), names) for label, src in step["fields"].items()}
                    if ok else None
                )
            if missing:
                rec["unbound"] = sorted(missing)
            results.append(rec)
            if log:
                log(step, rec)
    return results


def format_table(results: list[dict[str, Any]], scenario: str = "owner") -> str:
    steps = {s["name"]: s for s in SCENARIOS[scenario]}
    lines = [f"{'step':44} {'actor':8} {'request':42} {'status':>6}  outcome"]
    for rec in results:
        s = steps.get(rec["step"], {"actor": "?", "method": "?", "path": "?"})
        req = f"{s['method']} {s['path']}"
        outcome = []
        if rec.get("visible") is not None:
            outcome.append(f"visible={json.dumps(rec['visible'])}")
        if rec.get("fields"):
            outcome.append(" ".join(f"{k}={json.dumps(v)}" for k, v in rec["fields"].items()))
        if rec.get("unbound"):
            outcome.append(f"(unbound: {', '.join(rec['unbound'])})")
        lines.append(f"{rec['step']:44} {s['actor']:8} {req[:42]:42} {rec['status']!s:>6}  {' '.join(outcome)}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True, help="base URL of the server, e.g. http://127.0.0.1:8123")
    ap.add_argument("--scenario", choices=sorted(SCENARIOS), default="owner", help="which table to run")
    ap.add_argument("--out", help="write the results (JSON list of {step, status, visible[, fields]}) here")
    ap.add_argument("--timeout", type=float, default=60.0, help="per-request timeout in seconds")
    ap.add_argument("--quiet", action="store_true", help="don't print the table")
    args = ap.parse_args()
    results = run_scenario(args.url.rstrip("/"), scenario=args.scenario, timeout=args.timeout)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)
            f.write("\n")
    if not args.quiet:
        print(format_table(results, args.scenario))
    return 0


if __name__ == "__main__":
    sys.exit(main())
