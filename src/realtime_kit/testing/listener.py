"""A simulated listener: a playback sink that "plays" assistant audio in time with a clock.

Give it to a :class:`~realtime_kit.Conversation` as ``playback=`` and it behaves like a speaker
whose device plays in real time — on whatever clock you give it (a
:class:`~realtime_kit.testing.FakeClock`'s ``now``, so a test decides exactly how much the
listener has heard before it barges in). It feeds a :class:`~realtime_kit.audio.PlaybackClock`
with the audio that actually "played", optionally after a device-like output latency, and keeps
what was heard per item so a test can check it. Nothing it reports is an estimate.

Imports: the standard library and public ``realtime_kit.audio``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from realtime_kit.audio import API_RATE, PCMFrame, PlaybackClock, PlaybackPosition

__all__ = ["SimulatedListener"]


@dataclass(slots=True)
class _Queued:
    item_id: str
    content_index: int
    samples: int


class SimulatedListener:
    """A sink that plays in real time on ``now`` (see the module docstring).

    Args:
        now: seconds on the clock that drives playback (e.g. ``FakeClock().now``).
        rate: the sample rate of the frames it is given.
        output_latency_ms: audio handed over is heard this much later (a device's output
            latency); a barge-in still drops it if it was not heard yet.

    Attributes:
        heard: milliseconds heard per item id, updated as it plays.
        flushes: positions reported by each flush (barge-in), in order.
    """

    def __init__(
        self, now: Callable[[], float], *, rate: int = API_RATE, output_latency_ms: float = 0.0
    ) -> None:
        self._now = now
        self._rate = rate
        self._latency = output_latency_ms / 1000
        self._clock = PlaybackClock(rate, source="device")
        self._lock = threading.Lock()
        self._queue: list[_Queued] = []
        self._queued = 0
        self._playhead: float | None = None  # clock time up to which audio has played
        self.heard: dict[str, float] = {}
        self.flushes: list[list[PlaybackPosition]] = []
        self.frames: list[tuple[str, PCMFrame]] = []

    @property
    def clock(self) -> PlaybackClock:
        """The clock this listener feeds."""
        return self._clock

    @property
    def queued_ms(self) -> float:
        """Audio handed over and not yet heard."""
        self.sync()
        with self._lock:
            return self._queued * 1000 / self._rate

    async def play(self, frame: PCMFrame, item_id: str, *, content_index: int = 0) -> None:
        """Take a frame; it plays after what was handed over before it."""
        self.offer(frame, item_id, content_index)

    def offer(self, frame: PCMFrame, item_id: str, content_index: int = 0) -> bool:
        """:meth:`play` without waiting (a simulated device never makes you wait): True."""
        self.sync()
        with self._lock:
            if not self._queue:
                # An idle device starts playing what it gets now (after its latency).
                self._playhead = self._now() + self._latency
            self._clock.received(item_id, frame, content_index=content_index)
            self._queue.append(_Queued(item_id, content_index, frame.num_samples))
            self._queued += frame.num_samples
            self.frames.append((item_id, frame))
        return True

    def end_item(self, item_id: str, *, content_index: int = 0) -> None:
        """No more audio for the item."""
        self._clock.end_item(item_id, content_index=content_index)

    def flush(self) -> list[PlaybackPosition]:
        """Barge-in: whatever was not heard by now is dropped."""
        self.sync()
        with self._lock:
            self._queue.clear()
            self._queued = 0
            self._playhead = None
            positions = self._clock.flush()
        self.flushes.append(positions)
        return positions

    def sync(self) -> None:
        """Play everything due by ``now`` (called by every other method)."""
        with self._lock:
            if self._playhead is None or not self._queue:
                return
            due = int((self._now() - self._playhead) * self._rate + 1e-6)
            if due <= 0:
                return
            played = 0
            while self._queue and played < due:
                head = self._queue[0]
                take = min(head.samples, due - played)
                head.samples -= take
                played += take
                self.heard[head.item_id] = (
                    self.heard.get(head.item_id, 0.0) + take * 1000 / self._rate
                )
                if head.samples == 0:
                    self._queue.pop(0)
            self._queued -= played
            self._clock.advance(played)
            self._playhead += played / self._rate
            if not self._queue:
                self._playhead = None
