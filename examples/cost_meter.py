"""Price one voice turn offline: feed a CostMeter the events of a short realtime session.

Run: ``python examples/cost_meter.py`` (no network, no API key). The events are built from JSON
exactly as a connection would decode them; in an app, call ``meter.observe(event)`` for every
event sent and received.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pybase64

from realtime_kit import Budget, CostMeter
from realtime_kit.events import decode_client_event, decode_server_event

FRAME = pybase64.b64encode(bytes(9_600)).decode()  # 200 ms of PCM16 at 24 kHz


def main() -> None:
    meter = CostMeter(budget=Budget("0.05", warn_percent=50, wrap_up_percent=80))
    server = [
        {
            "type": "session.created",
            "session": {
                "type": "realtime",
                "id": "sess_example",
                "object": "realtime.session",
                "model": "gpt-realtime-2",
                "audio": {
                    "input": {
                        "format": {"type": "audio/pcm", "rate": 24000},
                        "transcription": {"model": "gpt-live-transcribe"},
                    },
                    "output": {"format": {"type": "audio/pcm", "rate": 24000}},
                },
            },
        },
    ]
    for payload in server:
        meter.observe(decode_server_event(json.dumps(payload)))
    # The user talks for 4 seconds (20 frames of 200 ms).
    for _ in range(20):
        meter.observe(
            decode_client_event(json.dumps({"type": "input_audio_buffer.append", "audio": FRAME}))
        )
    meter.observe(
        decode_server_event(json.dumps({"type": "response.created", "response": {"id": "resp_1"}}))
    )
    print(f"while the answer streams: ${meter.total_usd} (estimate: {meter.has_estimates})")
    meter.observe(
        decode_server_event(
            json.dumps(
                {
                    "type": "response.done",
                    "response": {
                        "id": "resp_1",
                        "status": "completed",
                        "usage": {
                            "total_tokens": 320,
                            "input_tokens": 132,
                            "output_tokens": 188,
                            "input_token_details": {
                                "text_tokens": 59,
                                "audio_tokens": 73,
                                "image_tokens": 0,
                                "cached_tokens": 64,
                                "cached_tokens_details": {
                                    "text_tokens": 0,
                                    "audio_tokens": 64,
                                    "image_tokens": 0,
                                },
                            },
                            "output_token_details": {"text_tokens": 41, "audio_tokens": 147},
                        },
                    },
                }
            )
        )
    )
    meter.observe(
        decode_server_event(
            json.dumps(
                {
                    "type": "conversation.item.input_audio_transcription.completed",
                    "item_id": "item_1",
                    "content_index": 0,
                    "transcript": "What is the weather like?",
                    "usage": {"type": "duration", "seconds": 4},
                }
            )
        )
    )
    assert meter.total_usd == Decimal("0.0109416") + Decimal("0.001133333333")
    print(meter)


if __name__ == "__main__":
    main()
