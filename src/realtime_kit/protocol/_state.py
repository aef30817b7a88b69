"""One session's state as the protocol core keeps it: what both directions read and change.

:class:`SessionState` holds the session as the server confirmed it, the conversation items in
server order, each response's record, the input buffer and the client events still able to draw
an ``error``; it answers the queries (the public ones are :class:`RealtimeProtocol`'s) and owns
the few changes both directions make (placing an item, moving a response along its lifecycle,
recording a server inconsistency). ``_inbound`` applies server events to it, ``_outbound``
checks and applies client events, and ``core`` drives both.

Imports: the standard library, :mod:`realtime_kit.errors`, :mod:`realtime_kit.events` and
``protocol`` siblings (``_tables``, ``records``).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, Final

from realtime_kit.errors import RemoteProtocolError, SessionFatalError
from realtime_kit.events import ErrorEvent, EventDecoder
from realtime_kit.protocol._tables import (
    ACTIVE_RESPONSE_STATES,
    ResponseTrigger,
    SessionKind,
    SessionPhase,
    next_response_state,
)
from realtime_kit.protocol.records import (
    InputBuffer,
    ItemRecord,
    PendingEvent,
    ResponseRecord,
    ViolationLog,
)

__all__ = ["SessionState"]

# One decoder for every session: it is stateless apart from the drift counters, which are
# process-wide facts anyway, and a per-session decoder would cost memory on every connection.
_SHARED_DECODER: Final = EventDecoder()


class SessionState:
    """The state of one session; :class:`~realtime_kit.protocol.RealtimeProtocol` drives it.

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

    # -- what both directions change -----------------------------------------------------------

    def _violation(self, message: str) -> None:
        error = RemoteProtocolError(message)
        if self._strict:
            raise error
        self.violations.append(error)

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
