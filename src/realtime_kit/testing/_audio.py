"""Small PCM16 helpers for the fake server: durations, resampling, G.711, tones.

G.711 is the audio toolkit's (``realtime_kit.audio.g711``); the one-shot resampler and tone helpers
are the server's own. Nothing outside ``testing/`` should import this module.

Imports: numpy, soxr, ``realtime_kit.audio``, the standard library.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import soxr

from realtime_kit.audio.g711 import decode_alaw, decode_ulaw, encode_alaw, encode_ulaw

__all__ = [
    "API_RATE",
    "BYTES_PER_MS",
    "alaw_decode",
    "alaw_encode",
    "bytes_per_ms_of",
    "bytes_to_ms",
    "from_pcm24",
    "ms_to_bytes",
    "resample",
    "silence",
    "to_pcm24",
    "tone",
    "ulaw_decode",
    "ulaw_encode",
]

API_RATE = 24_000
"""The Realtime API's PCM rate (Hz)."""

BYTES_PER_MS = API_RATE * 2 // 1000
"""PCM16 mono bytes per millisecond at 24 kHz (48)."""


def bytes_to_ms(n_bytes: int, *, bytes_per_ms: float = BYTES_PER_MS) -> float:
    """Duration in milliseconds of ``n_bytes`` of audio."""
    return n_bytes / bytes_per_ms


def ms_to_bytes(ms: float, *, bytes_per_ms: int = BYTES_PER_MS) -> int:
    """Whole-sample byte count for ``ms`` milliseconds of PCM16 (rounded down to a sample)."""
    n = int(ms * bytes_per_ms)
    return n - (n % 2) if bytes_per_ms % 2 == 0 else n


def silence(ms: float) -> bytes:
    """``ms`` milliseconds of PCM16 silence at 24 kHz."""
    return bytes(ms_to_bytes(ms))


def tone(ms: float, *, freq: float = 440.0, amplitude: float = 0.3, rate: int = API_RATE) -> bytes:
    """A sine tone as PCM16 bytes; loud enough for any VAD to call it speech."""
    n = int(rate * ms / 1000)
    t = np.arange(n, dtype=np.float64) / rate
    wave = amplitude * np.sin(2 * math.pi * freq * t)
    return (wave * 32767).astype("<i2").tobytes()


def resample(samples: npt.NDArray[np.int16], rate_in: int, rate_out: int) -> npt.NDArray[np.int16]:
    """Resample mono int16 samples with soxr (high quality, one shot)."""
    if rate_in == rate_out or samples.size == 0:
        return samples.astype(np.int16, copy=False)
    out: npt.NDArray[np.float32] = soxr.resample(
        samples.astype(np.float32) / 32768.0, rate_in, rate_out, quality="HQ"
    )
    return np.clip(np.round(out * 32768.0), -32768, 32767).astype(np.int16)


# G.711 comes from the project's audio toolkit (bit-exact ITU-T tables).
ulaw_decode = decode_ulaw
alaw_decode = decode_alaw
ulaw_encode = encode_ulaw
alaw_encode = encode_alaw


def bytes_per_ms_of(fmt: dict[str, object] | None) -> int:
    """Bytes per millisecond for an ``audio.*.format`` object (G.711 is 8 kHz, 1 byte/sample)."""
    kind = (fmt or {}).get("type", "audio/pcm")
    return 8 if kind in ("audio/pcmu", "audio/pcma") else BYTES_PER_MS


def to_pcm24(fmt: dict[str, object] | None, data: bytes) -> bytes:
    """Client audio in ``fmt`` → PCM16 24 kHz bytes (the server's internal form)."""
    kind = (fmt or {}).get("type", "audio/pcm")
    if kind == "audio/pcmu":
        return resample(ulaw_decode(data), 8000, API_RATE).astype("<i2").tobytes()
    if kind == "audio/pcma":
        return resample(alaw_decode(data), 8000, API_RATE).astype("<i2").tobytes()
    return data[: len(data) & ~1]


def from_pcm24(fmt: dict[str, object] | None, pcm: bytes) -> bytes:
    """PCM16 24 kHz bytes → audio in ``fmt`` for the client."""
    kind = (fmt or {}).get("type", "audio/pcm")
    if kind not in ("audio/pcmu", "audio/pcma"):
        return pcm
    samples = resample(np.frombuffer(pcm, dtype="<i2"), API_RATE, 8000)
    return ulaw_encode(samples) if kind == "audio/pcmu" else alaw_encode(samples)
