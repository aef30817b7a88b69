"""A translation session of the fake server (``/v1/realtime/translations``).

Audio arrives in ``session.input_audio_buffer.append`` events (PCM16 24 kHz mono) and is consumed
in 200 ms engine frames; a VAD cuts it into sentences (utterances). Each finished utterance is
recognized (the server's recognizer), translated (the server's translator, shared by every
session) and spoken (the synthesizer, in the target language). What comes back, in order:

* ``session.input_transcript.delta`` — the source words (only with input transcription),
  stamped with the frame where the utterance ended;
* ``session.output_transcript.delta`` and ``session.output_audio.delta`` — the translation,
  its words spread over audio chunks of varying length (``TranslationTiming.chunk_ms``). The
  first is stamped ``TranslationTiming.delay_ms`` after the utterance ended, later ones advance
  with the audio already spoken — on the 200 ms grid, never backwards, and never past the input
  consumed so far (PROTOCOL.md §3.3, §5). A sentence's output follows the previous sentence's.

``session.close`` flushes the pending input (a short last frame counts as a whole one), lets the
output finish, sends ``session.closed`` and closes the socket. Validation follows the documented
rules: only PCM16 at 24 kHz (a ``session.update`` naming another input format is refused), whole
PCM16 samples per append, and — when the translator's timing lists them — only known target
languages.

Imports: anyio, pybase64, the standard library, sibling testing modules.
"""

from __future__ import annotations

import binascii
import copy
from collections.abc import Mapping
from typing import Any

import anyio
import pybase64

from realtime_kit.testing._audio import BYTES_PER_MS
from realtime_kit.testing._inbound import read_client_frame
from realtime_kit.testing._parts import SESSION_SECONDS, ServerParts, error_event
from realtime_kit.testing._wire import SocketClosedError, Wire
from realtime_kit.testing.brain import TranslationTiming
from realtime_kit.testing.config import ConfigError, merge_update, validate_update
from realtime_kit.testing.vad import ServerVad

__all__ = ["TranslationSession"]

_FRAME_MS = 200
_FRAME_BYTES = _FRAME_MS * BYTES_PER_MS
_MAX_APPEND_BYTES = 15 * 1024 * 1024
_CLIENT_TYPES = ("session.update", "session.input_audio_buffer.append", "session.close")


class TranslationSession:
    """State and event handling for one translation session."""

    def __init__(self, wire: Wire, parts: ServerParts, *, config: dict[str, Any]) -> None:
        self.wire = wire
        self.parts = parts
        self.config = config
        self.timing: TranslationTiming = (
            getattr(parts.translator, "timing", None) or TranslationTiming()
        )
        self.pending = bytearray()  # appended audio not yet consumed by a 200 ms frame
        self.utterance = bytearray()
        self.elapsed_ms = 0  # input consumed
        self.stamp_ms = 0  # the last elapsed_ms sent: stamps never go backwards
        self.vad = ServerVad(threshold=0.5, prefix_padding_ms=200, silence_duration_ms=600)
        self.closing = False
        self.started_at = parts.clock.now()
        self._spoken = {"input": False, "output": False}  # a later sentence starts with a space
        self._send, self._receive = anyio.create_memory_object_stream[tuple[bytes, int] | None](
            max_buffer_size=1000
        )
        self._worker_done = anyio.Event()
        self._tg: anyio.abc.TaskGroup | None = None

    def end(self) -> None:
        """Stop the whole session (the socket is gone)."""
        if self._tg is not None:
            self._tg.cancel_scope.cancel()

    async def run(self) -> None:
        try:
            await self._serve()
        finally:
            self._send.close()
            self._receive.close()

    async def _serve(self) -> None:
        async with anyio.create_task_group() as tg:
            self._tg = tg
            try:
                await self.wire.send({"type": "session.created", "session": self.config})
                tg.start_soon(self._worker, tg)
                tg.start_soon(self._expire, tg)
                while True:
                    text = await self.wire.receive()
                    if await self.handle(text):
                        await self._receive_until_closed(tg)
                        return
            except SocketClosedError:
                tg.cancel_scope.cancel()

    async def _receive_until_closed(self, tg: anyio.abc.TaskGroup) -> None:
        # Frames that come while the output is flushed are answered (with an error), not lost.
        async with anyio.create_task_group() as readers:
            readers.start_soon(self._refuse_late_frames)
            await self._worker_done.wait()
            readers.cancel_scope.cancel()
        try:
            await self.wire.send({"type": "session.closed"})
        except SocketClosedError:
            tg.cancel_scope.cancel()
            return
        await self.wire.close(1000, "")
        tg.cancel_scope.cancel()

    async def _refuse_late_frames(self) -> None:
        try:
            while True:
                await self.handle(await self.wire.receive())
        except SocketClosedError:
            return

    async def _expire(self, tg: anyio.abc.TaskGroup) -> None:
        await self.parts.clock.wait_until(self.started_at + SESSION_SECONDS)
        message = "Your session hit the maximum duration of 60 minutes."
        try:
            await self.wire.send(error_event("session_expired", message))
        except SocketClosedError:
            tg.cancel_scope.cancel()
            return
        await self.wire.close(1001, message)
        tg.cancel_scope.cancel()

    async def handle(self, text: str) -> bool:
        """Handle one client frame; True once ``session.close`` has been received."""
        event = read_client_frame(text, _CLIENT_TYPES)
        etype = event["type"]
        eid = event.get("event_id")
        if etype == "error":
            await self.wire.send(event)
            return False
        if self.closing:
            await self.wire.send(
                error_event("invalid_value", "The session is closing.", param="type", event_id=eid)
            )
            return False
        if etype == "session.update":
            await self._update(event.get("session"), eid)
        elif etype == "session.input_audio_buffer.append":
            await self._append(event.get("audio"), eid)
        else:
            await self._flush()
            self.closing = True
            await self._send.send(None)
            return True
        return False

    async def _update(self, update: Any, eid: Any) -> None:
        try:
            update = self._check_format(update)
            validate_update("translation", update, current=self.config)
            self._check_language(update)
        except ConfigError as exc:
            await self.wire.send(error_event(exc.code, exc.message, param=exc.param, event_id=eid))
            return
        assert isinstance(update, Mapping)
        self.config = merge_update(self.config, update)
        await self.wire.send({"type": "session.updated", "session": self.config})

    @staticmethod
    def _check_format(update: Any) -> Any:
        # WebSocket translation input is PCM16 24 kHz mono only; another format is a validation
        # error (the API reference: lower-quality audio degrades translation). The one right
        # format is accepted and needs no setting.
        audio = update.get("audio") if isinstance(update, Mapping) else None
        inp = audio.get("input") if isinstance(audio, Mapping) else None
        if not isinstance(inp, Mapping) or "format" not in inp:
            return update
        fmt = inp["format"]
        if not (
            isinstance(fmt, Mapping)
            and fmt.get("type") == "audio/pcm"
            and fmt.get("rate", 24000) == 24000
        ):
            raise ConfigError(
                "invalid_value",
                "Translation sessions accept only 24 kHz PCM16 mono audio (audio/pcm, 24000).",
                "session.audio.input.format",
            )
        trimmed = copy.deepcopy(dict(update))
        del trimmed["audio"]["input"]["format"]
        return trimmed

    def _check_language(self, update: Mapping[str, Any]) -> None:
        output = (update.get("audio") or {}).get("output") or {}
        language = output.get("language")
        known = self.timing.languages
        if language is None or known is None or language in known:
            return
        raise ConfigError(
            "invalid_value",
            f"Unsupported output language '{language}'. Supported: {', '.join(sorted(known))}.",
            "session.audio.output.language",
        )

    async def _append(self, audio: Any, eid: Any) -> None:
        if not isinstance(audio, str):
            await self.wire.send(
                error_event(
                    "missing_required_parameter",
                    "Missing required parameter: 'audio'.",
                    param="audio",
                    event_id=eid,
                )
            )
            return
        try:
            data = pybase64.b64decode(audio, validate=True)
        except (binascii.Error, ValueError):
            await self.wire.send(
                error_event(
                    "invalid_value", "Invalid base64 in 'audio'.", param="audio", event_id=eid
                )
            )
            return
        if len(data) % 2 or len(data) > _MAX_APPEND_BYTES:
            await self.wire.send(
                error_event(
                    "invalid_value",
                    "Audio must be PCM16 (whole 2-byte samples), at most 15 MiB per append.",
                    param="audio",
                    event_id=eid,
                )
            )
            return
        self.pending += data
        while len(self.pending) >= _FRAME_BYTES:
            frame = bytes(self.pending[:_FRAME_BYTES])
            del self.pending[:_FRAME_BYTES]
            await self._consume(frame)

    async def _consume(self, frame: bytes) -> None:
        self.elapsed_ms += _FRAME_MS
        for boundary in self.vad.feed(frame):
            if boundary.kind == "start":
                self.utterance.clear()
            else:
                await self._send.send((bytes(self.utterance + frame), self.elapsed_ms))
                self.utterance.clear()
                return
        if self.vad.in_speech:
            self.utterance += frame

    async def _flush(self) -> None:
        # Gaps are contiguous audio: the tail (shorter than a frame) is consumed as one.
        if self.pending:
            tail = bytes(self.pending)
            self.pending.clear()
            self.elapsed_ms += _FRAME_MS
            self.utterance += tail
        if self.vad.in_speech and self.utterance:
            await self._send.send((bytes(self.utterance), self.elapsed_ms))
            self.utterance.clear()

    async def _worker(self, tg: anyio.abc.TaskGroup) -> None:
        try:
            async with self._receive:
                async for job in self._receive:
                    if job is None:
                        break
                    await self._translate(*job)
        except SocketClosedError:
            tg.cancel_scope.cancel()
        finally:
            self._worker_done.set()

    def _stamp(self, wanted: int) -> int:
        # On the frame grid, never past the input consumed, never before the last stamp.
        wanted -= wanted % _FRAME_MS
        self.stamp_ms = max(self.stamp_ms, min(wanted, self.elapsed_ms))
        return self.stamp_ms

    async def _translate(self, audio: bytes, ended: int) -> None:
        source = self.parts.recognizer.recognize(audio)
        if not source:
            return
        audio_cfg = self.config["audio"]
        language = str((audio_cfg.get("output") or {}).get("language") or "en")
        if (audio_cfg.get("input") or {}).get("transcription"):
            stamp = self._stamp(ended)
            for word in self._pieces(source, "input"):
                await self.wire.send(
                    {"type": "session.input_transcript.delta", "delta": word, "elapsed_ms": stamp}
                )
        target = self.parts.translator.translate(source, language)
        pcm = self.parts.synthesizer.synthesize(target, language=language)
        words = self._pieces(target, "output")
        chunks = self._chunks(pcm)
        clock, pace = self.parts.clock, self.parts.pace
        start = clock.now()
        if pace > 0:
            await clock.pace_until(start + self.timing.delay_ms / 1000 / pace)
        first = ended + self.timing.delay_ms
        spoken_ms = 0
        said = 0
        for index, piece in enumerate(chunks):
            stamp = self._stamp(first + spoken_ms)
            # Words are spread over the chunks, the first with the first chunk and the last with
            # the last (text comes with its speech: once the whole sentence's text is in, so are
            # its stamps).
            while said < len(words) and _chunk_of(said, len(words), len(chunks)) <= index:
                await self.wire.send(
                    {
                        "type": "session.output_transcript.delta",
                        "delta": words[said],
                        "elapsed_ms": stamp,
                    }
                )
                said += 1
            await self.wire.send(
                {
                    "type": "session.output_audio.delta",
                    "delta": pybase64.b64encode(piece).decode("ascii"),
                    "elapsed_ms": stamp,
                    "sample_rate": 24000,
                    "channels": 1,
                    "format": "pcm16",
                }
            )
            spoken_ms += len(piece) // BYTES_PER_MS
            if pace > 0:
                delay_s = (self.timing.delay_ms + spoken_ms) / 1000 / pace
                await clock.pace_until(start + delay_s)

    def _chunks(self, pcm: bytes) -> list[bytes]:
        # The cycle of lengths restarts with each sentence: the same sentence is chunked the
        # same way in any session (so a continued session's output matches an unbroken one's).
        pieces: list[bytes] = []
        position = 0
        lengths = self.timing.chunk_ms
        while position < len(pcm):
            size = lengths[len(pieces) % len(lengths)] * BYTES_PER_MS
            pieces.append(pcm[position : position + size])
            position += size
        return pieces or [b""]

    def _pieces(self, text: str, stream: str) -> list[str]:
        # Word deltas, append-only: a later sentence of the same stream starts with a space.
        words = [w for w in text.split(" ") if w]
        pieces = [w if i == 0 else " " + w for i, w in enumerate(words)] or [""]
        if self._spoken[stream] and pieces[0]:
            pieces[0] = " " + pieces[0]
        self._spoken[stream] = True
        return pieces


def _chunk_of(word: int, words: int, chunks: int) -> int:
    """The chunk a sentence's ``word``-th word goes with: evenly, first to first, last to last."""
    return word * (chunks - 1) // (words - 1) if words > 1 else 0
