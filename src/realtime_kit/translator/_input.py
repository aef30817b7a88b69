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

from realtime_kit.audio import API_RATE, PCMFrame
from realtime_kit.errors import AudioError
from realtime_kit.protocol.translation import BYTES_PER_MS, FRAME_BYTES
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
    """Chunks in, 200 ms frames of PCM16 24 kHz mono bytes out; nothing dropped, order kept.

    PCM16 bytes already at 24 kHz mono (what a capture at the API's rate gives) are only
    collected and cut, without building any array; anything else is converted first (downmix,
    streaming resampler).

    Args:
        rate, channels: how to read ``bytes`` and arrays (frames carry their own).
    """

    def __init__(self, *, rate: int = API_RATE, channels: int = 1) -> None:
        self.rate = rate
        self.channels = channels
        self._direct = rate == API_RATE and channels == 1
        self._normalizer = Normalizer("pcm16", rate=rate, channels=channels)
        self._rate_seen: int | None = None
        self._buffer = bytearray()
        self.input_ms = 0.0  # of the app's audio, at its own rate

    def _frame(self, audio: AudioInput) -> PCMFrame:
        if isinstance(audio, PCMFrame):
            return audio
        if isinstance(audio, bytes | bytearray | memoryview):
            return PCMFrame.from_bytes(bytes(audio), self.rate, self.channels)
        if isinstance(audio, np.ndarray):
            array: npt.NDArray[Any] = audio
            if array.ndim == 2:
                return PCMFrame.from_array(array, self.rate)
            return PCMFrame.from_array(array.reshape(-1), self.rate, self.channels)
        raise AudioError(
            f"audio must be a PCMFrame, PCM16 bytes or a numpy array, not {type(audio).__name__}"
        )

    def _note_rate(self, rate: int) -> None:
        if self._rate_seen is None:
            self._rate_seen = rate
        elif rate != self._rate_seen:
            raise AudioError(
                f"the audio rate changed mid-stream ({self._rate_seen} Hz, then {rate} Hz)"
            )

    def push(self, audio: AudioInput) -> list[bytes]:
        """Convert and collect ``audio``; return the complete 200 ms frames now available.

        Raises:
            AudioError: not audio, an odd number of bytes, or a rate change mid-stream.
        """
        if self._direct and isinstance(audio, bytes | bytearray | memoryview):
            size = memoryview(audio).nbytes
            if size % 2:
                raise AudioError(f"{size} bytes is not a whole number of PCM16 samples")
            self._note_rate(API_RATE)
            self.input_ms += size / BYTES_PER_MS
            self._buffer += audio
        else:
            frame = self._frame(audio)
            self._note_rate(frame.rate)
            self.input_ms += frame.duration_ms
            converted = self._normalizer.to_api(frame)
            if converted.num_samples:
                self._buffer += converted.samples.tobytes()
        return self._take()

    def _take(self) -> list[bytes]:
        buffer = self._buffer
        if len(buffer) < FRAME_BYTES:
            return []
        count = len(buffer) // FRAME_BYTES
        frames = [bytes(buffer[i * FRAME_BYTES : (i + 1) * FRAME_BYTES]) for i in range(count)]
        del buffer[: count * FRAME_BYTES]
        return frames

    def silence(self, ms: float) -> list[bytes]:
        """``ms`` of silence, in order after what was pushed (a stall)."""
        self._buffer += bytes(round(ms * BYTES_PER_MS) // 2 * 2)
        return self._take()

    def flush(self) -> tuple[list[bytes], float]:
        """End of input: the last frames, the final one padded to 200 ms; and the padding (ms)."""
        tail, _ = self._normalizer.flush()
        if tail.num_samples:
            self._buffer += tail.samples.tobytes()
        frames = self._take()
        held = len(self._buffer)
        if not held:
            return frames, 0.0
        last = bytes(self._buffer) + bytes(FRAME_BYTES - held)
        self._buffer.clear()
        return [*frames, last], (FRAME_BYTES - held) / BYTES_PER_MS
