"""Input audio transcription for the fake server: deltas, completion with usage, failures, and
the "late" / "out of order" delivery faults.

Imports: anyio, the standard library, sibling testing modules.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from realtime_kit.testing._audio import BYTES_PER_MS
from realtime_kit.testing._parts import usage_tokens

if TYPE_CHECKING:
    from realtime_kit.testing._host import SessionHost

__all__ = ["TranscriptionDesk"]

# Models billed per minute of audio report usage as {"type": "duration"}; the rest in tokens.
_DURATION_MODELS = frozenset({"gpt-realtime-whisper", "gpt-live-transcribe", "whisper-1"})
# whisper-1 sends the whole turn in one delta; the others stream word by word.
_ONE_DELTA_MODELS = frozenset({"whisper-1"})
# Live models stream deltas while the user speaks (before the commit is announced).
_LIVE_MODELS = frozenset({"gpt-live-transcribe", "gpt-realtime-whisper"})
# The diarizing model also reports who spoke when, as segment events.
_DIARIZE_MODELS = frozenset({"gpt-4o-transcribe-diarize"})


def _logprobs(text: str) -> list[dict[str, Any]]:
    # One confident token per word (a stand-in tokenizer; the shape is the real one).
    tokens = [w if i == 0 else " " + w for i, w in enumerate(text.split(" ")) if w]
    return [{"token": t, "logprob": -0.01, "bytes": list(t.encode("utf-8"))} for t in tokens]


class TranscriptionDesk:
    """Produces a session's input transcription events and applies delivery faults."""

    def __init__(self, session: SessionHost) -> None:
        self.s = session
        self._late: list[list[dict[str, Any]]] = []
        self._held: list[dict[str, Any]] | None = None
        self._prepared: dict[str, list[dict[str, Any]]] = {}
        self._for_response: list[list[dict[str, Any]]] = []

    def _config(self) -> dict[str, Any] | None:
        tr = self.s.config["audio"]["input"].get("transcription")
        return tr if isinstance(tr, dict) else None

    def _mode(self) -> str:
        for faults in self.s.faults:
            if faults.transcription_mode != "normal":
                return faults.transcription_mode
        return "normal"

    def _fails(self) -> bool:
        return any(f.take_transcription_failure() for f in self.s.faults)

    def events_for(self, item_id: str, pcm: bytes, text: str, model: str) -> list[dict[str, Any]]:
        """The transcription events for one committed item."""
        base = {"item_id": item_id, "content_index": 0}
        if self._fails():
            return [
                {
                    "type": "conversation.item.input_audio_transcription.failed",
                    **base,
                    "error": {
                        "type": "transcription_error",
                        "code": "audio_unintelligible",
                        "message": "Audio could not be transcribed.",
                        "param": None,
                    },
                }
            ]
        events: list[dict[str, Any]] = []
        with_logprobs = "item.input_audio_transcription.logprobs" in (
            self.s.config.get("include") or []
        )
        if text:
            words = text.split(" ")
            pieces = (
                [text]
                if model in _ONE_DELTA_MODELS
                else [w if i == 0 else " " + w for i, w in enumerate(words)]
            )
            for piece in pieces:
                delta: dict[str, Any] = {
                    "type": "conversation.item.input_audio_transcription.delta",
                    **base,
                    "delta": piece,
                }
                if with_logprobs:
                    delta["logprobs"] = _logprobs(piece)
                events.append(delta)
        ms = len(pcm) / BYTES_PER_MS
        if model in _DIARIZE_MODELS and text:
            events.append(
                {
                    "type": "conversation.item.input_audio_transcription.segment",
                    **base,
                    "id": f"seg_{item_id.removeprefix('item_')[:12]}",
                    "text": text,
                    "speaker": "A",
                    "start": 0.0,
                    "end": round(ms / 1000, 3),
                }
            )
        usage: dict[str, Any]
        if model in _DURATION_MODELS:
            usage = {"type": "duration", "seconds": math.ceil(ms / 1000)}
        else:
            audio_tokens = math.ceil(ms / 100)
            out = usage_tokens(text)
            usage = {
                "type": "tokens",
                "input_tokens": audio_tokens,
                "output_tokens": out,
                "total_tokens": audio_tokens + out,
                "input_token_details": {"text_tokens": 0, "audio_tokens": audio_tokens},
            }
        completed: dict[str, Any] = {
            "type": "conversation.item.input_audio_transcription.completed",
            **base,
            "transcript": text,
            "usage": usage,
        }
        if with_logprobs:
            completed["logprobs"] = _logprobs(text)
        events.append(completed)
        return events

    async def before_commit(self, item_id: str, pcm: bytes, heard: str) -> None:
        """Called just before a user audio turn is committed.

        Live models (``gpt-live-transcribe``, ``gpt-realtime-whisper``) stream deltas while the
        user is still speaking, already carrying the item id the commit will announce; the real
        server's first deltas therefore arrive before ``input_audio_buffer.committed``. Here the
        first half of a turn's deltas go out before the commit events, the rest after.
        """
        config = self._config()
        if config is None or self._mode() != "normal" or self.s.parts.transcription_delay_ms:
            return
        model = str(config.get("model") or "whisper-1")
        if model not in _LIVE_MODELS:
            return
        events = self.events_for(item_id, pcm, heard, model)
        deltas = [e for e in events if e["type"].endswith(".delta")]
        early = deltas[: len(deltas) // 2]
        self._prepared[item_id] = events[len(early) :]
        await self._send_all(early)

    async def transcribe(self, item_id: str, pcm: bytes, heard: str, *, hold: bool = False) -> None:
        """Called after a user audio item is committed.

        ``hold``: the server ended this turn itself and is starting a response for it; the
        transcript goes out once that response has started (:meth:`response_started`), as on the
        real service, where transcription completes while the reply is already under way.
        ``transcription_delay_ms`` delays it further on the server clock, in the background.
        """
        config = self._config()
        if config is None:
            return
        prepared = self._prepared.pop(item_id, None)
        events = (
            prepared
            if prepared is not None
            else self.events_for(item_id, pcm, heard, str(config.get("model") or "whisper-1"))
        )
        mode = self._mode()
        if mode == "late" and self.s.kind == "realtime":
            self._late.append(events)
            return
        if mode == "out_of_order":
            held, self._held = self._held, None
            if held is None:
                # Swap with the next item's transcript; if no item follows within a second of
                # server clock, this one goes out alone rather than never.
                self._held = events
                self.s.start_soon(self._release_held, events, self.s.parts.clock.now() + 1.0)
                return
            await self._send_all(events)
            await self._send_all(held)
            return
        if hold:
            self._for_response.append(events)
            return
        await self._deliver(events)

    async def response_started(self) -> None:
        """A response has started: transcripts held for it go out now."""
        waiting, self._for_response = self._for_response, []
        for events in waiting:
            await self._deliver(events)

    async def _deliver(self, events: list[dict[str, Any]]) -> None:
        delay = self.s.parts.transcription_delay_ms
        if delay:
            self.s.start_soon(self._send_after, events, delay / 1000)
            return
        await self._send_all(events)

    async def _send_after(self, events: list[dict[str, Any]], seconds: float) -> None:
        clock = self.s.parts.clock
        await clock.pace_until(clock.now() + seconds)
        await self._send_all(events)

    async def _release_held(self, events: list[dict[str, Any]], deadline: float) -> None:
        await self.s.parts.clock.wait_until(deadline)
        if self._held is not events:
            return  # already sent, swapped with a later item's transcript
        self._held = None
        await self._send_all(events)

    async def response_done(self) -> None:
        """A response finished: release transcripts held by the "late" fault."""
        late, self._late = self._late, []
        for events in late:
            await self._send_all(events)

    async def _send_all(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            if event["type"].endswith(".completed"):
                # The item shows its transcript from the moment the client is told it.
                item = self.s.items.get(event["item_id"])
                if item is not None and item.get("content"):
                    item["content"][0]["transcript"] = event["transcript"]
            await self.s.send(event)
