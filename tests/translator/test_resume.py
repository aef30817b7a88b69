"""A Translator whose connection drops mid-sentence, or rolls over before the 60-minute cap, gives
the app the same sentences in the same places as an uninterrupted run (asyncio and trio)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

from realtime_kit.client import ReconnectPolicy, RolloverPolicy
from realtime_kit.testing import FakeClock, FakeRealtimeServer
from realtime_kit.testing._audio import silence
from realtime_kit.translator import (
    TargetPartial,
    TranslationRestored,
    TranslationSegment,
    Translator,
)
from tests.translator._util import FRAME, KEY, SENTENCES, collect, wait_for

pytestmark = pytest.mark.anyio

FIRST, SECOND, THIRD = SENTENCES


def _said(language: str, text: str) -> Callable[[object], bool]:
    """The whole translation of ``text`` has arrived (as the open sentence's text)."""
    return lambda e: isinstance(e, TargetPartial) and e.text == f"[{language}] {text}"


def _key(segment: TranslationSegment) -> tuple[Any, ...]:
    """What the app sees of a segment: words, places on both timelines, its source."""
    return (
        segment.text,
        round(segment.target_start, 3),
        round(segment.target_end, 3),
        round(segment.audio_start, 3),
        round(segment.audio_end, 3),
        segment.source,
        segment.interrupted,
    )


async def _run(
    server: FakeRealtimeServer,
    script: Callable[[Translator], Awaitable[None]],
    **options: Any,
) -> Translator:
    translator = Translator(
        ["de", "es"],
        source_transcript=True,
        api_key=KEY,
        base_url=server.base_url,
        clock=server.clock.wall,
        pad_stalls=False,
        **options,
    )
    async with translator:
        await script(translator)
    await collect(translator)
    return translator


async def test_a_drop_mid_sentence_keeps_the_captions_of_an_uninterrupted_run() -> None:
    async with FakeRealtimeServer(clock=FakeClock(), seed=5) as server:
        first = silence(400) + server.speak(FIRST) + silence(800)
        head = silence(600) + server.speak(SECOND)
        cut = len(head) // 2 // FRAME * FRAME  # the drop comes in the middle of the sentence
        rest = silence(800) + server.speak(THIRD) + silence(800)

        async def uninterrupted(tr: Translator) -> None:
            await tr.send_audio(first)
            await wait_for(tr, _said("de", FIRST))
            await tr.send_audio(head + rest)

        async def dropped(tr: Translator) -> None:
            await tr.send_audio(first)
            await wait_for(tr, _said("de", FIRST))
            await _hear_all_of(tr, server, FIRST)
            await tr.send_audio(head[:cut])
            (de,) = [
                h
                for h in server.connections[-2:]  # this run's two sessions
                if h.config["audio"]["output"]["language"] == "de"
            ]
            de.drop_soon()
            await tr.send_audio(head[cut:] + rest)  # held while reconnecting, then sent

        reference = await _run(server, uninterrupted)
        # However late the drop is noticed, everything sent since can be re-sent.
        tr = await _run(
            server, dropped, reconnect=ReconnectPolicy(initial_delay=0.01), retention_ms=10_000
        )
    for language in ("de", "es"):
        got = [_key(s) for s in tr.segments(language)]
        assert got == [_key(s) for s in reference.segments(language)]
        assert [s.text for s in tr.segments(language)] == [f"[{language}] {s}" for s in SENTENCES]
    (notice,) = tr.restores
    assert isinstance(notice, TranslationRestored)
    assert notice.language == "de"
    assert notice.cause == "reconnect"
    assert notice.close_code == 1006
    assert not notice.interrupted
    assert notice.lost == ()
    assert 0 < notice.offset <= len(first) / 48_000  # the new session re-heard all of SECOND
    assert notice.replayed_ms >= cut / 48
    # The re-sent audio was billed again: de paid for more input than es.
    de, es = tr.cost_by_language["de"], tr.cost_by_language["es"]
    assert de is not None
    assert es is not None
    assert de > es
    assert [s.text for s in tr.source] == list(SENTENCES)
    assert tr.result().restores == (notice,)


async def test_a_rollover_keeps_the_captions_of_an_uninterrupted_run() -> None:
    clock = FakeClock()
    async with FakeRealtimeServer(clock=clock, seed=5) as server:
        first = silence(400) + server.speak(FIRST) + silence(800)
        second = silence(600) + server.speak(SECOND) + silence(800)
        third = silence(400) + server.speak(THIRD) + silence(800)

        async def uninterrupted(tr: Translator) -> None:
            await tr.send_audio(first)
            await wait_for(tr, _said("es", FIRST))
            await tr.send_audio(second)
            await wait_for(tr, _said("es", SECOND))
            await tr.send_audio(third)

        async def rolled_over(tr: Translator) -> None:
            await tr.send_audio(first)
            await wait_for(tr, _said("es", FIRST))
            clock.advance(3600 - 250)  # the rollover is due from now on
            await tr.send_audio(second)
            # The switch waits for a pause in the translation, so SECOND comes whole from
            # the old sessions; both languages then move to new sessions.
            seen = await wait_for(tr, _said("es", SECOND))
            restored = [e for e in seen if isinstance(e, TranslationRestored)]
            while len(restored) < 2:
                restored += [
                    e
                    for e in await wait_for(tr, _is_restored)
                    if isinstance(e, TranslationRestored)
                ]
            await tr.send_audio(third)

        reference = await _run(server, uninterrupted)
        tr = await _run(
            server,
            rolled_over,
            rollover=RolloverPolicy(lead_time=300, hard_deadline=20, poll_interval=0.05),
        )
    assert sorted(r.language for r in tr.restores) == ["de", "es"]
    for notice in tr.restores:
        assert notice.cause == "rollover"
        assert not notice.interrupted
        assert notice.lost == ()
    for language in ("de", "es"):
        assert [_key(s) for s in tr.segments(language)] == [
            _key(s) for s in reference.segments(language)
        ]
    assert [s.text for s in tr.source] == list(SENTENCES)


def _is_restored(event: object) -> bool:
    return isinstance(event, TranslationRestored)


async def test_a_resume_point_inside_a_sentence_is_reported_not_hidden() -> None:
    # The input runs ahead: FIRST's translation is still being spoken while SECOND is said, so
    # the old session's last stamp lies inside SECOND. The new session can only resume there.
    clock = FakeClock(auto_advance=False)  # the output waits until all the input is in
    async with FakeRealtimeServer(clock=clock, pace=1.0, seed=5) as server:
        first = silence(400) + server.speak(FIRST) + silence(800)
        head = silence(600) + server.speak(SECOND)
        cut = len(head) // 2 // FRAME * FRAME
        rest = silence(800)

        async def dropped(tr: Translator) -> None:
            await tr.send_audio(first + head[:cut])
            sessions = server.connections[-2:]
            consumed = (len(first) + cut) // FRAME * 200  # whole frames: the rest is held
            await _until(lambda: all(h.session.elapsed_ms == consumed for h in sessions))
            clock.auto_advance = True  # now the output flows, stamped up to what was consumed
            clock.advance(1)
            await wait_for(tr, _said("de", FIRST))
            await _hear_all_of(tr, server, FIRST)
            (de,) = [h for h in sessions if h.config["audio"]["output"]["language"] == "de"]
            de.drop_soon()
            await wait_for(tr, lambda e: isinstance(e, TranslationRestored))
            await tr.send_audio(head[cut:] + rest)

        tr = await _run(server, dropped, reconnect=ReconnectPolicy(initial_delay=0.01))
    (notice,) = tr.restores
    assert notice.interrupted
    second_start = (len(first) + 600 * 48) / 48_000
    assert notice.offset > second_start  # resumed after SECOND began
    (gap,) = [lost for lost in notice.lost if "start of a sentence" in lost.what]
    assert "mid-sentence" in gap.reason
    assert [s.text for s in tr.segments("es")] == [f"[es] {FIRST}", f"[es] {SECOND}"]
    assert tr.segments("de")[0].text == f"[de] {FIRST}"


async def _until(condition: Callable[[], bool]) -> None:
    """Wait for a condition on the server's thread (polled: it has no event for it)."""
    with anyio.fail_after(10):
        while not condition():  # noqa: ASYNC110 - state on another thread
            await anyio.sleep(0.005)


async def _hear_all_of(tr: Translator, server: FakeRealtimeServer, text: str) -> None:
    """Wait until all of ``text``'s translated speech is in (a drop loses what is on the wire)."""
    spoken = len(server.state.parts.synthesizer.synthesize(f"[de] {text}", language="de"))
    received = 0
    async for frame in tr.audio("de"):
        received += frame.nbytes
        if received >= spoken:
            return
