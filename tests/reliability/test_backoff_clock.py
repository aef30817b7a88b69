"""Reconnect delays across short-lived sessions, measured on trio's mock clock.

Virtual seconds, no real waiting: with ``autojump_threshold=0`` the clock jumps to the next
deadline whenever every task is blocked, so a backoff of seconds costs nothing and the gaps
between reconnects are exact. The sessions are in-memory (nothing else can move the clock).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import anyio
import pytest
from trio.testing import MockClock

import realtime_kit
from realtime_kit.client import ReconnectPolicy
from realtime_kit.errors import ConnectionClosedError
from realtime_kit.events import RateLimitsUpdatedEvent
from tests.reliability.test_backoff import ShortSessions, connect

pytestmark = pytest.mark.anyio
VIRTUAL_BOUND_S = 10_000  # a test that would reconnect forever fails instead


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return "trio", {"clock": MockClock(autojump_threshold=0)}


def gaps(opener: ShortSessions) -> list[float]:
    times = opener.opened_at
    return [later - earlier for earlier, later in pairwise(times)]


async def test_the_delay_grows_across_short_sessions_up_to_the_cap() -> None:
    opener = ShortSessions()
    policy = ReconnectPolicy(max_attempts=6, initial_delay=1.0, multiplier=2.0, max_delay=5.0)
    with anyio.fail_after(VIRTUAL_BOUND_S):
        async with connect(opener, policy) as conn:
            with pytest.raises(ConnectionClosedError):
                async for _ in conn:
                    pass
    found = gaps(opener)
    assert len(found) == 6
    assert found[0] < 0.01  # the first drop after a fresh start: reconnect at once
    for n, gap in enumerate(found[1:], start=1):
        expected = min(2.0 ** (n - 1), 5.0)
        assert 0.75 * expected - 0.01 <= gap <= min(1.25 * expected, 5.0) + 0.01, found


async def test_sessions_that_lasted_each_reconnect_at_once() -> None:
    opener = ShortSessions(lives=40.0, healthy_after=4)
    policy = ReconnectPolicy(max_attempts=1, initial_delay=1.0, stable_after=30.0)
    with anyio.fail_after(VIRTUAL_BOUND_S):
        async with anyio.create_task_group() as tg:
            opener.task_group = tg
            async with connect(opener, policy) as conn:
                async for event in conn:
                    if isinstance(event, RateLimitsUpdatedEvent):
                        break
            tg.cancel_scope.cancel()
    found = gaps(opener)
    assert len(found) == 4
    assert all(40.0 - 0.01 <= gap <= 40.0 + 0.01 for gap in found), found
    assert [r.attempts for r in conn.restores] == [1, 1, 1, 1]
    assert isinstance(conn.restores[-1], realtime_kit.ConnectionRestored)
