"""The conversation engine's state: settings, what it knows of items and responses, and the
state every part of the engine shares (the base of its parts: ``_words``, ``_bargein``,
``_engine``).

Imports: the standard library, ``audio`` (types), ``events``, and sibling modules.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from realtime_kit.conversation._events import ConversationEvent
from realtime_kit.conversation._log import ConversationLog, UserTurn
from realtime_kit.conversation._playout import OutputConverter, PlaybackSink, PlayOp
from realtime_kit.conversation._scheduler import ResponseRequest, ResponseScheduler
from realtime_kit.events import ClientEvent

__all__ = ["EngineSettings", "EngineState", "ItemState", "ResponseState", "ToolStart"]


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """What the engine needs to know about the session and the app.

    Attributes:
        wire_format: ``pcm16``, ``pcmu`` or ``pcma``.
        output_rate: the app's output sample rate.
        audio_output: decode and play assistant audio (False: transcripts only).
        server_playback: the server plays the audio and truncates on barge-in itself
            (WebRTC, SIP); the engine then never truncates or deletes.
        transcript_hold_s: longest wait for a late user transcript before the assistant's words
            are released out of order (the log is in order regardless).
    """

    wire_format: str = "pcm16"
    output_rate: int = 24000
    audio_output: bool = True
    server_playback: bool = False
    transcript_hold_s: float = 2.0


@dataclass(frozen=True, slots=True)
class ToolStart:
    """A function call whose arguments are complete: the driver runs it."""

    call_id: str
    name: str
    arguments: str
    item_id: str
    response_id: str


@dataclass(slots=True)
class ItemState:
    """An assistant message item of some response, as far as playback is concerned."""

    item_id: str
    response_id: str
    out_of_band: bool
    audio_index: int = 0
    wire_bytes: int = 0
    audio_done: bool = False
    text: str = ""
    text_done: bool = False
    converter: OutputConverter | None = None
    dropped: bool = False  # its response was interrupted: audio no longer played


@dataclass(slots=True)
class ResponseState:
    """A response, as far as latency, interruption, tool calls and deletions are concerned."""

    response_id: str
    out_of_band: bool
    request: ResponseRequest | None
    user_item_id: str | None
    started_at: float
    first_audio_at: float | None = None
    first_heard_at: float | None = None
    interrupted: bool = False
    done: bool = False
    followed_up: bool = False
    tool_source: str | None = None  # the response whose tool outputs this one answers
    calls: list[str] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)


class EngineState:
    """State shared by the parts of :class:`~realtime_kit.conversation._engine.ConversationEngine`.

    Args:
        settings: session and app facts.
        sink: the playback sink (its clock says what was heard; flushed on barge-in).
        scheduler: the response scheduler (the engine feeds it what the server says).
        log: the conversation log to write.
        now: monotonic seconds.
    """

    def __init__(
        self,
        settings: EngineSettings,
        *,
        sink: PlaybackSink | None,
        scheduler: ResponseScheduler,
        log: ConversationLog,
        now: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.sink = sink
        self.scheduler = scheduler
        self.log = log
        self.now = now
        self.events: list[ConversationEvent] = []
        self.outbox: list[ClientEvent] = []
        self.playout: deque[PlayOp] = deque()
        self.tool_starts: list[ToolStart] = []
        self.tool_cancels: list[tuple[str, str]] = []  # (call_id, tool name)
        self.epoch = 0  # bumped by every flush, so the player can spot a stale frame
        self.session: dict[str, Any] | None = None
        self.barge_in_enabled = True
        self.server_creates_responses = True
        self._items: dict[str, ItemState] = {}
        self._responses: dict[str, ResponseState] = {}
        self._user_items: list[str] = []  # user audio items in commit order
        self._pending_transcripts: set[str] = set()
        self._transcripts: dict[str, str] = {}
        self._held: list[tuple[float, ConversationEvent]] = []
        self._held_for: set[str] = set()
        self._speech_item: str | None = None
        self._handled_speech: str | None = None
        self._last_stop: tuple[str, float] | None = None
        self._idle_count = 0
        self._calls: dict[str, ToolStart] = {}
        self._finished_calls: set[str] = set()
        self._transcription_on = False
        # request id → the response whose tool outputs it answers
        self._followups: dict[str, str] = {}
        self._playing_response: str | None = None  # the server is playing it (WebRTC, SIP)
        self._asked: set[str] = set()  # items retrieved for their heard words

    def response_of(self, item_id: str) -> str:
        """The response an assistant item belongs to (``""`` when unknown)."""
        item = self._items.get(item_id)
        return item.response_id if item is not None else ""

    def log_user(self, item_id: str) -> UserTurn:
        """The log entry of a user audio turn (created, placed at the end, when first seen)."""
        entry = self.log.get(item_id)
        if isinstance(entry, UserTurn):
            return entry
        return self.log.place(UserTurn(item_id), None)  # type: ignore[return-value]

    def _item(self, item_id: str, response_id: str) -> ItemState:
        item = self._items.get(item_id)
        if item is None:
            response = self._responses.get(response_id)
            item = ItemState(
                item_id, response_id, response.out_of_band if response is not None else False
            )
            if response is not None and response.interrupted:
                item.dropped = True
                if not item.out_of_band and not self.settings.server_playback:
                    response.deletes.append(item_id)
            self._items[item_id] = item
        return item

    def _wire_ms(self, item: ItemState) -> int:
        per_ms = 48 if self.settings.wire_format == "pcm16" else 8
        return item.wire_bytes // per_ms
