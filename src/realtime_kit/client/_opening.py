"""Opening a session: a transport up to ``session.created``, and the first config confirmed.

:func:`open_leg` is how every session of a connection starts — the first one, a reconnect's,
a rollover's standby — so its failures are typed for a retry: a refusal, a timeout or a first
frame that is not an event are all :class:`~realtime_kit.errors.HandshakeError`. A
:class:`Dialer` holds what opening needs (where to, with which credentials, how, how long) and
numbers the sessions it opens.

Imports: anyio, the standard library, ``_settings``, ``errors``, ``events``, ``protocol`` and
the client's ``_leg``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

from realtime_kit._settings import ClientSettings
from realtime_kit.client._leg import Leg, SessionTarget, TransportOpener
from realtime_kit.errors import (
    ConfigurationError,
    DecodeError,
    HandshakeError,
    RemoteProtocolError,
)
from realtime_kit.events import ErrorEvent, ServerEvent
from realtime_kit.protocol import RealtimeProtocol
from realtime_kit.transports.base import Transport

__all__ = ["Dialer", "await_update"]


@dataclass(eq=False)
class Dialer:
    """Opens the sessions of one connection: where to, with which credentials, how, how long."""

    settings: ClientSettings
    target: SessionTarget
    opener: TransportOpener
    open_timeout: float
    clock: Callable[[], float]
    opened: int = 0
    """How many sessions were opened so far (each new one's ``Leg.generation``)."""

    async def open(self) -> tuple[Leg, list[ServerEvent]]:
        """Open a transport and read up to ``session.created``, all within ``open_timeout``.

        Returns the new session and the events that came with it (to deliver once it is
        current).

        Raises:
            HandshakeError: refused, timed out, or a first frame that is not an event (a failed
                attempt, worth retrying: a proxy's error page, a server restarting).
            TransportError: the network failed (``ConnectionClosedError`` included).
            SessionFatalError: the server's first answer was a fatal ``error``.
        """
        url = self.settings.ws_url(self.target.path, self.target.query)
        timeout = self.open_timeout
        deadline = anyio.current_time() + timeout
        try:
            with anyio.fail_at(deadline):
                transport = await self.opener(url, self.settings.headers())
        except TimeoutError:
            raise HandshakeError(f"opening the connection timed out after {timeout:g} s") from None
        core = RealtimeProtocol(self.target.kind)
        try:
            with anyio.fail_at(deadline):
                early = await _read_created(transport, core)
        except TimeoutError:
            await transport.aclose()
            raise HandshakeError(
                f"no session.created from the server: timed out after {timeout:g} s"
            ) from None
        except BaseException:
            await transport.aclose()
            raise
        self.opened += 1
        return Leg(transport, core, self.opened, opened_at=self.clock()), early


async def _read_created(transport: Transport, core: RealtimeProtocol) -> list[ServerEvent]:
    """Read until ``session.created``; the events read (a fatal ``error`` raises)."""
    early: list[ServerEvent] = []
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
    return early


async def await_update(leg: Leg, deliver: Callable[[ServerEvent], Awaitable[None]]) -> None:
    """Read (and ``deliver``) until the server confirms or refuses the first ``session.update``.

    The caller bounds the wait (``open_timeout``).

    Raises:
        ConfigurationError: the server refused the config (its message and ``param``).
        SessionFatalError: a fatal ``error`` came instead.
    """
    while True:
        event = await leg.next_event()  # the server's mistakes are skipped on the way
        await deliver(event)
        if leg.core.fatal is not None:
            raise leg.core.fatal
        if event.type == "session.updated":
            return
        cause = leg.core.cause_of(event) if isinstance(event, ErrorEvent) else None
        if isinstance(event, ErrorEvent) and cause is not None and cause.type == "session.update":
            raise ConfigurationError(
                f"the server refused the session config: {event.error.message}"
                f" (param {event.error.param})"
            )
