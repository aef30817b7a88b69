"""A tool round trip over real loopback sockets against the fake server, on asyncio and trio.

The session takes ``ToolSet.definitions`` as its ``tools``; the model calls four tools in one
response; ``run_all`` answers them concurrently (sync, async, raising, bad arguments); every
output goes back as a ``function_call_output`` item in call order, and one ``response.create``
gets the spoken answer. This is the path the Conversation drives.
"""

from __future__ import annotations

import json
import threading

import pytest

import realtime_kit
from realtime_kit.conversation import ToolCallRequest, ToolOutcome, ToolSet, tool
from realtime_kit.events import (
    ConversationItemCreateEvent,
    FunctionCallItem,
    ResponseCreateEvent,
    ResponseDoneEvent,
    ResponseFunctionCallArgumentsDoneEvent,
)
from realtime_kit.testing import FakeClock, FakeRealtimeServer, Reply, ScriptedBrain, ToolCall
from tests.connection._events import until

pytestmark = pytest.mark.anyio
KEY = "sk-test-key"


@tool
async def get_weather(city: str) -> dict[str, object]:
    """Current weather for a city.

    Args:
        city: the city name.
    """
    return {"city": city, "sky": "sunny", "high_c": 21}


@tool
def local_time(zone: str) -> str:
    """The local time in a time zone (runs in a worker thread)."""
    assert threading.current_thread() is not threading.main_thread()
    return f"12:00 {zone}"


@tool
def explode() -> str:
    """A tool that fails."""
    raise RuntimeError("the backend is down")


async def test_one_response_with_four_calls_gets_four_outputs_and_one_answer() -> None:
    tools = ToolSet([get_weather, local_time, explode])
    calls = [
        ToolCall("get_weather", {"city": "Paris"}),
        ToolCall("local_time", {"zone": "CET"}),
        ToolCall("explode", {}),
        ToolCall("get_weather", {"town": "Paris"}),  # the model got the argument wrong
    ]
    brain = ScriptedBrain([Reply(tool_calls=calls)])
    session = {"type": "realtime", "output_modalities": ["text"], "tools": tools.definitions}
    async with (
        FakeRealtimeServer(clock=FakeClock(), brain=brain, seed=5) as server,
        realtime_kit.connect(
            "gpt-realtime", api_key=KEY, base_url=server.base_url, session=session
        ) as conn,
    ):
        assert conn.session is not None
        assert conn.session["tools"] == tools.definitions  # the server took the schemas as sent
        await conn.send(
            ConversationItemCreateEvent(
                item={
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "Weather and time in Paris?"}],
                }
            )
        )
        await conn.send(ResponseCreateEvent())
        first = await until(conn, ResponseDoneEvent)
        done = first[-1].response
        requests = [
            ToolCallRequest.from_item(item, response_id=done.id)
            for item in done.output
            if isinstance(item, FunctionCallItem)
        ]
        streamed = [
            ToolCallRequest.from_event(e)
            for e in first
            if isinstance(e, ResponseFunctionCallArgumentsDoneEvent)
        ]
        assert streamed == requests
        assert [r.name for r in requests] == [c.name for c in calls]

        results = await tools.run_all(requests)
        for result in results:
            await conn.send(ConversationItemCreateEvent(item=result.output_item()))
        await conn.send(ResponseCreateEvent())
        second = await until(conn, ResponseDoneEvent)
        answer = second[-1].response
        sent_back = [
            (r.item["call_id"], r.item["output"])
            for r in conn.protocol.items
            if r.type == "function_call_output"
        ]

    assert [r.outcome for r in results] == [
        ToolOutcome.OK,
        ToolOutcome.OK,
        ToolOutcome.ERROR,
        ToolOutcome.INVALID_ARGUMENTS,
    ]
    assert json.loads(results[0].output) == {"city": "Paris", "sky": "sunny", "high_c": 21}
    assert results[1].output == "12:00 CET"
    assert json.loads(results[2].output) == {
        "error": "'explode' failed: RuntimeError: the backend is down"
    }
    assert "town: unknown argument" in json.loads(results[3].output)["error"]
    assert [r.call_id for r in results] == [r.call_id for r in requests]
    assert sent_back == [(r.call_id, r.output) for r in results]  # all four, in call order
    assert answer.status == "completed"
    assert answer.output[0].content[0].text == f"Done: {results[-1].output}"
