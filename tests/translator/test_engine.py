"""The translator's sans-I/O engine: sentences, audio spans and source pairing (no event loop)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from realtime_kit.audio import PCMFrame
from realtime_kit.translator import (
    SourceFinal,
    SourcePartial,
    TargetFinal,
    TargetPartial,
    TranslationEngine,
    split_sentences,
)


def test_split_sentences_needs_the_text_after_a_stop() -> None:
    assert split_sentences("Hola. ¿Qué tal? Bien") == (["Hola.", "¿Qué tal?"], "Bien")
    assert split_sentences("It costs 3.") == ([], "It costs 3.")  # "3.5" may follow
    assert split_sentences("It costs 3.5 euros.") == ([], "It costs 3.5 euros.")
    assert split_sentences('He said "stop!" Then left') == (['He said "stop!"'], "Then left")
    assert split_sentences("你好。我很好") == (["你好。"], "我很好")  # no space after a wide stop
    assert split_sentences("Wait… what? ") == (["Wait…", "what?"], "")


def _engine(**kwargs: object) -> TranslationEngine:
    return TranslationEngine(["es"], **kwargs)  # type: ignore[arg-type]


def test_a_sentence_is_final_once_the_next_begins_and_owns_the_audio_before() -> None:
    e = _engine()
    out = e.target_text("es", "Hola", 1000)
    out += e.target_text("es", " amigo.", 1000)
    e.target_audio("es", 48 * 500, 1000)
    assert [type(x) for x in out] == [TargetPartial, TargetPartial]  # "amigo." may go on
    e.target_audio("es", 48 * 300, 1200)  # the end of its speech, after its text
    out = e.target_text("es", " ¿Qué", 1400)
    (final, partial) = out
    assert isinstance(final, TargetFinal)
    assert final.segment.text == "Hola amigo."
    assert (final.segment.audio_start, final.segment.audio_end) == (0.0, 0.8)
    assert final.segment.target_start == 1.0
    assert final.segment.target_end == 1.8  # its start plus its 800 ms of speech
    assert partial == TargetPartial("es", "¿Qué", " ¿Qué", 1.4)
    e.target_audio("es", 48 * 200, 1400)
    (last,) = e.end_language("es")
    assert isinstance(last, TargetFinal)
    assert (last.segment.index, last.segment.text) == (1, "¿Qué")
    assert (last.segment.audio_start, last.segment.audio_end) == (0.8, 1.0)


def test_a_pause_in_the_output_ends_a_sentence_without_punctuation() -> None:
    e = _engine(gap_ms=800)
    e.target_text("es", "uno dos", 1000)
    e.target_audio("es", 48 * 200, 1600)  # speech goes on: no pause yet
    assert e.target_text("es", " tres", 1800)[0] == TargetPartial(
        "es", "uno dos tres", " tres", 1.0
    )
    out = e.target_text("es", "cuatro", 2800)  # 1 s without output
    assert [x.text for x in out if isinstance(x, TargetFinal)] == ["uno dos tres"]


def test_several_sentences_closed_at_once_share_their_audio_by_length() -> None:
    e = _engine()
    e.target_text("es", "Sí. No sé nada. ", 1000)
    e.target_audio("es", 48 * 1500, 1000)
    out = e.target_text("es", "Bueno", 1600)
    spans = [(x.segment.text, x.segment.audio_duration) for x in out if isinstance(x, TargetFinal)]
    assert spans == [("Sí.", 1.5 * 3 / 14), ("No sé nada.", 1.5 * 11 / 14)]


def test_a_reconnect_cuts_the_open_sentence_and_says_so() -> None:
    e = TranslationEngine(["es"], source=True)
    e.source_text("es", "Where is", 1000)
    e.target_text("es", "Dónde está", 1400)
    cut, out = e.restored("es")
    assert cut
    (source, target) = out
    assert isinstance(source, SourceFinal)
    assert source.sentence.interrupted
    assert isinstance(target, TargetFinal)
    assert target.segment.interrupted
    assert target.segment.source == (source.sentence,)
    # A sentence that had ended is not "cut".
    e.target_text("es", "Hola.", 3000)
    cut, out = e.restored("es")
    assert not cut
    assert [x.segment.interrupted for x in out if isinstance(x, TargetFinal)] == [False]


def test_source_sentences_pair_with_the_translation_that_arrived_after_them() -> None:
    e = TranslationEngine(["es"], source=True)
    events = e.source_text("es", "One.", 1000)
    events += e.source_text("es", " Two.", 1000)
    events += e.target_text("es", "Uno.", 1400)  # the translation of both lags them
    events += e.source_text("es", " Three", 2000)  # a new source sentence, still open
    events += e.target_text("es", " Dos.", 2200)
    events += e.source_text("es", ".", 2000)
    events += e.target_text("es", " Tres.", 2600)
    events += e.end_language("es")
    segments = [x.segment for x in events if isinstance(x, TargetFinal)]
    assert [(s.text, s.source_text) for s in segments] == [
        ("Uno.", "One. Two."),  # both were complete before "Uno." arrived
        ("Dos.", None),
        ("Tres.", "Three."),
    ]
    sources = [x.text for x in events if isinstance(x, SourceFinal)]
    assert sources == ["One.", "Two.", "Three."]
    assert any(isinstance(x, SourcePartial) for x in events)


def test_source_sentences_are_placed_where_the_speech_is() -> None:
    loud = PCMFrame((np.sin(np.arange(24_000) / 3) * 12_000).astype(np.int16))
    quiet = PCMFrame.silence(1000)
    e = TranslationEngine(["es"], source=True)
    for frame in (quiet, loud, quiet, loud, quiet):
        e.input_audio(frame)
    out = e.source_text("es", "First.", 2_600)  # the transcript lags the speech
    out += e.source_text("es", " Second.", 4_400)
    e.end_input()
    out += e.end_language("es")
    places = [(x.sentence.start, x.sentence.end) for x in out if isinstance(x, SourceFinal)]
    assert [(round(a, 2), round(b, 2)) for a, b in places] == [(1.0, 2.0), (3.0, 4.0)]


words = st.text(alphabet="abcxyz", min_size=1, max_size=6)
stops = st.sampled_from(["", "", "", ".", "?", "!", "。"])


@given(
    pieces=st.lists(st.tuples(words, stops, st.booleans()), min_size=1, max_size=40),
    audio=st.lists(st.integers(0, 20), min_size=1, max_size=40),
)
def test_no_text_or_audio_is_lost_or_repeated(
    pieces: list[tuple[str, str, bool]], audio: list[int]
) -> None:
    e = _engine(gap_ms=10_000)
    stamp = 0
    finals: list[TargetFinal] = []
    sent = []
    for (word, stop, space), frames in zip(pieces, itertools.cycle(audio)):
        delta = (" " if space else "") + word + stop
        sent.append(delta)
        finals += [x for x in e.target_text("es", delta, stamp) if isinstance(x, TargetFinal)]
        e.target_audio("es", frames * 960, stamp)
        stamp += 200
    finals += [x for x in e.end_language("es") if isinstance(x, TargetFinal)]
    segments = [f.segment for f in finals]
    # Every character arrives in exactly one segment, in order (spaces between them dropped).
    assert "".join(s.text for s in segments).replace(" ", "") == "".join(sent).replace(" ", "")
    assert [s.index for s in segments] == list(range(len(segments)))
    # The audio spans tile the whole translated audio.
    assert segments[0].audio_start == 0
    for a, b in itertools.pairwise(segments):
        assert abs(a.audio_end - b.audio_start) < 1e-9
        assert b.target_start >= a.target_start
    assert abs(segments[-1].audio_end - e.audio_ms("es") / 1000) < 1e-9
