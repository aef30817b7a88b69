"""The fake server's end of a WebRTC call's event channel, shaped like its WebSocket end.

:class:`DataChannelSocket` offers what :class:`~realtime_kit.testing._wire.Wire` uses of a
Starlette ``WebSocket`` (``send_text``, ``receive``, ``close``, ``application_state`` and the
``scope`` entry the drop fault reaches the transport through), over the ``oai-events`` data
channel, so faults, recording and event validation work on a call as on a socket.
:class:`CallWire` is that Wire fanned out to the call's sideband sockets.

Imports: aiortc, starlette, the standard library and sibling testing modules.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Protocol, cast

from aiortc import RTCDataChannel
from aiortc.exceptions import InvalidStateError
from starlette.websockets import WebSocket, WebSocketState

from realtime_kit.testing._wire import SocketClosedError, Wire

if TYPE_CHECKING:
    from realtime_kit.testing._realtime import RealtimeSession

__all__ = ["CallWire", "DataChannelSocket"]

_HIGH_WATER = 1 << 20


class _Call(Protocol):
    """What the socket needs of its call."""

    def abort(self) -> None: ...

    async def hang_up(self) -> None: ...


class _Abort:
    def __init__(self, call: _Call) -> None:
        self._call = call

    def abort(self) -> None:
        self._call.abort()


class DataChannelSocket:
    """What :class:`Wire` needs of a Starlette ``WebSocket``, over the call's data channel.

    ``send_text``/``receive``/``close``/``application_state``, plus the ``scope`` entry the
    drop fault uses: its owner's ``transport.abort()`` makes the call vanish without a word
    (no DTLS close), as a crashed server would.
    """

    def __init__(self, call: _Call, channel: RTCDataChannel) -> None:
        self._call = call
        self._channel = channel
        self._incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._drained = asyncio.Event()
        self.transport = _Abort(call)
        self.scope: dict[str, Any] = {"realtime_kit.raw_send": self.raw_send}
        self.application_state = WebSocketState.CONNECTED
        channel.bufferedAmountLowThreshold = _HIGH_WATER // 2
        channel.on("message", self._on_message)
        channel.on("close", lambda: self.disconnected(1000, ""))
        channel.on("bufferedamountlow", self._drained.set)

    async def raw_send(self, message: Any) -> None:  # only its owner matters (abort)
        raise RuntimeError("not an ASGI socket")

    def _on_message(self, message: str | bytes) -> None:
        if isinstance(message, str):
            self._incoming.put_nowait({"type": "websocket.receive", "text": message})
        else:
            self._incoming.put_nowait({"type": "websocket.receive", "bytes": message})

    def disconnected(self, code: int, reason: str) -> None:
        """The call is over (the peer left, or the network failed)."""
        if self.application_state != WebSocketState.DISCONNECTED:
            self.application_state = WebSocketState.DISCONNECTED
            self._incoming.put_nowait(
                {"type": "websocket.disconnect", "code": code, "reason": reason}
            )
            self._drained.set()

    def _gone(self) -> bool:
        return self.application_state == WebSocketState.DISCONNECTED

    async def send_text(self, text: str) -> None:
        if self._gone():
            raise RuntimeError("the call is over")
        try:
            self._channel.send(text)
        except InvalidStateError:
            raise RuntimeError("the data channel is closed") from None
        while self._channel.bufferedAmount > _HIGH_WATER:
            if self._gone():
                raise RuntimeError("the call is over")
            self._drained.clear()
            await self._drained.wait()

    async def receive(self) -> dict[str, Any]:
        return await self._incoming.get()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Hang up politely: the channel after what it queued, then the connection."""
        self.disconnected(code, reason)
        await self._call.hang_up()


class CallWire(Wire):
    """The data channel's :class:`Wire`, fanned out to the call's sideband sockets.

    Sends go to the data channel and to every sideband; :meth:`receive` hands the session the
    next frame from any of them, and feeds the session the caller's audio in between (so audio
    and events are handled in one order, by the session's own loop).
    """

    def __init__(self, socket: DataChannelSocket, **kwargs: Any) -> None:
        super().__init__(cast(WebSocket, socket), **kwargs)
        self.sidebands: list[Wire] = []
        self.session: RealtimeSession | None = None
        self._merged: asyncio.Queue[str | bytes | SocketClosedError] = asyncio.Queue()

    async def send(self, event: dict[str, Any]) -> None:
        if "event_id" not in event:
            event = {"event_id": self.ids.new("event"), **event}
        await super().send(event)
        for sideband in list(self.sidebands):
            try:
                await sideband.send(event)
            except SocketClosedError:
                if sideband in self.sidebands:
                    self.sidebands.remove(sideband)

    def put(self, item: str | bytes | SocketClosedError) -> None:
        """A frame (str), heard audio (PCM16 24 kHz bytes) or the end, for :meth:`receive`."""
        self._merged.put_nowait(item)

    async def pump(self) -> None:
        """Move the data channel's frames into the merged stream (run inside ``reading``)."""
        try:
            while True:
                self.put(await super().receive())
        except SocketClosedError as exc:
            self.put(exc)

    async def receive(self) -> str:
        while True:
            item = await self._merged.get()
            if isinstance(item, SocketClosedError):
                self.put(item)  # every later call sees the end too
                raise item
            if isinstance(item, str):
                return item
            if self.session is not None:
                await self.session.input_audio(item)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await super().close(code, reason)
        for sideband in list(self.sidebands):
            await sideband.close(1000, "call ended")
