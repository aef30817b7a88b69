"""PCMFrame and Rechunker: conversions, chunking, downmix, and the errors for bad shapes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_kit.audio import PCMFrame, Rechunker, ms_to_samples
from realtime_kit.errors import AudioError

int16s = st.lists(st.integers(-32768, 32767), max_size=4000)
RATES = st.sampled_from([8000, 16000, 22050, 24000, 44100, 48000])


@settings(deadline=None)
@given(int16s)
def test_bytes_roundtrip_is_lossless(values: list[int]) -> None:
    data = np.array(values, np.int16).astype("<i2").tobytes()
    frame = PCMFrame.from_bytes(data)
    assert frame.to_bytes() == data
    assert frame.samples.tolist() == values
    assert frame.num_samples == len(values)


def test_from_bytes_shares_memory_with_buffer() -> None:
    buf = bytearray(np.arange(10, dtype="<i2").tobytes())
    frame = PCMFrame.from_bytes(buf)
    buf[0:2] = (1234).to_bytes(2, "little", signed=True)
    assert frame.samples[0] == 1234  # a view, not a copy
    assert not PCMFrame.from_bytes(bytes(buf)).samples.flags.writeable


@settings(deadline=None)
@given(int16s)
def test_float_roundtrip_is_exact(values: list[int]) -> None:
    frame = PCMFrame(np.array(values, np.int16))
    floats = frame.to_float32()
    assert floats.dtype == np.float32
    assert np.all(floats >= -1.0)
    assert np.all(floats < 1.0)
    assert PCMFrame.from_float(floats) == frame


def test_from_float_clips_and_rejects_nan() -> None:
    assert PCMFrame.from_float([2.0, -2.0, 0.5]).samples.tolist() == [32767, -32768, 16384]
    with pytest.raises(AudioError, match="NaN"):
        PCMFrame.from_float([0.0, float("nan")])


@pytest.mark.parametrize(
    ("data", "channels"), [(b"\x00\x01\x02", 1), (b"\x00\x00\x01\x01\x02\x02", 2)]
)
def test_ragged_bytes_are_rejected(data: bytes, channels: int) -> None:
    with pytest.raises(AudioError, match="whole number"):
        PCMFrame.from_bytes(data, channels=channels)


@pytest.mark.parametrize("bad", [0, -1, 24000.0, True])
def test_bad_rate_is_rejected(bad: object) -> None:
    with pytest.raises(AudioError, match="sample rate"):
        PCMFrame(np.zeros(4, np.int16), bad)  # type: ignore[arg-type]


def test_wrong_dtype_is_rejected() -> None:
    with pytest.raises(AudioError, match="int16"):
        PCMFrame(np.zeros(4, np.float32))  # type: ignore[arg-type]
    with pytest.raises(AudioError, match="int16 range"):
        PCMFrame.from_array(np.array([40000], np.int32))


@settings(deadline=None)
@given(RATES, st.integers(1, 3), st.integers(0, 5000), st.sampled_from([10, 20, 40, 100]))
def test_chunks_cover_the_frame_exactly(rate: int, channels: int, n: int, ms: int) -> None:
    try:
        size = ms_to_samples(ms, rate)
    except AudioError:
        return  # e.g. 10 ms at 22,050 Hz: not a whole number of samples
    frame = PCMFrame(np.arange(n * channels, dtype=np.int64).astype(np.int16), rate, channels)
    chunks = list(frame.chunks(ms))
    assert all(c.num_samples == size for c in chunks[:-1])
    assert PCMFrame.concat(chunks) == frame if chunks else n == 0
    padded = list(frame.chunks(ms, remainder="pad"))
    assert all(c.num_samples == size for c in padded)
    assert len(padded) == -(-n // size)


def test_chunk_remainder_error_raises_before_yielding() -> None:
    frame = PCMFrame.silence(30)
    with pytest.raises(AudioError, match="whole number of 20 ms"):
        next(frame.chunks(20, remainder="error"))


def test_ms_that_is_not_whole_samples_is_an_error() -> None:
    assert ms_to_samples(20, 22050) == 441
    with pytest.raises(AudioError, match="not a whole number"):
        ms_to_samples(10, 22050)


@settings(deadline=None)
@given(
    st.lists(st.integers(0, 700), max_size=30),
    st.sampled_from([10, 20, 30]),
    st.integers(1, 2),
)
def test_rechunker_loses_and_invents_nothing(sizes: list[int], ms: int, channels: int) -> None:
    rate = 16000
    size = ms_to_samples(ms, rate)
    pieces = []
    counter = 0
    for n in sizes:
        pieces.append(
            PCMFrame(np.arange(counter, counter + n * channels).astype(np.int16), rate, channels)
        )
        counter += n * channels
    r = Rechunker(ms, rate, channels)
    out: list[PCMFrame] = []
    for p in pieces:
        out += r.push(p if len(out) % 2 else p.to_bytes())
    assert all(f.num_samples == size for f in out)
    tail = r.flush()
    if tail is not None:
        assert 0 < tail.num_samples < size
        out.append(tail)
    joined = np.concatenate([f.samples for f in out]) if out else np.zeros(0, np.int16)
    expected = np.concatenate([p.samples for p in pieces]) if pieces else np.zeros(0, np.int16)
    assert np.array_equal(joined, expected)


def test_rechunker_outputs_do_not_alias_its_buffer() -> None:
    r = Rechunker(10, 1000)
    first = r.push(PCMFrame(np.arange(15, dtype=np.int16), 1000))
    r.push(PCMFrame(np.full(15, 7, np.int16), 1000))
    assert first[0].samples.tolist() == list(range(10))


def test_rechunker_pad_and_format_check() -> None:
    r = Rechunker(20, 8000)
    r.push(b"\x01\x00" * 10)
    tail = r.flush(pad=True)
    assert tail is not None
    assert tail.num_samples == 160
    assert tail.samples[:10].tolist() == [1] * 10
    assert not tail.samples[10:].any()
    with pytest.raises(AudioError, match="expects 8000"):
        r.push(PCMFrame.silence(20, 16000))


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(-32768, 32767), st.integers(-32768, 32767)), max_size=200))
def test_stereo_downmix_is_the_rounded_mean(pairs: list[tuple[int, int]]) -> None:
    arr = np.array(pairs, np.int16).reshape(-1, 2)
    mono = PCMFrame(arr, 48000, 2).to_mono()
    assert mono.channels == 1
    assert mono.rate == 48000
    for (a, b), m in zip(pairs, mono.samples.tolist(), strict=True):
        assert abs(m - (a + b) / 2) <= 0.5


def test_downmix_of_identical_channels_is_identity() -> None:
    ch = np.array([-32768, -3, 0, 5, 32767], np.int16)
    frame = PCMFrame(np.stack([ch, ch, ch], axis=1), 24000, 3)
    assert frame.to_mono().samples.tolist() == ch.tolist()
    mono = PCMFrame(ch)
    assert mono.to_mono() is mono


def test_slices_and_repr() -> None:
    frame = PCMFrame(np.arange(480, dtype=np.int16))
    part = frame.slice_ms(5, 10)
    assert part.samples.tolist() == list(range(120, 240))
    assert np.shares_memory(part.samples, frame.samples)
    assert "ms=20" in repr(frame)
    with pytest.raises(AudioError, match="outside"):
        frame.slice_samples(100, 600)
    with pytest.raises(AudioError, match="format mismatch"):
        PCMFrame.concat([frame, PCMFrame.silence(10, 16000)])
