"""Unit tests of the fake server's parts: clock, brain, speech, VAD, G.711, config, CLI."""

from __future__ import annotations

import threading

import httpx
import numpy as np
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
    alaw_decode,
    alaw_encode,
    silence,
    tone,
    ulaw_decode,
    ulaw_encode,
)
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


@given(st.binary(min_size=0, max_size=64))
def test_g711_decode_encode_round_trips(data: bytes) -> None:
    assert ulaw_encode(ulaw_decode(data)) == _canonical_ulaw(data)
    assert alaw_encode(alaw_decode(data)) == data


def _canonical_ulaw(data: bytes) -> bytes:
    # μ-law has two codes for zero (0x7F and 0xFF); encoding picks one of them.
    zero = ulaw_encode(np.zeros(1, dtype=np.int16))[0]
    return bytes(zero if b in (0x7F, 0xFF) else b for b in data)


@given(st.lists(st.integers(-32768, 32767), max_size=64))
def test_g711_encode_is_close(samples: list[int]) -> None:
    pcm = np.array(samples, dtype=np.int16)
    back = ulaw_decode(ulaw_encode(pcm)).astype(np.int32)
    assert np.all(np.abs(back - pcm) <= np.maximum(8, np.abs(pcm.astype(np.int32)) // 16))


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
