"""Which server ``error`` events end a session, as typed exceptions.

Imports: :mod:`realtime_kit.errors` and :mod:`realtime_kit.events`.
"""

from __future__ import annotations

from typing import Final

from realtime_kit.errors import (
    AuthenticationError,
    QuotaExceededError,
    SessionExpiredError,
    SessionFatalError,
)
from realtime_kit.events import ErrorEvent

__all__ = ["fatal_error"]

_FATAL_CODES: Final[dict[str, type[SessionFatalError]]] = {
    "invalid_api_key": AuthenticationError,
    "invalid_authentication": AuthenticationError,
    "authentication_error": AuthenticationError,
    "insufficient_quota": QuotaExceededError,
    "session_expired": SessionExpiredError,
}


def fatal_error(event: ErrorEvent) -> SessionFatalError | None:
    """The typed fatal error an ``error`` event stands for, or ``None`` if the session survives."""
    details = event.error
    cls = _FATAL_CODES.get(details.code or "") or _FATAL_CODES.get(details.type or "")
    if cls is None:
        return None
    return cls(
        details.message,
        type=details.type,
        code=details.code,
        param=details.param,
        event_id=details.event_id,
    )
