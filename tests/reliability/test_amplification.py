"""No amplification, no unbounded growth (issue 12, defect 5).

A 0.59 MB frame with a 100k-element list where a typed field belongs took ~0.9 s and +165 MB to
reject, inside the event-loop callback; 20,000 distinct unknown event types grew the process-wide
drift counters (and ``protocol.violations``) without limit. Work and memory are measured here,
not time: the validator's error count and tracemalloc's peak are the same on any machine.
Legitimately huge frames (20 MB of audio) must still decode.
"""

from __future__ import annotations

import base64
import json
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from realtime_kit.errors import DecodeError
from realtime_kit.events import EventDecoder, ResponseOutputAudioDeltaEvent, decode_server_event
from realtime_kit.events import _codec as codec
from realtime_kit.protocol import RealtimeProtocol

N = 100_000
PATHOLOGICAL = {
    "response.done output": {
        "type": "response.done",
        "event_id": "e",
        "response": {"id": "r", "output": list(range(N))},
    },
    "item content": {
        "type": "conversation.item.added",
        "event_id": "e",
        "item": {"id": "i", "type": "message", "role": "user", "content": list(range(N))},
    },
    "rate_limits": {"type": "rate_limits.updated", "event_id": "e", "rate_limits": list(range(N))},
    "response metadata": {
        "type": "response.done",
        "event_id": "e",
        "response": {"id": "r", "metadata": {f"k{i}": i for i in range(N)}},
    },
    "logprobs": {
        "type": "conversation.item.input_audio_transcription.completed",
        "event_id": "e",
        "item_id": "i",
        "content_index": 0,
        "transcript": "",
        "logprobs": [{"token": i} for i in range(N)],
    },
}


def peak_bytes(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        fn()
    except DecodeError:
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_a_pathological_frame_is_rejected_with_bounded_work(name: str) -> None:
    frame = json.dumps(PATHOLOGICAL[name])
    with pytest.raises(DecodeError):
        decode_server_event(frame)
    with pytest.raises(ValidationError) as raised:
        codec._validate_server(frame)
    assert raised.value.error_count() <= 8
    # Memory stays proportional to the frame (it was over 100x: an error record per element;
    # what is left is pydantic handing the offending object to the error, once).
    assert peak_bytes(lambda: decode_server_event(frame)) <= 20 * len(frame) + 2_000_000


def test_twenty_megabyte_audio_frames_still_decode() -> None:
    audio = base64.b64encode(bytes(15 * 1024 * 1024)).decode()  # 20 MiB of base64
    frame = json.dumps(
        {
            "type": "response.output_audio.delta",
            "event_id": "e",
            "response_id": "r",
            "item_id": "i",
            "output_index": 0,
            "content_index": 0,
            "delta": audio,
        }
    )
    assert len(frame) > 20_000_000
    event = decode_server_event(frame)
    assert isinstance(event, ResponseOutputAudioDeltaEvent)
    assert len(event.delta) == len(audio)


def test_the_drift_report_keeps_counts_and_caps_distinct_samples() -> None:
    decoder = EventDecoder()
    for n in range(20_000):
        decoder.decode_server(json.dumps({"type": f"x.unknown.{n}", f"field_{n}": 1}))
    for n in range(5_000):
        decoder.decode_server(
            json.dumps({"type": "rate_limits.updated", "rate_limits": [], f"extra_{n}": 1})
        )
    drift = decoder.drift
    assert len(drift.unknown_events) <= drift.max_samples
    assert len(drift.unknown_fields) <= drift.max_samples
    assert drift.total_unknown_events == 20_000
    assert drift.total_unknown_fields == 5_000
    assert drift.dropped_samples > 0
    assert "more not listed" in str(drift)
    assert drift.as_dict()["dropped_samples"] == drift.dropped_samples


def test_drift_memory_stays_bounded() -> None:
    decoder = EventDecoder()

    def flood() -> None:
        for n in range(20_000):
            decoder.decode_server(json.dumps({"type": f"x.flood.{n}"}))

    assert peak_bytes(flood) < 1_000_000


def test_protocol_violations_keep_the_count_and_cap_the_samples() -> None:
    core = RealtimeProtocol()
    core.receive(json.dumps({"type": "session.created", "session": {"type": "realtime"}}))
    for n in range(5_000):
        core.receive(
            json.dumps({"type": "response.done", "event_id": f"e{n}", "response": {"id": f"r{n}"}})
        )
    assert core.violations.total >= 5_000
    assert len(core.violations) <= core.violations.max_samples
    assert "unknown response r4999" in str(core.violations[-1])
    assert len(list(core.violations)) == len(core.violations)
