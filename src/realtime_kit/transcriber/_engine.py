"""The sans-I/O caption engine: transcription-session events in, ordered captions out.

It never awaits and never touches a socket; :class:`~realtime_kit.Transcriber` drives it, and
tests drive it with plain event objects. What it does:

* **Spoken order.** The server may complete items out of order (PROTOCOL.md §2.2). Items are
  ordered by the ``input_audio_buffer.committed`` chain (``previous_item_id`` → ``item_id``), and
  a final caption is handed out only once every earlier item is final (or failed). Partial
  captions go out at once: they are provisional by nature.
* **Where the speech is.** All times are in *stream* milliseconds — from the start of the
  caller's audio — whatever session the server counted in. With server VAD, ``audio_start_ms``
  includes ``prefix_padding_ms`` and ``audio_end_ms`` includes ``silence_duration_ms``
  (PROTOCOL.md §2.1, §4e); both are taken off. With client commits the caller says where the
  speech was (its own VAD knows) when it commits.
* **Sessions.** After a reconnect the server counts from zero again and forgets unfinished items.
  :meth:`CaptionEngine.start_session` maps the new session onto the stream and tells the caller
  what to replay; items that repeat speech already final (server VAD replays overlap) are hidden,
  so nothing is transcribed twice.

Imports: the standard library, :mod:`realtime_kit.events` and the caption data module.
"""

from __future__ import annotations

import bisect
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from realtime_kit.events import (
    ConversationItemInputAudioTranscriptionCompletedEvent,
    ConversationItemInputAudioTranscriptionDeltaEvent,
    ConversationItemInputAudioTranscriptionFailedEvent,
    InputAudioBufferCommittedEvent,
    InputAudioBufferSpeechStartedEvent,
    InputAudioBufferSpeechStoppedEvent,
    ServerEvent,
    SessionUpdatedEvent,
)
from realtime_kit.transcriber._captions import (
    Caption,
    CaptionFailed,
    FinalCaption,
    PartialCaption,
    Segment,
    TokenLogprob,
    join_texts,
)

__all__ = ["CaptionEngine", "CommitSpan"]

_log = logging.getLogger("realtime_kit.transcriber")


@dataclass(frozen=True, slots=True)
class CommitSpan:
    """One client commit, in stream ms: the audio it covers and where the speech in it is."""

    start_ms: float
    end_ms: float
    speech_start_ms: float
    speech_end_ms: float


@dataclass(eq=False)
class _Item:
    item_id: str
    session: int
    start_ms: float | None = None
    end_ms: float | None = None
    audio_start_ms: float | None = None  # stream ms of the first audio the item covers
    span: CommitSpan | None = None
    parts: list[str] = field(default_factory=list)
    logprobs: list[TokenLogprob] = field(default_factory=list)
    final_text: str | None = None
    final_logprobs: tuple[TokenLogprob, ...] | None = None
    failure: CaptionFailed | None = None
    placed: bool = False
    hidden: bool = False

    @property
    def done(self) -> bool:
        return self.final_text is not None or self.failure is not None


def _logprobs(raw: Sequence[object] | None) -> tuple[TokenLogprob, ...] | None:
    if raw is None:
        return None
    out = []
    for entry in raw:
        token = getattr(entry, "token", "")
        value = getattr(entry, "logprob", 0.0)
        data = getattr(entry, "bytes", None)
        out.append(
            TokenLogprob(str(token), float(value), tuple(data) if data is not None else None)
        )
    return tuple(out)


class CaptionEngine:
    """Folds transcription-session server events into ordered captions.

    Args:
        client_commits: True when the session has ``turn_detection: null`` and the caller
            commits (call :meth:`committing` before each commit); False for server VAD.
        prefix_padding_ms: the server VAD's audio kept before detected speech (updated from
            ``session.updated`` when the server confirms another value).
        silence_duration_ms: the server VAD's silence that ends a turn (updated likewise).
        logprobs: keep log-probabilities on segments.
        overlap: with server VAD, a new item overlapping an already final segment by more than
            this share of the shorter of the two is a replay of it and is hidden.

    Call :meth:`start_session` when a session opens, :meth:`feed` with every server event, and
    hand out what it returns. :attr:`idle` says whether anything is still being transcribed.
    """

    def __init__(
        self,
        *,
        client_commits: bool,
        prefix_padding_ms: float = 300,
        silence_duration_ms: float = 500,
        logprobs: bool = False,
        overlap: float = 0.5,
    ) -> None:
        self.client_commits = client_commits
        self.prefix_padding_ms = float(prefix_padding_ms)
        self.silence_duration_ms = float(silence_duration_ms)
        self.keep_logprobs = logprobs
        self.overlap = overlap
        self._items: dict[str, _Item] = {}
        self._order: list[_Item] = []
        self._emitted = 0  # items of _order already handed out (or skipped)
        self._unacked: deque[CommitSpan] = deque()
        self._session = 0
        self._origin_ms = 0.0
        self._buffer_start_ms = 0.0  # stream ms where the server's input buffer starts (VAD)
        self._speech: _Item | None = None
        self._committed_end_ms = 0.0
        self._onsets: list[float] = []
        self.segments: list[Segment] = []
        self.failures: list[CaptionFailed] = []

    # -- sessions ------------------------------------------------------------------------------

    def start_session(self, origin_ms: float) -> list[CommitSpan]:
        """A new server session begins; its audio ms 0 is stream ms ``origin_ms``.

        Unfinished items of the previous session are forgotten (that session is gone). With
        client commits, returns the spans to replay, in order: append each span's audio and
        commit it (calling :meth:`committing` again), then continue from :attr:`committed_end_ms`.
        With server VAD returns ``[]``: re-send the audio from :attr:`resume_ms` (pass that as
        ``origin_ms``).
        """
        replay: list[CommitSpan] = []
        if self._session:
            keep: list[_Item] = []
            for position, item in enumerate(self._order):
                if item.done or position < self._emitted:
                    keep.append(item)
                elif item.span is not None:
                    replay.append(item.span)
            replay.extend(self._unacked)
            self._unacked.clear()
            self._order = keep
            self._items = {i.item_id: i for i in keep}
            self._speech = None
        self._session += 1
        self._origin_ms = origin_ms
        self._buffer_start_ms = origin_ms
        return replay if self.client_commits else []

    def committing(self, span: CommitSpan) -> None:
        """Client commits: ``input_audio_buffer.commit`` for ``span`` is about to be sent."""
        self._unacked.append(span)

    def commit_rejected(self) -> None:
        """The server refused the oldest unacknowledged commit (too little audio)."""
        if self._unacked:
            self._unacked.popleft()

    # -- state ---------------------------------------------------------------------------------

    @property
    def idle(self) -> bool:
        """Nothing committed is still waiting for its transcript."""
        return (
            not self._unacked
            and all(item.done for item in self._order)
            and not any(not item.placed and not item.done for item in self._items.values())
        )

    @property
    def pending_items(self) -> int:
        return sum(1 for item in self._order if not item.done) + len(self._unacked)

    @property
    def committed_end_ms(self) -> float:
        """Stream ms up to which audio has been committed (client commits)."""
        return self._committed_end_ms

    @property
    def resume_ms(self) -> float:
        """Stream ms from which audio may have to be re-sent after losing the session: the
        start of the earliest unfinished (or unacknowledged) item, else of speech in progress,
        else the end of the last committed turn."""
        # Every unfinished item counts, placed or not: between speech_stopped and committed
        # an item is in neither the order nor in progress.
        starts = [
            item.audio_start_ms
            for item in self._items.values()
            if not item.done and not item.hidden and item.audio_start_ms is not None
        ]
        starts.extend(span.start_ms for span in self._unacked)
        if self._speech is not None and self._speech.audio_start_ms is not None:
            starts.append(self._speech.audio_start_ms)
        if starts:
            return min(starts)
        return self._committed_end_ms if self.client_commits else self._buffer_start_ms

    def note_onset(self, ms: float) -> None:
        """Server VAD: the caller's own VAD heard speech begin at stream ``ms``.

        Used only where the server's start is ambiguous: a start at the server's buffer start
        may carry anything from no padding to all of it.
        """
        if not self._onsets or ms > self._onsets[-1]:
            self._onsets.append(ms)
        elif ms not in self._onsets:
            bisect.insort(self._onsets, ms)
        if len(self._onsets) > 256:
            del self._onsets[:128]

    def _onset(self, raw: float) -> float:
        i = bisect.bisect_left(self._onsets, raw - 40)
        if i < len(self._onsets) and self._onsets[i] <= raw + self.prefix_padding_ms + 40:
            return max(raw, self._onsets[i])
        return raw

    def heard_speech(self, item_id: str) -> bool:
        """Whether the server VAD reported speech in ``item_id``."""
        item = self._items.get(item_id)
        return item is not None and item.audio_start_ms is not None and not self.client_commits

    def discard(self, item_id: str) -> list[Caption]:
        """Stop waiting for ``item_id``'s transcript and never caption it (padding the caller
        added itself); returns the captions this releases."""
        item = self._item(item_id)
        item.hidden = True
        if not item.done:
            item.final_text = ""
        return self._drain()

    def waiting_only_for(self, item_id: str) -> bool:
        """Whether ``item_id`` is the one thing still being transcribed."""
        pending = [i for i in self._items.values() if not i.done]
        return not self._unacked and [i.item_id for i in pending] == [item_id]

    def vad_closed(self, item_id: str) -> bool:
        """Whether the server VAD ended ``item_id`` (a ``speech_stopped`` was seen for it)."""
        item = self._items.get(item_id)
        return item is not None and item.end_ms is not None and not self.client_commits

    @property
    def transcript(self) -> str:
        """The running transcript: final segments so far, in spoken order."""
        return join_texts(s.text for s in self.segments)

    # -- events --------------------------------------------------------------------------------

    def feed(self, event: ServerEvent) -> list[Caption]:
        """Take one server event; returns the captions it completes, in order."""
        match event:
            case InputAudioBufferSpeechStartedEvent():
                item = self._item(event.item_id)
                raw = self._origin_ms + event.audio_start_ms
                item.audio_start_ms = raw
                # The server keeps prefix padding before the detected speech, but never before
                # its buffer start; a start right at the buffer start may hold less padding
                # than the setting, so the caller's own onset (note_onset) settles it.
                padded = raw > self._buffer_start_ms + 1
                item.start_ms = raw + self.prefix_padding_ms if padded else self._onset(raw)
                self._speech = item
                return []
            case InputAudioBufferSpeechStoppedEvent():
                item = self._item(event.item_id)
                raw_end = self._origin_ms + event.audio_end_ms
                end = raw_end - self.silence_duration_ms
                if item.start_ms is not None:
                    end = max(end, item.start_ms)
                item.end_ms = end
                self._buffer_start_ms = raw_end
                if self._speech is item:
                    self._speech = None
                return []
            case InputAudioBufferCommittedEvent():
                return self._on_committed(event)
            case ConversationItemInputAudioTranscriptionDeltaEvent():
                return self._on_delta(event)
            case ConversationItemInputAudioTranscriptionCompletedEvent():
                item = self._item(event.item_id)
                if item.done:
                    return []
                item.final_text = event.transcript
                if self.keep_logprobs:
                    final = _logprobs(event.logprobs)
                    item.final_logprobs = final if final is not None else tuple(item.logprobs)
                return self._drain()
            case ConversationItemInputAudioTranscriptionFailedEvent():
                item = self._item(event.item_id)
                if item.done:
                    return []
                error = event.error
                item.failure = CaptionFailed(
                    item_id=item.item_id,
                    start=_seconds(item.start_ms),
                    end=_seconds(item.end_ms),
                    code=getattr(error, "code", None),
                    message=str(getattr(error, "message", "") or "transcription failed"),
                )
                return self._drain()
            case SessionUpdatedEvent():
                self._learn_vad(event)
                return []
            case _:
                return []

    def _learn_vad(self, event: SessionUpdatedEvent) -> None:
        session = event.session.model_dump(mode="json")
        td = ((session.get("audio") or {}).get("input") or {}).get("turn_detection")
        if isinstance(td, dict) and td.get("type") == "server_vad":
            self.prefix_padding_ms = float(td.get("prefix_padding_ms", self.prefix_padding_ms))
            self.silence_duration_ms = float(
                td.get("silence_duration_ms", self.silence_duration_ms)
            )

    def _item(self, item_id: str) -> _Item:
        item = self._items.get(item_id)
        if item is None:
            item = _Item(item_id, self._session)
            self._items[item_id] = item
        return item

    def _on_committed(self, event: InputAudioBufferCommittedEvent) -> list[Caption]:
        item = self._item(event.item_id)
        if item.placed:
            return []
        if self.client_commits:
            if self._unacked:
                span = self._unacked.popleft()
                item.span = span
                item.audio_start_ms = span.start_ms
                item.start_ms = span.speech_start_ms
                item.end_ms = span.speech_end_ms
                self._committed_end_ms = max(self._committed_end_ms, span.end_ms)
            else:
                _log.warning("committed %s without a commit of ours; no timing", item.item_id)
        elif item.end_ms is None:
            # A commit without a speech_stopped (a manual commit under server VAD).
            item.end_ms = item.start_ms
        self._place(item, event.previous_item_id)
        if not self.client_commits:
            self._hide_if_replayed(item)
        return self._drain()

    def _place(self, item: _Item, previous: str | None) -> None:
        item.placed = True
        prev = self._items.get(previous) if previous else None
        if prev is not None and prev.placed and prev.session == item.session:
            position = self._order.index(prev) + 1
            # Items kept from an earlier session may sit between a replayed item and its
            # successor in the chain; the audio timeline decides between sessions.
            while (
                position < len(self._order)
                and self._order[position].session != item.session
                and item.start_ms is not None
                and (self._order[position].start_ms or 0.0) <= item.start_ms
            ):
                position += 1
        else:
            # First item of a session (or an unknown predecessor): by where its audio is.
            position = len(self._order)
            if item.start_ms is not None:
                for i, other in enumerate(self._order):
                    if other.start_ms is not None and other.start_ms > item.start_ms:
                        position = i
                        break
        position = max(position, self._emitted)
        self._order.insert(position, item)

    def _hide_if_replayed(self, item: _Item) -> None:
        if item.start_ms is None or item.end_ms is None:
            return
        for other in self._order:
            if other is item or other.session == item.session or not other.done:
                continue
            if other.start_ms is None or other.end_ms is None:
                continue
            shared = min(item.end_ms, other.end_ms) - max(item.start_ms, other.start_ms)
            shorter = max(1.0, min(item.end_ms - item.start_ms, other.end_ms - other.start_ms))
            if shared / shorter > self.overlap:
                item.hidden = True
                return

    def _on_delta(self, event: ConversationItemInputAudioTranscriptionDeltaEvent) -> list[Caption]:
        item = self._item(event.item_id)
        if item.done or item.hidden or not event.delta:
            return []
        item.parts.append(event.delta)
        logprobs = _logprobs(event.logprobs) if self.keep_logprobs else None
        if logprobs:
            item.logprobs.extend(logprobs)
        return [
            PartialCaption(
                item_id=item.item_id,
                text="".join(item.parts).strip(),
                delta=event.delta,
                start=_seconds(item.start_ms),
                logprobs=logprobs,
            )
        ]

    def _drain(self) -> list[Caption]:
        out: list[Caption] = []
        while self._emitted < len(self._order):
            item = self._order[self._emitted]
            if not item.done:
                break
            self._emitted += 1
            if item.hidden:
                continue
            if item.failure is not None:
                self.failures.append(item.failure)
                out.append(item.failure)
                continue
            text = (item.final_text or "").strip()
            if not text:
                continue  # silence: nothing to caption
            start = item.start_ms if item.start_ms is not None else item.audio_start_ms or 0.0
            end = item.end_ms if item.end_ms is not None else start
            segment = Segment(
                index=len(self.segments),
                item_id=item.item_id,
                start=round(start / 1000, 3),
                end=round(max(end, start) / 1000, 3),
                text=text,
                logprobs=item.final_logprobs,
            )
            self.segments.append(segment)
            out.append(FinalCaption(segment))
        self._forget_emitted()
        return out

    def _forget_emitted(self) -> None:
        # Emitted items are needed only as ordering anchors and replay guards; keep a few.
        if self._emitted > 64:
            drop = self._emitted - 32
            for item in self._order[:drop]:
                self._items.pop(item.item_id, None)
            del self._order[:drop]
            self._emitted -= drop


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else round(ms / 1000, 3)
