"""The clock wired to real wire events: deltas in, a barge-in out as truncate events."""

from __future__ import annotations

import json

import numpy as np
import pybase64

from realtime_kit.audio import PCMFrame, PlaybackClock
from realtime_kit.events import (
    ConversationItemTruncateEvent,
    ResponseOutputAudioDeltaEvent,
    decode_server_event,
    encode_event,
)


def _delta(item_id: str, ms: int) -> bytes:
    audio = np.zeros(24 * ms, np.int16).tobytes()
    return json.dumps(
        {
            "type": "response.output_audio.delta",
            "event_id": "ev",
            "response_id": "resp_1",
            "item_id": item_id,
            "output_index": 0,
            "content_index": 0,
            "delta": pybase64.b64encode(audio).decode(),
        }
    ).encode()


def test_barge_in_becomes_truncate_events_for_heard_items_only() -> None:
    clock = PlaybackClock()
    for raw in [_delta("item_a", 120), _delta("item_a", 80), _delta("item_b", 100)]:
        event = decode_server_event(raw)
        assert isinstance(event, ResponseOutputAudioDeltaEvent)
        frame = PCMFrame.from_bytes(event.audio_bytes())
        clock.received(event.item_id, frame, content_index=event.content_index)
    clock.advance(24 * 150)  # the speaker played 150 ms
    truncates = [
        ConversationItemTruncateEvent(
            item_id=p.item_id, content_index=p.content_index, audio_end_ms=p.heard_ms
        )
        for p in clock.flush()
        if p.heard_ms > 0
    ]
    assert [json.loads(encode_event(t)) for t in truncates] == [
        {
            "type": "conversation.item.truncate",
            "item_id": "item_a",
            "content_index": 0,
            "audio_end_ms": 150,
        }
    ]
    assert clock.heard_ms("item_b") == 0  # never heard: delete it rather than truncate
