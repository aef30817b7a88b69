"""The Translator end to end against the fake server, over real loopback sockets, on asyncio and
trio: one target from a WAV, three targets at once, failures, bad input, padding, budgets."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

import realtime_kit
from realtime_kit.audio import PCMFrame
from realtime_kit.cli._offline import SidecarRecognizer
from realtime_kit.cost import Budget
from realtime_kit.errors import (
    AudioError,
    BudgetExceededError,
    ConfigurationError,
    LocalProtocolError,
    UnsupportedLanguageError,
)
from realtime_kit.testing import (
    FakeClock,
    FakeRealtimeServer,
    ScriptedRecognizer,
    ScriptedTranslator,
    TranslationTiming,
)
from realtime_kit.testing._audio import silence
from realtime_kit.translator import (
    BudgetNotice,
    InputPadded,
    LanguageFailed,
    ServerError,
    SourceFinal,
    TargetFinal,
    TargetPartial,
    TranslationStopped,
    Translator,
)
from tests.transcriber._util import SAMPLE_JSON, SAMPLE_WAV, sample_truth
from tests.translator._util import (
    KEY,
    SENTENCES,
    ManualClock,
    build_speech,
    chunks,
    collect,
    finals,
    parse_srt,
    parse_vtt,
    wait_for,
)

pytestmark = pytest.mark.anyio
TOLERANCE = 0.150  # seconds


def options(server: FakeRealtimeServer, **extra: Any) -> dict[str, Any]:
    # No stall padding unless a test asks: it is measured on the wall clock.
    base: dict[str, Any] = {
        "api_key": KEY,
        "base_url": server.base_url,
        "clock": server.clock.wall,
        "pad_stalls": False,
    }
    return base | extra


async def test_one_target_from_the_sample_wav_with_aligned_source() -> None:
    truth = sample_truth()
    recognizer = SidecarRecognizer(SAMPLE_WAV, SAMPLE_JSON)
    async with FakeRealtimeServer(clock=FakeClock(), recognizer=recognizer) as server:
        result = await realtime_kit.translate_file(
            SAMPLE_WAV, "es", source_transcript=True, **options(server)
        )
    segments = result.segments["es"]
    assert [s.text for s in segments] == [f"[es] {t['text']}" for t in truth]
    assert [s.source_text for s in segments] == [t["text"] for t in truth]
    for segment, sentence in zip(segments, truth, strict=True):
        # The source sentence is placed where its speech is, not where its transcript came.
        assert abs(segment.start - sentence["start"]) <= TOLERANCE, segment
        assert abs(segment.end - sentence["end"]) <= TOLERANCE, segment
        assert segment.target_start >= sentence["end"]  # the translation lags the speech
        assert not segment.interrupted
    # The audio stream is split into consecutive spans, one per sentence.
    assert segments[0].audio_start == 0
    for a, b in itertools.pairwise(segments):
        assert a.audio_end == pytest.approx(b.audio_start)
    assert [s.text for s in result.source] == [t["text"] for t in truth]
    # Billed per input minute: the file, its last frame completed to 200 ms.
    assert result.input_seconds == pytest.approx(6.8)
    assert result.padded_ms == pytest.approx(6800 - 6722, abs=1)
    expected = Decimal("0.034") * Decimal("6.8") / 60
    assert result.cost_usd is not None
    assert abs(result.cost_usd - expected) < Decimal("1e-9")
    assert result.cost_by_language == {"es": result.cost_usd}
    assert result.failures == ()
    assert result.restores == ()


async def test_three_targets_from_one_input() -> None:
    translator_script = ScriptedTranslator()
    heard: list[tuple[int, int]] = []

    def recognize(audio: bytes) -> str:
        heard.append((len(audio), hash(audio)))
        return bank.recognize(audio)

    async with FakeRealtimeServer(clock=FakeClock(), translator=translator_script) as server:
        bank = ScriptedRecognizer(bank=server.bank)
        server.state.parts.recognizer = ScriptedRecognizer(func=recognize)
        speech = build_speech(server.speak, SENTENCES)
        # 48 kHz stereo in: converted once, the same 24 kHz mono audio goes to every session.
        samples = np.frombuffer(speech.pcm, dtype="<i2").astype(np.int16)
        stereo = PCMFrame(np.repeat(samples, 2), 24_000, 2)
        async with Translator(["es", "fr", "de"], source_transcript=True, **options(server)) as tr:
            tr.stream_audio(_frames(stereo, 20))
            events = await collect(tr)
            audio = {lang: [f async for f in tr.audio(lang)] for lang in tr.languages}
        consumed = {h.session.elapsed_ms for h in server.connections}
    assert len(consumed) == 1  # every session heard the same input
    # Each sentence translated once per language, by one shared scripted translator.
    assert sorted(translator_script.calls) == sorted(
        (s, lang) for s in SENTENCES for lang in ("es", "fr", "de")
    )
    assert len(set(heard)) == len(SENTENCES)  # identical audio in every session
    result = tr.result()
    for lang in ("es", "fr", "de"):
        segments = result.segments[lang]
        assert [s.text for s in segments] == [f"[{lang}] {s}" for s in SENTENCES]
        assert [s.source_text for s in segments] == list(SENTENCES)
        for segment, (_, start, end) in zip(segments, speech.spans, strict=True):
            assert abs(segment.start - start) <= TOLERANCE
            assert abs(segment.end - end) <= TOLERANCE
        frames = audio[lang]
        assert {(f.rate, f.channels) for f in frames} == {(24_000, 1)}
        total = sum(f.duration_ms for f in frames) / 1000
        assert segments[-1].audio_end == pytest.approx(total)
        assert [e.text for e in finals(events, lang)] == [s.text for s in segments]
    # Source events once (the first language's transcript), in spoken order.
    assert [e.text for e in events if isinstance(e, SourceFinal)] == list(SENTENCES)
    partials = [e for e in events if isinstance(e, TargetPartial) and e.language == "fr"]
    assert partials[-1].text == f"[fr] {SENTENCES[-1]}"
    # One input, billed once per language; one total.
    by_language = result.cost_by_language
    assert len(set(by_language.values())) == 1
    assert result.cost_usd == sum(v for v in by_language.values() if v is not None)


async def _frames(frame: PCMFrame, ms: float) -> Any:
    for piece in frame.chunks(ms):
        yield piece


async def test_a_failing_language_is_reported_and_the_others_go_on() -> None:
    timing = TranslationTiming(languages=frozenset({"es", "fr"}))
    async with FakeRealtimeServer(
        clock=FakeClock(), translator=ScriptedTranslator(timing=timing)
    ) as server:
        speech = build_speech(server.speak, SENTENCES[:2])
        async with Translator(
            ["es", "xx", "fr"], unknown_language="allow", **options(server)
        ) as tr:
            tr.stream_audio(chunks(speech.pcm))
            events = await collect(tr)
        failed = [e for e in events if isinstance(e, LanguageFailed)]
        assert [e.language for e in failed] == ["xx"]
        assert isinstance(failed[0].error, ConfigurationError)
        assert "Unsupported output language 'xx'" in failed[0].message
        result = tr.result()
        assert result.failures == tuple(failed)
        assert result.text("es") == " ".join(f"[es] {s}" for s in SENTENCES[:2])
        assert result.text("fr") == " ".join(f"[fr] {s}" for s in SENTENCES[:2])
        assert result.segments["xx"] == ()

        # fail_fast: the whole translation stops with that error.
        with pytest.raises(ConfigurationError, match="refused the session config"):
            async with Translator(
                ["es", "xx"], unknown_language="allow", fail_fast=True, **options(server)
            ):
                pass


async def test_unsupported_language_is_a_clear_error_and_the_list_is_overridable() -> None:
    with pytest.raises(UnsupportedLanguageError) as info:
        Translator("xx", api_key=KEY)
    assert info.value.language == "xx"
    assert "es" in info.value.supported
    assert "openai-cookbook" in str(info.value)
    assert "unknown_language='allow'" in str(info.value)
    with pytest.raises(ConfigurationError, match="not a language code"):
        Translator("Spanish!", api_key=KEY)
    assert Translator(["xx", "ES"], languages=["xx", "es"], api_key=KEY).languages == ("xx", "es")
    assert Translator("xx", unknown_language="allow", api_key=KEY).languages == ("xx",)
    with pytest.raises(ConfigurationError, match="twice"):
        Translator(["es", "es"], api_key=KEY)


async def test_bad_audio_is_refused_and_nothing_is_lost() -> None:
    async with FakeRealtimeServer(clock=FakeClock()) as server:
        speech = build_speech(server.speak, SENTENCES[:1])
        tr = Translator("de", **options(server))
        with pytest.raises(LocalProtocolError, match="not open"):
            await tr.send_audio(speech.pcm)
        async with tr:
            with pytest.raises(AudioError, match="must be a PCMFrame"):
                await tr.send_audio("not audio")
            with pytest.raises(AudioError, match="whole number"):
                await tr.send_audio(b"\x00\x01\x02")
            await tr.send_audio(PCMFrame.silence(100, 24_000))
            with pytest.raises(AudioError, match="rate changed"):
                await tr.send_audio(PCMFrame.silence(100, 16_000))
            await tr.send_audio(speech.pcm)  # the translator goes on
        assert tr.result().text("de") == f"[de] {SENTENCES[0]}"
        with pytest.raises(LocalProtocolError, match="ended"):
            await tr.send_audio(speech.pcm)


async def test_closing_mid_sentence_flushes_the_last_words() -> None:
    async with FakeRealtimeServer(clock=FakeClock()) as server:
        # The source ends in the middle of speech: no trailing silence at all.
        pcm = silence(400) + server.speak(SENTENCES[0])
        async with Translator("fr", source_transcript=True, **options(server)) as tr:
            await tr.send_audio(pcm[: len(pcm) - 1000])  # not a whole frame either
        events = await collect(tr)
    padded = [e for e in events if isinstance(e, InputPadded)]
    assert [p.reason for p in padded] == ["end"]
    assert tr.input_seconds * 1000 % 200 == 0
    (final,) = finals(events)
    assert final.text == f"[fr] {SENTENCES[0]}"
    assert final.segment.source_text == SENTENCES[0]


async def test_a_failing_block_stops_at_once_and_keeps_what_was_translated() -> None:
    async with FakeRealtimeServer(clock=FakeClock()) as server:
        speech = build_speech(server.speak, SENTENCES[:2])
        tr = Translator("de", **options(server))

        async def fail() -> None:
            async with tr:
                await tr.send_audio(speech.pcm)
                await wait_for(tr, lambda e: isinstance(e, TargetFinal))
                raise RuntimeError("app failure")

        with pytest.raises(RuntimeError, match="app failure"):
            await fail()
    assert tr.result().segments["de"][0].text == f"[de] {SENTENCES[0]}"


async def test_a_stalled_source_is_padded_and_reported() -> None:
    clock = ManualClock()
    async with FakeRealtimeServer(clock=FakeClock()) as server:
        speech = build_speech(server.speak, SENTENCES[:2], lead_ms=400, pause_ms=800)
        # The first sentence and part of its pause, in whole frames.
        cut = round((speech.spans[0][2] + 0.4) * 5) * 9_600
        sent = cut / 48_000
        async with Translator(
            "es", **options(server, pad_stalls=True, stall_ms=600, stall_clock=clock)
        ) as tr:
            await tr.send_audio(speech.pcm[:cut])
            clock.advance(sent + 2.0)  # the source is now 2 s behind real time
            seen = await wait_for(tr, lambda e: isinstance(e, InputPadded))
            assert seen[-1] == InputPadded(start=sent, duration_ms=2000, reason="stall")
            await tr.send_audio(speech.pcm[cut:])
            await tr.finish()
            (session,) = [h.session for h in server.connections]
            assert session.elapsed_ms == round(tr.input_seconds * 1000)  # the silence was sent
        events = seen + await collect(tr)
    end = [e.duration_ms for e in events if isinstance(e, InputPadded) and e.reason == "end"]
    assert tr.padded_ms == pytest.approx(2000 + sum(end))
    first, second = tr.segments()
    assert first.text == f"[es] {SENTENCES[0]}"
    assert second.text == f"[es] {SENTENCES[1]}"
    # The second sentence was heard 2 s later on the input timeline than in the file.
    assert second.target_start >= speech.spans[1][2] + 2.0


async def test_budget_stop_ends_the_input_cleanly() -> None:
    async with FakeRealtimeServer(clock=FakeClock()) as server:
        speech = build_speech(server.speak, SENTENCES[:1])
        budget = Budget("0.0006")  # about a second of input at $0.034 a minute
        async with Translator("es", budget=budget, **options(server)) as tr:
            await tr.send_audio(speech.pcm[: 48 * 600])
            assert tr.stopped is None
            await tr.send_audio(speech.pcm[48 * 600 :])  # the hard stop comes in here
            assert tr.stopped is not None
            with pytest.raises(BudgetExceededError):
                await tr.send_audio(speech.pcm)
        events = await collect(tr)
    levels = [e.event.level for e in events if isinstance(e, BudgetNotice)]
    assert levels == ["warn", "wrap_up", "hard_stop"]
    stopped = [e for e in events if isinstance(e, TranslationStopped)]
    assert stopped == [tr.stopped]
    assert tr.stopped.spent_usd is not None
    assert tr.stopped.spent_usd >= Decimal("0.0006")
    assert tr.input_seconds == pytest.approx(1.2)  # nothing sent after the hard stop
    assert tr.result().stopped == tr.stopped


async def test_audio_at_the_app_rate_and_server_errors_as_events() -> None:
    async with FakeRealtimeServer(clock=FakeClock()) as server:
        speech = build_speech(server.speak, SENTENCES[:1])
        async with Translator("it", output_rate=16_000, **options(server)) as tr:
            await tr.send_audio(speech.pcm)
            (handle,) = server.connections
            handle.send_soon(
                {
                    "type": "error",
                    "error": {"type": "invalid_request_error", "code": "x", "message": "m"},
                }
            )
            await wait_for(tr, lambda e: isinstance(e, ServerError))
        frames = [f async for f in tr.audio()]
    assert {f.rate for f in frames} == {16_000}
    total = sum(f.num_samples for f in frames) / 16_000
    assert tr.segments()[-1].audio_end == pytest.approx(total, abs=0.01)
    no_audio = Translator("it", keep_audio=False, api_key=KEY)
    with pytest.raises(ConfigurationError, match="keep_audio"):
        no_audio.audio()


async def test_subtitles_of_either_side_or_both_parse_back() -> None:
    async with FakeRealtimeServer(clock=FakeClock()) as server:
        speech = build_speech(server.speak, SENTENCES)
        async with Translator(["ja", "ko"], source_transcript=True, **options(server)) as tr:
            tr.stream_audio(chunks(speech.pcm))
            await collect(tr)
    result = tr.result()
    segments = result.segments["ko"]
    both = parse_srt(result.to_srt("ko", side="both"))
    assert [c.text for c in both] == [f"{s}\n[ko] {s}" for s in SENTENCES]
    for cue, segment in zip(both, segments, strict=True):
        assert cue.start == pytest.approx(segment.start, abs=0.0011)
        assert cue.end == pytest.approx(segment.end, abs=0.0011)
    source = parse_vtt(result.to_vtt(side="source"))
    assert [c.text for c in source] == list(SENTENCES)
    target = parse_vtt(result.to_vtt("ja", timeline="audio"))
    assert [c.text for c in target] == [f"[ja] {s}" for s in SENTENCES]
    assert target[0].start == 0
    for a, b in itertools.pairwise(target):
        assert a.end == pytest.approx(b.start, abs=0.0011)  # the audio spans are consecutive
    with pytest.raises(ConfigurationError, match="no translation into"):
        result.to_srt("de")


async def test_a_failing_source_ends_the_input_and_is_raised_after_the_translations() -> None:
    async with FakeRealtimeServer(clock=FakeClock()) as server:
        speech = build_speech(server.speak, SENTENCES[:1])

        async def unplugged() -> Any:
            yield speech.pcm
            raise OSError("capture device unplugged")

        tr = Translator("es", **options(server))
        seen: list[Any] = []

        async def run() -> None:
            async with tr:
                tr.stream_audio(unplugged())
                async for event in tr.events():
                    seen.append(event)

        with pytest.raises(OSError, match="unplugged"):
            await run()
    # Everything sent before the source broke was still translated and handed out.
    assert [f.text for f in finals(seen)] == [f"[es] {SENTENCES[0]}"]
