"""A conformance suite every transport must pass, and a loopback WebSocket peer to run it with.

:func:`check_transport` takes a factory of connected *pairs*: the transport under test and a
:class:`TransportPeer` that plays the server. It checks ordering in both directions, large and
non-ASCII frames, sending while another task receives, the close codes a server can send
(normal, recoverable, application-defined), an abrupt drop, and a local close. It raises
``AssertionError`` naming the first broken promise. What a transport declares in its
capabilities is held to: a ``max_message_bytes`` limit (frames up to it pass, one byte more is
refused with ``LocalProtocolError`` and the transport carries on), and a transport without
``close_codes`` (WebRTC) must read any polite close as 1000 and a drop as 1006.

:func:`loopback_websocket_pair` is such a factory for
:class:`~realtime_kit.transports.WebSocketTransport`: it runs websockets' sans-I/O server
protocol over an anyio listener on 127.0.0.1, so it works under asyncio and trio and needs no
extra dependency.

Imports: anyio, websockets, and public realtime_kit modules (this is the test kit).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import anyio
import anyio.lowlevel
from anyio.abc import ByteStream, TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from anyio.streams.tls import TLSStream
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.typing import Subprotocol

from realtime_kit.errors import ConnectionClosedError, LocalProtocolError
from realtime_kit.transports.base import Transport, TransportCapabilities
from realtime_kit.transports.websocket import WebSocketTransport

__all__ = [
    "LoopbackWebSocketPeer",
    "PairFactory",
    "TransportPeer",
    "check_transport",
    "loopback_websocket_pair",
]


class TransportPeer(Protocol):
    """The server side of a pair, as the conformance suite drives it."""

    async def send_text(self, data: str) -> None:
        """Send one text frame to the transport under test."""
        ...

    async def receive_text(self) -> str:
        """Return the next text frame the transport sent."""
        ...

    async def close(self, code: int, reason: str) -> None:
        """Close politely with ``code`` and ``reason``."""
        ...

    async def abort(self) -> None:
        """Drop the connection without a closing handshake."""
        ...

    async def wait_closed(self) -> int | None:
        """Wait until the transport has closed; return the close code it sent (or ``None``)."""
        ...


PairFactory = Callable[[], AbstractAsyncContextManager[tuple[Transport, TransportPeer]]]


async def _closed_error(
    operation: Callable[[], Awaitable[object]], what: str
) -> ConnectionClosedError:
    try:
        result = await operation()
    except ConnectionClosedError as exc:
        return exc
    raise AssertionError(f"{what} returned {result!r} on a closed transport")


async def _expect_closed(transport: Transport, code: int | None, recoverable: bool) -> None:
    for _ in range(2):
        exc = await _closed_error(transport.receive_text, "receive_text")
        assert exc.code == code, f"close code {exc.code!r}, expected {code!r}"
        assert exc.recoverable is recoverable, (
            f"close code {code}: recoverable={exc.recoverable}, expected {recoverable}"
        )
    assert transport.close_code == code, f"close_code {transport.close_code!r} != {code!r}"
    await _closed_error(lambda: transport.send_text("{}"), "send_text")


async def check_transport(make_pair: PairFactory) -> None:
    """Run the conformance suite; each check opens a fresh pair from ``make_pair``."""
    async with make_pair() as (transport, peer):
        assert isinstance(transport.capabilities, TransportCapabilities)
        assert transport.close_code is None, "close_code must be None while open"
        sent = [f'{{"type":"t","n":{n}}}' for n in range(50)]
        for frame in sent:
            await transport.send_text(frame)
        got = [await peer.receive_text() for _ in sent]
        assert got == sent, "frames sent by the transport arrived out of order or changed"
        await transport.send_text(b'{"type":"bytes"}')
        assert await peer.receive_text() == '{"type":"bytes"}', "bytes payload not sent as text"
        for frame in sent:
            await peer.send_text(frame)
        got = [await transport.receive_text() for _ in sent]
        assert got == sent, "frames received by the transport arrived out of order or changed"

    async with make_pair() as (transport, peer):
        limit = transport.capabilities.max_message_bytes
        size = 4 * 1024 * 1024 if limit is None else min(4 * 1024 * 1024, limit)
        big = '{"type":"big","audio":"' + "A" * (size - 25) + '"}'
        text = '{"type":"ünïcödé","text":"日本語 — ✓ 🎧"}'

        async def peer_sends() -> None:
            # Concurrently: a 4 MiB frame does not fit in socket buffers.
            await peer.send_text(big)
            await peer.send_text(text)

        async with anyio.create_task_group() as tg:
            tg.start_soon(peer_sends)
            assert await transport.receive_text() == big, "a 4 MiB frame did not arrive intact"
            assert await transport.receive_text() == text, "non-ASCII text changed in transit"
        await transport.send_text(big)
        assert await peer.receive_text() == big, "a 4 MiB frame was not sent intact"
        if limit is not None:
            try:
                await transport.send_text(big[:-2] + 'A"}')
            except LocalProtocolError:
                pass
            else:
                raise AssertionError(f"a frame over the {limit}-byte limit was not refused")
            await transport.send_text(text)
            assert await peer.receive_text() == text, "a refused frame broke the transport"

    async with make_pair() as (transport, peer):
        received: list[str] = []

        async def reader() -> None:
            received.append(await transport.receive_text())

        async with anyio.create_task_group() as tg:
            tg.start_soon(reader)
            await anyio.sleep(0.01)
            await transport.send_text('{"type":"while-receiving"}')
            assert await peer.receive_text() == '{"type":"while-receiving"}', (
                "send_text did not work while another task waited in receive_text"
            )
            await peer.send_text('{"type":"answer"}')
        assert received == ['{"type":"answer"}']

    for code, reason, recoverable in (
        (1000, "bye", False),
        (1001, "Your session hit the maximum duration of 60 minutes.", True),
        (1011, "server error", True),
        (4000, "beta_api_shape_disabled", False),
    ):
        async with make_pair() as (transport, peer):
            await peer.send_text('{"type":"last"}')
            await peer.close(code, reason)
            assert await transport.receive_text() == '{"type":"last"}', (
                "a frame sent just before the close was lost"
            )
            if not transport.capabilities.close_codes:
                # No close codes on this transport: every polite end is a normal one.
                await _expect_closed(transport, 1000, False)
                continue
            await _expect_closed(transport, code, recoverable)
            exc = await _closed_error(transport.receive_text, "receive_text")
            assert exc.reason == reason, f"close reason {exc.reason!r}, expected {reason!r}"

    async with make_pair() as (transport, peer):
        await peer.abort()
        await _expect_closed(transport, 1006, True)

    async with make_pair() as (transport, peer):
        await transport.aclose()
        await transport.aclose()
        assert await peer.wait_closed() == 1000, "the peer did not see close code 1000"
        exc = await _closed_error(lambda: transport.send_text("{}"), "send_text")
        assert exc.recoverable is False, "a local close must not look recoverable"
        await _closed_error(transport.receive_text, "receive_text")

    async with make_pair() as (transport, _peer):
        with anyio.CancelScope() as scope:
            scope.cancel()
            await transport.aclose(1000, "cancelled")
        assert transport.close_code is not None, "aclose under cancellation left it open"


class LoopbackWebSocketPeer:
    """The server end of :func:`loopback_websocket_pair` (websockets sans-I/O over anyio)."""

    def __init__(self, stream: ByteStream, protocol: ServerProtocol, request: Request) -> None:
        self._stream = stream
        self._protocol = protocol
        self.request = request
        """The client's handshake request (path and headers)."""
        send: MemoryObjectSendStream[str]
        receive: MemoryObjectReceiveStream[str]
        send, receive = anyio.create_memory_object_stream[str](1000)
        self._inbox_send = send
        self._inbox = receive
        self._lock = anyio.Lock()
        self._done = anyio.Event()
        self.pings_received = 0
        """How many keepalive pings the client sent."""
        self.ping_seen = anyio.Event()
        """Set when the first keepalive ping arrives."""

    async def _flush(self) -> None:
        async with self._lock:
            for chunk in self._protocol.data_to_send():
                if chunk and not self._done.is_set():
                    try:
                        await self._stream.send(chunk)
                    except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                        await self._drop()

    async def _drop(self) -> None:
        self._done.set()
        self._inbox_send.close()
        await self._stream.aclose()

    def _release(self) -> None:
        self._inbox_send.close()
        self._inbox.close()

    async def run(self) -> None:
        """Read from the client until the connection ends (run it in a task group)."""
        while not self._done.is_set():
            try:
                data = await self._stream.receive()
            except (anyio.EndOfStream, OSError, anyio.BrokenResourceError):
                self._protocol.receive_eof()
            except anyio.ClosedResourceError:
                break
            else:
                self._protocol.receive_data(data)
            for event in self._protocol.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    await self._inbox_send.send(bytes(event.data).decode())
                elif isinstance(event, Frame) and event.opcode is Opcode.PING:
                    self.pings_received += 1
                    self.ping_seen.set()
            await self._flush()
            if self._protocol.state is State.CLOSED or self._protocol.close_rcvd is not None:
                await self._drop()

    async def send_text(self, data: str) -> None:
        """Send a text frame."""
        self._protocol.send_text(data.encode())
        await self._flush()

    async def send_fragmented(self, data: str, pieces: int) -> None:
        """Send one text message split into ``pieces`` frames (continuation frames)."""
        raw = data.encode()
        size = max(1, -(-len(raw) // pieces))
        chunks = [raw[i : i + size] for i in range(0, len(raw), size)] or [b""]
        self._protocol.send_text(chunks[0], fin=len(chunks) == 1)
        for index, chunk in enumerate(chunks[1:], start=2):
            self._protocol.send_continuation(chunk, fin=index == len(chunks))
        await self._flush()

    async def send_binary(self, data: bytes) -> None:
        """Send a binary frame (the Realtime API never does; clients must say so)."""
        self._protocol.send_binary(data)
        await self._flush()

    async def receive_text(self) -> str:
        """Next text frame from the client."""
        return await self._inbox.receive()

    async def close(self, code: int, reason: str) -> None:
        """Send a close frame; the reader finishes the handshake."""
        self._protocol.send_close(code, reason)
        await self._flush()

    async def abort(self) -> None:
        """Drop TCP without a close frame."""
        await self._drop()

    async def wait_closed(self) -> int | None:
        """Close code the client sent, once the connection is over."""
        await self._done.wait()
        rcvd = self._protocol.close_rcvd
        return rcvd.code if rcvd is not None else None


async def _serve_one(
    listener: Any,
    subprotocols: Sequence[str] | None,
    refuse: tuple[int, str] | None,
    tg: TaskGroup,
    server_ssl: ssl.SSLContext | None,
    *,
    task_status: anyio.abc.TaskStatus[LoopbackWebSocketPeer | None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    raw: ByteStream = await listener.accept()
    try:
        peer = await _handshake(raw, subprotocols, refuse, server_ssl)
    except BaseException:
        # Cancelled (the client gave up) or failed: never leak the accepted socket.
        with anyio.CancelScope(shield=True):
            await raw.aclose()
        raise
    if peer is not None:
        tg.start_soon(peer.run)
    task_status.started(peer)


async def _handshake(
    raw: ByteStream,
    subprotocols: Sequence[str] | None,
    refuse: tuple[int, str] | None,
    server_ssl: ssl.SSLContext | None,
) -> LoopbackWebSocketPeer | None:
    stream = raw
    if server_ssl is not None:
        try:
            stream = await TLSStream.wrap(
                raw, server_side=True, ssl_context=server_ssl, standard_compatible=False
            )
        except (OSError, anyio.BrokenResourceError, anyio.EndOfStream):
            # The client refused our certificate: that is what such a test wants to see.
            await raw.aclose()
            return None
    protocol = ServerProtocol(
        subprotocols=[Subprotocol(s) for s in subprotocols] if subprotocols else None,
        max_size=None,
    )
    while True:
        protocol.receive_data(await stream.receive())
        requests = [e for e in protocol.events_received() if isinstance(e, Request)]
        if requests:
            break
    request = requests[0]
    if refuse is not None:
        response = protocol.reject(refuse[0], refuse[1])
        response.headers["x-request-id"] = "req_loopback"
    else:
        response = protocol.accept(request)
    protocol.send_response(response)
    for chunk in protocol.data_to_send():
        if chunk:
            await stream.send(chunk)
    if refuse is not None:
        await stream.aclose()
        return None
    return LoopbackWebSocketPeer(stream, protocol, request)


@asynccontextmanager
async def loopback_websocket_pair(
    *,
    path: str = "/v1/realtime",
    headers: Mapping[str, str] | None = None,
    subprotocols: Sequence[str] | None = None,
    refuse: tuple[int, str] | None = None,
    server_ssl: ssl.SSLContext | None = None,
    **connect_options: Any,
) -> AsyncIterator[tuple[WebSocketTransport, LoopbackWebSocketPeer]]:
    """Open a :class:`WebSocketTransport` to a one-shot server on 127.0.0.1.

    ``refuse=(status, body)`` makes the server reject the handshake (``connect`` then raises
    ``HandshakeError``); ``server_ssl`` makes it speak TLS (``wss://``). Extra keyword
    arguments go to :meth:`WebSocketTransport.connect`.
    """
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    inner = listener.listeners[0]
    port = inner.extra(anyio.abc.SocketAttribute.local_port)
    try:
        async with anyio.create_task_group() as tg:
            peer_holder: list[LoopbackWebSocketPeer | None] = []

            async def serve() -> None:
                async with anyio.create_task_group() as inner_tg:
                    peer = await inner_tg.start(
                        _serve_one, inner, subprotocols, refuse, tg, server_ssl
                    )
                    peer_holder.append(peer)

            tg.start_soon(serve)
            connect_options.setdefault("ping_interval", None)
            scheme = "wss" if server_ssl is not None else "ws"
            transport = await WebSocketTransport.connect(
                f"{scheme}://127.0.0.1:{port}{path}",
                headers=headers,
                subprotocols=subprotocols,
                **connect_options,
            )
            while not peer_holder:
                await anyio.lowlevel.checkpoint()
            peer = peer_holder[0]
            assert peer is not None
            try:
                yield transport, peer
            finally:
                await transport.aclose()
                await peer.abort()
                peer._release()
    except BaseExceptionGroup as group:
        # Surface a lone failure as itself so callers can catch HandshakeError and friends.
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
    finally:
        await listener.aclose()
