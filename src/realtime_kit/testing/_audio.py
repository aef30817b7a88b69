"""Small PCM16 helpers for the fake server: durations, resampling, G.711, tones.

The project's audio toolkit is built elsewhere; until it lands, the server keeps its own few helpers
here (numpy and soxr directly). Nothing outside ``testing/`` should import this module.

Imports: numpy, soxr, the standard library.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import soxr

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


# G.711 per ITU-T; tables are built once so both directions are exact inverses of each other.
def _ulaw_decode_one(byte: int) -> int:
    u = ~byte & 0xFF
    sign = u & 0x80
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    magnitude = ((mantissa << 3) + 0x84) << exponent
    magnitude -= 0x84
    return -magnitude if sign else magnitude


def _alaw_decode_one(byte: int) -> int:
    a = byte ^ 0x55
    sign = a & 0x80
    exponent = (a >> 4) & 0x07
    mantissa = a & 0x0F
    magnitude = (
        (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
    )
    return magnitude if sign else -magnitude


_ULAW_TABLE = np.array([_ulaw_decode_one(b) for b in range(256)], dtype=np.int16)
_ALAW_TABLE = np.array([_alaw_decode_one(b) for b in range(256)], dtype=np.int16)


def _nearest_encoder(table: npt.NDArray[np.int16]) -> npt.NDArray[np.uint8]:
    # Encode by nearest decoded value: a 65,536-entry lookup built from the decode table.
    order = np.argsort(table)
    sorted_vals = table[order].astype(np.int32)
    grid = np.arange(-32768, 32768, dtype=np.int32)
    idx = np.clip(np.searchsorted(sorted_vals, grid), 1, len(sorted_vals) - 1)
    left = sorted_vals[idx - 1]
    right = sorted_vals[idx]
    pick = np.where(grid - left <= right - grid, idx - 1, idx)
    return order[pick].astype(np.uint8)


_ULAW_ENC = _nearest_encoder(_ULAW_TABLE)
_ALAW_ENC = _nearest_encoder(_ALAW_TABLE)


def ulaw_decode(data: bytes) -> npt.NDArray[np.int16]:
    """μ-law bytes → int16 samples (8 kHz)."""
    return _ULAW_TABLE[np.frombuffer(data, dtype=np.uint8)]


def alaw_decode(data: bytes) -> npt.NDArray[np.int16]:
    """A-law bytes → int16 samples (8 kHz)."""
    return _ALAW_TABLE[np.frombuffer(data, dtype=np.uint8)]


def ulaw_encode(samples: npt.NDArray[np.int16]) -> bytes:
    """int16 samples → μ-law bytes."""
    return _ULAW_ENC[samples.astype(np.int32) + 32768].tobytes()


def alaw_encode(samples: npt.NDArray[np.int16]) -> bytes:
    """int16 samples → A-law bytes."""
    return _ALAW_ENC[samples.astype(np.int32) + 32768].tobytes()


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
