"""Streaming resampler: tones keep frequency and level, joins are seamless, latency is reported."""

from __future__ import annotations

import numpy as np
import pytest
import soxr
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_kit.audio import PCMFrame, Resampler, measure_latency_ms, resample
from realtime_kit.errors import AudioError

from ._util import sine

OTHER_RATES = [8000, 16000, 22050, 44100, 48000]
DIRECTIONS = [(r, 24000) for r in OTHER_RATES] + [(24000, r) for r in OTHER_RATES]


def _stream(r: Resampler, frame: PCMFrame, chunk_ms: float = 20) -> PCMFrame:
    parts = [r.process(c) for c in frame.chunks(chunk_ms)]
    return PCMFrame.concat([*parts, r.flush()])


def _tone_stats(x: np.ndarray, rate: int) -> tuple[float, float]:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    hz = float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])
    return hz, float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


@pytest.mark.parametrize(("src", "dst"), DIRECTIONS)
def test_sine_keeps_frequency_and_level(src: int, dst: int) -> None:
    freq = 1000.0 if min(src, dst) > 8000 else 440.0
    tone = PCMFrame.from_float(sine(freq, src, 1.0, 0.5), src)
    out = _stream(Resampler(src, dst), tone)
    assert out.rate == dst
    assert out.num_samples == dst  # exactly one second after the flush
    body = out.to_float32()[dst // 10 : -dst // 10]
    hz, rms = _tone_stats(body, dst)
    assert hz == pytest.approx(freq, abs=1.5)
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.01)
    # Output is time-aligned with input (soxr removes its filter delay): compare to the ideal.
    t = np.arange(out.num_samples) / dst
    ideal = 0.5 * np.sin(2 * np.pi * freq * t)[dst // 10 : -dst // 10]
    assert np.max(np.abs(body - ideal)) < 0.005


@pytest.mark.parametrize(("src", "freq"), [(48000, 14000.0), (44100, 15000.0), (16000, 7000.0)])
def test_tones_above_the_new_nyquist_are_filtered_not_aliased(src: int, freq: float) -> None:
    dst = 24000 if src > 24000 else 8000
    tone = PCMFrame.from_float(sine(freq, src, 0.5, 0.5), src)
    out = _stream(Resampler(src, dst), tone).to_float32()
    body = out[dst // 20 : -dst // 20]  # the abrupt start and end of the tone are broadband
    rms = float(np.sqrt(np.mean(body.astype(np.float64) ** 2)))
    assert rms < 0.5 / np.sqrt(2) * 10 ** (-60 / 20)  # at least 60 dB down, no alias tone
    naive = np.interp(
        np.arange(len(out)) * src / dst, np.arange(tone.num_samples), tone.to_float32()
    )
    assert float(np.sqrt(np.mean(naive**2))) > 0.1  # what a naive resampler would let through


@pytest.mark.parametrize(("src", "dst"), DIRECTIONS)
def test_chunk_joins_match_one_shot(src: int, dst: int) -> None:
    rng = np.random.default_rng(src + dst)
    noise = PCMFrame.from_float(
        np.clip(rng.normal(0, 0.2, src // 2) + sine(300, src, 0.5, 0.3), -1, 1), src
    )
    streamed = _stream(Resampler(src, dst), noise, chunk_ms=20)
    one_shot = soxr.resample(noise.to_float32(), src, dst, quality="HQ")
    one_shot = np.clip(np.rint(one_shot * 32768), -32768, 32767).astype(np.int16)
    assert streamed.num_samples == one_shot.shape[0]
    # Equal to within rounding everywhere, joins included: no clicks.
    assert np.max(np.abs(streamed.samples.astype(np.int32) - one_shot)) <= 1


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 3000), min_size=1, max_size=12))
def test_any_chunking_gives_the_same_audio(sizes: list[int]) -> None:
    rate = 48000
    total = sum(sizes)
    audio = PCMFrame.from_float(sine(700, rate, total / rate, 0.3), rate)
    reference = _stream(Resampler(rate), audio, chunk_ms=1000)
    r = Resampler(rate)
    parts, pos = [], 0
    for n in sizes:
        parts.append(r.process(audio.slice_samples(pos, pos + n)))
        pos += n
    parts.append(r.flush())
    streamed = PCMFrame.concat(parts)
    assert streamed.num_samples == reference.num_samples
    assert np.max(np.abs(streamed.samples.astype(np.int32) - reference.samples)) <= 2


@pytest.mark.parametrize(("src", "dst"), DIRECTIONS)
def test_reported_latency_bounds_the_hold_back(src: int, dst: int) -> None:
    r = Resampler(src, dst)
    assert r.latency_ms == measure_latency_ms(src, dst, "HQ")
    assert 0 < r.latency_ms < 100
    worst = 0.0
    consumed = produced = 0
    for chunk in PCMFrame.from_float(sine(500, src, 1.0), src).chunks(20):
        produced += r.process(chunk).num_samples
        consumed += chunk.num_samples
        held = consumed * dst / src - produced
        assert r.pending_ms == pytest.approx(held * 1000 / dst)
        worst = max(worst, r.pending_ms)
    assert worst <= r.latency_ms + 1e-9
    tail = r.flush()
    assert produced + tail.num_samples == round(consumed * dst / src)
    assert r.pending_ms == 0


def test_reset_drops_held_audio_and_restarts_cleanly() -> None:
    r = Resampler(48000)
    tone = PCMFrame.from_float(sine(1000, 48000, 0.2), 48000)
    r.process(tone)
    assert r.reset() > 0
    assert r.pending_ms == 0
    silence = _stream(r, PCMFrame.silence(100, 48000))
    assert not silence.samples.any()  # nothing of the old tone leaks into the new stream


def test_pass_through_has_no_latency_and_no_copy() -> None:
    r = Resampler(24000, 24000)
    frame = PCMFrame.silence(20)
    assert r.process(frame) is frame
    assert r.latency_ms == 0
    assert r.flush().num_samples == 0
    assert resample(frame, 24000) is frame


def test_stereo_and_bytes_interface() -> None:
    r = Resampler(48000, 24000, channels=2)
    stereo = PCMFrame(np.zeros((960 * 10, 2), np.int16), 48000, 2)
    out = _stream(r, stereo)
    assert out.channels == 2
    assert out.num_samples == 4800
    rb = Resampler(16000)
    got = rb.process_bytes(b"\x00\x00" * 3200)
    assert len(got) % 2 == 0


def test_format_and_argument_errors() -> None:
    with pytest.raises(AudioError, match="expects 48000"):
        Resampler(48000).process(PCMFrame.silence(20, 16000))
    with pytest.raises(AudioError, match="quality"):
        Resampler(48000, quality="best")  # type: ignore[arg-type]
    with pytest.raises(AudioError, match="in_rate"):
        Resampler(0)
    assert "48000 -> 24000" in repr(Resampler(48000))
