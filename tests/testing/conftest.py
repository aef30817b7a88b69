"""Fixtures for the fake server's own tests: a fast server (fake clock) and a connected client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from realtime_kit.testing import FakeClock, FakeRealtimeServer
from tests.testing._client import Client, open_client


@pytest.fixture
async def server() -> AsyncIterator[FakeRealtimeServer]:
    async with FakeRealtimeServer(clock=FakeClock(), seed=7) as srv:
        yield srv


@pytest.fixture
async def client(server: FakeRealtimeServer) -> AsyncIterator[Client]:
    c = await open_client(server.ws_base_url + "/realtime?model=gpt-realtime")
    await c.expect("session.created")
    yield c
    await c.close()
