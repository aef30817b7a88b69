"""realtime_kit.conversation: a voice agent on gpt-realtime-2 — turns, tools, barge-in on the
heard position, one ordered log, cost.

* :class:`Conversation` — the agent: audio in and out at the app's rate, typed events, tools,
  barge-in where the listener really is, the response scheduler, reconnect without amnesia;
* :func:`tool` / :class:`Tool` / :class:`ToolSet` — Python functions as tools, run safely;
* :class:`ConversationLog` — the conversation in spoken order, exportable and reusable.

Imports: anyio, numpy, ``errors``, ``events``, ``audio``, ``cost``, ``protocol``,
``connection``, ``factory``, ``reconnect``. Never ``testing``, never a concrete transport.
"""

from __future__ import annotations

from realtime_kit.conversation._calls import (
    ToolCallRequest,
    ToolContext,
    ToolOutcome,
    ToolResult,
)
from realtime_kit.conversation._conversation import Conversation
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
from realtime_kit.conversation._runner import Approver
from realtime_kit.conversation._scheduler import ResponseRequest, ResponseScheduler
from realtime_kit.conversation._streams import ResponseHandle
from realtime_kit.conversation._tools import (
    ApprovalPolicy,
    InterruptPolicy,
    Tool,
    ToolOptions,
    tool,
)
from realtime_kit.conversation._toolset import CallHook, FillerHook, ResultHook, ToolSet

__all__ = [
    "AppPlayback",
    "ApprovalPolicy",
    "Approver",
    "AssistantAudio",
    "AssistantTranscript",
    "AssistantTranscriptDelta",
    "AssistantTurn",
    "AudioFormat",
    "BudgetAlert",
    "CallHook",
    "Conversation",
    "ConversationClosed",
    "ConversationError",
    "ConversationEvent",
    "ConversationLog",
    "DtmfReceived",
    "FillerHook",
    "InterruptPolicy",
    "Interrupted",
    "LogEntry",
    "MessageEntry",
    "PlaybackSink",
    "RawServerEvent",
    "Reconnected",
    "ResponseDone",
    "ResponseHandle",
    "ResponseRequest",
    "ResponseScheduler",
    "ResponseStarted",
    "ResponseSummary",
    "ResultHook",
    "SessionChanged",
    "Tool",
    "ToolCallEntry",
    "ToolCallFinished",
    "ToolCallRequest",
    "ToolCallStarted",
    "ToolContext",
    "ToolOptions",
    "ToolOutcome",
    "ToolResult",
    "ToolSet",
    "TurnDetection",
    "TurnLatency",
    "UserIdle",
    "UserSpeechStarted",
    "UserSpeechStopped",
    "UserTranscript",
    "UserTranscriptDelta",
    "UserTranscriptFailed",
    "UserTurn",
    "tool",
]
