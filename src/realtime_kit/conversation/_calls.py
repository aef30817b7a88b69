"""The data of one tool call: what the model asked for, what the tool sees, what came out.

* :class:`ToolCallRequest` — a ``function_call`` from the model (call id, name, raw arguments);
* :class:`ToolContext` — handed to a tool that declares a parameter annotated ``ToolContext``;
* :class:`ToolOutcome` and :class:`ToolResult` — the typed record of a finished call: the output
  string the model gets, the outcome, the timing, and the exception (for the app only).

Imports: the standard library, ``realtime_kit.events`` (the item models), ``realtime_kit.errors``.
"""

from __future__ import annotations

import enum
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from realtime_kit.errors import RemoteProtocolError
from realtime_kit.events import (
    FunctionCallItem,
    FunctionCallOutputItem,
    ResponseFunctionCallArgumentsDoneEvent,
)

__all__ = [
    "ToolCallRequest",
    "ToolContext",
    "ToolOutcome",
    "ToolResult",
    "describe_exception",
    "looks_like_credential",
    "redact_secrets",
]

_SECRET = re.compile(
    r"(?P<key>\b(?:sk|ek)[-_][A-Za-z0-9_\-]{12,})"  # API keys and ephemeral client secrets
    r"|(?P<scheme>\b(?:Bearer|Basic)\s+)(?P<token>[A-Za-z0-9._~+/=\-]+)"  # authorization values
    r"|(?<=://)(?P<userinfo>[^/\s:@]+:[^/\s@]+)(?=@)"  # user:password in a URL
    r"|(?P<name>(?i:\b(?:api[_-]?key|access[_-]?token|auth[_-]?token|token|secret|password|passwd)"
    r"[\"']?\s*[=:]\s*[\"']?))(?P<value>[^\s&;,\"'}]+)"  # key=value, "key": "value"
)
# The unmistakable ones alone: an API key, an authorization value, a password in a URL.
_CREDENTIAL = re.compile(
    r"\b(?:sk|ek)[-_][A-Za-z0-9_\-]{12,}|\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=\-]{8,}"
    r"|://[^/\s:@]+:[^/\s@]+@"
)
_REDACTED = "[redacted]"
_MAX_ERROR_CHARS = 500


def redact_secrets(text: str) -> str:
    """``text`` with every credential-looking token (API keys, bearer tokens, URL passwords,
    ``password=…``-style values) replaced by ``[redacted]``."""
    return _SECRET.sub(_redacted_match, text)


def looks_like_credential(text: str) -> bool:
    """Whether ``text`` holds an API key, an authorization value or a password in a URL."""
    return _CREDENTIAL.search(text) is not None


def _redacted_match(match: re.Match[str]) -> str:
    if match.group("scheme") is not None:
        return match.group("scheme") + _REDACTED
    if match.group("name") is not None:
        return match.group("name") + _REDACTED
    return _REDACTED


def describe_exception(exc: BaseException) -> str:
    """``"TypeName: message"`` for the model and the log: one line, credentials redacted, capped
    at 500 characters. Never a traceback."""
    try:
        raw = str(exc)
    except Exception:  # noqa: BLE001 (a broken __str__ must not crash the caller)
        raw = "<message could not be read>"
    # Redact before capping (a cut key would no longer match); a key long enough to cross the
    # pre-cap is still matched by its first characters, which are all that can be shown.
    message = " ".join(raw[: _MAX_ERROR_CHARS * 8].split())
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    text = redact_secrets(text)
    if len(text) > _MAX_ERROR_CHARS:
        text = text[: _MAX_ERROR_CHARS - 1] + "…"
    return text


@dataclass(frozen=True, slots=True)
class ToolCallRequest:
    """A function call the model made: ``call_id``, the tool ``name`` and the raw JSON
    ``arguments`` string, plus where it came from when known (``item_id``, ``response_id``)."""

    call_id: str
    name: str
    arguments: str
    item_id: str | None = None
    response_id: str | None = None

    @classmethod
    def from_event(cls, event: ResponseFunctionCallArgumentsDoneEvent) -> ToolCallRequest:
        """The request carried by ``response.function_call_arguments.done``."""
        return cls(
            call_id=event.call_id,
            name=event.name,
            arguments=event.arguments,
            item_id=event.item_id,
            response_id=event.response_id,
        )

    @classmethod
    def from_item(
        cls, item: FunctionCallItem, *, response_id: str | None = None
    ) -> ToolCallRequest:
        """The request held by a ``function_call`` item (e.g. from ``response.done`` output).

        The server always gives a ``call_id``; an item without one falls back to its ``id``.
        """
        call_id = item.call_id or item.id
        if call_id is None:
            raise RemoteProtocolError(
                "a function_call item without call_id or id cannot be answered"
            )
        return cls(
            call_id=call_id,
            name=item.name,
            arguments=item.arguments,
            item_id=item.id,
            response_id=response_id,
        )


@dataclass(frozen=True, slots=True, eq=False)
class ToolContext:
    """What a tool may know about the call it serves; declare a parameter annotated
    ``ToolContext`` (any name) to receive it. It is never part of the schema.

    ``extras`` is a read-only mapping the Conversation fills (for instance ``"conversation"``).
    ``cancelled`` turns true when the call is given up (timeout or interruption): an ``async``
    tool is cancelled outright, but a synchronous tool runs in a thread nobody can stop, so a
    long one should poll ``cancelled`` (or sleep with :meth:`wait_cancelled`) and return early.
    """

    call: ToolCallRequest
    extras: Mapping[str, Any] = field(default_factory=dict)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.extras, MappingProxyType):
            object.__setattr__(self, "extras", MappingProxyType(dict(self.extras)))

    @property
    def call_id(self) -> str:
        """The call being served."""
        return self.call.call_id

    @property
    def name(self) -> str:
        """The tool's name as the model called it."""
        return self.call.name

    @property
    def arguments(self) -> str:
        """The raw arguments string exactly as the model sent it."""
        return self.call.arguments

    @property
    def cancelled(self) -> bool:
        """True once the call was given up (timeout, interruption, conversation closing)."""
        return self._cancel.is_set()

    def wait_cancelled(self, timeout: float | None = None) -> bool:
        """Block the calling *thread* up to ``timeout`` seconds for the cancellation; returns
        :attr:`cancelled`. Meant for synchronous tools (an interruptible ``time.sleep``); an
        ``async`` tool is cancelled by the event loop instead and must not call this."""
        return self._cancel.wait(timeout)

    def cancel(self) -> None:
        """Mark the call cancelled (the runner does this; a tool has no reason to)."""
        self._cancel.set()


class ToolOutcome(enum.StrEnum):
    """How a tool call ended."""

    OK = "ok"
    """The tool returned and its result was serialised."""
    ERROR = "error"
    """The tool (or its approval check) raised; the model got the exception's type and message."""
    TIMEOUT = "timeout"
    """The tool ran past its timeout and was stopped (a thread may run on: see the result)."""
    DENIED = "denied"
    """Approval was refused (or no approval hook was there to ask)."""
    CANCELLED = "cancelled"
    """Cancelled because the user interrupted (``on_interrupt="cancel"``)."""
    INVALID_ARGUMENTS = "invalid_arguments"
    """The model's arguments did not fit the schema; the tool did not run."""
    UNSERIALISABLE = "unserialisable"
    """The tool returned a value that cannot be written as the output string."""
    UNKNOWN_TOOL = "unknown_tool"
    """The model called a name the tool set does not have."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    """The typed record of one finished tool call.

    ``output`` is the string the model gets (``function_call_output.output``); ``value`` is what
    the tool returned (``None`` when it did not return); ``exception`` is for the app only and
    never reaches the model beyond its type and message. ``started``/``finished`` come from the
    tool set's clock (seconds; only differences matter).
    """

    call_id: str
    name: str
    arguments: str
    outcome: ToolOutcome
    output: str
    started: float
    finished: float
    value: Any = None
    exception: BaseException | None = None
    thread_abandoned: bool = False
    """A synchronous tool's worker thread was still running when the call was given up."""

    @property
    def ok(self) -> bool:
        """True when the tool ran and its result went to the model."""
        return self.outcome is ToolOutcome.OK

    @property
    def duration(self) -> float:
        """Seconds from the start of the call (approval included) to its result."""
        return self.finished - self.started

    def output_item(self) -> FunctionCallOutputItem:
        """The ``function_call_output`` item to send with ``conversation.item.create``."""
        return FunctionCallOutputItem(call_id=self.call_id, output=self.output)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record for logs: no exception object, only its redacted description."""
        return {
            "call_id": self.call_id,
            "name": self.name,
            "arguments": self.arguments,
            "outcome": self.outcome.value,
            "output": self.output,
            "started": self.started,
            "finished": self.finished,
            "duration": self.duration,
            "error": None if self.exception is None else describe_exception(self.exception),
            "thread_abandoned": self.thread_abandoned,
        }
