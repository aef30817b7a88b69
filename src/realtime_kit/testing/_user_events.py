"""What a simulated user keeps track of: its turns, the agent's replies, and the agent's
activity as the conversation's events report it.

:class:`Activity` subscribes plain handlers to a :class:`~realtime_kit.Conversation` (they run
inline in its driver, so they only record and wake a waiter) and answers the questions a
simulated user waits on: is a response, a tool call or a tool follow-up still going; has a
reply to a turn begun; what is missing when a wait times out.

Imports: anyio, the standard library and public ``realtime_kit.conversation``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from realtime_kit.conversation import (
    AssistantAudio,
    AssistantTranscript,
    Conversation,
    ConversationClosed,
    Interrupted,
    Reconnected,
    ResponseDone,
    ResponseStarted,
    SessionChanged,
    ToolCallFinished,
    ToolCallStarted,
    TurnLatency,
    UserSpeechStarted,
    UserSpeechStopped,
)

__all__ = ["Activity", "AgentReply", "Silence", "SpokenTurn"]


@dataclass(frozen=True, slots=True)
class Silence:
    """A pause inside an utterance: ``ms`` of silence is sent (the microphone stays open)."""

    ms: float


@dataclass(slots=True)
class SpokenTurn:
    """One turn the user spoke, and what the conversation made of it (filled in as events come).

    Attributes:
        index: 1-based number of the turn.
        text: the words, when the turn was spoken from text (None for audio and WAV files).
        audio_ms: speech sent, pauses included, trailing silence not.
        barge_in_after_ms: the barge-in trigger the turn was given (None: it did not wait).
        heard_before_ms: agent audio the user had heard since its previous turn when it started
            talking (equal to ``barge_in_after_ms`` when the trigger fired).
        item_ids: the user items the server's VAD made of it (usually one).
        interruptions: the barge-ins its speech caused (heard ms and heard text of the agent).
        response_ids: responses that started after the server ended the turn (its reply, tool
            follow-ups and fillers included), until the next turn began.
        reply: what :meth:`SimulatedUser.wait_for_reply` found, once called.
    """

    index: int
    text: str | None
    audio_ms: float
    barge_in_after_ms: float | None
    heard_before_ms: float
    item_ids: list[str] = field(default_factory=list)
    interruptions: list[Interrupted] = field(default_factory=list)
    response_ids: list[str] = field(default_factory=list)
    reply: AgentReply | None = None
    push_to_talk: bool = False
    _open: set[str] = field(default_factory=set, repr=False)
    _first_stop: int | None = field(default=None, repr=False)
    _stopped_at: int | None = field(default=None, repr=False)
    _heard_mark: float = field(default=0.0, repr=False)
    _frames_mark: int = field(default=0, repr=False)

    @property
    def barged_in(self) -> bool:
        """Whether the turn's speech cut the agent off."""
        return bool(self.interruptions)


@dataclass(frozen=True, slots=True)
class AgentReply:
    """The agent's reply to one turn, as the simulated user heard it.

    Attributes:
        turn: the turn it answers (None: the agent spoke first).
        response_ids: the responses of the reply, in order (tool follow-ups included).
        heard_ms: agent audio the user heard since it stopped talking.
        text: the agent's words the user heard (from the conversation log).
        generated_text: everything the agent generated for those responses.
        tool_calls: the tool calls that finished during the reply.
        latency: the first response with audio: user stopped → first audio (seconds).
        complete: False when the conversation closed before the reply ended.
    """

    turn: int | None
    response_ids: tuple[str, ...]
    heard_ms: float
    text: str
    generated_text: str
    tool_calls: tuple[ToolCallFinished, ...]
    latency: TurnLatency | None
    complete: bool


class Activity:
    """The agent's activity and the user's turns, kept up to date from conversation events."""

    def __init__(self, turns: list[SpokenTurn]) -> None:
        self.turns = turns
        self.closed = False
        self.started: list[tuple[int, str, bool]] = []  # (seq, response id, out of band)
        self.finished: dict[str, ToolCallFinished] = {}  # call id → how it ended
        self.calls: dict[str, str] = {}  # call id → response id
        self.latencies: dict[str, TurnLatency] = {}
        self._waiter: anyio.Event | None = None
        self._seq = 0
        self._active: dict[str, bool] = {}  # running response id → out of band
        self._calls_of: dict[str, list[str]] = {}
        self._done: set[str] = set()
        self._followed: set[str] = set()
        self._followup_due = False

    def subscribe(self, conversation: Conversation) -> list[Callable[[], None]]:
        """Follow ``conversation``; returns the unsubscribe functions."""
        handlers: list[tuple[type[Any], Callable[[Any], None]]] = [
            (UserSpeechStarted, self._on_speech_started),
            (UserSpeechStopped, self._on_speech_stopped),
            (Interrupted, self._on_interrupted),
            (ResponseStarted, self._on_response_started),
            (ResponseDone, self._on_response_done),
            (ToolCallStarted, self._on_tool_started),
            (ToolCallFinished, self._on_tool_finished),
            (AssistantAudio, self._on_progress),
            (AssistantTranscript, self._on_progress),
            (SessionChanged, self._on_progress),
            (Reconnected, self._on_reconnected),
            (ConversationClosed, self._on_closed),
        ]
        return [conversation.on(event_type, handler) for event_type, handler in handlers]

    # -- questions ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """A response, a tool call, or the follow-up to tool outputs is still to finish."""
        running = any(call_id not in self.finished for call_id in self.calls)
        return bool(self._active) or self._followup_due or running

    @property
    def responding(self) -> bool:
        """A response is running."""
        return bool(self._active)

    def answered(self, turn: SpokenTurn | None) -> bool:
        """The server ended ``turn`` and a reply to it began (None: the agent spoke at all)."""
        if turn is None:
            return any(not oob for _, _, oob in self.started)
        if turn._open or turn._stopped_at is None:
            return False
        return any(seq > turn._stopped_at and not oob for seq, _, oob in self.started)

    def missing(self, turn: SpokenTurn | None) -> list[str]:
        """What a wait on ``turn``'s reply is still missing, in words."""
        parts: list[str] = []
        if turn is not None:
            if not turn.item_ids and not turn.push_to_talk:
                parts.append(f"the server's VAD never heard turn {turn.index}")
            elif turn._open or turn._stopped_at is None:
                parts.append(f"turn {turn.index} never ended (more trailing silence?)")
            elif not self.answered(turn):
                parts.append(f"no response started after turn {turn.index}")
        if self._active:
            parts.append(f"responses still running: {', '.join(self._active)}")
        running = [c for c in self.calls if c not in self.finished]
        if running:
            parts.append(f"tool calls still running: {', '.join(running)}")
        if self._followup_due:
            parts.append("the follow-up to the tool outputs never started")
        return parts

    async def wait(self, condition: Callable[[], bool], what: str, limit: float) -> None:
        """Until ``condition()`` holds (checked after every event), or ``TimeoutError``."""
        with anyio.move_on_after(limit) as scope:
            while not condition():
                waiter = self._waiter = anyio.Event()
                if condition():
                    break
                await waiter.wait()
        if scope.cancelled_caught:
            raise TimeoutError(f"waited {limit:g} s for {what}")

    def mark_stopped(self, turn: SpokenTurn) -> None:
        """A push-to-talk turn ends now (its reply can only start after this)."""
        turn._first_stop = turn._stopped_at = self._tick()

    # -- events (plain handlers, run inline in the conversation's driver) --------------------

    def _tick(self) -> int:
        self._seq += 1
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            waiter.set()
        return self._seq

    def _turn_of(self, item_id: str) -> SpokenTurn | None:
        for turn in reversed(self.turns):
            if item_id in turn.item_ids:
                return turn
        return None

    def _on_speech_started(self, event: UserSpeechStarted) -> None:
        turn = self._turn_of(event.item_id) or (self.turns[-1] if self.turns else None)
        if turn is not None and event.item_id not in turn.item_ids:
            turn.item_ids.append(event.item_id)
            turn._open.add(event.item_id)
        self._tick()

    def _on_speech_stopped(self, event: UserSpeechStopped) -> None:
        turn = self._turn_of(event.item_id)
        seq = self._tick()
        if turn is not None:
            turn._open.discard(event.item_id)
            turn._stopped_at = seq
            if turn._first_stop is None:
                turn._first_stop = seq

    def _on_interrupted(self, event: Interrupted) -> None:
        if self.turns:
            self.turns[-1].interruptions.append(event)
        self._tick()

    def _on_response_started(self, event: ResponseStarted) -> None:
        seq = self._tick()
        self._active[event.response_id] = event.out_of_band
        self.started.append((seq, event.response_id, event.out_of_band))
        turn = self.turns[-1] if self.turns else None
        if turn is not None and turn._first_stop is not None:
            turn.response_ids.append(event.response_id)
        if not event.out_of_band:
            self._followup_due = False

    def _on_response_done(self, event: ResponseDone) -> None:
        self._active.pop(event.response_id, None)
        self._done.add(event.response_id)
        if event.latency is not None:
            self.latencies[event.response_id] = event.latency
        self._check_followup(event.response_id, event.out_of_band)
        self._tick()

    def _on_tool_started(self, event: ToolCallStarted) -> None:
        self.calls[event.call_id] = event.response_id
        self._calls_of.setdefault(event.response_id, []).append(event.call_id)
        self._tick()

    def _on_tool_finished(self, event: ToolCallFinished) -> None:
        self.finished[event.call_id] = event
        response_id = self.calls.get(event.call_id)
        if response_id is not None:
            self._check_followup(response_id, False)
        self._tick()

    def _check_followup(self, response_id: str, out_of_band: bool) -> None:
        # The conversation asks for one follow-up once a response is done and all its tool
        # calls have outputs; until that follow-up starts, the reply is not over.
        calls = self._calls_of.get(response_id)
        if out_of_band or not calls or response_id in self._followed:
            return
        if response_id in self._done and all(c in self.finished for c in calls):
            self._followed.add(response_id)
            self._followup_due = True

    def _on_progress(self, event: AssistantAudio | AssistantTranscript | SessionChanged) -> None:
        self._tick()

    def _on_reconnected(self, event: Reconnected) -> None:
        # Responses of the old session never report done; the new session starts clean.
        self._active.clear()
        self._followup_due = False
        self._tick()

    def _on_closed(self, event: ConversationClosed) -> None:
        self.closed = True
        self._tick()
