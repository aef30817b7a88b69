"""Transcription-session configuration: the models and the ``session.update`` payload.

Imports: the standard library and the input module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from realtime_kit.transcriber._input import InputFormat, wire_format

__all__ = ["CLIENT_COMMIT_MODELS", "TRANSCRIPTION_MODELS", "session_config"]

TRANSCRIPTION_MODELS = (
    "gpt-realtime-whisper",
    "gpt-live-transcribe",
    "gpt-transcribe",
    "gpt-4o-transcribe",
    "gpt-4o-mini-transcribe",
    "gpt-4o-mini-transcribe-2025-12-15",
    "gpt-4o-transcribe-diarize",
    "whisper-1",
)
"""Models a transcription session accepts (PROTOCOL.md §2.6)."""

CLIENT_COMMIT_MODELS = frozenset({"gpt-realtime-whisper", "gpt-live-transcribe"})
"""Models that need ``turn_detection: null`` and commits from the client (PROTOCOL.md §2.2)."""


def session_config(
    model: str,
    *,
    client_commits: bool,
    input_format: InputFormat,
    language: str | None = None,
    prompt: str | None = None,
    keywords: Sequence[str] | None = None,
    delay: str | None = None,
    noise_reduction: str | None = None,
    server_vad: Mapping[str, Any] | None = None,
    logprobs: bool = False,
) -> dict[str, Any]:
    """The ``session`` object of the first ``session.update`` (PROTOCOL.md §2.2).

    Both ``transcription`` and ``turn_detection`` are set explicitly: a new transcription
    session starts with server VAD and no transcription model.
    """
    transcription: dict[str, Any] = {"model": model}
    for key, value in (("language", language), ("prompt", prompt), ("delay", delay)):
        if value is not None:
            transcription[key] = value
    if keywords is not None:
        transcription["keywords"] = list(keywords)
    vad_config: dict[str, Any] | None = None
    if not client_commits:
        vad_config = {
            "type": "server_vad",
            "threshold": 0.5,
            "prefix_padding_ms": 300,
            "silence_duration_ms": 500,
            **dict(server_vad or {}),
        }
    config: dict[str, Any] = {
        "type": "transcription",
        "audio": {
            "input": {
                "format": wire_format(input_format),
                "transcription": transcription,
                "turn_detection": vad_config,
                "noise_reduction": {"type": noise_reduction} if noise_reduction else None,
            }
        },
    }
    if logprobs:
        config["include"] = ["item.input_audio_transcription.logprobs"]
    return config
