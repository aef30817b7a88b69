"""RealtimeConnection with an in-memory transport: backpressure, handler isolation, close."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping

import anyio
import pytest
from anyio import wait_all_tasks_blocked

import realtime_kit
from realtime_kit.errors import ConnectionClosedError, HandshakeError
from realtime_kit.events import (
    ConversationItemTruncateEvent,
    InputAudioBufferAppendEvent,
    RateLimitsUpdatedEvent,
    SessionCreatedEvent,
)
from realtime_kit.transports import Transport, TransportCapabilities

pytestmark = pytest.mark.anyio

CREATED = json.dumps(
    {
        "type": "session.created",
        "event_id": "e0",
        "session": {
            "type": "realtime",
            "id": "sess_mem",
            "object": "realtime.session",
            "expires_at": 4_000_000_000,
        },
    }
)


def rate_limits(n: int) -> str:
    return json.dumps(
        {
            "type": "rate_limits.updated",
            "event_id": f"e{n}",
            "rate_limits": [{"name": "requests", "limit": 1, "remaining": n, "reset_seconds": 1}],
        }
    )


class MemoryTransport:
    """Frames from a memory stream; writes wait for a gate so tests can stall the socket."""

    def __init__(self) -> None:
        self.to_client, self._inbox = anyio.create_memory_object_stream[str](100)
        self.sent: list[str] = []
        self.gate = anyio.Event()
        self.gate.set()
        self.reopen = anyio.Event()
        self.headers: Mapping[str, str] = {}
        self.url = ""
        self._code: int | None = None

    @property
    def capabilities(self) -> TransportCapabilities:
        return TransportCapabilities(name="memory")

    @property
    def close_code(self) -> int | None:
        return self._code

    @property
    def close_reason(self) -> str:
        return ""

    async def send_text(self, data: str | bytes) -> None:
        if self._code is not None:
            raise ConnectionClosedError(self._code)
        await self.gate.wait()
        self.sent.append(data.decode() if isinstance(data, bytes) else data)

    async def receive_text(self) -> str:
        try:
            return await self._inbox.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            self._code = self._code or 1000
            raise ConnectionClosedError(self._code) from None

    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        self._code = self._code or code
        self.to_client.close()
        self._inbox.close()


async def open_memory(
    transport: MemoryTransport, **kwargs: object
) -> realtime_kit.client.ConnectContext:
    async def opener(url: str, headers: Mapping[str, str]) -> Transport:
        transport.url, transport.headers = url, headers
        return transport

    await transport.to_client.send(CREATED)
    return realtime_kit.connect(
        "gpt-realtime-2",
        api_key="sk-secret",
        base_url="https://example.test/v1",
        project="proj_9",
        safety_identifier="hash-1",
        transport=opener,
        reconnect=False,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_url_and_headers_are_built_from_settings() -> None:
    transport = MemoryTransport()
    async with await open_memory(transport) as conn:
        assert isinstance(transport, Transport)
        assert transport.url == "wss://example.test/v1/realtime?model=gpt-realtime-2"
        assert transport.headers["Authorization"] == "Bearer sk-secret"
        assert transport.headers["OpenAI-Project"] == "proj_9"
        assert transport.headers["OpenAI-Safety-Identifier"] == "hash-1"
        assert "OpenAI-Beta" not in transport.headers
        assert conn.session_id == "sess_mem"
        assert "sk-secret" not in repr(conn._dialer)


async def test_send_waits_when_the_outbound_queue_is_full() -> None:
    transport = MemoryTransport()
    async with await open_memory(transport, queue_size=2) as conn:
        transport.gate = anyio.Event()  # the socket stops accepting writes
        finished: list[int] = []

        async def sender(n: int) -> None:
            await conn.send(InputAudioBufferAppendEvent.from_audio(bytes(480)))
            finished.append(n)

        async with anyio.create_task_group() as tg:
            for n in range(5):
                tg.start_soon(sender, n)
            await wait_all_tasks_blocked()
            # One frame is stuck on the wire, the writer holds one, two are queued: the
            # fifth sender waits for room instead of buffering without limit.
            assert len(finished) == 3
            transport.gate.set()
        assert sorted(finished) == [0, 1, 2, 3, 4]
        await wait_all_tasks_blocked()
        assert len(transport.sent) == 5


async def test_slow_async_handler_never_blocks_reading() -> None:
    transport = MemoryTransport()
    async with await open_memory(transport) as conn:
        release = anyio.Event()
        handled: list[int] = []
        quick: list[RateLimitsUpdatedEvent] = []

        @conn.on(RateLimitsUpdatedEvent)
        async def slow(event: RateLimitsUpdatedEvent) -> None:
            await release.wait()
            handled.append(event.rate_limits[0].remaining)

        unsubscribe = conn.on(RateLimitsUpdatedEvent, quick.append)
        for n in range(1, 4):
            await transport.to_client.send(rate_limits(n))
        seen = []
        async for event in conn:
            seen.append(event)
            if len(seen) == 4:
                break
        assert isinstance(seen[0], SessionCreatedEvent)
        assert len(quick) == 3
        assert handled == []
        release.set()
        await wait_all_tasks_blocked()
        assert handled == [1, 2, 3]  # in order
        unsubscribe()
        await transport.to_client.send(rate_limits(9))
        await conn.__anext__()
        assert len(quick) == 3


async def test_server_close_ends_iteration_cleanly() -> None:
    transport = MemoryTransport()
    async with await open_memory(transport) as conn:
        transport.to_client.close()
        events = [event async for event in conn]
        assert [type(e) for e in events] == [SessionCreatedEvent]
        assert conn.closed
        with pytest.raises(ConnectionClosedError):
            await conn.send(InputAudioBufferAppendEvent.from_audio(bytes(480)))
        await conn.wait_closed()  # a normal close (1000) is not an error
        assert conn.error is None


async def two_sessions() -> tuple[
    MemoryTransport, MemoryTransport, realtime_kit.client.ConnectContext
]:
    """Two memory sockets and a reconnecting connection over them; the second socket is handed
    out only once ``second.reopen`` is set."""
    first, second = MemoryTransport(), MemoryTransport()
    await first.to_client.send(CREATED)
    await second.to_client.send(CREATED.replace("sess_mem", "sess_new"))
    opened: list[MemoryTransport] = []

    async def opener(url: str, headers: Mapping[str, str]) -> Transport:
        if opened:
            await second.reopen.wait()
        transport = (first, second)[len(opened)]
        opened.append(transport)
        return transport

    context = realtime_kit.connect(
        "gpt-realtime",
        api_key="sk-x",
        base_url="http://fake.test/v1",
        transport=opener,
        reconnect=realtime_kit.ReconnectPolicy(initial_delay=0),
    )
    return first, second, context


async def test_events_sent_during_an_outage_reach_the_new_session() -> None:
    first, second, context = await two_sessions()

    async with context as conn:
        assert await conn.__anext__()
        first._code = 1006  # the socket dies without a close frame
        first.to_client.close()
        await wait_all_tasks_blocked()  # the read loop is now waiting to reopen
        await conn.send(InputAudioBufferAppendEvent.from_audio(bytes(4800)))
        assert second.sent == []
        second.reopen.set()
        restored = None
        async for event in conn:
            if isinstance(event, realtime_kit.ConnectionRestored):
                restored = event
                break
        assert restored is not None
        assert restored.close_code == 1006
        assert restored.new_session_id == "sess_new"
        await wait_all_tasks_blocked()
        types = [json.loads(frame)["type"] for frame in second.sent]
        assert types == ["session.update", "input_audio_buffer.append"]


async def test_reconnect_gives_up_with_the_last_error() -> None:
    first = MemoryTransport()
    await first.to_client.send(CREATED)
    calls = 0

    async def opener(url: str, headers: Mapping[str, str]) -> Transport:
        nonlocal calls
        calls += 1
        if calls == 1:
            return first
        raise HandshakeError("refused", status=503)

    async with realtime_kit.connect(
        "gpt-realtime",
        api_key="sk-x",
        base_url="http://fake.test/v1",
        transport=opener,
        reconnect=realtime_kit.ReconnectPolicy(max_attempts=3, initial_delay=0, max_delay=0),
    ) as conn:
        first._code = 1011
        first.to_client.close()
        with pytest.raises(HandshakeError):
            async for _ in conn:
                pass
    assert calls == 4  # the first connection, then three attempts


async def test_queued_events_the_new_session_refuses_are_reported() -> None:
    first, second, context = await two_sessions()
    for frame in (
        {"type": "response.created", "response": {"id": "r1", "status": "in_progress"}},
        {
            "type": "response.output_audio.delta",
            "response_id": "r1",
            "item_id": "a1",
            "output_index": 0,
            "content_index": 0,
            "delta": base64.b64encode(bytes(4800)).decode(),
        },
    ):
        await first.to_client.send(json.dumps({"event_id": "e", **frame}))

    async with context as conn:
        for _ in range(3):  # session.created, response.created, the audio delta
            await conn.__anext__()
        first._code = 1006
        first.to_client.close()
        await wait_all_tasks_blocked()
        # Fine for the old session (100 ms of a1 was heard); a1 does not exist in the new one.
        await conn.send(
            ConversationItemTruncateEvent(item_id="a1", content_index=0, audio_end_ms=50)
        )
        second.reopen.set()
        async for event in conn:
            if isinstance(event, realtime_kit.ConnectionRestored):
                break
        await wait_all_tasks_blocked()
        assert [lost.what for lost in conn.dropped_after_restore] == [
            "queued conversation.item.truncate"
        ]
        assert "unknown item" in conn.dropped_after_restore[0].reason
        types = [json.loads(frame)["type"] for frame in second.sent]
        assert "conversation.item.truncate" not in types
