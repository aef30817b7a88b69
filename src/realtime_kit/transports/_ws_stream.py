"""The WebSocket driver over anyio byte streams: runs on trio (and on asyncio behind a proxy).

The reader drives keepalive (no background task): when the line is idle for ``ping_interval``
seconds a ping goes out, and if nothing at all arrives within ``ping_timeout`` after it the
connection is declared dead. Sends hold a lock so a frame's bytes are never interleaved.

Imports: anyio, websockets (sans-I/O parts only), the standard library, ``_sync``, ``errors``
and ``transports`` (``_net``, ``_ws_core``, ``_ws_frames``); never ``websocket``, which imports
this module.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Sequence
from typing import Any, Final, Self

import anyio
from anyio.abc import ByteStream, SocketStream
from websockets.client import ClientProtocol
from websockets.protocol import State
from websockets.uri import WebSocketURI

from realtime_kit._sync import LazyEvent
from realtime_kit.errors import ConnectionClosedError, HandshakeError, TransportError
from realtime_kit.transports._net import open_stream
from realtime_kit.transports._ws_core import WebSocketCore
from realtime_kit.transports._ws_frames import ABNORMAL, handshake_outcome, websockets_idle

__all__ = ["StreamWebSocket"]

_CHUNK: Final = 65536


class StreamWebSocket(WebSocketCore):
    """The WebSocket driver over an anyio byte stream (joined to
    :class:`~realtime_kit.transports.WebSocketTransport` by ``websocket``)."""

    def __init__(self, stream: ByteStream, protocol: ClientProtocol, **options: Any) -> None:
        super().__init__(protocol, **options)
        self._stream = stream
        # fast_acquire: an uncontended lock costs no event-loop round trip (one per frame).
        self._send_lock = anyio.Lock(fast_acquire=True)
        self._recv_lock = anyio.Lock(fast_acquire=True)
        self._ping_outstanding = False
        self._end_event = LazyEvent()

    @classmethod
    async def open(
        cls,
        uri: WebSocketURI,
        protocol: ClientProtocol,
        *,
        ssl_context: ssl.SSLContext | None,
        proxy: str | None,
        open_timeout: float,
        secrets: Sequence[str] = (),
        **options: Any,
    ) -> Self:
        """Connect (through ``proxy`` when given) and run the opening handshake.

        ``secrets`` (the request's credentials) are kept out of a refusal's message.
        """
        stream: ByteStream | None = None
        try:
            with anyio.fail_after(open_timeout):
                stream = await open_stream(
                    uri.host, uri.port, secure=uri.secure, ssl_context=ssl_context, proxy=proxy
                )
                for chunk in protocol.data_to_send():
                    await stream.send(chunk)
                while True:
                    try:
                        data = await stream.receive(_CHUNK)
                    except anyio.EndOfStream:
                        protocol.receive_eof()
                    else:
                        protocol.receive_data(data)
                    outcome = handshake_outcome(protocol, protocol.events_received(), secrets)
                    if outcome is not None:
                        break
        except TimeoutError:
            if stream is not None:
                await stream.aclose()
            raise HandshakeError(
                f"opening {uri.host}:{uri.port} timed out after {open_timeout:g} s"
            ) from None
        except (OSError, anyio.BrokenResourceError) as exc:
            if stream is not None:
                await stream.aclose()
            if isinstance(exc, TransportError):
                raise
            raise TransportError(f"connection to {uri.host}:{uri.port} failed: {exc}") from exc
        except BaseException:
            if stream is not None:
                await stream.aclose()
            raise
        response, leftover = outcome
        transport = cls(stream, protocol, **options)
        transport._opened(response)
        transport._handle_frames(leftover)
        transport._fast = websockets_idle(protocol)
        return transport

    async def send_text(self, data: str | bytes) -> None:
        """Send one text frame.

        Raises:
            ConnectionClosedError: the connection has ended or is closing.
        """
        frame = self._frame_for(data)
        async with self._send_lock:
            await self._write(frame, eof=False)

    async def receive_text(self) -> str:
        """Return the next text frame.

        Raises:
            ConnectionClosedError: the connection has ended.
            RemoteProtocolError: the server sent a binary frame (the Realtime API never does).
        """
        while True:
            message = self._next_message()
            if message is not None:
                return message
            if self._ended:
                raise self._closed_error()
            async with self._recv_lock:
                if self._queued() or self._ended:
                    continue
                await self._read_once()

    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        """Run the closing handshake (bounded by ``close_timeout``) and release the socket."""
        if self._ended:
            return
        with anyio.CancelScope(shield=True):
            if self._protocol.state is State.OPEN:
                self._protocol.send_close(code, reason)
                try:
                    await self._flush()
                except ConnectionClosedError:
                    return
            with anyio.move_on_after(self._close_timeout):
                if self._recv_lock.locked():
                    # Another task is reading; it will see the server's close frame.
                    await self._end_event.wait()
                else:
                    async with self._recv_lock:
                        while not self._ended:
                            await self._read_once(keepalive=False)
            if not self._ended:
                await self._finish(code, reason or "closed by client (no reply from server)")

    # -- internals -----------------------------------------------------------------------------

    async def _flush(self) -> None:
        """Write whatever the protocol queued (pongs, pings, close frames)."""
        async with self._send_lock:
            chunks = self._protocol.data_to_send()
            if chunks:
                # One write per flush: header and payload of a frame leave in one syscall.
                await self._write(b"".join(chunks), eof=chunks[-1] == b"")

    async def _write(self, payload: bytes, *, eof: bool) -> None:
        try:
            if payload:
                await self._stream.send(payload)
            if eof and isinstance(self._stream, SocketStream):
                # websockets asks for a TCP half-close; TLS streams have none.
                await self._stream.send_eof()
        except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            await self._finish(ABNORMAL, f"send failed: {exc.__class__.__name__}")
            raise self._closed_error() from exc

    async def _read_once(self, *, keepalive: bool = True) -> None:
        """Read one chunk from the socket, feed the protocol, and act on what it produced."""
        data: bytes | None
        try:
            if keepalive and self._ping_interval is not None:
                data = await self._receive_with_keepalive(self._ping_interval)
            else:
                data = await self._stream.receive(_CHUNK)
        except anyio.EndOfStream:
            data = None
        except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            await self._finish(ABNORMAL, f"receive failed: {exc.__class__.__name__}")
            return
        if self._ended:
            return
        if data is None:
            self._feed_eof()
        else:
            self._ping_outstanding = False
            self._feed(data)
        self._handle_frames(self._protocol.events_received())
        try:
            await self._flush()
        except ConnectionClosedError:
            return
        end = self._end_seen(eof=data is None)
        if end is not None:
            await self._finish(*end)
        self._fast = websockets_idle(self._protocol)

    async def _receive_with_keepalive(self, interval: float) -> bytes | None:
        while True:
            wait = self._ping_timeout if self._ping_outstanding else interval
            with anyio.move_on_after(wait):
                return await self._stream.receive(_CHUNK)
            if self._ping_outstanding:
                self._protocol.fail(1011, "keepalive ping timeout")
                try:
                    await self._flush()
                finally:
                    await self._finish(ABNORMAL, "keepalive ping timeout")
                return None
            self._ping_outstanding = True
            self._protocol.send_ping(os.urandom(4))
            await self._flush()

    async def _finish(self, code: int | None, reason: str) -> None:
        if not self._record_end(code, reason):
            return
        self._end_event.set()
        with anyio.CancelScope(shield=True):
            await self._stream.aclose()
