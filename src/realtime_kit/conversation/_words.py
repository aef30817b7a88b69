"""Words in spoken order: user transcripts (partial and final) and the assistant's words.

A user transcript can arrive after the reply it caused has begun. The log always places it
first (by the item chain); in the event stream, the assistant's words are held back while a
preceding user transcript is pending, for at most ``transcript_hold_s`` (then released, and the
late transcript is flagged ``late``). Audio is never held.

Imports: the standard library, ``events`` and sibling modules.
"""

from __future__ import annotations

from realtime_kit.conversation._events import (
    AssistantTranscript,
    AssistantTranscriptDelta,
    UserTranscript,
    UserTranscriptDelta,
    UserTranscriptFailed,
)
from realtime_kit.conversation._log import AssistantTurn
from realtime_kit.conversation._state import EngineState
from realtime_kit.events import (
    ConversationItemInputAudioTranscriptionDeltaEvent,
    ConversationItemInputAudioTranscriptionFailedEvent,
)

__all__ = ["Words"]


class Words(EngineState):
    """The transcript half of the engine (see the module docstring)."""

    def tick(self) -> None:
        """Release held assistant words whose wait for a user transcript has run out."""
        if self._held and self.now() - self._held[0][0] >= self.settings.transcript_hold_s:
            self._release_held(force=True)

    @property
    def holding(self) -> bool:
        """Assistant words are held back for a late user transcript."""
        return bool(self._held)

    def _on_user_delta(self, event: ConversationItemInputAudioTranscriptionDeltaEvent) -> None:
        delta = event.delta or ""
        text = self._transcripts.get(event.item_id, "") + delta
        self._transcripts[event.item_id] = text
        turn = self.log_user(event.item_id)
        if not turn.final:
            turn.text = text
        self.events.append(
            UserTranscriptDelta(event.item_id, delta, text, self.log.position(event.item_id))
        )

    def _on_user_final(self, item_id: str, transcript: str) -> None:
        turn = self.log_user(item_id)
        turn.text = transcript
        turn.final = True
        self._transcripts[item_id] = transcript
        late = item_id in self._held_for
        self._pending_transcripts.discard(item_id)
        self.events.append(UserTranscript(item_id, transcript, self.log.position(item_id), late))
        self._release_held()

    def _on_user_failed(self, event: ConversationItemInputAudioTranscriptionFailedEvent) -> None:
        turn = self.log_user(event.item_id)
        turn.failed = True
        turn.final = True
        self._pending_transcripts.discard(event.item_id)
        error = event.error
        self.events.append(
            UserTranscriptFailed(
                event.item_id,
                getattr(error, "message", None) or "transcription failed",
                getattr(error, "code", None),
                self.log.position(event.item_id),
            )
        )
        self._release_held()

    def _on_assistant_delta(self, item_id: str, response_id: str, delta: str) -> None:
        item = self._item(item_id, response_id)
        item.text += delta
        entry = self.log.get(item_id)
        if isinstance(entry, AssistantTurn) and not entry.interrupted:
            entry.generated_text = item.text
            entry.text = item.text
        self._emit_words(
            AssistantTranscriptDelta(item_id, response_id, delta, item.text, item.out_of_band)
        )

    def _on_assistant_text_done(self, item_id: str, response_id: str, text: str) -> None:
        item = self._item(item_id, response_id)
        item.text = text
        item.text_done = True
        entry = self.log.get(item_id)
        if isinstance(entry, AssistantTurn):
            entry.generated_text = text
            entry.done = True
            if not entry.interrupted:
                entry.text = text
        self._emit_words(AssistantTranscript(item_id, response_id, text, item.out_of_band))

    def _emit_words(self, event: AssistantTranscriptDelta | AssistantTranscript) -> None:
        if event.out_of_band or not self._pending_transcripts:
            if self._held:
                self._held.append((self.now(), event))
                return
            self.events.append(event)
            return
        # A user turn before this reply has no transcript yet: hold the reply's words.
        self._held_for.update(self._pending_transcripts)
        self._held.append((self.now(), event))

    def _release_held(self, *, force: bool = False) -> None:
        if not self._held or (self._pending_transcripts and not force):
            return
        self.events.extend(event for _, event in self._held)
        self._held.clear()
        if force:
            self._held_for.update(self._pending_transcripts)
