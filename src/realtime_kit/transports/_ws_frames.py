"""WebSocket framing for the drivers: the handshake request and its outcome, and the frames.

Sans-I/O helpers around websockets' ``ClientProtocol``: building the handshake request (with
websockets' logger kept away from the headers, which carry the API key), reading its outcome
into :class:`~realtime_kit.errors.HandshakeError` with credentials redacted, a cheap client text
frame writer (one ``bytes`` per frame, masking keys from a shared pool of ``os.urandom`` bytes)
and a reader for whole unmasked text frames, the common case.

Imports: websockets (sans-I/O parts only), the standard library, ``errors`` and ``_redact``.
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Final

from websockets.client import ClientProtocol
from websockets.exceptions import InvalidHandshake, InvalidStatus
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import WebSocketURI

try:  # the C version ships with websockets' wheels
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - pure-Python fallback
    from websockets.utils import apply_mask

from realtime_kit.errors import HandshakeError, RemoteProtocolError
from realtime_kit.transports._redact import redact

__all__ = [
    "ABNORMAL",
    "client_protocol",
    "client_text_frame",
    "decode_text",
    "handshake_outcome",
    "refusal",
    "text_frames",
    "websockets_idle",
]

_USER_AGENT: Final = "realtime-kit (python)"
ABNORMAL: Final = 1006
"""The close code of a connection that ended without a closing handshake."""


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


def client_protocol(
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


def decode_text(data: bytes | bytearray | memoryview) -> str | RemoteProtocolError:
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
