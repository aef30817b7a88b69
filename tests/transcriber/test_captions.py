"""SRT and WebVTT output: whole files and live writers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime_kit.transcriber import (
    Segment,
    SrtWriter,
    Transcript,
    VttWriter,
    format_srt,
    format_timestamp,
    format_vtt,
)

SEGMENTS = (
    Segment(0, "a", 0.4, 1.787, "Welcome to realtime kit."),
    Segment(1, "b", 2.587, 4.337, "Fish & chips <b>now</b>\n\nplease"),
    Segment(2, "c", 3661.5, 3661.5, "Late."),
)
SRT_CUE = re.compile(r"(\d+)\n(\d\d:\d\d:\d\d,\d\d\d) --> (\d\d:\d\d:\d\d,\d\d\d)\n((?:.+\n)+)\n")
VTT_CUE = re.compile(r"(\d\d:\d\d:\d\d\.\d\d\d) --> (\d\d:\d\d:\d\d\.\d\d\d)\n((?:.+\n)+)\n")


def _seconds(stamp: str) -> float:
    h, m, s = stamp.replace(",", ".").split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_srt_is_numbered_cues_with_comma_millis() -> None:
    text = format_srt(SEGMENTS)
    cues = SRT_CUE.findall(text)
    assert "".join(m.group(0) for m in SRT_CUE.finditer(text)) == text  # nothing else in it
    assert [int(c[0]) for c in cues] == [1, 2, 3]
    assert (cues[0][1], cues[0][2]) == ("00:00:00,400", "00:00:01,787")
    assert cues[1][3] == "Fish & chips <b>now</b>\nplease\n"  # no blank line inside a cue
    start, end = _seconds(cues[2][1]), _seconds(cues[2][2])
    assert start == 3661.5
    assert end > start  # zero-length cues are stretched: players drop them


def test_vtt_has_the_header_and_escapes_markup() -> None:
    text = format_vtt(SEGMENTS)
    assert text.startswith("WEBVTT\n\n")
    body = text[len("WEBVTT\n\n") :]
    cues = VTT_CUE.findall(body)
    assert "".join(m.group(0) for m in VTT_CUE.finditer(body)) == body
    assert cues[0][:2] == ("00:00:00.400", "00:00:01.787")
    assert cues[1][2] == "Fish &amp; chips &lt;b&gt;now&lt;/b&gt;\nplease\n"


@given(st.floats(min_value=0, max_value=360_000, allow_nan=False))
def test_timestamps_round_trip_to_the_millisecond(seconds: float) -> None:
    for sep in (".", ","):
        assert abs(_seconds(format_timestamp(seconds, separator=sep)) - seconds) <= 0.0005 + 1e-9


def test_negative_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_timestamp(-0.1)


def test_live_writers_write_each_cue_as_it_comes(tmp_path: Path) -> None:
    srt_path, vtt_path = tmp_path / "out.srt", tmp_path / "out.vtt"
    with SrtWriter(srt_path) as srt, VttWriter(vtt_path) as vtt:
        assert vtt_path.read_text() == "WEBVTT\n\n"
        for n, segment in enumerate(SEGMENTS, start=1):
            srt.write(segment)
            vtt.write(segment)
            # Flushed at once: a player following the file sees the cue now.
            assert srt_path.read_text() == format_srt(SEGMENTS[:n])
            assert vtt_path.read_text() == format_vtt(SEGMENTS[:n])


def test_transcript_text_and_subtitles() -> None:
    transcript = Transcript(segments=SEGMENTS[:1], model="gpt-realtime-whisper")
    assert transcript.text == "Welcome to realtime kit."
    assert transcript.to_srt() == format_srt(SEGMENTS[:1])
    assert transcript.to_vtt() == format_vtt(SEGMENTS[:1])
