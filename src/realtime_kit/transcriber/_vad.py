"""Client-side turn segmentation for sessions without server VAD (``turn_detection: null``).

``gpt-realtime-whisper`` and ``gpt-live-transcribe`` need the client to commit each turn
(PROTOCOL.md §2.2). :class:`EnergyVad` finds speech by frame energy against an adaptive noise
floor and says where each turn's speech starts and ends; the transcriber commits there. Energy
is enough here: the aim is commit points in pauses and honest caption times, not a speech
detector for hostile audio (the server's model hears silence as ``""`` anyway).

Pure numpy, no I/O. Imports: numpy, the standard library, :mod:`realtime_kit.errors`.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from realtime_kit.errors import ConfigurationError

__all__ = ["EnergyVad", "Turn", "VadSettings"]


@dataclass(frozen=True, slots=True)
class VadSettings:
    """How the client-side VAD splits audio into turns.

    Attributes:
        threshold_dbfs: the quietest level that can count as speech (dBFS of a 10 ms frame).
        noise_margin_db: speech must also be this far above the tracked noise floor.
        min_speech_ms: a sound must last this long to start a turn (clicks do not).
        silence_ms: a pause this long ends a turn (sentence pauses, not word gaps).
        max_turn_ms: a turn running this long is cut (and a new one begins) so captions keep
            coming during long speech.
    """

    threshold_dbfs: float = -45.0
    noise_margin_db: float = 12.0
    min_speech_ms: int = 60
    silence_ms: int = 500
    max_turn_ms: int = 15_000

    def __post_init__(self) -> None:
        if self.silence_ms < 100:
            raise ConfigurationError("silence_ms must be at least 100 (a commit needs 100 ms)")
        if self.min_speech_ms < 10 or self.max_turn_ms < 1000:
            raise ConfigurationError("min_speech_ms must be >= 10 and max_turn_ms >= 1000")


@dataclass(frozen=True, slots=True)
class Turn:
    """A finished turn: speech from ``start_ms`` to ``end_ms`` (stream ms)."""

    start_ms: float
    end_ms: float


_FRAME_MS = 10
_FLOOR_WINDOW_FRAMES = 500  # 5 s


class EnergyVad:
    """Streaming energy VAD over PCM16 mono at ``rate``.

    Feed samples with :meth:`push`; it returns the turns that the audio so far has ended. At the
    end of the input, :meth:`flush` ends a turn still open.
    """

    def __init__(self, settings: VadSettings | None = None, *, rate: int = 24_000) -> None:
        self.settings = settings or VadSettings()
        self._frame = rate * _FRAME_MS // 1000
        self._pending = np.zeros(0, dtype=np.int16)
        self._pos_ms = 0.0
        self._floor_db = -60.0  # until a frame has been heard
        self._window: deque[tuple[int, float]] = deque()
        self._frames = 0
        self._run_start: float | None = None  # candidate onset
        self._start: float | None = None  # speech start of the open turn
        self._last_speech_end = 0.0

    @property
    def position_ms(self) -> float:
        """Stream ms analysed so far."""
        return self._pos_ms

    @property
    def in_speech(self) -> bool:
        return self._start is not None

    @property
    def onset_pending(self) -> bool:
        """Sound is under way that may yet become speech."""
        return self._run_start is not None

    @property
    def speech_start_ms(self) -> float | None:
        """Where the open turn's speech began, if one is open."""
        return self._start

    @property
    def last_speech_ms(self) -> float | None:
        """Where the open turn's speech was last heard (its end so far), if one is open."""
        return self._last_speech_end if self._start is not None else None

    def push(self, samples: npt.NDArray[np.int16]) -> list[Turn]:
        """Analyse more audio; returns the turns it completed, in order."""
        s = self.settings
        data = np.concatenate([self._pending, samples]) if self._pending.size else samples
        n_frames = data.size // self._frame
        self._pending = data[n_frames * self._frame :].copy()
        if n_frames == 0:
            return []
        frames = data[: n_frames * self._frame].astype(np.float64).reshape(n_frames, self._frame)
        power = np.mean(frames * frames, axis=1)
        turns: list[Turn] = []
        for p in power:
            start = self._pos_ms
            self._pos_ms += _FRAME_MS
            db = 10 * math.log10(p / (32768.0 * 32768.0)) if p > 0 else -120.0
            floor = self._window[0][1] if self._window else self._floor_db
            speech = db > max(s.threshold_dbfs, floor + s.noise_margin_db)
            self._remember(db)
            if self._start is None:
                if speech:
                    if self._run_start is None:
                        self._run_start = start
                    if self._pos_ms - self._run_start >= s.min_speech_ms:
                        self._start = self._run_start
                        self._last_speech_end = self._pos_ms
                else:
                    self._run_start = None
                continue
            if speech:
                self._last_speech_end = self._pos_ms
            if self._pos_ms - self._last_speech_end >= s.silence_ms:
                turns.append(Turn(self._start, self._last_speech_end))
                self._start = None
                self._run_start = None
            elif self._pos_ms - self._start >= s.max_turn_ms:
                turns.append(Turn(self._start, self._pos_ms))
                self._start = self._pos_ms
        return turns

    def _remember(self, db: float) -> None:
        # The noise floor is the quietest frame of the last few seconds (a sliding minimum):
        # speech always has dips to it between words, steady noise sits on it.
        self._frames += 1
        while self._window and self._window[-1][1] >= db:
            self._window.pop()
        self._window.append((self._frames, db))
        if self._window[0][0] <= self._frames - _FLOOR_WINDOW_FRAMES:
            self._window.popleft()

    def flush(self) -> Turn | None:
        """End of input: the open turn, ended at the last speech heard."""
        if self._start is None:
            return None
        turn = Turn(self._start, self._last_speech_end)
        self._start = None
        self._run_start = None
        return turn
