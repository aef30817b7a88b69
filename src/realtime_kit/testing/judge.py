"""Judging a conversation: verdicts, the rule-based judge, and the log split into turns.

A judge is any function ``judge(log, scenario) -> JudgeVerdict`` (or an ``async`` one): an LLM
asked whether the agent was polite, a rule of your own, or :class:`RuleJudge`, the default,
which checks a scenario's expectations against the :class:`~realtime_kit.conversation.
ConversationLog`:

* tools called (name, and a subset of the arguments) or never called;
* phrases the caller heard the agent say, or that the agent never said (heard or not);
* per turn: caller stopped → first agent audio at most ``max_latency_ms``; whether the caller
  cut the agent off (and where: heard ms and heard words);
* for the call: dollars at most ``max_cost_usd``; exactly ``interruptions`` barge-ins.

Each check is an :class:`ExpectationResult` with the evidence found, passed or not.

Turns are found with :func:`split_turns`: given the user item ids of each turn (the scenario
runner knows them), exactly; otherwise each run of consecutive user items starts a turn.

Imports: the standard library and public ``realtime_kit.conversation``; the sibling
``scenario`` module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypeAlias

from realtime_kit.conversation import (
    AssistantTurn,
    ConversationLog,
    LogEntry,
    ResponseSummary,
    ToolCallEntry,
    UserTurn,
)
from realtime_kit.testing.scenario import Expectations, Scenario, ToolCallExpectation

__all__ = [
    "ExpectationResult",
    "Judge",
    "JudgeVerdict",
    "RuleJudge",
    "TurnSpan",
    "split_turns",
]


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation, checked.

    Attributes:
        kind: ``tool_call``, ``never_calls``, ``says``, ``never_says``, ``max_latency``,
            ``interrupted``, ``max_cost``, ``interruptions``, ``run``, or a judge's own kind.
        expectation: what was expected, in words (``calls get_weather with {...}``).
        passed: whether it held.
        evidence: what was found (the call made, the words heard, the latency measured...).
        turn: the turn it is about (1-based), None for the whole call.
        judge: who checked it (``rules`` for the default judge, ``runner`` for the run itself;
            left empty, the runner fills in the judge's name).
    """

    kind: str
    expectation: str
    passed: bool
    evidence: str
    turn: int | None = None
    judge: str = ""

    def line(self) -> str:
        """``PASS  turn 1: calls get_weather — get_weather({"city":"Paris"}) → ok``."""
        where = f"turn {self.turn}: " if self.turn is not None else ""
        by = f"[{self.judge}] " if self.judge not in ("", "rules", "runner") else ""
        status = "PASS" if self.passed else "FAIL"
        return f"{status}  {by}{where}{self.expectation} — {self.evidence}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "kind": self.kind,
            "expectation": self.expectation,
            "passed": self.passed,
            "evidence": self.evidence,
            "turn": self.turn,
            "judge": self.judge,
        }


@dataclass(frozen=True)
class JudgeVerdict:
    """What a judge decided: ``passed``, and the expectations it checked (with evidence).

    ``judge`` names the judge in reports (left empty, the runner uses the function's name).
    """

    passed: bool
    results: tuple[ExpectationResult, ...] = ()
    judge: str = ""
    notes: str = ""

    @classmethod
    def of(
        cls, results: Iterable[ExpectationResult], *, judge: str = "", notes: str = ""
    ) -> JudgeVerdict:
        """A verdict that passes when every result passed."""
        checked = tuple(results)
        return cls(all(r.passed for r in checked), checked, judge, notes)


Judge: TypeAlias = Callable[[ConversationLog, Scenario], "JudgeVerdict | Awaitable[JudgeVerdict]"]
"""``judge(log, scenario)``, returning a :class:`JudgeVerdict` (or awaitable of one)."""


@dataclass(frozen=True)
class TurnSpan:
    """One turn of the conversation: the caller's items and everything up to the next turn.

    ``index`` is 1-based (0: what happened before the caller's first turn).
    """

    index: int
    user: tuple[UserTurn, ...]
    entries: tuple[LogEntry, ...]
    responses: tuple[ResponseSummary, ...]

    @property
    def assistant(self) -> tuple[AssistantTurn, ...]:
        """The agent's message items in this span (fillers included)."""
        return tuple(e for e in self.entries if isinstance(e, AssistantTurn))

    @property
    def tool_calls(self) -> tuple[ToolCallEntry, ...]:
        """The tool calls made in this span."""
        return tuple(e for e in self.entries if isinstance(e, ToolCallEntry))

    @property
    def user_text(self) -> str:
        """What the server heard the caller say (its transcripts)."""
        return " ".join(u.text.strip() for u in self.user if u.text.strip())

    @property
    def heard_text(self) -> str:
        """The agent's words the caller heard."""
        return " ".join(a.text.strip() for a in self.assistant if not a.deleted and a.text.strip())

    @property
    def generated_text(self) -> str:
        """Everything the agent generated, heard or not."""
        return " ".join(a.generated_text.strip() for a in self.assistant if a.generated_text)

    @property
    def latency_ms(self) -> float | None:
        """Caller stopped → first agent audio received (the first response with audio)."""
        values = [r.to_first_audio_s for r in self.responses if r.to_first_audio_s is not None]
        return min(values) * 1000 if values else None

    @property
    def heard_latency_ms(self) -> float | None:
        """Caller stopped → first agent audio handed to playback."""
        values = [r.to_first_heard_s for r in self.responses if r.to_first_heard_s is not None]
        return min(values) * 1000 if values else None

    @property
    def cost_usd(self) -> Decimal:
        """Dollars of this span's responses."""
        return sum(
            (Decimal(r.cost_usd) for r in self.responses if r.cost_usd is not None), Decimal(0)
        )

    @property
    def interrupted(self) -> tuple[AssistantTurn, ...]:
        """Agent messages cut off (truncated or deleted) in this span, fillers left out."""
        return tuple(a for a in self.assistant if a.interrupted and not a.out_of_band)

    @property
    def cut_by_next(self) -> tuple[AssistantTurn, ...]:
        """Agent messages cut off after the caller's last words in this span: what the next
        turn interrupted."""
        last_user = max(
            (i for i, e in enumerate(self.entries) if isinstance(e, UserTurn)), default=-1
        )
        return tuple(
            e
            for e in self.entries[last_user + 1 :]
            if isinstance(e, AssistantTurn) and e.interrupted and not e.out_of_band
        )


def split_turns(
    log: ConversationLog, turn_items: Sequence[Sequence[str]] | None = None
) -> list[TurnSpan]:
    """The log in turns: ``[span 0 (before the first turn), turn 1, turn 2, ...]``.

    With ``turn_items`` (the user item ids of each turn), there is exactly one span per turn
    (empty for a turn the server never heard). Without, each run of consecutive user items
    starts a turn.
    """
    owner: dict[str, int] = {}
    for number, ids in enumerate(turn_items or (), start=1):
        for item_id in ids:
            owner[item_id] = number
    count = len(turn_items) if turn_items is not None else 0
    groups: list[list[LogEntry]] = [[] for _ in range(count + 1)]
    current = 0
    previous_was_user = False
    for entry in log.entries:
        if isinstance(entry, UserTurn):
            if turn_items is not None:
                current = max(current, owner.get(entry.item_id, current))
            elif not previous_was_user:
                current += 1
                groups.append([])
            previous_was_user = True
        else:
            previous_was_user = False
        groups[current].append(entry)
    spans: list[TurnSpan] = []
    for index, entries in enumerate(groups):
        users = tuple(e for e in entries if isinstance(e, UserTurn))
        user_ids = {u.item_id for u in users}
        response_ids = {
            e.response_id
            for e in entries
            if isinstance(e, (AssistantTurn, ToolCallEntry)) and e.response_id
        }
        responses = tuple(
            r
            for r in log.responses.values()
            if r.response_id in response_ids or (r.user_item_id in user_ids and user_ids)
        )
        spans.append(TurnSpan(index, users, tuple(entries), responses))
    return spans


class RuleJudge:
    """The default judge: checks a scenario's expectations against the log (module docstring).

    Args:
        turn_items: the user item ids of each turn (exact turns); None to find turns in the log.
        cost_usd: what the call cost by the cost meter (transcription included); None to add
            up the responses in the log.
    """

    name = "rules"

    def __init__(
        self,
        *,
        turn_items: Sequence[Sequence[str]] | None = None,
        cost_usd: Decimal | None = None,
    ) -> None:
        self._turn_items = [list(ids) for ids in turn_items] if turn_items is not None else None
        self._cost = cost_usd

    def __call__(self, log: ConversationLog, scenario: Scenario) -> JudgeVerdict:
        spans = split_turns(log, self._turn_items)
        results: list[ExpectationResult] = []
        for number, turn in enumerate(scenario.turns, start=1):
            span = spans[number] if number < len(spans) else None
            previous = spans[number - 1] if number - 1 < len(spans) else None
            expect = turn.expect
            limit = (
                expect.max_latency_ms
                if expect.max_latency_ms is not None
                else scenario.expect.max_latency_ms
            )
            results += self._turn(number, expect, limit, span, previous)
        results += self._call(scenario.expect, log, spans)
        stamped = [replace(r, judge=self.name) for r in results]
        return JudgeVerdict.of(stamped, judge=self.name)

    # -- per turn ------------------------------------------------------------------------------

    def _turn(
        self,
        number: int,
        expect: Expectations,
        latency_limit: float | None,
        span: TurnSpan | None,
        previous: TurnSpan | None,
    ) -> list[ExpectationResult]:
        checks = _content_checks(expect, [span] if span is not None else [], number)
        if latency_limit is not None:
            checks.append(_latency(span, latency_limit, number))
        if expect.interrupted is not None:
            heard = span is not None and bool(span.user)
            checks.append(_interrupted(previous, expect.interrupted, number, heard))
        if span is None or not span.user:
            # The server never heard this turn: say so instead of blaming the agent.
            return [
                ExpectationResult(
                    c.kind, c.expectation, False, "the server never heard this turn", number
                )
                if not c.passed or c.kind in ("never_calls", "never_says")
                else c
                for c in checks
            ]
        return checks

    # -- the whole call ------------------------------------------------------------------------

    def _call(
        self, expect: Expectations, log: ConversationLog, spans: list[TurnSpan]
    ) -> list[ExpectationResult]:
        results = _content_checks(expect, spans, None)
        if expect.max_cost_usd is not None:
            cost = self._cost if self._cost is not None else log.total_cost_usd
            what = "by the cost meter" if self._cost is not None else "for the responses"
            results.append(
                ExpectationResult(
                    "max_cost",
                    f"costs at most ${expect.max_cost_usd}",
                    cost <= expect.max_cost_usd,
                    f"${cost:.6f} {what} ({len(log.responses)} responses)",
                )
            )
        if expect.interruptions is not None:
            cuts = [
                (span.index, entry)
                for span in spans
                for entry in span.interrupted
                if entry.response_id is not None
            ]
            seen: dict[str, tuple[int, AssistantTurn]] = {}
            for index, entry in cuts:
                seen.setdefault(str(entry.response_id), (index, entry))
            detail = "; ".join(
                f"the reply to turn {index} after {entry.heard_ms or 0} ms"
                for index, entry in seen.values()
            )
            count = len(seen)
            results.append(
                ExpectationResult(
                    "interruptions",
                    f"the agent is cut off exactly {expect.interruptions} time(s)",
                    count == expect.interruptions,
                    f"{count}" + (f": {detail}" if detail else ""),
                )
            )
        return results


def _content_checks(
    expect: Expectations, spans: Sequence[TurnSpan], turn: int | None
) -> list[ExpectationResult]:
    """Tool calls and phrases, over the given spans."""
    calls = [c for span in spans for c in span.tool_calls]
    heard = " ".join(s.heard_text for s in spans if s.heard_text)
    generated = " ".join(s.generated_text for s in spans if s.generated_text)
    results = [_tool_call(e, calls, turn) for e in expect.tool_calls]
    for name in expect.never_calls:
        made = [c for c in calls if c.name == name]
        results.append(
            ExpectationResult(
                "never_calls",
                f"never calls {name}",
                not made,
                f"called {_calls(made)}" if made else f"tools called: {_calls(calls) or 'none'}",
                turn,
            )
        )
    for phrase in expect.says:
        found = _contains_phrase(heard, phrase)
        evidence = (
            f"heard {_snippet(heard, phrase)}"
            if found
            else (
                f"the caller heard {_quote(heard)}"
                + (
                    f" (it was generated but not heard: {_snippet(generated, phrase)})"
                    if _contains_phrase(generated, phrase)
                    else ""
                )
                if heard
                else "the caller heard nothing from the agent"
            )
        )
        results.append(ExpectationResult("says", f"says {_quote(phrase)}", found, evidence, turn))
    for phrase in expect.never_says:
        found = _contains_phrase(generated, phrase)
        if found:
            where = "heard" if _contains_phrase(heard, phrase) else "generated, not heard"
            evidence = f"said ({where}) {_snippet(generated, phrase)}"
        else:
            evidence = f"not in {len(generated.split())} words the agent generated"
        results.append(
            ExpectationResult(
                "never_says", f"never says {_quote(phrase)}", not found, evidence, turn
            )
        )
    return results


def _tool_call(
    expect: ToolCallExpectation, calls: Sequence[ToolCallEntry], turn: int | None
) -> ExpectationResult:
    named = [c for c in calls if c.name == expect.name]
    matching = [c for c in named if _contains(_arguments(c), expect.arguments or {})]
    if matching:
        call = matching[0]
        evidence = f"{_calls([call])} → {call.status}"
    elif named:
        evidence = f"called with other arguments: {_calls(named)}"
    else:
        evidence = f"tools called: {_calls(calls) or 'none'}"
    return ExpectationResult("tool_call", expect.describe(), bool(matching), evidence, turn)


def _latency(span: TurnSpan | None, limit_ms: float, turn: int) -> ExpectationResult:
    expectation = f"first audio within {limit_ms:g} ms"
    latency = span.latency_ms if span is not None else None
    if latency is None:
        return ExpectationResult(
            "max_latency", expectation, False, "no agent audio after this turn to time", turn
        )
    heard = span.heard_latency_ms if span is not None else None
    evidence = f"first audio {latency:.0f} ms after the caller stopped" + (
        f" (handed to playback after {heard:.0f} ms)" if heard is not None else ""
    )
    return ExpectationResult("max_latency", expectation, latency <= limit_ms, evidence, turn)


def _interrupted(
    previous: TurnSpan | None, expected: bool, turn: int, heard: bool
) -> ExpectationResult:
    cut = previous.cut_by_next if previous is not None and heard else ()
    if cut:
        first = cut[0]
        evidence = (
            f"cut the agent off after {first.heard_ms or 0} ms: heard {_quote(first.text)}"
            if first.heard_ms
            else "cut the agent off before any of its reply was heard"
        )
    else:
        evidence = "the agent was not cut off (it had finished, or nothing was playing)"
    expectation = "cuts the agent off" if expected else "does not cut the agent off"
    return ExpectationResult("interrupted", expectation, bool(cut) == expected, evidence, turn)


# -- helpers -------------------------------------------------------------------------------------


def _arguments(call: ToolCallEntry) -> Any:
    try:
        return json.loads(call.arguments or "{}")
    except ValueError:
        return call.arguments


def _contains(actual: Any, expected: Any) -> bool:
    """Whether ``expected`` is contained in ``actual`` (tables: a subset, recursively)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and _contains(actual[key], value) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_contains(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    return bool(actual == expected)


def _calls(calls: Iterable[ToolCallEntry]) -> str:
    return ", ".join(f"{c.name}({c.arguments or ''})" for c in calls)


_WORDS = re.compile(r"[\w']+")


def _normal(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


def _contains_phrase(text: str, phrase: str) -> bool:
    wanted = _normal(phrase)
    return bool(wanted) and f" {wanted} " in f" {_normal(text)} "


def _quote(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def _snippet(text: str, phrase: str) -> str:
    """The part of ``text`` around ``phrase``'s first word."""
    first = _WORDS.findall(phrase.lower())
    at = text.lower().find(first[0]) if first else -1
    if at < 0:
        return _quote(text)
    start = max(0, at - 30)
    piece = text[start : at + len(phrase) + 30]
    more = "…" if at + len(phrase) + 30 < len(text) else ""
    return _quote(("…" if start else "") + piece + more)
