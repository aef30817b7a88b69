"""Shared helpers for the WebRTC tests against the fake server."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import numpy as np

import realtime_kit
from realtime_kit import PCMFrame
from realtime_kit.testing import (
    FakeRealtimeServer,
    ScriptedBrain,
    ScriptedRecognizer,
    ToneSynthesizer,
    default_synthesizer,
)
from realtime_kit.transports import WebRTCConfig

KEY = "sk-test-key"
LOOPBACK = WebRTCConfig(local_addresses=("127.0.0.1",), stall_timeout=3.0)
# A bound on how long a real-time exchange may take, not a timing assertion: it only turns a
# hang into a failure.
PATIENCE_S = 60.0


def server(
    *replies: str, heard: tuple[str, ...] = ("what time is it",), **options: Any
) -> FakeRealtimeServer:
    """A WebRTC-capable fake server with a deterministic voice, ears and script."""
    return FakeRealtimeServer(
        webrtc=True,
        seed=11,
        synthesizer=ToneSynthesizer(),
        recognizer=ScriptedRecognizer(list(heard) * 4),
        brain=ScriptedBrain(list(replies)),
        **options,
    )


def connect(srv: FakeRealtimeServer, **kwargs: Any) -> realtime_kit.client.ConnectContext:
    options: dict[str, Any] = {"api_key": KEY, "webrtc": LOOPBACK, "reconnect": False}
    options.update(kwargs)
    return realtime_kit.connect(
        "gpt-realtime", base_url=srv.base_url, transport="webrtc", **options
    )


@functools.cache
def voice(text: str = "what time is it") -> PCMFrame:
    """Synthetic speech (espeak-ng when available): a VAD hears it as speech even after Opus,
    which a pure tone does not reliably survive."""
    return PCMFrame.from_bytes(default_synthesizer().synthesize(text), 24_000)


async def say(
    conn: realtime_kit.RealtimeConnection, text: str = "what time is it", pause_ms: int = 900
) -> None:
    """Speak ``text`` then ``pause_ms`` of silence into the outbound track (20 ms frames)."""
    audio = PCMFrame.concat([voice(text), PCMFrame.silence(pause_ms)])
    for frame in audio.chunks(20):
        await conn.send_audio(frame)


async def events_until(
    conn: realtime_kit.RealtimeConnection, done: Callable[[Any], bool]
) -> list[Any]:
    """Events up to and including the first for which ``done`` is true."""
    seen: list[Any] = []
    with anyio.fail_after(PATIENCE_S):
        async for event in conn:
            seen.append(event)
            if done(event):
                return seen
    raise AssertionError(f"the connection ended first: {[e.type for e in seen]}")


def loud_ms(frames: list[PCMFrame], threshold: int = 1500) -> float:
    """Milliseconds of audio above ``threshold`` (the tone, not the silence around it)."""
    if not frames:
        return 0.0
    samples = PCMFrame.concat(frames).samples
    return float(np.count_nonzero(np.abs(samples.astype(np.int32)) > threshold)) / 24


async def played_out(frames: list[PCMFrame], quiet_ms: int = 400) -> None:
    """Wait until the track has delivered some voice and then ``quiet_ms`` of silence (the
    client's jitter buffer lags the server's playback a little)."""
    with anyio.fail_after(PATIENCE_S):
        while True:
            if loud_ms(frames) > 0:
                tail = PCMFrame.concat(frames).samples[-24 * quiet_ms :]
                if tail.size == 24 * quiet_ms and int(np.abs(tail.astype(np.int32)).max()) < 1500:
                    return
            await anyio.sleep(0.02)


@asynccontextmanager
async def collecting(conn: realtime_kit.RealtimeConnection) -> AsyncIterator[list[PCMFrame]]:
    """Collect ``conn.audio_frames()`` in the background while the block runs."""
    frames: list[PCMFrame] = []

    async def read() -> None:
        async for frame in conn.audio_frames():
            frames.append(frame)

    async with anyio.create_task_group() as tg:
        tg.start_soon(read)
        yield frames
        tg.cancel_scope.cancel()
