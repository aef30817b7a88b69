"""Reconnect and rollover policies, and the report a connection gives after a restore.

Imports: the standard library, :mod:`realtime_kit.errors`, :mod:`realtime_kit.protocol` and
:mod:`realtime_kit.transports` (close-code facts).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from realtime_kit.errors import (
    ConnectionClosedError,
    HandshakeError,
    RealtimeKitError,
    SessionFatalError,
    TransportError,
)
from realtime_kit.protocol import LostState
from realtime_kit.transports.base import RECOVERABLE_CLOSE_CODES

__all__ = ["ConnectionRestored", "ReconnectPolicy", "RolloverPolicy"]


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """When and how a dropped connection is re-opened.

    Attributes:
        max_attempts: attempts per outage before giving up (the last error is raised).
        initial_delay: seconds before the second attempt; the first is immediate.
        max_delay: cap on the delay between attempts.
        multiplier: growth of the delay per attempt (with ±25 % jitter).
        recoverable_close_codes: close codes worth a reconnect. 1000 and 4000-range
            application codes (``beta_api_shape_disabled``) are not.
        replay_history: re-create the conversation (text and transcripts) in the new session.
    """

    max_attempts: int = 5
    initial_delay: float = 0.25
    max_delay: float = 8.0
    multiplier: float = 2.0
    recoverable_close_codes: frozenset[int] = RECOVERABLE_CLOSE_CODES
    replay_history: bool = True

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt`` (0-based)."""
        if attempt == 0:
            return 0.0
        base = min(self.initial_delay * self.multiplier ** (attempt - 1), self.max_delay)
        return base * (0.75 + random.random() / 2)

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
        attempts: connection attempts it took (1 for a rollover).
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
