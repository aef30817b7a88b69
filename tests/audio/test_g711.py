"""G.711: bit-exact against audioop (every int16 value, every code), and telephony conversion."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_kit.audio import PCMFrame, g711
from realtime_kit.errors import AudioError

from ._util import sine

ALL_PCM = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = bytes(range(256))


def test_ulaw_encode_matches_audioop_for_every_sample(audioop: ModuleType) -> None:
    assert g711.encode_ulaw(ALL_PCM) == audioop.lin2ulaw(ALL_PCM.astype("<i2").tobytes(), 2)


def test_alaw_encode_matches_audioop_for_every_sample(audioop: ModuleType) -> None:
    assert g711.encode_alaw(ALL_PCM) == audioop.lin2alaw(ALL_PCM.astype("<i2").tobytes(), 2)


def test_decoders_match_audioop_for_every_code(audioop: ModuleType) -> None:
    assert g711.decode_ulaw(ALL_CODES).astype("<i2").tobytes() == audioop.ulaw2lin(ALL_CODES, 2)
    assert g711.decode_alaw(ALL_CODES).astype("<i2").tobytes() == audioop.alaw2lin(ALL_CODES, 2)


def test_known_itu_code_points() -> None:
    # Silence: μ-law 0xFF, A-law 0xD5 (even bits inverted); full scale clips to the last segment.
    assert g711.encode_ulaw(np.array([0, 32767, -32768], np.int16)) == b"\xff\x80\x00"
    assert g711.encode_alaw(np.array([0, 32767, -32768], np.int16)) == b"\xd5\xaa\x2a"


@settings(deadline=None)
@given(st.binary(max_size=2000))
def test_bytes_and_array_inputs_agree(audioop: ModuleType, codes: bytes) -> None:
    ulaw = g711.decode_ulaw(codes)
    assert ulaw.dtype == np.int16
    assert ulaw.astype("<i2").tobytes() == audioop.ulaw2lin(codes, 2)
    arr = np.frombuffer(codes, np.uint8)
    assert np.array_equal(g711.decode_alaw(arr), g711.decode_alaw(codes))


@settings(deadline=None)
@given(st.lists(st.integers(-32768, 32767), max_size=2000))
def test_encode_accepts_bytes_arrays_and_frames(audioop: ModuleType, values: list[int]) -> None:
    arr = np.array(values, np.int16)
    raw = arr.astype("<i2").tobytes()
    expected = audioop.lin2ulaw(raw, 2)
    assert g711.encode_ulaw(arr) == expected
    assert g711.encode_ulaw(raw) == expected
    assert g711.encode_ulaw(PCMFrame(arr)) == expected


@settings(deadline=None)
@given(st.binary(max_size=1000))
def test_decode_then_encode_is_identity_for_ulaw(codes: bytes) -> None:
    # Every code except μ-law's negative zero (0x7F) survives a round trip.
    codes = codes.replace(b"\x7f", b"\xff")
    assert g711.encode_ulaw(g711.decode_ulaw(codes)) == codes


@settings(deadline=None)
@given(st.binary(max_size=1000))
def test_decode_then_encode_is_identity_for_alaw(codes: bytes) -> None:
    assert g711.encode_alaw(g711.decode_alaw(codes)) == codes


def test_bad_inputs_raise_audio_error() -> None:
    with pytest.raises(AudioError, match="int16"):
        g711.encode_ulaw(np.zeros(4, np.int32))  # type: ignore[arg-type]
    with pytest.raises(AudioError, match="whole number"):
        g711.encode_alaw(b"\x00\x00\x00")
    with pytest.raises(AudioError, match="uint8"):
        g711.decode_ulaw(np.zeros(4, np.int16))  # type: ignore[arg-type]
    with pytest.raises(AudioError, match="law must be"):
        g711.TelephonyDecoder("mulaw")  # type: ignore[arg-type]


def _dominant_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_telephony_round_trip_keeps_a_tone(law: g711.Law) -> None:
    tone = PCMFrame.from_float(sine(440, 24000, 1.0, 0.4))
    enc = g711.TelephonyEncoder(law)
    dec = g711.TelephonyDecoder(law)
    payload = b"".join(enc.encode(c) for c in tone.chunks(20)) + enc.flush()
    assert len(payload) == 8000  # one second at 8 kHz, nothing lost or invented
    back = PCMFrame.concat(
        [dec.decode(payload[i : i + 160]) for i in range(0, len(payload), 160)] + [dec.flush()]
    )
    assert back.rate == 24000
    assert back.num_samples == 24000
    x = back.to_float32()[2400:-2400]
    assert _dominant_hz(x, 24000) == pytest.approx(440, abs=2)
    rms = float(np.sqrt(np.mean(x**2)))
    assert rms == pytest.approx(0.4 / np.sqrt(2), rel=0.03)
    assert enc.latency_ms > 0
    assert dec.latency_ms > 0
