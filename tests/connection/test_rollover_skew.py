"""Rollover with a client clock that disagrees with the server's: no storm, no miss."""

from __future__ import annotations

import anyio
import pytest
from tests.connection._events import until

import realtime_kit
from realtime_kit import ConnectionRestored, RolloverPolicy
from realtime_kit.events import ConversationItemCreateEvent, ResponseCreateEvent, ResponseDoneEvent
from realtime_kit.testing import FakeClock, FakeRealtimeServer, ScriptedBrain

pytestmark = pytest.mark.anyio

TEN_YEARS = 10 * 365 * 86400.0


@pytest.mark.parametrize("skew", [TEN_YEARS, -TEN_YEARS])
async def test_a_skewed_clock_rolls_over_once_at_the_cap(skew: float) -> None:
    clock = FakeClock()
    server = FakeRealtimeServer(clock=clock, brain=ScriptedBrain(["One.", "Two."]))
    async with (
        server,
        realtime_kit.connect(
            "gpt-realtime-2",
            api_key="sk-test",
            base_url=server.base_url,
            session={"type": "realtime", "audio": {"input": {"turn_detection": None}}},
            rollover=RolloverPolicy(lead_time=300, hard_deadline=20, poll_interval=0.02),
            clock=lambda: clock.wall() + skew,
        ) as conn,
    ):
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "hi"}],
        }
        await conn.send(ConversationItemCreateEvent.model_validate({"item": item}))
        await conn.send(ResponseCreateEvent())
        await until(conn, ResponseDoneEvent)
        await anyio.sleep(0.2)  # many rollover polls: a skewed deadline would switch here
        assert conn.restores == []
        clock.advance(3600 - 250)
        events = await until(conn, ConnectionRestored)
        assert events[-1].cause == "rollover"
        await anyio.sleep(0.2)
        assert len(conn.restores) == 1
