"""Scenario files: what they hold, and one clear ConfigurationError per mistake (no sockets)."""

from __future__ import annotations

import wave
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from realtime_kit.errors import ConfigurationError
from realtime_kit.testing import Reply, Scenario, ToolCall
from realtime_kit.testing._scenario_parts import resolve_tools
from realtime_kit.testing.scenario import ToolCallExpectation

ROOT = Path(__file__).resolve().parents[2]
WEATHER = ROOT / "examples" / "scenarios" / "weather.toml"

MINIMAL = '[[turns]]\nsay = "Hello."\n'


def test_the_example_scenario_reads_as_written() -> None:
    scenario = Scenario.load(WEATHER)
    assert scenario.name == "weather line"
    assert scenario.source == "weather.toml"
    assert scenario.agent.tools == ("weather_tools.py:get_weather",)
    assert scenario.agent.voice == "marin"
    call = ToolCall("get_weather", {"city": "Paris"})
    assert scenario.model.replies[0] == Reply(tool_calls=(call,))
    assert scenario.model.replies[1].text is not None
    first, second = scenario.turns
    assert first.expect.tool_calls == (ToolCallExpectation("get_weather", {"city": "Paris"}),)
    assert first.expect.says == ("sunny and 21 degrees",)
    assert second.barge_in_after_ms == 2000
    assert second.expect.interrupted is True
    assert scenario.expect.max_cost_usd == Decimal("0.05")
    assert scenario.expect.interruptions == 1
    assert scenario.expect.max_latency_ms == 20000


def test_replies_in_several_messages_and_the_tool_preamble() -> None:
    scenario = Scenario.from_toml(
        MINIMAL + "[model]\ntool_preamble = false\n"
        "[[model.replies]]\nmessages = ['Let me check.', 'It is sunny.']\n"
        "[[model.replies]]\nmessages = ['One moment.']\ntool_calls = [{ name = 'lookup' }]\n"
    )
    assert scenario.model.replies == (
        Reply(messages=("Let me check.", "It is sunny.")),
        Reply(messages=("One moment.",), tool_calls=(ToolCall("lookup", {}),)),
    )
    assert scenario.model.tool_preamble is None
    assert scenario.model.brain().tool_preamble is None
    assert Scenario.from_toml(MINIMAL).model.tool_preamble == "auto"


def test_defaults_and_a_dict_of_the_same_shape() -> None:
    scenario = Scenario.from_dict(
        {
            "turns": [{"say": "Hi."}],
            "model": {"tool_triggers": {"weather": {"name": "get_weather"}}},
            "agent": {"turn_detection": "none", "budget_usd": 1, "session": {"x": 1}},
        }
    )
    assert scenario.name == "scenario"
    assert scenario.agent.model == "gpt-realtime-2"
    assert scenario.model.tool_triggers["weather"] == ToolCall("get_weather", {})
    assert scenario.model.default_reply == "You said: {text}"
    assert dict(scenario.agent.options) == {
        "turn_detection": "none",
        "budget_usd": 1,
        "session": {"x": 1},
    }
    assert scenario.user.pace == "fast"
    assert scenario.expect.empty
    brain = scenario.model.brain()
    assert brain.tool_triggers == {"weather": ToolCall("get_weather", {})}


def _error(text: str) -> str:
    with pytest.raises(ConfigurationError) as caught:
        Scenario.from_toml(text, source="s.toml")
    message = str(caught.value)
    assert "\n" not in message  # one line
    return message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "s.toml: needs at least one [[turns]] table"),
        ("name = 3\n" + MINIMAL, "s.toml: name must be a non-empty string, not 3"),
        ("[[turns]]\n", "s.toml: turn 1: needs exactly one of 'say' (words) or 'wav'"),
        ('[[turns]]\nsay = "a"\nwav = "b.wav"\n', "turn 1: needs exactly one of 'say'"),
        ('[[turns]]\nsay = ""\n', "turn 1: say must be a non-empty string, not ''"),
        ('[[turns]]\nsay = "a"\ntext = "b"\n', "turn 1: text is what the recognizer hears"),
        (
            MINIMAL + '[[turns]]\nsay = "b"\nbarge_in_after_ms = "soon"\n',
            "s.toml: turn 2: barge_in_after_ms must be a number of milliseconds ≥ 0, not 'soon'",
        ),
        (MINIMAL + '[[turns]]\nsay = "b"\nbarge_in_after_ms = -5\n', "≥ 0, not -5"),
        (
            MINIMAL + '[[turns]]\nsay = "b"\nbarge_in_after_ms = 5\npause_before_ms = 5\n',
            "turn 2: cannot have both pause_before_ms and barge_in_after_ms",
        ),
        (
            '[[turns]]\nsay = "a"\nbarge_in_after_ms = 500\n',
            "turn 1: barge_in_after_ms needs an agent reply to talk over",
        ),
        ('[[turns]]\nsay = "a"\nwav = "missing.wav"\n', "needs exactly one"),
        ('[[turns]]\nwav = "missing.wav"\n', "turn 1: wav file 'missing.wav' not found"),
        ('[[turns]]\nsya = "a"\n', "turn 1: unknown key 'sya' (did you mean 'say'?)"),
        ("[turns]\nsay = 'a'\n", "turns must be a list of tables"),
        (MINIMAL + "[agent]\nspeed = 'fast'\n", "agent: speed must be a number, not 'fast'"),
        (MINIMAL + "[agent]\nparallel_tool_calls = 1\n", "parallel_tool_calls must be true"),
        (MINIMAL + "[agent]\ntool_timeout = true\n", "tool_timeout must be a number of"),
        (MINIMAL + "[agent]\ntools = 'get_weather'\ntoolz = 1\n", "unknown key 'toolz'"),
        (MINIMAL + "[agent]\ntools = [1]\n", "agent: tools must be a list of non-empty strings"),
        (MINIMAL + "[model]\nreplies = 'hi'\n", "model: replies must be a list"),
        (MINIMAL + "[model]\nreplies = [{}]\n", "replies[1]: needs 'text', 'messages' or"),
        (
            MINIMAL + "[model]\nreplies = [{text = 'a', messages = ['b']}]\n",
            "model.replies[1]: gives 'text' and 'messages': one or the other",
        ),
        (MINIMAL + "[model]\ntool_preamble = true\n", 'tool_preamble must be "auto", a text or'),
        (
            MINIMAL + "[model]\nreplies = [{tool_calls = [{arguments = {}}]}]\n",
            "model.replies[1].tool_calls[1]: needs 'name'",
        ),
        (
            MINIMAL + "[model]\nreplies = [{tool_calls = [{name = 'x', arguments = 3}]}]\n",
            "arguments must be a table or a JSON string, not 3",
        ),
        (MINIMAL + "[model.tool_triggers]\nweather = 'x'\n", "tool_triggers.weather: must be"),
        (MINIMAL + "[user]\npace = 'slow'\n", 'user: pace must be "fast" or "realtime"'),
        (MINIMAL + "[user]\nreply_timeout_s = 0\n", "user: reply_timeout_s must be more than 0"),
        (MINIMAL + "[expect]\nsays = [1]\n", "expect: says must be a list of non-empty strings"),
        (MINIMAL + "[expect]\nmax_cost_usd = 'cheap'\n", "max_cost_usd must be a number of"),
        (MINIMAL + "[expect]\ninterruptions = 1.5\n", "interruptions must be a whole number"),
        (MINIMAL + "[expect]\ninterrupted = true\n", "expect: interrupted is a turn's"),
        (
            '[[turns]]\nsay = "a"\nexpect.max_cost_usd = 1\n',
            "turn 1.expect: max_cost_usd is about the whole call: put it in [expect]",
        ),
        (
            '[[turns]]\nsay = "a"\nexpect.tool_calls = [{name = "x", arguments = [1]}]\n',
            "turn 1.expect.tool_calls[1]: arguments must be a table",
        ),
        (MINIMAL + "[expect]\nmax_latency = 3\n", "unknown key 'max_latency' (did you mean"),
        ("turns = [", "s.toml: not valid TOML"),
    ],
)
def test_each_mistake_is_one_clear_configuration_error(text: str, expected: str) -> None:
    assert expected in _error(text)


def test_a_missing_file_and_wav_paths_relative_to_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read scenario"):
        Scenario.load(tmp_path / "nope.toml")
    (tmp_path / "audio").mkdir()
    clip = tmp_path / "audio" / "hello.wav"
    with wave.open(str(clip), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(bytes(3200))
    file = tmp_path / "s.toml"
    file.write_text('[[turns]]\nwav = "audio/hello.wav"\ntext = "Hello."\n', encoding="utf-8")
    [turn] = Scenario.load(file).turns
    assert turn.wav == clip
    assert turn.describe() == "[hello.wav] Hello."


def test_tools_come_from_the_registry_or_import_paths(tmp_path: Path) -> None:
    def lookup(order: str) -> str:
        """Look up an order."""
        return order

    (tmp_path / "my_tools.py").write_text(
        "def ping() -> str:\n    '''Ping.'''\n    return 'pong'\n\nVALUE = 3\n", encoding="utf-8"
    )
    found = resolve_tools(
        ["lookup", "my_tools.py:ping", "json:dumps"],
        {"lookup": lookup},
        base_dir=tmp_path,
        source="s.toml",
    )
    assert found[0] is lookup
    assert found[1]() == "pong"
    assert found[2].__name__ == "dumps"
    assert resolve_tools([], [lookup], base_dir=None, source="s") == [lookup]

    def fails(names: list[str], registry: Any = None) -> str:
        with pytest.raises(ConfigurationError) as caught:
            resolve_tools(names, registry, base_dir=tmp_path, source="s.toml")
        return str(caught.value)

    assert "unknown tool 'get_weather': not in the tools given to run_scenario (lookup)" in fails(
        ["get_weather"], [lookup]
    )
    assert "cannot load 'nowhere.py:f'" in fails(["nowhere.py:f"])
    assert "cannot load 'my_tools.py:absent'" in fails(["my_tools.py:absent"])
    assert "'my_tools.py:VALUE' is a int, not a tool" in fails(["my_tools.py:VALUE"])
    assert "cannot load 'no_such_module_xyz:f'" in fails(["no_such_module_xyz:f"])
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom')\n", encoding="utf-8")
    assert "loading 'broken.py:f' failed: RuntimeError: boom" in fails(["broken.py:f"])
