"""The fake server's "brain": what the assistant says, which tools it calls, how it translates.

A :class:`Brain` gets a :class:`TurnContext` (the conversation so far, the tools on offer, the last
user text or tool result) and returns a :class:`Reply`: spoken/written text and/or function calls.
:class:`ScriptedBrain` is the deterministic default:

1. per-test scripts first — ``ScriptedBrain(script=[Reply(...), "plain text", ...])`` hands out one
   reply per response, in order;
2. then keyword tool triggers — ``tool_triggers={"weather": ToolCall("get_weather", {...})}``
   calls the tool when the user's words contain the keyword and the session offers the tool;
3. after a tool result, it reports the result ("Done: <output>");
   on gpt-realtime-2.x models a tool call of 2. comes after a short spoken preamble, as its own
   message in the same response (``tool_preamble``);
4. otherwise it answers ``default_reply`` (``"{text}"`` in it is replaced by what the user said).

A :class:`TextTranslator` turns source text into the target language for translation sessions;
:class:`ScriptedTranslator` uses a phrase table and otherwise tags the text with the language,
and carries the :class:`TranslationTiming` its sessions pace their output with.

Imports: the standard library only.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "DEFAULT_TOOL_PREAMBLE",
    "Brain",
    "Reply",
    "ScriptedBrain",
    "ScriptedTranslator",
    "TextTranslator",
    "ToolCall",
    "TranslationTiming",
    "TurnContext",
]


@dataclass(frozen=True)
class ToolCall:
    """A function call the assistant makes; ``arguments`` is a dict (sent as JSON) or a string."""

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)

    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(dict(self.arguments), separators=(",", ":"))


@dataclass(frozen=True)
class Reply:
    """What the assistant produces in one response.

    ``text`` is one assistant message (spoken or written); ``messages`` are several, each its own
    assistant item in the same response — gpt-realtime-2.x speaks a preamble ("Let me check.")
    and then the answer, or a preamble and then a tool call, that way. Give one or the other.
    The messages come first, in order, then ``tool_calls``.

    Raises:
        ValueError: both ``text`` and ``messages`` were given.
    """

    text: str | None = None
    tool_calls: Sequence[ToolCall] = ()
    messages: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.text is not None and self.messages:
            raise ValueError("give a Reply either text or messages, not both")
        if isinstance(self.messages, str):
            raise ValueError("Reply.messages is a sequence of texts, not one text")

    @property
    def all_messages(self) -> tuple[str, ...]:
        """Every assistant message of the reply, in order (``text`` counts as one)."""
        if self.text:
            return (self.text,)
        return tuple(m for m in self.messages if m)


@dataclass(frozen=True)
class TurnContext:
    """What the brain sees when a response starts.

    Attributes:
        user_text: the latest user words (typed text or the input transcript), "" if none.
        tool_output: the latest ``function_call_output`` when it is newer than any user turn.
        items: the response's input items as wire dicts (conversation, or the custom ``input``).
        tools: the tools offered (wire dicts).
        instructions: the effective instructions.
        tool_choice: the effective ``tool_choice``.
        mcp_tools: names of the MCP tools listed in the session (callable like functions).
        model: the session's model (``gpt-realtime-2``, …).
    """

    user_text: str
    tool_output: str | None
    items: Sequence[Mapping[str, Any]]
    tools: Sequence[Mapping[str, Any]]
    instructions: str
    tool_choice: Any = "auto"
    mcp_tools: Sequence[str] = ()
    model: str = ""


class Brain(Protocol):
    """Decides each response's content."""

    def reply(self, context: TurnContext) -> Reply:
        """The reply for a response that starts in ``context``."""
        ...


_PREAMBLE_MODELS = ("gpt-realtime-2",)  # gpt-realtime-2, -2.1, -2.1-mini
DEFAULT_TOOL_PREAMBLE = "Let me check that."


class ScriptedBrain:
    """Deterministic replies: scripts, keyword tool triggers, tool-result reports, a default.

    Args:
        script: replies handed out one per response, in order (``str`` is a text reply).
        tool_triggers: keyword (case-insensitive) → tool call; fires only when the session offers
            a function tool of that name (or ``tool_choice`` names it).
        default_reply: used when nothing else applies; ``{text}`` is the user's words.
        tool_preamble: what the assistant says before a triggered or forced tool call, as its own
            message in the same response. ``"auto"`` (default): "Let me check that." on
            gpt-realtime-2.x models (which speak such preambles), nothing on older ones; ``None``
            never; any other text always.
        func: instead of all of the above, a function of the context.
    """

    def __init__(
        self,
        script: Iterable[Reply | str] = (),
        *,
        tool_triggers: Mapping[str, ToolCall] | None = None,
        default_reply: str = "You said: {text}",
        tool_preamble: str | None = "auto",
        func: Callable[[TurnContext], Reply | str] | None = None,
    ) -> None:
        self._script: deque[Reply | str] = deque(script)
        self.tool_triggers = dict(tool_triggers or {})
        self.default_reply = default_reply
        self.tool_preamble = tool_preamble
        self._func = func
        self._lock = threading.Lock()

    def _calling(self, context: TurnContext, call: ToolCall) -> Reply:
        preamble = self.tool_preamble
        if preamble == "auto":
            preamble = DEFAULT_TOOL_PREAMBLE if context.model.startswith(_PREAMBLE_MODELS) else None
        return Reply(messages=(preamble,) if preamble else (), tool_calls=[call])

    def add(self, *replies: Reply | str) -> None:
        """Queue more scripted replies."""
        with self._lock:
            self._script.extend(replies)

    def reply(self, context: TurnContext) -> Reply:
        if self._func is not None:
            return _as_reply(self._func(context))
        with self._lock:
            if self._script:
                return _as_reply(self._script.popleft())
        if context.tool_output is not None:
            return Reply(text=f"Done: {context.tool_output}")
        offered = [t.get("name") for t in context.tools if t.get("type") == "function"]
        offered += list(context.mcp_tools)
        forced = _forced_tool(context.tool_choice, offered)
        if context.tool_choice != "none":
            words = context.user_text.lower()
            for keyword, call in self.tool_triggers.items():
                allowed = forced is None or forced == call.name
                if keyword.lower() in words and call.name in offered and allowed:
                    return self._calling(context, call)
        if forced is not None:
            # tool_choice "required" or a named function: the model must call a tool.
            known = [c for c in self.tool_triggers.values() if c.name == forced]
            return self._calling(context, known[0] if known else ToolCall(forced, {}))
        text = context.user_text.strip() or "nothing"
        return Reply(text=self.default_reply.replace("{text}", text))

    def __repr__(self) -> str:
        return f"ScriptedBrain(pending={len(self._script)}, triggers={sorted(self.tool_triggers)})"


def _forced_tool(tool_choice: Any, offered: Sequence[Any]) -> str | None:
    if tool_choice == "required" and offered:
        return str(offered[0])
    if isinstance(tool_choice, Mapping) and tool_choice.get("type") == "function":
        return str(tool_choice.get("name"))
    return None


def _as_reply(value: Reply | str) -> Reply:
    return Reply(text=value) if isinstance(value, str) else value


class TextTranslator(Protocol):
    """Translates source-language text for translation sessions."""

    def translate(self, text: str, target_language: str) -> str:
        """``text`` in ``target_language`` (ISO-639-1)."""
        ...


Translator = TextTranslator
"""The old name of :class:`TextTranslator` (``realtime_kit.Translator`` is the SDK's own)."""


@dataclass(frozen=True)
class TranslationTiming:
    """How a fake translation session paces its output (PROTOCOL.md §3.3, §5).

    Attributes:
        delay_ms: output lags its sentence by this much input: the first translated delta of a
            sentence is stamped ``elapsed_ms`` = where the sentence ended + ``delay_ms`` (on the
            200 ms grid, never past the input consumed), and on a paced server it is sent that
            much later.
        chunk_ms: lengths of the ``session.output_audio.delta`` chunks, cycled (variable, as
            the real service's are; at most 200 each keeps ``elapsed_ms`` moving one frame at a
            time).
        languages: the output languages the server accepts (``session.update`` with another
            is refused with ``invalid_value``); None accepts any.
    """

    delay_ms: int = 400
    chunk_ms: tuple[int, ...] = (160, 200, 120, 200, 180)
    languages: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.delay_ms < 0 or not self.chunk_ms or min(self.chunk_ms) <= 0:
            raise ValueError("delay_ms must be >= 0 and chunk_ms positive lengths")


class ScriptedTranslator:
    """Phrase-table translation: exact phrases from ``table``, else ``"[<lang>] <text>"``.

    One instance serves every translation session of a server (each call is recorded in
    :attr:`calls`, thread-safely), so concurrent sessions share one script.

    Args:
        table: ``{(text, language): translation}`` or ``{text: translation}`` (any language).
        timing: how sessions pace and stamp the output (:class:`TranslationTiming`).
    """

    def __init__(
        self, table: Mapping[Any, str] | None = None, *, timing: TranslationTiming | None = None
    ) -> None:
        self.table = dict(table or {})
        self.timing = timing or TranslationTiming()
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def translate(self, text: str, target_language: str) -> str:
        with self._lock:
            self.calls.append((text, target_language))
        for key in ((text, target_language), text):
            if key in self.table:
                return str(self.table[key])
        return f"[{target_language}] {text}"

    def __repr__(self) -> str:
        return f"ScriptedTranslator(entries={len(self.table)}, timing={self.timing})"
