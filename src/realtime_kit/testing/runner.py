"""``run_scenario``: play a scenario offline and report on every expectation.

::

    report = await run_scenario("weather.toml", tools={"get_weather": get_weather})
    for line in report.lines():
        print(line)                 # PASS  turn 1: calls get_weather with {...} — ...
    assert report.passed, report.summary()

A run starts the fake server with the scenario's scripted model, opens a
:class:`~realtime_kit.Conversation` with the scenario's agent, and lets a
:class:`~realtime_kit.testing.user.SimulatedUser` speak the turns: after each turn it listens
to the whole reply, unless the next turn barges in, in which case that turn talks over the
agent once it has heard ``barge_in_after_ms``. Then the judges look at the conversation log:
the :class:`~realtime_kit.testing.judge.RuleJudge` for the scenario's expectations, then each
judge you pass. The :class:`ScenarioReport` has every result with its evidence, the turns
(what was said and heard, tool calls, latency, barge-ins with the heard ms and words), the log
and the cost. A run that breaks off (a reply that never comes, a call that ends early) is a
failed result too, never an exception: only a scenario that cannot start raises.

Imports: anyio, the standard library, public ``realtime_kit`` (conversation, cost, errors) and
sibling ``realtime_kit.testing`` modules.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from realtime_kit.audio import PCMFrame
from realtime_kit.conversation import Conversation, ConversationLog, Interrupted, ToolCallEntry
from realtime_kit.cost import Budget
from realtime_kit.errors import ConfigurationError, LocalProtocolError, RealtimeKitError
from realtime_kit.testing._scenario_parts import ScenarioRecognizer, resolve_tools
from realtime_kit.testing.clock import FakeClock, RealClock
from realtime_kit.testing.judge import (
    ExpectationResult,
    Judge,
    JudgeVerdict,
    RuleJudge,
    TurnSpan,
    split_turns,
)
from realtime_kit.testing.scenario import Scenario, TurnSpec
from realtime_kit.testing.server import FakeRealtimeServer
from realtime_kit.testing.user import SimulatedUser, Speech, SpokenTurn, load_speech

__all__ = ["BargeIn", "ScenarioReport", "TurnReport", "run_scenario"]


@dataclass(frozen=True)
class BargeIn:
    """Where the caller cut the agent off: the item, how much of it was heard, and its words."""

    item_id: str | None
    heard_ms: int
    received_ms: int
    heard_text: str
    truncated: bool
    deleted_item_ids: tuple[str, ...]

    @classmethod
    def of(cls, event: Interrupted) -> BargeIn:
        """From the conversation's event."""
        return cls(
            event.item_id,
            event.heard_ms,
            event.received_ms,
            event.heard_text,
            event.truncated,
            event.deleted_item_ids,
        )


@dataclass(frozen=True)
class TurnReport:
    """One turn of the run.

    Attributes:
        index: 1-based.
        said: what the caller said (the words, or the WAV file).
        spoken: False when the run ended before this turn.
        user_text: what the server's recognizer heard.
        user_item_ids: the user items the server made of it.
        reply: the agent's words the caller heard after it.
        generated: everything the agent generated after it.
        tool_calls: the tool calls made after it.
        latency_ms: caller stopped → first agent audio received (None: no audio).
        heard_latency_ms: caller stopped → first agent audio handed to playback.
        cost_usd: dollars of the responses after it.
        barge_in_after_ms: the barge-in trigger the turn had.
        heard_before_ms: agent audio heard before the caller started talking.
        barge_ins: where this turn's speech cut the agent off.
    """

    index: int
    said: str
    spoken: bool
    user_text: str
    user_item_ids: tuple[str, ...]
    reply: str
    generated: str
    tool_calls: tuple[ToolCallEntry, ...]
    latency_ms: float | None
    heard_latency_ms: float | None
    cost_usd: Decimal
    barge_in_after_ms: float | None
    heard_before_ms: float | None
    barge_ins: tuple[BargeIn, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "index": self.index,
            "said": self.said,
            "spoken": self.spoken,
            "user_text": self.user_text,
            "user_item_ids": list(self.user_item_ids),
            "reply": self.reply,
            "generated": self.generated,
            "tool_calls": [
                {"name": c.name, "arguments": c.arguments, "status": c.status, "output": c.output}
                for c in self.tool_calls
            ],
            "latency_ms": self.latency_ms,
            "heard_latency_ms": self.heard_latency_ms,
            "cost_usd": str(self.cost_usd),
            "barge_in_after_ms": self.barge_in_after_ms,
            "heard_before_ms": self.heard_before_ms,
            "barge_ins": [
                {
                    "item_id": b.item_id,
                    "heard_ms": b.heard_ms,
                    "received_ms": b.received_ms,
                    "heard_text": b.heard_text,
                    "truncated": b.truncated,
                    "deleted_item_ids": list(b.deleted_item_ids),
                }
                for b in self.barge_ins
            ],
        }


@dataclass(frozen=True)
class ScenarioReport:
    """The outcome of :func:`run_scenario`.

    Attributes:
        scenario: what was run.
        results: every expectation checked, with its evidence, in order: the run itself (when
            it broke off), each turn's, the call's, then your judges'.
        verdicts: each judge's verdict (the rule judge first).
        turns: one report per scenario turn.
        log: the conversation log.
        cost_usd: what the call cost.
        error: why the run broke off, or None.
    """

    scenario: Scenario
    results: tuple[ExpectationResult, ...]
    verdicts: tuple[JudgeVerdict, ...]
    turns: tuple[TurnReport, ...]
    log: ConversationLog
    cost_usd: Decimal
    error: str | None

    @property
    def passed(self) -> bool:
        """The run completed and every expectation held."""
        return self.error is None and all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[ExpectationResult, ...]:
        """The expectations that did not hold."""
        return tuple(r for r in self.results if not r.passed)

    @property
    def latencies_ms(self) -> tuple[float | None, ...]:
        """Each turn's caller-stopped → first-audio latency."""
        return tuple(t.latency_ms for t in self.turns)

    def lines(self) -> list[str]:
        """One line per expectation (``PASS``/``FAIL``, what, the evidence)."""
        return [r.line() for r in self.results]

    def summary(self) -> str:
        """One line: the verdict, counts, turns and cost."""
        failed = len(self.failures)
        verdict = "PASSED" if self.passed else "FAILED"
        timed = [t for t in self.latencies_ms if t is not None]
        latency = f", first audio ≤ {max(timed):.0f} ms" if timed else ""
        return (
            f"{self.scenario.name}: {verdict} — {len(self.results) - failed} of"
            f" {len(self.results)} expectations held, {len(self.turns)} turns,"
            f" ${self.cost_usd:.6f}{latency}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the verdict, results, turns, cost, error and the conversation log."""
        return {
            "scenario": self.scenario.name,
            "passed": self.passed,
            "error": self.error,
            "cost_usd": str(self.cost_usd),
            "results": [r.to_dict() for r in self.results],
            "verdicts": [
                {"judge": v.judge, "passed": v.passed, "notes": v.notes} for v in self.verdicts
            ],
            "turns": [t.to_dict() for t in self.turns],
            "log": self.log.to_dict(),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


async def run_scenario(
    scenario: Scenario | Mapping[str, Any] | str | os.PathLike[str],
    *,
    tools: Mapping[str, Any] | Sequence[Any] | None = None,
    judge: Judge | Sequence[Judge] | None = None,
) -> ScenarioReport:
    """Run a scenario offline against the fake server; see the module docstring.

    Args:
        scenario: a :class:`Scenario`, a dict shaped like the TOML file, or a path to one.
        tools: the tools the scenario may name: ``{"name": function}`` or a list of functions
            (:class:`~realtime_kit.conversation.Tool` objects too). A scenario that names no
            tools gets all of them.
        judge: one judge or several (``judge(log, scenario) -> JudgeVerdict``, sync or async),
            run after the rule judge that checks the scenario's expectations.

    Raises:
        ConfigurationError: the scenario cannot start (a mistake in the file, an unknown
            tool, an option the conversation refuses).
    """
    spec = _scenario(scenario)
    tool_objects = resolve_tools(
        spec.agent.tools, tools, base_dir=spec.base_dir, source=spec.source
    )
    recognizer = ScenarioRecognizer()
    clips = _clips(spec, recognizer)
    server_clock = FakeClock()
    server = FakeRealtimeServer(
        clock=server_clock, brain=spec.model.brain(), recognizer=recognizer, seed=0
    )

    def speak(text: str) -> bytes:
        pcm = server.speak(text)
        recognizer.add(PCMFrame.from_bytes(pcm), text)
        return pcm

    user = SimulatedUser(
        voice=speak,
        pace=RealClock() if spec.user.pace == "realtime" else None,
        trailing_silence_ms=spec.user.trailing_silence_ms,
        output_latency_ms=spec.user.listener_latency_ms,
        reply_timeout=spec.user.reply_timeout_s,
    )
    error: str | None = None
    cost = Decimal(0)
    async with server:
        conversation = _conversation(spec, tool_objects, user, server.base_url, server_clock)
        opened = False
        try:
            async with conversation as conv:
                opened = True
                user.attach(conv)
                error = await _play(spec, user, clips)
                cost = conv.cost_usd
        except ConfigurationError as exc:
            if not opened:  # the server refused the agent's session config
                raise ConfigurationError(f"{spec.source}: agent: {exc}") from None
            error = error or f"the conversation failed: {exc}"
        except RealtimeKitError as exc:
            error = error or f"the conversation failed: {exc}"
    log = conversation.log
    cost = max(cost, log.total_cost_usd)
    turn_items = [t.item_ids for t in user.turns] + [[] for _ in spec.turns[len(user.turns) :]]
    rules = RuleJudge(turn_items=turn_items, cost_usd=cost)
    verdicts = [await _judge(rules, log, spec, "rules", summarize=False)]
    for extra in _judges(judge):
        verdicts.append(await _judge(extra, log, spec, _name(extra)))
    results: list[ExpectationResult] = []
    if error is not None:
        results.append(
            ExpectationResult("run", "the scenario runs to the end", False, error, judge="runner")
        )
    for verdict in verdicts:
        results.extend(verdict.results)
    spans = split_turns(log, turn_items)
    turns = tuple(
        _turn_report(number, turn, user.turns, spans)
        for number, turn in enumerate(spec.turns, start=1)
    )
    return ScenarioReport(spec, tuple(results), tuple(verdicts), turns, log, cost, error)


# -- setting up ----------------------------------------------------------------------------------


def _scenario(value: Scenario | Mapping[str, Any] | str | os.PathLike[str]) -> Scenario:
    if isinstance(value, Scenario):
        return value
    if isinstance(value, Mapping):
        return Scenario.from_dict(value)
    if isinstance(value, (str, os.PathLike)):
        return Scenario.load(value)
    raise ConfigurationError(
        f"run_scenario() takes a Scenario, a dict or a path, not {type(value).__name__}"
    )


def _clips(spec: Scenario, recognizer: ScenarioRecognizer) -> dict[int, Speech]:
    """Each turn's speech: its words, or its WAV file read once (and taught to the recognizer)."""
    speech: dict[int, Speech] = {}
    for number, turn in enumerate(spec.turns, start=1):
        if turn.wav is None:
            assert turn.say is not None
            speech[number] = turn.say
            continue
        clip = load_speech(turn.wav)
        if turn.text is not None:
            try:
                recognizer.add(clip, turn.text)
            except ConfigurationError as exc:
                raise ConfigurationError(f"{spec.source}: turn {number}: {exc}") from None
        speech[number] = clip
    return speech


def _conversation(
    spec: Scenario, tools: list[Any], user: SimulatedUser, base_url: str, server_clock: FakeClock
) -> Conversation:
    agent = spec.agent
    options: dict[str, Any] = dict(agent.options)
    budget = options.pop("budget_usd", None)
    if budget is not None:
        options["budget"] = Budget(Decimal(str(budget)))
    if options.get("turn_detection") == "none":
        options["turn_detection"] = None
    if options.get("input_transcription") == "none":
        options["input_transcription"] = None
    options.update(
        model=agent.model,
        instructions=agent.instructions,
        voice=agent.voice,
        tools=tools,
        playback=user.listener,
        api_key="sk-scenario",
        base_url=base_url,
        clock=server_clock.wall,
    )
    try:
        return Conversation(**options)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{spec.source}: agent: {exc}") from None
    except TypeError as exc:  # a tool the conversation cannot describe, and similar
        raise ConfigurationError(f"{spec.source}: agent: {exc}") from None


# -- running -------------------------------------------------------------------------------------


async def _play(spec: Scenario, user: SimulatedUser, speech: dict[int, Speech]) -> str | None:
    """Speak every turn; returns why the run broke off, or None."""
    turns = spec.turns
    for number, turn in enumerate(turns, start=1):
        if user.conversation.closed:
            return f"the conversation ended before turn {number} ({_why(user)})"
        next_barges = number < len(turns) and turns[number].barge_in_after_ms is not None
        try:
            await user.say(
                speech[number],
                barge_in_after_ms=turn.barge_in_after_ms,
                pause_before_ms=turn.pause_before_ms,
                trailing_silence_ms=turn.trailing_silence_ms,
            )
            if not next_barges:
                reply = await user.wait_for_reply()
                if not reply.complete:
                    return f"the conversation ended during the reply to turn {number}"
        except TimeoutError as exc:
            return f"turn {number}: {exc}"
        except LocalProtocolError:
            return f"the conversation ended during turn {number} ({_why(user)})"
    return None


def _why(user: SimulatedUser) -> str:
    error = user.conversation.error
    return f"error: {error}" if error is not None else "it hung up"


async def _judge(
    judge: Judge, log: ConversationLog, spec: Scenario, name: str, *, summarize: bool = True
) -> JudgeVerdict:
    """Run one judge; a verdict without results becomes one (``summarize``), a judge that
    fails becomes a failed result."""
    try:
        verdict = judge(log, spec)
        if inspect.isawaitable(verdict):
            verdict = await verdict
    except Exception as exc:  # noqa: BLE001 (a judge's failure is a failed verdict, reported)
        return _failed(name, f"the judge raised {type(exc).__name__}: {exc}")
    if not isinstance(verdict, JudgeVerdict):
        return _failed(name, f"the judge returned {type(verdict).__name__}, not a JudgeVerdict")
    who = verdict.judge or name
    results = tuple(r if r.judge else replace(r, judge=who) for r in verdict.results)
    if not results and summarize:
        notes = verdict.notes or "(no notes)"
        results = (ExpectationResult("judge", f"judge {who}", verdict.passed, notes, judge=who),)
    return JudgeVerdict(verdict.passed, results, who, verdict.notes)


def _failed(name: str, why: str) -> JudgeVerdict:
    result = ExpectationResult("judge", f"judge {name}", False, why, judge=name)
    return JudgeVerdict(False, (result,), name, why)


def _judges(judge: Judge | Sequence[Judge] | None) -> list[Judge]:
    if judge is None:
        return []
    if isinstance(judge, Sequence):
        return list(judge)
    return [judge]


def _name(judge: Judge) -> str:
    return str(getattr(judge, "name", None) or getattr(judge, "__name__", type(judge).__name__))


# -- reporting -----------------------------------------------------------------------------------


def _turn_report(
    number: int, turn: TurnSpec, spoken: list[SpokenTurn], spans: list[TurnSpan]
) -> TurnReport:
    said = spoken[number - 1] if number <= len(spoken) else None
    span = spans[number] if number < len(spans) else None
    return TurnReport(
        index=number,
        said=turn.describe(),
        spoken=said is not None,
        user_text=span.user_text if span is not None else "",
        user_item_ids=tuple(said.item_ids) if said is not None else (),
        reply=span.heard_text if span is not None else "",
        generated=span.generated_text if span is not None else "",
        tool_calls=span.tool_calls if span is not None else (),
        latency_ms=span.latency_ms if span is not None else None,
        heard_latency_ms=span.heard_latency_ms if span is not None else None,
        cost_usd=span.cost_usd if span is not None else Decimal(0),
        barge_in_after_ms=turn.barge_in_after_ms,
        heard_before_ms=said.heard_before_ms if said is not None else None,
        barge_ins=tuple(BargeIn.of(e) for e in said.interruptions) if said is not None else (),
    )
