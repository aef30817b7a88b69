"""Streaming sample-rate conversion on libsoxr.

:class:`Resampler` keeps the filter state between chunks (``soxr.ResampleStream``), so audio cut
into 20 ms pieces comes out identical to audio converted in one go: no clicks at the joins.
libsoxr aligns its output in time (no group delay to compensate) but holds some input back
until enough of the future has arrived; that hold-back is the resampler's latency.
:attr:`Resampler.pending_ms` says how much is held right now and
:attr:`Resampler.latency_ms` the worst case for 20 ms input chunks, measured once per
configuration. :meth:`Resampler.flush` hands out the held tail at the end of a stream.

Imports: numpy, soxr, :mod:`realtime_kit.audio.frame`, :mod:`realtime_kit.errors`.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import Literal, TypeAlias

import numpy as np
import soxr

from realtime_kit.audio.frame import API_RATE, PCMFrame
from realtime_kit.errors import AudioError

__all__ = [
    "COMMON_RATES",
    "Quality",
    "Resampler",
    "measure_latency_ms",
    "resample",
]

Quality: TypeAlias = Literal["QQ", "LQ", "MQ", "HQ", "VHQ"]
"""libsoxr quality presets: quick, low, medium, high (default), very high."""

COMMON_RATES: tuple[int, ...] = (8_000, 16_000, 22_050, 24_000, 44_100, 48_000)
"""Rates the test suite proves against 24 kHz in both directions; any rate 1..768,000 Hz works."""

_QUALITIES = ("QQ", "LQ", "MQ", "HQ", "VHQ")
_TO_FLOAT = np.float32(1 / 32768)
_TO_INT = np.float32(32768)


class Resampler:
    """A stateful PCM16 rate converter for one continuous stream.

    Push chunks in order with :meth:`process`; call :meth:`flush` at the end of the stream to
    get the tail (the stream may be reused afterwards). :meth:`reset` drops held audio, for a
    barge-in. Every chunk must have the channel count given here. When ``in_rate == out_rate``
    audio passes through untouched with zero latency.

    Args:
        in_rate: rate of the audio pushed in.
        out_rate: rate of the audio handed out (default 24 kHz, the API's rate).
        channels: interleaved channel count (unchanged by resampling).
        quality: libsoxr preset. ``"HQ"`` is transparent for speech; ``"QQ"`` has almost no
            latency but audible aliasing.
    """

    __slots__ = (
        "_channels",
        "_consumed",
        "_in_rate",
        "_out_rate",
        "_produced",
        "_quality",
        "_ratio",
        "_stream",
    )

    def __init__(
        self,
        in_rate: int,
        out_rate: int = API_RATE,
        *,
        channels: int = 1,
        quality: Quality = "HQ",
    ) -> None:
        for name, rate in (("in_rate", in_rate), ("out_rate", out_rate)):
            if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= 768_000:
                raise AudioError(f"{name} must be an integer in 1..768000 Hz, got {rate!r}")
        if quality not in _QUALITIES:
            raise AudioError(f"quality must be one of {', '.join(_QUALITIES)}, got {quality!r}")
        if isinstance(channels, bool) or not isinstance(channels, int) or not 1 <= channels <= 64:
            raise AudioError(f"channel count must be an integer in 1..64, got {channels!r}")
        self._in_rate = in_rate
        self._out_rate = out_rate
        self._channels = channels
        self._quality: Quality = quality
        self._ratio = Fraction(out_rate, in_rate)
        self._stream: soxr.ResampleStream | None = (
            None
            if in_rate == out_rate
            # float32 inside: libsoxr dithers int16 output, which would turn digital silence
            # into ±1 LSB noise; rounding ourselves keeps silence silent and output exact.
            else soxr.ResampleStream(in_rate, out_rate, channels, dtype="float32", quality=quality)
        )
        self._consumed = 0  # input samples per channel since the last flush/reset
        self._produced = 0  # output samples per channel since the last flush/reset

    @property
    def in_rate(self) -> int:
        """Input rate in Hz."""
        return self._in_rate

    @property
    def out_rate(self) -> int:
        """Output rate in Hz."""
        return self._out_rate

    @property
    def channels(self) -> int:
        """Interleaved channel count."""
        return self._channels

    @property
    def quality(self) -> Quality:
        """libsoxr quality preset."""
        return self._quality

    @property
    def pending_ms(self) -> float:
        """Milliseconds of pushed audio not yet handed out (held inside libsoxr)."""
        owed = self._consumed * self._ratio - self._produced
        return max(0.0, float(owed) * 1000 / self._out_rate)

    @property
    def latency_ms(self) -> float:
        """Worst-case hold-back in ms when fed 20 ms chunks (0 for a pass-through)."""
        if self._stream is None:
            return 0.0
        return measure_latency_ms(self._in_rate, self._out_rate, self._quality)

    def __repr__(self) -> str:
        return (
            f"Resampler({self._in_rate} -> {self._out_rate} Hz, channels={self._channels}, "
            f"quality={self._quality!r})"
        )

    def process(self, frame: PCMFrame) -> PCMFrame:
        """Convert one chunk; the result may be shorter (or empty) while libsoxr fills up."""
        if frame.rate != self._in_rate or frame.channels != self._channels:
            raise AudioError(
                f"resampler expects {self._in_rate} Hz/{self._channels} ch, got "
                f"{frame.rate} Hz/{frame.channels} ch"
            )
        if self._stream is None:
            return frame
        out = self._run(frame.as_2d(), last=False)
        self._consumed += frame.num_samples
        return out

    def process_bytes(self, data: bytes | bytearray | memoryview) -> bytes:
        """Convert raw PCM16 bytes at ``in_rate``; return PCM16 bytes at ``out_rate``."""
        return self.process(PCMFrame.from_bytes(data, self._in_rate, self._channels)).to_bytes()

    def flush(self) -> PCMFrame:
        """End the stream: return the held tail and make the resampler ready for a new stream.

        After a flush the total output of the stream is ``round(total_input * ratio)`` samples.
        """
        if self._stream is None:
            return self._empty()
        empty = np.zeros((0, self._channels), np.float32)
        tail = self._run(empty, last=True)
        self._stream.clear()
        self._consumed = self._produced = 0
        return tail

    def reset(self) -> float:
        """Drop held audio (barge-in); return how many ms were dropped."""
        dropped = self.pending_ms
        if self._stream is not None:
            self._stream.clear()
        self._consumed = self._produced = 0
        return dropped

    def _empty(self) -> PCMFrame:
        return PCMFrame(np.zeros(0, np.int16), self._out_rate, self._channels)

    def _run(self, block: np.ndarray, *, last: bool) -> PCMFrame:
        assert self._stream is not None
        data = block.astype(np.float32)
        data *= _TO_FLOAT
        try:
            out = self._stream.resample_chunk(data, last=last)
        except (RuntimeError, ValueError) as exc:
            raise AudioError(f"libsoxr failed: {exc}") from exc
        out *= _TO_INT
        np.rint(out, out=out)
        np.clip(out, -32768, 32767, out=out)
        self._produced += out.shape[0]
        return PCMFrame(out.astype(np.int16).reshape(-1), self._out_rate, self._channels)


@functools.lru_cache(maxsize=64)
def measure_latency_ms(in_rate: int, out_rate: int, quality: Quality = "HQ") -> float:
    """Measure the worst hold-back (ms) of a fresh stream fed 20 ms chunks for one second.

    libsoxr works in blocks, so output comes in bursts and the hold-back swings between a few
    ms and this maximum; the figure is cached per configuration. Rates whose 20 ms is not a
    whole number of samples are fed ``round(rate / 50)``-sample chunks.
    """
    if in_rate == out_rate:
        return 0.0
    probe = soxr.ResampleStream(in_rate, out_rate, 1, dtype="float32", quality=quality)
    chunk = np.zeros(max(1, round(in_rate / 50)), np.float32)
    ratio = Fraction(out_rate, in_rate)
    consumed = produced = 0
    worst = Fraction(0)
    for _ in range(60):
        produced += probe.resample_chunk(chunk).shape[0]
        consumed += chunk.shape[0]
        worst = max(worst, consumed * ratio - produced)
    return float(worst) * 1000 / out_rate


def resample(frame: PCMFrame, out_rate: int, *, quality: Quality = "HQ") -> PCMFrame:
    """Convert a whole clip in one call (no state kept); the output is not delayed."""
    if frame.rate == out_rate:
        return frame
    r = Resampler(frame.rate, out_rate, channels=frame.channels, quality=quality)
    head = r.process(frame)
    return PCMFrame.concat([head, r.flush()])
