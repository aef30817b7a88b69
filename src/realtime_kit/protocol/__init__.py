"""The sans-I/O protocol core: session state, items, responses and audio bookkeeping.

Nothing here does I/O or awaits; tests run without an event loop. Imports: the standard
library, :mod:`realtime_kit.events` and :mod:`realtime_kit.errors`. Never anyio, websockets or
httpx.
"""

from __future__ import annotations

from realtime_kit.protocol._tables import (
    CLIENT_EVENT_TYPES,
    RESPONSE_TRANSITIONS,
    ResponseState,
    ResponseTrigger,
    SessionKind,
    SessionPhase,
    next_response_state,
)
from realtime_kit.protocol.core import RealtimeProtocol
from realtime_kit.protocol.fatal import fatal_error
from realtime_kit.protocol.records import (
    InputBuffer,
    ItemRecord,
    PendingEvent,
    ResponseRecord,
    ViolationLog,
)
from realtime_kit.protocol.restore import LostState, RestorePlan, plan_restore
from realtime_kit.protocol.translation import (
    LossReason,
    LostAudio,
    ResumePlan,
    TranslationTimeline,
)

__all__ = [
    "CLIENT_EVENT_TYPES",
    "RESPONSE_TRANSITIONS",
    "InputBuffer",
    "ItemRecord",
    "LossReason",
    "LostAudio",
    "LostState",
    "PendingEvent",
    "RealtimeProtocol",
    "ResponseRecord",
    "ResponseState",
    "ResponseTrigger",
    "RestorePlan",
    "ResumePlan",
    "SessionKind",
    "SessionPhase",
    "TranslationTimeline",
    "ViolationLog",
    "fatal_error",
    "next_response_state",
    "plan_restore",
]
