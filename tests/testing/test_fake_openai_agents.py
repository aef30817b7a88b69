"""openai-agents' realtime runner against the fake server (INTEROP.md).

openai-agents truncates an assistant item *before* it cancels, while the item's audio is still
streaming; the fake server used to refuse that ("Only assistant messages with audio content can
be truncated."). Its tool round trip (a preamble, a call, the result, the answer) must run clean.

openai-agents is not in the dev extra: 0.24.0 pins ``websockets<17`` (this project uses 17.x).
It runs fine beside 17.x when installed without its pins
(``pip install --no-deps openai-agents==0.24.0 griffelib mcp mcp-types ...``); the test is skipped
where it is absent.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from realtime_kit.testing import (
    FakeClock,
    FakeRealtimeServer,
    ScriptedBrain,
    ToneSynthesizer,
    ToolCall,
)

agents = pytest.importorskip("agents", reason="openai-agents is not installed")
realtime = pytest.importorskip("agents.realtime")

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # openai-agents runs on asyncio only


@agents.function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


async def collect(session: Any, until: Any) -> list[Any]:
    """Session events up to and including the first for which ``until`` is true."""
    seen: list[Any] = []
    with anyio.fail_after(30):  # a hang guard; the fake clock makes the run itself instant
        async for event in session:
            seen.append(event)
            if until(event):
                return seen
    raise AssertionError(f"the session ended early: {[e.type for e in seen]}")


def _raw(event: Any, etype: str) -> bool:
    return (
        event.type == "raw_model_event"
        and getattr(event.data, "type", None) == "raw_server_event"
        and event.data.data.get("type") == etype
    )


async def _start(server: FakeRealtimeServer, tools: list[Any]) -> Any:
    agent = realtime.RealtimeAgent(name="helper", instructions="Be brief.", tools=tools)
    runner = realtime.RealtimeRunner(
        agent, config={"model_settings": {"model_name": "gpt-realtime-2"}}
    )
    return await runner.run(
        model_config={
            "url": f"{server.ws_base_url}/realtime?model=gpt-realtime-2",
            "api_key": "sk-agents",
        }
    )


async def test_truncate_before_cancel_while_audio_streams() -> None:
    clock = FakeClock(auto_advance=False)  # the answer's audio streams only as the clock moves
    async with FakeRealtimeServer(clock=clock, synthesizer=ToneSynthesizer()) as server:
        session = await _start(server, [])
        async with session:
            await session.send_message("Tell me something long.")
            await collect(session, lambda e: e.type == "audio")
            await session.interrupt()  # truncate at what was played, while audio streams
            seen = await collect(
                session,
                lambda e: e.type == "error" or _raw(e, "conversation.item.truncated"),
            )
            assert seen[-1].type != "error", seen[-1]
            clock.advance(60)  # let the rest of the response go
            await collect(session, lambda e: _raw(e, "response.done"))
        assistant = [i for i in server.connections[0].items if i.get("role") == "assistant"]
        full = "You said: Tell me something long."
        assert assistant
        assert len(assistant[0]["content"][0]["transcript"]) < len(full)
        assert not server.internal_errors


async def test_tool_round_trip_with_a_preamble() -> None:
    brain = ScriptedBrain(tool_triggers={"weather": ToolCall("get_weather", {"city": "Oslo"})})
    async with FakeRealtimeServer(
        clock=FakeClock(), brain=brain, synthesizer=ToneSynthesizer()
    ) as server:
        session = await _start(server, [get_weather])
        async with session:
            await session.send_message("What is the weather in Oslo?")
            done: list[Any] = []

            def second_done(event: Any) -> bool:
                if _raw(event, "response.done"):
                    done.append(event)
                return len(done) == 2

            seen = await collect(session, second_done)
            errors = [e for e in seen if e.type == "error"]
            (tool_end,) = [e for e in seen if e.type == "tool_end"]
            assert tool_end.output == "sunny in Oslo"
        assert errors == []
        texts = [
            i["content"][0]["transcript"]
            for i in server.connections[0].items
            if i.get("role") == "assistant"
        ]
        assert texts == ["Let me check that.", "Done: sunny in Oslo"]
