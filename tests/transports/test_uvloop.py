"""The asyncio driver on uvloop: the transport conformance suite and a whole session.

uvloop's transports are not ``asyncio.Transport`` subclasses and schedule callbacks their own
way; the driver must not care. (uvloop does not exist on Windows: skipped there.)
"""

from __future__ import annotations

from typing import Any

import pytest

import realtime_kit
from realtime_kit.events import (
    ConversationItemCreateEvent,
    ResponseCreateEvent,
    ResponseDoneEvent,
)
from realtime_kit.testing import FakeClock, FakeRealtimeServer, ToneSynthesizer, check_transport
from realtime_kit.testing.transport_check import loopback_websocket_pair
from realtime_kit.transports._ws_asyncio import AsyncioWebSocket

pytest.importorskip("uvloop")
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return "asyncio", {"use_uvloop": True}


async def test_conformance_suite_on_uvloop() -> None:
    await check_transport(loopback_websocket_pair)


async def test_a_turn_on_uvloop() -> None:
    async with (
        FakeRealtimeServer(clock=FakeClock(), seed=3, synthesizer=ToneSynthesizer()) as server,
        realtime_kit.connect(
            "gpt-realtime",
            api_key="sk-test-key",
            base_url=server.base_url,
            session={"type": "realtime", "output_modalities": ["text"]},
        ) as conn,
    ):
        assert isinstance(conn.transport, AsyncioWebSocket)
        await conn.send(
            ConversationItemCreateEvent(
                item={
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "hello"}],
                }
            )
        )
        await conn.send(ResponseCreateEvent())
        async for event in conn:
            if isinstance(event, ResponseDoneEvent):
                assert event.response.status == "completed"
                break
