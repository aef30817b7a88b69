"""Proactive rollover: replace a session before the server's 60-minute cap.

``lead_time`` seconds before ``expires_at`` a standby session is opened and drained in the
background; at the next turn boundary (no response in progress, the user not speaking; for a
translation session, a pause in its output), or at the hard deadline, the connection seeds it
and switches to it, then closes the old socket with 1000. These functions are the connection's
own helpers, kept apart to keep files readable.

The connection is seen through :class:`~realtime_kit.client._state.ConnectionState`. Imports:
anyio, the standard library, ``errors`` and the client's ``_leg``, ``_recovery``, ``_state`` and
``reconnect``.
"""

from __future__ import annotations

import logging
import time
from functools import partial

import anyio

from realtime_kit.client._leg import Leg
from realtime_kit.client._recovery import seed_and_switch
from realtime_kit.client._state import ConnectionState
from realtime_kit.client.reconnect import RolloverPolicy
from realtime_kit.errors import ConnectionClosedError, RealtimeKitError
from realtime_kit.events import ServerEvent

__all__ = ["rollover_loop"]

_log = logging.getLogger("realtime_kit.client")

SESSION_CAP_S = 3600  # PROTOCOL.md §5: a session lasts at most 60 minutes
_SKEW_TOLERANCE_S = 120


async def rollover_loop(conn: ConnectionState) -> None:
    """Watch ``expires_at`` and roll the connection over; runs until the connection ends."""
    policy = conn._rollover
    assert policy is not None
    while not conn._closing:
        leg = conn._leg
        assert leg is not None
        expires = _deadline(leg, policy)
        if expires is None:
            return
        remaining = expires - conn._clock()
        if remaining > policy.lead_time:
            await _nap(conn, min(remaining - policy.lead_time, policy.poll_interval), leg)
            continue
        try:
            standby, early = await conn._dialer.open()
        except RealtimeKitError as exc:
            _log.warning("rollover: standby session failed to open: %s", exc)
            await anyio.sleep(min(policy.poll_interval, 5.0))
            continue
        drained: list[ServerEvent] = []
        drain_scope, drain_done = anyio.CancelScope(), anyio.Event()
        conn._tasks.spawn(partial(_drain, conn, standby, drained, drain_scope, drain_done))
        try:
            await _wait_for_boundary(conn, leg, expires - policy.hard_deadline, policy)
        finally:
            drain_scope.cancel()
        # Only one task may read the standby: wait until the drain task has let go.
        await drain_done.wait()
        if conn._closing or leg is not conn._leg or standby.transport.close_code is not None:
            await standby.transport.aclose()
            continue
        try:
            await seed_and_switch(
                conn,
                leg,
                standby,
                early=early + drained,
                cause="rollover",
                attempts=1,
                replay_history=True,
                closed=None,
            )
        except ConnectionClosedError as exc:
            # The old session stays in charge; the next pass tries a fresh standby.
            _log.warning("rollover: switching failed, staying on the old session: %s", exc)
            await standby.transport.aclose()
            continue
        await leg.transport.aclose(1000, "rolled over to a new session")


def _deadline(leg: Leg, policy: RolloverPolicy) -> float | None:
    """When ``leg``'s session ends, on the connection's clock.

    ``expires_at`` is the server's clock; a session is given 60 minutes. When the window it
    implies from the moment the session opened here is implausible (no longer than the lead time,
    or longer than the cap), the two clocks disagree, and the deadline is taken as 60 minutes
    after the session opened instead: a skewed clock must not roll over in a loop, or never.
    """
    expires = leg.core.expires_at
    if expires is None:
        return None
    window = expires - leg.opened_at
    if window <= policy.lead_time or window > SESSION_CAP_S + _SKEW_TOLERANCE_S:
        if not leg.skew_reported:
            leg.skew_reported = True
            _log.warning(
                "rollover: the session's expires_at is %.0f s from when it opened by this clock"
                " (expected ~%d s): the clocks disagree; assuming the session ends %d s after it"
                " opened",
                window,
                SESSION_CAP_S,
                SESSION_CAP_S,
            )
        return leg.opened_at + SESSION_CAP_S
    return float(expires)


async def _nap(conn: ConnectionState, seconds: float, leg: Leg) -> None:
    with anyio.move_on_after(seconds):
        while leg is conn._leg:
            await conn._leg_changed.wait()


async def _drain(
    conn: ConnectionState,
    leg: Leg,
    into: list[ServerEvent],
    scope: anyio.CancelScope,
    done: anyio.Event,
) -> None:
    try:
        with scope:
            while True:
                try:
                    into.append(await leg.next_event())
                except ConnectionClosedError as exc:
                    _log.warning("rollover: standby session ended early: %s", exc)
                    return
    finally:
        done.set()


async def _wait_for_boundary(
    conn: ConnectionState, leg: Leg, deadline: float, policy: RolloverPolicy
) -> None:
    poll = min(policy.poll_interval, 0.05)
    while leg is conn._leg and not conn._closing:
        core = leg.core
        if core.kind == "translation":
            # No turns: switch in a pause of the translation, so no sentence is cut in two.
            if time.monotonic() - conn._last_output >= policy.translation_quiet:
                return
        elif core.active_response is None and not core.input_buffer.speaking:
            return
        if conn._clock() >= deadline:
            return
        await anyio.sleep(poll)
