"""The fake server's end of one WebSocket: frames out through faults and the recorder, frames in.

:class:`Wire` is the only place that touches the Starlette socket for sending and receiving once a
session has started. It numbers server events (``event_…``), applies fault rules per frame, writes
the recording, and turns a dropped or closed socket into :class:`SocketClosedError` so session
code can unwind. While a session runs, :meth:`Wire.reading` reads the client's frames as they
arrive, never waiting for the session to finish with the previous one.

Imports: anyio, starlette, the standard library, and sibling testing modules.
"""

from __future__ import annotations

import json
import math
import random
import string
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from realtime_kit.errors import DecodeError
from realtime_kit.events import DriftReport, EventDecoder, UnknownServerEvent, encode_event
from realtime_kit.testing.clock import Clock
from realtime_kit.testing.faults import Faults
from realtime_kit.testing.recording import Recorder

__all__ = ["OUTGOING_DRIFT", "IdMaker", "SocketClosedError", "Wire", "abort_transport"]

_ALPHABET = string.ascii_letters + string.digits
# How long a finished session waits for the reader to see the socket's end before stopping it.
_READER_GRACE_S = 1.0


class IdMaker:
    """Real-looking ids (``event_…``, ``item_…``, ``resp_…``): prefix + 21 base62 characters.

    Seeded, so a server started with the same seed hands out the same ids in the same order.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)

    def new(self, prefix: str, length: int = 21) -> str:
        return prefix + "_" + "".join(self._rng.choice(_ALPHABET) for _ in range(length))


class SocketClosedError(Exception):
    """The socket is closed (by the peer, a fault, or the session ending)."""

    def __init__(self, code: int, reason: str = "") -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"socket closed ({code} {reason!r})")


# Everything the server sends goes through the event layer: an event type the project's types do
# not know, or a field of the wrong shape, is a bug in the fake, not a test result. Fields the
# project's schema lacks but a newer SDK has
# are sent anyway and counted in OUTGOING_DRIFT, which the tests keep an eye on.
OUTGOING_DRIFT = DriftReport()
_OUTGOING = EventDecoder(drift=OUTGOING_DRIFT)


def _encode(event: dict[str, Any]) -> str:
    try:
        model = _OUTGOING.decode_server(json.dumps(event, separators=(",", ":")))
    except DecodeError as exc:
        raise RuntimeError(
            f"the fake server built an invalid {event.get('type')!r}: {exc}"
        ) from exc
    if isinstance(model, UnknownServerEvent):
        raise RuntimeError(f"the fake server built an event of unknown type {event.get('type')!r}")
    return encode_event(model).decode("utf-8")


def abort_transport(ws: WebSocket) -> bool:
    # uvicorn's ASGI `send` is a bound method of its protocol object, which owns the TCP
    # transport; aborting it ends the connection with no close frame, so the client sees 1006.
    owner = getattr(ws.scope.get("realtime_kit.raw_send"), "__self__", None)
    transport = getattr(owner, "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        return False
    transport.abort()
    return True


class Wire:
    """Frames in and out of one session socket.

    Args:
        ws: the accepted Starlette socket.
        conn_id: the connection's number on this server (recordings use it).
        ids: the server's id maker.
        clock: the server clock (recording timestamps).
        faults: the fault sets to consult (global first, then this connection's).
        recorder: where to record frames, if anywhere.
    """

    def __init__(
        self,
        ws: WebSocket,
        *,
        conn_id: int,
        ids: IdMaker,
        clock: Clock,
        faults: Sequence[Faults],
        recorder: Recorder | None,
        on_sent: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.ws = ws
        self.conn_id = conn_id
        self.ids = ids
        self.clock = clock
        self.faults = faults
        self.recorder = recorder
        self._lock = anyio.Lock()
        self._counts: Counter[str] = Counter()
        self.closed: tuple[int, str] | None = None
        # A failed send knows only that the socket is gone; the reader learns the close code.
        self._closed_by_send = False
        self._inbox: MemoryObjectReceiveStream[str] | None = None
        self._on_sent = on_sent

    async def send(self, event: dict[str, Any]) -> None:
        """Send one server event (an ``event_id`` is added when missing).

        Raises:
            SocketClosedError: the socket is closed, or a fault closed or dropped it.
        """
        if self.closed is not None:
            raise SocketClosedError(*self.closed)
        etype = str(event.get("type"))
        if "event_id" not in event and etype != "input_audio_buffer.dtmf_event_received":
            event = {"event_id": self.ids.new("event"), **event}
        async with self._lock:
            self._counts[etype] += 1
            count = self._counts[etype]
            errors_after: list[dict[str, Any]] = []
            for faults in self.faults:
                action = faults.on_frame(etype, count)
                if action.drop:
                    await self._drop()
                if action.close is not None:
                    await self._close_locked(*action.close)
                if action.delay:
                    await anyio.sleep(action.delay)
                errors_after.extend(action.errors_after)
            for faults in self.faults:
                # A stall is released from the test's thread, so poll rather than await an Event.
                while not faults.flowing():  # noqa: ASYNC110
                    await anyio.sleep(0.005)
            await self._send_locked(event)
            for error in errors_after:
                await self._send_locked(
                    {"event_id": self.ids.new("event"), "type": "error", "error": error}
                )

    async def _send_locked(self, event: dict[str, Any]) -> None:
        text = _encode(event)
        try:
            await self.ws.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            if self.closed is None:
                self.closed = (1006, "")
                self._closed_by_send = True
            raise SocketClosedError(*self.closed) from exc
        if self.recorder is not None:
            self.recorder.frame(self.clock.now(), self.conn_id, "out", text)
        if self._on_sent is not None:
            self._on_sent(event)

    async def _drop(self) -> None:
        self.closed = (1006, "")
        if not abort_transport(self.ws):
            # Not on uvicorn: the nearest thing is an abnormal-closure close frame.
            await self.ws.close(1011, "dropped")
        if self.recorder is not None:
            self.recorder.closed(self.clock.now(), self.conn_id, 1006, "")
        raise SocketClosedError(1006)

    async def _close_locked(self, code: int, reason: str) -> None:
        self.closed = (code, reason)
        if self.ws.application_state != WebSocketState.DISCONNECTED:
            try:
                await self.ws.close(code, reason)
            except (RuntimeError, OSError):
                self.closed = (1006, "")
        if self.recorder is not None:
            self.recorder.closed(self.clock.now(), self.conn_id, code, reason)
        raise SocketClosedError(code, reason)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket (idempotent). Never raises."""
        if self.closed is not None:
            return
        async with self._lock:
            try:
                await self._close_locked(code, reason)
            except SocketClosedError:
                return

    async def abort(self) -> None:
        """Drop the TCP connection without a close frame (the client sees 1006). Never raises."""
        if self.closed is not None:
            return
        async with self._lock:
            try:
                await self._drop()
            except SocketClosedError:
                return

    @asynccontextmanager
    async def reading(self, on_closed: Callable[[], None]) -> AsyncIterator[None]:
        """Read the client's frames in the background while the body runs (the session).

        :meth:`receive` hands the frames out in order. ``on_closed`` is called once the socket has
        closed — by the client, a drop, or the server — so the session can stop at once, even in
        the middle of sending. On exit the reader gets a moment to see the socket's end.

        Why: uvicorn stops reading the TCP socket while a received message waits for the app, and
        answers a client's close frame only when it reads it. A session that read one frame, then
        spent a while answering it (pacing, a stalled send, a client that does not read), left the
        client's close unanswered until its close timeout. The real API answers a close at once.
        """
        # Unbounded: a full inbox would stop the reader, and with it uvicorn's reading.
        send, receive = anyio.create_memory_object_stream[str](math.inf)
        self._inbox = receive
        done = anyio.Event()
        async with anyio.create_task_group() as tg, send, receive:
            tg.start_soon(self._read_frames, send, on_closed, done)
            try:
                yield
            finally:
                with anyio.move_on_after(_READER_GRACE_S):
                    await done.wait()
                tg.cancel_scope.cancel()

    async def _read_frames(
        self, inbox: MemoryObjectSendStream[str], on_closed: Callable[[], None], done: anyio.Event
    ) -> None:
        try:
            async with inbox:
                while True:
                    inbox.send_nowait(await self._receive_frame())
        except SocketClosedError:
            pass
        finally:
            done.set()
        on_closed()

    async def _receive_frame(self) -> str:
        try:
            message = await self.ws.receive()
        except (RuntimeError, OSError) as exc:
            if self.closed is None:
                self.closed = (1006, "")
            raise SocketClosedError(*self.closed) from exc
        if message["type"] == "websocket.disconnect":
            if self.closed is None or self._closed_by_send:
                # The client closed (or the connection dropped): keep its code, even when a send
                # noticed first. The server's own closes and drops were recorded when made.
                code = int(message.get("code", 1005))
                self.closed = (code, str(message.get("reason") or ""))
                self._closed_by_send = False
                if self.recorder is not None:
                    self.recorder.closed(self.clock.now(), self.conn_id, code, self.closed[1])
            raise SocketClosedError(*self.closed)
        text = message.get("text")
        if text is None:
            data = message.get("bytes") or b""
            text = data.decode("utf-8", errors="replace")
        if self.recorder is not None:
            self.recorder.frame(self.clock.now(), self.conn_id, "in", text)
        return str(text)

    async def receive(self) -> str:
        """The next text frame from the client (only inside :meth:`reading`).

        Raises:
            SocketClosedError: the client closed or the connection dropped.
        """
        if self.closed is not None:
            raise SocketClosedError(*self.closed)
        if self._inbox is None:
            raise RuntimeError("Wire.receive() is only available inside Wire.reading()")
        try:
            return await self._inbox.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise SocketClosedError(*(self.closed or (1006, ""))) from None
