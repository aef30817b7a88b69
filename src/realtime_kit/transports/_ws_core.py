"""The state and message handling both WebSocket drivers share.

:class:`WebSocketCore` holds one connection's bookkeeping — the handshake response, queued
messages, fragments, the close code and reason — and turns received bytes into messages: whole
unfragmented text frames by its own reader while websockets holds no partial input, everything
else (control frames, fragments, binary frames, protocol errors) by websockets. A driver
(``_ws_asyncio``, ``_ws_stream``) moves the bytes; ``websocket`` joins a driver to the public
:class:`~realtime_kit.transports.WebSocketTransport`.

Imports: websockets (sans-I/O parts only), the standard library, ``errors`` and
``transports`` (``base``, ``_ws_frames``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State

from realtime_kit.errors import ConnectionClosedError, RemoteProtocolError
from realtime_kit.transports._ws_frames import ABNORMAL, client_text_frame, decode_text, text_frames
from realtime_kit.transports.base import TransportCapabilities, is_recoverable_close

__all__ = ["WebSocketCore"]

_PLAIN = TransportCapabilities(name="websocket", secure=False)
_SECURE = TransportCapabilities(name="websocket", secure=True)


class WebSocketCore(ABC):
    """What both WebSocket drivers share: the connection's state, message assembly, close codes.

    The public class is :class:`~realtime_kit.transports.WebSocketTransport`; a driver
    (``_ws_asyncio``, ``_ws_stream``) supplies the I/O.
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
                    self._emit(decode_text(event.data))
                else:
                    self._fragments = [bytes(event.data)]
            elif event.opcode is Opcode.CONT and self._fragments is not None:
                self._fragments.append(bytes(event.data))
                if event.fin:
                    self._emit(decode_text(b"".join(self._fragments)))
                    self._fragments = None
            elif event.opcode in (Opcode.BINARY, Opcode.CONT) and event.fin:
                self._emit(
                    RemoteProtocolError("the server sent a binary frame; expected JSON text")
                )
