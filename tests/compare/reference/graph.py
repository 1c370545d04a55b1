"""The reference graph: one node that reports who the run is acting as.

It reads the authenticated user that the server injects into
``config["configurable"]["langgraph_auth_user"]`` and returns its identity,
plus whether a custom field of the user (``github_token``) reached the graph.
The token itself is never put into the state.
"""

from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict  # typing.TypedDict breaks the /schemas endpoint on Python < 3.12


class State(TypedDict, total=False):
    who: str
    has_token: bool


def _field(user: Any, name: str) -> Any:
    # The server hands the graph a mapping-like user (dict, or a proxy object
    # that supports [] and .get); the Studio user is an object with attributes.
    try:
        return user[name]
    except (KeyError, TypeError):
        return getattr(user, name, None)


def whoami(state: State, config: RunnableConfig) -> State:
    user = config["configurable"]["langgraph_auth_user"]
    return {
        "who": _field(user, "identity"),
        "has_token": bool(_field(user, "github_token")),
    }


builder = StateGraph(State)
builder.add_node("whoami", whoami)
builder.add_edge(START, "whoami")
builder.add_edge("whoami", END)
graph = builder.compile()
