"""What the fake server's session helpers see of the session they serve.

A realtime session (:class:`~realtime_kit.testing._realtime.RealtimeSession`) runs responses
(``_responses``), streams their messages (``_messages``), transcribes input (``_transcribe``),
resolves ``response.create`` parameters (``_requests``) and lists MCP tools (``mcp``). Those
helpers read and change the session through :class:`SessionHost`, the part of it they use, so
they never import ``_realtime``, and ``_realtime`` imports them without a circle.

Imports: the standard library and the sibling testing modules below the session (``_media``,
``_parts``, ``_wire``, ``faults``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from realtime_kit.testing._media import SessionMedia
    from realtime_kit.testing._parts import ServerParts
    from realtime_kit.testing._wire import Wire
    from realtime_kit.testing.faults import Faults

__all__ = ["RunHandle", "SessionHost"]


class RunHandle(Protocol):
    """A response as the session tracks it."""

    @property
    def id(self) -> str: ...


class SessionHost(Protocol):
    """The session's state and calls that its helpers use."""

    wire: Wire
    parts: ServerParts
    kind: str
    config: dict[str, Any]
    faults: list[Faults]
    conversation_id: str
    items: dict[str, dict[str, Any]]
    truncated: dict[str, int]
    speech_plan: dict[str, tuple[str, int]]
    assistant_audio_sent: bool
    last_input_tokens: int
    mcp_listed: dict[str, dict[str, Any]]
    mcp_tools: dict[str, str]
    media: SessionMedia | None

    async def send(self, event: dict[str, Any]) -> None: ...

    def end(self) -> None: ...

    def start_soon(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None: ...

    def insert_item(self, item: dict[str, Any], previous_item_id: str | None) -> str | None: ...

    def previous_of(self, item_id: str) -> str | None: ...

    def store_audio(self, item_id: str, pcm: bytes) -> None: ...

    def item_text(self, item: Mapping[str, Any]) -> str: ...

    def item_input_tokens(self, item: Mapping[str, Any]) -> tuple[int, int]: ...

    def rate_limits(self) -> list[dict[str, Any]]: ...

    def arm_idle(self, playback_end: float | None = None) -> None: ...

    def response_finished(self, run: RunHandle) -> None: ...

    async def response_started(self, run: RunHandle) -> None: ...

    async def after_response(self, run: RunHandle) -> None: ...
