"""The state transitions that matter, as data: response lifecycle and session phases.

Imports: the standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

__all__ = [
    "ACTIVE_RESPONSE_STATES",
    "CLIENT_EVENT_TYPES",
    "FINAL_RESPONSE_STATES",
    "OUTPUT_EVENTS",
    "RESPONSE_TRANSITIONS",
    "ResponseState",
    "ResponseTrigger",
    "SessionKind",
    "SessionPhase",
    "bytes_per_ms",
    "next_response_state",
]

SessionKind = Literal["realtime", "transcription", "translation"]
"""The three kinds of session, chosen by the URL the socket opens."""

SessionPhase = Literal["connecting", "open", "closing", "closed"]
"""``connecting`` until ``session.created``; ``closing`` after a translation ``session.close``."""

ResponseState = Literal[
    "requested", "in_progress", "cancelling", "completed", "cancelled", "failed", "incomplete"
]
"""``requested``: ``response.create`` sent, ``response.created`` not seen yet."""

ResponseTrigger = Literal[
    "created", "output", "cancel", "done:completed", "done:cancelled", "done:failed",
    "done:incomplete", "rejected",
]  # fmt: skip
"""What moves a response: a server event (``created``, ``output``, ``done:<status>``), the
client's ``response.cancel`` (``cancel``), or an ``error`` tied to the ``response.create``
(``rejected``)."""

FINAL_RESPONSE_STATES: Final = frozenset({"completed", "cancelled", "failed", "incomplete"})
ACTIVE_RESPONSE_STATES: Final = frozenset({"requested", "in_progress", "cancelling"})

_DONE: Final[Mapping[str, ResponseState]] = {
    "done:completed": "completed",
    "done:cancelled": "cancelled",
    "done:failed": "failed",
    "done:incomplete": "incomplete",
}

RESPONSE_TRANSITIONS: Final[Mapping[tuple[ResponseState, ResponseTrigger], ResponseState]] = {
    ("requested", "created"): "in_progress",
    ("requested", "cancel"): "cancelling",
    ("requested", "rejected"): "failed",
    ("in_progress", "output"): "in_progress",
    ("in_progress", "cancel"): "cancelling",
    ("cancelling", "created"): "cancelling",
    ("cancelling", "output"): "cancelling",
    ("cancelling", "cancel"): "cancelling",
    **{("in_progress", trigger): state for trigger, state in _DONE.items()},  # type: ignore[misc]
    **{("cancelling", trigger): state for trigger, state in _DONE.items()},  # type: ignore[misc]
}
"""Every legal (state, trigger) pair and where it leads; anything else is illegal."""


def next_response_state(state: ResponseState, trigger: ResponseTrigger) -> ResponseState | None:
    """The state after ``trigger``, or ``None`` when the table has no such transition."""
    return RESPONSE_TRANSITIONS.get((state, trigger))


def bytes_per_ms(format_type: str | None, rate: int | None) -> int:
    """Bytes per millisecond of mono audio in a session audio format (PCM16 or G.711)."""
    if format_type in ("audio/pcmu", "audio/pcma"):
        return 8
    return 2 * (rate or 24000) // 1000


CLIENT_EVENT_TYPES: Final[dict[SessionKind, frozenset[str]]] = {
    "realtime": frozenset(
        {
            "session.update",
            "input_audio_buffer.append",
            "input_audio_buffer.commit",
            "input_audio_buffer.clear",
            "output_audio_buffer.clear",
            "conversation.item.create",
            "conversation.item.delete",
            "conversation.item.retrieve",
            "conversation.item.truncate",
            "response.create",
            "response.cancel",
        }
    ),
    "transcription": frozenset(
        {
            "session.update",
            "input_audio_buffer.append",
            "input_audio_buffer.commit",
            "input_audio_buffer.clear",
        }
    ),
    "translation": frozenset(
        {"session.update", "session.input_audio_buffer.append", "session.close"}
    ),
}
"""Client event types each session kind accepts (unknown future types pass unchecked)."""

OUTPUT_EVENTS: Final = (
    "response.output_item.added",
    "response.output_item.done",
    "response.content_part.added",
    "response.content_part.done",
    "response.output_audio.delta",
    "response.output_audio.done",
    "response.output_audio_transcript.delta",
    "response.output_audio_transcript.done",
    "response.output_text.delta",
    "response.output_text.done",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.mcp_call_arguments.delta",
    "response.mcp_call_arguments.done",
)
"""Server events that belong to a response in progress (they carry ``response_id``)."""
