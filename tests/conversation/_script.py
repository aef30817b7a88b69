"""Server events for the engine's unit tests, built the way the real server shapes them."""

from __future__ import annotations

import base64
import json
from typing import Any

from realtime_kit.events import ServerEvent, decode_server_event

_counter = 0


def ev(kind: str, **fields: Any) -> ServerEvent:
    """One server event of type ``kind``."""
    global _counter  # noqa: PLW0603 (test helper: unique event ids)
    _counter += 1
    return decode_server_event(
        json.dumps({"type": kind, "event_id": f"event_{_counter}", **fields})
    )


def session(
    turn_detection: dict[str, Any] | None = None, *, transcription: bool = True
) -> ServerEvent:
    td = {"type": "server_vad", "create_response": True, "interrupt_response": True}
    return ev(
        "session.updated",
        session={
            "type": "realtime",
            "id": "sess_1",
            "audio": {
                "input": {
                    "format": {"type": "audio/pcm", "rate": 24000},
                    "turn_detection": td if turn_detection is None else turn_detection,
                    "transcription": {"model": "gpt-4o-mini-transcribe"} if transcription else None,
                },
                "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"},
            },
        },
    )


def pcm(ms: int) -> str:
    """Base64 of ``ms`` milliseconds of PCM16 24 kHz (a quiet ramp, not silence)."""
    samples = bytes((i % 7) for i in range(48 * ms))
    return base64.b64encode(samples).decode()


def response_created(
    response_id: str, *, out_of_band: bool = False, metadata: dict[str, str] | None = None
) -> ServerEvent:
    response: dict[str, Any] = {
        "id": response_id,
        "object": "realtime.response",
        "status": "in_progress",
    }
    response["conversation_id"] = None if out_of_band else "conv_1"
    if metadata:
        response["metadata"] = metadata
    return ev("response.created", response=response)


def response_done(
    response_id: str,
    status: str = "completed",
    *,
    reason: str | None = None,
    output: list[dict[str, Any]] | None = None,
) -> ServerEvent:
    response: dict[str, Any] = {
        "id": response_id,
        "object": "realtime.response",
        "status": status,
        "output": output or [],
    }
    if reason:
        response["status_details"] = {"type": status, "reason": reason}
    response["usage"] = {"total_tokens": 30, "input_tokens": 10, "output_tokens": 20}
    return ev("response.done", response=response)


def assistant_item(
    item_id: str, response_id: str, index: int = 0, previous: str | None = None
) -> list[ServerEvent]:
    item = {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": "assistant",
        "status": "in_progress",
        "content": [],
    }
    return [
        ev("response.output_item.added", response_id=response_id, output_index=index, item=item),
        ev("conversation.item.added", previous_item_id=previous, item=item),
        ev(
            "response.content_part.added",
            response_id=response_id,
            item_id=item_id,
            output_index=index,
            content_index=0,
            part={"type": "audio", "transcript": ""},
        ),
    ]


def audio(item_id: str, response_id: str, ms: int, index: int = 0) -> ServerEvent:
    return ev(
        "response.output_audio.delta",
        response_id=response_id,
        item_id=item_id,
        output_index=index,
        content_index=0,
        delta=pcm(ms),
    )


def words(item_id: str, response_id: str, delta: str, index: int = 0) -> ServerEvent:
    return ev(
        "response.output_audio_transcript.delta",
        response_id=response_id,
        item_id=item_id,
        output_index=index,
        content_index=0,
        delta=delta,
    )


def audio_done(
    item_id: str, response_id: str, transcript: str, index: int = 0
) -> list[ServerEvent]:
    return [
        ev(
            "response.output_audio.done",
            response_id=response_id,
            item_id=item_id,
            output_index=index,
            content_index=0,
        ),
        ev(
            "response.output_audio_transcript.done",
            response_id=response_id,
            item_id=item_id,
            output_index=index,
            content_index=0,
            transcript=transcript,
        ),
    ]


def user_turn(
    item_id: str, previous: str | None, start_ms: int = 0, end_ms: int = 1000
) -> list[ServerEvent]:
    item = {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [{"type": "input_audio", "transcript": None}],
    }
    return [
        ev("input_audio_buffer.speech_started", item_id=item_id, audio_start_ms=start_ms),
        ev("input_audio_buffer.speech_stopped", item_id=item_id, audio_end_ms=end_ms),
        ev("input_audio_buffer.committed", item_id=item_id, previous_item_id=previous),
        ev("conversation.item.added", previous_item_id=previous, item=item),
        ev("conversation.item.done", previous_item_id=previous, item=item),
    ]


def transcript(item_id: str, text: str) -> ServerEvent:
    return ev(
        "conversation.item.input_audio_transcription.completed",
        item_id=item_id,
        content_index=0,
        transcript=text,
        usage={"type": "duration", "seconds": 1},
    )


def function_call(
    call_id: str, name: str, arguments: str, item_id: str, response_id: str, *, index: int = 0
) -> list[ServerEvent]:
    item = {
        "id": item_id,
        "object": "realtime.item",
        "type": "function_call",
        "status": "completed",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    }
    return [
        ev(
            "response.output_item.added",
            response_id=response_id,
            output_index=index,
            item={**item, "status": "in_progress", "arguments": ""},
        ),
        ev("conversation.item.added", item={**item, "status": "in_progress", "arguments": ""}),
        ev(
            "response.function_call_arguments.done",
            response_id=response_id,
            item_id=item_id,
            output_index=index,
            call_id=call_id,
            name=name,
            arguments=arguments,
        ),
        ev("response.output_item.done", response_id=response_id, output_index=index, item=item),
    ]
