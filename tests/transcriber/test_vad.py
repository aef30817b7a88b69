"""The client-side energy VAD that decides where to commit."""

from __future__ import annotations

import numpy as np
import pytest

from realtime_kit.errors import ConfigurationError
from realtime_kit.transcriber import EnergyVad, Turn, VadSettings

RATE = 24_000


def _tone(ms: int, amp: float = 0.3) -> np.ndarray:
    t = np.arange(RATE * ms // 1000) / RATE
    return (np.sin(2 * np.pi * 220 * t) * amp * 32767).astype(np.int16)


def _quiet(ms: int, amp: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(1)
    return (rng.standard_normal(RATE * ms // 1000) * amp * 32767).astype(np.int16)


def _run(audio: np.ndarray, vad: EnergyVad, chunk: int = 480) -> list[Turn]:
    turns = []
    for i in range(0, audio.size, chunk):
        turns += vad.push(audio[i : i + chunk])
    return turns


def test_turns_end_in_pauses_and_keep_word_gaps() -> None:
    audio = np.concatenate(
        [_quiet(500), _tone(700), _quiet(150), _tone(300), _quiet(800), _tone(400), _quiet(900)]
    )
    turns = _run(audio, EnergyVad())
    assert turns == [Turn(500.0, 1650.0), Turn(2450.0, 2850.0)]


def test_noise_floor_is_not_speech_but_speech_over_it_is() -> None:
    audio = np.concatenate([_quiet(1000, 0.01), _tone(500) + _quiet(500, 0.01), _quiet(900, 0.01)])
    (turn,) = _run(audio, EnergyVad())
    assert abs(turn.start_ms - 1000) <= 10
    assert abs(turn.end_ms - 1500) <= 10


def test_clicks_do_not_start_a_turn() -> None:
    audio = np.concatenate([_quiet(300), _tone(30), _quiet(1000)])
    vad = EnergyVad()
    assert _run(audio, vad) == []
    assert vad.flush() is None


def test_long_speech_is_cut_and_the_open_turn_flushed() -> None:
    vad = EnergyVad(VadSettings(max_turn_ms=1000))
    turns = _run(np.concatenate([_quiet(100), _tone(2500)]), vad)
    assert turns == [Turn(100.0, 1100.0), Turn(1100.0, 2100.0)]
    assert vad.in_speech
    assert vad.flush() == Turn(2100.0, 2600.0)


def test_settings_are_checked() -> None:
    with pytest.raises(ConfigurationError):
        VadSettings(silence_ms=50)
