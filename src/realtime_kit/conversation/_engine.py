"""The conversation engine: server events in; conversation events, client events and audio out.

Sans-I/O and synchronous, so every decision is testable without a socket and a barge-in is
handled within the call that receives ``input_audio_buffer.speech_started``. The driver
(``_conversation``) feeds it every server event with :meth:`ConversationEngine.receive`, then
drains :attr:`events` (to the app), :attr:`outbox` (client events to send, in order),
:attr:`playout` (audio for the player task), :attr:`tool_starts` and :attr:`tool_cancels`.

What it decides:

* **Spoken order**: user turns are placed by the server's item chain; a user transcript that
  arrives late still lands before the reply it caused (in the log always; in the event stream
  the assistant's words are held back while the preceding user transcript is pending, up to
  ``transcript_hold_s``).
* **Barge-in** (:meth:`ConversationEngine.barge_in`): the sink is flushed; the item being heard
  is truncated where the listener heard it (clamped to audio received; never when it was fully
  heard); items nobody heard are deleted once their response is done; the active response is
  cancelled unless the server does it itself; the transcript is cut to the heard words.
* **Responses** go through the :class:`~realtime_kit.conversation.ResponseScheduler`; tool
  calls start as soon as their arguments are complete, their outputs are sent as each finishes,
  and one follow-up response is requested when all outputs of a response are in.

Imports: the standard library, pybase64, ``audio``, ``events``, ``protocol``, ``reconnect`` and
sibling modules.
"""

from __future__ import annotations

import logging
from typing import Any

import pybase64

from realtime_kit.conversation._bargein import BargeIn
from realtime_kit.conversation._events import (
    ConversationError,
    DtmfReceived,
    ResponseDone,
    ResponseStarted,
    SessionChanged,
    ToolCallStarted,
    TurnLatency,
    UserIdle,
    UserSpeechStarted,
    UserSpeechStopped,
)
from realtime_kit.conversation._log import (
    AssistantTurn,
    MessageEntry,
    ToolCallEntry,
    UserTurn,
)
from realtime_kit.conversation._playout import OutputConverter, PlayOp
from realtime_kit.conversation._scheduler import ResponseRequest
from realtime_kit.conversation._state import (
    EngineSettings,
    ResponseState,
    ToolStart,
)
from realtime_kit.conversation._words import Words
from realtime_kit.events import (
    ClientEvent,
    ConversationItemAddedEvent,
    ConversationItemCreatedEvent,
    ConversationItemCreateEvent,
    ConversationItemDeletedEvent,
    ConversationItemDoneEvent,
    ConversationItemInputAudioTranscriptionCompletedEvent,
    ConversationItemInputAudioTranscriptionDeltaEvent,
    ConversationItemInputAudioTranscriptionFailedEvent,
    ConversationItemRetrievedEvent,
    ConversationItemTruncatedEvent,
    ErrorEvent,
    InputAudioBufferCommittedEvent,
    InputAudioBufferDtmfEventReceivedEvent,
    InputAudioBufferSpeechStartedEvent,
    InputAudioBufferSpeechStoppedEvent,
    InputAudioBufferTimeoutTriggeredEvent,
    OutputAudioBufferClearedEvent,
    OutputAudioBufferStartedEvent,
    OutputAudioBufferStoppedEvent,
    ResponseCreatedEvent,
    ResponseDoneEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseOutputAudioDeltaEvent,
    ResponseOutputAudioDoneEvent,
    ResponseOutputAudioTranscriptDeltaEvent,
    ResponseOutputAudioTranscriptDoneEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputTextDeltaEvent,
    ResponseOutputTextDoneEvent,
    ServerEvent,
    SessionCreatedEvent,
    SessionUpdatedEvent,
)

__all__ = ["ConversationEngine", "EngineSettings", "ToolStart"]


_log = logging.getLogger("realtime_kit.conversation")

# Error codes that are part of normal operation and need no event for the app.
_BENIGN = frozenset({"response_cancel_not_active"})


class ConversationEngine(BargeIn, Words):
    """See the module docstring.

    Args:
        settings: session and app facts.
        sink: the playback sink (its clock says what was heard; flushed on barge-in).
        scheduler: the response scheduler (the engine feeds it what the server says).
        log: the conversation log to write.
        now: monotonic seconds.
    """

    # -- entry points --------------------------------------------------------------------------

    def receive(self, event: ServerEvent) -> None:
        """Take one server event (already applied to the connection's protocol core)."""
        kind = event.type
        if kind == "response.output_audio.delta":
            self._on_audio(event)  # type: ignore[arg-type]
            return
        match event:
            case SessionCreatedEvent() | SessionUpdatedEvent():
                self._on_session(event.session.model_dump(mode="json", exclude_unset=True))
            case InputAudioBufferSpeechStartedEvent():
                self._on_speech_started(event)
            case InputAudioBufferSpeechStoppedEvent():
                self.scheduler.user_speaking(False)
                self._last_stop = (event.item_id, self.now())
                self.log_user(event.item_id).audio_end_ms = event.audio_end_ms
                self.log_user(event.item_id).stopped_at = self.now()
                self.events.append(UserSpeechStopped(event.item_id, event.audio_end_ms, self.now()))
            case InputAudioBufferCommittedEvent():
                self._on_committed(event)
            case InputAudioBufferTimeoutTriggeredEvent():
                self._idle_count += 1
                self.events.append(UserIdle(self._idle_count, "none", self.now()))
            case (
                ConversationItemAddedEvent()
                | ConversationItemCreatedEvent()
                | ConversationItemDoneEvent()
            ):
                self._on_item(event)
            case ConversationItemInputAudioTranscriptionDeltaEvent():
                self._on_user_delta(event)
            case ConversationItemInputAudioTranscriptionCompletedEvent():
                self._on_user_final(event.item_id, event.transcript)
            case ConversationItemInputAudioTranscriptionFailedEvent():
                self._on_user_failed(event)
            case ResponseCreatedEvent():
                self._on_response_created(event)
            case ResponseOutputItemAddedEvent() | ResponseOutputItemDoneEvent():
                self._on_output_item(event)
            case ResponseOutputAudioDoneEvent():
                self._on_audio_done(event.item_id, event.content_index)
            case ResponseOutputAudioTranscriptDeltaEvent() | ResponseOutputTextDeltaEvent():
                self._on_assistant_delta(event.item_id, event.response_id, event.delta)
            case ResponseOutputAudioTranscriptDoneEvent():
                self._on_assistant_text_done(event.item_id, event.response_id, event.transcript)
            case ResponseOutputTextDoneEvent():
                self._on_assistant_text_done(event.item_id, event.response_id, event.text)
            case ResponseFunctionCallArgumentsDoneEvent():
                self._start_call(
                    event.call_id, event.name, event.arguments, event.item_id, event.response_id
                )
            case ResponseDoneEvent():
                self._on_response_done(event)
            case ConversationItemTruncatedEvent():
                self._on_truncated(event)
            case ConversationItemDeletedEvent():
                entry = self.log.get(event.item_id)
                if isinstance(entry, AssistantTurn):
                    entry.deleted = True
            case OutputAudioBufferStartedEvent():
                self._playing_response = event.response_id
            case OutputAudioBufferStoppedEvent():
                if self._playing_response == event.response_id:
                    self._playing_response = None
            case OutputAudioBufferClearedEvent():
                if self.settings.server_playback:
                    self._server_cleared(event.response_id)
            case ConversationItemRetrievedEvent():
                item = event.item.model_dump(mode="json", exclude_unset=True)
                self._on_retrieved(str(item.get("id", "")), item.get("content") or [])
            case InputAudioBufferDtmfEventReceivedEvent():
                self.events.append(DtmfReceived(event.event, float(event.received_at)))
            case ErrorEvent():
                self._on_error(event)
            case _:
                return

    def heard_started(self, item_id: str) -> None:
        """The player handed the first audio of ``item_id`` to the sink (latency)."""
        item = self._items.get(item_id)
        response = self._responses.get(item.response_id) if item is not None else None
        if response is not None and response.first_heard_at is None:
            response.first_heard_at = self.now()

    # -- session -------------------------------------------------------------------------------

    def _on_session(self, session: dict[str, Any]) -> None:
        merged = dict(self.session or {})
        merged.update(session)
        self.session = merged
        audio_in = (merged.get("audio") or {}).get("input") or {}
        turn = audio_in.get("turn_detection")
        if isinstance(turn, dict):
            self.barge_in_enabled = turn.get("interrupt_response", True) is not False
            self.server_creates_responses = turn.get("create_response", True) is not False
        else:
            # Push-to-talk: the app decides; interrupt() and start_turn() barge in.
            self.barge_in_enabled = True
            self.server_creates_responses = False
        self._transcription_on = audio_in.get("transcription") is not None
        self.events.append(SessionChanged(merged))

    # -- the user ------------------------------------------------------------------------------

    def _on_speech_started(self, event: InputAudioBufferSpeechStartedEvent) -> None:
        self.scheduler.user_speaking(True)
        self._speech_item = event.item_id
        self._idle_count = 0  # idle timeouts count in a row: the caller spoke
        turn = self.log_user(event.item_id)
        turn.audio_start_ms = event.audio_start_ms
        turn.started_at = self.now()
        interrupted = False
        if self.barge_in_enabled and not self.settings.server_playback:
            interrupted = self.barge_in("vad", speech_item=event.item_id)
        self.events.append(
            UserSpeechStarted(event.item_id, event.audio_start_ms, self.now(), interrupted)
        )

    def _on_committed(self, event: InputAudioBufferCommittedEvent) -> None:
        previous = event.previous_item_id
        explicit = "previous_item_id" in event.model_fields_set
        entry = self.log.get(event.item_id)
        if entry is None:
            self.log.place(UserTurn(event.item_id), previous, explicit=explicit)
        self._user_items.append(event.item_id)
        if self._transcription_on and event.item_id not in self._transcripts:
            self._pending_transcripts.add(event.item_id)
        if self.server_creates_responses and self._speech_item is not None:
            self.scheduler.expect_server_response(self.now())
        self.scheduler.user_speaking(False)
        self._speech_item = None

    # -- items ---------------------------------------------------------------------------------

    def _on_item(
        self,
        event: ConversationItemAddedEvent
        | ConversationItemCreatedEvent
        | ConversationItemDoneEvent,
    ) -> None:
        item = event.item.model_dump(mode="json", exclude_unset=True)
        item_id = item.get("id")
        if not isinstance(item_id, str):
            return
        previous = event.previous_item_id
        explicit = "previous_item_id" in event.model_fields_set
        kind = item.get("type")
        role = item.get("role")
        if kind == "message" and role == "user":
            content = item.get("content") or []
            spoken = any(isinstance(p, dict) and p.get("type") == "input_audio" for p in content)
            if self.log.get(item_id) is None:
                text = _text_of(content)
                self.log.place(
                    UserTurn(item_id, text=text, final=not spoken, spoken=spoken),
                    previous,
                    explicit=explicit,
                )
        elif kind == "message" and role == "assistant":
            if self.log.get(item_id) is None:
                response_id = self._items[item_id].response_id if item_id in self._items else None
                out_of_band = self._items[item_id].out_of_band if item_id in self._items else False
                text = _text_of(item.get("content") or [])
                self.log.place(
                    AssistantTurn(
                        item_id,
                        response_id,
                        text=text,
                        generated_text=text,
                        out_of_band=out_of_band,
                    ),
                    previous,
                    explicit=explicit,
                )
        elif kind == "message":
            if self.log.get(item_id) is None:
                self.log.place(
                    MessageEntry(item_id, str(role), _text_of(item.get("content") or [])),
                    previous,
                    explicit=explicit,
                )
        elif kind == "function_call":
            if self.log.get(item_id) is None:
                self.log.place(
                    ToolCallEntry(
                        item_id,
                        str(item.get("call_id", "")),
                        str(item.get("name", "")),
                        str(item.get("arguments") or ""),
                    ),
                    previous,
                    explicit=explicit,
                )
        elif kind == "function_call_output":
            call_id = str(item.get("call_id", ""))
            entry = self.log.link_output(item_id, call_id, previous, explicit=explicit)
            if entry is not None and entry.output is None:
                entry.output = str(item.get("output", ""))

    def _on_output_item(
        self, event: ResponseOutputItemAddedEvent | ResponseOutputItemDoneEvent
    ) -> None:
        item = event.item.model_dump(mode="json", exclude_unset=True)
        item_id = item.get("id")
        if not isinstance(item_id, str):
            return
        response = self._responses.get(event.response_id)
        out_of_band = response.out_of_band if response is not None else False
        kind = item.get("type")
        if kind == "message":
            self._item(item_id, event.response_id)
            entry = self.log.get(item_id)
            if entry is None:
                entry = AssistantTurn(item_id, event.response_id, out_of_band=out_of_band)
                if out_of_band:
                    self.log.place(entry, None)
            if isinstance(entry, AssistantTurn):
                entry.response_id = event.response_id
            if (
                response is not None
                and item_id not in self.log.response(event.response_id).item_ids
            ):
                self.log.response(event.response_id).item_ids.append(item_id)
        elif kind == "function_call" and isinstance(event, ResponseOutputItemDoneEvent):
            call_id = item.get("call_id")
            if isinstance(call_id, str) and call_id not in self._calls:
                self._start_call(
                    call_id,
                    str(item.get("name", "")),
                    str(item.get("arguments") or ""),
                    item_id,
                    event.response_id,
                )

    # -- assistant audio -----------------------------------------------------------------------

    def _on_audio(self, event: ResponseOutputAudioDeltaEvent) -> None:
        item = self._items.get(event.item_id) or self._item(event.item_id, event.response_id)
        data = pybase64.b64decode(event.delta)
        item.wire_bytes += len(data)
        item.audio_index = event.content_index
        response = self._responses.get(event.response_id)
        if response is not None and response.first_audio_at is None:
            response.first_audio_at = self.now()
        if item.dropped or not self.settings.audio_output or self.settings.server_playback:
            return
        if item.converter is None:
            item.converter = OutputConverter(self.settings.wire_format, self.settings.output_rate)
        frame = item.converter.convert(data)
        if frame.num_samples:
            self.playout.append(PlayOp("audio", item.item_id, event.content_index, frame))

    def _on_audio_done(self, item_id: str, content_index: int) -> None:
        item = self._items.get(item_id)
        if item is None:
            return
        item.audio_done = True
        entry = self.log.get(item_id)
        if isinstance(entry, AssistantTurn):
            entry.audio_ms = self._wire_ms(item)
        if item.dropped or not self.settings.audio_output or self.settings.server_playback:
            return
        if item.converter is not None:
            tail = item.converter.finish()
            if tail is not None:
                self.playout.append(PlayOp("audio", item_id, content_index, tail))
        self.playout.append(PlayOp("end", item_id, content_index))

    # -- responses -----------------------------------------------------------------------------

    def _on_response_created(self, event: ResponseCreatedEvent) -> None:
        request = self.scheduler.created(event)
        response = event.response
        response_id = response.id or ""
        out_of_band = (
            "conversation_id" in response.model_fields_set and response.conversation_id is None
        )
        user_item = self._last_stop[0] if self._last_stop is not None and not out_of_band else None
        source = self._followups.pop(request.request_id, None) if request is not None else None
        if source is not None and source in self._responses:
            user_item = self._responses[source].user_item_id
        record = self._responses[response_id] = ResponseState(
            response_id, out_of_band, request, user_item, self.now()
        )
        record.tool_source = source
        summary = self.log.response(response_id)
        summary.out_of_band = out_of_band
        summary.user_item_id = user_item
        if source is not None:
            summary.tool_time_s = sum(
                (e.duration_s or 0.0)
                for call_id in self._responses[source].calls
                if (e := self.log.tool_call(call_id)) is not None
            )
        self.events.append(
            ResponseStarted(
                response_id,
                out_of_band,
                request.request_id if request is not None else None,
                dict(response.metadata) if response.metadata else None,
                self.now(),
            )
        )
        if request is not None:
            cancel = self.scheduler.cancel_pending(request)
            if cancel is not None:
                self.outbox.append(cancel)

    def _on_response_done(self, event: ResponseDoneEvent) -> None:
        response = event.response
        response_id = response.id or ""
        request = self.scheduler.done(event)
        record = self._responses.get(response_id)
        if record is None:
            record = self._responses[response_id] = ResponseState(
                response_id, False, request, None, self.now()
            )
        record.done = True
        status = response.status or "completed"
        details = response.status_details
        reason = details.reason if details is not None else None
        error = (
            details.error.model_dump(mode="json")
            if details is not None and details.error is not None
            else None
        )
        usage = (
            response.usage.model_dump(mode="json", exclude_none=True)
            if response.usage is not None
            else None
        )
        summary = self.log.response(response_id)
        summary.status = status
        summary.reason = reason
        summary.usage = usage
        latency = self._latency(record)
        if latency is not None:
            summary.to_first_audio_s = latency.to_first_audio
            summary.to_first_heard_s = latency.to_first_heard
        for item_id in record.deletes:
            self._delete(item_id)
        record.deletes.clear()
        if self.settings.server_playback and record.interrupted:
            self.ask_heard_of(response_id)
        self.events.append(
            ResponseDone(
                response_id,
                status,
                reason,
                record.out_of_band,
                request.request_id if request is not None else None,
                usage,
                None,
                latency,
                error,
                event,
            )
        )
        self._maybe_follow_up(record)

    def _latency(self, record: ResponseState) -> TurnLatency | None:
        if record.out_of_band:
            return None
        # The stop time of the turn this response answers, from its log entry: by the time a
        # reply that the user talked over is done, the user has stopped again (a later turn).
        entry = self.log.get(record.user_item_id) if record.user_item_id is not None else None
        stopped = entry.stopped_at if isinstance(entry, UserTurn) else None
        source = self._responses.get(record.tool_source) if record.tool_source else None
        tool_time = sum(
            (e.duration_s or 0.0)
            for call_id in (source.calls if source is not None else ())
            if (e := self.log.tool_call(call_id)) is not None
        )
        return TurnLatency(
            record.user_item_id,
            record.response_id,
            (record.first_audio_at - stopped)
            if stopped is not None and record.first_audio_at is not None
            else None,
            (record.first_heard_at - stopped)
            if stopped is not None and record.first_heard_at is not None
            else None,
            tool_time,
        )

    # -- tools ---------------------------------------------------------------------------------

    def _start_call(
        self, call_id: str, name: str, arguments: str, item_id: str, response_id: str
    ) -> None:
        if call_id in self._calls:
            return
        start = ToolStart(call_id, name, arguments, item_id, response_id)
        self._calls[call_id] = start
        entry = self.log.get(item_id)
        if not isinstance(entry, ToolCallEntry):
            entry = self.log.place(ToolCallEntry(item_id, call_id, name, arguments), None)
        assert isinstance(entry, ToolCallEntry)
        entry.arguments = arguments
        entry.response_id = response_id
        entry.status = "running"
        entry.started_at = self.now()
        record = self._responses.get(response_id)
        if record is not None:
            record.calls.append(call_id)
        self.tool_starts.append(start)
        self.events.append(
            ToolCallStarted(call_id, name, arguments, item_id, response_id, self.now())
        )

    def tool_finished(self, call_id: str, *, status: str, output: str) -> ClientEvent | None:
        """A tool call ended: log it and return the ``function_call_output`` item to send."""
        start = self._calls.get(call_id)
        entry = self.log.tool_call(call_id)
        if entry is not None:
            entry.status = status
            entry.output = output
            entry.finished_at = self.now()
        self._finished_calls.add(call_id)
        if start is None:
            return None
        item = {"type": "function_call_output", "call_id": call_id, "output": output}
        event = ConversationItemCreateEvent.model_validate(
            {"type": "conversation.item.create", "item": item}
        )
        record = self._responses.get(start.response_id)
        if record is not None:
            self._maybe_follow_up(record)
        return event

    def _maybe_follow_up(self, record: ResponseState) -> None:
        if not record.done or not record.calls or record.out_of_band or record.followed_up:
            return
        if any(call_id not in self._finished_calls for call_id in record.calls):
            return
        record.followed_up = True
        request = self.scheduler.request(kind="tool_followup", now=self.now())
        self._followups[request.request_id] = record.response_id

    def call(self, call_id: str) -> ToolStart | None:
        """A tool call by id."""
        return self._calls.get(call_id)

    def calls_of(self, response_id: str) -> list[str]:
        """Tool calls started by a response and still running."""
        record = self._responses.get(response_id)
        if record is None:
            return []
        return [c for c in record.calls if c not in self._finished_calls]

    # -- errors --------------------------------------------------------------------------------

    def _on_error(
        self, event: ErrorEvent, cause_type: str | None = None, cause_event_id: str | None = None
    ) -> None:
        error = event.error
        if error.code in _BENIGN:
            _log.debug("benign server error: %s", error.code)
            return
        if cause_type == "response.create" and cause_event_id is not None:
            req = self.scheduler.refused(cause_event_id, error.code, error.message)
            if req is not None and req.state == "queued":
                _log.info(
                    "response request %s raced an active response; queued again", req.request_id
                )
                return
        self.events.append(ConversationError(error.message, error.code, True, cause_type, event))

    def on_error_with_cause(
        self, event: ErrorEvent, cause_type: str | None, cause_event_id: str | None
    ) -> None:
        """An ``error`` whose cause (the client event it answers) the connection knows."""
        self._on_error(event, cause_type, cause_event_id)

    # -- reconnects ----------------------------------------------------------------------------

    def session_replaced(self) -> tuple[list[ResponseRequest], list[str]]:
        """A reconnect or rollover: drop per-session state; return lost requests and the tool
        calls whose outputs must still reach the new session."""
        lost = self.scheduler.session_replaced()
        positions = self.sink.flush() if self.sink is not None else []
        del positions
        self.playout.clear()
        self.epoch += 1
        for record in self._responses.values():
            if not record.done:
                record.done = True
                record.interrupted = True
        pending = [c for c in self._calls if c not in self._finished_calls]
        self._speech_item = None
        self._handled_speech = None
        self._pending_transcripts.clear()
        self._release_held(force=True)
        return lost, pending


def _text_of(content: list[Any]) -> str:
    parts: list[str] = []
    for part in content:
        if not isinstance(part, dict):
            continue
        text = part.get("text")
        if text is None:
            text = part.get("transcript")
        if isinstance(text, str):
            parts.append(text)
    return "".join(parts)
