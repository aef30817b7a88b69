"""Input side of the transcriber: audio sources, normalisation to the wire format, and the
ledger of audio and commits that makes a reconnect lossless.

Imports: the standard library, :mod:`realtime_kit.audio`, :mod:`realtime_kit.errors`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Literal

from realtime_kit.audio import API_RATE, PCMFrame, Resampler, wav_frames
from realtime_kit.audio.g711 import TelephonyEncoder
from realtime_kit.errors import AudioError, ConfigurationError

__all__ = [
    "AudioChunk",
    "InputFormat",
    "Ledger",
    "Normalizer",
    "microphone_source",
    "wav_source",
]

AudioChunk = PCMFrame | bytes | bytearray | memoryview
"""What an audio source may yield: frames at any rate and channel count, or PCM16 bytes."""

InputFormat = Literal["pcm16", "pcmu", "pcma"]

_WIRE: dict[str, dict[str, object]] = {
    "pcm16": {"type": "audio/pcm", "rate": API_RATE},
    "pcmu": {"type": "audio/pcmu"},
    "pcma": {"type": "audio/pcma"},
}


def wire_format(fmt: InputFormat) -> dict[str, object]:
    """The ``audio.input.format`` object for ``fmt``."""
    try:
        return dict(_WIRE[fmt])
    except KeyError:
        raise ConfigurationError(
            f"input_format must be one of {', '.join(_WIRE)}, not {fmt!r}"
        ) from None


def bytes_per_ms(fmt: InputFormat) -> int:
    """Wire bytes per millisecond: PCM16 at 24 kHz is 48, G.711 at 8 kHz is 8."""
    return 48 if fmt == "pcm16" else 8


class Normalizer:
    """Turns whatever the source yields into PCM16 mono 24 kHz (for the VAD) and wire bytes.

    Args:
        fmt: the session's input format.
        rate, channels: how to read ``bytes`` chunks (frames carry their own).
    """

    def __init__(self, fmt: InputFormat, *, rate: int = API_RATE, channels: int = 1) -> None:
        self._fmt = fmt
        self._rate = rate
        self._channels = channels
        self._resampler: Resampler | None = None
        self._in_rate: int | None = None
        self._encoder = (
            TelephonyEncoder("ulaw" if fmt == "pcmu" else "alaw") if fmt != "pcm16" else None
        )

    def _frame(self, chunk: AudioChunk) -> PCMFrame:
        if isinstance(chunk, PCMFrame):
            return chunk
        if isinstance(chunk, bytes | bytearray | memoryview):
            return PCMFrame.from_bytes(bytes(chunk), self._rate, self._channels)
        raise AudioError(
            f"audio sources must yield PCMFrame or PCM16 bytes, not {type(chunk).__name__}"
        )

    def push(self, chunk: AudioChunk) -> tuple[PCMFrame, bytes]:
        """One chunk in; (24 kHz mono frame, wire bytes) out (either may be empty)."""
        frame = self.to_api(chunk)
        return frame, self._wire(frame)

    def to_api(self, chunk: AudioChunk) -> PCMFrame:
        """One chunk in; its PCM16 24 kHz mono frame out (may be empty), no wire bytes."""
        frame = self._frame(chunk).to_mono()
        if self._in_rate is None:
            self._in_rate = frame.rate
            self._resampler = Resampler(frame.rate, API_RATE) if frame.rate != API_RATE else None
        elif frame.rate != self._in_rate:
            raise AudioError(
                f"the audio rate changed mid-stream ({self._in_rate} Hz, then {frame.rate} Hz)"
            )
        if self._resampler is not None:
            frame = self._resampler.process(frame)
        return frame

    def flush(self) -> tuple[PCMFrame, bytes]:
        """End of input: whatever the resampler and encoder still hold."""
        frame = self._resampler.flush() if self._resampler is not None else PCMFrame.silence(0)
        wire = self._wire(frame)
        if self._encoder is not None:
            wire += self._encoder.flush()
        return frame, wire

    def _wire(self, frame: PCMFrame) -> bytes:
        if self._encoder is None:
            return frame.to_bytes()
        return self._encoder.encode(frame) if frame.num_samples else b""


@dataclass(frozen=True, slots=True)
class Action:
    """Something to do once the audio up to ``at`` (wire bytes from the stream start) is sent."""

    at: int
    kind: Literal["commit", "clear", "sync"]
    speech_start_ms: float = 0.0
    speech_end_ms: float = 0.0


class Ledger:
    """Wire audio kept since the earliest point a reconnect may need, plus the commit plan.

    Positions are wire-byte offsets from the start of the stream (``ms = pos / bpm``).
    """

    def __init__(self, bpm: int) -> None:
        self.bpm = bpm
        self._base = 0
        self._data = bytearray()
        self.actions: list[Action] = []
        self.done = False

    @property
    def end(self) -> int:
        return self._base + len(self._data)

    @property
    def base(self) -> int:
        return self._base

    def append(self, wire: bytes) -> None:
        self._data += wire

    def slice(self, start: int, stop: int) -> bytes:
        if start < self._base:
            raise AudioError(
                f"audio from byte {start} was already released (kept from {self._base})"
            )
        return bytes(self._data[start - self._base : stop - self._base])

    def release(self, before: int) -> None:
        """Forget audio before ``before`` (nothing can need it any more)."""
        cut = min(max(0, before - self._base), len(self._data))
        # Even the byte offset keeps PCM16 samples whole.
        cut -= cut % 2
        if cut:
            del self._data[:cut]
            self._base += cut

    def ms(self, pos: int) -> float:
        return pos / self.bpm

    def pos(self, ms: float) -> int:
        p = round(ms * self.bpm)
        return p - p % 2 if self.bpm == 48 else p


async def wav_source(
    path: str | os.PathLike[str], *, realtime: bool = False, frame_ms: float = 20
) -> AsyncIterator[PCMFrame]:
    """Frames of a WAV file (any rate, any channels), paced in real time or as fast as taken."""
    async for frame in wav_frames(path, frame_ms=frame_ms, realtime=realtime, mono=True):
        yield frame


async def microphone_source(**options: object) -> AsyncIterator[PCMFrame]:
    """Frames from the default microphone (the ``audio`` extra); options go to ``Microphone``."""
    from realtime_kit.audio import Microphone

    async with Microphone(**options) as mic:  # type: ignore[arg-type]
        async for frame in mic:
            yield frame


async def iterate(source: AsyncIterable[AudioChunk]) -> AsyncIterator[AudioChunk]:
    """``source`` as an iterator, checking what it is early for a clear error."""
    if not isinstance(source, AsyncIterable):
        raise ConfigurationError(
            "audio must be an async iterable of PCMFrame or bytes (use wav_source(path) for files)"
        )
    async for chunk in source:
        yield chunk
