"""PCM16 frames: signed 16-bit little-endian samples with a rate and a channel count.

:class:`PCMFrame` is the one audio container of the package. It wraps a one-dimensional
``numpy.int16`` array of interleaved samples and never copies unless a conversion needs one:
``PCMFrame.from_bytes`` views the caller's buffer, slicing and chunking return views, and
``to_bytes`` is the single copy needed to hand audio to a socket. :class:`Rechunker` turns
audio arriving in arbitrary sizes into frames of exactly N milliseconds.

Imports: numpy and :mod:`realtime_kit.errors` only.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from realtime_kit.errors import AudioError

__all__ = [
    "API_RATE",
    "Int16Array",
    "PCMFrame",
    "Rechunker",
    "ms_to_samples",
    "samples_to_ms",
]

Int16Array: TypeAlias = npt.NDArray[np.int16]
"""A numpy array of signed 16-bit samples."""

API_RATE = 24_000
"""The only PCM rate the Realtime API speaks (``audio/pcm``, 24 kHz mono)."""

_MAX_RATE = 768_000
_LITTLE = sys.byteorder == "little"
_LE_INT16 = np.dtype("<i2")


def _check_rate(rate: int) -> int:
    if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= _MAX_RATE:
        raise AudioError(f"sample rate must be an integer in 1..{_MAX_RATE} Hz, got {rate!r}")
    return rate


def _check_channels(channels: int) -> int:
    if isinstance(channels, bool) or not isinstance(channels, int) or not 1 <= channels <= 64:
        raise AudioError(f"channel count must be an integer in 1..64, got {channels!r}")
    return channels


def ms_to_samples(ms: float, rate: int) -> int:
    """Return how many samples (per channel) ``ms`` milliseconds hold at ``rate``.

    Raises :class:`~realtime_kit.errors.AudioError` when the duration is not a whole number of
    samples (for example 10 ms at 22,050 Hz is 220.5 samples), because rounding silently would
    make frame boundaries drift.
    """
    _check_rate(rate)
    if ms < 0:
        raise AudioError(f"duration must not be negative, got {ms} ms")
    exact = ms * rate / 1000
    n = round(exact)
    if abs(exact - n) > 1e-9:
        raise AudioError(f"{ms} ms at {rate} Hz is {exact} samples, not a whole number")
    return n


def samples_to_ms(samples: int, rate: int) -> float:
    """Return the duration in milliseconds of ``samples`` samples (per channel) at ``rate``."""
    return samples * 1000 / _check_rate(rate)


class PCMFrame:
    """A block of PCM16 audio: interleaved ``int16`` samples, a sample rate and a channel count.

    Build one with :meth:`from_bytes`, :meth:`from_array`, :meth:`from_float` or :meth:`silence`.
    The samples are available as :attr:`samples` (1-D, interleaved) and :meth:`as_2d`
    (``(frames, channels)`` view). Frames compare equal when rate, channels and samples match.

    A frame built from an immutable buffer (``bytes``) is read-only; that is what lets it share
    memory with the buffer instead of copying.
    """

    __slots__ = ("_channels", "_rate", "_samples")

    def __init__(self, samples: Int16Array, rate: int = API_RATE, channels: int = 1) -> None:
        """Wrap an ``int16`` array of interleaved samples (no copy).

        Args:
            samples: 1-D ``int16`` array (or 2-D ``(frames, channels)``, C-contiguous).
            rate: samples per second per channel.
            channels: interleaved channel count.
        """
        _check_rate(rate)
        _check_channels(channels)
        if not isinstance(samples, np.ndarray) or samples.dtype != np.int16:
            raise AudioError("PCMFrame samples must be a numpy int16 array; use from_array()")
        if samples.ndim == 2:
            if samples.shape[1] != channels:
                raise AudioError(
                    f"array has {samples.shape[1]} columns but channels={channels} was given"
                )
            samples = samples.reshape(-1)
        elif samples.ndim != 1:
            raise AudioError(f"PCMFrame samples must be 1-D or 2-D, got {samples.ndim}-D")
        if samples.shape[0] % channels:
            raise AudioError(
                f"{samples.shape[0]} samples do not divide into {channels} interleaved channels"
            )
        self._samples = samples
        self._rate = rate
        self._channels = channels

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_bytes(
        cls, data: bytes | bytearray | memoryview, rate: int = API_RATE, channels: int = 1
    ) -> PCMFrame:
        """View little-endian PCM16 bytes as a frame, without copying on little-endian hosts."""
        nbytes = memoryview(data).nbytes
        if nbytes % (2 * channels):
            raise AudioError(
                f"{nbytes} bytes is not a whole number of {channels}-channel PCM16 samples"
            )
        arr = np.frombuffer(data, dtype=_LE_INT16)
        if not _LITTLE:
            arr = arr.astype(np.int16)
        return cls(arr.view(np.int16), rate, channels)

    @classmethod
    def from_array(
        cls, array: npt.ArrayLike, rate: int = API_RATE, channels: int | None = None
    ) -> PCMFrame:
        """Build a frame from an array.

        ``int16`` input is used as is (no copy when contiguous). Floating-point input is read as
        full scale ±1.0 and converted with :meth:`from_float`. Other integer types must already
        lie in the int16 range. A 2-D array is ``(frames, channels)``; ``channels`` defaults to
        its column count, or 1 for a 1-D array.
        """
        arr = np.asarray(array)
        if arr.ndim == 2:
            if channels is None:
                channels = int(arr.shape[1])
        elif arr.ndim != 1:
            raise AudioError(f"audio arrays must be 1-D or 2-D, got {arr.ndim}-D")
        if channels is None:
            channels = 1
        if arr.dtype.kind == "f":
            return cls.from_float(arr, rate, channels)
        if arr.dtype.kind not in "iu":
            raise AudioError(f"cannot read audio from an array of dtype {arr.dtype}")
        if arr.dtype != np.int16:
            if arr.size and (arr.min() < -32768 or arr.max() > 32767):
                raise AudioError(f"{arr.dtype} samples outside the int16 range")
            arr = arr.astype(np.int16)
        return cls(np.ascontiguousarray(arr), rate, channels)

    @classmethod
    def from_float(cls, array: npt.ArrayLike, rate: int = API_RATE, channels: int = 1) -> PCMFrame:
        """Convert float samples (full scale ±1.0) to PCM16, rounding and clipping."""
        arr = np.asarray(array, dtype=np.float32)
        if arr.size and not np.isfinite(arr).all():
            raise AudioError("float audio contains NaN or infinity")
        scaled = np.rint(arr * 32768.0)
        np.clip(scaled, -32768, 32767, out=scaled)
        return cls(np.ascontiguousarray(scaled.astype(np.int16).reshape(-1)), rate, channels)

    @classmethod
    def silence(cls, ms: float, rate: int = API_RATE, channels: int = 1) -> PCMFrame:
        """Return ``ms`` milliseconds of digital silence."""
        return cls(np.zeros(ms_to_samples(ms, rate) * channels, np.int16), rate, channels)

    @classmethod
    def concat(cls, frames: Iterable[PCMFrame]) -> PCMFrame:
        """Join frames that share rate and channel count (one copy)."""
        items = list(frames)
        if not items:
            raise AudioError("cannot concatenate zero frames: rate and channels are unknown")
        first = items[0]
        for f in items[1:]:
            first._require_same_format(f)
        if len(items) == 1:
            return first
        return cls(np.concatenate([f._samples for f in items]), first._rate, first._channels)

    # -- properties --------------------------------------------------------------------------

    @property
    def samples(self) -> Int16Array:
        """The interleaved ``int16`` samples (a view; writable only if the source was)."""
        return self._samples

    @property
    def rate(self) -> int:
        """Samples per second per channel."""
        return self._rate

    @property
    def channels(self) -> int:
        """Interleaved channel count."""
        return self._channels

    @property
    def num_samples(self) -> int:
        """Samples per channel."""
        return int(self._samples.shape[0]) // self._channels

    @property
    def duration_ms(self) -> float:
        """Duration in milliseconds."""
        return self.num_samples * 1000 / self._rate

    @property
    def nbytes(self) -> int:
        """Size of the PCM16 payload in bytes."""
        return int(self._samples.nbytes)

    def __len__(self) -> int:
        return self.num_samples

    def __repr__(self) -> str:
        return (
            f"PCMFrame(rate={self._rate}, channels={self._channels}, "
            f"samples={self.num_samples}, ms={self.duration_ms:g})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PCMFrame):
            return NotImplemented
        return (
            self._rate == other._rate
            and self._channels == other._channels
            and np.array_equal(self._samples, other._samples)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable buffer inside: not hashable

    # -- conversion --------------------------------------------------------------------------

    def as_2d(self) -> Int16Array:
        """The samples as a ``(frames, channels)`` view."""
        return self._samples.reshape(-1, self._channels)

    def to_bytes(self) -> bytes:
        """Little-endian PCM16 bytes (one copy)."""
        if _LITTLE:
            return self._samples.tobytes()
        return self._samples.astype(_LE_INT16).tobytes()

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    def to_float32(self) -> npt.NDArray[np.float32]:
        """Samples as ``float32`` in [-1.0, 1.0), interleaved (a new array)."""
        out = self._samples.astype(np.float32)
        out *= np.float32(1 / 32768)
        return out

    def to_mono(self) -> PCMFrame:
        """Average the channels into one (the frame itself when already mono).

        The mean is computed in int32 and rounded half away from zero, so a stereo pair of equal
        channels comes back unchanged.
        """
        if self._channels == 1:
            return self
        wide = self.as_2d().astype(np.int32)
        total = wide.sum(axis=1)
        n = self._channels
        mean = np.where(total >= 0, (total + n // 2) // n, -((-total + n // 2) // n))
        return PCMFrame(mean.astype(np.int16), self._rate, 1)

    def with_rate(self, rate: int) -> PCMFrame:
        """The same samples labelled with another rate (no resampling; see ``Resampler``)."""
        return PCMFrame(self._samples, rate, self._channels)

    # -- slicing and chunking ----------------------------------------------------------------

    def slice_samples(self, start: int, stop: int | None = None) -> PCMFrame:
        """Samples ``start:stop`` (per channel) as a view."""
        n = self.num_samples
        stop = n if stop is None else stop
        if not 0 <= start <= stop <= n:
            raise AudioError(f"sample range {start}:{stop} outside 0:{n}")
        c = self._channels
        return PCMFrame(self._samples[start * c : stop * c], self._rate, c)

    def slice_ms(self, start_ms: float, stop_ms: float | None = None) -> PCMFrame:
        """Milliseconds ``start_ms:stop_ms`` as a view (bounds must fall on whole samples)."""
        start = ms_to_samples(start_ms, self._rate)
        stop = None if stop_ms is None else ms_to_samples(stop_ms, self._rate)
        return self.slice_samples(start, stop)

    def chunks(
        self, ms: float, *, remainder: Literal["keep", "pad", "error"] = "keep"
    ) -> Iterator[PCMFrame]:
        """Split into consecutive views of exactly ``ms`` milliseconds.

        ``remainder`` says what happens to a shorter tail: ``"keep"`` yields it as is,
        ``"pad"`` fills it with silence to full length, ``"error"`` raises
        :class:`~realtime_kit.errors.AudioError` before anything is yielded.
        """
        size = ms_to_samples(ms, self._rate)
        if size == 0:
            raise AudioError("chunk duration must be at least one sample")
        n = self.num_samples
        tail = n % size
        if tail and remainder == "error":
            raise AudioError(f"{n} samples is not a whole number of {ms} ms chunks")
        for start in range(0, n - tail, size):
            yield self.slice_samples(start, start + size)
        if tail:
            last = self.slice_samples(n - tail)
            if remainder == "pad":
                padding = np.zeros((size - tail) * self._channels, np.int16)
                last = PCMFrame(
                    np.concatenate([last._samples, padding]), self._rate, self._channels
                )
            yield last

    def _require_same_format(self, other: PCMFrame) -> None:
        if other._rate != self._rate or other._channels != self._channels:
            raise AudioError(
                f"format mismatch: {other._rate} Hz/{other._channels} ch "
                f"vs {self._rate} Hz/{self._channels} ch"
            )


class Rechunker:
    """Collect audio of any size and hand it out in frames of exactly ``ms`` milliseconds.

    Feed frames (or raw PCM16 bytes) with :meth:`push`, which returns the complete frames now
    available; :meth:`flush` returns what is left (shorter, or padded with silence). Nothing is
    dropped: the concatenation of everything returned equals everything pushed.
    """

    __slots__ = ("_buf", "_channels", "_fill", "_rate", "_size")

    def __init__(self, ms: float, rate: int = API_RATE, channels: int = 1) -> None:
        self._rate = _check_rate(rate)
        self._channels = _check_channels(channels)
        self._size = ms_to_samples(ms, rate)
        if self._size == 0:
            raise AudioError("chunk duration must be at least one sample")
        self._buf = np.empty(self._size * channels, np.int16)
        self._fill = 0

    @property
    def buffered_samples(self) -> int:
        """Samples per channel waiting for a full frame."""
        return self._fill // self._channels

    def push(self, audio: PCMFrame | bytes | bytearray | memoryview) -> list[PCMFrame]:
        """Add audio; return every complete frame (each a fresh array, safe to keep)."""
        if isinstance(audio, PCMFrame):
            if audio.rate != self._rate or audio.channels != self._channels:
                raise AudioError(
                    f"rechunker expects {self._rate} Hz/{self._channels} ch, got "
                    f"{audio.rate} Hz/{audio.channels} ch"
                )
            data = audio.samples
        else:
            data = PCMFrame.from_bytes(audio, self._rate, self._channels).samples
        out: list[PCMFrame] = []
        width = self._buf.shape[0]
        pos = 0
        total = data.shape[0]
        if self._fill:
            take = min(width - self._fill, total)
            self._buf[self._fill : self._fill + take] = data[:take]
            self._fill += take
            pos = take
            if self._fill < width:
                return out
            out.append(PCMFrame(self._buf.copy(), self._rate, self._channels))
            self._fill = 0
        while total - pos >= width:
            out.append(PCMFrame(data[pos : pos + width].copy(), self._rate, self._channels))
            pos += width
        rest = total - pos
        if rest:
            self._buf[:rest] = data[pos:]
            self._fill = rest
        return out

    def flush(self, *, pad: bool = False) -> PCMFrame | None:
        """Return the buffered tail (padded with silence to full size if ``pad``), or None."""
        if not self._fill:
            return None
        tail = self._buf[: self._fill].copy()
        if pad:
            tail = np.concatenate([tail, np.zeros(self._buf.shape[0] - self._fill, np.int16)])
        self._fill = 0
        return PCMFrame(tail, self._rate, self._channels)

    def clear(self) -> int:
        """Discard the buffered tail; return how many samples per channel were discarded."""
        dropped = self._fill // self._channels
        self._fill = 0
        return dropped
