"""Plain records the protocol core keeps: items, responses, the input buffer, pending events.

Imports: the standard library, :mod:`realtime_kit.errors` and ``protocol._tables``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from realtime_kit.errors import RemoteProtocolError
from realtime_kit.protocol._tables import ResponseState

__all__ = [
    "InputBuffer",
    "ItemRecord",
    "PendingEvent",
    "ResponseRecord",
    "ViolationLog",
    "b64_decoded_size",
]


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


class ViolationLog(Sequence[RemoteProtocolError]):
    """The server's protocol violations in one session: every one counted, the latest kept.

    A sequence of the most recent :attr:`max_samples` violations, oldest first (a misbehaving
    server can send millions; a long call must not keep them all), with :attr:`total` counting
    every one ever recorded.
    """

    __slots__ = ("_samples", "max_samples", "total")

    def __init__(self, max_samples: int = 100) -> None:
        self.max_samples = max_samples
        """How many of the latest violations are kept."""
        self.total = 0
        """How many violations were recorded in all (kept or not)."""
        self._samples: deque[RemoteProtocolError] | None = None  # allocated with the first

    def append(self, violation: RemoteProtocolError) -> None:
        """Record one violation (the oldest kept one goes once :attr:`max_samples` are kept)."""
        self.total += 1
        if self._samples is None:
            self._samples = deque(maxlen=self.max_samples)
        self._samples.append(violation)

    @property
    def dropped(self) -> int:
        """How many violations were counted but are no longer kept."""
        return self.total - len(self)

    def __len__(self) -> int:
        return len(self._samples) if self._samples is not None else 0

    def __iter__(self) -> Iterator[RemoteProtocolError]:
        return iter(self._samples or ())

    @overload
    def __getitem__(self, index: int) -> RemoteProtocolError: ...

    @overload
    def __getitem__(self, index: slice) -> list[RemoteProtocolError]: ...

    def __getitem__(self, index: int | slice) -> RemoteProtocolError | list[RemoteProtocolError]:
        samples = list(self._samples or ())
        return samples[index]

    def __repr__(self) -> str:
        return f"ViolationLog(total={self.total}, kept={len(self)})"
