"""The Transcriber end to end against the fake server over real loopback sockets."""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path

import anyio
import numpy as np
import pytest

import realtime_kit
from realtime_kit.audio import PCMFrame
from realtime_kit.cli._offline import SidecarRecognizer
from realtime_kit.cost import Budget
from realtime_kit.errors import ConfigurationError
from realtime_kit.testing import FakeClock, FakeRealtimeServer, ScriptedRecognizer, load_recording
from realtime_kit.transcriber import (
    FinalCaption,
    PartialCaption,
    Transcriber,
    TranscriptionRestored,
    TranscriptionStopped,
    format_srt,
    microphone_source,
    wav_source,
)
from tests.audio.conftest import FakeBackend
from tests.transcriber._util import (
    SAMPLE_JSON,
    SAMPLE_WAV,
    build_speech,
    chunks,
    sample_truth,
)

pytestmark = pytest.mark.anyio

TOLERANCE = 0.150  # seconds
SENTENCES = (
    "The first sentence is short.",
    "Here comes the second one.",
    "A third sentence follows it.",
    "And this is the last sentence.",
)
MODELS = ("gpt-realtime-whisper", "gpt-4o-transcribe")  # client commits; server VAD


def _sample_server() -> FakeRealtimeServer:
    return FakeRealtimeServer(recognizer=SidecarRecognizer(SAMPLE_WAV, SAMPLE_JSON))


def _check_boundaries(segments: list[realtime_kit.transcriber.Segment], truth: list) -> None:  # type: ignore[type-arg]
    assert len(segments) == len(truth)
    for segment, (text, start, end) in zip(segments, truth, strict=True):
        assert segment.text == text
        assert abs(segment.start - start) <= TOLERANCE, (segment, start)
        assert abs(segment.end - end) <= TOLERANCE, (segment, end)


@pytest.mark.parametrize("model", MODELS)
async def test_the_sample_wav_is_segmented_where_the_speech_is(model: str) -> None:
    truth = [(s["text"], s["start"], s["end"]) for s in sample_truth()]
    async with _sample_server() as server:
        transcript = await realtime_kit.transcribe_file(
            SAMPLE_WAV, model=model, api_key="sk-test", base_url=server.base_url
        )
    _check_boundaries(list(transcript.segments), truth)
    assert transcript.text == " ".join(t for t, _, _ in truth)
    assert transcript.audio_seconds == pytest.approx(6.722, abs=0.001)
    assert transcript.cost_usd is not None
    assert transcript.cost_usd > 0


async def test_captions_stream_partials_then_finals_in_order() -> None:
    async with FakeRealtimeServer() as server:
        speech = build_speech(server.speak, SENTENCES[:2])
        transcriber = Transcriber(api_key="sk-test", base_url=server.base_url)
        seen = []
        async with transcriber.stream(chunks(speech.pcm)) as captions:
            async for caption in captions:
                seen.append(caption)
    finals = [c for c in seen if isinstance(c, FinalCaption)]
    partials = [c for c in seen if isinstance(c, PartialCaption)]
    assert [f.text for f in finals] == list(SENTENCES[:2])
    first_item = finals[0].segment.item_id
    growing = [p.text for p in partials if p.item_id == first_item]
    assert growing[-1] == SENTENCES[0]
    assert all(a in b for a, b in itertools.pairwise(growing))
    assert seen.index(finals[0]) > seen.index(partials[0])
    assert transcriber.transcript == " ".join(SENTENCES[:2])


@pytest.mark.parametrize("model", MODELS)
async def test_out_of_order_completions_are_reordered(model: str, tmp_path: Path) -> None:
    record = tmp_path / "session.jsonl"
    async with FakeRealtimeServer(record_to=record) as server:
        server.faults.out_of_order_transcriptions()
        speech = build_speech(server.speak, SENTENCES)
        transcriber = Transcriber(model, api_key="sk-test", base_url=server.base_url)
        order = []
        async with transcriber.stream(chunks(speech.pcm)) as captions:
            async for caption in captions:
                if isinstance(caption, FinalCaption):
                    order.append(caption.text)
    assert order == list(SENTENCES)
    _check_boundaries(transcriber.segments, speech.spans)
    # The server really did complete them out of order.
    frames = [r["frame"] for r in load_recording(record) if r["dir"] == "out"]
    committed = [f["item_id"] for f in frames if f["type"] == "input_audio_buffer.committed"]
    completed = [
        f["item_id"]
        for f in frames
        if f["type"] == "conversation.item.input_audio_transcription.completed" and f["transcript"]
    ]
    assert completed != [c for c in committed if c in completed]


@pytest.mark.parametrize("model", MODELS)
async def test_a_drop_mid_file_loses_nothing_and_repeats_nothing(model: str) -> None:
    async with FakeRealtimeServer() as server:
        speech = build_speech(server.speak, SENTENCES)
        # The socket dies while the second sentence's transcript is streaming.
        server.faults.drop_on("conversation.item.input_audio_transcription.delta", nth=8)
        transcriber = Transcriber(model, api_key="sk-test", base_url=server.base_url)
        seen = []
        async with transcriber.stream(chunks(speech.pcm)) as captions:
            async for caption in captions:
                seen.append(caption)
        sessions = len(server.connections)
    restored = [c for c in seen if isinstance(c, TranscriptionRestored)]
    assert len(restored) == 1
    assert restored[0].close_code == 1006
    assert restored[0].replayed_ms > 0
    assert sessions == 2
    finals = [c.text for c in seen if isinstance(c, FinalCaption)]
    assert finals == list(SENTENCES)  # each once, in order
    _check_boundaries(transcriber.segments, speech.spans)


async def test_turns_already_transcribed_are_not_sent_again() -> None:
    async with FakeRealtimeServer() as server:
        speech = build_speech(server.speak, SENTENCES[:3])
        # A clean close (1011) right after the second commit: everything sent before it,
        # the first transcript included, reaches the client.
        server.faults.close_on("input_audio_buffer.committed", 1011, "oops", nth=2)
        transcriber = Transcriber(api_key="sk-test", base_url=server.base_url)
        transcript = await transcriber.transcribe(chunks(speech.pcm))
        first, second = server.connections
    assert transcript.text == " ".join(SENTENCES[:3])
    (restored,) = transcriber.restores
    assert restored.close_code == 1011
    heard_first = [i["content"][0]["transcript"] for i in first.items]
    heard_second = [i["content"][0]["transcript"] for i in second.items]
    assert heard_first[0] == SENTENCES[0]
    assert SENTENCES[0] not in heard_second  # not replayed: its transcript had arrived
    assert heard_second[-1] == SENTENCES[2]
    assert SENTENCES[1] in heard_second  # committed but unanswered: replayed
    assert restored.replayed_items >= 1


@pytest.mark.parametrize("rate", [16_000, 48_000])
async def test_any_input_rate_and_channel_count(rate: int) -> None:
    recognizer = ScriptedRecognizer(["one", "two"], default="?")
    async with FakeRealtimeServer(recognizer=recognizer) as server:
        speech = build_speech(server.speak, SENTENCES[:2])
        base = PCMFrame.from_bytes(speech.pcm)
        stereo = np.repeat(realtime_kit.audio.resample(base, rate).samples, 2)
        frame = PCMFrame.from_array(stereo.reshape(-1, 2), rate)

        async def frames():  # type: ignore[no-untyped-def]
            for piece in frame.chunks(20, remainder="keep"):
                yield piece

        transcript = await Transcriber(api_key="sk-test", base_url=server.base_url).transcribe(
            frames()
        )
    assert transcript.text == "one two"
    assert transcript.audio_seconds == pytest.approx(len(speech.pcm) / 48_000, abs=0.02)
    _check_boundaries(
        list(transcript.segments),
        [(t, s, e) for (t, (_, s, e)) in zip(("one", "two"), speech.spans, strict=True)],
    )


async def test_budget_hard_stop_ends_the_stream_cleanly() -> None:
    async with _sample_server() as server:
        transcriber = Transcriber(
            api_key="sk-test", base_url=server.base_url, budget=Budget("0.0005")
        )
        seen = []
        async with transcriber.stream(wav_source(SAMPLE_WAV)) as captions:
            async for caption in captions:
                seen.append(caption)
    assert isinstance(seen[-1], TranscriptionStopped)
    assert seen[-1].reason == "budget"
    assert transcriber.meter.budget_exhausted
    assert transcriber.cost_usd is not None
    assert transcriber.cost_usd >= Decimal("0.0005")
    assert len(transcriber.segments) < 3
    assert transcriber.result().stopped == seen[-1]


async def test_g711_input_format_is_converted() -> None:
    recognizer = ScriptedRecognizer(["one", "two"], default="?")
    async with FakeRealtimeServer(recognizer=recognizer) as server:
        speech = build_speech(server.speak, SENTENCES[:2])
        transcript = await Transcriber(
            input_format="pcmu", api_key="sk-test", base_url=server.base_url
        ).transcribe(chunks(speech.pcm))
        (handle,) = server.connections
    assert handle.config["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert transcript.text == "one two"
    _check_boundaries(
        list(transcript.segments),
        [(t, s, e) for (t, (_, s, e)) in zip(("one", "two"), speech.spans, strict=True)],
    )


async def test_the_session_is_configured_as_asked() -> None:
    async with FakeRealtimeServer() as server:
        transcriber = Transcriber(
            "gpt-live-transcribe",
            language="en",
            keywords=["realtime"],
            noise_reduction="near_field",
            logprobs=True,
            api_key="sk-test",
            base_url=server.base_url,
        )
        await transcriber.transcribe(chunks(bytes(48 * 300)))
        (handle,) = server.connections
    audio_input = handle.config["audio"]["input"]
    assert audio_input["turn_detection"] is None
    assert audio_input["transcription"]["model"] == "gpt-live-transcribe"
    assert audio_input["transcription"]["keywords"] == ["realtime"]
    assert audio_input["noise_reduction"]["type"] == "near_field"
    assert handle.config["include"] == ["item.input_audio_transcription.logprobs"]
    assert transcriber.segments == []


async def test_srt_of_a_run_is_valid() -> None:
    async with _sample_server() as server:
        transcript = await realtime_kit.transcribe_file(
            SAMPLE_WAV, api_key="sk-test", base_url=server.base_url
        )
    srt = transcript.to_srt()
    assert srt == format_srt(transcript.segments)
    assert srt.startswith("1\n00:00:00,4")
    assert srt.count(" --> ") == 3


async def test_bad_configuration_is_refused_before_any_audio() -> None:
    with pytest.raises(ConfigurationError, match="unknown transcription model"):
        Transcriber("gpt-realtime-2", api_key="sk-test")
    with pytest.raises(ConfigurationError, match="turn_detection: null"):
        Transcriber("gpt-realtime-whisper", turn_detection="server_vad", api_key="sk-test")
    with pytest.raises(ConfigurationError, match="API key"):
        Transcriber(api_key=None, base_url="http://127.0.0.1:9/v1")
    async with FakeRealtimeServer() as server:
        transcriber = Transcriber(api_key="sk-test", base_url=server.base_url)
        with pytest.raises(ConfigurationError, match="async iterable"):
            await transcriber.transcribe(b"raw bytes are not a stream")  # type: ignore[arg-type]


async def test_runs_are_independent_and_not_concurrent() -> None:
    async with _sample_server() as server:
        transcriber = Transcriber(api_key="sk-test", base_url=server.base_url)
        first = await transcriber.transcribe(wav_source(SAMPLE_WAV))
        second = await transcriber.transcribe(wav_source(SAMPLE_WAV))
        assert first.text == second.text
        async with transcriber.stream(wav_source(SAMPLE_WAV)):
            with pytest.raises(ConfigurationError, match="already running"):
                async with transcriber.stream(wav_source(SAMPLE_WAV)):
                    pass  # pragma: no cover
        with anyio.fail_after(10):
            await transcriber.transcribe(wav_source(SAMPLE_WAV))


async def test_log_probabilities_reach_partials_and_segments() -> None:
    async with FakeRealtimeServer() as server:
        speech = build_speech(server.speak, SENTENCES[:1])
        transcriber = Transcriber(logprobs=True, api_key="sk-test", base_url=server.base_url)
        partials = []
        async with transcriber.stream(chunks(speech.pcm)) as captions:
            async for caption in captions:
                if isinstance(caption, PartialCaption):
                    partials.append(caption)
    (segment,) = transcriber.segments
    assert segment.logprobs is not None
    assert "".join(lp.token for lp in segment.logprobs).strip() == SENTENCES[0]
    assert all(lp.logprob <= 0 for lp in segment.logprobs)
    assert all(p.logprobs for p in partials)


async def test_microphone_input_through_a_fake_device() -> None:
    backend = FakeBackend(input_rate=48_000)
    recognizer = ScriptedRecognizer(["one", "two"], default="?")
    async with FakeRealtimeServer(recognizer=recognizer) as server:
        speech = build_speech(server.speak, SENTENCES[:2])
        device = np.repeat(PCMFrame.from_bytes(speech.pcm).samples, 2)  # 48 kHz, mono
        device = np.concatenate([device, np.zeros(48_000, np.int16)])  # then a quiet room
        transcriber = Transcriber(api_key="sk-test", base_url=server.base_url)

        async def speak_into_the_device() -> None:
            while not backend.streams or not backend.streams[0].started:  # noqa: ASYNC110
                await anyio.sleep(0.001)
            for start in range(0, device.size, 480):  # 10 ms device blocks
                backend.streams[0].push(device[start : start + 480, None])
                if start % 4800 == 0:
                    await anyio.sleep(0.002)

        finals = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(speak_into_the_device)
            async with transcriber.stream(microphone_source(backend=backend)) as captions:
                async for caption in captions:
                    if isinstance(caption, FinalCaption):
                        finals.append(caption.text)
                    if len(finals) == 2:
                        break  # a live source never ends: leaving the block stops it
    assert finals == ["one", "two"]
    assert backend.streams[0].closed
    _check_boundaries(
        transcriber.segments,
        [(t, s, e) for (t, (_, s, e)) in zip(("one", "two"), speech.spans, strict=True)],
    )


async def test_the_60_minute_cap_only_starts_a_new_session() -> None:
    clock = FakeClock()
    async with FakeRealtimeServer(clock=clock) as server:
        speech = build_speech(server.speak, SENTENCES[:3])
        cut = len(speech.pcm) // 2 // 960 * 960

        async def audio():  # type: ignore[no-untyped-def]
            async for piece in chunks(speech.pcm[:cut]):
                yield piece
            while not transcriber.segments:  # noqa: ASYNC110 - the session is under way
                await anyio.sleep(0.005)
            clock.advance(3601)  # the session hits its cap in the middle of the input
            await server.wait_for_connections(2)
            async for piece in chunks(speech.pcm[cut:]):
                yield piece

        transcriber = Transcriber(api_key="sk-test", base_url=server.base_url)
        transcript = await transcriber.transcribe(audio())
    assert transcript.text == " ".join(SENTENCES[:3])
    (restored,) = transcriber.restores
    assert restored.close_code == 1001
    _check_boundaries(list(transcript.segments), speech.spans)


@pytest.mark.parametrize(
    ("turn_detection", "server_vad", "expected"),
    [
        ("client", None, None),
        ("server_vad", {"silence_duration_ms": 300}, 300),
    ],
)
async def test_turn_detection_can_be_chosen_for_token_models(
    turn_detection: str, server_vad: dict[str, int] | None, expected: int | None
) -> None:
    async with FakeRealtimeServer() as server:
        speech = build_speech(server.speak, SENTENCES[:2])
        transcriber = Transcriber(
            "gpt-4o-mini-transcribe",
            turn_detection=turn_detection,  # type: ignore[arg-type]
            server_vad=server_vad,
            api_key="sk-test",
            base_url=server.base_url,
        )
        transcript = await transcriber.transcribe(chunks(speech.pcm))
        (handle,) = server.connections
    td = handle.config["audio"]["input"]["turn_detection"]
    assert (td is None) == (expected is None)
    if expected is not None:
        assert td["silence_duration_ms"] == expected
        assert transcriber.engine.silence_duration_ms == expected
    _check_boundaries(list(transcript.segments), speech.spans)
