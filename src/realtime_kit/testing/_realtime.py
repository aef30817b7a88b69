"""A realtime or transcription session of the fake server (one WebSocket).

Holds the session state the real server keeps — effective config, the ordered conversation with
``previous_item_id`` links, the input audio buffer with its VAD, the one active default-conversation
response and any out-of-band ones — and answers each client event as PROTOCOL.md §3–§5 and §8
describe. Responses stream in :mod:`realtime_kit.testing._responses`.

Imports: anyio, pybase64, the standard library, sibling testing modules.
"""

from __future__ import annotations

import binascii
import json
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio
import pybase64

from realtime_kit.testing._audio import BYTES_PER_MS, to_pcm24
from realtime_kit.testing._inbound import read_client_frame
from realtime_kit.testing._items import ItemHandlers
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
from realtime_kit.testing.vad import ServerVad

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
_SEMANTIC_SILENCE_MS = {"low": 1000, "medium": 500, "auto": 500, "high": 250}
_APPEND_LIMIT = 15 * 1024 * 1024


class RealtimeSession(ItemHandlers):
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
        self.audio: dict[str, bytes] = {}  # item id → PCM16 24 kHz of its audio part
        self.heard: dict[str, str] = {}  # user audio item → what the recognizer heard
        self.buffer = bytearray()
        self.buffer_start_ms = 0
        self.session_ms = 0.0
        self.vad: ServerVad | None = None
        self.speech_item: str | None = None
        self.speech_start_ms = 0
        self.active: ResponseRun | None = None
        self.runs: dict[str, ResponseRun] = {}
        self.assistant_audio_sent = False
        self.last_input_tokens = 0
        self.started_at = parts.clock.now()
        self.desk = TranscriptionDesk(self)
        self._tg: anyio.abc.TaskGroup | None = None
        self._idle_scope: anyio.CancelScope | None = None
        self._late_errors: list[dict[str, Any]] = []
        self.mcp_listed: dict[str, dict[str, Any]] = {}  # server_label → its tool config
        self.mcp_tools: dict[str, str] = {}  # tool name → server_label
        self._rebuild_vad()

    # plumbing ------------------------------------------------------------------------------
    async def send(self, event: dict[str, Any]) -> None:
        await self.wire.send(event)

    def end(self) -> None:
        """Stop the whole session (the socket is gone)."""
        if self._tg is not None:
            self._tg.cancel_scope.cancel()

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

    def _rebuild_vad(self) -> None:
        td = self.config["audio"]["input"].get("turn_detection")
        if td is None:
            self.vad = None
            return
        silence = td.get("silence_duration_ms", 200)
        if td.get("type") == "semantic_vad":
            silence = _SEMANTIC_SILENCE_MS.get(td.get("eagerness", "auto"), 500)
        vad = ServerVad(
            threshold=float(td.get("threshold", 0.5)),
            prefix_padding_ms=int(td.get("prefix_padding_ms", 300)),
            silence_duration_ms=int(silence),
        )
        # The VAD's time axis is session audio; start it where the session audio now is.
        vad._pos_ms = int(self.session_ms)
        vad.reset_buffer(self.buffer_start_ms)
        self.vad = vad
        self.speech_item = None

    # idle timeout ----------------------------------------------------------------------------
    def arm_idle(self) -> None:
        """(Re)start the server-VAD idle timer, if ``idle_timeout_ms`` is set.

        The real server counts from the end of the last response's audio playback; this server
        streams audio at playback speed on its clock, so that moment is "now" at response end.
        """
        self.disarm_idle()
        td = self.config["audio"]["input"].get("turn_detection") or {}
        idle_ms = td.get("idle_timeout_ms") if td.get("type") == "server_vad" else None
        if self.kind != "realtime" or not idle_ms or self._tg is None:
            return
        scope = anyio.CancelScope()
        self._idle_scope = scope
        deadline = self.parts.clock.now() + idle_ms / 1000
        self.start_soon(self._idle_wait, scope, deadline)

    def disarm_idle(self) -> None:
        if self._idle_scope is not None:
            self._idle_scope.cancel()
            self._idle_scope = None

    async def _idle_wait(self, scope: anyio.CancelScope, deadline: float) -> None:
        with scope:
            await self.parts.clock.wait_until(deadline)
            self._idle_scope = None
            try:
                await self._idle_fire()
            except SocketClosedError:
                self.end()

    async def _idle_fire(self) -> None:
        if self.active is not None or self.speech_item is not None:
            return
        item_id = self.wire.ids.new("item")
        start_ms, end_ms = self.buffer_start_ms, int(self.session_ms)
        await self.send(
            {
                "type": "input_audio_buffer.timeout_triggered",
                "audio_start_ms": start_ms,
                "audio_end_ms": end_ms,
                "item_id": item_id,
            }
        )
        turn = bytes(self.buffer)
        self.buffer.clear()
        self.buffer_start_ms = end_ms
        if self.vad is not None:
            self.vad.reset_buffer(end_ms)
        await self._commit(turn, item_id)
        await self._start_response({}, eid=None)

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
        """Keep an item's audio (PCM16 24 kHz) for retrieve, truncate and usage."""
        self.audio[item_id] = pcm

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

    # input audio ---------------------------------------------------------------------------
    async def _on_input_audio_buffer_append(self, event: dict[str, Any], eid: Any) -> None:
        audio = event.get("audio")
        if not isinstance(audio, str):
            await self._error(
                "missing_required_parameter", "Missing required parameter: 'audio'.", eid, "audio"
            )
            return
        if len(audio) * 3 // 4 > _APPEND_LIMIT:
            await self._error(
                "invalid_value", "Audio chunk exceeds the 15 MiB limit per append.", eid, "audio"
            )
            return
        try:
            data = pybase64.b64decode(audio, validate=True)
        except (binascii.Error, ValueError):
            await self._error("invalid_value", "Invalid base64 in 'audio'.", eid, "audio")
            return
        pcm = to_pcm24(self.config["audio"]["input"]["format"], data)
        self.buffer += pcm
        self.session_ms += len(pcm) / BYTES_PER_MS
        if self.vad is None:
            return
        for boundary in self.vad.feed(pcm):
            if boundary.kind == "start":
                await self._speech_started(boundary.ms)
            else:
                await self._speech_stopped(boundary.ms)

    async def _speech_started(self, start_ms: int) -> None:
        self.speech_item = self.wire.ids.new("item")
        self.speech_start_ms = start_ms
        await self.send(
            {
                "type": "input_audio_buffer.speech_started",
                "audio_start_ms": start_ms,
                "item_id": self.speech_item,
            }
        )
        self.disarm_idle()
        td = self.config["audio"]["input"].get("turn_detection") or {}
        if self.kind == "realtime" and td.get("interrupt_response", True) and self.active:
            self.active.cancel("turn_detected")

    async def _speech_stopped(self, end_ms: int) -> None:
        item_id = self.speech_item or self.wire.ids.new("item")
        self.speech_item = None
        await self.send(
            {
                "type": "input_audio_buffer.speech_stopped",
                "audio_end_ms": end_ms,
                "item_id": item_id,
            }
        )
        # The turn's audio runs from the padded start to the detected end; the rest of the
        # buffer (audio after the end) stays for the next turn.
        begin = max(0, int((self.speech_start_ms - self.buffer_start_ms) * BYTES_PER_MS))
        cut = max(begin, int((end_ms - self.buffer_start_ms) * BYTES_PER_MS)) & ~1
        turn = bytes(self.buffer[begin & ~1 : cut])
        del self.buffer[:cut]
        self.buffer_start_ms = end_ms
        if self.vad is not None:
            self.vad.reset_buffer(end_ms)
        await self._commit(turn, item_id)
        td = self.config["audio"]["input"].get("turn_detection") or {}
        if self.kind == "realtime" and td.get("create_response", True) and self.active is None:
            await self._start_response({}, eid=None)

    async def _on_input_audio_buffer_commit(self, event: dict[str, Any], eid: Any) -> None:
        ms = len(self.buffer) / BYTES_PER_MS
        if ms < 100:
            error = error_event(
                "input_audio_buffer_commit_empty",
                "Error committing input audio buffer: buffer too small. Expected at least 100ms "
                f"of audio, but buffer only has {ms:.2f}ms of audio.",
                event_id=eid,
            )
            if self.kind == "transcription":
                # Observed on live transcription sessions: this error comes ~1 s late, after
                # the next commit's events (PROTOCOL.md §4e). Hold it for the next commit or
                # one second of server clock, whichever comes first.
                self._late_errors.append(error)
                self.start_soon(self._release_late_errors, self.parts.clock.now() + 1.0)
            else:
                await self.send(error)
            return
        turn = bytes(self.buffer)
        self.buffer.clear()
        self.buffer_start_ms = int(self.session_ms)
        item_id = self.speech_item or self.wire.ids.new("item")
        self.speech_item = None
        if self.vad is not None:
            self.vad.reset_buffer(self.buffer_start_ms)
            self.vad.in_speech = False
        await self._commit(turn, item_id)

    async def _on_input_audio_buffer_clear(self, event: dict[str, Any], eid: Any) -> None:
        self.buffer.clear()
        self.buffer_start_ms = int(self.session_ms)
        if self.vad is not None:
            self.vad.reset_buffer(self.buffer_start_ms)
        await self.send({"type": "input_audio_buffer.cleared"})

    async def _commit(self, pcm: bytes, item_id: str) -> None:
        item: dict[str, Any] = {
            "id": item_id,
            "type": "message",
            "object": "realtime.item",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_audio", "transcript": None}],
        }
        heard = self.parts.recognizer.recognize(pcm)
        self.heard[item_id] = heard
        await self.desk.before_commit(item_id, pcm, heard)
        prev = self.insert_item(item, None)
        self.audio[item_id] = pcm
        await self.send(
            {"type": "input_audio_buffer.committed", "previous_item_id": prev, "item_id": item_id}
        )
        await self.send({"type": "conversation.item.added", "previous_item_id": prev, "item": item})
        await self.send({"type": "conversation.item.done", "previous_item_id": prev, "item": item})
        await self._flush_late_errors()
        await self.desk.transcribe(item_id, pcm, heard)

    async def _release_late_errors(self, deadline: float) -> None:
        await self.parts.clock.wait_until(deadline)
        try:
            await self._flush_late_errors()
        except SocketClosedError:
            self.end()

    async def _flush_late_errors(self) -> None:
        late, self._late_errors = self._late_errors, []
        for error in late:
            await self.send(error)

    # responses -----------------------------------------------------------------------------
    async def _on_response_create(self, event: dict[str, Any], eid: Any) -> None:
        params = event.get("response") or {}
        if not isinstance(params, Mapping):
            await self._error("invalid_type", "Invalid type for 'response'.", eid, "response")
            return
        await self._start_response(params, eid=eid)

    async def _start_response(self, params: Mapping[str, Any], *, eid: Any) -> None:
        try:
            own_input = check_response_request(params, self)
        except RequestError as exc:
            await self._error(exc.code, exc.message, eid, exc.param)
            return
        in_conversation = params.get("conversation", "auto") != "none"
        if in_conversation and self.active is not None:
            await self._error(
                "conversation_already_has_active_response",
                "Conversation already has an active response in progress: "
                f"{self.active.id}. Wait until the response is finished before creating a new one.",
                eid,
            )
            return
        items = own_input if own_input is not None else [self.items[i] for i in self.order]
        run = ResponseRun(self, params, in_conversation=in_conversation, input_items=items)
        self.runs[run.id] = run
        if in_conversation:
            self.active = run
            self.disarm_idle()
        self.start_soon(run.run)

    def response_finished(self, run: ResponseRun) -> None:
        self.runs.pop(run.id, None)
        if self.active is run:
            self.active = None

    async def after_response(self, run: ResponseRun) -> None:
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
        await self.send({"type": "output_audio_buffer.cleared", "response_id": rid})
