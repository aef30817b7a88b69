"""Input side of the translator: what the app's audio may be, the clock stalls are measured on,
and the one resample-and-rechunk pipeline every language is fed from.

The translation engine wants continuous PCM16 24 kHz mono in 200 ms frames (PROTOCOL.md §5).
:class:`InputPipeline` turns any chunk (frames at any rate and channel count, PCM16 bytes,
``int16`` or float arrays) into exactly such frames, once, whatever the number of languages.

Imports: anyio, numpy, the standard library, ``audio``, ``errors`` and the transcriber's
normalizer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import anyio
import numpy as np

from realtime_kit.audio import API_RATE, PCMFrame, Rechunker
from realtime_kit.errors import AudioError
from realtime_kit.protocol.translation import FRAME_MS
from realtime_kit.transcriber._input import Normalizer

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["AudioInput", "InputPipeline", "PaceClock", "SystemClock"]

AudioInput = PCMFrame | bytes | bytearray | memoryview | Any
"""What :meth:`~realtime_kit.Translator.send_audio` takes: a :class:`PCMFrame` (any rate and
channels), PCM16 little-endian bytes at the translator's ``input_rate``/``input_channels``, or a
numpy array (``int16``, or float at full scale ±1.0) at that rate."""


class PaceClock(Protocol):
    """The clock a stalled source is measured against (seconds, monotonic)."""

    def now(self) -> float: ...

    async def sleep_until(self, deadline: float) -> None: ...


class SystemClock:
    """The event loop's clock."""

    def now(self) -> float:
        return anyio.current_time()

    async def sleep_until(self, deadline: float) -> None:
        await anyio.sleep_until(deadline)


class InputPipeline:
    """Chunks in, 200 ms frames of PCM16 24 kHz mono out; nothing dropped, order kept.

    Args:
        rate, channels: how to read ``bytes`` and arrays (frames carry their own).
    """

    def __init__(self, *, rate: int = API_RATE, channels: int = 1) -> None:
        self.rate = rate
        self.channels = channels
        self._normalizer = Normalizer("pcm16", rate=rate, channels=channels)
        self._rechunker = Rechunker(FRAME_MS, API_RATE)
        self.input_ms = 0.0  # of the app's audio, at its own rate

    def _frame(self, audio: AudioInput) -> PCMFrame | bytes | bytearray | memoryview:
        if isinstance(audio, PCMFrame | bytes | bytearray | memoryview):
            return audio
        if isinstance(audio, np.ndarray):
            array: npt.NDArray[Any] = audio
            if array.ndim == 2:
                return PCMFrame.from_array(array, self.rate)
            return PCMFrame.from_array(array.reshape(-1), self.rate, self.channels)
        raise AudioError(
            f"audio must be a PCMFrame, PCM16 bytes or a numpy array, not {type(audio).__name__}"
        )

    def push(self, audio: AudioInput) -> list[PCMFrame]:
        """Convert and collect ``audio``; return the complete 200 ms frames now available.

        Raises:
            AudioError: not audio, an odd number of bytes, or a rate change mid-stream.
        """
        chunk = self._frame(audio)
        if not isinstance(chunk, PCMFrame):
            chunk = PCMFrame.from_bytes(bytes(chunk), self.rate, self.channels)
        self.input_ms += chunk.duration_ms
        frame, _ = self._normalizer.push(chunk)
        return self._rechunker.push(frame) if frame.num_samples else []

    def silence(self, ms: float) -> list[PCMFrame]:
        """``ms`` of silence, in order after what was pushed (a stall)."""
        return self._rechunker.push(PCMFrame.silence(ms))

    def flush(self) -> tuple[list[PCMFrame], float]:
        """End of input: the last frames, the final one padded to 200 ms; and the padding (ms)."""
        tail, _ = self._normalizer.flush()
        frames = self._rechunker.push(tail) if tail.num_samples else []
        held = self._rechunker.buffered_samples
        last = self._rechunker.flush(pad=True)
        if last is None:
            return frames, 0.0
        return [*frames, last], FRAME_MS - held * 1000 / API_RATE
