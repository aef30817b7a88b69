"""Plain records the protocol core keeps: items, responses, the input buffer, pending events.

Imports: the standard library, :mod:`realtime_kit.events` and ``protocol._tables``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from realtime_kit.protocol._tables import ResponseState

__all__ = ["InputBuffer", "ItemRecord", "PendingEvent", "ResponseRecord", "b64_decoded_size"]


def b64_decoded_size(data: str) -> int:
    """Decoded length of standard base64 text, without decoding it."""
    size = len(data)
    if size < 2:
        return 0
    return size * 3 // 4 - (data[-1] == "=") - (data[-2] == "=")


@dataclass(slots=True)
class ItemRecord:
    """One conversation item as the server last described it.

    ``item`` is the item's JSON (unknown fields kept); ``texts`` maps a content index to the
    final text of that part (typed text, or the transcript of user or assistant audio);
    ``audio_ms`` maps a content index to the milliseconds of assistant audio received;
    ``truncated_ms`` is set once the server confirmed a truncation.
    """

    id: str
    item: dict[str, Any]
    previous_item_id: str | None = None
    done: bool = False
    texts: dict[int, str] = field(default_factory=dict)
    audio_bytes: dict[int, int] = field(default_factory=dict)
    audio_ms: dict[int, float] = field(default_factory=dict)
    truncated_ms: int | None = None
    response_id: str | None = None
    partial: dict[int, str] = field(default_factory=dict)
    """User transcripts still growing (deltas so far), by content index."""

    @property
    def type(self) -> str:
        """``message``, ``function_call``, ..."""
        return str(self.item.get("type", ""))

    @property
    def role(self) -> str | None:
        """``user``, ``assistant`` or ``system`` for messages."""
        role = self.item.get("role")
        return role if isinstance(role, str) else None


@dataclass(slots=True)
class ResponseRecord:
    """A response and where it is in its lifecycle (see ``_tables.RESPONSE_TRANSITIONS``)."""

    id: str | None
    state: ResponseState
    out_of_band: bool = False
    request_event_id: str | None = None
    output_item_ids: list[str] = field(default_factory=list)
    status_details: dict[str, Any] | None = None


@dataclass(slots=True)
class InputBuffer:
    """What the client appended that the server has not yet turned into an item."""

    bytes_since_commit: int = 0
    bytes_total: int = 0
    speaking: bool = False
    commits: int = 0


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """A client event that went out with an ``event_id``, kept to explain a later ``error``."""

    event_id: str
    type: str
    sequence: int
    summary: dict[str, Any]
