"""Reconnect backoff spans consecutive short-lived sessions (issue 12, defect 3).

A server that accepts and then closes with 1011 every time used to get a fresh attempt counter
and no delay after every successful reopen: 55 reconnects in 20 s, forever. A session that does
not stay up for ``ReconnectPolicy.stable_after`` seconds now counts as one more failed attempt
of the same outage, so the delay keeps growing (up to ``max_delay``) and after
``max_attempts`` the connection ends with the last error.

These tests count attempts and never look at a clock; the delays themselves are checked on
trio's mock clock in ``test_backoff_clock.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio
import pytest

import realtime_kit
from realtime_kit.client import ReconnectBackoff, ReconnectPolicy
from realtime_kit.errors import ConfigurationError, ConnectionClosedError
from realtime_kit.transports import Transport
from tests.connection.test_connection_units import CREATED, MemoryTransport, rate_limits

# -- the arithmetic, without a loop --------------------------------------------------------------


def test_the_first_attempt_of_a_first_outage_is_immediate_then_delays_grow() -> None:
    policy = ReconnectPolicy(max_attempts=5, initial_delay=1.0, multiplier=2.0, max_delay=100)
    backoff = ReconnectBackoff(policy)
    backoff.outage(session_lasted=5.0)
    delays = [backoff.next_delay() for _ in range(5)]
    assert delays[0] == 0.0
    for n, delay in enumerate(delays[1:], start=1):
        assert delay is not None
        assert 0.75 * 2 ** (n - 1) <= delay <= 1.25 * 2 ** (n - 1)
    assert backoff.next_delay() is None  # used up


def test_a_short_lived_session_continues_the_count_instead_of_resetting_it() -> None:
    policy = ReconnectPolicy(max_attempts=4, initial_delay=1.0, stable_after=30.0)
    backoff = ReconnectBackoff(policy)
    seen = []
    for _ in range(4):
        backoff.outage(session_lasted=0.5)  # reopened fine, dropped again at once
        seen.append(backoff.next_delay())
    assert seen[0] == 0.0
    assert all(d is not None and d > 0 for d in seen[1:])
    backoff.outage(session_lasted=0.5)
    assert backoff.next_delay() is None
    assert backoff.attempts == 4


def test_a_session_that_stayed_up_resets_the_count() -> None:
    policy = ReconnectPolicy(max_attempts=2, stable_after=30.0)
    backoff = ReconnectBackoff(policy)
    backoff.outage(session_lasted=1.0)
    assert backoff.next_delay() == 0.0
    backoff.outage(session_lasted=1.0)
    assert backoff.next_delay() is not None
    backoff.outage(session_lasted=30.0)
    assert backoff.attempts == 0
    assert backoff.next_delay() == 0.0


def test_the_delay_never_passes_the_cap() -> None:
    policy = ReconnectPolicy(max_attempts=50, initial_delay=1.0, multiplier=3.0, max_delay=4.0)
    backoff = ReconnectBackoff(policy)
    backoff.outage(session_lasted=0.0)
    delays = [backoff.next_delay() for _ in range(50)]
    assert max(d for d in delays if d is not None) <= 4.0


@pytest.mark.parametrize(
    "options",
    [{"max_attempts": -1}, {"initial_delay": -1.0}, {"max_delay": -0.5}, {"stable_after": -1.0}],
)
def test_a_policy_with_negative_numbers_is_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        ReconnectPolicy(**options)


# -- over a connection -----------------------------------------------------------------------


class DroppingTransport(MemoryTransport):
    """A memory socket that takes every send and, once its inbox ends, reports a 1011 drop."""

    async def receive_text(self) -> str:
        try:
            return await self._inbox.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            self._code = self._code or 1011
            raise ConnectionClosedError(self._code, "internal error") from None


class ShortSessions:
    """An opener whose sessions say session.created and then drop with 1011 — at once, or
    after ``lives`` seconds — until ``healthy_after`` sessions were opened."""

    def __init__(self, lives: float = 0.0, healthy_after: int | None = None) -> None:
        self.opened_at: list[float] = []
        self.lives = lives
        self.healthy_after = healthy_after
        self.task_group: anyio.abc.TaskGroup | None = None

    async def __call__(self, url: str, headers: Mapping[str, str]) -> Transport:
        self.opened_at.append(anyio.current_time())
        transport = DroppingTransport()
        await transport.to_client.send(CREATED)
        if self.healthy_after is not None and len(self.opened_at) > self.healthy_after:
            await transport.to_client.send(rate_limits(len(self.opened_at)))
        elif self.lives and self.task_group is not None:
            self.task_group.start_soon(self._end_later, transport)
        else:
            transport.to_client.close()  # read session.created, then the drop
        return transport

    async def _end_later(self, transport: MemoryTransport) -> None:
        await anyio.sleep(self.lives)
        transport.to_client.close()


def connect(opener: ShortSessions, policy: ReconnectPolicy) -> realtime_kit.client.ConnectContext:
    return realtime_kit.connect(
        "gpt-realtime", api_key="sk-x", base_url="http://t.test/v1", transport=opener,
        reconnect=policy,
    )  # fmt: skip


@pytest.mark.anyio
async def test_a_server_that_keeps_dropping_at_once_is_given_up_on() -> None:
    opener = ShortSessions()
    policy = ReconnectPolicy(max_attempts=3, initial_delay=0, max_delay=0, stable_after=3600)
    with anyio.fail_after(20):
        async with connect(opener, policy) as conn:
            with pytest.raises(ConnectionClosedError) as raised:
                async for _ in conn:
                    pass
    assert raised.value.code == 1011
    assert len(opener.opened_at) == 4  # the first session, then three reconnects in all
    assert any("3 reconnect attempts" in note for note in raised.value.__notes__)
    # Each reopen worked, then dropped at once: one outage as far as the count goes, so the
    # reported attempts are per outage (1) while the count behind the backoff grew to 3.
    assert [r.attempts for r in conn.restores] == [1, 1, 1]


@pytest.mark.anyio
async def test_sessions_that_stay_up_long_enough_each_start_a_fresh_count() -> None:
    # Three drops in a row, each after a session the policy calls stable: never given up.
    opener = ShortSessions(healthy_after=3)
    policy = ReconnectPolicy(max_attempts=1, initial_delay=0, max_delay=0, stable_after=0)
    with anyio.fail_after(20):
        async with connect(opener, policy) as conn:
            async for event in conn:
                if isinstance(event, realtime_kit.events.RateLimitsUpdatedEvent):
                    break
    assert len(opener.opened_at) == 4
    assert len(conn.restores) == 3
