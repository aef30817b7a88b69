"""The client side of the hostile-server tests: a connection that has given the server its cue.

The hostile scripts wait for the client's first frame before they misbehave (so the connection
is established and attached when they do); :func:`attached` opens the connection and sends that
frame.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

import realtime_kit
from tests.reliability.hostile import HostileServer

KEY = "sk-test-key"
BOUND_S = 30.0  # only a safety net: a test that works is done in milliseconds


@asynccontextmanager
async def attached(
    server: HostileServer, *, api_key: str = KEY, **options: Any
) -> AsyncIterator[realtime_kit.RealtimeConnection]:
    """``connect()`` to ``server``, send one frame of silence, and hand the connection over."""
    with anyio.fail_after(BOUND_S):
        async with realtime_kit.connect(
            "gpt-realtime", api_key=api_key, base_url=server.base_url, **options
        ) as conn:
            await conn.send_audio(bytes(4800))
            yield conn
