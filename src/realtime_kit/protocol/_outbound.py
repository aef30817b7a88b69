"""What sending a client event checks and records in the protocol core.

The checks name the action and the state that forbids it (:class:`LocalProtocolError`); an
event that passes is remembered (for ``cause_of``) and applied to the state. These functions
are :class:`~realtime_kit.protocol.RealtimeProtocol`'s own helpers, kept apart to keep the core
readable.

Imports: the standard library, :mod:`realtime_kit.errors`, :mod:`realtime_kit.events` and
``protocol`` siblings (``_state``, ``_tables``, ``records``); never ``core``, which imports this.
"""

from __future__ import annotations

from typing import Any, Final

from realtime_kit.errors import LocalProtocolError
from realtime_kit.events import ClientEvent
from realtime_kit.protocol._state import SessionState
from realtime_kit.protocol._tables import ACTIVE_RESPONSE_STATES
from realtime_kit.protocol.records import PendingEvent, ResponseRecord

__all__ = ["apply_sent", "check_send", "out_of_band_request", "remember_sent"]

MIN_COMMIT_MS: Final = 100


def out_of_band_request(event: ClientEvent) -> bool:
    """Whether a ``response.create`` asks for an out-of-band response (conversation "none")."""
    response = getattr(event, "response", None)
    return getattr(response, "conversation", None) == "none"


def check_send(core: SessionState, event: ClientEvent) -> None:
    """Raise :class:`LocalProtocolError` when the session state forbids sending ``event``."""
    kind = event.type
    if kind == "response.create":
        out_of_band = out_of_band_request(event)
        # A request not yet answered blocks a new one too: the server answers every
        # response.create with response.created or an error (which releases it), and a second
        # request in between is exactly the conversation_already_has_active_response race. A
        # reconnect starts a new core, so a request lost with its socket cannot wedge a session.
        active = core.active_response
        if not out_of_band and active is not None:
            raise LocalProtocolError(
                "create a response",
                f"response {active.id or '(requested)'} is {active.state}",
                'wait for response.done, or send an out-of-band response (conversation "none")',
            )
    elif kind == "response.cancel":
        wanted = getattr(event, "response_id", None)
        candidates = [
            r
            for r in core.responses
            if r.state in ACTIVE_RESPONSE_STATES and (wanted is None or r.id == wanted)
        ]
        if not candidates:
            raise LocalProtocolError(
                "cancel a response",
                "no response in progress" if wanted is None else f"{wanted} not in progress",
            )
    elif kind == "input_audio_buffer.commit":
        if core.manual_turns and core.buffered_input_ms < MIN_COMMIT_MS:
            raise LocalProtocolError(
                "commit the input audio buffer",
                f"it holds {core.buffered_input_ms:.0f} ms",
                f"at least {MIN_COMMIT_MS} ms are needed",
            )
    elif kind in ("conversation.item.delete", "conversation.item.retrieve"):
        item_id = getattr(event, "item_id", "")
        if item_id not in core._items:
            raise LocalProtocolError(f"{kind.rsplit('.', 1)[1]} item {item_id}", "unknown item")
    elif kind == "conversation.item.truncate":
        item_id = getattr(event, "item_id", "")
        record = core._items.get(item_id)
        if record is None:
            raise LocalProtocolError(f"truncate item {item_id}", "unknown item")
        index = int(getattr(event, "content_index", 0))
        end = int(getattr(event, "audio_end_ms", 0))
        received = record.audio_ms.get(index, 0.0)
        if end > received + 1:
            raise LocalProtocolError(
                f"truncate item {item_id} at {end} ms",
                f"only {received:.0f} ms of its audio were received",
                "clamp audio_end_ms to audio_received_ms()",
            )


def remember_sent(core: SessionState, event: ClientEvent) -> None:
    """Keep ``event`` (by its ``event_id``) among those that may still draw an ``error``."""
    assert event.event_id is not None
    summary: dict[str, Any] = {}
    for name in ("item_id", "response_id", "content_index", "audio_end_ms"):
        value = getattr(event, name, None)
        if value is not None:
            summary[name] = value
    core._pending[event.event_id] = PendingEvent(
        event.event_id, event.type, core._sequence, summary
    )
    while len(core._pending) > core._max_pending:
        core._pending.popitem(last=False)


def apply_sent(core: SessionState, event: ClientEvent) -> None:
    """Update the state for an event that is being sent (after the checks passed)."""
    kind = event.type
    if kind == "response.create":
        core._requested.append(
            ResponseRecord(
                id=None,
                state="requested",
                out_of_band=out_of_band_request(event),
                request_event_id=event.event_id,
            )
        )
    elif kind == "response.cancel":
        wanted = getattr(event, "response_id", None)
        for record in core.responses:
            if record.state in ACTIVE_RESPONSE_STATES and wanted in (None, record.id):
                core._move(record, "cancel")
    elif kind in ("input_audio_buffer.commit", "input_audio_buffer.clear"):
        core.input_buffer.bytes_since_commit = 0
    elif kind == "session.close":
        core.phase = "closing"
