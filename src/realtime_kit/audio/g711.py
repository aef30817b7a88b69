"""ITU-T G.711 μ-law and A-law, and 8 kHz telephony ↔ 24 kHz PCM16 conversion.

The codecs are table lookups: every one of the 65,536 int16 values has its code byte
precomputed, and every code byte its int16 value, so encoding a 20 ms frame is one numpy gather.
The tables are built with the segment arithmetic of the G.711 reference implementation (the same
one CPython's ``audioop`` used), and the tests check all 65,536 inputs against ``audioop``.

:class:`TelephonyDecoder` and :class:`TelephonyEncoder` are the stateful halves of a phone
bridge: G.711 bytes at 8 kHz in, PCM16 at 24 kHz out, and back, with a streaming resampler.

Imports: numpy, :mod:`realtime_kit.audio.frame`, :mod:`realtime_kit.audio.resample`,
:mod:`realtime_kit.errors`.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from realtime_kit.audio.frame import API_RATE, Int16Array, PCMFrame
from realtime_kit.audio.resample import Quality, Resampler
from realtime_kit.errors import AudioError

__all__ = [
    "G711_RATE",
    "Law",
    "TelephonyDecoder",
    "TelephonyEncoder",
    "decode_alaw",
    "decode_ulaw",
    "encode_alaw",
    "encode_ulaw",
]

G711_RATE = 8_000
"""G.711's sample rate."""

Law: TypeAlias = Literal["ulaw", "alaw"]
"""Which G.711 companding law: μ-law (North America, Japan; Twilio) or A-law (elsewhere)."""

_U8: TypeAlias = npt.NDArray[np.uint8]


def _segment(magnitude: npt.NDArray[np.int32], ends: tuple[int, ...]) -> npt.NDArray[np.int32]:
    # First segment whose upper end is >= magnitude; len(ends) when above every segment.
    return np.searchsorted(np.asarray(ends, np.int32), magnitude, side="left").astype(np.int32)


def _build_ulaw_encode() -> _U8:
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 2  # μ-law codes 14-bit magnitudes
    mask = np.where(pcm < 0, 0x7F, 0xFF).astype(np.int32)
    mag = np.minimum(np.abs(pcm), 8159) + 33  # clip, then add the bias (0x84 >> 2)
    seg = _segment(mag, (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF))
    code = np.where(seg >= 8, 0x7F, (seg << 4) | ((mag >> (np.minimum(seg, 7) + 1)) & 0xF))
    table = (code ^ mask).astype(np.uint8)
    # Index by the int16 bit pattern read as uint16, so lookup needs no offset arithmetic.
    return np.roll(table, -32768)


def _build_ulaw_decode() -> Int16Array:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, 0x84 - t, t - 0x84).astype(np.int16)


def _build_alaw_encode() -> _U8:
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 3  # A-law codes 13-bit magnitudes
    negative = pcm < 0
    mask = np.where(negative, 0x55, 0xD5).astype(np.int32)
    mag = np.where(negative, -pcm - 1, pcm)
    seg = _segment(mag, (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF))
    shift = np.where(seg < 2, 1, np.minimum(seg, 7))
    code = np.where(seg >= 8, 0x7F, (seg << 4) | ((mag >> shift) & 0x0F))
    return np.roll((code ^ mask).astype(np.uint8), -32768)


def _build_alaw_decode() -> Int16Array:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    t = np.where(seg == 0, t + 8, t + 0x108)
    t = np.where(seg > 1, t << np.maximum(seg - 1, 0), t)
    return np.where(a & 0x80, t, -t).astype(np.int16)


_ULAW_ENC = _build_ulaw_encode()
_ULAW_DEC = _build_ulaw_decode()
_ALAW_ENC = _build_alaw_encode()
_ALAW_DEC = _build_alaw_decode()
for _table in (_ULAW_ENC, _ULAW_DEC, _ALAW_ENC, _ALAW_DEC):
    _table.flags.writeable = False


def _pcm_view(pcm: Int16Array | bytes | bytearray | memoryview | PCMFrame) -> Int16Array:
    if isinstance(pcm, PCMFrame):
        return pcm.samples
    if isinstance(pcm, np.ndarray):
        if pcm.dtype != np.int16:
            raise AudioError(f"G.711 encodes int16 samples, got an array of {pcm.dtype}")
        return pcm
    return PCMFrame.from_bytes(pcm).samples


def _code_view(codes: bytes | bytearray | memoryview | _U8) -> _U8:
    if isinstance(codes, np.ndarray):
        if codes.dtype != np.uint8:
            raise AudioError(f"G.711 decodes uint8 code bytes, got an array of {codes.dtype}")
        return codes
    return np.frombuffer(codes, dtype=np.uint8)


def _encode(table: _U8, pcm: Int16Array | bytes | bytearray | memoryview | PCMFrame) -> bytes:
    samples = _pcm_view(pcm)
    return table.take(samples.view(np.uint16)).tobytes()


def encode_ulaw(pcm: Int16Array | bytes | bytearray | memoryview | PCMFrame) -> bytes:
    """Encode PCM16 (int16 array, little-endian bytes, or a frame) to μ-law bytes."""
    return _encode(_ULAW_ENC, pcm)


def encode_alaw(pcm: Int16Array | bytes | bytearray | memoryview | PCMFrame) -> bytes:
    """Encode PCM16 (int16 array, little-endian bytes, or a frame) to A-law bytes."""
    return _encode(_ALAW_ENC, pcm)


def decode_ulaw(codes: bytes | bytearray | memoryview | _U8) -> Int16Array:
    """Decode μ-law bytes (or a uint8 array) to a new int16 array."""
    return _ULAW_DEC.take(_code_view(codes))


def decode_alaw(codes: bytes | bytearray | memoryview | _U8) -> Int16Array:
    """Decode A-law bytes (or a uint8 array) to a new int16 array."""
    return _ALAW_DEC.take(_code_view(codes))


def _check_law(law: str) -> Law:
    if law == "ulaw":
        return "ulaw"
    if law == "alaw":
        return "alaw"
    raise AudioError(f"law must be 'ulaw' or 'alaw', got {law!r}")


class TelephonyDecoder:
    """G.711 bytes at 8 kHz in, PCM16 frames (24 kHz by default) out, one continuous stream.

    Call :meth:`decode` per payload in arrival order and :meth:`flush` at the end of the call
    (or :meth:`reset` to drop held audio). The resampler's hold-back is reported by
    :attr:`latency_ms`.
    """

    __slots__ = ("_decode", "_law", "_resampler")

    def __init__(self, law: Law = "ulaw", out_rate: int = API_RATE, *, quality: Quality = "HQ"):
        self._law = _check_law(law)
        self._decode = decode_ulaw if self._law == "ulaw" else decode_alaw
        self._resampler = Resampler(G711_RATE, out_rate, quality=quality)

    @property
    def law(self) -> Law:
        """The companding law."""
        return self._law

    @property
    def latency_ms(self) -> float:
        """Worst-case resampler hold-back in ms."""
        return self._resampler.latency_ms

    def decode(self, payload: bytes | bytearray | memoryview) -> PCMFrame:
        """Decode one payload; the frame may be shorter than the payload while the filter fills."""
        return self._resampler.process(PCMFrame(self._decode(payload), G711_RATE))

    def flush(self) -> PCMFrame:
        """Return the held tail and start a new stream."""
        return self._resampler.flush()

    def reset(self) -> float:
        """Drop held audio; return the ms dropped."""
        return self._resampler.reset()


class TelephonyEncoder:
    """PCM16 frames (24 kHz by default) in, G.711 bytes at 8 kHz out, one continuous stream.

    :meth:`encode` returns the code bytes available so far (possibly empty while the resampler
    fills); :meth:`flush` returns the rest. :meth:`reset` drops held audio, for a barge-in.
    """

    __slots__ = ("_encode", "_law", "_resampler")

    def __init__(self, law: Law = "ulaw", in_rate: int = API_RATE, *, quality: Quality = "HQ"):
        self._law = _check_law(law)
        self._encode = encode_ulaw if self._law == "ulaw" else encode_alaw
        self._resampler = Resampler(in_rate, G711_RATE, quality=quality)

    @property
    def law(self) -> Law:
        """The companding law."""
        return self._law

    @property
    def latency_ms(self) -> float:
        """Worst-case resampler hold-back in ms."""
        return self._resampler.latency_ms

    def encode(self, frame: PCMFrame) -> bytes:
        """Resample and encode one frame (mono frames only)."""
        return self._encode(self._resampler.process(frame))

    def flush(self) -> bytes:
        """Return the held tail, encoded, and start a new stream."""
        return self._encode(self._resampler.flush())

    def reset(self) -> float:
        """Drop held audio; return the ms dropped."""
        return self._resampler.reset()
