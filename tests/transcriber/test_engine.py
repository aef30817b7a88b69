"""The sans-I/O caption engine, driven with plain events (no event loop)."""

from __future__ import annotations

from realtime_kit.transcriber import (
    CaptionEngine,
    CaptionFailed,
    CommitSpan,
    FinalCaption,
    PartialCaption,
)
from tests.transcriber._util import ev


def _committed(item: str, prev: str | None) -> object:
    return ev("input_audio_buffer.committed", item_id=item, previous_item_id=prev)


def _completed(item: str, text: str, **extra: object) -> object:
    usage = {"type": "duration", "seconds": 1}
    return ev(
        "conversation.item.input_audio_transcription.completed",
        item_id=item,
        content_index=0,
        transcript=text,
        usage=usage,
        **extra,
    )


def _client_engine(n: int) -> CaptionEngine:
    engine = CaptionEngine(client_commits=True)
    engine.start_session(0.0)
    for i in range(n):
        engine.committing(CommitSpan(i * 1000, (i + 1) * 1000, i * 1000 + 200, i * 1000 + 700))
        engine.feed(_committed(f"i{i}", f"i{i - 1}" if i else None))  # type: ignore[arg-type]
    return engine


def _finals(captions: list[object]) -> list[str]:
    return [c.segment.text for c in captions if isinstance(c, FinalCaption)]


def test_client_commits_give_the_spoken_times() -> None:
    engine = _client_engine(1)
    (final,) = engine.feed(_completed("i0", "Hello there."))  # type: ignore[arg-type]
    assert isinstance(final, FinalCaption)
    assert (final.segment.start, final.segment.end, final.segment.index) == (0.2, 0.7, 0)
    assert engine.transcript == "Hello there."
    assert engine.idle


def test_out_of_order_completions_come_out_in_spoken_order() -> None:
    engine = _client_engine(3)
    assert engine.feed(_completed("i2", "three")) == []  # type: ignore[arg-type]
    assert engine.feed(_completed("i1", "two")) == []  # type: ignore[arg-type]
    assert not engine.idle
    out = engine.feed(_completed("i0", "one"))  # type: ignore[arg-type]
    assert _finals(out) == ["one", "two", "three"]
    assert [s.index for s in engine.segments] == [0, 1, 2]
    assert engine.transcript == "one two three"


def test_chain_order_wins_over_arrival_order_of_commits() -> None:
    engine = CaptionEngine(client_commits=False)
    engine.start_session(0.0)
    engine.feed(_committed("a", None))  # type: ignore[arg-type]
    engine.feed(_committed("c", "a"))  # type: ignore[arg-type]
    engine.feed(_committed("b", "a"))  # b was inserted between a and c
    out = []
    for item in ("c", "b", "a"):
        out += engine.feed(_completed(item, item.upper()))  # type: ignore[arg-type]
    assert _finals(out) == ["A", "B", "C"]


def test_server_vad_times_lose_padding_and_silence() -> None:
    engine = CaptionEngine(client_commits=False, prefix_padding_ms=300, silence_duration_ms=500)
    engine.start_session(0.0)
    engine.feed(ev("input_audio_buffer.speech_started", audio_start_ms=700, item_id="x"))  # type: ignore[arg-type]
    engine.feed(ev("input_audio_buffer.speech_stopped", audio_end_ms=2500, item_id="x"))  # type: ignore[arg-type]
    engine.feed(_committed("x", None))  # type: ignore[arg-type]
    (final,) = engine.feed(_completed("x", "hi"))  # type: ignore[arg-type]
    assert isinstance(final, FinalCaption)
    assert (final.segment.start, final.segment.end) == (1.0, 2.0)


def test_a_start_clamped_to_the_buffer_start_uses_the_local_onset() -> None:
    engine = CaptionEngine(client_commits=False, prefix_padding_ms=300, silence_duration_ms=500)
    engine.start_session(0.0)
    for item, start, end, prev in (("a", 100, 1500, None), ("b", 1500, 3000, "a")):
        engine.feed(ev("input_audio_buffer.speech_started", audio_start_ms=start, item_id=item))  # type: ignore[arg-type]
        engine.feed(ev("input_audio_buffer.speech_stopped", audio_end_ms=end, item_id=item))  # type: ignore[arg-type]
        engine.feed(_committed(item, prev))  # type: ignore[arg-type]
    engine.note_onset(1720.0)
    # b's start equals the previous turn's end: the server clamped it. Before the onset was
    # known the engine would have said 1.5; it takes the onset within the padding window.
    engine2 = CaptionEngine(client_commits=False, prefix_padding_ms=300, silence_duration_ms=500)
    engine2.start_session(0.0)
    engine2.note_onset(1720.0)
    for item, start, end, prev in (("a", 100, 1500, None), ("b", 1500, 3000, "a")):
        engine2.feed(ev("input_audio_buffer.speech_started", audio_start_ms=start, item_id=item))  # type: ignore[arg-type]
        engine2.feed(ev("input_audio_buffer.speech_stopped", audio_end_ms=end, item_id=item))  # type: ignore[arg-type]
        engine2.feed(_committed(item, prev))  # type: ignore[arg-type]
    engine2.feed(_completed("a", "A"))  # type: ignore[arg-type]
    (b,) = engine2.feed(_completed("b", "B"))  # type: ignore[arg-type]
    assert isinstance(b, FinalCaption)
    assert b.segment.start == 1.72
    assert engine2.segments[0].start == 0.4  # unclamped: padding taken off


def test_session_updated_teaches_the_vad_settings() -> None:
    engine = CaptionEngine(client_commits=False)
    engine.feed(
        ev(
            "session.updated",
            session={
                "type": "transcription",
                "audio": {
                    "input": {
                        "turn_detection": {
                            "type": "server_vad",
                            "prefix_padding_ms": 100,
                            "silence_duration_ms": 250,
                        }
                    }
                },
            },
        )  # type: ignore[arg-type]
    )
    assert (engine.prefix_padding_ms, engine.silence_duration_ms) == (100.0, 250.0)


def test_partials_grow_and_logprobs_are_kept_when_asked() -> None:
    engine = CaptionEngine(client_commits=True, logprobs=True)
    engine.start_session(0.0)
    lp = [{"token": "Hi", "logprob": -0.25, "bytes": [72, 105]}]
    first = engine.feed(
        ev(
            "conversation.item.input_audio_transcription.delta",
            item_id="i0",
            content_index=0,
            delta="Hi",
            logprobs=lp,
        )  # type: ignore[arg-type]
    )
    second = engine.feed(
        ev("conversation.item.input_audio_transcription.delta", item_id="i0", delta=" you")  # type: ignore[arg-type]
    )
    assert isinstance(first[0], PartialCaption)
    assert isinstance(second[0], PartialCaption)
    assert (first[0].text, second[0].text) == ("Hi", "Hi you")
    assert first[0].logprobs is not None
    assert first[0].logprobs[0].logprob == -0.25
    engine.committing(CommitSpan(0, 1000, 100, 900))
    engine.feed(_committed("i0", None))  # type: ignore[arg-type]
    (final,) = engine.feed(_completed("i0", "Hi you", logprobs=lp))  # type: ignore[arg-type]
    assert isinstance(final, FinalCaption)
    assert final.segment.logprobs is not None
    assert final.segment.logprobs[0].bytes == (72, 105)


def test_failures_and_silence_keep_their_place() -> None:
    engine = _client_engine(3)
    engine.feed(_completed("i2", "after"))  # type: ignore[arg-type]
    engine.feed(_completed("i1", ""))  # type: ignore[arg-type]  # silence: no caption
    out = engine.feed(
        ev(
            "conversation.item.input_audio_transcription.failed",
            item_id="i0",
            content_index=0,
            error={"type": "transcription_error", "code": "audio_unintelligible", "message": "no"},
        )  # type: ignore[arg-type]
    )
    assert isinstance(out[0], CaptionFailed)
    assert out[0].code == "audio_unintelligible"
    assert _finals(out) == ["after"]
    assert engine.segments[0].index == 0


def test_a_new_session_replays_exactly_the_unfinished_spans() -> None:
    engine = _client_engine(3)
    engine.feed(_completed("i1", "two"))  # type: ignore[arg-type]  # done out of order
    engine.committing(CommitSpan(3000, 4000, 3100, 3900))  # sent, never acknowledged
    replay = engine.start_session(0.0)
    assert [(s.start_ms, s.end_ms) for s in replay] == [(0, 1000), (2000, 3000), (3000, 4000)]
    for n, span in enumerate(replay):
        engine.committing(span)
        engine.feed(_committed(f"n{n}", f"n{n - 1}" if n else None))  # type: ignore[arg-type]
    out = []
    for n, text in enumerate(("one", "three", "four")):
        out += engine.feed(_completed(f"n{n}", text))  # type: ignore[arg-type]
    assert _finals(out) == ["one", "two", "three", "four"]
    assert [s.start for s in engine.segments] == [0.2, 1.2, 2.2, 3.1]


def test_server_vad_replays_are_not_transcribed_twice() -> None:
    engine = CaptionEngine(client_commits=False, prefix_padding_ms=300, silence_duration_ms=500)
    engine.start_session(0.0)
    turns = (("a", 0, 1500, None), ("b", 1500, 3000, "a"), ("c", 3000, 4500, "b"))
    for item, start, end, prev in turns:
        engine.feed(
            ev("input_audio_buffer.speech_started", audio_start_ms=start + 100, item_id=item)
        )  # type: ignore[arg-type]
        engine.feed(ev("input_audio_buffer.speech_stopped", audio_end_ms=end, item_id=item))  # type: ignore[arg-type]
        engine.feed(_committed(item, prev))  # type: ignore[arg-type]
    engine.feed(_completed("c", "C"))  # type: ignore[arg-type]  # b and a still pending
    engine.feed(_completed("a", "A"))  # type: ignore[arg-type]
    resume = engine.resume_ms
    assert resume == 1600  # b's first audio
    engine.start_session(resume)
    # The new session hears b and c again (times relative to the resume point).
    for item, start, end, prev in (("b2", 0, 1400, None), ("c2", 1500, 2900, "b2")):
        engine.feed(
            ev("input_audio_buffer.speech_started", audio_start_ms=start + 100, item_id=item)
        )  # type: ignore[arg-type]
        engine.feed(ev("input_audio_buffer.speech_stopped", audio_end_ms=end, item_id=item))  # type: ignore[arg-type]
        engine.feed(_committed(item, prev))  # type: ignore[arg-type]
    out = engine.feed(_completed("c2", "C"))  # type: ignore[arg-type]
    out += engine.feed(_completed("b2", "B"))  # type: ignore[arg-type]
    assert engine.transcript == "A B C"
    assert _finals(out) == ["B", "C"]
    assert engine.idle
