"""The input side of a realtime or transcription session: the audio buffer, turn detection, the
idle timeout, and committing a turn.

:class:`InputHandlers` is mixed into :class:`~realtime_kit.testing._realtime.RealtimeSession`. It
keeps the input rules of PROTOCOL.md §2.1, §4(b)(d)(e) and §5 in one place:

* ``input_audio_buffer.append`` / ``commit`` / ``clear`` (commit needs ≥ 100 ms; appends are
  limited to 15 MiB);
* ``server_vad`` listens to the audio (:class:`~realtime_kit.testing.ServerVad`) and ends a turn
  after ``silence_duration_ms`` of silence;
* ``semantic_vad`` ends a turn after a short pause when the words so far sound finished, and
  otherwise waits up to its eagerness' maximum — low 8 s, medium/auto 4 s, high 2 s — of silence;
  "finished" means: the recognizer's text (``peek``, nothing used up) is not empty, does not end in
  "…" or ",", and its last word is not a word that carries on a sentence ("and", "but", "um", …);
* speech that starts while a default-conversation response runs cancels it (reason
  ``turn_detected``) when ``interrupt_response`` is on; a turn that ends starts a response when
  ``create_response`` is on and none is running;
* ``idle_timeout_ms`` (server VAD only) fires ``input_audio_buffer.timeout_triggered`` that long
  after the last response's audio has finished playing, commits the (silent) buffer, and responds.

Times on the turn (``audio_start_ms`` / ``audio_end_ms``) are milliseconds of audio appended in
the session, which is what the real server reports; the idle timeout runs on the server clock.

Imports: anyio, pybase64, the standard library, sibling testing modules.
"""

from __future__ import annotations

import binascii
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

import anyio
import pybase64

from realtime_kit.testing._audio import BYTES_PER_MS, to_pcm24
from realtime_kit.testing._parts import error_event
from realtime_kit.testing.vad import ServerVad

if TYPE_CHECKING:
    from realtime_kit.testing._media import SessionMedia
    from realtime_kit.testing._parts import ServerParts
    from realtime_kit.testing._wire import Wire

__all__ = ["SEMANTIC_WAITS_MS", "InputHandlers", "TranscriptSink", "sounds_finished"]


class TranscriptSink(Protocol):
    """What committing a turn needs of the session's transcription desk
    (:class:`~realtime_kit.testing._transcribe.TranscriptionDesk`, which imports the session;
    this side names only the three calls, so the two modules do not import each other)."""

    async def before_commit(self, item_id: str, pcm: bytes, heard: str) -> None: ...

    async def transcribe(
        self, item_id: str, pcm: bytes, heard: str, *, hold: bool = False
    ) -> None: ...

    async def response_started(self) -> None: ...

    async def response_done(self) -> None: ...


_APPEND_LIMIT = 15 * 1024 * 1024
SEMANTIC_WAITS_MS: dict[str, tuple[int, int]] = {
    # eagerness → (pause that ends a finished-sounding turn, longest wait for an unfinished one)
    "low": (1000, 8000),
    "medium": (500, 4000),
    "auto": (500, 4000),
    "high": (250, 2000),
}
_CARRY_ON = frozenset(
    {
        "and",
        "but",
        "or",
        "so",
        "because",
        "um",
        "uh",
        "er",
        "erm",
        "like",
        "the",
        "a",
        "an",
        "to",
        "of",
        "with",
        "then",
        "if",
        "my",
    }
)


def sounds_finished(text: str) -> bool:
    """Whether ``text`` sounds like a finished turn (the fake semantic VAD's judgement)."""
    stripped = text.strip()
    if not stripped or stripped.endswith(("...", "…", ",", "-")):
        return False
    last = stripped.split()[-1].strip(".,!?;:\"'").lower()
    return last not in _CARRY_ON


class InputHandlers:
    """``input_audio_buffer.*`` handlers and turn detection; mixed into the realtime session."""

    if TYPE_CHECKING:
        wire: Wire
        parts: ServerParts
        kind: str
        config: dict[str, Any]
        desk: TranscriptSink
        active: Any
        media: SessionMedia | None

        def insert_item(self, item: dict[str, Any], previous_item_id: str | None) -> str | None: ...

        async def send(self, event: dict[str, Any]) -> None: ...

        def start_soon(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None: ...

        def can_start_tasks(self) -> bool: ...

        async def _error(
            self, code: str, message: str, eid: Any, param: str | None = None
        ) -> None: ...

        async def _start_response(self, params: dict[str, Any], *, eid: Any) -> Any: ...

    def _init_input(self) -> None:
        self.buffer = bytearray()
        self.buffer_start_ms = 0
        self.session_ms = 0.0
        self.vad: ServerVad | None = None
        self.speech_item: str | None = None
        self.speech_start_ms = 0
        self.audio: dict[str, bytes] = {}  # item id → PCM16 24 kHz of its audio part
        self.heard: dict[str, str] = {}  # user audio item → what the recognizer heard
        self._idle_scope: anyio.CancelScope | None = None
        self._late_errors: list[dict[str, Any]] = []
        self._rebuild_vad()

    def _turn_detection(self) -> dict[str, Any]:
        td = self.config["audio"]["input"].get("turn_detection")
        return td if isinstance(td, dict) else {}

    def _rebuild_vad(self) -> None:
        td = self._turn_detection()
        if not td:
            self.vad = None
            self.speech_item = None
            return
        silence_for = None
        if td.get("type") == "semantic_vad":
            silence_for = self._semantic_silence
        vad = ServerVad(
            threshold=float(td.get("threshold", 0.5)),
            prefix_padding_ms=int(td.get("prefix_padding_ms", 300)),
            silence_duration_ms=int(td.get("silence_duration_ms", 200)),
            silence_for=silence_for,
        )
        # The VAD's time axis is session audio; start it where the session audio now is.
        vad.seek(int(self.session_ms))
        vad.reset_buffer(self.buffer_start_ms)
        self.vad = vad
        self.speech_item = None

    def _semantic_silence(self, paused_at_ms: int) -> int:
        """Semantic VAD: the silence that ends the turn, judged when the speaker pauses."""
        short, longest = SEMANTIC_WAITS_MS.get(
            str(self._turn_detection().get("eagerness", "auto")), (500, 4000)
        )
        peek = getattr(self.parts.recognizer, "peek", None)
        if peek is None:
            return short
        begin = max(0, int((self.speech_start_ms - self.buffer_start_ms) * BYTES_PER_MS)) & ~1
        end = max(begin, int((paused_at_ms - self.buffer_start_ms) * BYTES_PER_MS)) & ~1
        return short if sounds_finished(str(peek(bytes(self.buffer[begin:end])))) else longest

    # idle timeout ----------------------------------------------------------------------------
    def arm_idle(self, playback_end: float | None = None) -> None:
        """(Re)start the server-VAD idle timer, if ``idle_timeout_ms`` is set.

        It counts from the end of the last response's audio *playback* (``playback_end`` on the
        server clock; "now" when the response had no audio or it has played out already).
        """
        self.disarm_idle()
        td = self._turn_detection()
        idle_ms = td.get("idle_timeout_ms") if td.get("type") == "server_vad" else None
        if self.kind != "realtime" or not idle_ms or not self.can_start_tasks():
            return
        scope = anyio.CancelScope()
        self._idle_scope = scope
        start = max(self.parts.clock.now(), playback_end or 0.0)
        self.start_soon(self._idle_wait, scope, start + idle_ms / 1000)

    def disarm_idle(self) -> None:
        if self._idle_scope is not None:
            self._idle_scope.cancel()
            self._idle_scope = None

    async def _idle_wait(self, scope: anyio.CancelScope, deadline: float) -> None:
        with scope:
            await self.parts.clock.wait_until(deadline)
            self._idle_scope = None
            await self._idle_fire()

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
        await self._commit_and_respond(turn, item_id)

    # the buffer ------------------------------------------------------------------------------
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
        await self.input_audio(to_pcm24(self.config["audio"]["input"]["format"], data))

    async def input_audio(self, pcm: bytes) -> None:
        """Take heard input audio (PCM16 24 kHz): from an append, or a WebRTC call's track."""
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
        td = self._turn_detection()
        interrupting = self.kind == "realtime" and td.get("interrupt_response", True)
        if interrupting and self.active:
            self.active.cancel("turn_detected")
        if interrupting and self.media is not None:
            await self.media.interrupt(requested=False)

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
        respond = self.kind == "realtime" and self._turn_detection().get("create_response", True)
        if respond and self.active is None:
            await self._commit_and_respond(turn, item_id)
        else:
            await self._commit(turn, item_id)

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
            self.vad.end_speech()
        await self._commit(turn, item_id)

    async def _on_input_audio_buffer_clear(self, event: dict[str, Any], eid: Any) -> None:
        self.buffer.clear()
        self.buffer_start_ms = int(self.session_ms)
        self.speech_item = None
        if self.vad is not None:
            self.vad.reset_buffer(self.buffer_start_ms)
            self.vad.end_speech()
        await self.send({"type": "input_audio_buffer.cleared"})

    # committing a turn -----------------------------------------------------------------------
    async def _commit_and_respond(self, pcm: bytes, item_id: str) -> None:
        """Commit a turn the server ended itself and answer it.

        The turn's transcript is held until the response has started (``response.created``): on
        the real service transcription finishes after the response is under way (PROTOCOL.md
        §4(b)), and a client must place it before the reply anyway.
        """
        await self._commit(pcm, item_id, hold_transcript=True)
        run = await self._start_response({}, eid=None)
        if run is None:
            await self.desk.response_started()

    async def _commit(self, pcm: bytes, item_id: str, *, hold_transcript: bool = False) -> None:
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
        await self.desk.transcribe(item_id, pcm, heard, hold=hold_transcript)

    async def _release_late_errors(self, deadline: float) -> None:
        await self.parts.clock.wait_until(deadline)
        await self._flush_late_errors()

    async def _flush_late_errors(self) -> None:
        late, self._late_errors = self._late_errors, []
        for error in late:
            await self.send(error)
