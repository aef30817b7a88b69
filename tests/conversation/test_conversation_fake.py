"""Conversation end to end over loopback against the fake server (asyncio and trio)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from realtime_kit.conversation import (
    AssistantTranscript,
    Conversation,
    ConversationEvent,
    ResponseDone,
    UserTranscript,
)
from realtime_kit.testing import FakeClock, FakeRealtimeServer, ScriptedBrain
from realtime_kit.testing.listener import SimulatedListener

pytestmark = pytest.mark.anyio

SILENCE_1S = bytes(48_000)


async def _until(conv: Conversation, cls: type[Any], seen: list[ConversationEvent]) -> Any:
    with anyio.fail_after(30):
        async for event in conv.events():
            seen.append(event)
            if isinstance(event, cls):
                return event
    raise AssertionError(f"conversation ended before {cls.__name__}")


async def test_a_spoken_turn_end_to_end() -> None:
    clock = FakeClock()
    brain = ScriptedBrain(["Hello! How can I help you today?"])
    async with FakeRealtimeServer(clock=clock, brain=brain) as server:
        listener = SimulatedListener(clock.now)
        async with Conversation(
            api_key="sk-test", base_url=server.base_url, playback=listener, clock=clock.wall
        ) as conv:
            await conv.send_audio(server.speak("What is the weather in Paris?") + SILENCE_1S)
            seen: list[ConversationEvent] = []
            done = await _until(conv, ResponseDone, seen)
            assert done.status == "completed"
            words = [e for e in seen if isinstance(e, (UserTranscript, AssistantTranscript))]
            assert [type(e).__name__ for e in words] == ["UserTranscript", "AssistantTranscript"]
            assert words[0].text == "What is the weather in Paris?"
            assert words[1].text == "Hello! How can I help you today?"
            assert done.cost_usd is not None and done.cost_usd > 0
            assert conv.log.transcript() == (
                "User: What is the weather in Paris?\nAssistant: Hello! How can I help you today?"
            )
