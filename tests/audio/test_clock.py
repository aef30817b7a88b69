"""PlaybackClock scenarios: device feed, several items, barge-in, clamping, marks, wall clock."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_kit.audio import PCMFrame, PlaybackClock
from realtime_kit.errors import AudioError, RemoteProtocolError

MS = 24  # samples per millisecond at 24 kHz


def test_heard_follows_what_the_device_played() -> None:
    clock = PlaybackClock()
    clock.received("item_a", PCMFrame.silence(100))
    assert clock.heard_ms("item_a") == 0
    clock.advance(40 * MS)
    pos = clock.position("item_a")
    assert (pos.heard_ms, pos.received_ms, pos.estimated) == (40, 100, False)
    assert clock.queued_ms == 60
    assert clock.current() == pos


def test_played_is_clamped_to_received_audio() -> None:
    clock = PlaybackClock()
    clock.received("item_a", 50 * MS)
    assert clock.advance(80 * MS) == 50 * MS  # the extra 30 ms belonged to nobody
    assert clock.heard_ms("item_a") == 50
    clock.received("item_a", 10 * MS)
    clock.advance(5 * MS)
    assert clock.heard_ms("item_a") == 55  # the earlier overshoot was not banked


def test_several_items_play_in_arrival_order() -> None:
    clock = PlaybackClock()
    clock.received("a", 30 * MS)
    clock.received("b", 20 * MS)
    clock.received("a", 10 * MS)  # late audio for a plays after b's
    clock.advance(45 * MS)
    assert clock.heard_ms("a") == 30
    assert clock.heard_ms("b") == 15
    clock.advance(10 * MS)
    assert clock.heard_ms("b") == 20
    assert clock.heard_ms("a") == 35


def test_barge_in_reports_every_cut_item_in_playback_order() -> None:
    clock = PlaybackClock()
    clock.received("a", 100 * MS)
    clock.received("b", 80 * MS)
    clock.received("c", 0)  # known item, no audio yet
    clock.received("d", 20 * MS)
    clock.advance(130 * MS)
    cut = clock.flush()
    assert [(p.item_id, p.heard_ms, p.received_ms) for p in cut] == [("b", 30, 80), ("d", 0, 20)]
    assert all(p.flushed for p in cut)
    assert not clock.position("a").flushed  # fully played before the cut
    assert clock.position("a").heard_ms == 100
    assert clock.queued_ms == 0
    assert clock.current() is None
    # After the cut, playback reports do not move the cut items.
    assert clock.advance(50 * MS) == 0
    assert clock.heard_ms("b") == 30
    # New audio after the barge-in plays normally.
    clock.received("e", 10 * MS)
    clock.advance(10 * MS)
    assert clock.heard_ms("e") == 10


def test_flush_with_nothing_queued_reports_nothing() -> None:
    clock = PlaybackClock()
    clock.received("a", 10 * MS)
    clock.advance(10 * MS)
    assert clock.flush() == []


def test_heard_ms_rounds_down_so_truncate_never_overshoots() -> None:
    clock = PlaybackClock()
    clock.received("a", 1001)  # 41.708 ms
    clock.advance(1001)
    pos = clock.position("a")
    assert pos.heard_ms == 41
    assert pos.received_ms == 41


def test_end_item_and_complete() -> None:
    clock = PlaybackClock()
    clock.received("a", 20 * MS)
    clock.end_item("a")
    assert not clock.position("a").complete
    clock.advance(20 * MS)
    assert clock.position("a").complete
    with pytest.raises(AudioError, match="after end_item"):
        clock.received("a", 10)


def test_content_index_keeps_parts_apart() -> None:
    clock = PlaybackClock()
    clock.received("a", 10 * MS, content_index=0)
    clock.received("a", 10 * MS, content_index=1)
    clock.advance(15 * MS)
    assert clock.heard_ms("a", content_index=0) == 10
    assert clock.heard_ms("a", content_index=1) == 5


def test_bad_input_is_rejected() -> None:
    clock = PlaybackClock()
    with pytest.raises(AudioError, match="non-negative"):
        clock.received("a", -1)
    with pytest.raises(AudioError, match="clock counts at 24000"):
        clock.received("a", PCMFrame.silence(10, 48000))
    with pytest.raises(KeyError):
        clock.position("never")
    assert clock.heard_ms("never") == 0
    with pytest.raises(AudioError, match="source"):
        PlaybackClock(source="guess")  # type: ignore[arg-type]


def test_marks_advance_to_the_acknowledged_position() -> None:
    clock = PlaybackClock(source="marks")
    clock.received("a", 20 * MS)
    m1 = clock.mark()
    clock.received("a", 20 * MS)
    m2 = clock.mark()
    clock.received("b", 20 * MS)
    m3 = clock.mark()
    assert clock.pending_marks == 3
    assert clock.mark_reached(m1)
    assert clock.heard_ms("a") == 20
    assert clock.mark_reached(m3)  # acknowledging a later mark implies the earlier ones
    assert clock.pending_marks == 0
    assert (clock.heard_ms("a"), clock.heard_ms("b")) == (40, 20)
    with pytest.raises(RemoteProtocolError, match="never issued"):
        clock.mark_reached(m2)
    with pytest.raises(AudioError, match="not how"):
        clock.advance(10)


def test_marks_cleared_by_barge_in_do_not_count_as_played() -> None:
    clock = PlaybackClock(source="marks")
    clock.received("a", 20 * MS)
    m1 = clock.mark()
    clock.received("a", 60 * MS)
    m2 = clock.mark()
    assert clock.mark_reached(m1)
    cut = clock.flush()
    assert [(p.item_id, p.heard_ms) for p in cut] == [("a", 20)]
    assert clock.mark_reached(m2) is False  # Twilio echoes cleared marks after a clear
    assert clock.heard_ms("a") == 20


class FakeTime:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_wall_clock_fallback_is_flagged_and_idles_when_nothing_is_queued() -> None:
    now = FakeTime()
    clock = PlaybackClock.wall_clock(now=now)
    now.t += 5.0  # idle time before any audio must not count
    clock.received("a", 100 * MS)
    now.t += 0.040
    pos = clock.position("a")
    assert pos.estimated
    assert pos.heard_ms == 40
    now.t += 1.0
    assert clock.heard_ms("a") == 100  # clamped to what was received
    now.t += 2.0  # player idle again
    clock.received("b", 50 * MS)
    now.t += 0.020
    assert clock.heard_ms("b") == 20
    now.t += 0.010
    cut = clock.flush()
    assert [(p.item_id, p.heard_ms, p.estimated) for p in cut] == [("b", 30, True)]
    with pytest.raises(AudioError, match="not how"):
        clock.advance(1)


@settings(deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("recv"), st.sampled_from("abc"), st.integers(0, 5000)),
            st.tuples(st.just("play"), st.just(""), st.integers(0, 5000)),
            st.tuples(st.just("flush"), st.just(""), st.just(0)),
        ),
        max_size=40,
    )
)
def test_invariants_hold_for_any_sequence(ops: list[tuple[str, str, int]]) -> None:
    clock = PlaybackClock()
    received = dict.fromkeys("abc", 0)
    total_played = 0
    for op, item, n in ops:
        if op == "recv":
            clock.received(item, n)
            received[item] += n
        elif op == "play":
            total_played += clock.advance(n)
        else:
            clock.flush()
    heard_samples = 0
    for item, n in received.items():
        if n or item in {i for o, i, _ in ops if o == "recv"}:
            pos = clock.position(item)
            assert 0 <= pos.heard_ms <= pos.received_ms
            assert pos.received_ms == n * 1000 // 24000
            heard_samples += clock._items[(item, 0)].played
    assert heard_samples == total_played


def test_a_callback_thread_and_the_loop_can_share_the_clock() -> None:
    clock = PlaybackClock()
    for i in range(200):
        clock.received(f"item{i % 4}", 480)
    errors: list[BaseException] = []

    def player() -> None:
        try:
            for _ in range(400):
                clock.advance(240)
        except BaseException as exc:  # noqa: BLE001  # surfaced by the assertion below
            errors.append(exc)

    t = threading.Thread(target=player)
    t.start()
    for _ in range(200):
        clock.current()
        clock.heard_ms("item1")
    t.join()
    assert not errors
    assert sum(clock.heard_ms(f"item{k}") for k in range(4)) == 200 * 480 // 24


def test_old_items_are_forgotten_but_never_while_queued() -> None:
    clock = PlaybackClock(max_items=2)
    clock.received("a", 10)
    clock.received("b", 10)
    clock.received("c", 10)  # a is still queued: kept beyond the limit
    assert clock.position("a").received_ms == 0
    clock.advance(30)
    clock.received("d", 10)  # now the oldest played items go
    with pytest.raises(KeyError):
        clock.position("a")
    assert clock.position("d").received_ms == 0
    clock.forget("d")
    assert clock.heard_ms("d") == 0
    clock.advance(10)  # d's queued audio still plays without its record
    assert clock.queued_ms == 0
