"""One target language of a translator: its connection, its meter, its translated audio.

A :class:`Lane` opens a translation connection (``realtime_kit.connect(translation=True)``, with
the connection layer's reconnect and rollover, which carry the input timeline across sessions),
and turns what the session sends into engine input: ``elapsed_ms`` mapped onto the input
timeline with the current session's offset, translated audio decoded (and resampled to the
app's rate) into the language's audio stream.

Imports: anyio, the standard library, ``audio``, ``cost``, ``errors``, ``events``,
``connection``, ``factory``, ``protocol``, ``reconnect`` and sibling modules.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import anyio

from realtime_kit.audio import API_RATE, PCMFrame, Resampler
from realtime_kit.client import (
    ConnectionRestored,
    RealtimeConnection,
    ReconnectPolicy,
    RolloverPolicy,
    connect,
)
from realtime_kit.cost import CostMeter, PriceBook
from realtime_kit.errors import LocalProtocolError, UnpricedModelError
from realtime_kit.events import (
    ErrorEvent,
    SessionClosedEvent,
    SessionCloseEvent,
    SessionInputTranscriptDeltaEvent,
    SessionOutputAudioDeltaEvent,
    SessionOutputTranscriptDeltaEvent,
)
from realtime_kit.protocol import LostState, TranslationTimeline
from realtime_kit.protocol.translation import BYTES_PER_MS
from realtime_kit.translator._engine import TranslationEngine
from realtime_kit.translator._events import ServerError, TranslationRestored, TranslatorEvent
from realtime_kit.translator._streams import Queue

__all__ = ["Flag", "Lane"]


class Flag:
    """A one-way event that can be made outside an event loop (waiting needs one)."""

    def __init__(self) -> None:
        self._set = False
        self._event: anyio.Event | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        if self._event is not None:
            self._event.set()

    async def wait(self) -> None:
        if self._set:
            return
        if self._event is None:
            self._event = anyio.Event()
        await self._event.wait()


_log = logging.getLogger("realtime_kit.translator")

Emit = Callable[[list[TranslatorEvent]], None]


class Lane:
    """The session (and what it produced) for one target language."""

    def __init__(
        self,
        language: str,
        *,
        session: Mapping[str, Any],
        model: str,
        prices: PriceBook | None,
        keep_audio: bool,
        output_rate: int,
    ) -> None:
        self.language = language
        self.session = dict(session)
        self.model = model
        self.meter = CostMeter(model, prices=prices, strict=False)
        self.conn: RealtimeConnection | None = None
        self.opened = Flag()  # set once open (or failed to open)
        self.done = Flag()  # set once the session is over, one way or another
        self.error: BaseException | None = None
        self.closing = False  # session.close sent
        self.offset_ms = 0  # the current session's elapsed_ms == 0 on the input timeline
        self.stamp_ms = 0.0  # the last stamp seen (for deltas without one)
        self.sent_bytes = 0
        self._cancel: anyio.CancelScope | None = None
        self._cancelled = False
        self._resampler = Resampler(API_RATE, output_rate) if output_rate != API_RATE else None
        self.audio_out: Queue[PCMFrame] | None = Queue() if keep_audio else None

    def cancel(self) -> None:
        """Stop the session now (its task ends; what arrived so far is kept)."""
        self._cancelled = True
        if self._cancel is not None:
            self._cancel.cancel()

    @property
    def live(self) -> bool:
        """Still taking input."""
        return self.conn is not None and self.error is None and not self.closing

    @property
    def cost_usd(self) -> Decimal | None:
        try:
            return self.meter.total_usd
        except UnpricedModelError:
            return None

    async def run(
        self,
        *,
        engine: TranslationEngine,
        emit: Emit,
        options: Mapping[str, Any],
        reconnect: ReconnectPolicy | None,
        rollover: RolloverPolicy | None,
        retention_ms: int,
    ) -> None:
        """Open the session, then turn its events into engine input until it ends.

        Raises whatever ended the session for good (the caller reports it).
        """
        opened = connect(
            translation=True,
            model=self.model,
            session=self.session,
            reconnect=reconnect or False,
            rollover=rollover or False,
            timeline=TranslationTimeline(retention_ms=retention_ms),
            **options,
        )
        try:
            self._cancel = anyio.CancelScope()
            if self._cancelled:
                self._cancel.cancel()
            with self._cancel:
                async with opened as conn:
                    self.conn = conn
                    self.opened.set()
                    await self._receive(conn, engine, emit)
        finally:
            self.conn = None
            self.opened.set()
            self._end_audio()

    async def _receive(
        self, conn: RealtimeConnection, engine: TranslationEngine, emit: Emit
    ) -> None:
        language = self.language
        async for event in conn:
            match event:
                case SessionOutputAudioDeltaEvent():
                    pcm = event.audio_bytes()
                    engine.target_audio(language, len(pcm), self._stamp(event.elapsed_ms))
                    self._audio(pcm)
                case SessionOutputTranscriptDeltaEvent():
                    stamp = self._stamp(event.elapsed_ms)
                    emit(engine.target_text(language, event.delta, stamp))
                case SessionInputTranscriptDeltaEvent():
                    stamp = self._stamp(event.elapsed_ms)
                    emit(engine.source_text(language, event.delta, stamp))
                case ConnectionRestored():
                    self._restored(event, engine, emit)
                    if self.closing and event.requeued_events == 0:
                        await self._close_again(conn)
                case ErrorEvent():
                    error = event.error
                    _log.warning("%s: server error %s: %s", language, error.code, error.message)
                    emit([ServerError(language, error.code, error.message, error.param)])
                case SessionClosedEvent():
                    _log.debug("%s: session closed", language)
                case _:
                    self.meter.observe(event)
        # The session is over (session.closed, then the socket): its last sentence is final.
        emit(engine.end_language(language))

    def _stamp(self, elapsed_ms: int | None) -> float:
        if elapsed_ms is not None:
            self.stamp_ms = float(self.offset_ms + elapsed_ms)
        return self.stamp_ms

    def _restored(self, report: ConnectionRestored, engine: TranslationEngine, emit: Emit) -> None:
        if report.timeline_offset_ms is not None:
            self.offset_ms = report.timeline_offset_ms
        cut, events = engine.restored(self.language)
        lost = report.lost
        begun = engine.spans.speech_at(self.offset_ms) if engine.spans is not None else None
        if begun is not None and self.offset_ms - begun >= 100:
            # The new session starts hearing in the middle of someone speaking: it translates
            # the rest of that sentence only (the old session had heard its beginning).
            what = f"input audio {begun:.0f}-{self.offset_ms} ms (the start of a sentence)"
            reason = (
                "heard by the old session, whose translation of it had not come when it ended; "
                "the new session resumes after it, mid-sentence"
            )
            lost = (*lost, LostState(what=what, reason=reason))
            cut = True
        # The new session hears the re-sent audio again: it is billed again.
        replayed = round(report.replayed_audio_ms * BYTES_PER_MS)
        if replayed:
            self.meter.record_input_audio(replayed)
        notice = TranslationRestored(
            language=self.language,
            cause=report.cause,
            attempts=report.attempts,
            replayed_ms=report.replayed_audio_ms,
            offset=self.offset_ms / 1000,
            lost=lost,
            interrupted=cut,
            close_code=report.close_code,
        )
        _log.info("%s: session %s after %s", self.language, report.cause, report.close_code)
        emit([*events, notice])

    async def _close_again(self, conn: RealtimeConnection) -> None:
        # The input had ended when the connection dropped, and nothing was left queued: our
        # session.close (always the last thing sent) was written to the old socket and died
        # with it, so the new session is asked again. Had anything been queued, the close was
        # queued too and the connection has handed it to the new session, in order.
        try:
            await conn.send(SessionCloseEvent())
        except LocalProtocolError:
            return

    def _audio(self, pcm: bytes) -> None:
        if self.audio_out is None or not pcm:
            return
        frame = PCMFrame.from_bytes(pcm)
        if self._resampler is not None:
            frame = self._resampler.process(frame)
        if frame.num_samples:
            self.audio_out.put(frame)  # unbounded: never blocks, never lost

    def _end_audio(self) -> None:
        if self.audio_out is None or self.audio_out.closed:
            return
        if self._resampler is not None:
            tail = self._resampler.flush()
            if tail.num_samples:
                self.audio_out.put(tail)
        self.audio_out.close()

    async def close_input(self) -> None:
        """Send ``session.close`` after everything sent before it.

        The connection checks an event against the current session when it is sent, and
        events still queued from before a reconnect when they are written: a close checked
        first would make the new session refuse the audio queued ahead of it. So wait until
        that queue has drained (it only exists right after a reconnect).
        """
        conn = self.conn
        assert conn is not None
        while conn._unwritten and not conn.closed:  # noqa: ASYNC110 - no "drained" event to wait on
            await anyio.sleep(0.005)
        await conn.send(SessionCloseEvent())

    async def send(self, data: bytes) -> None:
        """Append one 200 ms frame; counted for the bill once written or queued."""
        assert self.conn is not None
        await self.conn.send_audio(data)
        self.sent_bytes += len(data)
        self.meter.record_input_audio(len(data))
