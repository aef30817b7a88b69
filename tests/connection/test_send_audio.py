"""``RealtimeConnection.send_audio``: the model-free append, against the fake server.

It must write exactly what ``send(InputAudioBufferAppendEvent.from_audio(...))`` writes, pick the
append of the session kind, count the audio for commits and reconnects, and survive an outage
through the queue like any other send.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.connection._events import until

import realtime_kit
from realtime_kit.client import ConnectionRestored, ReconnectPolicy
from realtime_kit.errors import AudioError
from realtime_kit.events import (
    InputAudioBufferAppendEvent,
    InputAudioBufferCommitEvent,
    InputAudioBufferCommittedEvent,
    SessionInputAudioBufferAppendEvent,
    encode_event,
)
from realtime_kit.protocol import RealtimeProtocol
from realtime_kit.testing import FakeClock, FakeRealtimeServer, ToneSynthesizer

pytestmark = pytest.mark.anyio
KEY = "sk-test-key"
MANUAL = {
    "type": "realtime",
    "output_modalities": ["text"],
    "audio": {"input": {"turn_detection": None}},
}


@pytest.fixture
async def server() -> AsyncIterator[FakeRealtimeServer]:
    async with FakeRealtimeServer(clock=FakeClock(), seed=9, synthesizer=ToneSynthesizer()) as srv:
        yield srv


@settings(deadline=None)  # three protocol cores per example; a loaded CI box is slow
@given(pcm=st.binary(max_size=2048))
def test_the_bytes_are_those_of_the_event(pcm: bytes) -> None:
    for kind, cls in (
        ("realtime", InputAudioBufferAppendEvent),
        ("transcription", InputAudioBufferAppendEvent),
        ("translation", SessionInputAudioBufferAppendEvent),
    ):
        core = RealtimeProtocol(kind)  # type: ignore[arg-type]
        core.phase = "open"
        event = cls.from_audio(pcm)
        assert core.send_audio(event.audio) == encode_event(event)
        assert core.input_buffer.bytes_total == len(pcm)


async def test_appended_audio_commits(server: FakeRealtimeServer) -> None:
    async with realtime_kit.connect(
        "gpt-realtime", api_key=KEY, base_url=server.base_url, session=MANUAL
    ) as conn:
        for _ in range(10):  # 200 ms as bytes, then as an int16 array
            await conn.send_audio(bytes(960))
        for _ in range(5):
            await conn.send_audio(np.zeros(480, dtype=np.int16))
        assert conn.protocol.buffered_input_ms == pytest.approx(300)
        await conn.send(InputAudioBufferCommitEvent())
        await until(conn, InputAudioBufferCommittedEvent)
        (handle,) = await server.wait_for_connections(1)
        assert handle.session is not None


async def test_wrong_arrays_are_refused(server: FakeRealtimeServer) -> None:
    async with realtime_kit.connect(
        "gpt-realtime", api_key=KEY, base_url=server.base_url, session=MANUAL
    ) as conn:
        with pytest.raises(AudioError, match="int16"):
            await conn.send_audio(np.zeros(480, dtype=np.float32))  # type: ignore[arg-type]


async def test_audio_sent_during_an_outage_reaches_the_new_session(
    server: FakeRealtimeServer,
) -> None:
    async with realtime_kit.connect(
        "gpt-realtime",
        api_key=KEY,
        base_url=server.base_url,
        session=MANUAL,
        reconnect=ReconnectPolicy(initial_delay=0.05),
    ) as conn:
        for _ in range(5):
            await conn.send_audio(bytes(960))  # 100 ms before the drop: replayed
        (handle,) = await server.wait_for_connections(1)
        handle.drop_soon()
        for _ in range(5):
            await conn.send_audio(bytes(960))  # 100 ms during the outage or after it
        report = (await until(conn, ConnectionRestored))[-1]
        assert report.replayed_audio_ms >= 100
        await conn.send(InputAudioBufferCommitEvent())
        await until(conn, InputAudioBufferCommittedEvent)
        # Nothing lost, nothing twice: the new session holds exactly the 10 appends.
        assert conn.protocol.input_buffer.bytes_total == 10 * 960
