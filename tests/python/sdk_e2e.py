"""Drives a running wasmgate with the official langgraph-sdk client, as
LangGraph's custom-auth guide does. Exits non-zero (with the assertion) on any
mismatch. Usage: python sdk_e2e.py URL GITHUB_TOKEN_MASK_ALICE GITHUB_TOKEN_MASK_BOB
"""

import asyncio
import sys

import httpx
from langgraph_sdk import get_client, get_sync_client


async def main(url: str, alice_mask: str, bob_mask: str) -> None:
    alice = get_client(url=url, api_key="alice-key")
    bob = get_client(url=url, api_key="bob-key")
    nobody = get_client(url=url, api_key="wrong")

    thread = await alice.threads.create(metadata={"purpose": "sdk-e2e"})
    assert thread["status"] == "idle", thread
    result = await alice.runs.wait(
        thread["thread_id"],
        "agent",
        input={"messages": [{"role": "user", "content": "hello from the sdk"}]},
    )
    assert result["acting_as"] == "alice", result
    assert result["github_token"] == alice_mask, result
    assert result["turns"] == 1, result

    fetched = await alice.threads.get(thread["thread_id"])
    assert fetched["values"] == result, fetched

    # Stateless run, and spoofed reserved keys are ignored.
    result = await bob.runs.wait(
        None,
        "agent",
        input={},
        config={"configurable": {"langgraph_auth_user_id": "alice", "langgraph_auth_user": {"identity": "alice"}}},
    )
    assert result["acting_as"] == "bob", result
    assert result["github_token"] == bob_mask, result

    try:
        await nobody.threads.create()
    except httpx.HTTPStatusError as err:
        assert err.response.status_code == 401, err
        assert err.response.json() == {"detail": "Invalid API key"}, err.response.text
    else:
        raise AssertionError("a bad key was accepted")

    # Streaming: metadata first, then the requested modes.
    events = []
    async for part in alice.runs.stream(
        thread["thread_id"], "agent", input={"messages": []}, stream_mode=["values", "custom"]
    ):
        events.append((part.event, part.data))
    assert [e for e, _ in events] == ["metadata", "custom", "values"], events
    assert events[1][1] == {"acting_as": "alice"}, events
    assert events[2][1]["turns"] == 2, events

    # The sync client works the same way.
    sync = get_sync_client(url=url, api_key="alice-key")
    t2 = sync.threads.create()
    out = sync.runs.wait(t2["thread_id"], "agent", input={"messages": []})
    assert out["acting_as"] == "alice", out
    print("sdk e2e: all checks passed")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
