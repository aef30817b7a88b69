"""Builders of real wire events for the cost meter tests (decoded by the real codec)."""

from __future__ import annotations

import json
from typing import Any

import pybase64

from realtime_kit.events import (
    ClientEvent,
    ServerEvent,
    decode_client_event,
    decode_server_event,
)


def server(payload: dict[str, Any]) -> ServerEvent:
    """A server event decoded from its JSON, as the connection would hand it over."""
    return decode_server_event(json.dumps(payload))


def client(payload: dict[str, Any]) -> ClientEvent:
    """A client event decoded from its JSON."""
    return decode_client_event(json.dumps(payload))


def b64(nbytes: int) -> str:
    return pybase64.b64encode(bytes(nbytes)).decode()


def realtime_created(
    model: str = "gpt-realtime-2",
    *,
    session_id: str = "sess_1",
    input_format: str = "audio/pcm",
    output_format: str = "audio/pcm",
    transcription_model: str | None = None,
    updated: bool = False,
) -> ServerEvent:
    transcription = None if transcription_model is None else {"model": transcription_model}
    return server(
        {
            "type": "session.updated" if updated else "session.created",
            "event_id": "event_1",
            "session": {
                "type": "realtime",
                "id": session_id,
                "object": "realtime.session",
                "model": model,
                "audio": {
                    "input": {"format": {"type": input_format}, "transcription": transcription},
                    "output": {"format": {"type": output_format}},
                },
            },
        }
    )


def transcription_created(model: str, session_id: str = "sess_t") -> ServerEvent:
    return server(
        {
            "type": "session.created",
            "session": {
                "type": "transcription",
                "id": session_id,
                "object": "realtime.transcription_session",
                "audio": {
                    "input": {
                        "format": {"type": "audio/pcm", "rate": 24000},
                        "transcription": {"model": model},
                    }
                },
            },
        }
    )


def translation_created(
    model: str = "gpt-realtime-translate", session_id: str = "sess_l"
) -> ServerEvent:
    return server(
        {
            "type": "session.created",
            "session": {
                "type": "translation",
                "id": session_id,
                "expires_at": 1_800_000_000,
                "model": model,
                "audio": {"output": {"language": "es"}},
            },
        }
    )


def append(nbytes: int) -> ClientEvent:
    return client({"type": "input_audio_buffer.append", "audio": b64(nbytes)})


def translation_append(nbytes: int) -> ClientEvent:
    return client({"type": "session.input_audio_buffer.append", "audio": b64(nbytes)})


def response_created(response_id: str) -> ServerEvent:
    return server(
        {
            "type": "response.created",
            "response": {"id": response_id, "object": "realtime.response", "status": "in_progress"},
        }
    )


def audio_delta(response_id: str, nbytes: int) -> ServerEvent:
    return server(
        {
            "type": "response.output_audio.delta",
            "response_id": response_id,
            "item_id": "item_a",
            "output_index": 0,
            "content_index": 0,
            "delta": b64(nbytes),
        }
    )


def usage_block(
    *,
    text_in: int = 0,
    audio_in: int = 0,
    image_in: int = 0,
    cached_text: int = 0,
    cached_audio: int = 0,
    cached_image: int = 0,
    text_out: int = 0,
    audio_out: int = 0,
) -> dict[str, Any]:
    cached = cached_text + cached_audio + cached_image
    return {
        "total_tokens": text_in + audio_in + image_in + text_out + audio_out,
        "input_tokens": text_in + audio_in + image_in,
        "output_tokens": text_out + audio_out,
        "input_token_details": {
            "text_tokens": text_in,
            "audio_tokens": audio_in,
            "image_tokens": image_in,
            "cached_tokens": cached,
            "cached_tokens_details": {
                "text_tokens": cached_text,
                "audio_tokens": cached_audio,
                "image_tokens": cached_image,
            },
        },
        "output_token_details": {"text_tokens": text_out, "audio_tokens": audio_out},
    }


def response_done(response_id: str, usage: dict[str, Any] | None) -> ServerEvent:
    response: dict[str, Any] = {
        "id": response_id,
        "object": "realtime.response",
        "status": "completed",
        "output": [],
    }
    if usage is not None:
        response["usage"] = usage
    return server({"type": "response.done", "response": response})


def transcription_completed(usage: dict[str, Any], item_id: str = "item_u") -> ServerEvent:
    return server(
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": item_id,
            "content_index": 0,
            "transcript": "hello",
            "usage": usage,
        }
    )
