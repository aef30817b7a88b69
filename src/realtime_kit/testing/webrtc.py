"""WebRTC test tools (extra ``webrtc``): a loopback pair for the transport conformance suite.

:func:`loopback_webrtc_pair` opens a :class:`~realtime_kit.transports.webrtc.WebRTCTransport`
to a :class:`WebRTCPeer` in the same process — a bare aiortc answerer on 127.0.0.1 that plays
the server: it takes the ``oai-events`` channel, sends a steady audio track back (silence
unless told to play something) and keeps what it hears. Run
:func:`~realtime_kit.testing.check_transport` with it::

    await check_transport(loopback_webrtc_pair)

The peer answers the way the API's sample answer does (no ``max-message-size``: 64 KiB), so the
suite exercises the transport's message limit too. asyncio only, like aiortc.

Imports: aiortc, numpy, the standard library and public realtime_kit modules.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import numpy as np

from realtime_kit.audio import PCMFrame
from realtime_kit.errors import ConnectionClosedError
from realtime_kit.transports import WebRTCConfig
from realtime_kit.transports.webrtc import (
    EVENTS_CHANNEL,
    OutboundTrack,
    WebRTCTransport,
    close_politely,
    host_candidates,
    strip_max_message_size,
)

try:
    from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
    from av import AudioFrame
except ImportError as exc:  # pragma: no cover - the import above already needs the extra
    from realtime_kit.errors import MissingExtraError

    raise MissingExtraError("webrtc", exc.name or "aiortc") from exc

__all__ = ["WebRTCPeer", "loopback_webrtc_pair"]

_LOOPBACK = ("127.0.0.1",)


class WebRTCPeer:
    """The server end of :func:`loopback_webrtc_pair` (a :class:`TransportPeer`).

    Attributes:
        heard_samples: samples (48 kHz mono) received on the audio track so far.
        heard_gaps: pauses of more than 100 ms between two received audio frames (arrival
            gaps: a stalled stream shows here).
    """

    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.track = OutboundTrack(capacity_ms=1000)
        self._channel: RTCDataChannel | None = None
        self._ready = asyncio.Event()
        self._inbox: asyncio.Queue[str | None] = asyncio.Queue()
        self._closed = asyncio.Event()
        self._failed = False
        self._tasks: list[asyncio.Task[None]] = []
        self.heard_samples = 0
        self.heard_gaps = 0
        self.heard_peak = 0
        self.pc.on("datachannel", self._on_channel)
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_state)

    async def answer(self, offer: str) -> str:
        """Answer ``offer`` (host candidates on 127.0.0.1 only, no message size advertised)."""
        with host_candidates(_LOOPBACK):
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            self.pc.addTrack(self.track)
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        return strip_max_message_size(self.pc.localDescription.sdp)

    def _on_channel(self, channel: RTCDataChannel) -> None:
        if channel.label != EVENTS_CHANNEL:
            return
        self._channel = channel
        channel.on("message", self._on_message)
        channel.on("close", self._on_close)
        self._ready.set()

    def _on_message(self, message: str | bytes) -> None:
        self._inbox.put_nowait(message if isinstance(message, str) else message.decode())

    def _on_close(self) -> None:
        self._closed.set()
        self._inbox.put_nowait(None)

    def _on_state(self) -> None:
        if self.pc.connectionState == "failed":
            self._failed = True
        if self.pc.connectionState in ("failed", "closed"):
            self._on_close()

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._tasks.append(asyncio.get_running_loop().create_task(self._hear(track)))

    async def _hear(self, track: MediaStreamTrack) -> None:
        loop = asyncio.get_running_loop()
        last: float | None = None
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, AudioFrame):
                continue
            now = loop.time()
            if last is not None and now - last > 0.1:
                self.heard_gaps += 1
            last = now
            samples = frame.to_ndarray()
            self.heard_samples += frame.samples
            self.heard_peak = max(self.heard_peak, int(np.abs(samples.astype(np.int32)).max()))

    async def ready(self) -> None:
        """Wait for the transport's ``oai-events`` channel."""
        await self._ready.wait()

    # TransportPeer -------------------------------------------------------------------------------
    async def send_text(self, data: str) -> None:
        """Send one event to the transport."""
        await self.ready()
        assert self._channel is not None
        self._channel.send(data)

    async def receive_text(self) -> str:
        """The next event the transport sent."""
        message = await self._inbox.get()
        if message is None:
            self._inbox.put_nowait(None)
            raise ConnectionClosedError(1000, "the transport closed the channel")
        return message

    async def close(self, code: int, reason: str) -> None:
        """Hang up politely (WebRTC has no close code: ``code`` and ``reason`` stay here)."""
        del code, reason
        channels = [self._channel] if self._channel is not None else []
        await close_politely(self.pc, channels)

    async def abort(self) -> None:
        """Vanish: close the ICE transport without a DTLS goodbye (a crashed server)."""
        sctp = self.pc.sctp
        if sctp is not None:
            await sctp.transport.transport.stop()

    async def wait_closed(self) -> int | None:
        """1000 once the transport closed the channel politely, 1006 when the link failed."""
        await self._closed.wait()
        return 1006 if self._failed else 1000

    # audio ---------------------------------------------------------------------------------------
    async def play(self, frame: PCMFrame) -> None:
        """Send audio to the transport's inbound track (behind what is queued)."""
        await self.track.push(frame)

    async def aclose(self) -> None:
        """Close the peer connection and stop reading."""
        await self.pc.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@asynccontextmanager
async def loopback_webrtc_pair(
    config: WebRTCConfig | None = None,
) -> AsyncIterator[tuple[WebRTCTransport, WebRTCPeer]]:
    """A :class:`WebRTCTransport` connected to a :class:`WebRTCPeer` on 127.0.0.1.

    ``config`` defaults to loopback candidates and a 2-second stall timeout (so a vanished
    peer is noticed quickly); ``local_addresses`` is always loopback.
    """
    chosen = config or WebRTCConfig(stall_timeout=2.0)
    chosen = replace(chosen, local_addresses=_LOOPBACK)
    peer = WebRTCPeer()

    async def exchange(offer: str) -> tuple[str, str]:
        return "rtc_loopback", await peer.answer(offer)

    try:
        transport = await WebRTCTransport.connect(exchange, chosen)
        try:
            await peer.ready()
            yield transport, peer
        finally:
            await transport.aclose()
    finally:
        await peer.aclose()
