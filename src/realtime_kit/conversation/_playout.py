"""Assistant audio on its way to the listener: conversion, the play queue, and playback sinks.

Audio deltas arrive faster than real time. Each one is converted from the wire format (PCM16 at
24 kHz, or G.711 at 8 kHz) to the app's output rate by a converter of its own *per item* (so an
item's resampler tail is never attributed to the next item), then queued here as a
:class:`PlayOp`. A player task hands the queue to a :class:`PlaybackSink` (which may make it
wait: a speaker has a bounded buffer), so reading events never waits for playback and a
barge-in is handled the moment it arrives: the sink is flushed and the queue dropped.

A sink owns the :class:`~realtime_kit.audio.PlaybackClock` that says what was heard:
:class:`~realtime_kit.audio.Speaker` (a device), the simulated listener of
``realtime_kit.testing``, a telephony bridge fed by marks, or :class:`AppPlayback`, the default,
which backs ``conversation.audio()`` and either assumes real-time playback (a wall-clock clock,
every position flagged ``estimated``) or is told by the app what it played.

Imports: anyio, numpy, the standard library, ``audio`` and ``errors``.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import anyio
import numpy as np

from realtime_kit.audio import API_RATE, PCMFrame, PlaybackClock, PlaybackPosition, Resampler
from realtime_kit.audio.g711 import decode_alaw, decode_ulaw, encode_alaw, encode_ulaw
from realtime_kit.errors import AudioError

__all__ = [
    "WIRE_RATES",
    "AppPlayback",
    "InputConverter",
    "OutputConverter",
    "PlayOp",
    "PlaybackSink",
]

_log = logging.getLogger("realtime_kit.conversation")

WIRE_RATES = {"pcm16": API_RATE, "pcmu": 8000, "pcma": 8000}


@runtime_checkable
class PlaybackSink(Protocol):
    """Where assistant audio is played, and the clock that says what was heard.

    :class:`~realtime_kit.audio.Speaker` is one. ``play`` may wait (a bounded buffer); ``flush``
    (barge-in) drops everything unplayed and returns the clock's report, item by item.
    """

    @property
    def clock(self) -> PlaybackClock:
        """The clock this sink feeds with what it actually played."""
        ...

    async def play(self, frame: PCMFrame, item_id: str, *, content_index: int = 0) -> None:
        """Queue one mono frame of an item's audio for playback."""
        ...

    def end_item(self, item_id: str, *, content_index: int = 0) -> None:
        """No more audio will come for the item."""
        ...

    def flush(self) -> list[PlaybackPosition]:
        """Barge-in: drop unplayed audio; report what each affected item lost."""
        ...


@dataclass(frozen=True, slots=True)
class PlayOp:
    """One step for the player: audio for an item, or the end of an item's audio."""

    kind: Literal["audio", "end"]
    item_id: str
    content_index: int
    frame: PCMFrame | None = None


class OutputConverter:
    """Wire audio of one item → PCM16 mono frames at the app's rate."""

    __slots__ = ("_law", "_out_rate", "_resampler", "_wire_rate")

    def __init__(self, wire_format: str, out_rate: int) -> None:
        self._wire_rate = WIRE_RATES[wire_format]
        self._law = {"pcmu": "ulaw", "pcma": "alaw"}.get(wire_format)
        self._out_rate = out_rate
        self._resampler = (
            Resampler(self._wire_rate, out_rate) if out_rate != self._wire_rate else None
        )

    def convert(self, data: bytes) -> PCMFrame:
        """Convert one delta's bytes (may return an empty frame while the resampler fills)."""
        if self._law == "ulaw":
            frame = PCMFrame(decode_ulaw(data), self._wire_rate)
        elif self._law == "alaw":
            frame = PCMFrame(decode_alaw(data), self._wire_rate)
        else:
            frame = PCMFrame.from_bytes(data, self._wire_rate)
        return frame if self._resampler is None else self._resampler.process(frame)

    def finish(self) -> PCMFrame | None:
        """The resampler's tail at the end of the item (None when there is none)."""
        if self._resampler is None:
            return None
        tail = self._resampler.flush()
        return tail if tail.num_samples else None


class InputConverter:
    """The app's audio (any rate; bytes at ``in_rate``) → the session's wire format."""

    def __init__(self, wire_format: str, in_rate: int) -> None:
        if in_rate <= 0:
            raise AudioError(f"input rate must be positive, got {in_rate}")
        # PCM16 bytes already at the wire rate need no conversion at all.
        self._passthrough = wire_format == "pcm16" and in_rate == API_RATE
        self._wire_format = wire_format
        self._wire_rate = WIRE_RATES[wire_format]
        self._in_rate = in_rate
        self._resampler: Resampler | None = None
        self._from_rate: int | None = None

    @property
    def wire_rate(self) -> int:
        """Samples per second on the wire."""
        return self._wire_rate

    def convert(self, audio: PCMFrame | bytes | bytearray | memoryview | np.ndarray) -> bytes:
        """Convert one chunk; the resampler keeps state across calls (no boundary clicks)."""
        if self._passthrough and isinstance(audio, bytes):
            if len(audio) % 2:
                raise AudioError(f"PCM16 audio needs an even number of bytes, got {len(audio)}")
            return audio
        frame = _as_frame(audio, self._in_rate)
        if frame.channels != 1:
            frame = frame.to_mono()
        if frame.rate != self._wire_rate:
            if self._resampler is None or self._from_rate != frame.rate:
                self._resampler = Resampler(frame.rate, self._wire_rate)
                self._from_rate = frame.rate
            frame = self._resampler.process(frame)
        if self._wire_format == "pcmu":
            return encode_ulaw(frame)
        if self._wire_format == "pcma":
            return encode_alaw(frame)
        return frame.to_bytes()

    def flush(self) -> bytes:
        """The resampler's tail (at the end of a turn), in the wire format."""
        if self._resampler is None:
            return b""
        tail = self._resampler.flush()
        self._resampler = None
        if not tail.num_samples:
            return b""
        if self._wire_format == "pcmu":
            return encode_ulaw(tail)
        if self._wire_format == "pcma":
            return encode_alaw(tail)
        return tail.to_bytes()


def _as_frame(audio: PCMFrame | bytes | bytearray | memoryview | np.ndarray, rate: int) -> PCMFrame:
    if isinstance(audio, PCMFrame):
        return audio
    if isinstance(audio, np.ndarray):
        if audio.dtype != np.int16:
            raise AudioError(f"audio arrays must be int16 PCM, got {audio.dtype}")
        return PCMFrame.from_array(audio, rate)
    if isinstance(audio, (bytes, bytearray, memoryview)):
        if len(audio) % 2:
            raise AudioError(f"PCM16 audio needs an even number of bytes, got {len(audio)}")
        return PCMFrame.from_bytes(bytes(audio), rate)
    raise AudioError(f"audio must be PCMFrame, bytes or an int16 array, not {type(audio).__name__}")


class AppPlayback:
    """The default sink: frames for ``conversation.audio()``, and a clock of what was heard.

    Args:
        rate: the app's output rate.
        mode: ``"wall_clock"`` assumes each frame plays in real time from the moment it is
            handed out (positions flagged ``estimated``); ``"reported"`` counts only what the app
            reports with :meth:`played` (exact).
        max_buffer_s: audio kept for a slow (or absent) reader before the oldest is dropped
            (counted in :attr:`dropped_ms`, warned once).
        now: monotonic seconds (for the wall clock).
    """

    def __init__(
        self,
        rate: int,
        *,
        mode: Literal["wall_clock", "reported"] = "wall_clock",
        max_buffer_s: float = 120.0,
        now: Callable[[], float] | None = None,
    ) -> None:
        if mode == "wall_clock":
            self._clock = (
                PlaybackClock.wall_clock(rate, now=now)
                if now is not None
                else PlaybackClock.wall_clock(rate)
            )
        elif mode == "reported":
            self._clock = PlaybackClock(rate, source="device")
        else:
            raise AudioError(f"playback mode must be 'wall_clock' or 'reported', not {mode!r}")
        self._rate = rate
        self._frames: deque[tuple[PCMFrame, str, int]] = deque()
        self._buffered = 0
        self._limit = int(max_buffer_s * rate)
        self._dropped = 0
        self._warned = False
        self._waiter: anyio.Event | None = None
        self._closed = False

    @property
    def clock(self) -> PlaybackClock:
        """The clock (wall clock, or fed by :meth:`played`)."""
        return self._clock

    @property
    def dropped_ms(self) -> float:
        """Audio dropped because nobody read it in time."""
        return self._dropped * 1000 / self._rate

    async def play(self, frame: PCMFrame, item_id: str, *, content_index: int = 0) -> None:
        """Hand a frame to the reader (never waits)."""
        self.offer(frame, item_id, content_index)

    def offer(self, frame: PCMFrame, item_id: str, content_index: int = 0) -> bool:
        """:meth:`play` without waiting (it never needs to): always True."""
        self._clock.received(item_id, frame, content_index=content_index)
        self._frames.append((frame, item_id, content_index))
        self._buffered += frame.num_samples
        while self._buffered > self._limit and self._frames:
            old, _, _ = self._frames.popleft()
            self._buffered -= old.num_samples
            self._dropped += old.num_samples
            if not self._warned:
                self._warned = True
                _log.warning(
                    "assistant audio is not being read (conversation.audio()); dropping the oldest"
                    " beyond %.0f s (pass audio_output=False if you do not want audio)",
                    self._limit / self._rate,
                )
        self._wake()
        return True

    def end_item(self, item_id: str, *, content_index: int = 0) -> None:
        """No more audio for the item."""
        self._clock.end_item(item_id, content_index=content_index)

    def flush(self) -> list[PlaybackPosition]:
        """Barge-in: drop unread frames and report what was heard."""
        self._frames.clear()
        self._buffered = 0
        return self._clock.flush()

    def played(self, samples: int | PCMFrame) -> int:
        """``reported`` mode: the app played ``samples`` (in order). Returns how many counted."""
        return self._clock.advance(samples)

    def close(self) -> None:
        """No more audio will come; readers finish once the buffer is empty."""
        self._closed = True
        self._wake()

    async def next_frame(self) -> tuple[PCMFrame, str, int] | None:
        """The next unread frame, waiting for one; None once closed and empty."""
        while not self._frames:
            if self._closed:
                return None
            waiter = self._waiter = anyio.Event()
            await waiter.wait()
        frame = self._frames.popleft()
        self._buffered -= frame[0].num_samples
        return frame

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            waiter.set()
