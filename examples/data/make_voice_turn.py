"""Write ``voice_turn.jsonl``: a small recorded-style realtime session for the offline demo.

The frames are built with realtime_kit's own event classes and written in the fake server's
recording format (one JSON object per line: ``t``, ``conn``, ``dir`` and ``frame``). The
assistant's audio is a synthetic vowel-like tone, so the file stays small and reproducible.

    python examples/data/make_voice_turn.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from realtime_kit import events as ev
from realtime_kit.events import encode_event

RATE = 24_000
OUT = Path(__file__).with_name("voice_turn.jsonl")


def tone(ms: int, start: int) -> np.ndarray:
    t = (np.arange(ms * RATE // 1000) + start) / RATE
    wave = 0.3 * np.sin(2 * np.pi * 180 * t) + 0.1 * np.sin(2 * np.pi * 540 * t)
    return np.asarray(wave * 32767, dtype=np.int16)


def main() -> None:
    lines: list[dict[str, object]] = []
    clock = 0.0

    def put(direction: str, event: ev.ServerEventBase | ev.ClientEventBase, dt: float) -> None:
        nonlocal clock
        clock += dt
        frame = json.loads(encode_event(event))
        lines.append({"t": round(clock, 3), "conn": 1, "dir": direction, "frame": frame})

    session = {
        "type": "realtime",
        "id": "sess_demo",
        "object": "realtime.session",
        "model": "gpt-realtime-2",
        "output_modalities": ["audio"],
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 200,
                },
            },
            "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"},
        },
    }
    put(
        "out",
        ev.SessionCreatedEvent.model_validate(
            {"type": "session.created", "event_id": "event_1", "session": session}
        ),
        0.0,
    )
    put(
        "in",
        ev.SessionUpdateEvent(
            session=ev.RealtimeSessionConfig(
                instructions="You are a friendly weather assistant.",
                audio=ev.RealtimeAudioConfig(
                    input=ev.RealtimeAudioInputConfig(
                        transcription=ev.AudioTranscription(model="gpt-realtime-whisper")
                    )
                ),
            )
        ),
        0.05,
    )
    # session.updated returns the full effective config, the update merged in (PROTOCOL §2.4).
    updated = json.loads(json.dumps(session))
    updated["instructions"] = "You are a friendly weather assistant."
    updated["audio"]["input"]["transcription"] = {"model": "gpt-realtime-whisper"}
    put(
        "out",
        ev.SessionUpdatedEvent.model_validate(
            {"type": "session.updated", "event_id": "event_2", "session": updated}
        ),
        0.05,
    )
    for i in range(12):  # 1.2 s of user speech, sent as 100 ms appends
        put("in", ev.InputAudioBufferAppendEvent.from_audio(tone(100, i * 2400) // 4), 0.1)
    put(
        "out",
        ev.InputAudioBufferSpeechStartedEvent(
            event_id="event_3", audio_start_ms=0, item_id="item_user1"
        ),
        0.0,
    )
    put(
        "out",
        ev.InputAudioBufferSpeechStoppedEvent(
            event_id="event_4", audio_end_ms=1400, item_id="item_user1"
        ),
        0.2,
    )
    put(
        "out",
        ev.InputAudioBufferCommittedEvent(
            event_id="event_5", item_id="item_user1", previous_item_id=None
        ),
        0.01,
    )
    put(
        "out",
        ev.ResponseCreatedEvent.model_validate(
            {
                "type": "response.created",
                "event_id": "event_6",
                "response": {
                    "id": "resp_1",
                    "object": "realtime.response",
                    "status": "in_progress",
                    "output": [],
                },
            }
        ),
        0.02,
    )
    words = ["It ", "is ", "sunny ", "and ", "warm ", "in ", "Lisbon ", "today."]
    for i, word in enumerate(words):
        put(
            "out",
            ev.ResponseOutputAudioTranscriptDeltaEvent(
                event_id=f"event_t{i}",
                response_id="resp_1",
                item_id="item_asst1",
                output_index=0,
                content_index=0,
                delta=word,
            ),
            0.01,
        )
        put(
            "out",
            ev.ResponseOutputAudioDeltaEvent(
                event_id=f"event_a{i}",
                response_id="resp_1",
                item_id="item_asst1",
                output_index=0,
                content_index=0,
                delta=ev.InputAudioBufferAppendEvent.from_audio(tone(100, i * 2400)).audio,
            ),
            0.09,
        )
    put(
        "out",
        ev.ConversationItemInputAudioTranscriptionCompletedEvent.model_validate(
            {
                "type": "conversation.item.input_audio_transcription.completed",
                "event_id": "event_7",
                "item_id": "item_user1",
                "content_index": 0,
                "transcript": "What's the weather like in Lisbon?",
                "usage": {"type": "duration", "seconds": 2},
            }
        ),
        0.05,
    )
    put(
        "out",
        ev.ResponseDoneEvent.model_validate(
            {
                "type": "response.done",
                "event_id": "event_8",
                "response": {
                    "id": "resp_1",
                    "object": "realtime.response",
                    "status": "completed",
                    "output": [
                        {
                            "id": "item_asst1",
                            "type": "message",
                            "role": "assistant",
                            "status": "completed",
                            "content": [{"type": "output_audio", "transcript": "".join(words)}],
                        }
                    ],
                    "usage": {
                        "total_tokens": 96,
                        "input_tokens": 40,
                        "output_tokens": 56,
                        "input_token_details": {
                            "text_tokens": 26,
                            "audio_tokens": 14,
                            "cached_tokens": 0,
                        },
                        "output_token_details": {"text_tokens": 40, "audio_tokens": 16},
                    },
                },
            }
        ),
        0.01,
    )
    put(
        "out",
        ev.RateLimitsUpdatedEvent.model_validate(
            {
                "type": "rate_limits.updated",
                "event_id": "event_9",
                "rate_limits": [
                    {"name": "tokens", "limit": 40000, "remaining": 39904, "reset_seconds": 0.1}
                ],
            }
        ),
        0.0,
    )
    OUT.write_text("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines))
    print(f"wrote {OUT} ({len(lines)} frames)")


if __name__ == "__main__":
    main()
