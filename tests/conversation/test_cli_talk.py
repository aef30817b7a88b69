"""``realtime-kit talk``: offline demo conversation, JSON lines, one-line errors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from realtime_kit.cli import main

ROOT = Path(__file__).resolve().parents[2]
CALLER = ROOT / "examples" / "data" / "caller.wav"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def talk(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    def run(*args: str) -> Result:
        code = main(["talk", *args])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def test_offline_turn_by_turn_transcript_with_a_tool_and_cost(talk) -> None:  # type: ignore[no-untyped-def]
    result = talk(str(CALLER), "--offline")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    lines = [line.strip() for line in out.splitlines()]
    assert "caller: Hello, what is the weather like in Paris today?" in lines
    assert "agent:  It is sunny and 21 degrees in Paris." in lines
    assert "caller: Thank you, that is all." in lines
    assert "agent:  You are welcome. Goodbye!" in lines
    assert any(line.startswith("→ get_weather(") for line in lines)
    assert (
        out.index("caller: Hello") < out.index("agent:  It is sunny") < out.index("caller: Thank")
    )
    assert "total: $0.0" in out


def test_offline_json_lines(talk) -> None:  # type: ignore[no-untyped-def]
    result = talk(str(CALLER), "--offline", "--json")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [r["type"] for r in records]
    assert kinds[0] == "note"
    assert kinds[-1] == "total"
    said = [(r["type"], r["text"]) for r in records if r["type"] in ("user", "assistant")]
    assert said == [
        ("user", "Hello, what is the weather like in Paris today?"),
        ("assistant", "It is sunny and 21 degrees in Paris."),
        ("user", "Thank you, that is all."),
        ("assistant", "You are welcome. Goodbye!"),
    ]
    total = records[-1]
    assert float(total["cost_usd"]) > 0
    assert [e["kind"] for e in total["log"]["entries"]] == [
        "user",
        "tool_call",
        "assistant",
        "user",
        "assistant",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.wav", "--offline"], "cannot read 'missing.wav' as a PCM WAV file"),
        ([str(CALLER), "--offline", "--budget", "lots"], "--budget must be a number"),
    ],
)
def test_mistakes_are_one_line_and_a_nonzero_exit(talk, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = talk(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
