"""TranslationTimeline: what a new translation session is sent, what is lost, and the offset.

No event loop: the timeline is sans-I/O. Server events are built from the generated classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_kit.errors import AudioError, ConfigurationError
from realtime_kit.events import (
    ErrorDetails,
    ErrorEvent,
    SessionClosedEvent,
    SessionInputAudioBufferAppendEvent,
    SessionInputTranscriptDeltaEvent,
    SessionOutputAudioDeltaEvent,
    SessionOutputTranscriptDeltaEvent,
)
from realtime_kit.protocol import LostAudio, LostState, ResumePlan, TranslationTimeline
from realtime_kit.protocol.translation import BYTES_PER_MS, FRAME_BYTES

MS = BYTES_PER_MS


def pcm(start_ms: float, ms: float) -> bytes:
    """Audio whose every sample says where it lies, so re-sent bytes can be checked by eye."""
    first, count = round(start_ms * 24), round(ms * 24)
    return b"".join(((first + i) % 65_536).to_bytes(2, "little") for i in range(count))


def said(elapsed_ms: int | None) -> SessionOutputAudioDeltaEvent:
    return SessionOutputAudioDeltaEvent(delta="", elapsed_ms=elapsed_ms, sample_rate=24000)


def heard(elapsed_ms: int | None) -> SessionInputTranscriptDeltaEvent:
    return SessionInputTranscriptDeltaEvent(delta=" hola", elapsed_ms=elapsed_ms)


def captioned(elapsed_ms: int | None) -> SessionOutputTranscriptDeltaEvent:
    return SessionOutputTranscriptDeltaEvent(delta=" hello", elapsed_ms=elapsed_ms)


def test_resends_what_follows_the_highest_stamp_in_200_ms_chunks() -> None:
    t = TranslationTimeline()
    t.append(pcm(0, 1_000))
    assert t.observe(said(200)) == 200
    assert t.observe(heard(400)) == 400
    plan = t.reconnect()
    assert plan.offset_ms == 400
    assert plan.origin_ms == 0
    assert plan.acknowledged_bytes == 400 * MS
    assert plan.lost == ()
    assert [len(c) for c in plan.resent] == [FRAME_BYTES] * 3
    assert b"".join(plan.resent) == pcm(400, 600)
    assert plan.resent_ms == 600
    # Heard at 400 ms, but output only aligned up to 200 ms: that stretch may be untranslated.
    assert plan.untranslated == LostAudio(200, 400, "untranslated")
    assert [e.audio_bytes() for e in plan.events()] == list(plan.resent)
    assert all(isinstance(e, SessionInputAudioBufferAppendEvent) for e in plan.events())


def test_overlap_re_sends_heard_audio_and_says_how_far_it_repeats() -> None:
    t = TranslationTimeline(overlap_ms=400)
    t.append(pcm(0, 1_000))
    t.observe(said(400))
    t.observe(heard(600))
    plan = t.reconnect()
    assert plan.offset_ms == 200
    assert plan.untranslated is None  # the output stamp (400) is inside the re-sent overlap
    assert plan.replayed_until_ms == 600  # deltas of the new session up to here may repeat
    assert b"".join(plan.resent) == pcm(200, 800)
    assert plan.acknowledged_bytes + plan.lost_bytes + plan.resent_bytes == 1_000 * MS


def test_overlap_never_reaches_into_the_previous_session() -> None:
    t = TranslationTimeline(overlap_ms=1_000)
    t.append(pcm(0, 1_000))
    t.observe(said(800))
    assert t.reconnect().offset_ms == 0
    t.observe(said(400))  # the new session re-heard 0..400 of the re-sent audio
    assert t.reconnect().offset_ms == 0


def test_last_chunk_is_the_partial_tail() -> None:
    t = TranslationTimeline()
    t.append(pcm(0, 530))
    plan = t.reconnect()
    assert [len(c) for c in plan.resent] == [FRAME_BYTES, FRAME_BYTES, 130 * MS]
    assert plan.offset_ms == 0
    assert plan.resent_ms == 530


def test_a_session_that_said_nothing_leaves_all_it_heard_untranslated() -> None:
    t = TranslationTimeline()
    t.append(pcm(0, 1_000))
    t.observe(heard(600))
    plan = t.reconnect()
    assert plan.offset_ms == 600
    assert plan.untranslated == LostAudio(0, 600, "untranslated")
    assert plan.lost == ()
    assert [s.what for s in plan.lost_states()] == ["input audio 0-600 ms (600 ms)"]
    assert "overlap_ms" in plan.lost_states()[0].reason


def test_audio_beyond_retention_is_lost_and_the_offset_skips_it() -> None:
    t = TranslationTimeline(retention_ms=1_000)
    for i in range(15):  # 3 s of 200 ms appends, nothing acknowledged
        t.append(pcm(i * 200, 200))
        assert t.retained_bytes <= 1_000 * MS
    plan = t.reconnect()
    assert plan.lost == (LostAudio(0, 2_000, "retention"),)
    assert plan.lost_ms == 2_000
    assert plan.offset_ms == 2_000
    assert b"".join(plan.resent) == pcm(2_000, 1_000)
    state = plan.lost[0].as_lost_state()
    assert isinstance(state, LostState)
    assert "0-2000 ms" in state.what
    assert "retention" in state.reason


def test_retention_cut_rounds_up_to_a_frame() -> None:
    t = TranslationTimeline(retention_ms=400)
    t.append(pcm(0, 650))  # keeping the last 400 ms would start at 250: cut at 400 instead
    assert t.retained_bytes == 250 * MS
    plan = t.reconnect()
    assert plan.offset_ms == 400
    assert plan.lost == (LostAudio(0, 400, "retention"),)


def test_offsets_compose_across_reconnects() -> None:
    t = TranslationTimeline()
    t.append(pcm(0, 1_000))
    t.observe(said(600))
    first = t.reconnect()
    assert (first.offset_ms, t.offset_ms, t.reconnects) == (600, 600, 1)
    assert first.untranslated is None
    assert t.to_original_ms(0) == 600
    t.append(pcm(1_000, 1_000))  # the new session has 400 ms re-sent + 1,000 ms new
    assert t.observe(said(1_000)) == 1_600
    second = t.reconnect()
    assert second.origin_ms == 600
    assert second.offset_ms == 1_600
    assert second.acknowledged_bytes == 1_000 * MS
    assert b"".join(second.resent) == pcm(1_600, 400)
    assert t.to_original_ms(200) == 1_800
    assert t.appended_ms == 2_000


def test_only_translation_deltas_with_a_stamp_count() -> None:
    t = TranslationTimeline()
    t.append(pcm(0, 400))
    assert t.observe(SessionClosedEvent()) is None
    assert t.observe(ErrorEvent(error=ErrorDetails(type="server_error", message="x"))) is None
    assert t.observe(said(None)) is None
    assert (t.heard_ms, t.translated_ms) == (0, 0)


def test_stamps_past_the_audio_or_off_the_grid_are_not_believed() -> None:
    t = TranslationTimeline()
    t.append(pcm(0, 500))
    # A closing flush pads the partial frame (600 > 500 appended): only whole frames count.
    assert t.observe(said(600)) == 600
    assert t.translated_ms == 400
    t.append(pcm(500, 500))
    t.observe(heard(730))  # off the 200 ms grid: the frame it is in is not counted
    assert t.heard_ms == 600
    plan = t.reconnect()
    assert plan.offset_ms == 600
    assert b"".join(plan.resent) == pcm(600, 400)


def test_accepts_append_events_and_rejects_odd_audio() -> None:
    t = TranslationTimeline()
    t.append(SessionInputAudioBufferAppendEvent.from_audio(pcm(0, 200)))
    t.append(memoryview(pcm(200, 100)))
    assert t.appended_bytes == 300 * MS
    with pytest.raises(AudioError):
        t.append(b"\x00\x01\x02")


@pytest.mark.parametrize("bad", [0, 150, 1_100, -200])
def test_retention_must_be_whole_frames(bad: int) -> None:
    with pytest.raises(ConfigurationError, match="multiple of 200"):
        TranslationTimeline(retention_ms=bad)


@pytest.mark.parametrize("bad", [-200, 100, 250])
def test_overlap_must_be_whole_frames(bad: int) -> None:
    with pytest.raises(ConfigurationError, match="overlap_ms"):
        TranslationTimeline(overlap_ms=bad)


# --- properties -------------------------------------------------------------------------------


@dataclass
class FakeSession:
    """What one server session may truthfully say: stamps never past the audio it received."""

    received: int = 0  # bytes, this session
    heard: int = 0  # last stamps sent, ms
    said: int = 0


# Mostly whole frames, with a ragged tail now and then: sizes in bytes, always whole samples.
appends = st.builds(
    lambda frames, samples: frames * FRAME_BYTES + samples * 2,
    st.integers(0, 5),
    st.one_of(st.just(0), st.integers(1, 4_799)),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("append"), appends),
        st.tuples(st.just("hear"), st.integers(0, 6)),
        st.tuples(st.just("say"), st.integers(0, 6)),
        st.tuples(st.just("drop"), st.just(0)),
    ),
    max_size=60,
)


@settings(max_examples=500, deadline=None)
@given(
    steps=steps,
    retention_frames=st.integers(1, 40),
    overlap_frames=st.integers(0, 10),
)
def test_every_byte_is_accounted_once_and_the_timeline_only_moves_forward(
    steps: list[tuple[str, int]], retention_frames: int, overlap_frames: int
) -> None:
    retention = retention_frames * 200
    t = TranslationTimeline(retention_ms=retention, overlap_ms=overlap_frames * 200)
    original = bytearray()
    session = FakeSession()
    plans: list[ResumePlan] = []
    mapped_output: list[int] = []  # output stamps on the original timeline, all sessions
    floor = 0  # what a new session's mapped stamps may not go below
    totals: list[int] = []
    for kind, value in steps:
        if kind == "append":
            chunk = bytes((len(original) + i) % 251 for i in range(value))
            original += chunk
            t.append(chunk)
            session.received += value
        elif kind == "hear":
            # The next stamp: the same or a few frames further, never past what arrived.
            session.heard = min(session.heard + value * 200, session.received // FRAME_BYTES * 200)
            t.observe(heard(session.heard))
        elif kind == "say":
            session.said = min(session.said + value * 200, session.received // FRAME_BYTES * 200)
            session.heard = max(session.heard, session.said)
            mapped = t.observe(said(session.said))
            assert mapped is not None
            assert mapped >= floor
            mapped_output.append(mapped)
        else:
            plan = t.reconnect()
            plans.append(plan)
            totals.append(len(original))
            session = FakeSession(received=plan.resent_bytes)
            # Only a re-sent overlap is heard twice, so only it may be stamped twice.
            floor = max(plan.offset_ms, max(mapped_output, default=0) - t.overlap_ms)
            # Re-sent audio is exactly the original audio from the offset to the end.
            assert b"".join(plan.resent) == bytes(original[plan.offset_ms * MS :])
            assert all(len(c) == FRAME_BYTES for c in plan.resent[:-1])
            assert plan.resent_bytes <= retention * MS
            assert all(gap.reason == "retention" for gap in plan.lost)
            if plan.untranslated is not None:  # inside the acknowledged share, never re-sent
                assert (
                    plan.untranslated.end_ms * MS - plan.origin_ms * MS <= plan.acknowledged_bytes
                )
                assert plan.untranslated.reason == "untranslated"
        assert t.retained_bytes <= retention * MS
    # Each plan splits the old session's share of the input exactly once ...
    for plan, total in zip(plans, totals, strict=True):
        share = plan.acknowledged_bytes + plan.lost_bytes + plan.resent_bytes
        assert share == total - plan.origin_ms * MS
    # ... and the shares tile the whole input: each session starts where the last one resumed.
    origins = [p.origin_ms for p in plans]
    offsets = [p.offset_ms for p in plans]
    assert origins == [0, *offsets][: len(plans)]
    assert offsets == sorted(offsets)
    assert all(o % 200 == 0 for o in offsets)
    settled = sum(p.acknowledged_bytes + p.lost_bytes for p in plans)
    assert settled == (offsets[-1] if offsets else 0) * MS
    # Without an overlap, captions aligned through the offsets never run backwards.
    if overlap_frames == 0:
        assert mapped_output == sorted(mapped_output)
