"""One assistant message of a fake response, streamed the way the real server streams it.

``response.output_item.added`` → ``response.content_part.added`` → audio deltas paced by the
server clock with transcript deltas a little ahead of them (or text deltas) → the ``*.done``
events → ``response.output_item.done`` (PROTOCOL.md §4(b)). The conversation's copy of the item
grows as the stream goes: from ``content_part.added`` on it has its audio part, its transcript so
far, and the audio sent so far — so ``conversation.item.truncate`` works on an item whose audio
is still streaming, measured against the audio actually sent. A truncated item keeps the cut
audio and transcript from then on (its stream goes on until the response is cancelled or done,
but the conversation's item no longer grows); a deleted one is no longer reported as a
conversation item.

Imports: anyio, pybase64, the standard library, sibling testing modules.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Protocol

import anyio
import pybase64

from realtime_kit.testing._audio import BYTES_PER_MS, from_pcm24
from realtime_kit.testing._parts import usage_tokens

if TYPE_CHECKING:
    from realtime_kit.testing._host import SessionHost

__all__ = ["MessageStream", "split_words"]


def split_words(text: str) -> list[str]:
    """Deltas are append-only and concatenate to the transcript: keep each word's leading space."""
    words: list[str] = []
    for i, word in enumerate(text.split(" ")):
        words.append(word if i == 0 else " " + word)
    return [w for w in words if w]


class ResponseSide(Protocol):
    """What a message needs from the response it belongs to."""

    id: str
    s: SessionHost
    out_text_tokens: int
    out_audio_tokens: int

    @property
    def modalities(self) -> list[str]: ...

    def audio_out(self) -> dict[str, Any]: ...

    def note_audio(self, ms: float) -> None: ...

    async def add_item(self, item: dict[str, Any], index: int) -> None: ...

    async def done_item(self, item: dict[str, Any], index: int) -> None: ...


class MessageStream:
    """An assistant message in flight: :meth:`play` streams it; :meth:`finish` ends it early."""

    def __init__(self, run: ResponseSide, text: str, index: int) -> None:
        self.run = run
        self.text = text
        self.index = index
        self.audio = "audio" in run.modalities
        self.item: dict[str, Any] = {
            "id": run.s.wire.ids.new("item"),
            "type": "message",
            "object": "realtime.item",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        }
        self.sent: list[str] = []
        self.pcm_sent = 0  # bytes of PCM16 24 kHz generated and sent
        self.announced = False
        self.finished = False

    def _event(self, etype: str, **fields: Any) -> dict[str, Any]:
        return {
            "type": etype,
            "response_id": self.run.id,
            "item_id": self.item["id"],
            "output_index": self.index,
            "content_index": 0,
            **fields,
        }

    async def play(self) -> None:
        """Stream the whole message (cancelling the caller's scope stops it mid-way)."""
        s = self.run.s
        out = self.run.audio_out()
        pcm = b""
        if self.audio:
            speed = float(s.config["audio"]["output"].get("speed") or 1.0)
            pcm = s.parts.synthesizer.synthesize(self.text, voice=str(out["voice"]), speed=speed)
            # Known before the item is: a truncate may come as soon as the client sees its id.
            s.speech_plan[self.item["id"]] = (self.text, len(pcm))
        part = {"type": "audio", "transcript": ""} if self.audio else {"type": "text", "text": ""}
        kind = "output_audio" if self.audio else "output_text"
        # The item's announcement goes out whole or not at all, whatever cancels the response.
        with anyio.CancelScope(shield=True):
            await self.run.add_item(self.item, self.index)
            self.item["content"] = [{"type": kind, "transcript" if self.audio else "text": ""}]
            await s.send(self._event("response.content_part.added", part=part))
        self.announced = True
        words = split_words(self.text)
        if not self.audio:
            for word in words:
                await s.send(self._event("response.output_text.delta", delta=word))
                self._said(word, "text")
            await self.finish("completed")
            return
        chunk = s.parts.audio_chunk_ms * BYTES_PER_MS
        total = max(1, len(pcm))
        start = s.parts.clock.now()
        said = 0
        for offset in range(0, len(pcm), chunk):
            piece = pcm[offset : offset + chunk]
            # Transcript runs slightly ahead of the audio, word by word, as the real one does.
            due = math.ceil(len(words) * min(1.0, (offset + len(piece)) / total))
            while said < due:
                await self._transcript_delta(words[said])
                said += 1
            if s.media is not None:
                # WebRTC: onto the call's output buffer and track, no audio deltas.
                s.media.play(self.run.id, self.item["id"], piece)
            else:
                delta = pybase64.b64encode(from_pcm24(out["format"], piece)).decode("ascii")
                await s.send(self._event("response.output_audio.delta", delta=delta))
            self.pcm_sent += len(piece)
            s.store_audio(self.item["id"], piece)
            s.assistant_audio_sent = True
            self.run.note_audio(len(piece) / BYTES_PER_MS)
            if s.parts.pace > 0:
                sent_s = self.pcm_sent / BYTES_PER_MS / 1000 / s.parts.pace
                await s.parts.clock.pace_until(start + sent_s)
        while said < len(words):
            await self._transcript_delta(words[said])
            said += 1
        await self.finish("completed")

    async def _transcript_delta(self, word: str) -> None:
        await self.run.s.send(self._event("response.output_audio_transcript.delta", delta=word))
        self._said(word, "transcript")

    def _said(self, word: str, key: str) -> None:
        self.sent.append(word)
        if self.item["id"] not in self.run.s.truncated:
            self.item["content"][0][key] += word

    async def finish(self, status: str) -> None:
        """Send the message's ``*.done`` events (once); ``status`` ``incomplete`` when cut off."""
        if self.finished:
            return
        self.finished = True
        s, item = self.run.s, self.item
        if not self.announced:  # cut off before the client heard of it: it never existed
            s.speech_plan.pop(item["id"], None)
            return
        text = "".join(self.sent)
        self.run.out_text_tokens += usage_tokens(text)
        if item["id"] in s.truncated and item["content"]:
            # The conversation keeps only what was heard; every later view of the item agrees.
            text = str(item["content"][0].get("transcript") or "")
        if self.audio:
            self.run.out_audio_tokens += math.ceil(self.pcm_sent / BYTES_PER_MS / 50)
            await s.send(self._event("response.output_audio.done"))
            await s.send(self._event("response.output_audio_transcript.done", transcript=text))
            part: dict[str, Any] = {"type": "audio", "transcript": text}
            content = [{"type": "output_audio", "transcript": text}]
        else:
            await s.send(self._event("response.output_text.done", text=text))
            part = {"type": "text", "text": text}
            content = [{"type": "output_text", "text": text}]
        await s.send(self._event("response.content_part.done", part=part))
        item["status"] = status
        item["content"] = content
        await self.run.done_item(item, self.index)
