"""Server-side voice activity detection that really listens to the appended audio.

:class:`ServerVad` is fed PCM16 24 kHz audio as it is appended and reports turn boundaries in
milliseconds of *session audio* (everything appended since the session began, across commits),
which is what the real server's ``audio_start_ms`` / ``audio_end_ms`` mean:

* ``audio_start_ms`` = where speech was first detected, minus ``prefix_padding_ms`` (not before the
  start of the current buffer);
* ``audio_end_ms`` = the end of the last speech frame plus ``silence_duration_ms`` — the moment the
  silence had lasted long enough to end the turn.

A 20 ms frame counts as speech when its level clears a gate set by ``threshold`` (0 → -70 dBFS,
1 → -20 dBFS) and webrtcvad agrees (its aggressiveness also follows ``threshold``).

Imports: numpy, soxr, webrtcvad (the ``testing`` extra), the standard library.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import soxr

__all__ = ["ServerVad", "VadEvent"]

_FRAME_MS = 20
_FRAME_BYTES_24K = 24 * _FRAME_MS * 2  # 960
_VAD_RATE = 16_000


@dataclass(frozen=True)
class VadEvent:
    """A boundary found by the VAD: ``kind`` ``"start"`` or ``"stop"`` at session audio ``ms``."""

    kind: str
    ms: int


class ServerVad:
    """Streaming VAD with the real server's knobs.

    Args:
        threshold: 0…1 as in ``turn_detection.threshold`` (higher needs louder speech).
        prefix_padding_ms: audio kept before detected speech.
        silence_duration_ms: silence that ends a turn.
        silence_for: instead of a fixed ``silence_duration_ms``, asked once at the start of each
            pause (with the session ms where speech paused) how much silence ends the turn —
            semantic VAD waits longer when the words so far sound unfinished.
    """

    def __init__(
        self,
        *,
        threshold: float = 0.5,
        prefix_padding_ms: int = 300,
        silence_duration_ms: int = 200,
        silence_for: Callable[[int], int] | None = None,
    ) -> None:
        import webrtcvad  # the `testing` extra (webrtcvad-wheels)

        self.threshold = threshold
        self.prefix_padding_ms = prefix_padding_ms
        self.silence_duration_ms = silence_duration_ms
        self._gate_dbfs = -70.0 + 50.0 * threshold
        self._vad = webrtcvad.Vad(min(3, max(0, int(threshold * 4))))
        self._pending = b""
        self._pos_ms = 0  # session ms at the start of _pending
        self._buffer_start_ms = 0
        self.in_speech = False
        self._last_speech_end_ms = 0
        self._silence_for = silence_for
        self._pause_silence_ms: int | None = None  # decided at the start of the current pause

    def reset_buffer(self, at_ms: int) -> None:
        """The input buffer was committed or cleared at session ms ``at_ms``."""
        self._buffer_start_ms = at_ms

    def seek(self, position_ms: int) -> None:
        """Start listening at session ms ``position_ms`` (a VAD made mid-session)."""
        self._pos_ms = position_ms
        self._buffer_start_ms = position_ms

    def end_speech(self) -> None:
        """Forget the speech in progress (the client committed the turn itself)."""
        self.in_speech = False
        self._pause_silence_ms = None

    def _is_speech(self, frame24: bytes) -> bool:
        samples = np.frombuffer(frame24, dtype="<i2").astype(np.float64)
        rms = math.sqrt(float(np.mean(samples * samples))) if samples.size else 0.0
        dbfs = 20 * math.log10(rms / 32768.0) if rms > 0 else -120.0
        # Each frame is resampled on its own: a streaming resampler's group delay would make
        # webrtcvad judge audio from an earlier frame and shift every boundary late.
        frame16 = soxr.resample(np.frombuffer(frame24, dtype="<i2"), 24_000, _VAD_RATE)
        frame16 = np.pad(frame16, (0, max(0, 320 - frame16.size)))[:320]
        if dbfs < self._gate_dbfs:
            return False
        return bool(self._vad.is_speech(frame16.astype("<i2").tobytes(), _VAD_RATE))

    def feed(self, audio: bytes) -> list[VadEvent]:
        """Feed appended PCM16 24 kHz audio; returns the boundaries it completes, in order."""
        events: list[VadEvent] = []
        self._pending += audio
        while len(self._pending) >= _FRAME_BYTES_24K:
            frame, self._pending = (
                self._pending[:_FRAME_BYTES_24K],
                self._pending[_FRAME_BYTES_24K:],
            )
            start = self._pos_ms
            self._pos_ms += _FRAME_MS
            if self._is_speech(frame):
                if not self.in_speech:
                    self.in_speech = True
                    begin = max(self._buffer_start_ms, start - self.prefix_padding_ms)
                    events.append(VadEvent("start", begin))
                self._last_speech_end_ms = self._pos_ms
                self._pause_silence_ms = None
            elif self.in_speech:
                if self._pause_silence_ms is None:
                    self._pause_silence_ms = (
                        self._silence_for(self._last_speech_end_ms)
                        if self._silence_for is not None
                        else self.silence_duration_ms
                    )
                end = self._last_speech_end_ms + self._pause_silence_ms
                if self._pos_ms >= end:
                    self.in_speech = False
                    self._pause_silence_ms = None
                    events.append(VadEvent("stop", end))
        return events

    @property
    def position_ms(self) -> int:
        """Session ms of audio analysed so far (whole frames only)."""
        return self._pos_ms
