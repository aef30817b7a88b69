"""Barge-in: cut assistant playback where the listener is, and tell the server what was heard.

When the user starts speaking over the assistant (server VAD), or the app interrupts: the sink
is flushed and the play queue dropped; the item being heard is truncated at the heard position
(clamped to the audio received; not at all when it was heard to the end); items nobody heard are
deleted (once their response is done, so the server is not asked to delete an item it is still
writing); the response is cancelled unless the server does it itself (VAD with
``interrupt_response``); tools of the interrupted response with ``on_interrupt="cancel"`` stop;
the assistant's words in the log are cut to what was heard. A response is a list of messages
(a preamble, then the answer): each keeps its own position on the one playback clock.

When the server plays the audio (WebRTC, SIP), it truncates by itself; its
``conversation.item.truncated`` is then reported as an interruption with the heard words.

Imports: the standard library, ``events``, ``protocol.transcripts`` and sibling modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from realtime_kit.audio import PlaybackPosition
from realtime_kit.conversation._events import Interrupted
from realtime_kit.conversation._log import AssistantTurn
from realtime_kit.conversation._state import EngineState, ItemState
from realtime_kit.events import (
    ConversationItemDeleteEvent,
    ConversationItemRetrieveEvent,
    ConversationItemTruncatedEvent,
    ConversationItemTruncateEvent,
    OutputAudioBufferClearEvent,
)
from realtime_kit.protocol.records import b64_decoded_size
from realtime_kit.protocol.transcripts import cut_transcript

__all__ = ["BargeIn"]


@dataclass(slots=True)
class _Cut:
    """What one barge-in did, for its :class:`Interrupted` event."""

    item: str | None = None
    response_id: str | None = None
    heard_ms: int = 0
    received_ms: int = 0
    heard_text: str = ""
    truncated: bool = False
    deleted: list[str] = field(default_factory=list)


class BargeIn(EngineState):
    """The barge-in half of the engine (see the module docstring)."""

    def barge_in(self, source: Literal["vad", "app"], *, speech_item: str | None = None) -> bool:
        """Cut playback where the listener is; returns whether anything was interrupted.

        Called for ``speech_started`` (``vad``, once per speech item) and by
        ``Conversation.interrupt()`` / ``start_turn()`` (``app``).
        """
        if speech_item is not None:
            if self._handled_speech == speech_item:
                return False
            self._handled_speech = speech_item
        if self.settings.server_playback:
            return self._ask_server_to_stop()
        positions = self.sink.flush() if self.sink is not None else []
        self.epoch += 1
        cut = self._unheard(positions)
        active_id = self.scheduler.active_response_id
        active = self._responses.get(active_id) if active_id is not None else None
        if not cut and (active is None or self._heard_in_full(active.response_id)):
            # Nothing playing and nothing coming (the active response's audio all arrived and
            # was heard; only its response.done is still on its way): not an interruption.
            return False
        report = _Cut()
        hit: set[str] = {active.response_id} if active is not None else set()
        for item_id, index, heard in cut:
            item = self._items.get(item_id)
            if item is None:
                continue
            hit.add(item.response_id)
            if item.out_of_band:
                item.dropped = True  # out of the conversation: nothing to truncate or delete
            elif heard > 0 and report.item is None:
                self._truncate(item, index, heard, report)
            elif heard == 0:
                self._forget(item, report)
        self._stop(hit, source)
        if report.item is None and active is not None:
            report.response_id = active.response_id
        estimated = any(p.estimated for p in positions) or (
            self.sink is not None and self.sink.clock.estimated
        )
        self.events.append(
            Interrupted(
                report.item,
                report.response_id,
                report.heard_ms,
                report.received_ms,
                report.heard_text,
                estimated,
                report.truncated,
                tuple(report.deleted),
                source,
                self.now(),
            )
        )
        return True

    def _heard_in_full(self, response_id: str) -> bool:
        """Every message of the response so far had all its audio, and it was all played."""
        items = [i for i in self._items.values() if i.response_id == response_id]
        return bool(items) and all(i.audio_done for i in items if not i.out_of_band)

    def _unheard(self, positions: list[PlaybackPosition]) -> list[tuple[str, int, int]]:
        """Every item that had audio not yet heard, in playback order, with the ms heard.

        The sink reports what it held; audio still in the play queue never reached it (0 ms
        heard); an item still streaming whose audio so far was all played is heard up to its
        end, and everything the server has yet to send is unheard.
        """
        cut = [(p.item_id, p.content_index, p.heard_ms) for p in positions]
        listed = {(item_id, index) for item_id, index, _ in cut}
        for op in self.playout:
            key = (op.item_id, op.content_index)
            if key not in listed:
                listed.add(key)
                cut.append((op.item_id, op.content_index, 0))
        self.playout.clear()
        clock = self.sink.clock if self.sink is not None else None
        for item in self._items.values():
            record = self._responses.get(item.response_id)
            key = (item.item_id, item.audio_index)
            streaming = record is not None and not record.done and not item.audio_done
            if streaming and not item.dropped and item.wire_bytes and key not in listed:
                heard = clock.heard_ms(item.item_id, content_index=item.audio_index) if clock else 0
                cut.append((item.item_id, item.audio_index, heard))
        return cut

    def _truncate(self, item: ItemState, index: int, heard: int, report: _Cut) -> None:
        """The item being heard: truncate it at the heard position (clamped to what arrived)."""
        received = self._wire_ms(item)
        heard = min(heard, received)
        report.item, report.response_id = item.item_id, item.response_id
        report.heard_ms, report.received_ms = heard, received
        report.heard_text = cut_transcript(item.text, heard, received)
        heard_to_the_end = item.audio_done and heard >= received
        if not heard_to_the_end:
            self.outbox.append(
                ConversationItemTruncateEvent(
                    item_id=item.item_id, content_index=index, audio_end_ms=heard
                )
            )
            report.truncated = True
        item.dropped = not heard_to_the_end
        entry = self.log.get(item.item_id)
        if isinstance(entry, AssistantTurn):
            entry.interrupted = True
            entry.heard_ms = heard
            entry.text = report.heard_text
            entry.audio_ms = received

    def _forget(self, item: ItemState, report: _Cut) -> None:
        """An item nobody heard: delete it (after its response is done, if it still runs)."""
        item.dropped = True
        report.deleted.append(item.item_id)
        entry = self.log.get(item.item_id)
        if isinstance(entry, AssistantTurn):
            entry.interrupted = True
            entry.heard_ms = 0
            entry.text = ""
        record = self._responses.get(item.response_id)
        if record is not None and not record.done:
            record.deletes.append(item.item_id)
        else:
            self._delete(item.item_id)

    def _stop(self, response_ids: set[str], source: Literal["vad", "app"]) -> None:
        """Stop the interrupted responses that still run, and their cancellable tools."""
        for response_id in response_ids:
            record = self._responses.get(response_id)
            if record is None or record.done:
                continue
            record.interrupted = True
            for call_id in record.calls:
                if call_id not in self._finished_calls:
                    self.tool_cancels.append((call_id, self._calls[call_id].name))
            # With VAD and interrupt_response the server cancels by itself; a second cancel
            # would only draw response_cancel_not_active.
            server_cancels = source == "vad" and self.barge_in_enabled and not record.out_of_band
            if not server_cancels:
                cancel = self.scheduler.cancel(response_id)
                if cancel is not None:
                    self.outbox.append(cancel)

    def _delete(self, item_id: str) -> None:
        entry = self.log.get(item_id)
        if isinstance(entry, AssistantTurn) and entry.deleted:
            return
        self.outbox.append(ConversationItemDeleteEvent(item_id=item_id))

    def _on_truncated(self, event: ConversationItemTruncatedEvent) -> None:
        entry = self.log.get(event.item_id)
        if not isinstance(entry, AssistantTurn):
            return
        entry.heard_ms = event.audio_end_ms
        if self.settings.server_playback and not entry.interrupted:
            # The server cut its own playback and said where: ask it for the heard words.
            item = self._items.get(event.item_id)
            record = self._responses.get(item.response_id) if item is not None else None
            if record is not None and not record.done:
                record.interrupted = True  # asked for once the response is over
            else:
                self._ask_heard(event.item_id)

    # -- the server plays the audio (WebRTC, SIP) ---------------------------------------------

    def _ask_server_to_stop(self) -> bool:
        """The app interrupts while the server plays: cancel, then clear the server's buffer
        (which truncates what was not played); ``output_audio_buffer.cleared`` follows."""
        active = self.scheduler.active_response_id
        playing = self._playing_response
        if active is None and playing is None:
            return False
        if active is not None:
            cancel = self.scheduler.cancel(active)
            if cancel is not None:
                self.outbox.append(cancel)
        if playing is not None:
            self.outbox.append(OutputAudioBufferClearEvent())
        return True

    def media_item(self) -> str | None:
        """The assistant item the server is playing now (WebRTC), for the track's audio.

        A client cannot see where one message's audio ends and the next begins inside one
        response: audio is given to the latest message of the playing response.
        """
        response_id = self._playing_response
        if response_id is None:
            return None
        latest = None
        for item in self._items.values():
            if item.response_id == response_id and not item.dropped:
                latest = item.item_id
        return latest

    def _server_cleared(self, response_id: str) -> None:
        """``output_audio_buffer.cleared``: the server stopped playing ``response_id`` and cut
        its items to what was played. Flush what the app still holds, and ask the server for
        each cut item, whose transcript now holds the heard words only."""
        record = self._responses.get(response_id)
        if record is not None:
            record.interrupted = True
        if self.sink is not None:
            self.sink.flush()
            self.epoch += 1
        self.playout.clear()
        if self._playing_response == response_id:
            self._playing_response = None
        if record is None or record.done:
            self.ask_heard_of(response_id)
        # else: once response.done arrives; until then the items are still being cut.

    def ask_heard_of(self, response_id: str) -> None:
        """Retrieve the server's copy of each message of a response it cut (after it ended)."""
        for item in self._items.values():
            if item.response_id == response_id and not item.out_of_band:
                self._ask_heard(item.item_id)

    def _ask_heard(self, item_id: str) -> None:
        if item_id in self._asked:
            return
        entry = self.log.get(item_id)
        if isinstance(entry, AssistantTurn) and entry.deleted:
            return
        self._asked.add(item_id)
        self.outbox.append(ConversationItemRetrieveEvent(item_id=item_id))

    def _on_retrieved(self, item_id: str, content: list[Any]) -> None:
        """The server's copy of an item it cut: report the interruption with its words."""
        if item_id not in self._asked:
            return
        self._asked.discard(item_id)
        entry = self.log.get(item_id)
        if not isinstance(entry, AssistantTurn) or entry.interrupted:
            return
        heard_text = ""
        audio_ms: int | None = None
        for part in content:
            if isinstance(part, dict) and part.get("type") in ("output_audio", "audio"):
                heard_text = str(part.get("transcript") or "")
                audio = part.get("audio")
                if isinstance(audio, str) and audio:
                    audio_ms = b64_decoded_size(audio) // (
                        48 if self.settings.wire_format == "pcm16" else 8
                    )
        clock = self.sink.clock if self.sink is not None else None
        heard_ms = entry.heard_ms if entry.heard_ms is not None else audio_ms
        if heard_ms is None:
            heard_ms = clock.heard_ms(item_id) if clock is not None else 0
        entry.interrupted = True
        entry.heard_ms = heard_ms
        entry.text = heard_text
        if not heard_text.strip():
            return  # nothing of it was heard: no interruption to speak of
        self.events.append(
            Interrupted(
                item_id,
                entry.response_id,
                heard_ms,
                max(heard_ms, entry.audio_ms),
                heard_text,
                False,
                True,
                (),
                "server",
                self.now(),
            )
        )
