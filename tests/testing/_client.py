"""A JSON event client for the fake server's tests, over a real loopback WebSocket.

It drives ``websockets``' synchronous client from worker threads, so the same test runs unchanged
under asyncio and trio.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

import anyio
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

KEY = "sk-test-key"


class Client:
    """A JSON event client over a real loopback WebSocket."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []

    async def send(self, event: dict[str, Any]) -> None:
        await anyio.to_thread.run_sync(self.ws.send, json.dumps(event))

    async def send_raw(self, text: str) -> None:
        await anyio.to_thread.run_sync(self.ws.send, text)

    async def recv(self, wait: float = 5.0) -> dict[str, Any]:
        text = await anyio.to_thread.run_sync(lambda: self.ws.recv(timeout=wait))
        event: dict[str, Any] = json.loads(text)
        self.seen.append(event)
        return event

    async def recv_until(self, etype: str, wait: float = 5.0) -> list[dict[str, Any]]:
        """Events up to and including the first of type ``etype``."""
        got: list[dict[str, Any]] = []
        while True:
            event = await self.recv(wait)
            got.append(event)
            if event["type"] == etype:
                return got

    async def expect(self, etype: str) -> dict[str, Any]:
        event = await self.recv()
        assert event["type"] == etype, event
        return event

    async def append(self, pcm: bytes, chunk: int = 4800) -> None:
        for i in range(0, len(pcm), chunk):
            await self.send(
                {
                    "type": "input_audio_buffer.append",
                    "audio": base64.b64encode(pcm[i : i + chunk]).decode(),
                }
            )

    async def closed(self, wait: float = 5.0) -> tuple[int | None, str]:
        """Wait for the close; returns (code, reason) — code None for an abrupt drop."""

        def drain() -> tuple[int | None, str]:
            try:
                while True:
                    self.ws.recv(timeout=wait)
            except ConnectionClosed as exc:
                rcvd = exc.rcvd
                return (rcvd.code, rcvd.reason) if rcvd is not None else (None, "")

        return await anyio.to_thread.run_sync(drain)

    async def close(self) -> None:
        await anyio.to_thread.run_sync(self.ws.close)

    async def close_with(self, code: int, reason: str = "") -> None:
        await anyio.to_thread.run_sync(lambda: self.ws.close(code, reason))


async def open_client(
    url: str,
    *,
    key: str | None = KEY,
    headers: dict[str, str] | None = None,
    subprotocols: Iterable[str] | None = None,
) -> Client:
    all_headers = dict(headers or {})
    if key is not None:
        all_headers["Authorization"] = f"Bearer {key}"

    def make() -> ClientConnection:
        return connect(  # entered below: websockets warns unless connect() is a context manager
            url,
            additional_headers=all_headers,
            subprotocols=list(subprotocols) if subprotocols else None,  # type: ignore[misc]
            max_size=None,
            # Unbounded: a client closing with unread frames must not stall on flow control.
            max_queue=None,
            open_timeout=5,
        ).__enter__()

    return Client(await anyio.to_thread.run_sync(make))


def types(events: Iterable[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]
