"""The sans-I/O protocol core: one Realtime session's state, fed events, producing bytes.

:class:`RealtimeProtocol` never awaits and never touches a socket. The driver loop is:
receive a text frame → :meth:`RealtimeProtocol.receive` (decodes it and updates the state) →
hand the event out; and to send: :meth:`RealtimeProtocol.send` (checks the event against the
state, records it) → write the returned bytes to the transport.

It tracks the session as the server confirmed it, the conversation items in server order
(``previous_item_id``), each response's lifecycle (``_tables.RESPONSE_TRANSITIONS``), the input
buffer, the assistant audio received per item and content part, and the client events still
able to draw an ``error`` (by ``event_id``), so :meth:`cause_of` ties an error to its cause.

Caller mistakes raise :class:`~realtime_kit.errors.LocalProtocolError` naming the action and
the state. Server inconsistencies are collected in :attr:`violations` (or raised as
:class:`~realtime_kit.errors.RemoteProtocolError` with ``strict=True``): a lagging or quirky
server should not take a live call down.

Imports: the standard library, :mod:`realtime_kit.events`, :mod:`realtime_kit.errors` and
``protocol`` siblings. Never anyio, websockets or httpx.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, Final

from realtime_kit.errors import (
    LocalProtocolError,
    RemoteProtocolError,
    SessionFatalError,
)
from realtime_kit.events import (
    ClientEvent,
    ConversationItemAddedEvent,
    ConversationItemCreatedEvent,
    ConversationItemDeletedEvent,
    ConversationItemDoneEvent,
    ConversationItemInputAudioTranscriptionCompletedEvent,
    ConversationItemInputAudioTranscriptionDeltaEvent,
    ConversationItemRetrievedEvent,
    ConversationItemTruncatedEvent,
    ErrorEvent,
    EventDecoder,
    InputAudioBufferAppendEvent,
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
    SessionInputAudioBufferAppendEvent,
    SessionUpdatedEvent,
    encode_event,
)
from realtime_kit.protocol._outbound import apply_sent, check_send, remember_sent
from realtime_kit.protocol._tables import (
    ACTIVE_RESPONSE_STATES,
    CLIENT_EVENT_TYPES,
    OUTPUT_EVENTS,
    ResponseTrigger,
    SessionKind,
    SessionPhase,
    bytes_per_ms,
    next_response_state,
)
from realtime_kit.protocol.fatal import fatal_error
from realtime_kit.protocol.records import (
    InputBuffer,
    ItemRecord,
    PendingEvent,
    ResponseRecord,
    ViolationLog,
    b64_decoded_size,
)
from realtime_kit.protocol.transcripts import cut_transcript

__all__ = ["RealtimeProtocol"]

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

# The start of an audio append's JSON per session kind, for send_audio (ends '"}').
_APPEND_HEADS: Final[dict[str, bytes]] = {
    "realtime": b'{"type":"input_audio_buffer.append","audio":"',
    "transcription": b'{"type":"input_audio_buffer.append","audio":"',
    "translation": b'{"type":"session.input_audio_buffer.append","audio":"',
}

# Client event types some session kind knows (an unknown type is sent as it is).
_EVERY_CLIENT_TYPE: Final = CLIENT_EVENT_TYPES["realtime"] | CLIENT_EVENT_TYPES["translation"]

# The lowest PCM rate the core can count milliseconds in (1 byte per ms); the API uses 24,000.
_MIN_RATE: Final = 1000
# One decoder for every session: it is stateless apart from the drift counters, which are
# process-wide facts anyway, and a per-session decoder would cost memory on every connection.
_SHARED_DECODER: Final = EventDecoder()


class RealtimeProtocol:
    """State of one session. See the module docstring for the driver loop.

    Args:
        kind: the session kind the socket was opened for.
        max_pending: how many recent client events to remember for :meth:`cause_of`.
        strict: raise :class:`RemoteProtocolError` on server inconsistencies instead of
            recording them in :attr:`violations`.
    """

    def __init__(
        self, kind: SessionKind = "realtime", *, max_pending: int = 512, strict: bool = False
    ) -> None:
        self.kind: SessionKind = kind
        self.phase: SessionPhase = "connecting"
        # The confirmed config is kept as compact JSON (a few hundred bytes instead of a tree of
        # dicts: it is read on a restore, not per event), with what is read often beside it.
        self._session_json: bytes | None = None
        self._session_id: str | None = None
        self._expires_at: int | None = None
        self._manual_turns = False
        self.input_buffer = InputBuffer()
        self.violations = ViolationLog()
        """The server's inconsistencies so far: the latest kept, every one counted."""
        self.fatal: SessionFatalError | None = None
        """Set when a fatal ``error`` arrived; the session is over."""
        self._strict = strict
        self._decoder = _SHARED_DECODER
        self._items: dict[str, ItemRecord] = {}
        self._order: list[str] = []
        self._responses: dict[str, ResponseRecord] = {}
        # Requested, not yet confirmed responses: rarely more than one, so a list (an empty
        # deque would hold a 512-byte block on every idle session).
        self._requested: list[ResponseRecord] = []
        self._pending: OrderedDict[str, PendingEvent] = OrderedDict()
        self._max_pending = max_pending
        self._sequence = 0
        # (item id, response id, item record) of the audio now streaming; any other event
        # clears it, so every state change still goes through the full path.
        self._streaming: tuple[str, str, ItemRecord] | None = None
        self._in_bpm = 48
        self._out_bpm = 48

    # -- queries -----------------------------------------------------------------------------

    @property
    def session(self) -> dict[str, Any] | None:
        """The session config as the server last confirmed it (JSON, unknown keys kept).

        A fresh copy on every access: changing it changes nothing here.
        """
        return None if self._session_json is None else json.loads(self._session_json)

    @property
    def session_id(self) -> str | None:
        """``sess_…`` once the session exists."""
        return self._session_id

    @property
    def expires_at(self) -> int | None:
        """Unix time at which the server will end the session (the 60-minute cap)."""
        return self._expires_at

    @property
    def manual_turns(self) -> bool:
        """Whether the confirmed session has no turn detection (the client commits)."""
        return self._manual_turns

    @property
    def items(self) -> list[ItemRecord]:
        """Conversation items in server order."""
        return [self._items[item_id] for item_id in self._order]

    def item(self, item_id: str) -> ItemRecord | None:
        """One item by id."""
        return self._items.get(item_id)

    @property
    def responses(self) -> list[ResponseRecord]:
        """Responses seen this session (requested ones not yet created included)."""
        return [*self._responses.values(), *self._requested]

    @property
    def active_response(self) -> ResponseRecord | None:
        """The response writing to the default conversation, if any."""
        for record in self.responses:
            if record.state in ACTIVE_RESPONSE_STATES and not record.out_of_band:
                return record
        return None

    @property
    def input_bytes_per_ms(self) -> int:
        """Bytes of input audio per millisecond in the session's input format (PCM16 24 kHz: 48)."""
        return self._in_bpm

    @property
    def buffered_input_ms(self) -> float:
        """Input audio appended since the last commit or clear, in milliseconds."""
        return self.input_buffer.bytes_since_commit / self._in_bpm

    def audio_received_ms(self, item_id: str, content_index: int = 0) -> float:
        """Assistant audio received for one content part (the ceiling for a truncation)."""
        record = self._items.get(item_id)
        return record.audio_ms.get(content_index, 0.0) if record is not None else 0.0

    def cause_of(self, error: ErrorEvent) -> PendingEvent | None:
        """The client event an ``error`` answers, when it carried an ``event_id`` we sent."""
        event_id = error.error.event_id
        return self._pending.get(event_id) if event_id else None

    def pending_events(self) -> Iterator[PendingEvent]:
        """Recent client events that may still draw an ``error``, oldest first."""
        return iter(self._pending.values())

    # -- outbound ----------------------------------------------------------------------------

    def send(self, event: ClientEvent) -> bytes:
        """Check ``event`` against the state, record it, and return the bytes to send.

        An ``event_id`` is assigned (on the event itself) when it has none, except on audio
        appends, which are too frequent to be worth tracking. Next: write the bytes to the
        transport as one text frame.

        Raises:
            LocalProtocolError: the event is not allowed now (closed session, wrong session
                kind, a second response, an empty manual commit, a truncation past the audio
                received, an unknown item).
        """
        kind = event.type
        if self.phase in ("closing", "closed"):
            raise LocalProtocolError(f"send {kind}", f"session {self.phase}")
        if type(event) is InputAudioBufferAppendEvent:
            self._require_kind(kind)
            size = b64_decoded_size(event.audio)
            self.input_buffer.bytes_since_commit += size
            self.input_buffer.bytes_total += size
            return encode_event(event)
        if type(event) is SessionInputAudioBufferAppendEvent:
            self._require_kind(kind)
            self.input_buffer.bytes_total += b64_decoded_size(event.audio)
            return encode_event(event)
        self._require_kind(kind)
        check_send(self, event)
        if event.event_id is None:
            self._sequence += 1
            event.event_id = f"rk_{self._sequence}"
        remember_sent(self, event)
        data = encode_event(event)
        apply_sent(self, event)
        return data

    def send_audio(self, audio: str) -> bytes:
        """Record one audio append (standard base64 ``audio``) and return its bytes.

        The append of this session kind (``session.input_audio_buffer.append`` on translation,
        ``input_audio_buffer.append`` otherwise), written without building a model: the same
        bytes :meth:`send` writes for that event with no ``event_id``. ``audio`` must be base64
        (it is written into the JSON as it is); next: write the bytes as one text frame.

        Raises:
            LocalProtocolError: the session is closing or closed.
        """
        if self.phase in ("closing", "closed"):
            raise LocalProtocolError(f"send {self._append_type}", f"session {self.phase}")
        size = b64_decoded_size(audio)
        if self.kind != "translation":
            self.input_buffer.bytes_since_commit += size
        self.input_buffer.bytes_total += size
        return b"".join((_APPEND_HEADS[self.kind], audio.encode("ascii"), b'"}'))

    @property
    def _append_type(self) -> str:
        if self.kind == "translation":
            return "session.input_audio_buffer.append"
        return "input_audio_buffer.append"

    def _require_kind(self, kind: str) -> None:
        if kind not in CLIENT_EVENT_TYPES[self.kind] and kind in _EVERY_CLIENT_TYPE:
            raise LocalProtocolError(f"send {kind}", f"a {self.kind} session")

    # -- inbound -----------------------------------------------------------------------------

    def receive(self, data: str | bytes) -> ServerEvent:
        """Decode one text frame, update the state, and return the typed event.

        Next: hand the event to the application; if :attr:`fatal` became set, end the session.
        On an error, skip the frame (record it as a violation) and go on with the next one:
        the state is as it was before, apart from what the event had already changed.

        Raises:
            DecodeError: the frame is not a valid event.
            RemoteProtocolError: the event cannot be applied to the session state (or, with
                ``strict=True``, it is inconsistent with it).
        """
        event = self._decoder.decode_server(data)
        self.handle(event)
        return event

    def handle(self, event: ServerEvent) -> None:
        """Update the state from an already decoded server event.

        Raises:
            RemoteProtocolError: as for :meth:`receive`.
        """
        try:
            self._apply(event)
        except RemoteProtocolError:
            raise
        except Exception as exc:  # typed for the caller, the cause chained
            # A well-formed event this core could not apply: whatever it was, for the session
            # it is the server's inconsistency, and it must not take the socket down.
            self._streaming = None
            raise RemoteProtocolError(
                f"{event.type} could not be applied to the session state: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def _apply(self, event: ServerEvent) -> None:
        kind = event.type
        if kind == "response.output_audio.delta" and self._streaming is not None:
            streaming = self._streaming
            if (
                event.item_id == streaming[0]  # type: ignore[union-attr]
                and event.response_id == streaming[1]  # type: ignore[union-attr]
            ):
                # The next delta of the item already streaming (tens a second): only the audio
                # count moves; state, item order and response bookkeeping were done on its first.
                self._count_audio(streaming[2], event)  # type: ignore[arg-type]
                return
        self._streaming = None
        if kind in OUTPUT_EVENTS:
            self._on_output(event)
            return
        if kind not in _STATE_EVENT_TYPES:
            return  # most events (transcript deltas, rate limits, …) change nothing here
        match event:
            case SessionCreatedEvent() | SessionUpdatedEvent():
                self._on_session(event)
            case ConversationItemAddedEvent() | ConversationItemCreatedEvent():
                self._on_item_added(event)
            case ConversationItemDoneEvent() | ConversationItemRetrievedEvent():
                record = self._upsert(event.item.model_dump(mode="json", exclude_unset=True))
                record.done = record.done or isinstance(event, ConversationItemDoneEvent)
                if record.truncated_ms is None:
                    _collect_texts(record)
            case ConversationItemDeletedEvent():
                if self._items.pop(event.item_id, None) is not None:
                    self._order.remove(event.item_id)
            case ConversationItemTruncatedEvent():
                cut = self._items.get(event.item_id)
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
                record = self._placeholder(event.item_id, "user")
                record.texts[event.content_index] = event.transcript
                record.partial.pop(event.content_index, None)
            case ConversationItemInputAudioTranscriptionDeltaEvent():
                # Partials add up to the transcript so far (a restore mid-turn replays them).
                record = self._placeholder(event.item_id, "user")
                index = event.content_index or 0
                if index not in record.texts or index in record.partial:
                    text = record.partial.get(index, "") + (event.delta or "")
                    record.partial[index] = text
                    record.texts[index] = text
            case InputAudioBufferCommittedEvent():
                self.input_buffer.commits += 1
                if not self.manual_turns:
                    self.input_buffer.bytes_since_commit = 0
                explicit = "previous_item_id" in event.model_fields_set
                existing = self._items.get(event.item_id)
                if existing is None:
                    self._insert(
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
                    self._order.remove(existing.id)
                    existing.previous_item_id = event.previous_item_id
                    self._insert(existing, event.previous_item_id, explicit)
            case InputAudioBufferSpeechStartedEvent():
                self.input_buffer.speaking = True
            case InputAudioBufferSpeechStoppedEvent():
                self.input_buffer.speaking = False
            case ResponseCreatedEvent():
                self._on_response_created(event)
            case ResponseDoneEvent():
                self._on_response_done(event)
            case ErrorEvent():
                self._on_error(event)
            case SessionClosedEvent():
                self.phase = "closed"
            case _:
                return

    def connection_lost(self) -> None:
        """The transport ended. Next: nothing more can be sent; read the state for a restore."""
        self.phase = "closed"

    # -- inbound helpers ---------------------------------------------------------------------

    def _violation(self, message: str) -> None:
        error = RemoteProtocolError(message)
        if self._strict:
            raise error
        self.violations.append(error)

    def _on_session(self, event: SessionCreatedEvent | SessionUpdatedEvent) -> None:
        session = event.session.model_dump(mode="json", exclude_unset=True)
        kind = session.get("type")
        if kind is not None and kind != self.kind:
            self._violation(f"{event.type} describes a {kind} session on a {self.kind} socket")
        if isinstance(event, SessionCreatedEvent):
            if self.phase == "connecting":
                self.phase = "open"
            merged = session
        else:
            merged = self.session or {}
            merged.update(session)
        self._session_json = json.dumps(merged, separators=(",", ":")).encode()
        ident, expires = merged.get("id"), merged.get("expires_at")
        self._session_id = ident if isinstance(ident, str) else None
        self._expires_at = expires if isinstance(expires, int) else None
        audio_input = (merged.get("audio") or {}).get("input") or {}
        self._manual_turns = (
            "turn_detection" in audio_input and audio_input["turn_detection"] is None
        )
        audio = session.get("audio") or {}
        for direction in ("input", "output"):
            fmt = (audio.get(direction) or {}).get("format")
            if not isinstance(fmt, dict):
                continue
            rate = fmt.get("rate")
            if rate is not None and (not isinstance(rate, int) or rate < _MIN_RATE):
                # Fewer than one byte a millisecond is no audio format at all; keep the last
                # good figure rather than divide by it.
                self._violation(f"{event.type}: {direction} audio rate {rate!r} is not usable")
                continue
            bpm = bytes_per_ms(fmt.get("type"), rate)
            if direction == "input":
                self._in_bpm = bpm
            else:
                self._out_bpm = bpm

    def _insert(self, record: ItemRecord, previous: str | None, explicit: bool) -> None:
        self._items[record.id] = record
        if previous is not None and previous in self._items and previous != record.id:
            self._order.insert(self._order.index(previous) + 1, record.id)
        elif previous is None and explicit:
            # previous_item_id null means "first in the conversation".
            self._order.insert(0, record.id)
        else:
            if previous is not None and previous != "root":
                self._violation(f"item {record.id} follows unknown item {previous}")
            self._order.append(record.id)

    def _on_item_added(
        self, event: ConversationItemAddedEvent | ConversationItemCreatedEvent
    ) -> None:
        item = event.item.model_dump(mode="json", exclude_unset=True)
        item_id = item.get("id")
        if not isinstance(item_id, str):
            self._violation(f"{event.type} without an item id")
            return
        existing = self._items.get(item_id)
        if existing is not None:
            existing.item = {**existing.item, **item}
            _collect_texts(existing)
            return
        record = ItemRecord(item_id, item, event.previous_item_id)
        _collect_texts(record)
        self._insert(record, event.previous_item_id, "previous_item_id" in event.model_fields_set)

    def _upsert(self, item: dict[str, Any]) -> ItemRecord:
        item_id = str(item.get("id", ""))
        record = self._items.get(item_id)
        if record is None:
            record = ItemRecord(item_id, item)
            self._insert(record, None, False)
        else:
            record.item = {**record.item, **item}
        return record

    def _placeholder(self, item_id: str, role: str) -> ItemRecord:
        record = self._items.get(item_id)
        if record is None:
            record = ItemRecord(item_id, {"id": item_id, "type": "message", "role": role})
            self._insert(record, None, False)
        return record

    def _move(self, record: ResponseRecord, trigger: ResponseTrigger) -> None:
        new = next_response_state(record.state, trigger)
        if new is None:
            self._violation(f"response {record.id}: {trigger} is illegal while {record.state}")
            return
        record.state = new

    def _response(self, response_id: str) -> ResponseRecord:
        record = self._responses.get(response_id)
        if record is None:
            self._violation(f"event for unknown response {response_id}")
            record = ResponseRecord(id=response_id, state="in_progress")
            self._responses[response_id] = record
        return record

    def _on_response_created(self, event: ResponseCreatedEvent) -> None:
        response = event.response
        response_id = response.id or ""
        out_of_band = "conversation_id" in response.model_fields_set and (
            response.conversation_id is None
        )
        record = None
        for candidate in self._requested:
            if candidate.out_of_band == out_of_band:
                record = candidate
                break
        if (
            record is None
            and self._requested
            and "conversation_id" not in response.model_fields_set
        ):
            record = self._requested[0]
        if record is not None:
            self._requested.remove(record)
        else:
            record = ResponseRecord(id=None, state="requested", out_of_band=out_of_band)
        record.id = response_id
        self._responses[response_id] = record
        self._move(record, "created")

    def _on_output(self, event: ServerEvent) -> None:
        response_id = getattr(event, "response_id", None)
        if not isinstance(response_id, str):
            return
        record = self._response(response_id)
        self._move(record, "output")
        item_id = getattr(event, "item_id", None)
        if item_id is None:
            item = getattr(event, "item", None)
            item_id = getattr(item, "id", None)
            if item is not None and isinstance(item_id, str):
                data = item.model_dump(mode="json", exclude_unset=True)
                if item_id not in self._items:
                    self._insert(ItemRecord(item_id, data), None, False)
                else:
                    self._items[item_id].item = {**self._items[item_id].item, **data}
                    _collect_texts(self._items[item_id])
        if not isinstance(item_id, str):
            return
        if item_id not in record.output_item_ids:
            record.output_item_ids.append(item_id)
        item_record = self._placeholder(item_id, "assistant")
        item_record.response_id = response_id
        match event:
            case ResponseOutputAudioDeltaEvent():
                self._count_audio(item_record, event)
                if next_response_state(record.state, "output") == record.state:
                    # More output changes nothing but the count until some other event.
                    self._streaming = (item_id, response_id, item_record)
            case ResponseOutputAudioTranscriptDoneEvent():
                if item_record.truncated_ms is None:
                    item_record.texts[event.content_index] = event.transcript
            case ResponseOutputTextDoneEvent():
                item_record.texts[event.content_index] = event.text
            case _:
                return

    def _count_audio(self, item_record: ItemRecord, event: ResponseOutputAudioDeltaEvent) -> None:
        index = event.content_index
        size = item_record.audio_bytes.get(index, 0) + b64_decoded_size(event.delta)
        item_record.audio_bytes[index] = size
        item_record.audio_ms[index] = size / self._out_bpm

    def _on_response_done(self, event: ResponseDoneEvent) -> None:
        response = event.response
        record = self._response(response.id or "")
        status = response.status or "completed"
        if status not in ("completed", "cancelled", "failed", "incomplete"):
            self._violation(f"response.done with status {status!r}")
            status = "failed"
        self._move(record, f"done:{status}")  # type: ignore[arg-type]
        if response.status_details is not None:
            record.status_details = response.status_details.model_dump(mode="json")

    def _on_error(self, event: ErrorEvent) -> None:
        cause = self.cause_of(event)
        if cause is not None and cause.type == "response.create":
            for record in list(self._requested):
                if record.request_event_id == cause.event_id:
                    self._requested.remove(record)
                    self._move(record, "rejected")
        fatal = fatal_error(event)
        if fatal is not None and self.fatal is None:
            self.fatal = fatal


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
