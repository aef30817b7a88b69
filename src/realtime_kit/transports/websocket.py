"""The WebSocket transport: websockets' sans-I/O ``ClientProtocol`` driven over anyio streams.

Because the driver uses only anyio, it runs under asyncio and trio alike. Choices that matter:
no permessage-deflate (audio in base64 does not compress and deflate costs CPU), no receive
size cap (``conversation.item.retrieved`` can carry minutes of audio), TLS with certificate
verification by default, keepalive pings driven by the reader (no background task: when the
line is idle for ``ping_interval`` seconds a ping goes out, and if nothing at all arrives within
``ping_timeout`` after it the connection is declared dead), and proxies from the environment.

Every failure surfaces as a :mod:`realtime_kit.errors` type: refusals as
:class:`~realtime_kit.errors.HandshakeError`, endings as
:class:`~realtime_kit.errors.ConnectionClosedError` with the close code, the reason and whether
reconnecting makes sense.

Imports: anyio, websockets (sans-I/O parts only), the standard library, ``errors`` and
``transports``.
"""

from __future__ import annotations

import logging
import os
import ssl
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import anyio
from anyio.abc import ByteStream, SocketStream
from websockets.client import ClientProtocol
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from realtime_kit._sync import LazyEvent
from realtime_kit.errors import (
    ConfigurationError,
    ConnectionClosedError,
    HandshakeError,
    RemoteProtocolError,
    TransportError,
)
from realtime_kit.transports._net import environment_proxy, open_stream
from realtime_kit.transports.base import TransportCapabilities, is_recoverable_close

__all__ = ["WebSocketTransport"]

_USER_AGENT: Final = "realtime-kit (python)"
_CHUNK: Final = 65536
_ABNORMAL: Final = 1006


class _QuietLogger(logging.LoggerAdapter[logging.Logger]):
    """Keeps websockets from ever logging handshake headers, which carry the API key."""

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 (overrides the stdlib name)
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


_LOGGER = _QuietLogger(logging.getLogger("realtime_kit.transports.websocket"), {})


class WebSocketTransport:
    """One WebSocket client connection. Create it with :meth:`connect`.

    ``send_text`` may run concurrently with ``receive_text``; only one task may receive at a
    time (the connection's read loop).
    """

    def __init__(
        self,
        stream: ByteStream,
        protocol: ClientProtocol,
        response: Response,
        *,
        secure: bool,
        ping_interval: float | None,
        ping_timeout: float,
        close_timeout: float,
    ) -> None:
        self._stream = stream
        self._protocol = protocol
        self._capabilities = TransportCapabilities(name="websocket", secure=secure)
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._close_timeout = close_timeout
        # fast_acquire: an uncontended lock costs no event-loop round trip (one per frame).
        self._send_lock = anyio.Lock(fast_acquire=True)
        self._recv_lock = anyio.Lock(fast_acquire=True)
        # Frames that cannot be text (binary, bad UTF-8) stay in order as the error to raise.
        self._messages: deque[str | RemoteProtocolError] = deque()
        self._fragments: list[bytes] | None = None
        self._ping_outstanding = False
        self._close_code: int | None = None
        self._close_reason = ""
        self._ended = LazyEvent()
        self.response_headers: Mapping[str, str] = {
            k.lower(): v for k, v in response.headers.raw_items()
        }
        """The handshake response headers, lower-cased names (e.g. ``x-request-id``)."""
        self.subprotocol: str | None = protocol.subprotocol

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        subprotocols: Sequence[str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        proxy: str | Literal[False] | None = None,
        open_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float = 20.0,
        close_timeout: float = 5.0,
    ) -> WebSocketTransport:
        """Open a connection to a ``ws://`` or ``wss://`` URL.

        Args:
            url: the endpoint, query string included.
            headers: extra handshake headers (``Authorization`` and friends).
            subprotocols: offered ``Sec-WebSocket-Protocol`` values.
            ssl_context: TLS settings; default verifies certificates against the system store.
            proxy: an ``http://`` CONNECT proxy; ``None`` reads the environment; ``False``
                forces a direct connection.
            open_timeout: seconds allowed for TCP, TLS and the handshake together.
            ping_interval: idle seconds before a keepalive ping; ``None`` disables pings.
            ping_timeout: seconds to wait for any data after a ping before giving up.
            close_timeout: seconds to wait for the peer during a closing handshake.

        Raises:
            ConfigurationError: the URL or proxy is not usable.
            HandshakeError: the server (or proxy) refused, or the handshake timed out.
            TransportError: DNS, TCP or TLS failed.
        """
        try:
            uri = parse_uri(url)
        except InvalidURI as exc:
            raise ConfigurationError(f"not a WebSocket URL: {exc}") from exc
        chosen_proxy = environment_proxy(uri.secure, uri.host) if proxy is None else proxy or None
        protocol = ClientProtocol(
            uri,
            subprotocols=[Subprotocol(p) for p in subprotocols] if subprotocols else None,
            extensions=None,
            max_size=None,
            logger=_LOGGER,
        )
        request = protocol.connect()
        request.headers["User-Agent"] = _USER_AGENT
        for name, value in (headers or {}).items():
            request.headers[name] = value
        stream: ByteStream | None = None
        try:
            with anyio.fail_after(open_timeout):
                stream = await open_stream(
                    uri.host,
                    uri.port,
                    secure=uri.secure,
                    ssl_context=ssl_context,
                    proxy=chosen_proxy,
                )
                protocol.send_request(request)
                for chunk in protocol.data_to_send():
                    await stream.send(chunk)
                response, leftover = await _read_response(stream, protocol)
        except TimeoutError:
            if stream is not None:
                await stream.aclose()
            raise HandshakeError(f"opening {uri.host}:{uri.port} timed out") from None
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
        transport = cls(
            stream,
            protocol,
            response,
            secure=uri.secure,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
        )
        transport._handle_frames(leftover)
        return transport

    # -- the Transport interface -----------------------------------------------------------

    @property
    def capabilities(self) -> TransportCapabilities:
        """``websocket``: audio in band, no server playback."""
        return self._capabilities

    @property
    def close_code(self) -> int | None:
        """The close code once the connection has ended (1006 when it died without one)."""
        return self._close_code

    @property
    def close_reason(self) -> str:
        """The close reason once the connection has ended."""
        return self._close_reason

    @property
    def closed(self) -> bool:
        """Whether the connection has ended."""
        return self._ended.is_set()

    async def send_text(self, data: str | bytes) -> None:
        """Send one text frame.

        Raises:
            ConnectionClosedError: the connection has ended or is closing.
        """
        if self._protocol.state is not State.OPEN:
            raise self._closed_error()
        payload = data.encode() if isinstance(data, str) else data
        self._protocol.send_text(payload)
        await self._flush()

    async def receive_text(self) -> str:
        """Return the next text frame.

        Raises:
            ConnectionClosedError: the connection has ended.
            RemoteProtocolError: the server sent a binary frame (the Realtime API never does).
        """
        while True:
            if self._messages:
                message = self._messages.popleft()
                if isinstance(message, RemoteProtocolError):
                    raise message
                return message
            if self._ended.is_set():
                raise self._closed_error()
            async with self._recv_lock:
                if self._messages or self._ended.is_set():
                    continue
                await self._read_once()

    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        """Run the closing handshake (bounded by ``close_timeout``) and release the socket."""
        if self._ended.is_set():
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
                    await self._ended.wait()
                else:
                    async with self._recv_lock:
                        while not self._ended.is_set():
                            await self._read_once(keepalive=False)
            if not self._ended.is_set():
                await self._finish(code, reason or "closed by client (no reply from server)")

    # -- internals -----------------------------------------------------------------------------

    def _closed_error(self) -> ConnectionClosedError:
        code = self._close_code if self._close_code is not None else _ABNORMAL
        if not self._ended.is_set():
            # Closing handshake started by us, not finished yet.
            return ConnectionClosedError(code, "connection is closing", recoverable=False)
        return ConnectionClosedError(
            code,
            self._close_reason,
            recoverable=is_recoverable_close(code) and code != 1000,
        )

    async def _flush(self) -> None:
        async with self._send_lock:
            chunks = self._protocol.data_to_send()
            if not chunks:
                return
            eof = chunks[-1] == b""
            # One write per flush: header and payload of a frame leave in one syscall.
            payload = b"".join(chunks)
            try:
                if payload:
                    await self._stream.send(payload)
                if eof and isinstance(self._stream, SocketStream):
                    # websockets asks for a TCP half-close; TLS streams have none.
                    await self._stream.send_eof()
            except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
                await self._finish(_ABNORMAL, f"send failed: {exc.__class__.__name__}")
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
            await self._finish(_ABNORMAL, f"receive failed: {exc.__class__.__name__}")
            return
        if self._ended.is_set():
            return
        if data is None:
            self._protocol.receive_eof()
        else:
            self._ping_outstanding = False
            self._protocol.receive_data(data)
        self._handle_frames(self._protocol.events_received())
        try:
            await self._flush()
        except ConnectionClosedError:
            return
        if data is None or self._protocol.state is State.CLOSED:
            await self._finish(self._protocol.close_code, self._protocol.close_reason or "")
        elif self._protocol.close_rcvd is not None:
            # The server sent its close frame and we replied; release the socket now rather
            # than waiting for the server to drop TCP, which some servers never do.
            await self._finish(self._protocol.close_rcvd.code, self._protocol.close_rcvd.reason)

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
                    await self._finish(_ABNORMAL, "keepalive ping timeout")
                return None
            self._ping_outstanding = True
            self._protocol.send_ping(os.urandom(4))
            await self._flush()

    def _handle_frames(self, events: Sequence[Any]) -> None:
        for event in events:
            if not isinstance(event, Frame):
                continue
            if event.opcode is Opcode.TEXT:
                if event.fin:
                    self._messages.append(_decode(event.data))
                else:
                    self._fragments = [bytes(event.data)]
            elif event.opcode is Opcode.CONT and self._fragments is not None:
                self._fragments.append(bytes(event.data))
                if event.fin:
                    self._messages.append(_decode(b"".join(self._fragments)))
                    self._fragments = None
            elif event.opcode in (Opcode.BINARY, Opcode.CONT) and event.fin:
                self._messages.append(
                    RemoteProtocolError("the server sent a binary frame; expected JSON text")
                )

    async def _finish(self, code: int | None, reason: str) -> None:
        if self._ended.is_set():
            return
        self._close_code = int(code) if code is not None else _ABNORMAL
        if not reason and self._close_code == _ABNORMAL:
            reason = "connection lost without a closing handshake"
        self._close_reason = reason
        self._ended.set()
        with anyio.CancelScope(shield=True):
            await self._stream.aclose()


def _decode(data: bytes | bytearray | memoryview) -> str | RemoteProtocolError:
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        error = RemoteProtocolError(f"text frame is not valid UTF-8: {exc.reason}")
        error.__cause__ = exc
        return error


async def _read_response(
    stream: ByteStream, protocol: ClientProtocol
) -> tuple[Response, list[Any]]:
    """Read until the handshake response is parsed; return it and any frames after it."""
    while True:
        try:
            data = await stream.receive(_CHUNK)
        except anyio.EndOfStream:
            protocol.receive_eof()
        else:
            protocol.receive_data(data)
        events = protocol.events_received()
        for index, event in enumerate(events):
            if isinstance(event, Response):
                if protocol.handshake_exc is not None:
                    raise _refusal(protocol.handshake_exc, event)
                return event, events[index + 1 :]
        if protocol.handshake_exc is not None:
            raise _refusal(protocol.handshake_exc, None)


def _refusal(exc: Exception, response: Response | None) -> HandshakeError:
    if isinstance(exc, InvalidStatus):
        response = exc.response
    if response is None or not isinstance(exc, InvalidHandshake):
        error = HandshakeError(f"invalid handshake response: {exc}")
    else:
        body = bytes(response.body or b"")[:500].decode("utf-8", "replace").strip()
        status = response.status_code
        detail = f": {body}" if body else f" {response.reason_phrase}"
        error = HandshakeError(
            f"server refused the WebSocket connection: HTTP {status}{detail}",
            status=status,
            request_id=response.headers.get("x-request-id"),
        )
    error.__cause__ = exc
    return error
