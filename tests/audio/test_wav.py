"""WAV read/write, paced async streaming and the async sink, on asyncio and trio."""

from __future__ import annotations

import wave
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime_kit.audio import PCMFrame, open_wav_sink, paced, read_wav, wav_frames, write_wav
from realtime_kit.audio import wav as wav_module
from realtime_kit.errors import AudioError

from ._util import sine


def _write_raw(path: Path, data: bytes, width: int, rate: int = 8000, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(data)


def test_write_then_read_is_lossless(tmp_path: Path) -> None:
    clip = PCMFrame.from_float(
        np.stack([sine(300, 16000, 0.3), sine(500, 16000, 0.3)], 1), 16000, 2
    )
    write_wav(tmp_path / "a.wav", clip)
    back = read_wav(tmp_path / "a.wav")
    assert back == clip
    write_wav(tmp_path / "b.wav", list(clip.chunks(20)))
    assert read_wav(tmp_path / "b.wav") == clip


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.sampled_from([8000, 16000, 22050, 24000, 44100, 48000]),
    st.integers(1, 2),
    st.lists(st.integers(-32768, 32767), max_size=600),
)
def test_any_pcm16_clip_round_trips(
    tmp_path: Path, rate: int, channels: int, values: list[int]
) -> None:
    values = values[: len(values) - len(values) % channels]
    if not values:
        return
    clip = PCMFrame(np.array(values, np.int16), rate, channels)
    write_wav(tmp_path / "p.wav", clip)
    assert read_wav(tmp_path / "p.wav") == clip


@pytest.mark.parametrize(
    ("width", "raw", "expected"),
    [
        (1, bytes([0, 128, 255]), [-32768, 0, 32512]),
        (3, b"\x00\x00\x80" + b"\xff\xff\x7f" + b"\x34\x12\x00", [-32768, 32767, 0x12]),
        (4, np.array([-(2**31), 2**31 - 1, 0x12345678], "<i4").tobytes(), [-32768, 32767, 0x1234]),
    ],
)
def test_other_sample_widths_become_pcm16(
    tmp_path: Path, width: int, raw: bytes, expected: list[int]
) -> None:
    _write_raw(tmp_path / "w.wav", raw, width)
    assert read_wav(tmp_path / "w.wav").samples.tolist() == expected


def test_not_a_wav_is_an_audio_error(tmp_path: Path) -> None:
    (tmp_path / "x.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(AudioError, match="not a PCM WAV"):
        read_wav(tmp_path / "x.wav")
    with pytest.raises(AudioError, match="no frames"):
        write_wav(tmp_path / "y.wav", [])


@pytest.mark.anyio
async def test_wav_frames_fast_stream_yields_every_sample(tmp_path: Path) -> None:
    clip = PCMFrame.from_float(sine(440, 24000, 0.51), 24000)
    write_wav(tmp_path / "s.wav", clip)
    frames = [f async for f in wav_frames(tmp_path / "s.wav", realtime=False)]
    assert [f.num_samples for f in frames] == [480] * 25 + [240]
    assert PCMFrame.concat(frames) == clip
    padded = [f async for f in wav_frames(tmp_path / "s.wav", realtime=False, pad_last=True)]
    assert padded[-1].num_samples == 480


@pytest.mark.anyio
async def test_wav_frames_realtime_paces_by_audio_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_wav(tmp_path / "s.wav", PCMFrame.silence(100, 8000, 2))
    deadlines: list[float] = []

    async def record(deadline: float) -> None:
        deadlines.append(deadline)
        await anyio.lowlevel.checkpoint()

    monkeypatch.setattr(wav_module, "sleep_until", record)
    start = anyio.current_time()
    frames = [f async for f in wav_frames(tmp_path / "s.wav", frame_ms=20, mono=True)]
    assert len(frames) == 5
    assert all(f.channels == 1 for f in frames)
    offsets = [round(d - deadlines[0], 6) for d in deadlines]
    assert offsets == [0.0, 0.02, 0.04, 0.06, 0.08]
    assert deadlines[0] >= start


@pytest.mark.anyio
async def test_paced_accepts_async_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    deadlines: list[float] = []

    async def record(deadline: float) -> None:
        deadlines.append(deadline)
        await anyio.lowlevel.checkpoint()

    async def source() -> AsyncIterator[PCMFrame]:
        for ms in (10, 30, 20):
            yield PCMFrame.silence(ms, 8000)

    monkeypatch.setattr(wav_module, "sleep_until", record)
    got = [f.duration_ms async for f in paced(source())]
    assert got == [10, 30, 20]
    assert [round(d - deadlines[0], 6) for d in deadlines] == [0.0, 0.01, 0.04]


@pytest.mark.anyio
async def test_wav_frames_really_sleeps_in_realtime_mode(tmp_path: Path) -> None:
    write_wav(tmp_path / "s.wav", PCMFrame.silence(30, 8000))
    frames = [f async for f in wav_frames(tmp_path / "s.wav", frame_ms=10)]
    assert len(frames) == 3


@pytest.mark.anyio
async def test_wav_frames_rejects_a_frame_size_that_is_not_whole_samples(tmp_path: Path) -> None:
    write_wav(tmp_path / "s.wav", PCMFrame.silence(20, 22050))
    with pytest.raises(AudioError, match="not a whole number"):
        async for _ in wav_frames(tmp_path / "s.wav", frame_ms=10, realtime=False):
            pass


@pytest.mark.anyio
async def test_sink_writes_a_valid_file_in_batches(tmp_path: Path) -> None:
    clip = PCMFrame.from_float(sine(200, 24000, 0.5), 24000)
    async with open_wav_sink(tmp_path / "out.wav", 24000, flush_ms=100) as sink:
        for frame in clip.chunks(20):
            await sink.send(frame)
        assert sink.written_ms == 500
        with pytest.raises(AudioError, match="sink writes 24000"):
            await sink.send(PCMFrame.silence(20, 16000))
    assert read_wav(tmp_path / "out.wav") == clip
    with pytest.raises(AudioError, match="not open"):
        await sink.send(PCMFrame.silence(20))


@pytest.mark.anyio
async def test_sink_finalises_the_header_when_cancelled(tmp_path: Path) -> None:
    with anyio.CancelScope() as scope:
        async with open_wav_sink(tmp_path / "c.wav", 8000) as sink:
            await sink.send(PCMFrame.silence(20, 8000))
            scope.cancel()
            await anyio.sleep(1)
    back = read_wav(tmp_path / "c.wav")
    assert back.num_samples == 160
