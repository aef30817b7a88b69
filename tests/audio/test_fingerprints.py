"""Known-clip recognition by fingerprint (the fake server's and the offline CLI's ears)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_kit.audio._fingerprints import (
    FINGERPRINT_BYTES,
    ClipIndex,
    is_silent,
    loudest_fingerprint,
)


def _tone(ms: int, freq: float, level: int = 8000) -> bytes:
    t = np.arange(24 * ms) / 24000
    return (np.sin(2 * np.pi * freq * t) * level).astype("<i2").tobytes()


def _silence(ms: int) -> bytes:
    return bytes(48 * ms)


# Two words with a pause in the middle: the middle of the clip is silence.
WORDS = _tone(300, 440) + _silence(400) + _tone(300, 660, level=12000)


def test_the_fingerprint_is_the_loudest_stretch_not_the_middle() -> None:
    fingerprint = loudest_fingerprint(WORDS)
    assert len(fingerprint) == FINGERPRINT_BYTES
    assert not is_silent(fingerprint)
    assert fingerprint in _tone(300, 660, level=12000) or fingerprint in WORDS[-14400:]


def test_silence_in_another_turn_is_not_taken_for_a_clip_with_a_pause() -> None:
    index = ClipIndex()
    index.add("two words", WORDS)
    assert index.find(_silence(2000)) == []
    assert index.find(_silence(100) + WORDS + _silence(100)) == ["two words"]


def test_clips_are_listed_in_the_order_they_occur() -> None:
    index = ClipIndex()
    first, second = _tone(200, 300), _tone(200, 900)
    index.add("first", first)
    index.add("second", second)
    assert index.find(second + _silence(50) + first) == ["second", "first"]


def test_a_span_too_short_to_fingerprint_is_refused() -> None:
    with pytest.raises(ValueError, match="too short"):
        ClipIndex().add("hm", _tone(10, 440))


@settings(max_examples=50, deadline=None)
@given(prefix_samples=st.integers(0, 4000), cut=st.integers(1, 20))
def test_a_clip_is_found_wherever_it_sits_however_the_audio_was_chunked(
    prefix_samples: int, cut: int
) -> None:
    index = ClipIndex()
    index.add("two words", WORDS)
    audio = bytes(2 * prefix_samples) + WORDS
    # The audio arrives in pieces and is joined again before recognition (as a buffer is).
    step = max(2, (len(audio) // cut) & ~1)
    joined = b"".join(audio[i : i + step] for i in range(0, len(audio), step))
    assert index.find(joined) == ["two words"]


def test_is_silent_by_peak_level() -> None:
    assert is_silent(b"")
    assert is_silent(_silence(20))
    assert not is_silent(_tone(20, 440))
