"""What every fake session needs from its server, bundled, plus the shared error helper.

Imports: the standard library and sibling testing modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from realtime_kit.testing.brain import Brain, Translator
from realtime_kit.testing.clock import Clock
from realtime_kit.testing.speech import Recognizer, Synthesizer

__all__ = ["SESSION_SECONDS", "ServerParts", "error_event", "usage_tokens"]

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


def usage_tokens(text: str) -> int:
    """A stable stand-in for a tokenizer: about four characters per token, at least one."""
    return max(1, (len(text) + 3) // 4) if text else 0
