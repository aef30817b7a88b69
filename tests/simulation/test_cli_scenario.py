"""``realtime-kit scenario``: one line per expectation, exit codes, JSON, one-line errors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from realtime_kit.cli import main

ROOT = Path(__file__).resolve().parents[2]
WEATHER = ROOT / "examples" / "scenarios" / "weather.toml"


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def scenario(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    def run(*args: str) -> Result:
        code = main(["scenario", *args])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def test_the_example_passes_with_one_line_per_expectation(scenario) -> None:  # type: ignore[no-untyped-def]
    result = scenario(str(WEATHER))
    assert result.code == 0, result.out + result.err
    lines = result.out.splitlines()
    assert lines[0] == "OFFLINE scenario 'weather line' (weather.toml), on the fake server"
    checks = [line.strip() for line in lines[1:-1]]
    assert len(checks) == 9
    assert all(line.startswith("PASS  ") for line in checks)
    assert "PASS  turn 2: cuts the agent off — cut the agent off after 2000 ms: heard “" in (
        "\n".join(checks)
    )
    assert lines[-1].startswith("weather line: PASSED — 9 of 9 expectations held, 2 turns, $")


def test_a_failing_scenario_exits_1_and_json_has_the_report(  # type: ignore[no-untyped-def]
    scenario, tmp_path: Path
) -> None:
    failing = tmp_path / "failing.toml"
    failing.write_text(
        WEATHER.read_text(encoding="utf-8")
        .replace(
            '"weather_tools.py:get_weather"', f'"{WEATHER.parent / "weather_tools.py"}:get_weather"'
        )
        .replace('expect.says = ["goodbye"]', 'expect.says = ["see you tomorrow"]'),
        encoding="utf-8",
    )
    result = scenario(str(failing), "--quiet")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[1] == (
        "  FAIL  turn 2: says “see you tomorrow” — the caller heard “You are welcome. Goodbye!”"
    )
    assert len(lines) == 3  # the header, the one failure, the summary
    assert lines[2].startswith("weather line: FAILED — 8 of 9 expectations held")
    result = scenario(str(WEATHER), str(failing), "--json")
    assert result.code == 1
    first, second = (json.loads(line) for line in result.out.splitlines())
    assert first["passed"] is True
    assert second["passed"] is False
    assert [r["passed"] for r in second["results"]].count(False) == 1
    assert second["turns"][1]["barge_ins"][0]["heard_ms"] == 2000
    assert second["log"]["entries"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "realtime-kit scenario: cannot read scenario"),
        ('[[turns]]\nsay = "Hi."\nbarge_in_after_ms = "soon"\n', "bad.toml: turn 1: barge_in"),
        ('[agent]\ntools = ["get_weather"]\n[[turns]]\nsay = "Hi."\n', "unknown tool"),
    ],
)
def test_a_bad_file_is_one_line_and_exit_2(  # type: ignore[no-untyped-def]
    scenario, tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "bad.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = scenario(str(path))
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("realtime-kit scenario: ")
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
