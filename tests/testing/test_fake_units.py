"""Unit tests of the fake server's parts: clock, brain, speech, VAD, G.711, config, CLI."""

from __future__ import annotations

import threading

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime_kit.cli import build_parser, main
from realtime_kit.cli.fake_server import run
from realtime_kit.testing import (
    EspeakSynthesizer,
    FakeClock,
    Reply,
    ScriptedBrain,
    ScriptedRecognizer,
    ScriptedTranslator,
    ServerVad,
    SpeechBank,
    ToneSynthesizer,
    ToolCall,
    TurnContext,
    redact,
)
from realtime_kit.testing._audio import (
    silence,
    tone,
)
from realtime_kit.testing._input import sounds_finished
from realtime_kit.testing._items import heard_words
from realtime_kit.testing.config import ConfigError, merge_update, validate_update


def context(text: str = "", tools: list[dict[str, str]] | None = None) -> TurnContext:
    return TurnContext(
        user_text=text, tool_output=None, items=[], tools=tools or [], instructions=""
    )


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_fake_clock_paces_instantly_but_timers_wait(anyio_backend: str) -> None:
    clock = FakeClock(start=10.0)
    await clock.pace_until(25.0)
    assert clock.now() == 25.0
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    threading.Timer(0.01, clock.advance, args=(5.0,)).start()
    await clock.wait_until(30.0)
    assert clock.now() == 30.0
    assert clock.wall() == 1_790_000_000.0 + 20.0


def test_brain_script_then_triggers_then_default() -> None:
    brain = ScriptedBrain(
        ["first"], tool_triggers={"weather": ToolCall("get_weather", {"city": "Oslo"})}
    )
    assert brain.reply(context("anything")) == Reply(text="first")
    tools = [{"type": "function", "name": "get_weather"}]
    call = brain.reply(context("what's the WEATHER", tools)).tool_calls[0]
    assert call.arguments_json() == '{"city":"Oslo"}'
    # The trigger needs the session to offer the tool.
    assert brain.reply(context("weather")).text == "You said: weather"
    done = brain.reply(
        TurnContext(user_text="", tool_output="42", items=[], tools=[], instructions="")
    )
    assert done.text == "Done: 42"


def test_translator_table_and_default() -> None:
    translator = ScriptedTranslator({"hello": "hallo", ("bye", "fr"): "au revoir"})
    assert translator.translate("hello", "de") == "hallo"
    assert translator.translate("bye", "fr") == "au revoir"
    assert translator.translate("bye", "de") == "[de] bye"


def test_espeak_speaks_longer_text_for_longer_sentences() -> None:
    synth = EspeakSynthesizer()
    short = synth.synthesize("Hi.")
    long = synth.synthesize("This sentence is clearly a good deal longer than the first one.")
    assert len(long) > 2 * len(short) > 0
    assert synth.synthesize("Hi.") is short  # cached


def test_tone_synthesizer_is_deterministic() -> None:
    synth = ToneSynthesizer()
    assert synth.synthesize("two words") == synth.synthesize("two words")
    assert len(synth.synthesize("two words")) == (60 * 3 + 80 + 60 * 5 + 80) * 48


def test_recognizer_knows_bank_clips_then_script_then_default() -> None:
    bank = SpeechBank(ToneSynthesizer())
    clip = bank.speak("open the door")
    recognizer = ScriptedRecognizer(["scripted line"], default="fallback", bank=bank)
    assert recognizer.recognize(silence(200) + clip + silence(100)) == "open the door"
    assert recognizer.recognize(silence(300)) == ""
    assert recognizer.recognize(tone(300)) == "scripted line"
    assert recognizer.recognize(tone(300)) == "fallback"
    # A clip split across appends and shifted by an odd byte count is not a coincidence match.
    assert bank.find(b"\x01" + clip) == []


def test_vad_reports_padding_and_silence() -> None:
    vad = ServerVad(prefix_padding_ms=200, silence_duration_ms=300)
    events = vad.feed(silence(500) + tone(600) + silence(400))
    assert [(e.kind, e.ms) for e in events] == [("start", 300), ("stop", 1400)]
    assert not vad.in_speech


def test_vad_padding_never_reaches_before_the_buffer() -> None:
    vad = ServerVad(prefix_padding_ms=300)
    assert vad.feed(silence(100) + tone(200))[0].ms == 0


def test_config_merge_and_errors() -> None:
    current = {"audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 0.5}}}}
    merged = merge_update(
        current, {"audio": {"input": {"turn_detection": {"type": "semantic_vad"}}}}
    )
    assert merged["audio"]["input"]["turn_detection"] == {
        "type": "semantic_vad",
        "eagerness": "auto",
        "create_response": True,
        "interrupt_response": True,
    }
    with pytest.raises(ConfigError) as info:
        validate_update(
            "realtime",
            {"type": "realtime", "audio": {"input": {"turn_detection": {"type": "x"}}}},
            current={},
        )
    assert info.value.param == "session.audio.input.turn_detection.type"


def test_redact_hides_keys() -> None:
    text = "Bearer sk-abc123 and ek_live_999 and sk-proj-XYZ_1"
    assert "sk-" not in redact(text)
    assert "ek_" not in redact(text)


def test_cli_parser_and_fake_server_command(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["fake-server", "--port", "0", "--api-key", "sk-cli"])
    assert args.api_keys == ["sk-cli"]
    stop = threading.Event()
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(run(args, stop=stop)))
    thread.start()
    try:
        base_url = _printed_base_url(capsys)
        answer = httpx.post(
            base_url + "/realtime/client_secrets",
            headers={"Authorization": "Bearer sk-cli"},
            json={},
        )
        assert answer.status_code == 200
        refused = httpx.post(
            base_url + "/realtime/client_secrets", headers={"Authorization": "Bearer sk-other"}
        )
        assert refused.status_code == 401
    finally:
        stop.set()
        thread.join(10)
    assert result == [0]
    with pytest.raises(SystemExit):
        main(["no-such-command"])


def _printed_base_url(capsys: pytest.CaptureFixture[str]) -> str:
    printed = ""
    for _ in range(2000):
        printed += capsys.readouterr().out
        for line in printed.splitlines():
            if line.strip().startswith("base_url="):
                return line.strip().removeprefix("base_url=")
        threading.Event().wait(0.005)
    raise AssertionError(f"the command printed no base_url: {printed!r}")


@pytest.mark.slow
def test_pocketsphinx_recognizes_expected_phrases() -> None:
    pytest.importorskip("pocketsphinx")
    from realtime_kit.testing import PocketsphinxRecognizer

    phrases = [
        "What is the weather in Paris?",
        "Turn on the lights please.",
        "Book a table for two.",
        "Please transcribe this sentence.",
    ]
    recognizer = PocketsphinxRecognizer(phrases)
    synth = EspeakSynthesizer()
    for phrase in phrases:
        assert recognizer.recognize(silence(200) + synth.synthesize(phrase)) == phrase
    assert recognizer.recognize(silence(500)) == ""


def test_brain_honours_forced_tool_choice() -> None:
    tools = [{"type": "function", "name": "a"}, {"type": "function", "name": "b"}]
    brain = ScriptedBrain(tool_triggers={"bee": ToolCall("b", {"x": 1})})
    required = TurnContext(
        user_text="hi",
        tool_output=None,
        items=[],
        tools=tools,
        instructions="",
        tool_choice="required",
    )
    assert brain.reply(required).tool_calls == [ToolCall("a", {})]
    named = TurnContext(
        user_text="hi",
        tool_output=None,
        items=[],
        tools=tools,
        instructions="",
        tool_choice={"type": "function", "name": "b"},
    )
    assert brain.reply(named).tool_calls == [ToolCall("b", {"x": 1})]


def test_speed_shortens_speech() -> None:
    synth = ToneSynthesizer()
    assert len(synth.synthesize("some words", speed=1.5)) < len(synth.synthesize("some words"))
    espeak = EspeakSynthesizer()
    slow = espeak.synthesize("A sentence to say.", speed=0.5)
    assert len(slow) > 1.5 * len(espeak.synthesize("A sentence to say."))


def test_example_voice_turn_runs() -> None:
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "fake_server_voice_turn.py"
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=60
    )
    assert "tool call: get_weather({'city': 'Lisbon'})" in result.stdout
    assert "assistant said: 'Done: sunny, 24 C'" in result.stdout


def test_reprs_never_show_keys() -> None:
    from realtime_kit.errors import LocalProtocolError
    from realtime_kit.testing import FakeRealtimeServer

    server = FakeRealtimeServer(api_keys=["sk-secret-one"])
    with pytest.raises(LocalProtocolError):
        _ = server.port
    with server:
        answer = httpx.post(
            server.base_url + "/realtime/client_secrets",
            headers={"Authorization": "Bearer sk-secret-one"},
            json={},
        )
        minted = answer.json()["value"]
        for text in (repr(server), repr(server.state), repr(list(server.state.secrets.values()))):
            assert "sk-secret-one" not in text
            assert minted not in text
        with pytest.raises(LocalProtocolError):
            server.start()


def test_config_value_checks() -> None:
    bad = [
        ({"audio": {"input": {"noise_reduction": {"type": "loud"}}}}, "noise_reduction.type"),
        ({"audio": {"input": {"noise_reduction": {"strength": 2}}}}, "noise_reduction.strength"),
        ({"include": ["everything"]}, "session.include[0]"),
        ({"audio": {"input": {"transcription": {"model": "nope"}}}}, "transcription.model"),
        ({"audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}}}, "format.rate"),
        ({"tool_choice": "sometimes"}, "session.tool_choice"),
        ({"max_output_tokens": 0}, "session.max_output_tokens"),
    ]
    for update, param in bad:
        with pytest.raises(ConfigError) as info:
            validate_update("realtime", {"type": "realtime", **update}, current={})
        assert info.value.param is not None
        assert info.value.param.endswith(param), (update, info.value.param)


def test_merge_update_replaces_a_variant_whose_type_changes() -> None:
    from realtime_kit.testing.config import merge_update

    current = {
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "turn_detection": {"type": "semantic_vad", "eagerness": "low"},
            }
        }
    }
    merged = merge_update(
        current,
        {"audio": {"input": {"format": {"type": "audio/pcmu"},
                             "turn_detection": {"type": "server_vad", "threshold": 0.7}}}},
    )  # fmt: skip
    assert merged["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    vad = merged["audio"]["input"]["turn_detection"]
    assert vad["type"] == "server_vad"
    assert vad["threshold"] == 0.7
    assert "eagerness" not in vad
    assert vad["prefix_padding_ms"] == 300  # a new detector starts from its defaults
    same = merge_update(merged, {"audio": {"input": {"turn_detection": {"threshold": 0.4}}}})
    assert (
        same["audio"]["input"]["turn_detection"]["silence_duration_ms"]
        == vad["silence_duration_ms"]
    )
    assert same["audio"]["input"]["turn_detection"]["threshold"] == 0.4


@given(st.lists(st.text("abcxyz", min_size=1, max_size=8), max_size=12), st.floats(0, 1))
def test_heard_words_is_a_growing_prefix(words: list[str], fraction: float) -> None:
    text = " ".join(words)
    heard = heard_words(text, fraction)
    assert words[: len(heard.split())] == heard.split()  # a prefix, whole words only
    assert len(heard) <= fraction * len(text) + 1e-9
    assert len(heard_words(text, min(1.0, fraction + 0.1))) >= len(heard)
    assert heard_words(text, 1.0) == text
    assert heard_words(text, 0.0) == ""


@pytest.mark.parametrize(
    ("text", "finished"),
    [
        ("Book a table for two.", True),
        ("What time is it", True),
        ("I want to book a table and", False),
        ("So, um", False),
        ("Let me think...", False),
        ("First of all,", False),
        ("", False),
    ],
)
def test_semantic_vad_judges_finished_words(text: str, finished: bool) -> None:
    assert sounds_finished(text) is finished


def test_a_reply_is_text_or_messages() -> None:
    assert Reply(text="hi").all_messages == ("hi",)
    assert Reply(messages=["a", "", "b"]).all_messages == ("a", "b")
    with pytest.raises(ValueError, match="either text or messages"):
        Reply(text="a", messages=["b"])
    with pytest.raises(ValueError, match="sequence of texts"):
        Reply(messages="ab")


def test_tool_preamble_follows_the_model() -> None:
    brain = ScriptedBrain(tool_triggers={"weather": ToolCall("lookup")})
    tools = [{"type": "function", "name": "lookup"}]

    def ask(model: str) -> Reply:
        return brain.reply(
            TurnContext(
                user_text="the weather?",
                tool_output=None,
                items=[],
                tools=tools,
                instructions="",
                model=model,
            )
        )

    assert ask("gpt-realtime-2.1-mini").messages == ("Let me check that.",)
    assert ask("gpt-realtime-1.5").messages == ()
    assert ask("gpt-realtime-2").tool_calls == [ToolCall("lookup")]
    brain.tool_preamble = "Checking."
    assert ask("gpt-realtime").messages == ("Checking.",)
    brain.tool_preamble = None
    assert ask("gpt-realtime-2").messages == ()


def test_peek_does_not_use_up_the_script() -> None:
    recognizer = ScriptedRecognizer(["first", "second"])
    noise = tone(200)
    assert recognizer.peek(noise) == recognizer.peek(noise) == "first"
    assert recognizer.recognize(noise) == "first"
    assert recognizer.peek(noise) == "second"
