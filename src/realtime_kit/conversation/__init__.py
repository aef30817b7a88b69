"""realtime_kit.conversation: a voice agent on gpt-realtime-2 — turns, tools, barge-in on the
heard position, one ordered log, cost.

Imports: anyio, numpy, ``errors``, ``events``, ``audio``, ``cost``, ``protocol``,
``connection``, ``factory``, ``reconnect``. Never ``testing``, never a concrete transport.
"""

from __future__ import annotations

from realtime_kit.conversation._events import (
    AssistantAudio,
    AssistantTranscript,
    AssistantTranscriptDelta,
    BudgetAlert,
    ConversationClosed,
    ConversationError,
    ConversationEvent,
    DtmfReceived,
    Interrupted,
    RawServerEvent,
    Reconnected,
    ResponseDone,
    ResponseStarted,
    SessionChanged,
    ToolCallFinished,
    ToolCallStarted,
    TurnLatency,
    UserIdle,
    UserSpeechStarted,
    UserSpeechStopped,
    UserTranscript,
    UserTranscriptDelta,
    UserTranscriptFailed,
)
from realtime_kit.conversation._log import (
    AssistantTurn,
    ConversationLog,
    LogEntry,
    MessageEntry,
    ResponseSummary,
    ToolCallEntry,
    UserTurn,
)
from realtime_kit.conversation._options import AudioFormat, TurnDetection
from realtime_kit.conversation._playout import AppPlayback, PlaybackSink
from realtime_kit.conversation._scheduler import ResponseRequest, ResponseScheduler

__all__ = [
    "AppPlayback",
    "AssistantAudio",
    "AssistantTranscript",
    "AssistantTranscriptDelta",
    "AssistantTurn",
    "AudioFormat",
    "BudgetAlert",
    "ConversationClosed",
    "ConversationError",
    "ConversationEvent",
    "ConversationLog",
    "DtmfReceived",
    "Interrupted",
    "LogEntry",
    "MessageEntry",
    "PlaybackSink",
    "RawServerEvent",
    "Reconnected",
    "ResponseDone",
    "ResponseRequest",
    "ResponseScheduler",
    "ResponseStarted",
    "ResponseSummary",
    "SessionChanged",
    "ToolCallEntry",
    "ToolCallFinished",
    "ToolCallStarted",
    "TurnDetection",
    "TurnLatency",
    "UserIdle",
    "UserSpeechStarted",
    "UserSpeechStopped",
    "UserTranscript",
    "UserTranscriptDelta",
    "UserTranscriptFailed",
    "UserTurn",
]
