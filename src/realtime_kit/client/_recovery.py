"""Reconnecting: open a fresh session after a drop, seed it from the old one, switch to it.

A Realtime session cannot be resumed, so a reconnect re-applies the confirmed config, replays
the history as text, re-sends uncommitted input audio and the events queued during the outage,
and reports it all in a :class:`~realtime_kit.client.reconnect.ConnectionRestored`. A proactive
rollover (``_rollover``) switches with the same :func:`seed_and_switch`. These functions are the
connection's own helpers, kept apart to keep files readable.

The connection is seen through :class:`~realtime_kit.client._state.ConnectionState`. Imports:
anyio, the standard library, ``errors``, ``protocol`` and the client's ``_leg``, ``_state`` and
``reconnect``.
"""

from __future__ import annotations

import logging
from typing import Literal

import anyio

from realtime_kit.client._leg import Leg
from realtime_kit.client._state import ConnectionState
from realtime_kit.client.reconnect import ConnectionRestored
from realtime_kit.errors import ConnectionClosedError, RealtimeKitError
from realtime_kit.events import ServerEvent
from realtime_kit.protocol import plan_restore

__all__ = ["recover", "seed_and_switch"]

_log = logging.getLogger("realtime_kit.client")


async def recover(conn: ConnectionState, leg: Leg, exc: ConnectionClosedError) -> None:
    """Replace ``leg``, which ended with ``exc``, as the reconnect policy allows.

    Attempts count across outages (``ReconnectPolicy.stable_after``): a session that dropped
    soon after it was opened continues the count and the backoff of the outage before it.

    Raises:
        RealtimeKitError: ``exc`` itself when it is not worth retrying, else the last failure
            once the attempts are used up (with a note saying how many were made).
    """
    policy, backoff = conn._reconnect, conn._backoff
    lasted = anyio.current_time() - conn._installed_at
    with anyio.CancelScope(shield=True):
        await leg.transport.aclose()  # release what is left of the dead socket
    if policy is None or backoff is None or not policy.should_retry(exc):
        raise exc
    backoff.outage(lasted)
    _log.info(
        "connection lost after %.1f s (%s %s); reconnecting (attempt %d since the last "
        "stable session)",
        lasted, exc.code, exc.reason, backoff.attempts + 1,
    )  # fmt: skip
    last: RealtimeKitError = exc
    attempts = 0
    while (delay := backoff.next_delay()) is not None:
        await anyio.sleep(delay)
        attempts += 1
        try:
            new, early = await conn._dialer.open()
        except RealtimeKitError as error:
            last = error
            if not policy.should_retry(error):
                last.add_note("reconnecting stopped: this error is not worth another attempt")
                raise
            continue
        try:
            await seed_and_switch(
                conn,
                leg,
                new,
                early=early,
                cause="reconnect",
                attempts=attempts,
                replay_history=policy.replay_history,
                closed=exc,
            )
        except ConnectionClosedError as error:
            last = error
            await new.transport.aclose()
            continue
        return
    last.add_note(
        f"gave up reconnecting after {backoff.attempts} reconnect attempts since the last "
        f"session that stayed up {policy.stable_after:g} s (ReconnectPolicy.max_attempts="
        f"{policy.max_attempts})"
    )
    raise last


async def seed_and_switch(
    conn: ConnectionState,
    old: Leg,
    new: Leg,
    *,
    early: list[ServerEvent],
    cause: Literal["reconnect", "rollover"],
    attempts: int,
    replay_history: bool,
    closed: ConnectionClosedError | None,
) -> None:
    """Send ``new`` what re-creates ``old``, make it current, report, and start receiving."""
    plan = plan_restore(old.core, replay_history=replay_history, audio_replayed=True)
    lost = list(plan.lost)
    offset: int | None = None
    async with conn._write_lock:
        for event in plan.events:
            await new.transport.send_text(new.core.send(event))
        if conn.timeline is not None:
            # Translation: continue the input after what the old session had heard, once the
            # new session has taken the config (audio before session.updated would be
            # translated into the default language).
            resume = conn.timeline.reconnect()
            if plan.restored_config:
                early = early + await _until_updated(conn, new)
            for append in resume.events():
                await new.transport.send_text(new.core.send(append))
            replayed = resume.resent_ms
            lost += resume.lost_states()
            offset = resume.offset_ms
        else:
            for audio in old.uncommitted:
                await new.transport.send_text(new.core.send_audio(audio))
                new.appended(audio)  # the replayed audio opens the new session's timeline
            replayed = new.appended_ms
        conn._install(new)
    report = ConnectionRestored(
        cause=cause,
        old_session_id=old.core.session_id,
        new_session_id=new.core.session_id,
        attempts=attempts,
        restored_config=plan.restored_config,
        restored_items=tuple(plan.restored_items),
        replayed_audio_ms=replayed,
        requeued_events=conn._unwritten,
        lost=tuple(lost),
        close_code=closed.code if closed is not None else None,
        close_reason=closed.reason if closed is not None else "",
        timeline_offset_ms=offset,
    )
    conn.restores.append(report)
    for notice in early:
        await conn._deliver(notice)
    await conn._deliver(report)
    conn._attach(new)


async def _until_updated(conn: ConnectionState, new: Leg) -> list[ServerEvent]:
    """Read ``new`` until it confirms the re-applied config; the events, to deliver later."""
    seen: list[ServerEvent] = []
    with anyio.move_on_after(conn._dialer.open_timeout):
        while True:
            event = await new.next_event()
            seen.append(event)
            if event.type in ("session.updated", "error"):
                return seen
    _log.warning("reconnect: no session.updated from the new session; sending audio anyway")
    return seen
