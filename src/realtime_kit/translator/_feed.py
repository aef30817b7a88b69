"""The translator's input side: one conversion, every 200 ms frame to every language in order,
silence when the source stalls, and the dollar budget over all languages.

Imports: anyio, the standard library, ``audio``, ``cost``, ``errors`` and sibling modules.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal

from realtime_kit._sync import Gate
from realtime_kit.audio import PCMFrame
from realtime_kit.cost import Budget
from realtime_kit.cost._budget import BudgetTracker
from realtime_kit.errors import RealtimeKitError
from realtime_kit.translator._engine import TranslationEngine
from realtime_kit.translator._events import (
    BudgetNotice,
    InputPadded,
    TranslationStopped,
    TranslatorEvent,
)
from realtime_kit.translator._input import AudioInput, InputPipeline, PaceClock
from realtime_kit.translator._lane import Lane

__all__ = ["Feed"]

_log = logging.getLogger("realtime_kit.translator")

_FRAME_MS = 200


class Feed:
    """Audio in, the same 200 ms frames out to every language still taking input, in order.

    Args:
        lanes: the languages' sessions.
        engine: told about every frame sent (it places source sentences on the timeline).
        emit: hands events to the app.
        spent: the dollars spent so far over all languages (None while unpriced).
        on_stop: called once when the budget's hard stop is reached.
    """

    def __init__(
        self,
        lanes: Mapping[str, Lane],
        engine: TranslationEngine,
        emit: Callable[[list[TranslatorEvent]], None],
        *,
        rate: int,
        channels: int,
        clock: PaceClock,
        stall_ms: int,
        budget: Budget | None,
        spent: Callable[[], Decimal | None],
        on_stop: Callable[[], None],
    ) -> None:
        self._lanes = lanes
        self._engine = engine
        self._emit = emit
        self._pipeline = InputPipeline(rate=rate, channels=channels)
        self._clock = clock
        self.stall_ms = stall_ms
        self._tracker = BudgetTracker(budget) if budget is not None else None
        self._spent = spent
        self._on_stop = on_stop
        # In order: frames go out in the order their audio came in (the gate is fair), and
        # taking it costs nothing when nobody else is sending.
        self.gate = Gate()
        self.sent_ms = 0.0  # the input timeline: the app's audio and padding
        self.padded_ms = 0.0
        self.started_at: float | None = None
        self.stopped: TranslationStopped | None = None

    async def send(self, audio: AudioInput) -> None:
        """Convert ``audio`` and send the whole frames it completes (see ``send_audio``)."""
        frames = self._pipeline.push(audio)
        if not frames:
            return  # held until a whole 200 ms frame is there (most microphone chunks)
        async with self.gate:
            for frame in frames:
                if self.stopped is not None:
                    break  # the budget's hard stop: the input is closed (reported)
                await self._fan_out(frame)

    async def _fan_out(self, data: bytes) -> None:
        """One 200 ms frame (PCM16 24 kHz mono) to every language still taking input."""
        if self.started_at is None:
            self.started_at = self._clock.now()
        if self._engine.spans is not None:
            self._engine.input_audio(PCMFrame.from_bytes(data))
        for lane in self._lanes.values():
            if not lane.live:
                continue
            try:
                await lane.send(data)
            except RealtimeKitError as exc:
                # The connection has ended for good: its lane task reports why.
                _log.debug("%s: send failed: %s", lane.language, exc)
        self.sent_ms += len(data) / 48
        if self._tracker is not None:
            self._check_budget(self._tracker)

    def _check_budget(self, tracker: BudgetTracker) -> None:
        spent = self._spent()
        if spent is None:
            return
        fired = tracker.update(spent, includes_estimates=False)
        if not fired:
            return
        self._emit([BudgetNotice(event) for event in fired])
        if tracker.exhausted and self.stopped is None:
            self.stopped = TranslationStopped("budget", spent)
            self._emit([self.stopped])
            self._on_stop()

    async def pad_stalls(self, is_open: Callable[[], bool]) -> None:
        """While ``is_open()``: when the input falls ``stall_ms`` behind real time, send
        silence to catch up (the engine hears a gap in sending as no time at all)."""
        clock = self._clock
        while is_open():
            if self.started_at is None:
                await clock.sleep_until(clock.now() + self.stall_ms / 1000)
                continue
            due = self.started_at + (self.sent_ms + self.stall_ms) / 1000
            if clock.now() < due:
                await clock.sleep_until(due)
                continue
            async with self.gate:
                if not is_open():
                    return
                behind = (clock.now() - self.started_at) * 1000 - self.sent_ms
                pad = math.ceil(behind / _FRAME_MS) * _FRAME_MS
                if behind < self.stall_ms or pad <= 0:
                    continue
                start = self.sent_ms / 1000
                for frame in self._pipeline.silence(pad):
                    await self._fan_out(frame)
                self.padded_ms += pad
                self._emit([InputPadded(start, pad, "stall")])
                _log.info("source stalled: %.0f ms of silence sent (%.0f ms behind)", pad, behind)

    async def end(self, then: Callable[[], Awaitable[None]]) -> None:
        """Send what is held (the last frame completed with silence), then run ``then`` (the
        session closes) before anything else can be sent."""
        async with self.gate:
            frames, padding = self._pipeline.flush()
            if self.stopped is not None:
                frames, padding = [], 0.0  # the budget's hard stop: nothing more is sent
            for frame in frames:
                await self._fan_out(frame)
            if padding:
                self.padded_ms += padding
                self._emit([InputPadded((self.sent_ms - padding) / 1000, padding, "end")])
            self._engine.end_input()
            await then()
