"""WebRTC sessions: realtime_kit's transport against bare aiortc doing the same work.

Run ``python benchmarks/bench_webrtc.py`` (``--sessions``, ``--seconds``, ``--setups``,
``--json``). A server process on loopback answers SDP offers (over a small TCP signalling
socket) with aiortc peers that play a continuous 20 ms tone, send one JSON event every 100 ms
on the ``oai-events`` channel and swallow what they hear, so the CPU measured here is the
client's alone. Both clients, in the same run, against the same server:

* open a call (offer with one sendrecv audio track and the ``oai-events`` channel, answer,
  ICE/DTLS/SCTP) and wait for the channel to open and the first inbound audio frame:
  **setup time**;
* then stream 24 kHz mono PCM16 in 20 ms frames to the outbound track (Opus by aiortc), read
  the inbound track as 24 kHz mono PCM16, and read and ``json.loads`` every event:
  **CPU per session-second** over ``--sessions`` concurrent calls for ``--seconds`` (split in
  ``--rounds`` turns; setups alternate too, so load from elsewhere is shared).

realtime_kit: ``WebRTCTransport`` (``send_audio``, ``audio_frames``, ``receive_text``, with its
stall watchdog on). Bare aiortc: an ``RTCPeerConnection`` with a paced track fed from a queue,
a reader that converts frames with ``av.AudioResampler`` and a channel ``message`` handler: the
least a hand-written client does. "Sessions per core" is 1 / CPU per session-second. Machines
differ, so the figures that count are the ratios. May import: realtime_kit, aiortc, av, numpy
and the standard library (a dev-only script).
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import multiprocessing
import resource
import statistics
import struct
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, AudioResampler

from realtime_kit import PCMFrame
from realtime_kit.transports import WebRTCConfig
from realtime_kit.transports.webrtc import WebRTCTransport, host_candidates

LOOPBACK = ("127.0.0.1",)
EVENT_EVERY_S = 0.1
_TONE = (np.sin(np.arange(480) * 2 * np.pi / 48) * 6000).astype(np.int16)  # 20 ms at 24 kHz


class _PacedTone(MediaStreamTrack):
    """A 48 kHz tone in real time (the server's voice; also bare aiortc's track skeleton)."""

    kind = "audio"

    def __init__(self, source: Callable[[], np.ndarray] | None = None, rate: int = 48_000):
        super().__init__()
        self._rate = rate
        self._samples = rate // 50
        self._source = source
        self._start: float | None = None
        self._pts = 0

    async def recv(self) -> AudioFrame:
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            wait = self._start + self._pts / self._rate - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
        data = (
            self._source()
            if self._source
            else np.tile(_TONE, 2)[: self._samples]  # 48 kHz: twice the 24 kHz cycle
        )
        frame = AudioFrame.from_ndarray(data.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self._rate
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, self._rate)
        self._pts += self._samples
        return frame


# -- the server process ------------------------------------------------------------------------


async def _serve_peer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    size = struct.unpack("!I", await reader.readexactly(4))[0]
    offer = (await reader.readexactly(size)).decode()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    tasks: list[asyncio.Task[None]] = []

    async def swallow(track: MediaStreamTrack) -> None:
        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return

    async def chatter(channel: Any) -> None:
        n = 0
        while channel.readyState == "open":
            channel.send(json.dumps({"type": "response.output_audio_transcript.delta", "n": n}))
            n += 1
            await asyncio.sleep(EVENT_EVERY_S)

    pc.on("track", lambda t: tasks.append(asyncio.ensure_future(swallow(t))))
    pc.on("datachannel", lambda c: tasks.append(asyncio.ensure_future(chatter(c))))
    with host_candidates(LOOPBACK):
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        pc.addTrack(_PacedTone())
        await pc.setLocalDescription(await pc.createAnswer())
    answer = pc.localDescription.sdp.encode()
    writer.write(struct.pack("!I", len(answer)) + answer)
    await writer.drain()
    await reader.read()  # the client hangs up by closing the signalling socket
    await pc.close()
    for task in tasks:
        task.cancel()


def _server(port_out: Any) -> None:
    async def main() -> None:
        server = await asyncio.start_server(_serve_peer, "127.0.0.1", 0)
        port_out.send(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


# -- the clients -------------------------------------------------------------------------------


class _Signal:
    def __init__(self, port: int) -> None:
        self.port = port
        self.writer: asyncio.StreamWriter | None = None

    async def exchange(self, offer: str) -> tuple[str, str]:
        reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        data = offer.encode()
        self.writer.write(struct.pack("!I", len(data)) + data)
        await self.writer.drain()
        size = struct.unpack("!I", await reader.readexactly(4))[0]
        return "rtc_bench", (await reader.readexactly(size)).decode()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class _Session:
    """One call's work, counted: audio frames in, samples in, events in."""

    def __init__(self) -> None:
        self.samples_in = 0
        self.events_in = 0
        self.first_audio = asyncio.Event()


async def _ours(port: int, session: _Session, run_for: float | None) -> float:
    signal = _Signal(port)
    t0 = time.perf_counter()
    transport = await WebRTCTransport.connect(
        signal.exchange, WebRTCConfig(local_addresses=LOOPBACK)
    )
    frames = transport.audio_frames()
    first = await frames.__anext__()
    session.samples_in += first.num_samples
    setup = time.perf_counter() - t0
    if run_for:

        async def speak() -> None:
            frame = PCMFrame.from_array(_TONE)
            while True:
                await transport.send_audio(frame)

        async def hear() -> None:
            async for pcm in frames:
                session.samples_in += pcm.num_samples

        async def read() -> None:
            while True:
                json.loads(await transport.receive_text())
                session.events_in += 1

        tasks = [asyncio.ensure_future(f()) for f in (speak, hear, read)]
        await asyncio.sleep(run_for)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await transport.aclose()
    signal.close()
    return setup


async def _bare(port: int, session: _Session, run_for: float | None) -> float:
    signal = _Signal(port)
    t0 = time.perf_counter()
    queue: asyncio.Queue[np.ndarray] = asyncio.Queue(maxsize=50)
    silence = np.zeros(480, np.int16)

    def next_frame() -> np.ndarray:
        return silence if queue.empty() else queue.get_nowait()

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver(_PacedTone(next_frame, rate=24_000), direction="sendrecv")
    channel = pc.createDataChannel("oai-events")
    opened = asyncio.Event()
    channel.on("open", opened.set)
    tracks: asyncio.Queue[MediaStreamTrack] = asyncio.Queue()
    pc.on("track", tracks.put_nowait)

    def on_message(message: str) -> None:
        json.loads(message)
        session.events_in += 1

    channel.on("message", on_message)
    with host_candidates(LOOPBACK):
        await pc.setLocalDescription(await pc.createOffer())
    _, answer = await signal.exchange(pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    await opened.wait()
    track = await tracks.get()
    resampler = AudioResampler(format="s16", layout="mono", rate=24_000)
    for out in resampler.resample(await track.recv()):
        session.samples_in += out.samples
    setup = time.perf_counter() - t0
    if run_for:

        async def speak() -> None:
            while True:
                await queue.put(_TONE)

        async def hear() -> None:
            while True:
                frame = await track.recv()
                for out in resampler.resample(frame):
                    session.samples_in += out.to_ndarray().size

        tasks = [asyncio.ensure_future(f()) for f in (speak, hear)]
        await asyncio.sleep(run_for)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await pc.close()
    signal.close()
    return setup


Client = Callable[[int, _Session, float | None], Awaitable[float]]


async def _duplex(client: Client, port: int, sessions: int, seconds: float) -> dict[str, float]:
    work = [_Session() for _ in range(sessions)]
    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    await asyncio.gather(*(client(port, s, seconds) for s in work))
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    session_seconds = sessions * seconds
    return {
        "cpu_s": cpu,
        "wall_s": wall,
        "cpu_per_session_second_ms": cpu / session_seconds * 1000,
        "sessions_per_core": session_seconds / cpu if cpu else float("inf"),
        "audio_in_s_per_session": sum(s.samples_in for s in work) / 24_000 / sessions,
        "events_in_per_session": sum(s.events_in for s in work) / sessions,
    }


def _combine(parts: list[dict[str, float]], sessions: int, seconds: float) -> dict[str, float]:
    cpu = sum(p["cpu_s"] for p in parts)
    session_seconds = sessions * seconds
    return {
        "cpu_s": cpu,
        "wall_s": sum(p["wall_s"] for p in parts),
        "cpu_per_session_second_ms": cpu / session_seconds * 1000,
        "sessions_per_core": session_seconds / cpu if cpu else float("inf"),
        "audio_in_s_per_session": sum(p["audio_in_s_per_session"] for p in parts),
        "events_in_per_session": sum(p["events_in_per_session"] for p in parts),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--setups", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2, help="turns each client takes")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    ctx = multiprocessing.get_context("spawn")
    recv_port, send_port = ctx.Pipe(duplex=False)
    server = ctx.Process(target=_server, args=(send_port,), daemon=True)
    server.start()
    try:
        port = recv_port.recv()
        figures: dict[str, Any] = {}

        async def run() -> None:
            # Turns, so a burst of load from another process is shared between the clients.
            clients: tuple[tuple[str, Client], ...] = (("ours", _ours), ("bare", _bare))
            for _, client in clients:
                await client(port, _Session(), None)  # warm up (imports, codecs)
            setups: dict[str, list[float]] = {"ours": [], "bare": []}
            for _ in range(args.setups):
                for name, client in clients:
                    setups[name].append(await client(port, _Session(), None))
            for name, times in setups.items():
                figures[f"setup_ms_{name}"] = statistics.median(times) * 1000
            rounds: dict[str, list[dict[str, float]]] = {"ours": [], "bare": []}
            for _ in range(args.rounds):
                for name, client in clients:
                    rounds[name].append(
                        await _duplex(client, port, args.sessions, args.seconds / args.rounds)
                    )
            for name, parts in rounds.items():
                figures[f"duplex_{name}"] = _combine(parts, args.sessions, args.seconds)

        asyncio.run(run())
    finally:
        server.terminate()
        server.join(10)
    ours, bare = figures["duplex_ours"], figures["duplex_bare"]
    figures["setup_ratio"] = figures["setup_ms_ours"] / figures["setup_ms_bare"]
    figures["cpu_ratio"] = ours["cpu_per_session_second_ms"] / bare["cpu_per_session_second_ms"]
    if args.json:
        json.dump(figures, sys.stdout, indent=2)
        print()
        return
    print(f"setup (offer -> channel open -> first audio), median of {args.setups}:")
    print(f"  realtime_kit {figures['setup_ms_ours']:7.1f} ms")
    print(f"  bare aiortc  {figures['setup_ms_bare']:7.1f} ms   ratio {figures['setup_ratio']:.2f}")
    print(f"full duplex, {args.sessions} sessions x {args.seconds:g} s:")
    for name, label in (("ours", "realtime_kit"), ("bare", "bare aiortc ")):
        d = figures[f"duplex_{name}"]
        print(
            f"  {label} {d['cpu_per_session_second_ms']:6.1f} ms CPU per session-second, "
            f"{d['sessions_per_core']:5.1f} sessions per core "
            f"(heard {d['audio_in_s_per_session']:.1f} s, {d['events_in_per_session']:.0f} events)"
        )
    print(f"  ratio {figures['cpu_ratio']:.2f}")


if __name__ == "__main__":
    main()
