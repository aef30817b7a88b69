"""Opening a session: a transport up to ``session.created``, and the first config confirmed.

:func:`open_leg` is how every session of a connection starts — the first one, a reconnect's,
a rollover's standby — so its failures are typed for a retry: a refusal, a timeout or a first
frame that is not an event are all :class:`~realtime_kit.errors.HandshakeError`. These
functions are the connection's own helpers, kept apart to keep files readable.

Imports: anyio, the standard library, ``errors``, ``events``, ``protocol``, ``_leg`` and (for
types) ``connection``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

from realtime_kit._leg import Leg
from realtime_kit.errors import (
    ConfigurationError,
    DecodeError,
    HandshakeError,
    RemoteProtocolError,
)
from realtime_kit.events import ErrorEvent
from realtime_kit.protocol import RealtimeProtocol

if TYPE_CHECKING:
    from realtime_kit.connection import Delivered, RealtimeConnection

__all__ = ["await_update", "open_leg"]


async def open_leg(conn: RealtimeConnection) -> tuple[Leg, list[Delivered]]:
    """Open a transport and read up to ``session.created``, all within ``open_timeout``.

    Returns the new session and the events that came with it (to deliver once it is current).

    Raises:
        HandshakeError: refused, timed out, or a first frame that is not an event (a failed
            attempt, worth retrying: a proxy's error page, a server restarting).
        TransportError: the network failed (``ConnectionClosedError`` included).
        SessionFatalError: the server's first answer was a fatal ``error``.
    """
    url = conn._settings.ws_url(conn._target.path, conn._target.query)
    timeout = conn._open_timeout
    deadline = anyio.current_time() + timeout
    try:
        with anyio.fail_at(deadline):
            transport = await conn._opener(url, conn._settings.headers())
    except TimeoutError:
        raise HandshakeError(f"opening the connection timed out after {timeout:g} s") from None
    core = RealtimeProtocol(conn._target.kind)
    early: list[Delivered] = []
    try:
        with anyio.fail_at(deadline):
            while core.phase == "connecting":
                try:
                    event = core.receive(await transport.receive_text())
                except (DecodeError, RemoteProtocolError) as exc:
                    raise HandshakeError(
                        f"the server's first frames are not a session.created: {exc}"
                    ) from exc
                early.append(event)
                if core.fatal is not None:
                    raise core.fatal
    except TimeoutError:
        await transport.aclose()
        raise HandshakeError(
            f"no session.created from the server: timed out after {timeout:g} s"
        ) from None
    except BaseException:
        await transport.aclose()
        raise
    conn._generation += 1
    return Leg(transport, core, conn._generation, opened_at=conn._clock()), early


async def await_update(conn: RealtimeConnection, leg: Leg) -> None:
    """Read (and deliver) until the server confirms or refuses the first ``session.update``.

    Raises:
        ConfigurationError: the server refused the config (its message and ``param``).
        SessionFatalError: a fatal ``error`` came instead.
        TimeoutError: no answer within ``open_timeout``.
    """
    with anyio.fail_after(conn._open_timeout):
        while True:
            event = await leg.next_event()  # the server's mistakes are skipped on the way
            await conn._deliver(event)
            if leg.core.fatal is not None:
                raise leg.core.fatal
            if event.type == "session.updated":
                return
            cause = leg.core.cause_of(event) if isinstance(event, ErrorEvent) else None
            if (
                isinstance(event, ErrorEvent)
                and cause is not None
                and cause.type == "session.update"
            ):
                raise ConfigurationError(
                    f"the server refused the session config: {event.error.message}"
                    f" (param {event.error.param})"
                )
