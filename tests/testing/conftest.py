"""Fixtures for the fake server's own tests: a fast server (fake clock) and a connected client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

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


@pytest.fixture(autouse=True, scope="session")
def _nothing_sent_outside_the_schema() -> Iterator[None]:
    """Whatever the fake server sent during these tests matched the committed schema exactly."""
    yield
    from realtime_kit.testing._wire import OUTGOING_DRIFT

    assert not OUTGOING_DRIFT, str(OUTGOING_DRIFT)


@pytest.fixture
def expect_internal_errors() -> None:
    """Marks a test that makes the fake server fail on purpose (a brain that raises)."""


@pytest.fixture(autouse=True)
def _no_internal_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """No test may pass while the fake server papered over a failure of its own."""
    from realtime_kit.testing._guard import INTERNAL_ERRORS

    before = INTERNAL_ERRORS.count
    yield
    if "expect_internal_errors" not in request.fixturenames:
        assert INTERNAL_ERRORS.count == before, str(INTERNAL_ERRORS)
