"""The WebSocket transport: websockets' sans-I/O ``ClientProtocol`` under one of two drivers.

:meth:`WebSocketTransport.connect` picks the driver for the running event loop:

* on **asyncio** (and uvloop), an ``asyncio.Protocol`` (``_ws_asyncio``): bytes are parsed in
  the loop's ``data_received`` callback, a waiting reader is woken only when a whole message is
  in, and a text frame is written synchronously with no event-loop round trip unless the socket
  is backed up. This is the path that carries hundreds of sessions per core.
* on **trio** (or behind an HTTP proxy), anyio byte streams (``_ws_stream``), which work on any
  anyio backend.

Both share what is here: the handshake bookkeeping, message assembly, close codes, a cheap
client frame writer (one ``bytes`` per frame, masking keys drawn from a shared pool of
``os.urandom`` bytes instead of one system call per frame), and a reader for the common case —
whole, unmasked text frames, parsed at a sixth of the cost of websockets' generator parser —
that hands everything else (control frames, fragments, binary frames, protocol errors) to
websockets, which keeps parsing until it holds no partial input. Choices that matter, for both: no
permessage-deflate (base64 audio does not compress and deflate costs CPU), no receive size cap
(``conversation.item.retrieved`` can carry minutes of audio), TLS with certificate verification
by default, keepalive pings only when the line is idle, and proxies from the environment.

Every failure surfaces as a :mod:`realtime_kit.errors` type: refusals as
:class:`~realtime_kit.errors.HandshakeError`, endings as
:class:`~realtime_kit.errors.ConnectionClosedError` with the close code, the reason and whether
reconnecting makes sense.

Imports: websockets (sans-I/O parts only), the standard library, ``_sync``, ``errors`` and
``transports``; the drivers are imported when a connection is opened (they import this module).
"""

from __future__ import annotations

import logging
import os
import ssl
import struct
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Final, Literal

from websockets.client import ClientProtocol
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import WebSocketURI, parse_uri

try:  # the C version ships with websockets' wheels
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - pure-Python fallback
    from websockets.utils import apply_mask

from realtime_kit._sync import on_asyncio
from realtime_kit.errors import (
    ConfigurationError,
    ConnectionClosedError,
    HandshakeError,
    RemoteProtocolError,
)
from realtime_kit.transports._net import environment_proxy
from realtime_kit.transports._redact import credentials_in, redact
from realtime_kit.transports.base import TransportCapabilities, is_recoverable_close

__all__ = ["WebSocketTransport", "client_text_frame", "text_frames", "websockets_idle"]

_USER_AGENT: Final = "realtime-kit (python)"
ABNORMAL: Final = 1006


class _QuietLogger(logging.LoggerAdapter[logging.Logger]):
    """Keeps websockets from ever logging handshake headers, which carry the API key."""

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 (overrides the stdlib name)
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


_LOGGER = _QuietLogger(logging.getLogger("realtime_kit.transports.websocket"), {})


class _MaskPool:
    """Masking keys for client frames, 1,024 at a time from ``os.urandom``.

    RFC 6455 wants each key unpredictable; one ``getrandom`` call per frame was a measurable
    share of the send path, so keys come from a shared batch drawn from the same source.
    ``list.pop`` is atomic, so threads never share a key.
    """

    _BATCH: ClassVar[int] = 1024

    def __init__(self) -> None:
        self._keys: list[bytes] = []

    def take(self) -> bytes:
        try:
            return self._keys.pop()
        except IndexError:
            pool = os.urandom(4 * self._BATCH)
            self._keys = [pool[at : at + 4] for at in range(0, len(pool), 4)]
            return self.take()


_MASKS = _MaskPool()
_SHORT = struct.Struct("!BB")
_MEDIUM = struct.Struct("!BBH")
_LONG = struct.Struct("!BBQ")


def client_text_frame(payload: bytes) -> bytes:
    """One unfragmented, masked text frame carrying ``payload`` (RFC 6455 §5.2)."""
    size = len(payload)
    if size < 126:
        header = _SHORT.pack(0x81, 0x80 | size)
    elif size < 65536:
        header = _MEDIUM.pack(0x81, 0xFE, size)
    else:
        header = _LONG.pack(0x81, 0xFF, size)
    mask = _MASKS.take()
    return b"".join((header, mask, apply_mask(payload, mask)))


class WebSocketTransport(ABC):
    """One WebSocket client connection. Create it with :meth:`connect`.

    ``send_text`` may run concurrently with ``receive_text``; only one task may receive at a
    time (the connection's read loop).
    """

    def __init__(
        self,
        protocol: ClientProtocol,
        *,
        secure: bool,
        ping_interval: float | None,
        ping_timeout: float,
        close_timeout: float,
    ) -> None:
        self._protocol = protocol
        self._secure = secure
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._close_timeout = close_timeout
        # Frames that cannot be text (binary, bad UTF-8) stay in order as the error to raise.
        # Allocated while messages wait; an idle connection keeps no empty deque block.
        self._messages: deque[str | RemoteProtocolError] | None = None
        self._fragments: list[bytes] | None = None
        self._close_code: int | None = None
        self._close_reason = ""
        self._ended = False
        # Whole text frames are parsed here while websockets holds no partial input.
        self._fast = False
        self._partial: bytearray | None = None
        self.response_headers: Mapping[str, str] = {}
        """The handshake response headers; names match case-insensitively (``x-request-id``)."""
        self.subprotocol: str | None = None

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
        protocol = _client_protocol(uri, subprotocols, headers)
        secrets = credentials_in(headers, subprotocols)
        options: dict[str, Any] = {
            "secure": uri.secure,
            "ping_interval": ping_interval,
            "ping_timeout": ping_timeout,
            "close_timeout": close_timeout,
        }
        if chosen_proxy is None and on_asyncio():
            from realtime_kit.transports._ws_asyncio import AsyncioWebSocket

            return await AsyncioWebSocket.open(
                uri,
                protocol,
                ssl_context=ssl_context,
                open_timeout=open_timeout,
                secrets=secrets,
                **options,
            )
        from realtime_kit.transports._ws_stream import StreamWebSocket

        return await StreamWebSocket.open(
            uri,
            protocol,
            ssl_context=ssl_context,
            proxy=chosen_proxy,
            open_timeout=open_timeout,
            secrets=secrets,
            **options,
        )

    # -- the Transport interface -----------------------------------------------------------

    @property
    def capabilities(self) -> TransportCapabilities:
        """``websocket``: audio in band, no server playback."""
        return _SECURE if self._secure else _PLAIN

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
        return self._ended

    @abstractmethod
    async def send_text(self, data: str | bytes) -> None:
        """Send one text frame.

        Raises:
            ConnectionClosedError: the connection has ended or is closing.
        """

    def try_send_text(self, data: bytes) -> bool:
        """Send one text frame now if that needs no waiting; ``False`` means "use send_text".

        The asyncio driver writes at once unless the socket is backed up; the stream driver
        always answers ``False``.

        Raises:
            ConnectionClosedError: the connection has ended or is closing.
        """
        del data
        return False

    @abstractmethod
    async def receive_text(self) -> str:
        """Return the next text frame.

        Raises:
            ConnectionClosedError: the connection has ended.
            RemoteProtocolError: the server sent a binary frame (the Realtime API never does).
        """

    @abstractmethod
    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        """Run the closing handshake (bounded by ``close_timeout``) and release the socket."""

    # -- shared internals ------------------------------------------------------------------

    def _opened(self, response: Response) -> None:
        self.response_headers = response.headers  # websockets keeps the response alive anyway
        self.subprotocol = self._protocol.subprotocol

    def _frame_for(self, data: str | bytes) -> bytes:
        """The bytes of one text frame, once the connection is known to be open."""
        if self._protocol.state is not State.OPEN:
            raise self._closed_error()
        return client_text_frame(data.encode() if isinstance(data, str) else data)

    def _queued(self) -> int:
        return len(self._messages) if self._messages is not None else 0

    def _next_message(self) -> str | None:
        """Pop the next queued message (raising a queued frame error), or ``None``."""
        messages = self._messages
        if not messages:
            return None
        message = messages.popleft()
        if not messages:
            self._messages = None
        if isinstance(message, RemoteProtocolError):
            raise message
        return message

    def _emit(self, message: str | RemoteProtocolError) -> None:
        """A whole message arrived: queue it for ``receive_text``."""
        if self._messages is None:
            self._messages = deque()
        self._messages.append(message)

    def _closed_error(self) -> ConnectionClosedError:
        code = self._close_code if self._close_code is not None else ABNORMAL
        if not self._ended:
            # Closing handshake started by us, not finished yet.
            return ConnectionClosedError(code, "connection is closing", recoverable=False)
        return ConnectionClosedError(
            code,
            self._close_reason,
            recoverable=is_recoverable_close(code) and code != 1000,
        )

    def _record_end(self, code: int | None, reason: str) -> bool:
        """Note how the connection ended; ``False`` when that was already noted."""
        if self._ended:
            return False
        self._close_code = int(code) if code is not None else ABNORMAL
        if not reason and self._close_code == ABNORMAL:
            reason = "connection lost without a closing handshake"
        self._close_reason = reason
        self._ended = True
        return True

    def _end_seen(self, eof: bool) -> tuple[int | None, str] | None:
        """After feeding bytes: how the connection ended, if the protocol says it did."""
        protocol = self._protocol
        if eof or protocol.state is State.CLOSED:
            return protocol.close_code, protocol.close_reason or ""
        if protocol.close_rcvd is not None:
            # The server sent its close frame and we replied; release the socket now rather
            # than waiting for the server to drop TCP, which some servers never do.
            return protocol.close_rcvd.code, protocol.close_rcvd.reason
        return None

    def _feed(self, data: bytes) -> bool:
        """Take received bytes; ``True`` when websockets was given some (read its events)."""
        if self._fast:
            rest = self._take_text_frames(data)
            if not rest:
                return False
            self._fast = False  # something else than whole text frames: websockets takes over
            data = rest
        self._protocol.receive_data(data)
        return True

    def _feed_eof(self) -> None:
        if self._partial:
            self._protocol.receive_data(bytes(self._partial))  # an unfinished frame, then EOF
            self._partial = None
        self._fast = False
        self._protocol.receive_eof()

    def _take_text_frames(self, data: bytes) -> bytes:
        """Emit the whole unfragmented text frames at the front of the input.

        Returns the input from the first frame that is anything else (a control frame, a
        fragment, a binary frame, a protocol error) for websockets to parse; an unfinished
        text frame is kept until the rest of it arrives. This is the common case — one event,
        one text frame — at a sixth of the cost of websockets' generator-based parser.
        """
        partial = self._partial
        if partial:
            partial += data
            buffer: bytes | bytearray = partial
        else:
            buffer = data
        at, complete = text_frames(buffer, self._emit)
        if complete:
            rest = bytes(buffer[at:])
            self._partial = None
            return rest
        if at == len(buffer):
            self._partial = None
        elif partial:
            del partial[:at]
        else:
            self._partial = bytearray(buffer[at:])
        return b""

    def _handle_frames(self, events: Sequence[Any]) -> None:
        for event in events:
            if not isinstance(event, Frame):
                continue
            if event.opcode is Opcode.TEXT:
                if event.fin:
                    self._emit(_decode(event.data))
                else:
                    self._fragments = [bytes(event.data)]
            elif event.opcode is Opcode.CONT and self._fragments is not None:
                self._fragments.append(bytes(event.data))
                if event.fin:
                    self._emit(_decode(b"".join(self._fragments)))
                    self._fragments = None
            elif event.opcode in (Opcode.BINARY, Opcode.CONT) and event.fin:
                self._emit(
                    RemoteProtocolError("the server sent a binary frame; expected JSON text")
                )


_PLAIN = TransportCapabilities(name="websocket", secure=False)
_SECURE = TransportCapabilities(name="websocket", secure=True)


def _client_protocol(
    uri: WebSocketURI, subprotocols: Sequence[str] | None, headers: Mapping[str, str] | None
) -> ClientProtocol:
    """A client protocol with its handshake request queued (``data_to_send`` has it)."""
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
    protocol.send_request(request)
    return protocol


def handshake_outcome(
    protocol: ClientProtocol, events: list[Any], secrets: Sequence[str] = ()
) -> tuple[Response, list[Any]] | None:
    """The handshake response and the frames after it, once parsed; ``None`` while waiting.

    ``secrets`` are the credentials the request carried, kept out of any error message.

    Raises:
        HandshakeError: the server refused or answered with something that is not a handshake.
    """
    for index, event in enumerate(events):
        if isinstance(event, Response):
            if protocol.handshake_exc is not None:
                raise refusal(protocol.handshake_exc, event, secrets)
            return event, events[index + 1 :]
    if protocol.handshake_exc is not None:
        raise refusal(protocol.handshake_exc, None, secrets)
    return None


def _decode(data: bytes | bytearray | memoryview) -> str | RemoteProtocolError:
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        error = RemoteProtocolError(f"text frame is not valid UTF-8: {exc.reason}")
        error.__cause__ = exc
        return error


def refusal(
    exc: Exception, response: Response | None, secrets: Sequence[str] = ()
) -> HandshakeError:
    """The typed error for a refused or malformed handshake (status, body, request id).

    The body is quoted (its first 500 characters) with every credential redacted: a server
    or proxy may echo the request, ``Authorization`` header included. The websockets exception
    is not chained when it holds the response, whose body is the unredacted text.
    """
    if isinstance(exc, InvalidStatus):
        response = exc.response
    if response is None or not isinstance(exc, InvalidHandshake):
        error = HandshakeError(f"invalid handshake response: {redact(str(exc), secrets)}")
        error.__cause__ = exc
        return error
    text = bytes(response.body or b"").decode("utf-8", "replace")
    body = redact(text, secrets)[:500].strip()
    status = response.status_code
    detail = f": {body}" if body else f" {redact(response.reason_phrase, secrets)}"
    error = HandshakeError(
        f"server refused the WebSocket connection: HTTP {status}{detail}",
        status=status,
        request_id=response.headers.get("x-request-id"),
    )
    error.__suppress_context__ = True
    return error


def websockets_idle(protocol: ClientProtocol) -> bool:
    """Whether websockets holds no partial frame or message, so the next bytes start a frame.

    Reads two of its internals (with safe defaults: when they are not there, websockets keeps
    parsing everything).
    """
    reader = getattr(protocol, "reader", None)
    buffered = getattr(reader, "buffer", b"?")
    return (
        protocol.state is State.OPEN
        and not buffered
        and getattr(protocol, "current_size", 0) is None
    )


def text_frames(
    buffer: bytes | bytearray, emit: Callable[[str | RemoteProtocolError], None]
) -> tuple[int, bool]:
    """Emit the whole ``0x81`` frames (FIN, no RSV bits, text, unmasked) at the buffer's front.

    Returns where parsing stopped and whether it stopped at something that is not a text frame
    (``True``) or at a text frame that is not all there yet (``False``).
    """
    at, end = 0, len(buffer)
    while at < end:
        if buffer[at] != 0x81:
            return at, True
        if end - at < 2:
            return at, False
        size = buffer[at + 1]
        if size < 126:
            start = at + 2
        elif size == 126:
            start = at + 4
            if end < start:
                return at, False
            size = int.from_bytes(buffer[at + 2 : start], "big")
        elif size == 127:
            start = at + 10
            if end < start:
                return at, False
            size = int.from_bytes(buffer[at + 2 : start], "big")
            if size >> 63:
                return at, True  # not a valid length: websockets reports the error
        else:
            return at, True  # masked (a server must not mask): websockets reports the error
        stop = start + size
        if stop > end:
            return at, False
        try:
            emit(buffer[start:stop].decode("utf-8"))
        except UnicodeDecodeError as exc:
            error = RemoteProtocolError(f"text frame is not valid UTF-8: {exc.reason}")
            error.__cause__ = exc
            emit(error)
        at = stop
    return at, False
