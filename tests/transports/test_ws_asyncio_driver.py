"""The asyncio ``Protocol`` WebSocket driver over real loopback sockets (asyncio only).

Synchronous writes, push delivery, pull-mode backpressure and the keepalive timer, each seen
from the other end of a real TCP connection.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
import anyio.abc
import anyio.lowlevel
import pytest
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.server import ServerProtocol

from realtime_kit.errors import ConnectionClosedError, RemoteProtocolError
from realtime_kit.testing import LoopbackWebSocketPeer, loopback_websocket_pair
from realtime_kit.transports._ws_asyncio import _HIGH_WATER, AsyncioWebSocket
from realtime_kit.transports.websocket import WebSocketTransport

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    """The driver exists only on asyncio."""
    return "asyncio"


@asynccontextmanager
async def pair(**options: object) -> AsyncIterator[tuple[AsyncioWebSocket, LoopbackWebSocketPeer]]:
    async with loopback_websocket_pair(proxy=False, **options) as (transport, peer):
        assert isinstance(transport, AsyncioWebSocket), "asyncio without a proxy picks the driver"
        yield transport, peer


async def until(condition: Callable[[], object], what: str = "condition") -> None:
    # Only a guard against a hang: a loaded machine may take long, a broken driver forever.
    with anyio.fail_after(30):
        while not condition():  # noqa: ASYNC110 - polls transport state with no event
            await anyio.sleep(0.001)
    assert condition(), what


class Recorder:
    """``deliver_to`` callbacks that remember what they were given."""

    def __init__(self) -> None:
        self.messages: list[str | RemoteProtocolError] = []
        self.ends: list[ConnectionClosedError] = []

    def on_message(self, message: str | RemoteProtocolError) -> None:
        assert not self.ends, "a message was delivered after on_end"
        self.messages.append(message)

    def on_end(self, closed: ConnectionClosedError) -> None:
        self.ends.append(closed)


def numbered(count: int, pad: int = 0) -> list[str]:
    return [f'{{"type":"n","n":{n},"pad":"{"x" * pad}"}}' for n in range(count)]


# -- synchronous writes ------------------------------------------------------------------------


async def test_try_send_text_writes_in_order_with_send_text() -> None:
    async with pair() as (transport, peer):
        frames = numbered(200)
        for n, frame in enumerate(frames):
            if n % 3:
                assert transport.try_send_text(frame.encode()) is True
            else:
                await transport.send_text(frame)
        assert [await peer.receive_text() for _ in frames] == frames


async def test_try_send_text_declines_while_the_socket_is_backed_up() -> None:
    async with pair() as (transport, peer):
        big = '{"type":"big","pad":"' + "x" * 65536 + '"}'
        accepted = 0
        # Never yielding, so nobody reads: the kernel buffers fill, then asyncio's.
        while transport.try_send_text(f"{accepted:08d}{big}".encode()):
            accepted += 1
            assert accepted < 10_000, "try_send_text never reported a backed-up socket"
        assert transport.try_send_text(b'{"type":"still full"}') is False
        got: list[str] = []
        async with anyio.create_task_group() as tg:

            async def drain() -> None:
                for _ in range(accepted + 1):
                    got.append(await peer.receive_text())

            tg.start_soon(drain)
            await transport.send_text('{"type":"after"}')  # waits for room, then writes
        assert got[:accepted] == [f"{n:08d}{big}" for n in range(accepted)]
        assert got[-1] == '{"type":"after"}'
        assert transport.try_send_text(b'{"type":"flowing"}') is True
        assert await peer.receive_text() == '{"type":"flowing"}'


@pytest.mark.parametrize(("how", "code"), [("close", 1000), ("abort", 1006)])
async def test_try_send_text_after_the_peer_ended_raises(how: str, code: int) -> None:
    async with pair() as (transport, peer):
        if how == "close":
            await peer.close(1000, "bye")
        else:
            await peer.abort()
        with pytest.raises(ConnectionClosedError):
            await transport.receive_text()
        with pytest.raises(ConnectionClosedError) as info:
            transport.try_send_text(b'{"type":"late"}')
        assert info.value.code == code
        with pytest.raises(ConnectionClosedError):
            await transport.send_text(b'{"type":"late"}')


async def test_try_send_text_after_local_close_raises() -> None:
    async with pair() as (transport, peer):
        await transport.aclose()
        assert await peer.wait_closed() == 1000
        with pytest.raises(ConnectionClosedError) as info:
            transport.try_send_text(b"{}")
        assert info.value.recoverable is False


# -- push delivery -----------------------------------------------------------------------------


async def test_deliver_to_flushes_queued_messages_first_then_pushes_in_order() -> None:
    async with pair() as (transport, peer):
        early = numbered(3)
        for frame in early:
            await peer.send_text(frame)
        await peer.send_binary(b"\x00")
        await until(lambda: transport._queued() == 4, "the early messages were not queued")
        seen = Recorder()
        transport.deliver_to(seen.on_message, seen.on_end)
        # Already-queued messages are handed over before deliver_to returns, in order.
        assert seen.messages[:3] == early
        assert isinstance(seen.messages[3], RemoteProtocolError)
        assert transport._queued() == 0
        late = [f'{{"type":"late","n":{n}}}' for n in range(50)]
        for frame in late:
            await peer.send_text(frame)
        await until(lambda: len(seen.messages) == 4 + len(late))
        assert seen.messages[4:] == late
        assert seen.ends == []
        await peer.close(1000, "done")
        await until(lambda: seen.ends)
        await anyio.sleep(0.02)
    assert len(seen.ends) == 1, "on_end must be called exactly once"
    assert seen.ends[0].code == 1000
    assert seen.ends[0].reason == "done"
    assert seen.ends[0].recoverable is False


async def test_deliver_to_reports_an_abort_once_as_1006() -> None:
    async with pair() as (transport, peer):
        seen = Recorder()
        transport.deliver_to(seen.on_message, seen.on_end)
        await peer.send_text('{"type":"last"}')
        await until(lambda: seen.messages)
        await peer.abort()
        await until(lambda: seen.ends)
        await transport.aclose()
    assert seen.messages == ['{"type":"last"}']
    assert [(e.code, e.recoverable) for e in seen.ends] == [(1006, True)]


async def test_deliver_to_on_an_ended_connection_flushes_then_ends() -> None:
    async with pair() as (transport, peer):
        await peer.send_text('{"type":"a"}')
        await peer.send_text('{"type":"b"}')
        await peer.close(1001, "going away")
        await until(lambda: transport.closed)
        seen = Recorder()
        transport.deliver_to(seen.on_message, seen.on_end)
    assert seen.messages == ['{"type":"a"}', '{"type":"b"}']
    assert [(e.code, e.reason) for e in seen.ends] == [(1001, "going away")]


async def test_local_close_in_push_mode_ends_once() -> None:
    async with pair() as (transport, peer):
        seen = Recorder()
        transport.deliver_to(seen.on_message, seen.on_end)
        await transport.aclose()
        await transport.aclose()
        assert await peer.wait_closed() == 1000
    assert len(seen.ends) == 1
    assert seen.ends[0].code == 1000


async def test_pause_reading_holds_pushed_messages_until_resumed() -> None:
    async with pair() as (transport, peer):
        seen = Recorder()
        transport.deliver_to(seen.on_message, seen.on_end)
        await peer.send_text('{"type":"first"}')
        await until(lambda: seen.messages)
        transport.pause_reading()
        assert transport._read_paused
        await peer.send_text('{"type":"held"}')
        await anyio.sleep(0.05)
        assert seen.messages == ['{"type":"first"}'], "a paused transport delivered a message"
        transport.resume_reading()
        await until(lambda: len(seen.messages) == 2)
        assert seen.messages[1] == '{"type":"held"}'


# -- pull-mode backpressure --------------------------------------------------------------------


# Explicit socket buffers for the backpressure test, so that what "the buffers hold" is set
# here and not by the machine: Linux autotunes a TCP receive buffer up to net.ipv4.tcp_rmem's
# maximum (32 MiB on some hosts), which swallows megabytes a paused reader never asked for.
# Linux doubles the value set; other kernels take it as given. The receive buffer stays above
# the window already advertised in the handshake, so nothing in flight is dropped.
_SOCKET_BUFFER = 64 * 1024
# What one read may hand the driver at once (asyncio's and uvloop's read size), and what anyio's
# asyncio stream keeps in user space before its send() waits (asyncio's default write-buffer
# high-water mark).
_READ_CHUNK = 256 * 1024
_PEER_USER_BUFFER = 64 * 1024


def _small_buffers(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _SOCKET_BUFFER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SOCKET_BUFFER)


async def test_unread_messages_pause_the_socket_and_reading_resumes_it() -> None:
    frames = numbered(3000, pad=1024)
    frame_size = max(map(len, frames)) + 4  # a server frame's header is 4 bytes at this size
    # Everything the paused connection can let through: what the driver read before pausing,
    # the peer's send buffer and the client's receive buffer (each doubled), and the peer's
    # user-space buffer (plus the frame being written).
    in_flight = (
        (_HIGH_WATER + 1) * frame_size
        + _READ_CHUNK
        + 2 * 2 * _SOCKET_BUFFER
        + _PEER_USER_BUFFER
        + frame_size
    )
    assert len(frames) * frame_size > 2 * in_flight, "the test must send far more than fits"
    sent = 0

    async def peer_sends(peer: LoopbackWebSocketPeer) -> None:
        nonlocal sent
        for frame in frames:
            await peer.send_text(frame)
            sent += 1

    async with pair() as (transport, peer):
        assert transport._transport is not None
        _small_buffers(transport._transport.get_extra_info("socket"))
        _small_buffers(peer._stream.extra(anyio.abc.SocketAttribute.raw_socket))
        async with anyio.create_task_group() as tg:
            tg.start_soon(peer_sends, peer)
            await until(lambda: transport._read_paused, "reading never paused")
            queued = transport._queued()
            assert queued > _HIGH_WATER
            await anyio.sleep(0.1)
            # Paused: nothing more is read, so the queue stays put and the peer is held back
            # (it cannot finish whatever the timing: the rest does not fit in the buffers).
            assert transport._queued() == queued
            assert sent * frame_size < in_flight, "the peer got past the paused reader"
            got = [await transport.receive_text() for _ in frames]
        assert got == frames
        assert not transport._read_paused


# -- keepalive ---------------------------------------------------------------------------------


async def test_idle_connection_pings_and_a_ponging_peer_keeps_it_open() -> None:
    # The pings span more than ping_timeout, so the pongs are what keeps it open. The timeout
    # is far above a ping's round trip (same process) even on a loaded machine: a tighter one
    # fails whenever the loop is held up between the ping and its pong.
    timeout = 2.0
    interval = 0.05
    async with pair(ping_interval=interval, ping_timeout=timeout) as (transport, peer):
        await until(lambda: peer.pings_received > timeout / interval + 1, "no keepalive pings")
        assert not transport.closed
        await peer.send_text('{"type":"alive"}')
        assert await transport.receive_text() == '{"type":"alive"}'


async def test_pings_keep_their_interval_after_a_pong() -> None:
    async with pair(ping_interval=0.05, ping_timeout=30) as (transport, peer):
        # Well short of ping_timeout: a driver that waits out the ping's timeout after a pong
        # would send its second ping only then.
        with anyio.move_on_after(10):
            while peer.pings_received < 2:  # noqa: ASYNC110 - the peer counts, no event
                await anyio.sleep(0.01)
        assert not transport.closed
        assert peer.pings_received >= 2, "an idle line answered its ping, then got none for 10 s"


@asynccontextmanager
async def silent_server() -> AsyncIterator[tuple[str, list[Frame]]]:
    """A server that accepts the handshake, then reads frames and never answers anything."""
    frames: list[Frame] = []
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.listeners[0].extra(anyio.abc.SocketAttribute.local_port)

    async def serve(stream: anyio.abc.ByteStream) -> None:
        protocol = ServerProtocol()
        async with stream:
            while True:
                try:
                    data = await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
                    return
                protocol.receive_data(data)
                for event in protocol.events_received():
                    if isinstance(event, Request):
                        protocol.send_response(protocol.accept(event))
                        for chunk in protocol.data_to_send():
                            await stream.send(chunk)
                    elif isinstance(event, Frame):
                        frames.append(event)
                # Everything else the protocol wants to send (pongs) is never sent.

    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, serve)
        try:
            yield f"ws://127.0.0.1:{port}/v1/realtime", frames
        finally:
            tg.cancel_scope.cancel()


async def test_a_peer_that_never_answers_a_ping_ends_the_connection_as_abnormal() -> None:
    async with silent_server() as (url, frames):
        transport = await WebSocketTransport.connect(
            url, proxy=False, ping_interval=0.05, ping_timeout=0.1, close_timeout=0.1
        )
        assert isinstance(transport, AsyncioWebSocket)
        try:
            with anyio.fail_after(5), pytest.raises(ConnectionClosedError) as info:
                await transport.receive_text()
        finally:
            await transport.aclose()
    assert info.value.code == 1006
    assert info.value.recoverable is True
    assert "ping" in info.value.reason
    assert transport.close_code == 1006
    assert any(f.opcode is Opcode.PING for f in frames), "no ping reached the peer"


async def test_keepalive_timeout_reaches_a_push_mode_consumer() -> None:
    async with silent_server() as (url, _frames):
        transport = await WebSocketTransport.connect(
            url, proxy=False, ping_interval=0.05, ping_timeout=0.1, close_timeout=0.1
        )
        assert isinstance(transport, AsyncioWebSocket)
        seen = Recorder()
        transport.deliver_to(seen.on_message, seen.on_end)
        try:
            await until(lambda: seen.ends, "on_end was not called")
        finally:
            await transport.aclose()
    assert [e.code for e in seen.ends] == [1006]
