"""The high-level events a :class:`~realtime_kit.Conversation` hands out, as one union.

Every event is a frozen dataclass; ``match`` on the classes (or register handlers with
``conv.on(EventClass)``). Times are seconds on the conversation's monotonic clock; audio
positions are milliseconds of audio. The raw server event that caused a high-level one is kept
on ``raw`` where there is exactly one.

Imports: the standard library, ``audio``, ``cost``, ``events``, ``protocol`` and ``reconnect``
(for the types carried), and ``conversation._tools``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, TypeAlias

from realtime_kit.audio import PCMFrame
from realtime_kit.client import ConnectionRestored
from realtime_kit.cost import BudgetEvent
from realtime_kit.events import ErrorEvent, ServerEvent
from realtime_kit.protocol import LostState

__all__ = [
    "AssistantAudio",
    "AssistantTranscript",
    "AssistantTranscriptDelta",
    "BudgetAlert",
    "ConversationClosed",
    "ConversationError",
    "ConversationEvent",
    "DtmfReceived",
    "Interrupted",
    "RawServerEvent",
    "Reconnected",
    "ResponseDone",
    "ResponseStarted",
    "SessionChanged",
    "ToolCallFinished",
    "ToolCallStarted",
    "TurnLatency",
    "UserIdle",
    "UserSpeechStarted",
    "UserSpeechStopped",
    "UserTranscript",
    "UserTranscriptDelta",
    "UserTranscriptFailed",
]


@dataclass(frozen=True, slots=True)
class UserSpeechStarted:
    """The server's VAD heard the user start speaking (``audio_start_ms`` into the input)."""

    item_id: str
    audio_start_ms: int
    at: float
    barge_in: bool
    """True when this speech interrupted assistant audio (an :class:`Interrupted` follows)."""


@dataclass(frozen=True, slots=True)
class UserSpeechStopped:
    """The server's VAD heard the user stop speaking."""

    item_id: str
    audio_end_ms: int
    at: float


@dataclass(frozen=True, slots=True)
class UserTranscriptDelta:
    """A growing partial transcript of a user turn: ``text`` is everything so far."""

    item_id: str
    delta: str
    text: str
    position: int
    """Where the turn stands in spoken order (0-based index in the conversation log)."""


@dataclass(frozen=True, slots=True)
class UserTranscript:
    """The final transcript of a user turn, in spoken order (before the reply it caused)."""

    item_id: str
    text: str
    position: int
    late: bool = False
    """True when it arrived after assistant output of a later turn had begun."""


@dataclass(frozen=True, slots=True)
class UserTranscriptFailed:
    """The server could not transcribe a user turn (the turn itself still counted)."""

    item_id: str
    message: str
    code: str | None
    position: int


@dataclass(frozen=True, slots=True)
class ResponseStarted:
    """A response began (``response.created``); ``request_id`` is set for our own requests."""

    response_id: str
    out_of_band: bool
    request_id: str | None
    metadata: dict[str, str] | None
    at: float


@dataclass(frozen=True, slots=True)
class AssistantAudio:
    """A chunk of assistant audio at the app's output rate, as handed to playback."""

    item_id: str
    response_id: str
    content_index: int
    frame: PCMFrame
    out_of_band: bool = False


@dataclass(frozen=True, slots=True)
class AssistantTranscriptDelta:
    """A piece of the assistant's words (audio transcript or text output) as generated."""

    item_id: str
    response_id: str
    delta: str
    text: str
    out_of_band: bool = False


@dataclass(frozen=True, slots=True)
class AssistantTranscript:
    """The assistant's final words for one message item, as the model generated them.

    If the listener later interrupts this item, an :class:`Interrupted` event carries the words
    actually heard, and the conversation log keeps those.
    """

    item_id: str
    response_id: str
    text: str
    out_of_band: bool = False


@dataclass(frozen=True, slots=True)
class ToolCallStarted:
    """The model called a tool; it is running (or waiting for approval)."""

    call_id: str
    name: str
    arguments: str
    item_id: str
    response_id: str
    at: float


@dataclass(frozen=True, slots=True)
class ToolCallFinished:
    """A tool call ended; ``status`` says how, ``output`` is what the model receives."""

    call_id: str
    name: str
    status: str
    output: str
    duration_s: float
    error: BaseException | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Interrupted:
    """The user barged in: assistant playback was cut where the listener had heard it.

    Attributes:
        item_id: the assistant item being heard (``None`` when nothing had started playing).
        heard_ms: milliseconds of it the listener heard (what ``audio_end_ms`` said).
        received_ms: milliseconds of it that had arrived.
        heard_text: its words up to the heard position (cut by time share when the transcript
            has no word timings: ``heard_ms / received_ms`` of the words so far).
        estimated: the heard position is a wall-clock assumption, not a playback report.
        truncated: a ``conversation.item.truncate`` was sent for the item.
        deleted_item_ids: later items of the response nobody heard (deleted on the server).
        source: what triggered it: server VAD, the app (``interrupt()``), or the server
            (WebRTC/SIP playback cut on the server side).
    """

    item_id: str | None
    response_id: str | None
    heard_ms: int
    received_ms: int
    heard_text: str
    estimated: bool
    truncated: bool
    deleted_item_ids: tuple[str, ...]
    source: Literal["vad", "app", "server"]
    at: float


@dataclass(frozen=True, slots=True)
class TurnLatency:
    """How quickly the assistant answered one user turn (seconds; None when not measured).

    ``to_first_audio``: the user stopped speaking → first assistant audio received.
    ``to_first_heard``: … → first assistant audio handed to playback.
    """

    user_item_id: str | None
    response_id: str
    to_first_audio: float | None
    to_first_heard: float | None
    tool_time: float


@dataclass(frozen=True, slots=True)
class ResponseDone:
    """A response finished, with its usage and what it cost."""

    response_id: str
    status: str
    reason: str | None
    out_of_band: bool
    request_id: str | None
    usage: dict[str, Any] | None
    cost_usd: Decimal | None
    latency: TurnLatency | None
    error: dict[str, Any] | None
    raw: ServerEvent = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Reconnected:
    """The session was replaced (after a drop, or a planned rollover before the 60-minute cap).

    ``lost`` lists what the new session does not have; the conversation log is unchanged.
    """

    cause: Literal["reconnect", "rollover"]
    restored: ConnectionRestored
    lost: tuple[LostState, ...]
    resumed_tool_calls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SessionChanged:
    """The server confirmed a session config (the first, or after ``conv.update()``)."""

    session: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BudgetAlert:
    """A budget threshold was crossed, and what the conversation did about it."""

    budget: BudgetEvent
    action: Literal["warned", "wrapping_up", "stopped"]


@dataclass(frozen=True, slots=True)
class UserIdle:
    """The user said nothing for the idle timeout (``input_audio_buffer.timeout_triggered``)."""

    count: int
    action: Literal["reprompted", "hung_up", "none"]
    at: float


@dataclass(frozen=True, slots=True)
class DtmfReceived:
    """A keypad press on a phone call (SIP ``input_audio_buffer.dtmf_event_received``)."""

    digit: str
    received_at: float


@dataclass(frozen=True, slots=True)
class ConversationError:
    """A server ``error`` or a local failure that did not end the conversation.

    ``recoverable`` is False only for the error that ends it (then the conversation closes).
    """

    message: str
    code: str | None
    recoverable: bool
    cause: str | None = None
    """The client event type the error answers, when known."""
    raw: ErrorEvent | None = field(default=None, compare=False, repr=False)
    exception: BaseException | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ConversationClosed:
    """The last event: the conversation ended (``error`` set when it ended by failure)."""

    error: BaseException | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class RawServerEvent:
    """Every server event as received, when the app asks for them (``events(raw=True)``)."""

    event: ServerEvent


ConversationEvent: TypeAlias = (
    UserSpeechStarted
    | UserSpeechStopped
    | UserTranscriptDelta
    | UserTranscript
    | UserTranscriptFailed
    | ResponseStarted
    | AssistantAudio
    | AssistantTranscriptDelta
    | AssistantTranscript
    | ToolCallStarted
    | ToolCallFinished
    | Interrupted
    | ResponseDone
    | Reconnected
    | SessionChanged
    | BudgetAlert
    | UserIdle
    | DtmfReceived
    | ConversationError
    | ConversationClosed
    | RawServerEvent
)
"""Everything :meth:`Conversation.events` yields."""
