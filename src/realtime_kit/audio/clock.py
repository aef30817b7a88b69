"""PlaybackClock: the project's one answer to "how much of item X did the listener hear?".

Audio for assistant items is *received* (queued for playback) in order; whatever actually plays
it reports progress, and the clock walks a FIFO of received segments to attribute each played
sample to its item. Four feeds, one model:

- a speaker callback or a WebRTC track calls :meth:`PlaybackClock.advance` with the samples it
  just played (source ``"device"`` / ``"webrtc"``);
- a telephony bridge drops :meth:`~PlaybackClock.mark` tokens after the audio it sends and
  calls :meth:`~PlaybackClock.mark_reached` when the far end acknowledges one (``"marks"``);
- as a last resort, :meth:`PlaybackClock.wall_clock` assumes playback runs in real time from
  the moment audio arrives (``"wall_clock"``); every position it reports is flagged
  ``estimated=True``.

Played audio can never exceed received audio (so a truncate offset is clamped by
construction), and :meth:`~PlaybackClock.flush` (barge-in) drops everything unplayed and
reports, item by item, what was heard. All methods take one lock, held briefly, so a PortAudio
callback thread may call :meth:`~PlaybackClock.advance` while the event loop reads positions.

Pure logic: imports the standard library, :mod:`realtime_kit.audio.frame` and
:mod:`realtime_kit.errors` only.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeAlias

from realtime_kit.audio.frame import API_RATE, PCMFrame
from realtime_kit.errors import AudioError, RemoteProtocolError

__all__ = ["ClockSource", "ItemKey", "PlaybackClock", "PlaybackPosition"]

ClockSource: TypeAlias = Literal["device", "webrtc", "marks", "wall_clock"]
"""What feeds a clock: speaker callback, WebRTC track, telephony marks, or a wall-clock guess."""

ItemKey: TypeAlias = tuple[str, int]
"""``(item_id, content_index)`` of an assistant audio content part."""

_SOURCES = ("device", "webrtc", "marks", "wall_clock")


@dataclass(frozen=True, slots=True)
class PlaybackPosition:
    """What the listener heard of one item's audio.

    Attributes:
        item_id: the conversation item.
        content_index: the audio content part within the item.
        heard_ms: whole milliseconds played; never more than ``received_ms``. This is the
            ``audio_end_ms`` to send with ``conversation.item.truncate``.
        received_ms: whole milliseconds of audio received for the item.
        estimated: True when the figure is a wall-clock assumption, not a report of playback.
        flushed: True once a flush (barge-in) discarded some of the item's unplayed audio.
        done: True once :meth:`PlaybackClock.end_item` said no more audio will come.
    """

    item_id: str
    content_index: int
    heard_ms: int
    received_ms: int
    estimated: bool
    flushed: bool
    done: bool

    @property
    def complete(self) -> bool:
        """All of the item's audio arrived and was played."""
        return self.done and not self.flushed and self.heard_ms == self.received_ms


class _Item:
    __slots__ = ("done", "flushed", "played", "received")

    def __init__(self) -> None:
        self.received = 0
        self.played = 0
        self.flushed = False
        self.done = False


class _Segment:
    __slots__ = ("item", "key", "remaining")

    def __init__(self, key: ItemKey, item: _Item, samples: int) -> None:
        self.key = key
        self.item = item
        self.remaining = samples


class PlaybackClock:
    """Tracks what was heard of each assistant audio item, from what actually played.

    Amounts are samples at :attr:`rate` (24 kHz by default, the API's output rate), or a
    :class:`~realtime_kit.audio.frame.PCMFrame` at that rate.

    Args:
        rate: the sample rate of every amount passed in.
        source: what feeds this clock (see :data:`ClockSource`). Use :meth:`wall_clock` for
            the wall-clock fallback.
        max_items: how many items' positions are remembered; the oldest fully played items are
            forgotten beyond that.
    """

    def __init__(
        self, rate: int = API_RATE, *, source: ClockSource = "device", max_items: int = 256
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0:
            raise AudioError(f"clock rate must be a positive integer, got {rate!r}")
        if source not in _SOURCES:
            raise AudioError(f"source must be one of {', '.join(_SOURCES)}, got {source!r}")
        if max_items < 1:
            raise AudioError("max_items must be at least 1")
        self._rate = rate
        self._source: ClockSource = source
        self._max_items = max_items
        self._lock = threading.Lock()
        self._items: OrderedDict[ItemKey, _Item] = OrderedDict()
        self._queue: deque[_Segment] = deque()
        self._queued = 0
        self._received_total = 0  # every sample ever received (marks are positions on this axis)
        self._played_total = 0  # every sample ever played or flushed
        self._marks: dict[str, int] = {}
        self._cleared_marks: set[str] = set()
        self._mark_seq = 0
        self._now: Callable[[], float] | None = None
        self._wall_last = 0.0

    @classmethod
    def wall_clock(
        cls,
        rate: int = API_RATE,
        *,
        now: Callable[[], float] = time.monotonic,
        max_items: int = 256,
    ) -> PlaybackClock:
        """A clock that assumes audio plays in real time once received (flagged ``estimated``).

        Use it only when nothing reports real playback: it cannot see a player that buffers or
        stalls. ``now`` returns seconds from a monotonic clock.
        """
        clock = cls(rate, source="wall_clock", max_items=max_items)
        clock._now = now
        clock._wall_last = now()
        return clock

    # -- read-only facts ---------------------------------------------------------------------

    @property
    def rate(self) -> int:
        """Sample rate of all amounts."""
        return self._rate

    @property
    def source(self) -> ClockSource:
        """What feeds this clock."""
        return self._source

    @property
    def estimated(self) -> bool:
        """True for a wall-clock clock: positions are assumptions."""
        return self._source == "wall_clock"

    # -- feeding: audio in -------------------------------------------------------------------

    def received(self, item_id: str, audio: int | PCMFrame, *, content_index: int = 0) -> None:
        """Record audio for an item, queued for playback after everything received before it."""
        n = self._amount(audio)
        with self._lock:
            self._sync_wall()
            key = (item_id, content_index)
            item = self._items.get(key)
            if item is None:
                item = self._items[key] = _Item()
                self._evict()
            elif item.done:
                raise AudioError(f"audio received for item {item_id!r} after end_item()")
            if n == 0:
                return
            item.received += n
            self._received_total += n
            tail = self._queue[-1] if self._queue else None
            if tail is not None and tail.key == key:
                tail.remaining += n
            else:
                self._queue.append(_Segment(key, item, n))
            self._queued += n

    def end_item(self, item_id: str, *, content_index: int = 0) -> None:
        """Say that no more audio will come for an item (``response.output_audio.done``)."""
        with self._lock:
            key = (item_id, content_index)
            item = self._items.get(key)
            if item is None:
                item = self._items[key] = _Item()
                self._evict()
            item.done = True

    # -- feeding: playback progress ----------------------------------------------------------

    def advance(self, samples: int | PCMFrame) -> int:
        """Report ``samples`` of received audio as played; return how many were attributed.

        The player must have played them in the order they were received. Silence a player
        inserts on underrun is not audio from any item: do not report it. A report larger than
        what is queued is clamped (the return value says how much counted).
        """
        n = self._amount(samples)
        if self._source in ("marks", "wall_clock"):
            raise AudioError(f"advance() is not how a {self._source!r} clock is fed")
        with self._lock:
            return self._consume(n)

    def mark(self) -> str:
        """Return a mark name for the current end of received audio (telephony ``mark``).

        Send it to the far end right after the audio received so far; when the far end echoes
        it, call :meth:`mark_reached`.
        """
        with self._lock:
            self._mark_seq += 1
            name = f"rk-{self._mark_seq}"
            self._marks[name] = self._received_total
            return name

    def mark_reached(self, name: str) -> bool:
        """The far end played everything up to mark ``name``.

        Returns False for a mark discarded by :meth:`flush` (Twilio echoes those after a
        ``clear``: they do not mean the audio played). Raises
        :class:`~realtime_kit.errors.RemoteProtocolError` for a name this clock never issued.
        """
        with self._lock:
            position = self._marks.pop(name, None)
            if position is None:
                if name in self._cleared_marks:
                    self._cleared_marks.discard(name)
                    return False
                raise RemoteProtocolError(f"mark {name!r} was never issued by this clock")
            # Marks are acknowledged in order; earlier ones are implied.
            for other in [m for m, pos in self._marks.items() if pos <= position]:
                del self._marks[other]
            self._consume(max(0, position - self._played_total))
            return True

    @property
    def pending_marks(self) -> int:
        """Marks issued and not yet acknowledged or cleared."""
        with self._lock:
            return len(self._marks)

    # -- barge-in ----------------------------------------------------------------------------

    def flush(self) -> list[PlaybackPosition]:
        """Drop all unplayed audio (barge-in) and report each item that lost some of it.

        The list is in playback order; the first entry is the item that was playing, the rest
        had not started (``heard_ms == 0``: delete rather than truncate them). Pending marks are
        discarded.
        """
        with self._lock:
            self._sync_wall()
            cut: list[PlaybackPosition] = []
            seen: set[ItemKey] = set()
            for seg in self._queue:
                seg.item.flushed = True
                if seg.key not in seen:
                    seen.add(seg.key)
                    cut.append(self._position(seg.key, seg.item))
            self._played_total += self._queued
            self._queue.clear()
            self._queued = 0
            self._cleared_marks.update(self._marks)
            self._marks.clear()
            return cut

    # -- queries -----------------------------------------------------------------------------

    def position(self, item_id: str, *, content_index: int = 0) -> PlaybackPosition:
        """What was heard of one item. Raises ``KeyError`` for an item never seen (or forgotten)."""
        with self._lock:
            self._sync_wall()
            key = (item_id, content_index)
            item = self._items.get(key)
            if item is None:
                raise KeyError(f"no audio recorded for item {item_id!r} part {content_index}")
            return self._position(key, item)

    def heard_ms(self, item_id: str, *, content_index: int = 0) -> int:
        """Whole milliseconds of the item heard (0 for an unknown item)."""
        with self._lock:
            self._sync_wall()
            item = self._items.get((item_id, content_index))
            return 0 if item is None else item.played * 1000 // self._rate

    def current(self) -> PlaybackPosition | None:
        """The item now playing (front of the queue), or None when nothing is queued."""
        with self._lock:
            self._sync_wall()
            if not self._queue:
                return None
            seg = self._queue[0]
            return self._position(seg.key, seg.item)

    @property
    def queued_ms(self) -> float:
        """Milliseconds received and not yet played."""
        with self._lock:
            self._sync_wall()
            return self._queued * 1000 / self._rate

    def forget(self, item_id: str, *, content_index: int = 0) -> None:
        """Drop an item's record (its queued audio, if any, still plays and is still counted)."""
        with self._lock:
            self._items.pop((item_id, content_index), None)

    # -- internals (lock held) ---------------------------------------------------------------

    def _amount(self, audio: int | PCMFrame) -> int:
        if isinstance(audio, PCMFrame):
            if audio.rate != self._rate:
                raise AudioError(f"clock counts at {self._rate} Hz, got a {audio.rate} Hz frame")
            return audio.num_samples
        if isinstance(audio, bool) or not isinstance(audio, int) or audio < 0:
            raise AudioError(f"sample count must be a non-negative integer, got {audio!r}")
        return audio

    def _consume(self, n: int) -> int:
        done = 0
        queue = self._queue
        while n > done and queue:
            seg = queue[0]
            take = min(seg.remaining, n - done)
            seg.remaining -= take
            seg.item.played += take
            done += take
            if seg.remaining == 0:
                queue.popleft()
        self._queued -= done
        self._played_total += done
        return done

    def _sync_wall(self) -> None:
        if self._now is None:
            return
        now = self._now()
        # The epsilon absorbs float error (0.02 s * 24000 is 479.999...), not real time.
        due = int((now - self._wall_last) * self._rate + 1e-6)
        if due <= 0:
            return
        played = self._consume(due)
        # While audio is queued the playhead keeps exact time; once the queue runs dry the
        # player idles, and that idle time must not be charged to audio received later.
        self._wall_last = now if played < due else self._wall_last + played / self._rate

    def _position(self, key: ItemKey, item: _Item) -> PlaybackPosition:
        return PlaybackPosition(
            item_id=key[0],
            content_index=key[1],
            heard_ms=item.played * 1000 // self._rate,
            received_ms=item.received * 1000 // self._rate,
            estimated=self._source == "wall_clock",
            flushed=item.flushed,
            done=item.done,
        )

    def _evict(self) -> None:
        if len(self._items) <= self._max_items:
            return
        queued = {seg.key for seg in self._queue}
        for key in list(self._items):
            if len(self._items) <= self._max_items:
                break
            if key not in queued:
                del self._items[key]
