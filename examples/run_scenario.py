"""Test a voice agent with a simulated caller, offline: ``python examples/run_scenario.py``.

It plays ``scenarios/weather.toml`` against the embedded fake Realtime server: a simulated
caller asks about the weather, the agent calls its tool and answers, and the caller talks over
the answer after two seconds. The scenario's expectations are checked (tool calls, phrases,
latency, cost, the interruption), then a judge of our own: every answer is short. The exit code
is 1 when anything failed, so the same script works in CI.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio

from realtime_kit.conversation import AssistantTurn, ConversationLog
from realtime_kit.testing import ExpectationResult, JudgeVerdict, Scenario, run_scenario

SCENARIO = Path(__file__).resolve().parent / "scenarios" / "weather.toml"


def brief(log: ConversationLog, scenario: Scenario) -> JudgeVerdict:
    """A rule of our own: no answer longer than 25 words (a judge may also be async, an LLM)."""
    answers = [e for e in log.entries if isinstance(e, AssistantTurn) and e.generated_text]
    longest = max(answers, key=lambda a: len(a.generated_text.split()))
    words = len(longest.generated_text.split())
    result = ExpectationResult(
        "brief", "answers in 25 words or fewer", words <= 25, f"longest answer: {words} words"
    )
    return JudgeVerdict.of([result], judge="brief")


async def main() -> int:
    report = await run_scenario(SCENARIO, judge=brief)
    for line in report.lines():
        print(line)
    [cut] = report.turns[1].barge_ins
    print(f"\nThe caller cut in after {cut.heard_ms} ms, having heard: {cut.heard_text!r}")
    print("\nWhat the caller heard:")
    print(report.log.transcript())
    print()
    print(report.summary())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(anyio.run(main))
