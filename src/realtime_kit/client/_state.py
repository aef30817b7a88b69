"""What a connection shares with its helpers: the current session, the switch, and the calls back.

:class:`ConnectionState` is the part of a :class:`~realtime_kit.client.RealtimeConnection` that
its helpers read and change — ``_writing`` (ordered writes), ``_recovery`` (reconnecting),
``_rollover`` (replacing a session before its cap) and ``_media`` (audio on media tracks): the
current :class:`~realtime_kit.client._leg.Leg` and the event that marks a switch, the outbox and
the write gate a switch holds, the dialer that opens sessions, the policies, the restores so
far, the subscribed handlers and the helper tasks — and the few calls back into the connection
(deliver an event, start receiving on a session, end with an error). The connection extends
it; the helpers import this module, never ``connection``.

Imports: anyio, the standard library, ``_settings``, ``_sync``, ``errors``, ``events``,
``protocol`` and the client's ``_dispatch``, ``_leg``, ``_opening``, ``_tasks`` and
``reconnect``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import anyio

from realtime_kit._settings import ClientSettings
from realtime_kit._sync import Gate, LazyEvent, Mailbox
from realtime_kit.client._dispatch import HandlerTable
from realtime_kit.client._leg import Leg, SessionTarget, TransportOpener
from realtime_kit.client._opening import Dialer
from realtime_kit.client._tasks import TaskHost
from realtime_kit.client.reconnect import (
    ConnectionRestored,
    ReconnectBackoff,
    ReconnectPolicy,
    RolloverPolicy,
)
from realtime_kit.cost import CostMeter
from realtime_kit.errors import CostError
from realtime_kit.events import ClientEvent, ServerEvent
from realtime_kit.protocol import LostState, TranslationTimeline

__all__ = ["ConnectionState", "Delivered"]

Delivered = ServerEvent | ConnectionRestored
"""What ``async for event in conn`` yields: server events and restore reports."""


class ConnectionState(ABC):
    """The state of one connection that its helpers share, and the calls they make back."""

    def __init__(
        self,
        *,
        target: SessionTarget,
        settings: ClientSettings,
        opener: TransportOpener,
        reconnect: ReconnectPolicy | None,
        rollover: RolloverPolicy | None,
        open_timeout: float,
        clock: Callable[[], float],
        timeline: TranslationTimeline | None,
        queue_size: int,
        meter: CostMeter | None = None,
    ) -> None:
        self._target = target
        self._dialer = Dialer(settings, target, opener, open_timeout, clock)
        self._reconnect = reconnect
        # Attempts count across outages until a session stays up (see ReconnectPolicy).
        self._backoff = ReconnectBackoff(reconnect) if reconnect is not None else None
        self._rollover = rollover
        self._clock = clock
        self._leg: Leg | None = None
        self._installed_at = 0.0  # event-loop time the current session was switched to
        self._leg_changed = LazyEvent()
        # Held by whoever writes to the current session, and by a switch while it seeds the next.
        self._write_lock = Gate()
        # Written in order through this queue only when a send cannot go out at once.
        self._outbox: Mailbox[tuple[int, ClientEvent, bytes]] = Mailbox(queue_size)
        self._unwritten = 0  # events queued for the writer, not yet written
        self._writer_started = False
        self._handlers = HandlerTable()
        self._tasks = TaskHost(self._fail)
        self._last_output = 0.0  # time.monotonic() of the last stamped translation delta
        self._closing = False
        self._done = LazyEvent()
        self.restores: list[ConnectionRestored] = []
        """Every reconnect and rollover so far, oldest first."""
        self.dropped_after_restore: list[LostState] = []
        """Events queued during an outage that the new session's state refused (each with the
        reason, e.g. a truncation of an item the new session does not have); never sent."""
        self.timeline: TranslationTimeline | None = (
            (timeline or TranslationTimeline()) if target.kind == "translation" else None
        )
        """Translation sessions: the input timeline that carries a reconnect (re-sent audio,
        and ``to_original_ms`` for the ``elapsed_ms`` of a later session); else ``None``."""
        self.meter = meter
        """The cost meter that sees every event written and received (``connect(meter=...)``),
        across reconnects; ``None`` when none was attached."""

    def _metered(self, event: object) -> None:
        """Fold ``event`` into the meter; a meter's refusal (an unpriced model with ``strict``,
        a hard budget stop with ``raise_on_hard_stop``) ends the connection with that error."""
        meter = self.meter
        if meter is None:
            return
        try:
            meter.observe(event)
        except CostError as exc:
            self._fail(exc)

    def _metered_audio(self, nbytes: int) -> None:
        """Count input audio written by ``send_audio``'s fast path (no event was built)."""
        meter = self.meter
        if meter is None:
            return
        try:
            meter.record_input_audio(nbytes)
        except CostError as exc:
            self._fail(exc)

    def _install(self, leg: Leg) -> None:
        """Make ``leg`` the current session and wake whoever waits for a switch."""
        self._leg = leg
        self._installed_at = anyio.current_time()
        changed, self._leg_changed = self._leg_changed, LazyEvent()
        changed.set()

    @abstractmethod
    async def _deliver(self, event: Delivered) -> None:
        """Hand ``event`` to the handlers and to ``async for`` (waiting while the inbox is full)."""

    @abstractmethod
    def _attach(self, leg: Leg) -> None:
        """Start receiving on ``leg`` (now the current session)."""

    @abstractmethod
    def _fail(self, error: BaseException) -> None:
        """End the connection with ``error``."""

    @abstractmethod
    def _raise_closed(self) -> None:
        """Raise the error that ended the connection, or a ``ConnectionClosedError``."""
