"""What every fake session needs from its server, bundled, plus the shared error helper.

Imports: the standard library and sibling testing modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from realtime_kit.testing._guard import INTERNAL_ERRORS, InternalErrors
from realtime_kit.testing.brain import Brain, Translator
from realtime_kit.testing.clock import Clock
from realtime_kit.testing.speech import Recognizer, Synthesizer

__all__ = [
    "SERVER_ERROR_MESSAGE",
    "SESSION_SECONDS",
    "ServerParts",
    "error_event",
    "json_type",
    "server_error_event",
    "usage_tokens",
]

SESSION_SECONDS = 3600
"""The real service's maximum session duration (60 minutes)."""


@dataclass
class ServerParts:
    """The server's pluggable parts and knobs, shared by all its sessions.

    Attributes:
        clock: the server clock.
        brain: decides replies and tool calls.
        recognizer: speech in → text.
        synthesizer: text → speech out.
        translator: source text → target text (translation sessions).
        mcp_servers: fake MCP servers by ``server_label``.
        audio_chunk_ms: length of each ``*.output_audio.delta``.
        pace: 1.0 streams output audio at real-time speed on the server clock, 0 as fast as the
            socket allows; 2.0 twice real time.
        transcription_delay_ms: server-clock delay before an input transcript is delivered.
        internal_errors: failures inside the server (answered as ``server_error``, counted here).
    """

    clock: Clock
    brain: Brain
    recognizer: Recognizer
    synthesizer: Synthesizer
    translator: Translator
    mcp_servers: dict[str, Any] = field(default_factory=dict)
    audio_chunk_ms: int = 200
    pace: float = 1.0
    transcription_delay_ms: int = 0
    internal_errors: InternalErrors = field(
        default_factory=lambda: InternalErrors(parent=INTERNAL_ERRORS)
    )


def error_event(
    code: str | None,
    message: str,
    *,
    param: str | None = None,
    event_id: str | None = None,
    type: str = "invalid_request_error",
) -> dict[str, Any]:
    """A server ``error`` event in the real shape (``error.event_id`` echoes the client's)."""
    return {
        "type": "error",
        "error": {
            "type": type,
            "code": code,
            "message": message,
            "param": param,
            "event_id": event_id,
        },
    }


SERVER_ERROR_MESSAGE = "The server had an error while processing your request. Sorry about that!"
"""The message of the real service's ``server_error`` (an internal failure, not the client's)."""


def server_error_event(event_id: str | None = None) -> dict[str, Any]:
    """The ``error`` event for a failure inside the server (``type: "server_error"``)."""
    return error_event(None, SERVER_ERROR_MESSAGE, event_id=event_id, type="server_error")


def json_type(value: object) -> str:
    """The JSON type name of a decoded value, as error messages name it."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    return "object"


def usage_tokens(text: str) -> int:
    """A stable stand-in for a tokenizer: about four characters per token, at least one."""
    return max(1, (len(text) + 3) // 4) if text else 0
