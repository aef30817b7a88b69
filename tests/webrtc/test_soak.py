"""Soak: continuous audio both ways over a loopback WebRTC pair, with events on the data
channel, checking what Python WebRTC peers are known to get wrong in long sessions — streams
that stall, clocks that drift, memory that grows.

The default suite runs a short soak (12 s). The 10-minute one runs with
``REALTIME_KIT_SOAK_SECONDS=600 pytest -m soak tests/webrtc/test_soak.py``.

Bounds, all in media terms (the two peers share one event loop, so load slows both alike):
- no gap: after the first second, every 20 ms the app receives is the peer's tone (no
  concealment silence), and the outbound track never had to send filler silence;
- PlaybackClock drift: audio sent minus audio delivered (what is in flight: jitter buffer and
  codec) stays under 250 ms and does not grow from the first quarter to the end;
- flat memory: resident memory grows by less than 16 MiB from the first quarter to the end.
"""

from __future__ import annotations

import os
from pathlib import Path

import anyio
import numpy as np
import pytest

from realtime_kit import PCMFrame, PlaybackClock
from realtime_kit.testing.webrtc import loopback_webrtc_pair
from realtime_kit.transports import TransportStateChanged, WebRTCConfig

pytestmark = pytest.mark.anyio

SECONDS = float(os.environ.get("REALTIME_KIT_SOAK_SECONDS", "12"))
DRIFT_BOUND_MS = 250.0
MEMORY_BOUND = 16 * 1024 * 1024


def _tone(ms: int, freq: float, start: int) -> PCMFrame:
    t = (np.arange(24 * ms) + start) / 24_000
    return PCMFrame.from_array((np.sin(2 * np.pi * freq * t) * 8000).astype(np.int16))


def _rss() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.soak
@pytest.mark.timeout(SECONDS + 120)
async def test_audio_both_ways_does_not_stall_drift_or_grow() -> None:
    config = WebRTCConfig(stall_timeout=5.0)
    async with loopback_webrtc_pair(config) as (transport, peer):
        clock = PlaybackClock(source="webrtc")
        states: list[TransportStateChanged] = []
        transport.on_state(states.append)
        quiet_ms = 0.0
        loud_ms = 0.0
        filler_at_start: list[float] = []
        drift: list[float] = []
        memory: list[int] = []
        events_back = 0

        async def speak() -> None:  # the app's microphone: 20 ms frames, paced by the track
            n = 0
            while True:
                await transport.send_audio(_tone(20, 330.0, n * 480))
                n += 1

        async def answer() -> None:  # the peer's voice
            n = 0
            while True:
                await peer.play(_tone(20, 550.0, n * 480))
                n += 1

        async def listen() -> None:
            nonlocal quiet_ms, loud_ms
            async for frame in transport.audio_frames():
                clock.received("soak", frame)
                clock.advance(frame)
                if clock.heard_ms("soak") < 1000:
                    continue  # the first second: the streams start
                if not filler_at_start:
                    filler_at_start.append(transport.outbound_silence_ms)
                level = int(np.abs(frame.samples.astype(np.int32)).max())
                if level < 2000:
                    quiet_ms += frame.duration_ms
                else:
                    loud_ms += frame.duration_ms

        async def chat() -> None:  # events both ways, once a second
            nonlocal events_back
            n = 0
            while True:
                await transport.send_text(f'{{"type":"ping","n":{n}}}')
                assert await peer.receive_text() == f'{{"type":"ping","n":{n}}}'
                await peer.send_text(f'{{"type":"pong","n":{n}}}')
                assert await transport.receive_text() == f'{{"type":"pong","n":{n}}}'
                events_back += 1
                n += 1
                await anyio.sleep(1.0)

        async def watch() -> None:
            while True:
                await anyio.sleep(SECONDS / 8)
                sent_ms = peer.track.audio_samples / 48
                drift.append(sent_ms - clock.heard_ms("soak"))
                memory.append(_rss())

        async with anyio.create_task_group() as tg:
            for task in (speak, answer, listen, chat, watch):
                tg.start_soon(task)
            await anyio.sleep(SECONDS)
            tg.cancel_scope.cancel()

        assert not [s for s in states if s.state in ("failed", "stalled", "closed", "ended")]
        assert transport.close_code is None
        # No gap, inbound: everything after the first second carried the peer's tone.
        assert loud_ms >= (SECONDS - 2) * 1000 * 0.9, loud_ms
        assert quiet_ms == 0, f"{quiet_ms} ms of silence in the inbound stream"
        # No gap, outbound: once running, the track never had to fill in silence, and the peer
        # heard what was sent (less what is in flight).
        assert transport.outbound_silence_ms == filler_at_start[0], transport.outbound_silence_ms
        sent_ms = transport.outbound_sent_ms
        assert peer.heard_samples / 48 >= sent_ms - DRIFT_BOUND_MS, (peer.heard_samples, sent_ms)
        # Drift: in-flight audio is bounded and does not grow.
        assert max(drift) < DRIFT_BOUND_MS, drift
        quarter = len(drift) // 4
        assert drift[-1] <= max(drift[: quarter + 1]) + 60, drift
        # Memory: flat from the first quarter on.
        assert memory[-1] - memory[quarter] < MEMORY_BOUND, memory
        assert events_back >= SECONDS / 2
