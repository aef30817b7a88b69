"""A translation connection that drops mid-sentence continues on the original timeline.

Over real loopback sockets against the fake server (asyncio and trio): the connection feeds its
:class:`~realtime_kit.protocol.TranslationTimeline`, re-sends the audio the old session had not
demonstrably heard once the new one has taken the config, and reports the timeline offset, so
captions of the continued session land where an uninterrupted run puts them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import realtime_kit
from realtime_kit.client import ConnectionRestored, ReconnectPolicy
from realtime_kit.events import (
    SessionInputAudioBufferAppendEvent,
    SessionOutputTranscriptDeltaEvent,
)
from realtime_kit.testing import FakeClock, FakeRealtimeServer
from realtime_kit.testing._audio import silence

pytestmark = pytest.mark.anyio
KEY = "sk-test-key"
CONFIG = {"audio": {"output": {"language": "de"}}}
FIRST, SECOND = "Where is the station?", "I would like a coffee please."
FRAME = 9_600  # 200 ms of PCM16 at 24 kHz


@pytest.fixture
async def server() -> AsyncIterator[FakeRealtimeServer]:
    async with FakeRealtimeServer(clock=FakeClock(), seed=5) as srv:
        yield srv


async def send(conn: realtime_kit.RealtimeConnection, pcm: bytes) -> None:
    """Both ways of appending, alternately: the timeline must see them all, in order."""
    for number, start in enumerate(range(0, len(pcm), FRAME)):
        chunk = pcm[start : start + FRAME]
        if number % 2:
            await conn.send_audio(chunk)
        else:
            await conn.send(SessionInputAudioBufferAppendEvent.from_audio(chunk))


async def captions(
    conn: realtime_kit.RealtimeConnection, text: str, notices: list[ConnectionRestored]
) -> list[tuple[int, str]]:
    """(original-timeline ms, delta) of translated text until it spells ``text``."""
    got: list[tuple[int, str]] = []
    offset = 0
    async for event in conn:
        if isinstance(event, ConnectionRestored):
            notices.append(event)
            offset = event.timeline_offset_ms or 0
        elif isinstance(event, SessionOutputTranscriptDeltaEvent):
            got.append((offset + int(event.elapsed_ms or 0), event.delta))
            # A later sentence starts with a space (append-only text, spaces included).
            if "".join(delta for _, delta in got).strip() == text:
                return got
    raise AssertionError(f"ended before {text!r}: {got}")


async def test_drop_mid_sentence_resends_unheard_audio_and_keeps_caption_places(
    server: FakeRealtimeServer,
) -> None:
    first = silence(400) + server.speak(FIRST) + silence(800)
    head = silence(600) + server.speak(SECOND)
    cut = len(head) // 2 // FRAME * FRAME  # the drop comes mid-sentence
    rest = silence(800)
    options: dict[str, Any] = {"api_key": KEY, "base_url": server.base_url, "session": CONFIG}

    notices: list[ConnectionRestored] = []
    async with realtime_kit.connect(translation=True, reconnect=False, **options) as conn:
        await send(conn, first)
        reference = await captions(conn, f"[de] {FIRST}", notices)
        await send(conn, head + rest)
        reference += await captions(conn, f"[de] {SECOND}", notices)

    async with realtime_kit.connect(
        translation=True, reconnect=ReconnectPolicy(initial_delay=0.01), **options
    ) as conn:
        assert conn.timeline is not None
        await send(conn, first)
        got = await captions(conn, f"[de] {FIRST}", notices)
        await send(conn, head[:cut])
        handles = await server.wait_for_connections(2)  # the reference run's, then this one's
        handles[-1].drop_soon()  # the second sentence was never translated by the old session
        await send(conn, head[cut:] + rest)  # held while reconnecting, then sent in order
        got += await captions(conn, f"[de] {SECOND}", notices)
        (report,) = notices
        assert report.cause == "reconnect"
        assert report.restored_config
        assert report.timeline_offset_ms is not None
        assert 0 < report.timeline_offset_ms <= len(first) // 48  # before the second sentence
        assert report.replayed_audio_ms >= cut / 48  # at least the part of it sent before
        assert not [lost for lost in report.lost if "retention" in lost.reason]
        assert conn.timeline.offset_ms == report.timeline_offset_ms
    # Same words, same places on the original timeline (a new session's first word has no
    # leading space).
    assert [(t, d.strip()) for t, d in got] == [(t, d.strip()) for t, d in reference]


async def test_rollover_waits_for_a_pause_and_keeps_the_timeline() -> None:
    clock = FakeClock()
    third = "The train leaves at noon."
    async with FakeRealtimeServer(clock=clock, seed=5) as server:
        first = silence(400) + server.speak(FIRST) + silence(800)
        second = silence(600) + server.speak(SECOND) + silence(800)
        notices: list[ConnectionRestored] = []
        async with realtime_kit.connect(
            translation=True,
            api_key=KEY,
            base_url=server.base_url,
            session=CONFIG,
            rollover=realtime_kit.RolloverPolicy(
                lead_time=300, hard_deadline=20, poll_interval=0.05
            ),
            clock=clock.wall,
        ) as conn:
            old_session = conn.session_id
            await send(conn, first)
            got = await captions(conn, f"[de] {FIRST}", notices)
            clock.advance(3600 - 250)  # the rollover is due from now on
            await send(conn, second)
            # Translation is flowing, so the switch waits: the whole sentence comes from the
            # old session, once, and only then does the new session take over.
            got += await captions(conn, f"[de] {SECOND}", notices)
            async for event in conn:
                if isinstance(event, ConnectionRestored):
                    notices.append(event)
                    break
            (report,) = notices
            assert report.cause == "rollover"
            assert report.new_session_id == conn.session_id != old_session
            assert report.timeline_offset_ms is not None
            await send(conn, silence(400) + server.speak(third) + silence(800))
            offset = report.timeline_offset_ms
            later = [(ms + offset, d) for ms, d in await captions(conn, f"[de] {third}", notices)]
            # One original timeline: each sentence after the one before, none repeated.
            assert min(ms for ms, _ in later) > max(ms for ms, _ in got)
            assert min(ms for ms, _ in later) >= (len(first) + len(second)) // 48
