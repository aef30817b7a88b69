"""The WebSocket driver as an ``asyncio.Protocol``: the fast path on asyncio and uvloop.

The event loop hands bytes to :meth:`AsyncioWebSocket.data_received`, which feeds websockets'
parser and queues whole messages; the one reader is woken (a bare future) only when a message
is in and it is waiting. A text frame is written synchronously (:meth:`try_send_text`), so a
send costs no event-loop round trip unless the kernel buffer is full, when ``send_text`` waits
for the loop's ``resume_writing``. Keepalive is one timer: a ping goes out when the line has
been silent for ``ping_interval``, and the connection is declared dead if nothing arrives within
``ping_timeout`` of it. When more than :data:`_HIGH_WATER` messages wait unread, reading from
the socket pauses (TCP pushes back on the server) until the reader catches up.

Push delivery (:meth:`AsyncioWebSocket.deliver_to`) skips the reader task altogether: the
connection's handler runs inside ``data_received``, so a received event costs no task switch
until it reaches whoever awaits it; the connection pauses and resumes reading for backpressure.

Imports: anyio, asyncio, websockets (sans-I/O parts only), the standard library, ``errors`` and
``transports`` (``_ws_core``, ``_ws_frames``); never ``websocket``, which imports this module.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import Callable, Sequence
from typing import Any, Final, Self, cast

import anyio
from websockets.client import ClientProtocol
from websockets.protocol import State
from websockets.uri import WebSocketURI

from realtime_kit.errors import (
    ConnectionClosedError,
    HandshakeError,
    RemoteProtocolError,
    TransportError,
)
from realtime_kit.transports._ws_core import WebSocketCore
from realtime_kit.transports._ws_frames import ABNORMAL, handshake_outcome, websockets_idle

__all__ = ["AsyncioWebSocket"]

_HIGH_WATER: Final = 256
_LOW_WATER: Final = 64


class AsyncioWebSocket(WebSocketCore, asyncio.Protocol):
    """The WebSocket driver that is its own ``asyncio.Protocol`` (joined to
    :class:`~realtime_kit.transports.WebSocketTransport` by ``websocket``)."""

    def __init__(self, protocol: ClientProtocol, **options: Any) -> None:
        super().__init__(protocol, **options)
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._reader: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._end_waiter: asyncio.Future[None] | None = None
        self._handshake: asyncio.Future[None] | None = None
        self._write_paused = False
        self._read_paused = False
        self._last_heard = 0.0
        self._ping_sent_at: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._on_message: Callable[[str | RemoteProtocolError], None] | None = None
        self._on_end: Callable[[ConnectionClosedError], None] | None = None
        self._secrets: Sequence[str] = ()

    @classmethod
    async def open(
        cls,
        uri: WebSocketURI,
        protocol: ClientProtocol,
        *,
        ssl_context: ssl.SSLContext | None,
        open_timeout: float,
        secrets: Sequence[str] = (),
        **options: Any,
    ) -> Self:
        """Connect, run TLS and the opening handshake (together bounded by ``open_timeout``).

        ``secrets`` (the request's credentials) are kept out of a refusal's message.
        """
        transport = cls(protocol, **options)
        transport._secrets = secrets
        handshake = transport._loop.create_future()
        transport._handshake = handshake
        context: ssl.SSLContext | None = None
        if uri.secure:
            context = ssl_context if ssl_context is not None else ssl.create_default_context()
        try:
            with anyio.fail_after(open_timeout):
                try:
                    await transport._loop.create_connection(
                        lambda: transport,
                        uri.host,
                        uri.port,
                        ssl=context,
                        server_hostname=uri.host if context is not None else None,
                    )
                except ssl.SSLError as exc:
                    raise TransportError(
                        f"TLS handshake with {uri.host}:{uri.port} failed: {exc}"
                    ) from exc
                except OSError as exc:
                    raise TransportError(
                        f"cannot connect to {uri.host}:{uri.port}: {exc.strerror or exc}"
                    ) from exc
                await handshake
        except TimeoutError:
            transport._abort()
            raise HandshakeError(
                f"opening {uri.host}:{uri.port} timed out after {open_timeout:g} s"
            ) from None
        except BaseException:
            transport._abort()
            raise
        finally:
            transport._handshake = None
            if handshake.done() and not handshake.cancelled():
                handshake.exception()  # retrieved here even when a timeout won the race
        transport._last_heard = transport._loop.time()
        if transport._ping_interval is not None:
            transport._timer = transport._loop.call_later(
                transport._ping_interval, transport._keepalive
            )
        return transport

    # -- the Transport interface -----------------------------------------------------------

    def try_send_text(self, data: bytes) -> bool:
        """Write one text frame now unless the socket is backed up (then ``False``)."""
        if self._write_paused:
            return False
        self._writer().write(self._frame_for(data))
        return True

    async def send_text(self, data: str | bytes) -> None:
        """Send one text frame; waits only while the socket is backed up.

        Raises:
            ConnectionClosedError: the connection has ended or is closing.
        """
        while self._write_paused:
            await self._wait_drain()
        self._writer().write(self._frame_for(data))

    async def receive_text(self) -> str:
        """Return the next text frame.

        Raises:
            ConnectionClosedError: the connection has ended.
            RemoteProtocolError: the server sent a binary frame (the Realtime API never does).
        """
        while True:
            if self._messages:
                if self._read_paused and self._queued() <= _LOW_WATER:
                    self.resume_reading()
                message = self._next_message()
                if message is not None:
                    return message
                continue
            if self._ended:
                raise self._closed_error()
            reader = self._loop.create_future()
            self._reader = reader
            try:
                await reader
            finally:
                self._reader = None

    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        """Run the closing handshake (bounded by ``close_timeout``) and release the socket."""
        if self._ended:
            return
        with anyio.CancelScope(shield=True):
            if self._protocol.state is State.OPEN:
                self._protocol.send_close(code, reason)
                self._flush()
            self.resume_reading()  # the server's close frame must get through
            with anyio.move_on_after(self._close_timeout):
                while not self._ended:
                    if self._end_waiter is None:
                        self._end_waiter = self._loop.create_future()
                    await self._end_waiter
            if not self._ended:
                self._finish(code, reason or "closed by client (no reply from server)")
                self._abort()

    # -- push delivery -------------------------------------------------------------------------

    def deliver_to(
        self,
        on_message: Callable[[str | RemoteProtocolError], None],
        on_end: Callable[[ConnectionClosedError], None],
    ) -> None:
        """From now on, hand each message to ``on_message`` from the loop's own callback.

        Messages already queued go first, in order; ``on_end`` is called once, with the error
        ``receive_text`` would raise, when the connection has ended. ``receive_text`` must not
        be used any more. The callbacks must not raise.
        """
        self._on_message = on_message
        self._on_end = on_end
        messages, self._messages = self._messages, None
        while messages:
            on_message(messages.popleft())
        if self._ended:
            self._notify_end()

    def pause_reading(self) -> None:
        """Stop reading the socket (TCP pushes back on the server) until :meth:`resume_reading`."""
        if not self._read_paused and self._transport is not None and not self._ended:
            self._read_paused = True
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        """Read the socket again after :meth:`pause_reading`."""
        if self._read_paused:
            self._read_paused = False
            if self._transport is not None:
                self._transport.resume_reading()

    def _emit(self, message: str | RemoteProtocolError) -> None:
        if self._on_message is not None:
            self._on_message(message)
        else:
            super()._emit(message)

    def _notify_end(self) -> None:
        on_end, self._on_end = self._on_end, None
        self._on_message = None
        if on_end is not None:
            on_end(self._closed_error())

    # -- asyncio.Protocol callbacks ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not derive from asyncio.Transport, but they are one.
        self._transport = cast(asyncio.Transport, transport)
        for chunk in self._protocol.data_to_send():
            self._transport.write(chunk)

    def data_received(self, data: bytes) -> None:
        self._last_heard = self._loop.time()
        if self._ping_sent_at is not None:
            # The ping was answered (or anything came): the next one is an interval away,
            # not whatever was left of the ping's timeout.
            self._ping_sent_at = None
            self._arm_keepalive(self._ping_interval)
        if self._feed(data):
            self._after_input(eof=False)
        else:
            self._settle(eof=False)

    def eof_received(self) -> bool:
        self._feed_eof()
        self._after_input(eof=True)
        return False  # let asyncio close the socket

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._handshake is not None and not self._handshake.done():
            error = TransportError(f"connection lost during the handshake: {exc or 'closed'}")
            self._handshake.set_exception(error)
        self._finish(ABNORMAL, f"connection lost: {exc.__class__.__name__}" if exc else "")
        self._wake(self._drain)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._wake(self._drain)

    # -- internals -----------------------------------------------------------------------------

    def _after_input(self, *, eof: bool) -> None:
        events = self._protocol.events_received()
        handshake = self._handshake
        if handshake is not None and not handshake.done():
            try:
                outcome = handshake_outcome(self._protocol, events, self._secrets)
            except HandshakeError as exc:
                handshake.set_exception(exc)
                return
            if outcome is None:
                if eof:
                    handshake.set_exception(HandshakeError("the server closed the handshake"))
                return
            # Frames right behind the response are handled now, before any later chunk.
            response, events = outcome
            self._opened(response)
            handshake.set_result(None)
        self._handle_frames(events)
        self._settle(eof=eof)
        self._fast = websockets_idle(self._protocol)

    def _settle(self, *, eof: bool) -> None:
        """After input: answer what websockets queued, notice the end, push back, wake."""
        self._flush()
        end = self._end_seen(eof)
        if end is not None:
            self._finish(*end)
            if self._transport is not None:
                self._transport.close()
        elif self._queued() > _HIGH_WATER:
            self.pause_reading()  # nobody is reading receive_text fast enough
        if self._messages or self._ended:
            self._wake(self._reader)

    def _writer(self) -> asyncio.Transport:
        """The socket to write a data frame to, or the error saying why there is none."""
        if self._ended or self._transport is None:
            raise self._closed_error()
        return self._transport

    def _flush(self) -> None:
        """Write whatever the protocol queued (pongs, pings, close frames)."""
        transport = self._transport
        chunks = self._protocol.data_to_send()
        if not chunks or transport is None:
            return
        payload = b"".join(chunks)
        if payload:
            transport.write(payload)
        if chunks[-1] == b"" and transport.can_write_eof():
            transport.write_eof()  # websockets asks for a TCP half-close; TLS has none

    async def _wait_drain(self) -> None:
        if self._ended:
            raise self._closed_error()
        if self._drain is None or self._drain.done():
            self._drain = self._loop.create_future()
        await self._drain
        if self._ended:
            raise self._closed_error()

    def _keepalive(self) -> None:
        self._timer = None
        if self._ended or self._ping_interval is None:
            return
        now = self._loop.time()
        if self._ping_sent_at is not None:
            if now - self._ping_sent_at >= self._ping_timeout:
                self._protocol.fail(1011, "keepalive ping timeout")
                self._flush()
                self._finish(ABNORMAL, "keepalive ping timeout")
                self._abort()
                return
            delay = self._ping_sent_at + self._ping_timeout - now
        else:
            silent = now - self._last_heard
            if silent >= self._ping_interval and self._protocol.state is State.OPEN:
                self._ping_sent_at = now
                self._protocol.send_ping(os.urandom(4))
                self._flush()
                delay = self._ping_timeout
            else:
                delay = self._ping_interval - silent
        self._arm_keepalive(delay)

    def _arm_keepalive(self, delay: float | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if delay is not None and not self._ended:
            self._timer = self._loop.call_later(max(delay, 0.001), self._keepalive)

    def _finish(self, code: int | None, reason: str) -> None:
        if not self._record_end(code, reason):
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._wake(self._reader)
        self._wake(self._end_waiter)
        self._wake(self._drain)
        self._notify_end()

    def _abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    @staticmethod
    def _wake(waiter: asyncio.Future[None] | None) -> None:
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
