"""A realtime or transcription session of the fake server (one WebSocket).

Holds the session state the real server keeps — effective config, the ordered conversation with
``previous_item_id`` links, the input audio buffer with its VAD, the one active default-conversation
response and any out-of-band ones — and answers each client event as PROTOCOL.md §3–§5 and §8
describe. Responses stream in :mod:`realtime_kit.testing._responses`.

Imports: anyio, pybase64, the standard library, sibling testing modules.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio

from realtime_kit.testing._audio import BYTES_PER_MS
from realtime_kit.testing._host import RunHandle
from realtime_kit.testing._inbound import read_client_frame
from realtime_kit.testing._input import InputHandlers
from realtime_kit.testing._items import ItemHandlers
from realtime_kit.testing._media import SessionMedia
from realtime_kit.testing._parts import (
    SESSION_SECONDS,
    ServerParts,
    error_event,
    server_error_event,
    usage_tokens,
)
from realtime_kit.testing._requests import RequestError, check_response_request
from realtime_kit.testing._responses import ResponseRun
from realtime_kit.testing._transcribe import TranscriptionDesk
from realtime_kit.testing._wire import SocketClosedError, Wire
from realtime_kit.testing.config import ConfigError, merge_update, validate_update
from realtime_kit.testing.faults import Faults
from realtime_kit.testing.mcp import list_new_mcp_servers

__all__ = ["RealtimeSession"]

_CLIENT_TYPES = {
    "realtime": (
        "session.update",
        "input_audio_buffer.append",
        "input_audio_buffer.commit",
        "input_audio_buffer.clear",
        "conversation.item.create",
        "conversation.item.delete",
        "conversation.item.retrieve",
        "conversation.item.truncate",
        "response.create",
        "response.cancel",
        "output_audio_buffer.clear",
    ),
    "transcription": (
        "session.update",
        "input_audio_buffer.append",
        "input_audio_buffer.commit",
        "input_audio_buffer.clear",
    ),
}


class RealtimeSession(InputHandlers, ItemHandlers):
    """State and event handling for one realtime (``kind="realtime"``) or transcription session.

    Args:
        wire: the socket.
        parts: the server's pluggable parts.
        kind: ``"realtime"`` or ``"transcription"``.
        config: the initial effective session object (as sent in ``session.created``).
        faults: the fault sets in force (global, then per connection).
        on_webrtc: True for sideband sockets of a WebRTC/SIP call (allows
            ``output_audio_buffer.clear``).
    """

    def __init__(
        self,
        wire: Wire,
        parts: ServerParts,
        *,
        kind: str,
        config: dict[str, Any],
        faults: list[Faults],
        on_webrtc: bool = False,
    ) -> None:
        self.wire = wire
        self.parts = parts
        self.kind = kind
        self.config = config
        self.faults = faults
        self.on_webrtc = on_webrtc
        self.conversation_id = wire.ids.new("conv")
        self.items: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        # Assistant audio items: the cap a truncate set (ms), and what the message was going to
        # say (its text and the length of its whole speech), to cut the transcript to the heard
        # words wherever the item's stream is.
        self.truncated: dict[str, int] = {}
        self.speech_plan: dict[str, tuple[str, int]] = {}
        self.active: ResponseRun | None = None
        self.runs: dict[str, ResponseRun] = {}
        self.assistant_audio_sent = False
        self.last_input_tokens = 0
        self.started_at = parts.clock.now()
        self.desk = TranscriptionDesk(self)
        self._tg: anyio.abc.TaskGroup | None = None
        self.mcp_listed: dict[str, dict[str, Any]] = {}  # server_label → its tool config
        self.mcp_tools: dict[str, str] = {}  # tool name → server_label
        self.media: SessionMedia | None = None  # the output audio buffer of a WebRTC call
        self._init_input()

    # plumbing ------------------------------------------------------------------------------
    async def send(self, event: dict[str, Any]) -> None:
        await self.wire.send(event)

    def end(self) -> None:
        """Stop the whole session (the socket is gone)."""
        if self._tg is not None:
            self._tg.cancel_scope.cancel()

    def can_start_tasks(self) -> bool:
        """Is the session running (so background work can start)?"""
        return self._tg is not None

    def start_soon(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run ``fn(*args)`` in the session's task group; a failure in it never ends the session."""
        assert self._tg is not None
        self._tg.start_soon(self._guarded, fn, args)

    async def _guarded(self, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> None:
        try:
            await fn(*args)
        except SocketClosedError:
            self.end()
        except Exception as exc:  # noqa: BLE001 - answered as server_error and recorded
            await self.internal_error(f"running {getattr(fn, '__qualname__', fn)}", exc, None)

    async def internal_error(self, where: str, exc: Exception, eid: str | None) -> None:
        """Record a failure inside the server and answer it as the real one would."""
        self.parts.internal_errors.record(where, exc)
        try:
            await self.send(server_error_event(eid))
        except SocketClosedError:
            self.end()

    async def run(self) -> None:
        """Serve the socket until it closes or the session expires."""
        async with anyio.create_task_group() as tg:
            self._tg = tg
            try:
                await self.send({"type": "session.created", "session": self.config})
                self.start_soon(self._expire)
                while True:
                    text = await self.wire.receive()
                    await self.handle(text)
            except SocketClosedError:
                tg.cancel_scope.cancel()

    async def _expire(self) -> None:
        await self.parts.clock.wait_until(self.started_at + SESSION_SECONDS)
        message = "Your session hit the maximum duration of 60 minutes."
        try:
            await self.send(error_event("session_expired", message))
        except SocketClosedError:
            self.end()
            return
        await self.wire.close(1001, message)
        self.end()

    def rate_limits(self) -> list[dict[str, Any]]:
        return [
            {"name": "requests", "limit": 5000, "remaining": 4999, "reset_seconds": 0.012},
            {"name": "tokens", "limit": 800000, "remaining": 795000, "reset_seconds": 0.375},
        ]

    # items ---------------------------------------------------------------------------------
    def insert_item(self, item: dict[str, Any], previous_item_id: str | None) -> str | None:
        """Insert ``item`` after ``previous_item_id`` ("root" = first; None = last).

        Returns the id of the item now before it.
        """
        if previous_item_id is None:
            position = len(self.order)
        elif previous_item_id == "root":
            position = 0
        else:
            position = self.order.index(previous_item_id) + 1
        self.order.insert(position, item["id"])
        self.items[item["id"]] = item
        return self.order[position - 1] if position > 0 else None

    def previous_of(self, item_id: str) -> str | None:
        if item_id not in self.items:
            return None
        position = self.order.index(item_id)
        return self.order[position - 1] if position > 0 else None

    def store_audio(self, item_id: str, pcm: bytes) -> None:
        """Keep more of an assistant item's audio (PCM16 24 kHz) as it is sent, for retrieve,
        truncate and usage — unless the item was deleted or truncated meanwhile."""
        if item_id in self.items and item_id not in self.truncated:
            self.audio[item_id] = self.audio.get(item_id, b"") + pcm

    def item_text(self, item: Mapping[str, Any]) -> str:
        """The words of a user or assistant message (typed text, transcripts, what was heard)."""
        words: list[str] = []
        for part in item.get("content") or []:
            for key in ("text", "transcript"):
                value = part.get(key)
                if isinstance(value, str) and value:
                    words.append(value)
                    break
            else:
                if part.get("type") == "input_audio" and item.get("id") in self.heard:
                    words.append(self.heard[item["id"]])
        return " ".join(words)

    def item_input_tokens(self, item: Mapping[str, Any]) -> tuple[int, int]:
        """(text, audio) input tokens an item costs when a response reads it (PROTOCOL.md §6)."""
        item_id = item.get("id")
        if item.get("type") == "message":
            text = 4
            audio = 0
            for part in item.get("content") or []:
                if part.get("type") in ("input_audio", "output_audio") and item_id in self.audio:
                    per_token_ms = 100 if item.get("role") == "user" else 50
                    audio += math.ceil(len(self.audio[item_id]) / BYTES_PER_MS / per_token_ms)
                else:
                    text += usage_tokens(str(part.get("text") or ""))
            return text, audio
        return 4 + usage_tokens(json.dumps(dict(item), default=str)), 0

    # dispatch ------------------------------------------------------------------------------
    async def handle(self, text: str) -> None:
        """Answer one client frame."""
        event = read_client_frame(text, _CLIENT_TYPES[self.kind])
        etype = event["type"]
        if etype == "error":
            await self.send(event)
            return
        eid = event.get("event_id")
        handler = getattr(self, "_on_" + etype.replace(".", "_"))
        try:
            await handler(event, eid)
        except SocketClosedError:
            raise
        except Exception as exc:  # noqa: BLE001 - answered as server_error and recorded
            await self.internal_error(f"handling {etype}", exc, eid)

    async def _error(self, code: str, message: str, eid: Any, param: str | None = None) -> None:
        await self.send(error_event(code, message, param=param, event_id=eid))

    # session -------------------------------------------------------------------------------
    async def _on_session_update(self, event: dict[str, Any], eid: Any) -> None:
        update = event.get("session")
        try:
            validate_update(
                self.kind, update, current=self.config, audio_sent=self.assistant_audio_sent
            )
        except ConfigError as exc:
            await self._error(exc.code, exc.message, eid, exc.param)
            return
        assert isinstance(update, Mapping)
        old_td = self.config["audio"]["input"].get("turn_detection")
        self.config = merge_update(self.config, update)
        if self.config["audio"]["input"].get("turn_detection") != old_td:
            self._rebuild_vad()
            self.arm_idle()
        await self.send({"type": "session.updated", "session": self.config})
        if self.kind == "realtime":
            await list_new_mcp_servers(self)

    # responses -----------------------------------------------------------------------------
    async def _on_response_create(self, event: dict[str, Any], eid: Any) -> None:
        params = event.get("response") or {}
        if not isinstance(params, Mapping):
            await self._error("invalid_type", "Invalid type for 'response'.", eid, "response")
            return
        await self._start_response(params, eid=eid)

    async def _start_response(self, params: Mapping[str, Any], *, eid: Any) -> ResponseRun | None:
        """Check a response request and start it; None if it was refused (error sent)."""
        try:
            own_input = check_response_request(params, self)
        except RequestError as exc:
            await self._error(exc.code, exc.message, eid, exc.param)
            return None
        in_conversation = params.get("conversation", "auto") != "none"
        if in_conversation and self.active is not None:
            await self._error(
                "conversation_already_has_active_response",
                "Conversation already has an active response in progress: "
                f"{self.active.id}. Wait until the response is finished before creating a new one.",
                eid,
            )
            return None
        items = own_input if own_input is not None else [self.items[i] for i in self.order]
        run = ResponseRun(self, params, in_conversation=in_conversation, input_items=items)
        self.runs[run.id] = run
        if in_conversation:
            self.active = run
            self.disarm_idle()
        self.start_soon(run.run)
        return run

    def response_finished(self, run: RunHandle) -> None:
        self.runs.pop(run.id, None)
        if self.active is run:
            self.active = None

    async def response_started(self, run: RunHandle) -> None:
        """``run``'s ``response.created`` has been sent: transcripts held for it go out."""
        await self.desk.response_started()

    async def after_response(self, run: RunHandle) -> None:
        """``run``'s ``response.done`` has been sent."""
        await self.desk.response_done()

    async def _on_response_cancel(self, event: dict[str, Any], eid: Any) -> None:
        rid = event.get("response_id")
        run = self.runs.get(str(rid)) if rid is not None else self.active
        if run is None or run.cancel_reason is not None:
            await self._error(
                "response_cancel_not_active", "Cancellation failed: no active response found", eid
            )
            return
        run.cancel("client_cancelled")

    async def _on_output_audio_buffer_clear(self, event: dict[str, Any], eid: Any) -> None:
        if not self.on_webrtc:
            await self._error(
                "invalid_value",
                "output_audio_buffer.clear is only supported for WebRTC and SIP sessions.",
                eid,
                "type",
            )
            return
        rid = self.active.id if self.active else None
        if self.active is not None:
            self.active.cancel("client_cancelled")
        if self.media is not None:
            await self.media.interrupt(requested=True)
            return
        await self.send({"type": "output_audio_buffer.cleared", "response_id": rid})
