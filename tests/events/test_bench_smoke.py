"""Smoke test of ``benchmarks/bench_events.py``: it runs, and its stream is what it claims to be.

No timing is asserted here — performance figures live in the benchmark's own output and in
``docs/performance.md``. Short streams and tiny iteration counts keep this in the default suite.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pybase64
import pytest

from realtime_kit.events import (
    ConversationItemInputAudioTranscriptionCompletedEvent,
    InputAudioBufferAppendEvent,
    RateLimitsUpdatedEvent,
    ResponseDoneEvent,
    ResponseOutputAudioDeltaEvent,
    ResponseOutputAudioTranscriptDeltaEvent,
    decode_client_event,
    decode_server_event,
)

pytestmark = pytest.mark.benchmark

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_events.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    # benchmarks/ is not a package; load the script the way `python benchmarks/...` would.
    spec = importlib.util.spec_from_file_location("bench_events", _SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


# The benchmark's turn is 60 s; a 6 s one has the same shape and builds ten times faster.
SECONDS = 6


@pytest.fixture(scope="module")
def short_stream(bench: ModuleType) -> object:
    return bench.build_stream(seconds=SECONDS)


def test_stream_is_a_voice_turn(bench: ModuleType, short_stream: object) -> None:
    stream = short_stream
    bench.check_stream(stream)  # every frame → its own typed class, no drift, SDK agrees on type
    kinds = stream.kinds
    # 20–100 ms deltas average 60 ms: about 1,000 a minute.
    assert 80 <= kinds["response.output_audio.delta"] <= 120
    assert kinds["response.output_audio_transcript.delta"] > 100
    for wire_type in (
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.input_audio_transcription.completed",
        "response.created",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.done",
        "rate_limits.updated",
    ):
        assert kinds[wire_type] == 1, wire_type
    assert stream.types[-2:] == ["response.done", "rate_limits.updated"]

    events = [decode_server_event(frame) for frame in stream.frames]
    audio = [e for e in events if isinstance(e, ResponseOutputAudioDeltaEvent)]
    sizes = [len(e.audio_bytes()) for e in audio]
    per_ms = 24_000 * 2 // 1000
    assert all(20 * per_ms <= size <= 100 * per_ms for size in sizes[:-1])
    assert sum(sizes) == SECONDS * 1000 * per_ms
    assert stream.audio_ms == SECONDS * 1000
    assert all(e.pcm16_array().std() > 100 for e in audio)  # audio-like content, not silence

    transcript = [e for e in events if isinstance(e, ResponseOutputAudioTranscriptDeltaEvent)]
    assert all(e.obfuscation for e in transcript)
    assert "".join(e.delta for e in transcript) == bench._ANSWER

    (done,) = (e for e in events if isinstance(e, ResponseDoneEvent))
    assert done.response.usage is not None
    assert done.response.usage.output_token_details is not None
    assert done.response.usage.output_token_details.audio_tokens == SECONDS * 20
    (limits,) = (e for e in events if isinstance(e, RateLimitsUpdatedEvent))
    assert [limit.name for limit in limits.rate_limits] == ["requests", "tokens"]
    completed = next(
        e for e in events if isinstance(e, ConversationItemInputAudioTranscriptionCompletedEvent)
    )
    assert completed.transcript == bench._QUESTION


def test_stream_is_deterministic(bench: ModuleType) -> None:
    first = bench.build_stream(seconds=2.0)
    assert bench.build_stream(seconds=2.0).frames == first.frames
    assert bench.build_stream(seconds=2.0, seed=7).frames != first.frames


def test_append_paths_send_the_same_event(bench: ModuleType, short_stream: object) -> None:
    pcm = short_stream.append_chunks[0]
    assert len(pcm) == 960  # 20 ms of PCM16 at 24 kHz
    ours = decode_client_event(bench.check_append(pcm))
    assert isinstance(ours, InputAudioBufferAppendEvent)
    assert ours.audio == pybase64.b64encode(pcm).decode("ascii")


def test_benchmark_runs_with_tiny_counts(bench: ModuleType) -> None:
    stream = bench.build_stream(seconds=1.0)
    result = bench.run_benchmark(stream, repeats=2, passes=1, appends=4, block=2, warmup=False)
    assert set(result.decode_events_per_s) == {"realtime_kit", "openai_sdk", "orjson_loads"}
    assert set(result.append_us) == {"realtime_kit", "realtime_kit_awaited", "openai_sdk"}
    assert all(value > 0 for value in result.decode_events_per_s.values())
    assert all(value > 0 for value in result.append_us.values())
    assert set(result.targets_met) == {"decode_vs_sdk", "decode_vs_orjson", "append_vs_sdk"}
    assert result.events == len(stream.frames)


def test_command_line_prints_a_table_and_json(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    tiny = ["--seconds", "0.5", "--repeats", "1", "--passes", "1", "--appends", "2", "--block", "2"]
    assert bench.main(tiny) == 0
    table = capsys.readouterr().out
    assert "decode: ours vs SDK" in table
    assert "openai SDK parse_event" in table

    assert bench.main([*tiny, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["ratios"]) == {
        "decode_vs_sdk",
        "decode_orjson_vs_ours",
        "append_sdk_vs_ours",
        "append_sdk_vs_ours_awaited",
    }
    assert report["environment"]["openai"] == "3.51.0"
