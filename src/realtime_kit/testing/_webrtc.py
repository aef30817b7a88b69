"""The fake server's WebRTC answerer: ``POST /v1/realtime/calls`` answered by an aiortc peer
that runs the same realtime session as a WebSocket (``FakeRealtimeServer(webrtc=True)``).

Each call is one :class:`~realtime_kit.testing._realtime.RealtimeSession` whose events travel
on the ``oai-events`` data channel (through a :class:`~realtime_kit.testing._wire.Wire`, so
faults, recording and event validation apply as on a socket). Its input is the caller's audio
track — decoded, mixed to mono, brought to 24 kHz and fed to the session's VAD in the
session's own loop — and its output goes to :class:`OutputBuffer`, the server-side output
audio buffer: a track played out in real time that sends ``output_audio_buffer.started`` when
a response's audio starts, ``…stopped`` when it has drained after ``response.done``, and on
barge-in or ``output_audio_buffer.clear`` drops the unplayed audio, cuts the items to what was
heard (the server knows what it played) and sends ``…cleared``. Sideband WebSockets
(``/v1/realtime?call_id=``) join the same session: they get ``session.created``, every event
the session sends, and their events are handled like the data channel's. A hangup (REST, the
caller closing, or the server stopping) ends the session and closes every socket of the call.

The answer advertises no ``max-message-size``, like the API's sample answer, so peers keep
data channel messages within 64 KiB (RFC 8841). Candidates stay on 127.0.0.1.

Imports: aiortc, av, anyio, numpy, starlette, the standard library, public realtime_kit modules
and sibling testing modules.
"""

from __future__ import annotations

import asyncio
import copy
import fractions
import math
from collections import deque
from collections.abc import Callable
from typing import Any

import anyio
import numpy as np

from realtime_kit.errors import MissingExtraError

try:
    from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
    from av import AudioFrame
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError("webrtc", exc.name or "aiortc") from exc

from realtime_kit.testing._realtime import RealtimeSession
from realtime_kit.testing._responses import ResponseRun
from realtime_kit.testing._sockets import ConnectionHandle
from realtime_kit.testing._state import AnswerError, CallRecord, ServerState
from realtime_kit.testing._webrtc_wire import CallWire, DataChannelSocket
from realtime_kit.testing._wire import SocketClosedError, Wire
from realtime_kit.testing.config import (
    REALTIME_MODELS,
    ConfigError,
    default_realtime_session,
    default_transcription_session,
    merge_update,
    validate_update,
)
from realtime_kit.transports.webrtc import (
    EVENTS_CHANNEL,
    close_politely,
    host_candidates,
    strip_max_message_size,
)

__all__ = ["OutputBuffer", "WebRTCCalls"]

_RATE = 48_000
_FRAME = 960  # 20 ms at 48 kHz
_TIME_BASE = fractions.Fraction(1, _RATE)
_OPEN_TIMEOUT_S = 15.0
_RESYNC_S = 0.5


class OutputBuffer(MediaStreamTrack):
    """The server's output audio buffer: assistant audio played to the caller in real time.

    Implements :class:`~realtime_kit.testing._media.SessionMedia` for the call's session.
    """

    kind = "audio"

    def __init__(self, call: _Call) -> None:
        super().__init__()
        self._call = call
        # [response_id, item_id, 48 kHz samples not yet played]
        self._queue: deque[list[Any]] = deque()
        self._runs: dict[str, ResponseRun] = {}
        self._cut: set[str] = set()
        self._playing: str | None = None
        self._last: str | None = None
        self.played: dict[str, int] = {}
        """48 kHz samples played per item (what the caller has been sent)."""
        self._start: float | None = None
        self._pts = 0

    # SessionMedia ----------------------------------------------------------------------------
    def play(self, response_id: str, item_id: str, pcm: bytes) -> None:
        if response_id in self._cut or not pcm:
            return
        session = self._call.session
        if response_id not in self._runs and session is not None:
            run = session.runs.get(response_id)
            if run is not None:
                self._runs[response_id] = run
        # 24 → 48 kHz by repeating samples: exact lengths, no filter delay (a test server's
        # voice needs no better).
        samples = np.repeat(np.frombuffer(pcm, dtype="<i2"), 2)
        self._queue.append([response_id, item_id, samples])

    async def interrupt(self, *, requested: bool) -> None:
        session = self._call.session
        if session is None:
            return
        rid = self._playing or (self._queue[0][0] if self._queue else None)
        if rid is None:
            if requested and self._last is not None:
                await session.send(
                    {"type": "output_audio_buffer.cleared", "response_id": self._last}
                )
            return
        heard: dict[str, int] = {}
        for response_id, item_id, _ in self._queue:
            self._cut.add(response_id)
            heard.setdefault(item_id, self.played.get(item_id, 0))
        self._cut.add(rid)
        self._queue.clear()
        self._playing = None
        self._last = rid
        await session.send({"type": "output_audio_buffer.cleared", "response_id": rid})
        for item_id, samples in heard.items():
            kept = (samples // 2) * 2  # 48 kHz samples → bytes of 24 kHz PCM16
            run = self._runs.get(rid)
            if run is not None and not run.done.is_set():
                session.start_soon(_cut_after, run, session, item_id, kept)
            else:
                _cut_item(session, item_id, kept)

    # the track -------------------------------------------------------------------------------
    def _take(self) -> np.ndarray:
        out = np.zeros(_FRAME, np.int16)
        filled = 0
        while filled < _FRAME and self._queue:
            head = self._queue[0]
            response_id, item_id, samples = head
            if self._playing != response_id:
                self._playing = response_id
                self._emit({"type": "output_audio_buffer.started", "response_id": response_id})
            n = min(_FRAME - filled, samples.size)
            out[filled : filled + n] = samples[:n]
            filled += n
            self.played[item_id] = self.played.get(item_id, 0) + n
            if n == samples.size:
                self._queue.popleft()
            else:
                head[2] = samples[n:]
        playing = self._playing
        if playing is not None and not any(seg[0] == playing for seg in self._queue):
            run = self._runs.get(playing)
            if run is None or run.done.is_set():
                self._playing = None
                self._last = playing
                self._runs.pop(playing, None)
                self._emit({"type": "output_audio_buffer.stopped", "response_id": playing})
        return out

    def _emit(self, event: dict[str, Any]) -> None:
        session = self._call.session
        if session is not None and getattr(session, "_tg", None) is not None:
            session.start_soon(_send_quietly, session, event)

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._start is None:
            self._start = now
        else:
            due = self._start + self._pts / _RATE
            if due > now:
                await asyncio.sleep(due - now)
            elif now - due > _RESYNC_S:
                self._start = now - self._pts / _RATE
        frame = AudioFrame.from_ndarray(self._take().reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = _RATE
        frame.pts = self._pts
        frame.time_base = _TIME_BASE
        self._pts += _FRAME
        return frame


async def _send_quietly(session: RealtimeSession, event: dict[str, Any]) -> None:
    try:
        await session.send(event)
    except SocketClosedError:
        session.end()


async def _cut_after(run: ResponseRun, session: RealtimeSession, item_id: str, kept: int) -> None:
    await run.done.wait()
    _cut_item(session, item_id, kept)


def _cut_item(session: RealtimeSession, item_id: str, kept: int) -> None:
    """Server-side truncation: keep the first ``kept`` bytes of the item's audio and the share
    of its transcript that goes with them."""
    pcm = session.audio.get(item_id)
    item = session.items.get(item_id)
    if pcm is None or item is None or kept >= len(pcm):
        return
    share = kept / len(pcm) if pcm else 0.0
    session.audio[item_id] = pcm[:kept]
    for part in item.get("content") or []:
        if part.get("type") == "output_audio" and isinstance(part.get("transcript"), str):
            words = part["transcript"].split()
            part["transcript"] = " ".join(words[: math.floor(len(words) * share)])


def _to_pcm24(frame: AudioFrame) -> bytes:
    """A decoded frame (48 kHz, any layout) → PCM16 mono 24 kHz bytes."""
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    interleaved = data.T.reshape(-1) if frame.format.is_planar else data.reshape(-1)
    mono = interleaved.reshape(-1, channels).astype(np.int32).mean(axis=1)
    if frame.sample_rate == _RATE:
        mono = mono[: mono.size & ~1].reshape(-1, 2).mean(axis=1)  # average pairs: 48 → 24 kHz
    elif frame.sample_rate != 24_000:
        factor = 24_000 / frame.sample_rate
        positions = np.arange(int(mono.size * factor)) / factor
        mono = np.interp(positions, np.arange(mono.size), mono)
    pcm: bytes = np.clip(np.rint(mono), -32768, 32767).astype("<i2").tobytes()
    return pcm


class _Call:
    """One WebRTC call on the fake server."""

    def __init__(self, calls: WebRTCCalls, record: CallRecord, pc: RTCPeerConnection) -> None:
        self.calls = calls
        self.record = record
        self.pc = pc
        self.output = OutputBuffer(self)
        self.channel: RTCDataChannel | None = None
        self.channel_ready = asyncio.Event()
        self.socket: DataChannelSocket | None = None
        self.wire: CallWire | None = None
        self.session: RealtimeSession | None = None
        self.handle: ConnectionHandle | None = None
        self.config: dict[str, Any] = {}
        self.kind = "realtime"
        self.ended = asyncio.Event()
        self._closing: asyncio.Task[None] | None = None
        self._tracks: list[asyncio.Task[None]] = []
        pc.on("datachannel", self._on_channel)
        pc.on("track", self._on_track)
        pc.on("connectionstatechange", self._on_state)

    def _on_channel(self, channel: RTCDataChannel) -> None:
        if channel.label != EVENTS_CHANNEL or self.channel is not None:
            return  # the API speaks on oai-events only
        self.channel = channel
        self.socket = DataChannelSocket(self, channel)
        self.channel_ready.set()

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._tracks.append(asyncio.get_running_loop().create_task(self._hear(track)))

    def _on_state(self) -> None:
        if self.pc.connectionState in ("failed", "closed") and self.socket is not None:
            code = 1006 if self.pc.connectionState == "failed" else 1000
            self.socket.disconnected(code, "")

    async def _hear(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if isinstance(frame, AudioFrame) and self.wire is not None:
                self.wire.put(_to_pcm24(frame))

    async def run(self) -> None:
        """Serve the call until it ends (a task of the answerer)."""
        try:
            try:
                async with asyncio.timeout(_OPEN_TIMEOUT_S):
                    await self.channel_ready.wait()
            except TimeoutError:
                return
            await self._serve()
        finally:
            with anyio.CancelScope(shield=True):
                if self.wire is not None:
                    for sideband in list(self.wire.sidebands):
                        await sideband.close(1000, "call ended")
                await self.hang_up()
                for task in self._tracks:
                    task.cancel()
                self.record.status = "ended"
                self.ended.set()

    async def _serve(self) -> None:
        state = self.calls.state
        assert self.socket is not None
        with state.lock:
            number = len(state.connections)
            handle = ConnectionHandle(number, "/v1/realtime/calls", {"call_id": self.record.id})
            state.connections.append(handle)
        wire = CallWire(
            self.socket,
            conn_id=number,
            ids=state.ids,
            clock=state.parts.clock,
            faults=[state.faults, handle.faults],
            recorder=state.recorder,
        )
        self.wire = wire
        handle.wire = wire
        handle.portal = self.calls.portal()
        handle.kind = self.kind
        self.handle = handle
        if state.recorder is not None:
            state.recorder.opened(
                state.parts.clock.now(), number, "/v1/realtime/calls", {"call_id": self.record.id}
            )
        session = RealtimeSession(
            wire,
            state.parts,
            kind=self.kind,
            config=self.config,
            faults=[state.faults, handle.faults],
            on_webrtc=True,
        )
        session.media = self.output
        wire.session = session
        self.session = session
        handle.session = session
        self.record.attach = self.attach
        try:
            async with wire.reading(on_closed=session.end), anyio.create_task_group() as tg:
                tg.start_soon(wire.pump)
                await session.run()
                tg.cancel_scope.cancel()
        finally:
            code, reason = wire.closed or (1000, "")
            handle.close_code = code
            handle.close_reason = reason
            handle.ended.set()
            self.record.attach = None

    async def attach(self, handle: ConnectionHandle, sideband: Wire) -> None:
        """A sideband WebSocket joins: it sees the session and its events until it closes."""
        session, wire = self.session, self.wire
        if session is None or wire is None:
            await sideband.close(1008, "call_not_found")
            return
        handle.kind = self.kind
        handle.session = session
        try:
            await sideband.send({"type": "session.created", "session": session.config})
        except SocketClosedError:
            return
        wire.sidebands.append(sideband)
        try:
            async with sideband.reading(on_closed=lambda: None):
                while True:
                    wire.put(await sideband.receive())
        except SocketClosedError:
            pass
        finally:
            if sideband in wire.sidebands:
                wire.sidebands.remove(sideband)

    async def hang_up(self) -> None:
        """End the call politely (idempotent; waits until it is closed)."""
        if self._closing is None:
            self.output.stop()
            channels = [self.channel] if self.channel is not None else []
            self._closing = asyncio.get_running_loop().create_task(
                close_politely(self.pc, channels)
            )
        await asyncio.shield(self._closing)

    def abort(self) -> None:
        """Vanish: stop answering and sending without a goodbye (the drop fault)."""
        if self.socket is not None:
            self.socket.disconnected(1006, "")
        self.output.stop()
        sctp = self.pc.sctp
        ice = sctp.transport.transport if sctp is not None else None
        if ice is not None:
            asyncio.get_running_loop().create_task(ice.stop())


class WebRTCCalls:
    """The answerer: one aiortc peer per ``POST /v1/realtime/calls``.

    Args:
        state: the server's shared state.
        portal: returns the server's portal (for :class:`ConnectionHandle` snapshots).
    """

    def __init__(self, state: ServerState, portal: Callable[[], Any]) -> None:
        self.state = state
        self.portal = portal
        self.calls: dict[str, _Call] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def _config(self, call: CallRecord) -> tuple[str, dict[str, Any]]:
        requested = call.session or {}
        kind = str(requested.get("type", "realtime"))
        state = self.state
        expires = int(state.parts.clock.wall()) + 3600
        if call.from_secret:
            return kind, {**copy.deepcopy(requested), "expires_at": expires}
        sid = state.ids.new("sess")
        if kind == "realtime":
            model = str(requested.get("model", state.default_model))
            if model not in REALTIME_MODELS:
                raise AnswerError(
                    400, f"Invalid value: '{model}'.", "invalid_value", "session.model"
                )
            base = default_realtime_session(sid, model, expires)
        elif kind == "transcription":
            base = default_transcription_session(sid, expires)
        else:
            raise AnswerError(
                400,
                f"Invalid value: '{kind}'. Supported values are: 'realtime', 'transcription'.",
                "invalid_value",
                "session.type",
            )
        try:
            validate_update(kind, requested, current=base)
        except ConfigError as exc:
            raise AnswerError(400, exc.message, exc.code, exc.param) from None
        return kind, merge_update(base, requested)

    async def answer(self, offer: str, record: CallRecord) -> str:
        """Answer ``offer`` for the call ``record``; the call then runs in the background.

        Raises:
            AnswerError: the offer or its session config is unusable (the REST layer answers
                with the status and message).
        """
        kind, config = self._config(record)
        if "m=audio" not in offer:
            raise AnswerError(400, "The SDP offer has no audio section.", "invalid_offer", "sdp")
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        call = _Call(self, record, pc)
        call.kind, call.config = kind, config
        try:
            with host_candidates(("127.0.0.1",)):
                await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
                pc.addTrack(call.output)
                await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:  # noqa: BLE001 (aiortc's parser fails with asserts and more)
            await pc.close()
            detail = str(exc) or type(exc).__name__
            raise AnswerError(400, f"Invalid SDP offer: {detail}", "invalid_offer", "sdp") from None
        self.calls[record.id] = call
        task = asyncio.get_running_loop().create_task(call.run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return strip_max_message_size(pc.localDescription.sdp)

    async def aclose(self) -> None:
        """Hang up every call (the server is stopping)."""
        for call in list(self.calls.values()):
            await call.hang_up()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
