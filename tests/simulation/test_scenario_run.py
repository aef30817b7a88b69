"""run_scenario over loopback against the fake server (asyncio and trio): reports that pass,
reports that fail for each kind of expectation, barge-ins, judges, WAV turns, broken runs."""

from __future__ import annotations

import json
import wave
from pathlib import Path
from typing import Any

import anyio
import numpy as np
import pytest

from realtime_kit.conversation import ConversationLog
from realtime_kit.errors import ConfigurationError
from realtime_kit.testing import (
    ExpectationResult,
    JudgeVerdict,
    RuleJudge,
    Scenario,
    default_synthesizer,
    run_scenario,
)
from tests.simulation._agent import ANSWER, get_weather

pytestmark = pytest.mark.anyio


async def slow_weather(city: str) -> dict[str, object]:
    """Current weather for a city, from a slow backend.

    Args:
        city: the city.
    """
    await anyio.sleep(0.3)
    return {"city": city, "sky": "grey"}


def cancel_order(order: str) -> str:
    """Cancel an order.

    Args:
        order: the order number.
    """
    return f"{order} cancelled"


def weather_call(city: str = "Paris") -> dict[str, Any]:
    return {"tool_calls": [{"name": "get_weather", "arguments": {"city": city}}]}


def scenario(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "weather line",
        "agent": {"instructions": "You are the weather line.", "tools": ["get_weather"]},
        "model": {"replies": [weather_call(), ANSWER, "You are welcome. Goodbye!"]},
        "turns": [
            {
                "say": "What is the weather like in Paris today?",
                "expect": {
                    "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}],
                    "says": ["sunny and 21 degrees"],
                },
            },
            {
                "say": "Thanks, that is all.",
                "barge_in_after_ms": 1500,
                "expect": {"interrupted": True, "says": ["goodbye"]},
            },
        ],
        "expect": {
            "never_calls": ["cancel_order"],
            "never_says": ["I cannot help"],
            "max_latency_ms": 30_000,  # as long as the test's own timeouts: never the machine
            "max_cost_usd": 1,
            "interruptions": 1,
        },
    }
    data.update(overrides)
    return data


async def test_a_scenario_that_passes_reports_every_expectation_with_evidence() -> None:
    report = await run_scenario(scenario(), tools={"get_weather": get_weather})
    assert report.passed, "\n".join(report.lines())
    assert report.error is None
    kinds = [(r.turn, r.kind) for r in report.results]
    assert kinds == [
        (1, "tool_call"),
        (1, "says"),
        (1, "max_latency"),
        (2, "says"),
        (2, "max_latency"),
        (2, "interrupted"),
        (None, "never_calls"),
        (None, "never_says"),
        (None, "max_cost"),
        (None, "interruptions"),
    ]
    lines = report.lines()
    assert lines[0] == (
        'PASS  turn 1: calls get_weather with {"city": "Paris"} —'
        ' get_weather({"city":"Paris"}) → ok'
    )
    assert lines[1].startswith("PASS  turn 1: says “sunny and 21 degrees” — heard “It is sunny")
    first, second = report.turns
    assert first.user_text == "What is the weather like in Paris today?"
    assert [c.name for c in first.tool_calls] == ["get_weather"]
    assert first.latency_ms is not None
    assert second.latency_ms is not None
    assert report.latencies_ms == (first.latency_ms, second.latency_ms)
    assert second.reply == "You are welcome. Goodbye!"
    assert report.cost_usd > 0
    assert report.summary().startswith("weather line: PASSED — 10 of 10 expectations held, 2 turns")
    # The same verdict from the stored log alone (turns found in the log, cost from its responses).
    stored = ConversationLog.from_json(report.log.to_json())
    again = RuleJudge()(stored, report.scenario)
    assert [(r.kind, r.passed) for r in again.results] == [
        (r.kind, r.passed) for r in report.results
    ]
    data = json.loads(report.to_json())
    assert data["passed"] is True
    assert data["turns"][1]["barge_ins"][0]["heard_ms"] == 1500
    assert data["log"]["entries"]


async def test_a_barge_in_report_shows_the_heard_ms_and_the_heard_words() -> None:
    report = await run_scenario(scenario(), tools=[get_weather])
    second = report.turns[1]
    assert second.barge_in_after_ms == 1500
    assert second.heard_before_ms == 1500
    [cut] = second.barge_ins
    assert cut.heard_ms == 1500
    assert cut.truncated
    assert cut.received_ms > 1500
    assert cut.heard_text
    assert ANSWER.startswith(cut.heard_text.rstrip(",. "))
    assert "afternoon" not in cut.heard_text
    assert report.turns[0].reply == cut.heard_text  # what the caller heard of the answer
    assert report.turns[0].generated == ANSWER  # and all that was generated
    interrupted = next(r for r in report.results if r.kind == "interrupted")
    assert interrupted.evidence == f"cut the agent off after 1500 ms: heard “{cut.heard_text}”"
    assert report.log.transcript().splitlines()[1] == f"Assistant: {cut.heard_text} —"


async def test_each_kind_of_expectation_fails_with_a_clear_report() -> None:
    data = scenario(
        agent={"tools": ["slow_weather", "cancel_order"]},
        model={
            "replies": [
                {"tool_calls": [{"name": "slow_weather", "arguments": {"city": "Lyon"}}]},
                "I cannot help with Paris, sorry. It is grey in Lyon.",
                {"tool_calls": [{"name": "cancel_order", "arguments": {"order": "A-1"}}]},
                "Done.",
            ]
        },
        turns=[
            {
                "say": "What is the weather like in Paris today?",
                "expect": {
                    "tool_calls": [{"name": "slow_weather", "arguments": {"city": "Paris"}}],
                    "says": ["sunny"],
                    "max_latency_ms": 100,
                },
            },
            {
                "say": "Cancel my order please.",
                "expect": {"interrupted": True, "tool_calls": [{"name": "get_weather"}]},
            },
        ],
        expect={
            "never_calls": ["cancel_order"],
            "never_says": ["I cannot help"],
            "max_cost_usd": 0.000001,
            "interruptions": 1,
        },
    )
    report = await run_scenario(data, tools=[slow_weather, cancel_order])
    assert not report.passed
    assert report.error is None  # the run itself went to the end
    failed = {(r.turn, r.kind): r for r in report.failures}
    assert set(failed) == {
        (1, "tool_call"),
        (1, "says"),
        (1, "max_latency"),
        (2, "interrupted"),
        (2, "tool_call"),
        (None, "never_calls"),
        (None, "never_says"),
        (None, "max_cost"),
        (None, "interruptions"),
    }
    evidence = {key: r.evidence for key, r in failed.items()}
    assert evidence[1, "tool_call"] == 'called with other arguments: slow_weather({"city":"Lyon"})'
    assert evidence[1, "says"].startswith("the caller heard “I cannot help with Paris, sorry.")
    assert evidence[1, "max_latency"].startswith("first audio ")
    latency = report.turns[0].latency_ms
    assert latency is not None
    assert latency >= 300  # the slow tool ran before the agent could speak
    assert evidence[2, "interrupted"] == (
        "the agent was not cut off (it had finished, or nothing was playing)"
    )
    assert evidence[2, "tool_call"] == 'tools called: cancel_order({"order":"A-1"})'
    assert evidence[None, "never_calls"] == 'called cancel_order({"order":"A-1"})'
    assert evidence[None, "never_says"].startswith("said (heard) “I cannot help with Paris")
    assert evidence[None, "max_cost"].startswith("$0.0")
    assert evidence[None, "max_cost"].endswith("by the cost meter (4 responses)")
    assert evidence[None, "interruptions"] == "0"
    assert "FAIL  never calls cancel_order — called cancel_order" in "\n".join(report.lines())
    assert report.summary().startswith("weather line: FAILED — ")


async def test_judges_are_pluggable_sync_or_async_and_a_broken_one_is_a_failed_result() -> None:
    seen: list[str] = []

    def polite(log: ConversationLog, scenario: Scenario) -> JudgeVerdict:
        seen.append(scenario.name)
        said = log.transcript()
        return JudgeVerdict.of(
            [ExpectationResult("polite", "says goodbye", "Goodbye" in said, said[-30:])],
            judge="polite",
        )

    async def llm(log: ConversationLog, scenario: Scenario) -> JudgeVerdict:
        await anyio.lowlevel.checkpoint()
        return JudgeVerdict(False, notes="too chatty")

    def broken(log: ConversationLog, scenario: Scenario) -> JudgeVerdict:
        raise RuntimeError("judge is down")

    def confused(log: ConversationLog, scenario: Scenario) -> Any:
        return True

    report = await run_scenario(
        scenario(expect={}), tools=[get_weather], judge=[polite, llm, broken, confused]
    )
    assert seen == ["weather line"]
    assert [v.judge for v in report.verdicts] == ["rules", "polite", "llm", "broken", "confused"]
    extra = [r for r in report.results if r.judge != "rules"]
    assert [(r.judge, r.passed, r.evidence) for r in extra] == [
        ("polite", True, "Assistant: You are welcome. Goodbye!"[-30:]),
        ("llm", False, "too chatty"),
        ("broken", False, "the judge raised RuntimeError: judge is down"),
        ("confused", False, "the judge returned bool, not a JudgeVerdict"),
    ]
    assert extra[1].line() == "FAIL  [llm] judge llm — too chatty"
    assert not report.passed


def _wav(path: Path, text: str) -> None:
    """Speech of ``text`` as a 16 kHz WAV (the runner resamples it to the API rate)."""
    pcm = np.frombuffer(default_synthesizer().synthesize(text), dtype="<i2")
    samples = np.interp(np.arange(0, pcm.size, 1.5), np.arange(pcm.size), pcm).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(samples.tobytes())


async def test_wav_turns_are_heard_as_their_text(tmp_path: Path) -> None:
    _wav(tmp_path / "caller.wav", "What is the weather in Paris?")
    file = tmp_path / "wav.toml"
    file.write_text(
        '[agent]\ntools = ["get_weather"]\n'
        '[model]\ndefault_reply = "You asked: {text}"\n'
        "[model.tool_triggers]\n"
        'weather = { name = "get_weather", arguments = { city = "Paris" } }\n'
        '[[turns]]\nwav = "caller.wav"\ntext = "What is the weather in Paris?"\n'
        'expect.tool_calls = [{ name = "get_weather" }]\n'
        'expect.says = ["done"]\n',
        encoding="utf-8",
    )
    report = await run_scenario(file, tools=[get_weather])
    assert report.passed, "\n".join(report.lines())
    [turn] = report.turns
    assert turn.said == "[caller.wav] What is the weather in Paris?"
    assert turn.user_text == "What is the weather in Paris?"
    assert "Done: " in turn.reply  # (after the fake model's preamble, "Let me check that.")


async def test_a_run_that_breaks_off_is_a_failed_result_not_an_exception() -> None:
    data = scenario(
        agent={"tools": ["get_weather"], "turn_detection": {"type": "server_vad",
                                                            "create_response": False}},
        user={"reply_timeout_s": 0.5},
        expect={},
    )  # fmt: skip
    report = await run_scenario(data, tools=[get_weather])
    assert not report.passed
    assert report.error is not None
    # Turn 2 barges in: it waits for the agent's reply to turn 1, which never starts.
    assert report.error == (
        "turn 2: waited 0.5 s for 1500 ms of the agent's reply: no response started after"
        " turn 1; 0 ms of audio unheard"
    )
    first = report.results[0]
    assert (first.kind, first.passed, first.judge) == ("run", False, "runner")
    assert first.line().startswith("FAIL  the scenario runs to the end — turn 2: waited")
    assert [t.spoken for t in report.turns] == [True, False]
    never_heard = [r for r in report.results if r.turn == 2]
    assert never_heard
    assert all(r.evidence == "the server never heard this turn" for r in never_heard)


async def test_a_scenario_that_cannot_start_raises_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="unknown tool 'get_weather'"):
        await run_scenario(scenario())
    with pytest.raises(ConfigurationError, match=r"scenario: agent: speed must lie in"):
        await run_scenario(scenario(agent={"speed": 9}))
    with pytest.raises(ConfigurationError, match=r"scenario: agent: the server refused"):
        await run_scenario(scenario(agent={"session": {"colour": 1}}), tools=[get_weather])
    with pytest.raises(ConfigurationError, match="takes a Scenario, a dict or a path"):
        await run_scenario(42)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="cannot read scenario"):
        await run_scenario(tmp_path / "missing.toml")
