"""``connect(meter=...)``: a cost meter that sees every event written and received."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import anyio
import pytest
from tests.connection._events import until

import realtime_kit
from realtime_kit.client import ConnectionRestored, ReconnectPolicy
from realtime_kit.cost import CostMeter
from realtime_kit.errors import ConfigurationError, UnpricedModelError
from realtime_kit.events import (
    ConversationItemCreateEvent,
    ResponseCreateEvent,
    ResponseDoneEvent,
)
from realtime_kit.testing import FakeClock, FakeRealtimeServer, ToneSynthesizer

pytestmark = pytest.mark.anyio
KEY = "sk-test-key"
TEXT_ONLY = {"type": "realtime", "output_modalities": ["text"]}


@pytest.fixture
async def server() -> AsyncIterator[FakeRealtimeServer]:
    async with FakeRealtimeServer(clock=FakeClock(), seed=5, synthesizer=ToneSynthesizer()) as srv:
        yield srv


def _ask(text: str) -> ConversationItemCreateEvent:
    return ConversationItemCreateEvent(
        item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    )


async def test_the_attached_meter_bills_what_a_hand_fed_meter_bills(
    server: FakeRealtimeServer,
) -> None:
    attached = CostMeter("gpt-realtime-2")
    by_hand = CostMeter("gpt-realtime-2")
    async with realtime_kit.connect(
        "gpt-realtime-2", api_key=KEY, base_url=server.base_url, session=TEXT_ONLY, meter=attached
    ) as conn:
        assert conn.meter is attached
        for event in (_ask("What is the time?"), ResponseCreateEvent()):
            by_hand.observe(event)
            await conn.send(event)
        for event in await until(conn, ResponseDoneEvent):
            by_hand.observe(event)
        done = event
    assert done.response.id in attached.responses
    assert attached.actual_usd > 0
    assert attached.actual_usd == by_hand.actual_usd
    assert attached.tokens == by_hand.tokens


async def test_audio_sent_the_fast_way_is_counted(server: FakeRealtimeServer) -> None:
    meter = CostMeter("gpt-realtime-2")
    async with realtime_kit.connect(
        "gpt-realtime-2", api_key=KEY, base_url=server.base_url, meter=meter
    ) as conn:
        for _ in range(100):  # 2 s of 24 kHz PCM16 in 20 ms appends
            await conn.send_audio(bytes(960))
    assert meter.conversation_seconds == Decimal(2)


async def test_the_meter_carries_across_a_reconnect(server: FakeRealtimeServer) -> None:
    meter = CostMeter("gpt-realtime-2")
    async with realtime_kit.connect(
        "gpt-realtime-2",
        api_key=KEY,
        base_url=server.base_url,
        session=TEXT_ONLY,
        reconnect=ReconnectPolicy(initial_delay=0.01),
        meter=meter,
    ) as conn:
        await conn.send(_ask("first"))
        await conn.send(ResponseCreateEvent())
        await until(conn, ResponseDoneEvent)
        first = meter.actual_usd
        assert first > 0
        server.faults.drop_on("response.created", nth=2)
        await conn.send(_ask("second"))
        await conn.send(ResponseCreateEvent())
        await until(conn, ConnectionRestored)
        await conn.send(ResponseCreateEvent())
        await until(conn, ResponseDoneEvent)
    assert len(meter.sessions) == 2
    assert meter.actual_usd > first  # the first session's bill is kept, the second's added


async def test_a_strict_meter_ends_the_connection_on_an_unpriced_model(
    server: FakeRealtimeServer,
) -> None:
    async def read_all() -> None:
        async with realtime_kit.connect(
            "gpt-audio-mini", api_key=KEY, base_url=server.base_url, meter=CostMeter()
        ) as conn:
            with anyio.fail_after(10):
                async for _ in conn:
                    pass

    with pytest.raises(UnpricedModelError, match="gpt-audio-mini"):
        await read_all()


async def test_meter_true_makes_a_lenient_meter(server: FakeRealtimeServer) -> None:
    async with realtime_kit.connect(
        "gpt-audio-mini", api_key=KEY, base_url=server.base_url, session=TEXT_ONLY, meter=True
    ) as conn:
        assert conn.meter is not None
        await conn.send(_ask("Hello?"))
        await conn.send(ResponseCreateEvent())
        await until(conn, ResponseDoneEvent)  # the usage of a model it has no price for
        assert conn.meter.model == "gpt-audio-mini"
        assert not conn.meter.complete  # visibly unpriced, never $0
        assert conn.meter.unpriced


def test_a_meter_that_is_not_a_meter_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="meter"):
        realtime_kit.connect("gpt-realtime-2", api_key=KEY, meter="yes")  # type: ignore[arg-type]
