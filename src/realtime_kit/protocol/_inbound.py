"""What receiving a server event changes in the protocol core.

:func:`apply` updates a :class:`~realtime_kit.protocol._state.SessionState` from one decoded
server event: the session config, the conversation items and their order, each response's
lifecycle, the input buffer, the assistant audio received and the transcripts. An event the
state cannot take is recorded as the server's inconsistency. These functions are
:class:`~realtime_kit.protocol.RealtimeProtocol`'s own helpers, kept apart to keep the core
readable.

Imports: the standard library, :mod:`realtime_kit.events` and ``protocol`` siblings (``_state``,
``_tables``, ``fatal``, ``records``, ``transcripts``).
"""

from __future__ import annotations

import json
from typing import Final

from realtime_kit.events import (
    ConversationItemAddedEvent,
    ConversationItemCreatedEvent,
    ConversationItemDeletedEvent,
    ConversationItemDoneEvent,
    ConversationItemInputAudioTranscriptionCompletedEvent,
    ConversationItemInputAudioTranscriptionDeltaEvent,
    ConversationItemRetrievedEvent,
    ConversationItemTruncatedEvent,
    ErrorEvent,
    InputAudioBufferCommittedEvent,
    InputAudioBufferSpeechStartedEvent,
    InputAudioBufferSpeechStoppedEvent,
    ResponseCreatedEvent,
    ResponseDoneEvent,
    ResponseOutputAudioDeltaEvent,
    ResponseOutputAudioTranscriptDoneEvent,
    ResponseOutputTextDoneEvent,
    ServerEvent,
    SessionClosedEvent,
    SessionCreatedEvent,
    SessionUpdatedEvent,
)
from realtime_kit.protocol._state import SessionState
from realtime_kit.protocol._tables import OUTPUT_EVENTS, bytes_per_ms, next_response_state
from realtime_kit.protocol.fatal import fatal_error
from realtime_kit.protocol.records import ItemRecord, ResponseRecord, b64_decoded_size
from realtime_kit.protocol.transcripts import cut_transcript

__all__ = ["apply"]

# The event types ``handle`` acts on besides output events: checking a string first spares the
# others a run of class patterns (each a pydantic ABCMeta isinstance, ~0.15 µs when it misses).
_STATE_EVENT_TYPES: Final = frozenset(
    cls.model_fields["type"].default
    for cls in (
        SessionCreatedEvent,
        SessionUpdatedEvent,
        ConversationItemAddedEvent,
        ConversationItemCreatedEvent,
        ConversationItemDoneEvent,
        ConversationItemRetrievedEvent,
        ConversationItemDeletedEvent,
        ConversationItemTruncatedEvent,
        ConversationItemInputAudioTranscriptionCompletedEvent,
        ConversationItemInputAudioTranscriptionDeltaEvent,
        InputAudioBufferCommittedEvent,
        # Not input_audio_buffer.cleared: the count is reset when the clear is *sent*; audio
        # appended before the acknowledgement arrives is already in the server's new buffer.
        InputAudioBufferSpeechStartedEvent,
        InputAudioBufferSpeechStoppedEvent,
        ResponseCreatedEvent,
        ResponseDoneEvent,
        ErrorEvent,
        SessionClosedEvent,
    )
)

# The lowest PCM rate the core can count milliseconds in (1 byte per ms); the API uses 24,000.
_MIN_RATE: Final = 1000


def apply(state: SessionState, event: ServerEvent) -> None:
    kind = event.type
    if kind == "response.output_audio.delta" and state._streaming is not None:
        streaming = state._streaming
        if (
            event.item_id == streaming[0]  # type: ignore[union-attr]
            and event.response_id == streaming[1]  # type: ignore[union-attr]
        ):
            # The next delta of the item already streaming (tens a second): only the audio
            # count moves; state, item order and response bookkeeping were done on its first.
            count_audio(state, streaming[2], event)  # type: ignore[arg-type]
            return
    state._streaming = None
    if kind in OUTPUT_EVENTS:
        on_output(state, event)
        return
    if kind not in _STATE_EVENT_TYPES:
        return  # most events (transcript deltas, rate limits, …) change nothing here
    match event:
        case SessionCreatedEvent() | SessionUpdatedEvent():
            on_session(state, event)
        case ConversationItemAddedEvent() | ConversationItemCreatedEvent():
            on_item_added(state, event)
        case ConversationItemDoneEvent() | ConversationItemRetrievedEvent():
            record = state._upsert(event.item.model_dump(mode="json", exclude_unset=True))
            record.done = record.done or isinstance(event, ConversationItemDoneEvent)
            if record.truncated_ms is None:
                _collect_texts(record)
        case ConversationItemDeletedEvent():
            if state._items.pop(event.item_id, None) is not None:
                state._order.remove(event.item_id)
        case ConversationItemTruncatedEvent():
            cut = state._items.get(event.item_id)
            if cut is not None:
                index = event.content_index
                received = cut.audio_ms.get(index, 0.0)
                cut.truncated_ms = event.audio_end_ms
                cut.audio_ms[index] = min(received, float(event.audio_end_ms))
                # The server drops the unheard part of the transcript: keep the heard words
                # (by time share; the same cut the Conversation shows) so a restore replays
                # what the listener heard, not what the model had planned to say.
                text = cut.texts.get(index)
                if text is not None:
                    cut.texts[index] = cut_transcript(text, event.audio_end_ms, received)
        case ConversationItemInputAudioTranscriptionCompletedEvent():
            record = state._placeholder(event.item_id, "user")
            record.texts[event.content_index] = event.transcript
            record.partial.pop(event.content_index, None)
        case ConversationItemInputAudioTranscriptionDeltaEvent():
            # Partials add up to the transcript so far (a restore mid-turn replays them).
            record = state._placeholder(event.item_id, "user")
            index = event.content_index or 0
            if index not in record.texts or index in record.partial:
                text = record.partial.get(index, "") + (event.delta or "")
                record.partial[index] = text
                record.texts[index] = text
        case InputAudioBufferCommittedEvent():
            state.input_buffer.commits += 1
            if not state.manual_turns:
                state.input_buffer.bytes_since_commit = 0
            explicit = "previous_item_id" in event.model_fields_set
            existing = state._items.get(event.item_id)
            if existing is None:
                state._insert(
                    ItemRecord(
                        event.item_id,
                        {"id": event.item_id, "type": "message", "role": "user"},
                        event.previous_item_id,
                    ),
                    event.previous_item_id,
                    explicit,
                )
            elif existing.previous_item_id is None and explicit:
                # A transcript arrived before the commit and made a placeholder at the end;
                # the commit says where the turn really goes.
                state._order.remove(existing.id)
                existing.previous_item_id = event.previous_item_id
                state._insert(existing, event.previous_item_id, explicit)
        case InputAudioBufferSpeechStartedEvent():
            state.input_buffer.speaking = True
        case InputAudioBufferSpeechStoppedEvent():
            state.input_buffer.speaking = False
        case ResponseCreatedEvent():
            on_response_created(state, event)
        case ResponseDoneEvent():
            on_response_done(state, event)
        case ErrorEvent():
            on_error(state, event)
        case SessionClosedEvent():
            state.phase = "closed"
        case _:
            return


def on_session(state: SessionState, event: SessionCreatedEvent | SessionUpdatedEvent) -> None:
    session = event.session.model_dump(mode="json", exclude_unset=True)
    kind = session.get("type")
    if kind is not None and kind != state.kind:
        state._violation(f"{event.type} describes a {kind} session on a {state.kind} socket")
    if isinstance(event, SessionCreatedEvent):
        if state.phase == "connecting":
            state.phase = "open"
        merged = session
    else:
        merged = state.session or {}
        merged.update(session)
    state._session_json = json.dumps(merged, separators=(",", ":")).encode()
    ident, expires = merged.get("id"), merged.get("expires_at")
    state._session_id = ident if isinstance(ident, str) else None
    state._expires_at = expires if isinstance(expires, int) else None
    audio_input = (merged.get("audio") or {}).get("input") or {}
    state._manual_turns = "turn_detection" in audio_input and audio_input["turn_detection"] is None
    audio = session.get("audio") or {}
    for direction in ("input", "output"):
        fmt = (audio.get(direction) or {}).get("format")
        if not isinstance(fmt, dict):
            continue
        rate = fmt.get("rate")
        if rate is not None and (not isinstance(rate, int) or rate < _MIN_RATE):
            # Fewer than one byte a millisecond is no audio format at all; keep the last
            # good figure rather than divide by it.
            state._violation(f"{event.type}: {direction} audio rate {rate!r} is not usable")
            continue
        bpm = bytes_per_ms(fmt.get("type"), rate)
        if direction == "input":
            state._in_bpm = bpm
        else:
            state._out_bpm = bpm


def on_item_added(
    state: SessionState, event: ConversationItemAddedEvent | ConversationItemCreatedEvent
) -> None:
    item = event.item.model_dump(mode="json", exclude_unset=True)
    item_id = item.get("id")
    if not isinstance(item_id, str):
        state._violation(f"{event.type} without an item id")
        return
    existing = state._items.get(item_id)
    if existing is not None:
        existing.item = {**existing.item, **item}
        _collect_texts(existing)
        return
    record = ItemRecord(item_id, item, event.previous_item_id)
    _collect_texts(record)
    state._insert(record, event.previous_item_id, "previous_item_id" in event.model_fields_set)


def on_response_created(state: SessionState, event: ResponseCreatedEvent) -> None:
    response = event.response
    response_id = response.id or ""
    out_of_band = "conversation_id" in response.model_fields_set and (
        response.conversation_id is None
    )
    record = None
    for candidate in state._requested:
        if candidate.out_of_band == out_of_band:
            record = candidate
            break
    if record is None and state._requested and "conversation_id" not in response.model_fields_set:
        record = state._requested[0]
    if record is not None:
        state._requested.remove(record)
    else:
        record = ResponseRecord(id=None, state="requested", out_of_band=out_of_band)
    record.id = response_id
    state._responses[response_id] = record
    state._move(record, "created")


def on_output(state: SessionState, event: ServerEvent) -> None:
    response_id = getattr(event, "response_id", None)
    if not isinstance(response_id, str):
        return
    record = state._response(response_id)
    state._move(record, "output")
    item_id = getattr(event, "item_id", None)
    if item_id is None:
        item = getattr(event, "item", None)
        item_id = getattr(item, "id", None)
        if item is not None and isinstance(item_id, str):
            data = item.model_dump(mode="json", exclude_unset=True)
            if item_id not in state._items:
                state._insert(ItemRecord(item_id, data), None, False)
            else:
                state._items[item_id].item = {**state._items[item_id].item, **data}
                _collect_texts(state._items[item_id])
    if not isinstance(item_id, str):
        return
    if item_id not in record.output_item_ids:
        record.output_item_ids.append(item_id)
    item_record = state._placeholder(item_id, "assistant")
    item_record.response_id = response_id
    match event:
        case ResponseOutputAudioDeltaEvent():
            count_audio(state, item_record, event)
            if next_response_state(record.state, "output") == record.state:
                # More output changes nothing but the count until some other event.
                state._streaming = (item_id, response_id, item_record)
        case ResponseOutputAudioTranscriptDoneEvent():
            if item_record.truncated_ms is None:
                item_record.texts[event.content_index] = event.transcript
        case ResponseOutputTextDoneEvent():
            item_record.texts[event.content_index] = event.text
        case _:
            return


def count_audio(
    state: SessionState, item_record: ItemRecord, event: ResponseOutputAudioDeltaEvent
) -> None:
    index = event.content_index
    size = item_record.audio_bytes.get(index, 0) + b64_decoded_size(event.delta)
    item_record.audio_bytes[index] = size
    item_record.audio_ms[index] = size / state._out_bpm


def on_response_done(state: SessionState, event: ResponseDoneEvent) -> None:
    response = event.response
    record = state._response(response.id or "")
    status = response.status or "completed"
    if status not in ("completed", "cancelled", "failed", "incomplete"):
        state._violation(f"response.done with status {status!r}")
        status = "failed"
    state._move(record, f"done:{status}")  # type: ignore[arg-type]
    if response.status_details is not None:
        record.status_details = response.status_details.model_dump(mode="json")


def on_error(state: SessionState, event: ErrorEvent) -> None:
    cause = state.cause_of(event)
    if cause is not None and cause.type == "response.create":
        for record in list(state._requested):
            if record.request_event_id == cause.event_id:
                state._requested.remove(record)
                state._move(record, "rejected")
    fatal = fatal_error(event)
    if fatal is not None and state.fatal is None:
        state.fatal = fatal


def _collect_texts(record: ItemRecord) -> None:
    content = record.item.get("content")
    if not isinstance(content, list):
        return
    for index, part in enumerate(content):
        if not isinstance(part, dict):
            continue
        text = part.get("transcript") if part.get("transcript") is not None else part.get("text")
        if isinstance(text, str) and (text or index not in record.texts):
            record.texts[index] = text
