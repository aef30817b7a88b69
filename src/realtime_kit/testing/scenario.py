"""Scenarios: a voice agent, a scripted model, a simulated caller's turns, and what to expect.

A scenario is a TOML file (or a dict of the same shape) that :func:`~realtime_kit.testing.
runner.run_scenario` plays offline against the fake server::

    name = "weather line"

    [agent]                              # the Conversation under test
    instructions = "You are the weather line. Be brief."
    tools = ["get_weather"]              # a name from run_scenario(tools=...), "pkg.mod:func"
                                         # or "file.py:func" (next to this file)
    [[model.replies]]                    # the fake model (a ScriptedBrain), reply by reply
    messages = ["Let me check."]         # a preamble (a message of its own), then a tool call
    tool_calls = [{ name = "get_weather", arguments = { city = "Paris" } }]

    [[model.replies]]
    text = "It is sunny and 21 degrees in Paris."

    [[turns]]                            # the caller, in order
    say = "What is the weather in Paris?"
    expect.tool_calls = [{ name = "get_weather", arguments = { city = "Paris" } }]
    expect.says = ["sunny"]

    [[turns]]
    say = "Thanks, bye."
    barge_in_after_ms = 1500             # talk over the agent once 1.5 s of it was heard

    [expect]                             # about the whole call
    max_cost_usd = 0.05
    max_latency_ms = 2000                # every turn: caller stopped → first agent audio
    interruptions = 1

Every mistake in the file is one :class:`~realtime_kit.errors.ConfigurationError` naming the
file, the place and the key.

Imports: the standard library (tomllib), ``errors``, and the sibling ``brain`` module.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from realtime_kit.errors import ConfigurationError
from realtime_kit.testing._scenario_read import Table, fail
from realtime_kit.testing.brain import Reply, ScriptedBrain, ToolCall

__all__ = [
    "AgentSpec",
    "Expectations",
    "ModelSpec",
    "Scenario",
    "ToolCallExpectation",
    "TurnSpec",
    "UserSpec",
]

# Conversation keywords a scenario may set under [agent], and what each must be.
_AGENT_OPTIONS: dict[str, tuple[tuple[type, ...], str]] = {
    "speed": ((int, float), "a number"),
    "tool_choice": ((str, Mapping), "a string or a table"),
    "parallel_tool_calls": ((bool,), "true or false"),
    "turn_detection": ((str, Mapping), '"server_vad", "semantic_vad", "none" or a table'),
    "input_transcription": ((str, Mapping), 'a model name, "none" or a table'),
    "noise_reduction": ((str, Mapping), "a string or a table"),
    "reasoning_effort": ((str,), "a string"),
    "max_output_tokens": ((int, str), 'a whole number or "inf"'),
    "truncation": ((str, Mapping), "a string or a table"),
    "output_modalities": ((list,), "a list of strings"),
    "tool_timeout": ((int, float), "a number of seconds"),
    "transcript_hold_s": ((int, float), "a number of seconds"),
    "budget_usd": ((int, float), "a number of dollars"),
    "prompt": ((Mapping,), "a table"),
    "session": ((Mapping,), "a table"),
}


@dataclass(frozen=True)
class ToolCallExpectation:
    """A tool the agent must call; ``arguments`` must be contained in the call's (a subset)."""

    name: str
    arguments: Mapping[str, Any] | None = None

    def describe(self) -> str:
        """``calls get_weather with {"city": "Paris"}``."""
        if not self.arguments:
            return f"calls {self.name}"
        return f"calls {self.name} with {json.dumps(dict(self.arguments), ensure_ascii=False)}"


@dataclass(frozen=True)
class Expectations:
    """What must hold, for one turn (``[turns.expect]``) or the whole call (``[expect]``).

    Attributes:
        tool_calls: tools the agent calls (name, and a subset of the arguments).
        never_calls: tools the agent must not call.
        says: phrases the caller hears the agent say (case, punctuation and spacing ignored;
            whole words).
        never_says: phrases the agent must not say, heard or not.
        max_latency_ms: caller stopped talking → first agent audio, at most (per turn).
        interrupted: (a turn) whether the caller's speech cuts the agent off.
        max_cost_usd: (the call) dollars, at most.
        interruptions: (the call) how many times the agent is cut off, exactly.
    """

    tool_calls: tuple[ToolCallExpectation, ...] = ()
    never_calls: tuple[str, ...] = ()
    says: tuple[str, ...] = ()
    never_says: tuple[str, ...] = ()
    max_latency_ms: float | None = None
    interrupted: bool | None = None
    max_cost_usd: Decimal | None = None
    interruptions: int | None = None

    @property
    def empty(self) -> bool:
        """Whether nothing is expected."""
        return self == Expectations()


@dataclass(frozen=True)
class AgentSpec:
    """The agent under test: its model, instructions, voice, tools and other options.

    ``tools`` are names (looked up in ``run_scenario(tools=...)``) or import paths
    (``package.module:function``, or ``file.py:function`` relative to the scenario file).
    ``options`` are further :class:`~realtime_kit.Conversation` keyword arguments.
    """

    model: str = "gpt-realtime-2"
    instructions: str | None = None
    voice: str | None = None
    tools: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class ModelSpec:
    """The fake model's behaviour, as :class:`~realtime_kit.testing.ScriptedBrain` takes it."""

    replies: tuple[Reply, ...] = ()
    tool_triggers: Mapping[str, ToolCall] = field(default_factory=lambda: MappingProxyType({}))
    default_reply: str = "You said: {text}"
    tool_preamble: str | None = "auto"
    """Said before a triggered tool call (``"auto"``: as gpt-realtime-2.x does; None: never)."""

    def brain(self) -> ScriptedBrain:
        """A fresh brain with this behaviour (one per run: it consumes its replies)."""
        return ScriptedBrain(
            self.replies,
            tool_triggers=dict(self.tool_triggers),
            default_reply=self.default_reply,
            tool_preamble=self.tool_preamble,
        )


@dataclass(frozen=True)
class UserSpec:
    """How the simulated caller behaves.

    Attributes:
        pace: ``"fast"`` (speech is sent as fast as possible) or ``"realtime"`` (at speaking
            pace, in real time).
        trailing_silence_ms: silence after each turn (default: from the session's VAD).
        listener_latency_ms: the caller's device output latency.
        reply_timeout_s: real seconds to wait for the agent before the run fails.
    """

    pace: Literal["fast", "realtime"] = "fast"
    trailing_silence_ms: float | None = None
    listener_latency_ms: float = 0.0
    reply_timeout_s: float = 30.0


@dataclass(frozen=True)
class TurnSpec:
    """One turn of the caller.

    Attributes:
        say: the words (synthesized; the fake server's recognizer hears them exactly).
        wav: a WAV file to play instead (relative paths are relative to the scenario file).
        text: what the fake recognizer hears in the WAV file (default ``[speech]``).
        pause_before_ms: the caller waits this long after the agent finished before talking.
        barge_in_after_ms: the caller talks over the agent once it heard this much of it.
        trailing_silence_ms: override the silence that ends this turn.
        expect: what must hold for this turn and the agent's reply to it.
    """

    say: str | None = None
    wav: Path | None = None
    text: str | None = None
    pause_before_ms: float = 0.0
    barge_in_after_ms: float | None = None
    trailing_silence_ms: float | None = None
    expect: Expectations = field(default_factory=Expectations)

    def describe(self) -> str:
        """What the caller says, for reports."""
        if self.say is not None:
            return self.say
        return f"[{self.wav.name if self.wav else 'audio'}]" + (
            f" {self.text}" if self.text else ""
        )


@dataclass(frozen=True)
class Scenario:
    """A whole scenario (see the module docstring); build it with :meth:`load` or
    :meth:`from_dict`, run it with :func:`~realtime_kit.testing.runner.run_scenario`."""

    name: str
    turns: tuple[TurnSpec, ...]
    agent: AgentSpec = field(default_factory=AgentSpec)
    model: ModelSpec = field(default_factory=ModelSpec)
    user: UserSpec = field(default_factory=UserSpec)
    expect: Expectations = field(default_factory=Expectations)
    description: str = ""
    base_dir: Path | None = None
    """Where relative paths (WAV files, ``file.py`` tools) are resolved."""
    source: str = "scenario"
    """The file name (or ``scenario``), used in messages."""

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Scenario:
        """Read a TOML scenario file.

        Raises:
            ConfigurationError: the file is missing, is not TOML, or has a mistake.
        """
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"cannot read scenario {str(file)!r}: {exc}") from exc
        return cls.from_toml(text, base_dir=file.resolve().parent, source=file.name)

    @classmethod
    def from_toml(
        cls, text: str, *, base_dir: str | os.PathLike[str] | None = None, source: str = "scenario"
    ) -> Scenario:
        """Parse TOML text (see :meth:`from_dict`)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise fail(source, "", f"not valid TOML: {exc}") from None
        default_name = Path(source).stem if source != "scenario" else "scenario"
        return cls.from_dict(data, base_dir=base_dir, source=source, default_name=default_name)

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        base_dir: str | os.PathLike[str] | None = None,
        source: str = "scenario",
        default_name: str = "scenario",
    ) -> Scenario:
        """Build a scenario from a dict shaped like the TOML file.

        Raises:
            ConfigurationError: a missing key, a value of the wrong type, an unknown key.
        """
        root = Table(data, source, "")
        base = Path(base_dir) if base_dir is not None else None
        name = root.text("name", default_name)
        description = root.raw("description", "")
        if not isinstance(description, str):
            raise root.error("description", "must be a string")
        agent = _agent(root.table("agent"))
        model = _model(root.table("model"))
        user = _user(root.table("user"))
        turns = tuple(_turn(t, base) for t in root.tables("turns", "turn"))
        expect = _expectations(root.table("expect"), scope="call")
        root.finish()
        if not turns:
            raise fail(source, "", "needs at least one [[turns]] table (what the caller says)")
        if turns[0].barge_in_after_ms is not None:
            raise fail(
                source,
                "turn 1",
                "barge_in_after_ms needs an agent reply to talk over; the first turn has none",
            )
        return cls(name, turns, agent, model, user, expect, description, base, source)


def _agent(table: Table | None) -> AgentSpec:
    if table is None:
        return AgentSpec()
    model = table.text("model", "gpt-realtime-2")
    instructions = table.text("instructions", None)
    voice = table.text("voice", None)
    tools = table.texts("tools")
    options: dict[str, Any] = {}
    for key, (types, description) in _AGENT_OPTIONS.items():
        if not table.has(key):
            continue
        value = table.raw(key)
        bad_bool = isinstance(value, bool) and bool not in types
        if bad_bool or not isinstance(value, types):
            raise table.error(key, f"must be {description}, not {value!r}")
        options[key] = value
    table.finish()
    return AgentSpec(model, instructions, voice, tools, MappingProxyType(options))


def _tool_call(table: Table) -> ToolCall:
    name = table.text("name")
    arguments = table.raw("arguments", {})
    if not isinstance(arguments, (Mapping, str)):
        raise table.error("arguments", f"must be a table or a JSON string, not {arguments!r}")
    table.finish()
    return ToolCall(name, dict(arguments) if isinstance(arguments, Mapping) else arguments)


def _model(table: Table | None) -> ModelSpec:
    if table is None:
        return ModelSpec()
    replies: list[Reply] = []
    raw = table.raw("replies", [])
    if not isinstance(raw, (list, tuple)):
        raise table.error("replies", "must be a list of strings or tables")
    for number, value in enumerate(raw, start=1):
        if isinstance(value, str):
            replies.append(Reply(text=value))
            continue
        reply = Table(value, table.source, f"model.replies[{number}]")
        text = reply.text("text", None)
        messages = reply.texts("messages")
        calls = tuple(_tool_call(t) for t in reply.tables("tool_calls"))
        reply.finish()
        if text is not None and messages:
            raise reply.error(None, "gives 'text' and 'messages': one or the other")
        if text is None and not messages and not calls:
            raise reply.error(None, "needs 'text', 'messages' or 'tool_calls'")
        replies.append(Reply(text=text, tool_calls=calls, messages=messages))
    triggers: dict[str, ToolCall] = {}
    trigger_table = table.table("tool_triggers")
    if trigger_table is not None:
        for keyword in trigger_table.names():
            sub = trigger_table.table(keyword)
            assert sub is not None
            triggers[keyword] = _tool_call(sub)
        trigger_table.finish()
    default_reply = table.text("default_reply", "You said: {text}")
    preamble = table.raw("tool_preamble", "auto")
    if preamble is not False and (not isinstance(preamble, str) or not preamble.strip()):
        raise table.error("tool_preamble", f'must be "auto", a text or false, not {preamble!r}')
    table.finish()
    return ModelSpec(tuple(replies), MappingProxyType(triggers), default_reply, preamble or None)


def _user(table: Table | None) -> UserSpec:
    if table is None:
        return UserSpec()
    pace = table.text("pace", "fast")
    if pace not in ("fast", "realtime"):
        raise table.error("pace", f'must be "fast" or "realtime", not {pace!r}')
    spec = UserSpec(
        pace=pace,
        trailing_silence_ms=table.number("trailing_silence_ms", None, unit="milliseconds"),
        listener_latency_ms=table.number("listener_latency_ms", 0.0, unit="milliseconds"),
        reply_timeout_s=table.number("reply_timeout_s", 30.0, unit="seconds"),
    )
    table.finish()
    if spec.reply_timeout_s <= 0:
        raise table.error("reply_timeout_s", "must be more than 0")
    return spec


def _turn(table: Table, base: Path | None) -> TurnSpec:
    say = table.text("say", None)
    wav_name = table.text("wav", None)
    text = table.text("text", None)
    pause = table.number("pause_before_ms", 0.0, unit="a number of milliseconds")
    barge_in = table.number("barge_in_after_ms", None, unit="a number of milliseconds")
    trailing = table.number("trailing_silence_ms", None, unit="a number of milliseconds")
    expect = _expectations(table.table("expect"), scope="turn")
    table.finish()
    if (say is None) == (wav_name is None):
        raise table.error(None, "needs exactly one of 'say' (words) or 'wav' (a WAV file)")
    if text is not None and wav_name is None:
        raise table.error("text", "is what the recognizer hears in a 'wav' turn; 'say' has it")
    if barge_in is not None and pause:
        raise table.error(
            None, "cannot have both pause_before_ms and barge_in_after_ms (one says when to talk)"
        )
    wav: Path | None = None
    if wav_name is not None:
        wav = Path(wav_name)
        if not wav.is_absolute() and base is not None:
            wav = base / wav
        if not wav.is_file():
            raise table.error("wav", f"file {wav_name!r} not found (looked for {str(wav)!r})")
    return TurnSpec(say, wav, text, pause, barge_in, trailing, expect)


def _expectations(table: Table | None, *, scope: Literal["turn", "call"]) -> Expectations:
    if table is None:
        return Expectations()
    calls: list[ToolCallExpectation] = []
    misplaced = (
        {"interrupted": "a turn's: use interruptions = N in [expect] for the whole call"}
        if scope == "call"
        else {
            "max_cost_usd": "about the whole call: put it in [expect]",
            "interruptions": "about the whole call: put it in [expect]",
        }
    )
    for key, where_it_goes in misplaced.items():
        if table.has(key):
            raise table.error(key, f"is {where_it_goes}")
    for call in table.tables("tool_calls"):
        name = call.text("name")
        arguments = call.raw("arguments", None)
        if arguments is not None and not isinstance(arguments, Mapping):
            raise call.error("arguments", f"must be a table, not {arguments!r}")
        call.finish()
        calls.append(ToolCallExpectation(name, MappingProxyType(dict(arguments or {})) or None))
    never_calls = table.texts("never_calls")
    says = table.texts("says")
    never_says = table.texts("never_says")
    max_latency = table.number("max_latency_ms", None, unit="a number of milliseconds")
    interrupted = table.boolean("interrupted", None) if scope == "turn" else None
    max_cost: Decimal | None = None
    interruptions: int | None = None
    if scope == "call":
        cost = table.number("max_cost_usd", None, unit="a number of dollars")
        max_cost = Decimal(str(cost)) if cost is not None else None
        interruptions = table.integer("interruptions", None)
    table.finish()
    return Expectations(
        tuple(calls),
        never_calls,
        says,
        never_says,
        max_latency,
        interrupted,
        max_cost,
        interruptions,
    )
