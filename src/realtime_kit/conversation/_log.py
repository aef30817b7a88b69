"""``ConversationLog``: one ordered record of a conversation, across reconnects.

Entries are in *spoken order*: each item goes where the server's item chain
(``previous_item_id``) puts it, so a user turn whose transcript arrives late is still before
the reply it caused. Assistant turns keep both what the model generated and what the listener
heard (an interrupted turn's ``text`` is the heard part). Tool calls carry arguments, output,
status and timing; responses carry usage, dollars and latency. Nothing is ever removed: an item
deleted on the server (say, a message nobody heard) stays, marked ``deleted``.

The log is plain data: :meth:`ConversationLog.to_dict` / :meth:`from_dict` round-trip it as
JSON, and :meth:`ConversationLog.seed_items` turns it into the items a new session can be given
(text only: audio cannot be inserted into a conversation by a client).

Imports: the standard library and ``errors``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Final, Literal, TypeAlias

from realtime_kit.errors import ConfigurationError

__all__ = [
    "AssistantTurn",
    "ConversationLog",
    "LogEntry",
    "MessageEntry",
    "ResponseSummary",
    "ToolCallEntry",
    "UserTurn",
]

LOG_VERSION: Final = 1


@dataclass(slots=True)
class UserTurn:
    """Something the user said (or typed)."""

    item_id: str
    text: str = ""
    final: bool = False
    failed: bool = False
    spoken: bool = True
    audio_start_ms: int | None = None
    audio_end_ms: int | None = None
    started_at: float | None = None
    stopped_at: float | None = None
    kind: Literal["user"] = "user"


@dataclass(slots=True)
class AssistantTurn:
    """One assistant message item. ``text`` is what the listener heard."""

    item_id: str
    response_id: str | None = None
    text: str = ""
    generated_text: str = ""
    interrupted: bool = False
    heard_ms: int | None = None
    audio_ms: int = 0
    deleted: bool = False
    out_of_band: bool = False
    done: bool = False
    kind: Literal["assistant"] = "assistant"


@dataclass(slots=True)
class ToolCallEntry:
    """A function call the model made and what came of it."""

    item_id: str
    call_id: str
    name: str
    arguments: str = ""
    response_id: str | None = None
    status: str = "pending"
    output: str | None = None
    output_item_id: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    kind: Literal["tool_call"] = "tool_call"

    @property
    def duration_s(self) -> float | None:
        """Seconds the tool ran, once it finished."""
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


@dataclass(slots=True)
class MessageEntry:
    """A text item the app inserted (a system note, a typed user message, a seeded turn)."""

    item_id: str
    role: str
    text: str
    kind: Literal["message"] = "message"


LogEntry: TypeAlias = UserTurn | AssistantTurn | ToolCallEntry | MessageEntry


@dataclass(slots=True)
class ResponseSummary:
    """One response: how it ended, what it used and cost, how fast it came."""

    response_id: str
    status: str = "in_progress"
    reason: str | None = None
    out_of_band: bool = False
    item_ids: list[str] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    cost_usd: str | None = None
    user_item_id: str | None = None
    to_first_audio_s: float | None = None
    to_first_heard_s: float | None = None
    tool_time_s: float = 0.0


_KINDS: Final[dict[str, type[Any]]] = {
    "user": UserTurn,
    "assistant": AssistantTurn,
    "tool_call": ToolCallEntry,
    "message": MessageEntry,
}


class ConversationLog:
    """The conversation in spoken order. Read :attr:`entries`; see the module docstring."""

    def __init__(self) -> None:
        self._entries: dict[str, LogEntry] = {}
        # Item ids in server order. A function_call_output item holds its place here too (it is
        # shown inside its call's entry, not as an entry): an item the server puts after an
        # output must land after the output, not after the call, which may be far earlier.
        self._order: list[str] = []
        self._outputs: dict[str, str] = {}  # function_call_output item id → function_call item id
        self._by_call: dict[str, str] = {}  # call_id → function_call item id
        self.responses: dict[str, ResponseSummary] = {}
        """Every response seen, by id, in the order they started."""

    # -- reading -----------------------------------------------------------------------------

    @property
    def entries(self) -> list[LogEntry]:
        """All entries in spoken order."""
        return [self._entries[key] for key in self._order if key in self._entries]

    def __iter__(self) -> Iterator[LogEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, item_id: str) -> LogEntry | None:
        """The entry of an item (a function_call_output item finds its call's entry)."""
        key = self._outputs.get(item_id, item_id)
        return self._entries.get(key)

    def position(self, item_id: str) -> int:
        """Index of an item in spoken order (-1 when unknown)."""
        key = self._outputs.get(item_id, item_id)
        entry = self._entries.get(key)
        if entry is None:
            return -1
        return self.entries.index(entry)

    def tool_call(self, call_id: str) -> ToolCallEntry | None:
        """The entry of a tool call by its ``call_id``."""
        key = self._by_call.get(call_id)
        entry = self._entries.get(key) if key is not None else None
        return entry if isinstance(entry, ToolCallEntry) else None

    def turns(self) -> list[UserTurn | AssistantTurn]:
        """Spoken turns only, in order (assistant turns nobody heard left out)."""
        return [
            e
            for e in self.entries
            if isinstance(e, UserTurn)
            or (isinstance(e, AssistantTurn) and not e.deleted and not e.out_of_band)
        ]

    @property
    def total_cost_usd(self) -> Decimal:
        """Dollars of all responses that reported a cost."""
        return sum(
            (Decimal(r.cost_usd) for r in self.responses.values() if r.cost_usd is not None),
            Decimal(0),
        )

    def transcript(self) -> str:
        """A readable two-sided transcript ("User: …" / "Assistant: …"), heard words only."""
        lines: list[str] = []
        for entry in self.turns():
            who = "User" if isinstance(entry, UserTurn) else "Assistant"
            text = entry.text.strip()
            if isinstance(entry, AssistantTurn) and entry.interrupted and text:
                text += " —"  # (a message heard for 0 ms has no words: no line at all)
            if text:
                lines.append(f"{who}: {text}")
        return "\n".join(lines)

    # -- writing (the conversation engine calls these) ----------------------------------------

    def place(
        self, entry: LogEntry, previous_item_id: str | None, *, explicit: bool = False
    ) -> LogEntry:
        """Insert ``entry`` after ``previous_item_id`` (or at the end); an existing id is kept."""
        existing = self._entries.get(entry.item_id)
        if existing is not None:
            return existing
        self._entries[entry.item_id] = entry
        self._insert(entry.item_id, previous_item_id, explicit)
        if isinstance(entry, ToolCallEntry):
            self._by_call[entry.call_id] = entry.item_id
        return entry

    def _insert(self, item_id: str, previous_item_id: str | None, explicit: bool) -> None:
        # previous_item_id says where the server put the item when it was added: right after
        # that item (anything that followed it then comes after the new one), or first (null).
        if previous_item_id is not None and previous_item_id in self._order:
            self._order.insert(self._order.index(previous_item_id) + 1, item_id)
        elif previous_item_id is None and explicit and self._order:
            self._order.insert(0, item_id)
        else:
            self._order.append(item_id)

    def link_output(
        self,
        output_item_id: str,
        call_id: str,
        previous_item_id: str | None = None,
        *,
        explicit: bool = False,
    ) -> ToolCallEntry | None:
        """Attach a ``function_call_output`` item to its call's entry (and note where the
        server put the output item, for the items that come after it)."""
        entry = self.tool_call(call_id)
        if entry is not None:
            entry.output_item_id = output_item_id
            self._outputs[output_item_id] = entry.item_id
            if output_item_id not in self._order:
                self._insert(output_item_id, previous_item_id, explicit)
        return entry

    def response(self, response_id: str) -> ResponseSummary:
        """The summary of a response (created on first use)."""
        summary = self.responses.get(response_id)
        if summary is None:
            summary = self.responses[response_id] = ResponseSummary(response_id)
        return summary

    # -- export, import, seeding -------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``version``, ``entries`` in order, ``responses``)."""
        return {
            "version": LOG_VERSION,
            "entries": [asdict(e) for e in self.entries],
            "responses": [asdict(r) for r in self.responses.values()],
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """The log as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConversationLog:
        """Rebuild a log from :meth:`to_dict` output.

        Raises:
            ConfigurationError: not a conversation log, a newer version, or a malformed entry.
        """
        if not isinstance(data, Mapping) or "entries" not in data:
            raise ConfigurationError("not a conversation log: no 'entries'")
        version = data.get("version")
        if not isinstance(version, int) or version > LOG_VERSION:
            raise ConfigurationError(
                f"conversation log version {version!r} is not supported (this SDK reads up to "
                f"{LOG_VERSION}); upgrade realtime-kit"
            )
        log = cls()
        for raw in data["entries"]:
            if not isinstance(raw, Mapping) or raw.get("kind") not in _KINDS:
                raise ConfigurationError(f"malformed conversation log entry: {str(raw)[:80]!r}")
            entry_cls = _KINDS[str(raw["kind"])]
            try:
                entry = entry_cls(
                    **{k: v for k, v in raw.items() if k in entry_cls.__dataclass_fields__}
                )
            except TypeError as exc:
                raise ConfigurationError(f"malformed conversation log entry: {exc}") from None
            log.place(entry, None)
            if isinstance(entry, ToolCallEntry) and entry.output_item_id:
                log._outputs[entry.output_item_id] = entry.item_id
        for raw in data.get("responses", []):
            if isinstance(raw, Mapping) and isinstance(raw.get("response_id"), str):
                fields = ResponseSummary.__dataclass_fields__
                log.responses[raw["response_id"]] = ResponseSummary(
                    **{k: v for k, v in raw.items() if k in fields}
                )
        return log

    @classmethod
    def from_json(cls, text: str) -> ConversationLog:
        """Rebuild a log from :meth:`to_json` output (see :meth:`from_dict`)."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigurationError(f"conversation log is not JSON: {exc}") from None
        return cls.from_dict(data)

    def seed_items(self) -> list[dict[str, Any]]:
        """Items that give a new session this conversation's history, oldest first.

        What the API allows a client to insert: user turns as ``input_text`` (their
        transcripts), assistant turns as ``output_text`` (the words heard, not the unheard
        rest), finished tool calls as ``function_call`` + ``function_call_output`` pairs, and
        inserted text messages. Not carried: audio (a client cannot insert assistant audio),
        turns without a transcript, deleted or out-of-band output, and unfinished tool calls.
        """
        items: list[dict[str, Any]] = []
        for entry in self.entries:
            if isinstance(entry, UserTurn):
                if entry.text.strip():
                    items.append(_message("user", "input_text", entry.text))
            elif isinstance(entry, AssistantTurn):
                if entry.deleted or entry.out_of_band or not entry.text.strip():
                    continue
                items.append(_message("assistant", "output_text", entry.text))
            elif isinstance(entry, ToolCallEntry):
                if entry.output is None:
                    continue
                items.append(
                    {
                        "type": "function_call",
                        "call_id": entry.call_id,
                        "name": entry.name,
                        "arguments": entry.arguments or "{}",
                    }
                )
                items.append(
                    {
                        "type": "function_call_output",
                        "call_id": entry.call_id,
                        "output": entry.output,
                    }
                )
            elif entry.text.strip():
                part = "output_text" if entry.role == "assistant" else "input_text"
                items.append(_message(entry.role, part, entry.text))
        return items


def _message(role: str, part: str, text: str) -> dict[str, Any]:
    return {"type": "message", "role": role, "content": [{"type": part, "text": text}]}
