"""The WebRTC transport: a Python media peer of the Realtime API, on aiortc (extra ``webrtc``).

:meth:`WebRTCTransport.connect` makes an SDP offer with one audio transceiver (send and
receive) and the ``oai-events`` data channel, hands it to an *exchange* (the client layer
posts it to ``POST /v1/realtime/calls``; a test may answer it directly), applies the answer
and waits until the data channel is open. From then on it is a
:class:`~realtime_kit.transports.base.Transport` — JSON events are text messages on the data
channel — and a :class:`~realtime_kit.transports.base.MediaTransport`: ``send_audio`` feeds
the outbound track (Opus by aiortc), ``audio_frames`` yields the inbound track as PCM at the
app's rate, ``delivered_samples`` counts what it delivered.

There are no close codes on WebRTC. A polite end by the peer (its data channel or its DTLS
session closed) reads as 1000; a failure of the network reads as 1006 and is recoverable:
ICE or DTLS failed, the inbound track ended on its own, or — so that a peer that died quietly
is noticed — no packet at all arrived for ``stall_timeout`` seconds. ICE, DTLS, data channel
and track states are reported as :class:`~realtime_kit.transports.base.TransportStateChanged`.
Every failure surfaces as a :mod:`realtime_kit.errors` type; nothing from aiortc escapes.

aioice offers every interface's address except 127.0.0.1. :func:`host_candidates` (used by
``WebRTCConfig.local_addresses``) narrows host candidates to given addresses for the calls
made inside it — the way tests keep WebRTC on loopback.

Only this transport needs asyncio (aiortc runs on it); under trio ``connect`` raises
:class:`~realtime_kit.errors.ConfigurationError` at once.

Imports: aiortc, aioice, anyio, the standard library, ``audio``, ``errors``, ``_sync`` and
``transports``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import anyio

from realtime_kit._sync import on_asyncio
from realtime_kit.errors import (
    ConfigurationError,
    ConnectionClosedError,
    HandshakeError,
    LocalProtocolError,
    MissingExtraError,
    RemoteProtocolError,
)

try:
    from aiortc import (
        RTCConfiguration,
        RTCDataChannel,
        RTCIceServer,
        RTCPeerConnection,
        RTCSessionDescription,
    )
    from aiortc.exceptions import InvalidAccessError, InvalidStateError
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError("webrtc", exc.name or "aiortc") from exc

from realtime_kit.audio.frame import PCMFrame
from realtime_kit.transports._webrtc_media import InboundAudio, OutboundTrack
from realtime_kit.transports._webrtc_options import IceServer, WebRTCConfig
from realtime_kit.transports._webrtc_sdp import (
    DEFAULT_MAX_MESSAGE,
    candidate_addresses,
    close_politely,
    host_candidates,
    max_message_size,
    strip_max_message_size,
)
from realtime_kit.transports.base import (
    TransportCapabilities,
    TransportLayer,
    TransportStateChanged,
)

__all__ = [
    "EVENTS_CHANNEL",
    "OutboundTrack",
    "SdpExchange",
    "WebRTCTransport",
    "candidate_addresses",
    "close_politely",
    "host_candidates",
    "max_message_size",
    "strip_max_message_size",
]

_log = logging.getLogger("realtime_kit.transports.webrtc")

EVENTS_CHANNEL = "oai-events"
"""The data channel the Realtime API carries its JSON events on."""

SdpExchange = Callable[[str], Awaitable[tuple[str, str]]]
"""Sends an SDP offer and returns ``(call_id, answer_sdp)``."""

_NORMAL = 1000
_ABNORMAL = 1006
_HIGH_WATER = 1 << 20  # bytes queued on the data channel before send_text waits
_STATE_LOG = 256


def _ice_servers(servers: Sequence[IceServer]) -> list[RTCIceServer]:
    return [
        RTCIceServer(
            urls=list(s.urls) if isinstance(s.urls, tuple) else s.urls,
            username=s.username,
            credential=s.credential,
        )
        for s in servers
    ]


# -- the transport -----------------------------------------------------------------------------


class WebRTCTransport:
    """One WebRTC call: the ``oai-events`` data channel plus an audio track each way.

    Open one with :meth:`connect` (or :func:`realtime_kit.connect` with
    ``transport="webrtc"``). See the module docstring for the contract.
    """

    def __init__(self, pc: RTCPeerConnection, config: WebRTCConfig) -> None:
        self._pc = pc
        self._config = config
        self._outbound = OutboundTrack(config.outbound_buffer_ms)
        self._inbound = InboundAudio(config.audio_rate, config.inbound_buffer_ms, self._track_ended)
        self._channel: RTCDataChannel | None = None
        self._inbox: deque[str | RemoteProtocolError] = deque()
        self._inbox_ready = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._opened = asyncio.Event()
        self._ended = asyncio.Event()
        self._close_code: int | None = None
        self._close_reason = ""
        self._recoverable = False
        self._local_close = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closer: asyncio.Task[None] | None = None
        self._states: dict[str, str] = {}
        self._callbacks: list[Callable[[TransportStateChanged], None]] = []
        self.state_log: deque[TransportStateChanged] = deque(maxlen=_STATE_LOG)
        """The latest state changes (up to 256), oldest first."""
        self.call_id: str | None = None
        """The call's ``rtc_…`` id (from the answer's ``Location``): join it with a sideband
        WebSocket (``realtime_kit.connect(call_id=...)``) or hang it up over REST."""
        self.offer_sdp = ""
        """The SDP offer this peer made."""
        self.answer_sdp = ""
        """The SDP answer the server gave."""
        self._capabilities = TransportCapabilities(
            name="webrtc",
            audio_in_band=False,
            server_playback=True,
            secure=True,
            close_codes=False,
            max_message_bytes=DEFAULT_MAX_MESSAGE,
        )

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    async def connect(
        cls, exchange: SdpExchange, config: WebRTCConfig | None = None
    ) -> WebRTCTransport:
        """Offer, exchange, answer, and wait for the ``oai-events`` channel to open.

        Raises:
            ConfigurationError: not running on asyncio.
            HandshakeError: the offer was refused (``status`` set, the server's message in
                the text), the answer is unusable, ICE or DTLS failed, or the channel did
                not open within ``connect_timeout``.
        """
        if not on_asyncio():
            raise ConfigurationError(
                "the WebRTC transport needs the asyncio backend (aiortc runs on asyncio); "
                "under trio use transport='websocket'"
            )
        config = config or WebRTCConfig()
        pc = RTCPeerConnection(RTCConfiguration(iceServers=_ice_servers(config.ice_servers)))
        self = cls(pc, config)
        try:
            async with asyncio.timeout(config.connect_timeout):
                await self._negotiate(exchange)
        except TimeoutError:
            await self._abandon()
            raise HandshakeError(
                f"the WebRTC connection did not open within {config.connect_timeout} s "
                f"(ICE {pc.iceConnectionState}, connection {pc.connectionState})"
            ) from None
        except BaseException:
            await self._abandon()
            raise
        if config.stall_timeout is not None:
            self._spawn(self._watch(config.stall_timeout))
        return self

    async def _negotiate(self, exchange: SdpExchange) -> None:
        pc = self._pc
        pc.addTransceiver(self._outbound, direction="sendrecv")
        channel = pc.createDataChannel(EVENTS_CHANNEL, ordered=True)
        self._channel = channel
        self._wire(pc, channel)
        try:
            with host_candidates(self._config.local_addresses):
                await pc.setLocalDescription(await pc.createOffer())
        except (ValueError, InvalidStateError, OSError) as exc:
            raise HandshakeError(f"could not make a WebRTC offer: {exc}") from exc
        self.offer_sdp = pc.localDescription.sdp
        call_id, answer = await exchange(self.offer_sdp)
        self.call_id = call_id
        self.answer_sdp = answer
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        except (ValueError, AssertionError, InvalidStateError, InvalidAccessError) as exc:
            # aiortc's SDP parser reports malformed lines with assert.
            detail = str(exc) or type(exc).__name__
            raise HandshakeError(f"the server's SDP answer is unusable: {detail}") from exc
        limit = max_message_size(answer)
        self._capabilities = TransportCapabilities(
            name="webrtc",
            audio_in_band=False,
            server_playback=True,
            secure=True,
            close_codes=False,
            max_message_bytes=limit,
        )
        sctp = pc.sctp
        if sctp is not None:
            dtls = sctp.transport
            dtls.on("statechange", lambda: self._state("dtls", dtls.state))
        opened = asyncio.create_task(self._opened.wait())
        ended = asyncio.create_task(self._ended.wait())
        try:
            await asyncio.wait({opened, ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            opened.cancel()
            ended.cancel()
        if not self._opened.is_set():
            raise HandshakeError(
                f"the WebRTC connection failed before opening: {self._close_reason}"
            )

    def _wire(self, pc: RTCPeerConnection, channel: RTCDataChannel) -> None:
        pc.on("iceconnectionstatechange", lambda: self._ice_changed(pc.iceConnectionState))
        pc.on("connectionstatechange", lambda: self._connection_changed(pc.connectionState))
        pc.on("track", self._on_track)
        channel.on("open", self._channel_opened)
        channel.on("close", self._channel_closed)
        channel.on("message", self._on_message)
        channel.on("bufferedamountlow", self._drained.set)
        channel.bufferedAmountLowThreshold = _HIGH_WATER // 2

    async def _abandon(self) -> None:
        self._end(_ABNORMAL, self._close_reason or "connect abandoned", recoverable=True)
        with anyio.CancelScope(shield=True):
            await self._shutdown()

    # -- Transport ---------------------------------------------------------------------------

    @property
    def capabilities(self) -> TransportCapabilities:
        """``webrtc``: audio on tracks, playback on the server, DTLS, no close codes, and the
        peer's data channel message limit (64 KiB unless its answer says otherwise)."""
        return self._capabilities

    @property
    def close_code(self) -> int | None:
        """1000 (a polite end) or 1006 (the network failed) once ended, else ``None``."""
        return self._close_code

    @property
    def close_reason(self) -> str:
        """Why it ended, in words (WebRTC carries no close reason)."""
        return self._close_reason

    @property
    def closed(self) -> bool:
        """Whether the connection has ended."""
        return self._ended.is_set()

    def _text(self, data: str | bytes) -> str:
        if self._ended.is_set() or self._channel is None:
            raise self._closed_error()
        text = data if isinstance(data, str) else data.decode("utf-8")
        limit = self._capabilities.max_message_bytes
        if limit is not None and len(text) * 4 > limit:
            size = len(data) if isinstance(data, bytes) else len(text.encode("utf-8"))
            if size > limit:
                raise LocalProtocolError(
                    f"send a {size}-byte event",
                    f"the peer accepts at most {limit} bytes per data channel message",
                )
        return text

    def try_send_text(self, data: bytes) -> bool:
        """Send at once when the channel is not backed up; ``False`` to say "use send_text"."""
        text = self._text(data)
        assert self._channel is not None
        if self._channel.bufferedAmount > _HIGH_WATER:
            return False
        self._send_now(text)
        return True

    async def send_text(self, data: str | bytes) -> None:
        """Send one event; waits while more than 1 MiB is queued on the channel."""
        text = self._text(data)
        assert self._channel is not None
        while self._channel.bufferedAmount > _HIGH_WATER and not self._ended.is_set():
            self._drained.clear()
            await self._drained.wait()
        self._send_now(text)

    def _send_now(self, text: str) -> None:
        assert self._channel is not None
        try:
            self._channel.send(text)
        except InvalidStateError:
            raise self._closed_error() from None
        except ValueError as exc:  # over the peer's limit after all
            raise LocalProtocolError("send the event", str(exc)) from None

    async def receive_text(self) -> str:
        """The next event from the data channel (events sent before the end still arrive)."""
        while True:
            if self._inbox:
                item = self._inbox.popleft()
                if isinstance(item, RemoteProtocolError):
                    raise item
                return item
            if self._ended.is_set():
                raise self._closed_error()
            self._inbox_ready.clear()
            await self._inbox_ready.wait()

    async def aclose(self, code: int = _NORMAL, reason: str = "") -> None:
        """Hang up politely: the data channel (after what it queued), then the connection."""
        if not self._ended.is_set():
            self._local_close = True
            self._end(_NORMAL, reason or "closed by the client", recoverable=False)
        with anyio.CancelScope(shield=True):
            await self._shutdown()

    # -- MediaTransport ----------------------------------------------------------------------

    @property
    def audio_rate(self) -> int:
        """Sample rate of the frames :meth:`audio_frames` yields."""
        return self._inbound.rate

    @property
    def delivered_samples(self) -> int:
        """Inbound samples (at :attr:`audio_rate`) delivered by the track so far."""
        return self._inbound.delivered_samples

    @property
    def dropped_ms(self) -> float:
        """Inbound audio dropped because ``audio_frames()`` was not read in time."""
        return self._inbound.dropped_samples * 1000 / self._inbound.rate

    @property
    def outbound_queued_ms(self) -> float:
        """Audio queued for the outbound track and not yet sent."""
        return self._outbound.queued_ms

    @property
    def outbound_sent_ms(self) -> float:
        """Audio the outbound track has sent so far (the app's and filler silence)."""
        return (self._outbound.audio_samples + self._outbound.silence_samples) / 48

    @property
    def outbound_silence_ms(self) -> float:
        """Filler silence the outbound track sent because nothing was queued (gaps)."""
        return self._outbound.silence_samples / 48

    async def send_audio(self, frame: PCMFrame) -> None:
        """Queue ``frame`` (any rate, mono or stereo) for the outbound track."""
        if self._ended.is_set():
            raise self._closed_error()
        await self._outbound.push(frame)
        if self._ended.is_set():
            raise self._closed_error()

    def clear_outbound(self) -> float:
        """Drop audio queued for the outbound track; returns the ms dropped."""
        return self._outbound.clear()

    def audio_frames(self) -> AsyncIterator[PCMFrame]:
        """Inbound audio, mono PCM16 at :attr:`audio_rate`, in order, until the end."""
        return self._inbound.frames()

    def on_state(self, callback: Callable[[TransportStateChanged], None]) -> Callable[[], None]:
        """Call ``callback`` for each state change from now on; returns the unsubscriber."""
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return unsubscribe

    # -- events from aiortc ------------------------------------------------------------------

    def _state(self, layer: TransportLayer, state: str) -> None:
        previous = self._states.get(layer, "")
        if previous == state:
            return
        self._states[layer] = state
        change = TransportStateChanged(layer, state, previous, time.monotonic())
        self.state_log.append(change)
        for callback in list(self._callbacks):
            try:
                callback(change)
            except Exception:  # noqa: BLE001 (a listener's bug must not break the call)
                _log.exception("a WebRTC state listener failed")

    def _ice_changed(self, state: str) -> None:
        self._state("ice", state)
        if state == "failed":
            self._end(_ABNORMAL, "ICE failed: no candidate pair works", recoverable=True)

    def _connection_changed(self, state: str) -> None:
        self._state("connection", state)
        if state == "failed":
            self._end(_ABNORMAL, "the connection failed (ICE or DTLS)", recoverable=True)
        elif state == "closed":
            self._end(_NORMAL, "the peer closed the connection", recoverable=False)

    def _on_track(self, track: Any) -> None:
        if track.kind != "audio":
            return
        self._state("track", "live")
        self._spawn(self._inbound.run(track))

    def _track_ended(self, why: str) -> None:
        self._state("track", "ended")
        self._end(_ABNORMAL, why, recoverable=True)

    def _channel_opened(self) -> None:
        self._state("data_channel", "open")
        self._opened.set()

    def _channel_closed(self) -> None:
        self._state("data_channel", "closed")
        self._end(_NORMAL, "the peer closed the event channel", recoverable=False)

    def _on_message(self, message: str | bytes) -> None:
        if isinstance(message, str):
            self._inbox.append(message)
        else:
            self._inbox.append(
                RemoteProtocolError(f"a {len(message)}-byte binary message on {EVENTS_CHANNEL}")
            )
        self._inbox_ready.set()

    # -- ending ------------------------------------------------------------------------------

    def _end(self, code: int, reason: str, *, recoverable: bool) -> None:
        """Record the first end; wake everyone; start shutting the peer connection."""
        if self._ended.is_set():
            return
        self._close_code = code
        self._close_reason = reason
        self._recoverable = recoverable
        self._ended.set()
        self._inbox_ready.set()
        self._drained.set()
        self._inbound.close()
        self._outbound.stop()
        if not self._local_close:
            _log.info("WebRTC call %s ended: %s (%s)", self.call_id, code, reason)
        if self._closer is None and not self._local_close:
            self._closer = asyncio.get_running_loop().create_task(self._close_peer())

    async def _close_peer(self) -> None:
        channels = [self._channel] if self._channel is not None else []
        await close_politely(self._pc, channels)

    async def _shutdown(self) -> None:
        if self._closer is None:
            self._closer = asyncio.get_running_loop().create_task(self._close_peer())
        await self._closer
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _closed_error(self) -> ConnectionClosedError:
        return ConnectionClosedError(
            self._close_code, self._close_reason, recoverable=self._recoverable
        )

    def _spawn(self, coro: Awaitable[None]) -> None:
        async def run() -> None:
            await coro

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _watch(self, limit: float) -> None:
        """End the call (1006) when nothing at all arrives from the peer for ``limit`` s."""
        loop = asyncio.get_running_loop()
        interval = min(1.0, limit / 4)
        seen = -1
        since = loop.time()
        while not self._ended.is_set():
            await asyncio.sleep(interval)
            count = await self._packets_received()
            now = loop.time()
            if count != seen:
                seen, since = count, now
            elif now - since >= limit:
                self._state("connection", "stalled")
                self._end(
                    _ABNORMAL,
                    f"nothing arrived from the peer for {limit:g} s",
                    recoverable=True,
                )
                return

    async def _packets_received(self) -> int:
        try:
            report = await self._pc.getStats()
        except (InvalidStateError, ConnectionError, AttributeError):
            return -2  # shutting down: counts as a change, the end is reported elsewhere
        return max(
            (
                int(getattr(s, "packetsReceived", 0))
                for s in report.values()
                if s.type == "transport"
            ),
            default=0,
        )

    def __repr__(self) -> str:
        state = "open" if not self._ended.is_set() else f"closed {self._close_code}"
        return f"WebRTCTransport(call_id={self.call_id!r}, {state})"
