"""A translation session of the fake server (``/v1/realtime/translations``).

Audio arrives in ``session.input_audio_buffer.append`` events (PCM16 24 kHz mono) and is consumed
in 200 ms engine frames; a VAD cuts it into utterances. Each finished utterance is recognized (the
server's recognizer), translated (the server's translator) and spoken (the synthesizer, in the
target language), producing ``session.input_transcript.delta`` (only when input transcription is
configured), ``session.output_transcript.delta`` and ``session.output_audio.delta`` — all carrying
``elapsed_ms``, the input position they align with: a multiple of 200 ms, never past the input
consumed so far (an utterance's output advances 200 ms per chunk only as far as more input has
arrived). ``session.close`` flushes the pending utterance, waits for its output, sends
``session.closed`` and closes the socket.

Imports: anyio, pybase64, the standard library, sibling testing modules.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from typing import Any

import anyio
import pybase64

from realtime_kit.testing._audio import BYTES_PER_MS
from realtime_kit.testing._inbound import read_client_frame
from realtime_kit.testing._parts import SESSION_SECONDS, ServerParts, error_event
from realtime_kit.testing._wire import SocketClosedError, Wire
from realtime_kit.testing.config import ConfigError, merge_update, validate_update
from realtime_kit.testing.vad import ServerVad

__all__ = ["TranslationSession"]

_FRAME_MS = 200
_FRAME_BYTES = _FRAME_MS * BYTES_PER_MS
_CLIENT_TYPES = ("session.update", "session.input_audio_buffer.append", "session.close")


class TranslationSession:
    """State and event handling for one translation session."""

    def __init__(self, wire: Wire, parts: ServerParts, *, config: dict[str, Any]) -> None:
        self.wire = wire
        self.parts = parts
        self.config = config
        self.pending = bytearray()  # appended audio not yet consumed by a 200 ms frame
        self.utterance = bytearray()
        self.elapsed_ms = 0
        self.vad = ServerVad(threshold=0.5, prefix_padding_ms=200, silence_duration_ms=600)
        self.closing = False
        self.started_at = parts.clock.now()
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
        await self._worker_done.wait()
        try:
            await self.wire.send({"type": "session.closed"})
        except SocketClosedError:
            tg.cancel_scope.cancel()
            return
        await self.wire.close(1000, "")
        tg.cancel_scope.cancel()

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
            validate_update("translation", update, current=self.config)
        except ConfigError as exc:
            await self.wire.send(error_event(exc.code, exc.message, param=exc.param, event_id=eid))
            return
        assert isinstance(update, Mapping)
        self.config = merge_update(self.config, update)
        await self.wire.send({"type": "session.updated", "session": self.config})

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
        if len(data) % 2:
            await self.wire.send(
                error_event(
                    "invalid_value",
                    "Audio must be PCM16 (an even number of bytes).",
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

    async def _translate(self, audio: bytes, elapsed: int) -> None:
        source = self.parts.recognizer.recognize(audio)
        if not source:
            return
        audio_cfg = self.config["audio"]
        language = str((audio_cfg.get("output") or {}).get("language") or "en")
        if (audio_cfg.get("input") or {}).get("transcription"):
            for word in _pieces(source):
                await self.wire.send(
                    {"type": "session.input_transcript.delta", "delta": word, "elapsed_ms": elapsed}
                )
        target = self.parts.translator.translate(source, language)
        pcm = self.parts.synthesizer.synthesize(target, language=language)
        words = _pieces(target)
        chunk = _FRAME_BYTES
        chunks = [pcm[i : i + chunk] for i in range(0, len(pcm), chunk)] or [b""]
        start = self.parts.clock.now()
        said = 0
        for index, piece in enumerate(chunks):
            # elapsed_ms is the input frame a delta aligns with (PROTOCOL.md §3.3, §5): output
            # runs on in 200 ms steps only as far as the input consumed so far, never ahead of it.
            stamp = min(elapsed + index * _FRAME_MS, self.elapsed_ms)
            due = len(words) * (index + 1) // len(chunks)
            while said < due:
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
            if self.parts.pace > 0:
                sent_s = (index + 1) * _FRAME_MS / 1000 / self.parts.pace
                await self.parts.clock.pace_until(start + sent_s)


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words) if w or i == 0]
