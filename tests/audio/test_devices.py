"""Microphone and Speaker over a fake backend (no sound card), and the missing-extra errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from realtime_kit.audio import Microphone, PCMFrame, PlaybackClock, Speaker
from realtime_kit.audio import devices as devices_module
from realtime_kit.errors import AudioDeviceError, AudioError, MissingExtraError

from ._util import sine
from .conftest import FakeBackend


@pytest.mark.anyio
async def test_microphone_resamples_downmixes_and_frames(fake_backend: FakeBackend) -> None:
    async with Microphone(backend=fake_backend, device_channels=2) as mic:
        stream = fake_backend.streams[0]
        assert (stream.kind, stream.rate, stream.channels, stream.started) == (
            "input",
            48000,
            2,
            True,
        )
        tone = PCMFrame.from_float(sine(1000, 48000, 0.5, 0.4), 48000)
        stereo = np.repeat(tone.samples[:, None], 2, axis=1)
        for start in range(0, 24000, 480):  # 10 ms device blocks
            stream.push(stereo[start : start + 480])
        got: list[PCMFrame] = []
        while sum(f.num_samples for f in got) < 24000 * 0.5 - 2400:
            got.append(await mic.__anext__())
    assert stream.closed
    assert all((f.rate, f.channels, f.num_samples) == (24000, 1, 480) for f in got)
    x = PCMFrame.concat(got).to_float32()[2400:]
    ideal = 0.4 * np.sin(2 * np.pi * 1000 * (np.arange(2400, 2400 + len(x)) / 24000))
    assert np.max(np.abs(x - ideal)) < 0.01
    with pytest.raises(StopAsyncIteration):
        await mic.__anext__()


@pytest.mark.anyio
async def test_microphone_overrun_raises_or_drops(fake_backend: FakeBackend) -> None:
    async with Microphone(backend=fake_backend, max_buffer_ms=50) as mic:
        for _ in range(10):
            fake_backend.streams[0].push(np.zeros(480, np.int16))
        with pytest.raises(AudioError, match="overrun"):
            await mic.__anext__()
    dropping = Microphone(backend=fake_backend, max_buffer_ms=50, on_overrun="drop_oldest")
    async with dropping:
        for _ in range(10):
            fake_backend.streams[1].push(np.zeros(480, np.int16), overflowed=True)
        frame = await dropping.__anext__()
    assert frame.num_samples == 480
    assert dropping.dropped_ms == 50
    assert dropping.device_overflows == 10


@pytest.mark.anyio
async def test_microphone_must_be_started(fake_backend: FakeBackend) -> None:
    mic = Microphone(backend=fake_backend)
    with pytest.raises(AudioError, match="not started"):
        await mic.__anext__()


@pytest.mark.anyio
async def test_speaker_feeds_the_clock_with_what_it_played(fake_backend: FakeBackend) -> None:
    clock = PlaybackClock()
    async with Speaker(clock=clock, backend=fake_backend) as speaker:
        out = fake_backend.streams[0]
        tone = PCMFrame.from_float(sine(500, 24000, 0.2, 0.3))
        for frame in tone.chunks(20):
            await speaker.play(frame, "item_a")
        speaker.end_item("item_a")
        assert clock.heard_ms("item_a") == 0
        played = out.pull(4800)  # 100 ms at 48 kHz
        assert clock.heard_ms("item_a") == 100
        played = np.concatenate([played, out.pull(9600)])  # 200 ms more: 100 ms of underrun
        assert clock.position("item_a").complete
        assert speaker.underflows == 1
        out.pull(480)
        assert speaker.underflows == 1  # idle after the item ended: not an underflow
        assert not played[9600:].any()  # silence on underrun, never stale data
        x = played[:9600].astype(np.float32) / 32768
        ideal = 0.3 * np.sin(2 * np.pi * 500 * np.arange(9600) / 48000)
        assert np.max(np.abs(x[480:-480] - ideal[480:-480])) < 0.01


@pytest.mark.anyio
async def test_speaker_barge_in_with_two_items(fake_backend: FakeBackend) -> None:
    async with Speaker(backend=fake_backend) as speaker:
        out = fake_backend.streams[0]
        for frame in PCMFrame.silence(200).chunks(20):
            await speaker.play(frame, "a")
        for frame in PCMFrame.silence(100).chunks(20):
            await speaker.play(frame, "b")  # switching item releases a's resampler tail
        out.pull(48 * 150)
        cut = speaker.flush()
        assert [(p.item_id, p.heard_ms, p.received_ms) for p in cut] == [
            ("a", 150, 200),
            ("b", 0, 100),
        ]
        assert speaker.queued_ms == 0
        assert not out.pull(480).any()
        assert speaker.clock.heard_ms("a") == 150
        # Playback resumes cleanly with a new item after the barge-in.
        await speaker.play(PCMFrame.silence(20), "c")
        speaker.end_item("c")
        out.pull(48 * 40)
        assert speaker.clock.heard_ms("c") == 20


@pytest.mark.anyio
async def test_speaker_attribution_is_exact_at_item_boundaries(fake_backend: FakeBackend) -> None:
    fake_backend.rates["output"] = 44100
    async with Speaker(backend=fake_backend) as speaker:
        out = fake_backend.streams[0]
        await speaker.play(PCMFrame.silence(70), "a")
        await speaker.play(PCMFrame.silence(30), "b")
        speaker.end_item("b")
        for _ in range(30):
            out.pull(441)
        await speaker.drain()
    assert speaker.clock.position("a").heard_ms == 70
    assert speaker.clock.position("b").heard_ms == 30


@pytest.mark.anyio
async def test_speaker_plays_mono_on_every_device_channel(fake_backend: FakeBackend) -> None:
    async with Speaker(backend=fake_backend, device_channels=2) as speaker:
        out = fake_backend.streams[0]
        assert out.channels == 2
        tone = PCMFrame.from_float(sine(500, 24000, 0.1, 0.3))
        await speaker.play(tone, "a")
        speaker.end_item("a")
        played = out.pull(4800).reshape(-1, 2)
    assert np.array_equal(played[:, 0], played[:, 1])
    assert np.abs(played[:, 0]).max() > 9000
    assert speaker.clock.heard_ms("a") == 100


@pytest.mark.anyio
async def test_speaker_rejects_wrong_format(fake_backend: FakeBackend) -> None:
    speaker = Speaker(backend=fake_backend)
    with pytest.raises(AudioError, match="mono 24000"):
        await speaker.play(PCMFrame.silence(20, 48000), "a")
    with pytest.raises(AudioError, match="clock counts at 16000"):
        Speaker(backend=fake_backend, clock=PlaybackClock(16000))


def test_missing_sounddevice_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # makes the import fail
    with pytest.raises(MissingExtraError, match=r"realtime-kit\[audio\]"):
        Microphone()


def test_missing_portaudio_is_an_audio_device_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_portaudio(name: str) -> object:
        raise OSError("PortAudio library not found")

    monkeypatch.setattr(devices_module.importlib, "import_module", no_portaudio)
    with pytest.raises(AudioDeviceError, match="PortAudio"):
        Speaker()
