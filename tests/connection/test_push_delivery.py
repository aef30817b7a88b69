"""Receiving against the fake server: backpressure from a full inbox, and handlers that raise.

On asyncio the transport pushes frames into the connection from its socket callback and the
connection pauses the socket when ``async for`` falls ``event_buffer`` behind; on trio one read
task does the same by waiting for room. Either way nothing may be lost or reordered, and an
exception a handler lets out must end the connection with that very exception.
"""

from __future__ import annotations

import concurrent.futures
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
import pytest

import realtime_kit
from realtime_kit._sync import on_asyncio
from realtime_kit.errors import ConnectionClosedError
from realtime_kit.events import RateLimitsUpdatedEvent, ResponseCreateEvent
from realtime_kit.testing import ConnectionHandle, FakeClock, FakeRealtimeServer, ToneSynthesizer

pytestmark = pytest.mark.anyio
KEY = "sk-test-key"


@pytest.fixture
async def server() -> AsyncIterator[FakeRealtimeServer]:
    async with FakeRealtimeServer(clock=FakeClock(), seed=7, synthesizer=ToneSynthesizer()) as srv:
        yield srv


def numbered(n: int) -> dict[str, Any]:
    """A server event that carries a sequence number (in ``remaining``)."""
    return {
        "type": "rate_limits.updated",
        "rate_limits": [
            {"name": "requests", "limit": 1_000_000, "remaining": n, "reset_seconds": 1.0}
        ],
    }


def number_of(event: object) -> int | None:
    if isinstance(event, RateLimitsUpdatedEvent):
        return event.rate_limits[0].remaining
    return None


def send_in_order(handle: ConnectionHandle, count: int) -> concurrent.futures.Future[None]:
    """Send ``count`` numbered events, one after another, from the server's own loop."""
    wire = handle.wire
    assert wire is not None
    assert handle.portal is not None

    async def send_all() -> None:
        for n in range(count):
            await wire.send(numbered(n))

    future: concurrent.futures.Future[None] = handle.portal.start_task_soon(send_all)
    return future


# Explicit socket buffers where a test needs the kernel to push back: left alone, Linux grows a
# loopback connection's buffers up to net.ipv4.tcp_rmem/tcp_wmem's maximum (megabytes), so how
# much "fills the buffers" would depend on the machine. Linux doubles the value set.
SOCKET_BUFFER = 64 * 1024


def small_buffers(conn: realtime_kit.RealtimeConnection, handle: ConnectionHandle) -> None:
    """Cap both ends of the session socket at :data:`SOCKET_BUFFER` each way."""
    transport: Any = conn.transport
    inner = getattr(transport, "_transport", None)  # the asyncio driver's socket transport
    if inner is not None:
        client = inner.get_extra_info("socket")
    else:
        client = transport._stream.extra(anyio.abc.SocketAttribute.raw_socket)
    assert handle.wire is not None
    # uvicorn's ASGI send is a bound method of the protocol that owns the server's socket.
    server = handle.wire.ws.scope["realtime_kit.raw_send"].__self__.transport
    for sock in (client, server.get_extra_info("socket")):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)


async def until(condition: Callable[[], object], what: str = "condition") -> None:
    with anyio.fail_after(10):
        while not condition():  # noqa: ASYNC110 - polls connection state, no event to await
            await anyio.sleep(0.002)
    assert condition(), what


async def test_a_full_inbox_pushes_back_and_loses_nothing(server: FakeRealtimeServer) -> None:
    # ~1.75 MB on the wire: several times what the capped buffers, the server's write buffer
    # and one read's worth in the client hold, so the server cannot finish while nobody reads.
    count = 10_000
    async with realtime_kit.connect(
        "gpt-realtime", api_key=KEY, base_url=server.base_url, event_buffer=8
    ) as conn:
        (handle,) = await server.wait_for_connections(1)
        small_buffers(conn, handle)
        sending = send_in_order(handle, count)
        # Nobody reads for a while: the server keeps sending, the client must hold back.
        await until(lambda: len(conn._inbox) >= 8, "the inbox never filled")
        await anyio.sleep(0.3)
        buffered = len(conn._inbox)
        assert buffered < count // 2, f"{buffered} events buffered: the bound did not hold"
        assert not sending.done(), "the server could send everything: nothing pushed back"
        if on_asyncio():
            assert getattr(conn.transport, "_read_paused", None) is True
        got: list[int] = []
        with anyio.fail_after(30):  # a pause that is never resumed would hang here
            async for event in conn:
                number = number_of(event)
                if number is not None:
                    got.append(number)
                    if len(got) == count:
                        break
        assert got == list(range(count))
        await anyio.to_thread.run_sync(sending.result, 10)
        if on_asyncio():
            assert getattr(conn.transport, "_read_paused", None) is False
        # Still alive and in sync after all that.
        await conn.send(ResponseCreateEvent())
        async for event in conn:
            if event.type == "response.done":
                break


async def test_reading_resumes_once_async_for_drains_half_the_buffer(
    server: FakeRealtimeServer,
) -> None:
    count = 2000
    async with realtime_kit.connect(
        "gpt-realtime", api_key=KEY, base_url=server.base_url, event_buffer=8
    ) as conn:
        (handle,) = await server.wait_for_connections(1)
        sending = send_in_order(handle, count)
        await until(lambda: len(conn._inbox) >= 8)
        got: list[int] = []

        async def take() -> None:
            number = None
            while number is None:  # skip session.created, queued before the numbers
                number = number_of(await conn.__anext__())
            got.append(number)

        if on_asyncio():
            # Queued events are handed over without yielding, so no new frame arrives while
            # the buffer is drained: the pause lasts exactly until half of it is read.
            transport = conn.transport
            await until(lambda: getattr(transport, "_read_paused", None))
            while len(conn._inbox) > 5:
                await take()
            assert getattr(transport, "_read_paused", None) is True
            await take()
            assert len(conn._inbox) == 4
            assert getattr(transport, "_read_paused", None) is False
        # Read the rest in small sips, yielding between them, as a slow consumer would.
        with anyio.fail_after(20):
            while len(got) < count:
                for _ in range(min(5, count - len(got))):
                    await take()
                await anyio.lowlevel.checkpoint()
        assert got == list(range(count))
        await anyio.to_thread.run_sync(sending.result, 10)


class HandlerError(ValueError):
    """The handler's own error (a subclass, so the test sees exactly this one)."""


async def collect_numbers(conn: realtime_kit.RealtimeConnection, into: list[int]) -> None:
    async for event in conn:
        number = number_of(event)
        if number is not None:
            into.append(number)


def failing_on(number: int, *, is_async: bool) -> Callable[[RateLimitsUpdatedEvent], Any]:
    def sync_handler(event: RateLimitsUpdatedEvent) -> None:
        if number_of(event) == number:
            raise HandlerError(f"handler failed on {number}")

    async def async_handler(event: RateLimitsUpdatedEvent) -> None:
        await anyio.lowlevel.checkpoint()
        sync_handler(event)

    return async_handler if is_async else sync_handler


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_a_raising_handler_ends_iteration_with_its_exception(
    server: FakeRealtimeServer, is_async: bool
) -> None:
    async with realtime_kit.connect("gpt-realtime", api_key=KEY, base_url=server.base_url) as conn:
        conn.on(RateLimitsUpdatedEvent, failing_on(2, is_async=is_async))
        (handle,) = await server.wait_for_connections(1)
        for n in range(5):
            handle.send_soon(numbered(n))
        got: list[int] = []
        with anyio.fail_after(10), pytest.raises(HandlerError, match="failed on 2"):
            await collect_numbers(conn, got)
        assert conn.closed
        assert isinstance(conn.error, HandlerError)
        if not is_async:
            # A sync handler runs before the event is queued: what came before it arrives,
            # the failing event and what follows do not.
            assert got == [0, 1]
        else:
            assert got[:2] == [0, 1]
        with pytest.raises((HandlerError, ConnectionClosedError)):
            await conn.send(ResponseCreateEvent())
    # The block ends quietly (the error was seen) and the socket is closed politely.
    await anyio.to_thread.run_sync(handle.ended.wait, 5)
    assert handle.close_code == 1000


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_wait_closed_raises_a_handler_exception(
    server: FakeRealtimeServer, is_async: bool
) -> None:
    async with realtime_kit.connect("gpt-realtime", api_key=KEY, base_url=server.base_url) as conn:
        conn.on(RateLimitsUpdatedEvent, failing_on(0, is_async=is_async))
        (handle,) = await server.wait_for_connections(1)
        handle.send_soon(numbered(0))
        with anyio.fail_after(10), pytest.raises(HandlerError):
            await conn.wait_closed()


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_an_unseen_handler_exception_is_raised_at_the_end_of_the_block(
    server: FakeRealtimeServer, is_async: bool
) -> None:
    async def block() -> None:
        async with realtime_kit.connect(
            "gpt-realtime", api_key=KEY, base_url=server.base_url
        ) as conn:
            conn.on(RateLimitsUpdatedEvent, failing_on(0, is_async=is_async))
            (handle,) = await server.wait_for_connections(1)
            handle.send_soon(numbered(0))
            await until(lambda: conn.closed, "the handler's error did not end the connection")

    with pytest.raises(HandlerError):
        await block()


async def test_an_async_handler_may_close_the_connection(server: FakeRealtimeServer) -> None:
    async with realtime_kit.connect("gpt-realtime", api_key=KEY, base_url=server.base_url) as conn:
        closed_by_handler = anyio.Event()

        async def close_on_limits(event: RateLimitsUpdatedEvent) -> None:
            await conn.aclose()  # from inside the handler's own worker
            closed_by_handler.set()

        conn.on(RateLimitsUpdatedEvent, close_on_limits)
        # A close gives handlers a bounded time to finish; make that bound an hour, so that
        # the close returning at all (the guard is only against a hang) shows the handler's
        # own worker was not waited for (it could never finish) — whatever the machine's speed.
        conn._handler_drain_timeout = 3600.0
        (handle,) = await server.wait_for_connections(1)
        handle.send_soon(numbered(0))
        with anyio.fail_after(60):
            await closed_by_handler.wait()
        assert conn.closed
        assert conn.error is None
