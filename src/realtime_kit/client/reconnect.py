"""Reconnect and rollover policies, and the report a connection gives after a restore.

Imports: the standard library, :mod:`realtime_kit.errors`, :mod:`realtime_kit.protocol` and
:mod:`realtime_kit.transports` (close-code facts).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from realtime_kit.errors import (
    ConfigurationError,
    ConnectionClosedError,
    HandshakeError,
    RealtimeKitError,
    SessionFatalError,
    TransportError,
)
from realtime_kit.protocol import LostState
from realtime_kit.transports.base import RECOVERABLE_CLOSE_CODES

__all__ = ["ConnectionRestored", "ReconnectBackoff", "ReconnectPolicy", "RolloverPolicy"]


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """When and how a dropped connection is re-opened.

    Attempts are counted across outages until a session stays up: a session that drops within
    ``stable_after`` seconds of being opened counts as one more failed attempt of the same
    outage, so a server that accepts and drops every time meets a growing delay and, after
    ``max_attempts``, the connection ends with the last error (a note on it says how many
    attempts were made). A session that stayed up that long starts the next outage afresh.

    Attributes:
        max_attempts: attempts before giving up, counted since the last session that stayed
            up ``stable_after`` seconds (the last error is raised).
        initial_delay: seconds before the second attempt; the first is immediate.
        max_delay: cap on the delay between attempts (jitter included).
        multiplier: growth of the delay per attempt (with ±25 % jitter).
        stable_after: seconds a session must stay up for its drop to count as a new outage
            rather than one more failed attempt.
        recoverable_close_codes: close codes worth a reconnect. 1000 and 4000-range
            application codes (``beta_api_shape_disabled``) are not.
        replay_history: re-create the conversation (text and transcripts) in the new session.

    Raises:
        ConfigurationError: a negative number, or a multiplier below 1.
    """

    max_attempts: int = 5
    initial_delay: float = 0.25
    max_delay: float = 8.0
    multiplier: float = 2.0
    stable_after: float = 30.0
    recoverable_close_codes: frozenset[int] = RECOVERABLE_CLOSE_CODES
    replay_history: bool = True

    def __post_init__(self) -> None:
        numbers = ("max_attempts", "initial_delay", "max_delay", "stable_after")
        negative = [name for name in numbers if not getattr(self, name) >= 0]
        if negative:
            raise ConfigurationError(f"ReconnectPolicy: {', '.join(negative)} must be >= 0")
        if not self.multiplier >= 1:
            raise ConfigurationError("ReconnectPolicy: multiplier must be >= 1")

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt`` (0-based), at most ``max_delay``."""
        if attempt == 0:
            return 0.0
        base = min(self.initial_delay * self.multiplier ** min(attempt - 1, 64), self.max_delay)
        return min(base * (0.75 + random.random() / 2), self.max_delay)

    def should_retry(self, error: RealtimeKitError) -> bool:
        """Whether ``error`` (a lost connection or a failed re-open) is worth another try."""
        if isinstance(error, SessionFatalError):
            return False
        if isinstance(error, ConnectionClosedError):
            return error.code is None or error.code in self.recoverable_close_codes
        if isinstance(error, HandshakeError):
            # Credentials and bad requests do not heal; overload and outages do.
            return error.status is None or error.status == 429 or error.status >= 500
        return isinstance(error, TransportError)


class ReconnectBackoff:
    """One connection's attempt count under a :class:`ReconnectPolicy`, across outages.

    The connection calls :meth:`outage` when a session drops (with how long it had been up),
    then :meth:`next_delay` before every attempt to open a new one. Pure bookkeeping: no clock
    and no sleeping here.
    """

    __slots__ = ("attempts", "policy")

    def __init__(self, policy: ReconnectPolicy) -> None:
        self.policy = policy
        self.attempts = 0
        """Attempts made since the last session that stayed up ``stable_after`` seconds."""

    def outage(self, session_lasted: float) -> None:
        """A session dropped after ``session_lasted`` seconds; a long-lived one resets the count."""
        if session_lasted >= self.policy.stable_after:
            self.attempts = 0

    def next_delay(self) -> float | None:
        """Seconds to wait before the next attempt (counting it), or ``None``: give up."""
        if self.attempts >= self.policy.max_attempts:
            return None
        delay = self.policy.delay(self.attempts)
        self.attempts += 1
        return delay


@dataclass(frozen=True, slots=True)
class RolloverPolicy:
    """Proactive replacement of a session before the server's 60-minute cap.

    Attributes:
        lead_time: seconds before ``expires_at`` to open and prepare the standby session.
        hard_deadline: seconds before ``expires_at`` at which the switch happens even in the
            middle of a turn (the in-flight response is reported lost).
        poll_interval: longest real-time sleep while waiting (keeps fake clocks responsive).
        translation_quiet: translation sessions have no turns; their boundary is this many
            seconds without translated output (between sentences, not inside one).
    """

    lead_time: float = 300.0
    hard_deadline: float = 20.0
    poll_interval: float = 30.0
    translation_quiet: float = 0.6


@dataclass(frozen=True, slots=True)
class ConnectionRestored:
    """Delivered (to ``async for`` and ``on`` handlers) after a reconnect or a rollover.

    Attributes:
        cause: ``"reconnect"`` after a drop, ``"rollover"`` after a planned switch.
        old_session_id, new_session_id: the ``sess_…`` ids on both sides.
        attempts: connection attempts this outage took (1 for a rollover).
        restored_config: the confirmed session config was re-applied.
        restored_items: ids of the conversation items re-created (as text).
        replayed_audio_ms: uncommitted input audio re-sent to the new session.
        requeued_events: client events sent after the drop and delivered to the new session.
        lost: what the new session does not have, each with a reason.
        close_code, close_reason: how the old connection ended (reconnects).
        timeline_offset_ms: translation sessions: where the new session's ``elapsed_ms == 0``
            lies on the original input timeline (add it to later ``elapsed_ms`` values).
    """

    cause: Literal["reconnect", "rollover"]
    old_session_id: str | None
    new_session_id: str | None
    attempts: int
    restored_config: bool
    restored_items: tuple[str, ...]
    replayed_audio_ms: float
    requeued_events: int = 0
    lost: tuple[LostState, ...] = field(default_factory=tuple)
    close_code: int | None = None
    close_reason: str = ""
    timeline_offset_ms: int | None = None
