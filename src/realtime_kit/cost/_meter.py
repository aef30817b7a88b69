"""``CostMeter``: folds usage into exact dollars, per session, per response and per modality.

Feed it every event sent and received with :meth:`CostMeter.observe` (wiring in ``_observe``), or
call the ``record_*`` methods directly (useful over WebRTC, where audio never passes through
events). The meter never does I/O and never awaits; the audio hot path adds integers only.

The read side (totals, lines, rates per minute) is :class:`~realtime_kit.cost._totals.MeterTotals`,
which this class extends with the recording side; ``_export`` renders a meter as a dict or a
table.

Imports the standard library, ``realtime_kit.errors``, the cost package's private modules and,
through ``_observe``, ``realtime_kit.events``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Final

from realtime_kit.cost._book import PriceBook
from realtime_kit.cost._budget import Budget, BudgetEvent, BudgetTracker
from realtime_kit.cost._cards import PriceCard
from realtime_kit.cost._export import meter_table, meter_to_dict
from realtime_kit.cost._observe import dispatch
from realtime_kit.cost._session import (
    ASSISTANT_TOKENS_PER_SECOND,
    USER_TOKENS_PER_SECOND,
    CostUpdate,
    MetricsHook,
    ResponseCost,
    SessionKind,
    SessionTally,
    Source,
)
from realtime_kit.cost._totals import MeterTotals
from realtime_kit.cost._usage import (
    BYTES_PER_SECOND,
    CTX,
    TICKS_PER_SECOND,
    AudioDuration,
    Charges,
    TokenUsage,
    TranscriptionTokens,
    Usage,
    price,
)
from realtime_kit.errors import (
    BudgetExceededError,
    ConfigurationError,
    CostError,
    UnpricedModelError,
)

__all__ = ["CostMeter"]

_SIXTY: Final = Decimal(60)
_UNKNOWN_TRANSCRIBER: Final = "(transcription model not known)"
_TICK_MILLION: Final = Decimal(TICKS_PER_SECOND * 1_000_000)
_NO_LIMIT: Final = 1 << 62


def _ticks_per_byte(audio_format: str) -> int:
    try:
        return TICKS_PER_SECOND // BYTES_PER_SECOND[audio_format]
    except KeyError:
        raise ConfigurationError(
            f"unknown audio format {audio_format!r}; expected one of {sorted(BYTES_PER_SECOND)}"
        ) from None


class CostMeter(MeterTotals):
    """A live, exact dollar meter for realtime, transcription and translation sessions.

    Args:
        model: the session model (``gpt-realtime-2``, ``gpt-realtime-translate``…); a dated
            snapshot resolves to its family's card. May be None and learned from
            ``session.created``; the model a session event names wins, since it is what is billed.
        transcription_model: the input-transcription model, if any (also learned from session
            events).
        prices: a :class:`PriceBook` to use instead of the shipped one, or cards that replace or
            add to the shipped ones.
        budget: an optional :class:`Budget`; see :attr:`budget_events`.
        on_budget: called with each :class:`BudgetEvent` as it fires (once per threshold).
        strict: when True (default), a model without a price raises
            :class:`~realtime_kit.errors.UnpricedModelError` as soon as it is known (here, or
            when a session event names it, or when its usage arrives). When False, its usage is
            kept as *unpriced* lines: :attr:`complete` is False, :attr:`total_usd` raises, and
            :attr:`priced_usd`, ``str(meter)`` and :meth:`to_dict` show what is known.
        clock: a monotonic clock in seconds (e.g. ``time.monotonic``). With it, conversation time
            is wall time since the first observed event; without it, it is the longer of the
            input audio sent and the output audio received.

    Raises:
        UnpricedModelError: ``strict`` and ``model`` or ``transcription_model`` has no price.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        transcription_model: str | None = None,
        prices: PriceBook | Iterable[PriceCard] | None = None,
        budget: Budget | None = None,
        on_budget: Callable[[BudgetEvent], object] | None = None,
        strict: bool = True,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if prices is None:
            book = PriceBook.default()
        elif isinstance(prices, PriceBook):
            book = prices
        else:
            book = PriceBook.default().with_cards(prices)
        super().__init__(book, clock, BudgetTracker(budget) if budget is not None else None)
        self._strict = strict
        self._hooks: list[MetricsHook] = []
        if on_budget is not None:
            self.add_budget_callback(on_budget)
        self._input_billed = False  # the session model bills input audio by the minute
        self._headroom = 0  # audio ticks that cannot cross the next budget threshold
        self._in_tpb = 1  # ticks per byte of input audio (PCM16 until a session says otherwise)
        self._out_tpb = 1
        self.set_models(model=model, transcription_model=transcription_model)

    # -- configuration -----------------------------------------------------------------------

    @property
    def prices(self) -> PriceBook:
        """The price book in use."""
        return self._book

    def set_models(
        self, *, model: str | None = None, transcription_model: str | None = None
    ) -> None:
        """Name the models to bill (None leaves one unchanged).

        Raises:
            UnpricedModelError: ``strict`` and a named model has no card or no rates at all.
        """
        for name in (model, transcription_model):
            if name is not None and self._strict and not self._book.card_for(name).priced:
                raise UnpricedModelError(name)
        self._headroom = 0  # rates may change: re-price on the next frame
        if model is not None:
            self._model = model
            card = self._book.get(model)
            self._current.est_model = model if card is not None and card.kind == "tokens" else None
            self._input_billed = card is not None and card.kind == "per_minute"
        if transcription_model is not None:
            self._transcription_model = transcription_model

    def set_audio_formats(
        self, *, input_format: str | None = None, output_format: str | None = None
    ) -> None:
        """Set the session audio formats (``audio/pcm``, ``audio/pcmu``, ``audio/pcma``)."""
        if input_format is not None:
            self._in_tpb = _ticks_per_byte(input_format)
        if output_format is not None:
            self._out_tpb = _ticks_per_byte(output_format)

    def start_session(self, session_id: str | None, kind: SessionKind | None) -> None:
        """Begin totals for a server session; a new id (a reconnect) opens a new tally."""
        self._headroom = 0
        current = self._current
        if current.session_id is not None and session_id != current.session_id:
            tally = SessionTally(self._book, est_model=current.est_model)
            self._sessions.append(tally)
            self._current = current = tally
        current.session_id = session_id
        current.kind = kind
        if kind in ("transcription", "translation"):
            # No response.* events in these sessions: appended audio is never realtime tokens.
            current.est_model = None

    # -- recording ---------------------------------------------------------------------------

    def observe(self, event: object) -> None:
        """Fold one event, sent or received, into the meter.

        Reads ``session.created``/``session.updated`` (models, audio formats, session id), the
        client's ``session.update`` (the transcription model it asks for),
        ``input_audio_buffer.append`` and ``session.input_audio_buffer.append`` (input audio
        duration from the base64 length), ``response.output_audio.delta`` (estimates),
        ``response.created``/``response.done`` (actual usage replaces estimates),
        ``conversation.item.input_audio_transcription.completed`` (transcription usage) and
        ``input_audio_buffer.clear``/``cleared``. Any other event is ignored.

        Raises:
            UnpricedModelError: ``strict`` and the event names or bills a model with no price.
            BudgetExceededError: the budget has ``raise_on_hard_stop`` and this event crossed it.
            CostError: usage that cannot be read (cached tokens without their modality split).
        """
        dispatch(self, event)

    def record_response_usage(self, response_id: str, usage: TokenUsage | None) -> ResponseCost:
        """Bill a finished response; its audio estimates are dropped in favour of the actuals.

        ``usage`` None (a failed response without usage) bills nothing and still clears the
        response's estimates.

        Raises:
            UnpricedModelError: ``strict`` and the model has no price for this usage.
        """
        self._touch()
        model = self._require_model()
        tally = self._current
        usage = usage if usage is not None else TokenUsage()
        charges = tally.add("response", model, usage, strict=self._strict)
        tally.est_user_ticks.pop(response_id, None)
        tally.est_assistant_ticks.pop(response_id, None)
        cost = ResponseCost(response_id, model, usage, charges)
        tally.responses[response_id] = cost
        self._after_actual("response", model, usage, charges, response_id)
        return cost

    def record_transcription_usage(self, usage: TranscriptionTokens | AudioDuration) -> None:
        """Bill input-audio transcription on the transcription model's card.

        Raises:
            UnpricedModelError: ``strict`` and the transcription model is unknown or unpriced.
        """
        self._touch()
        model = self._transcription_model
        if model is None:
            if self._strict:
                raise UnpricedModelError(_UNKNOWN_TRANSCRIBER)
            model = _UNKNOWN_TRANSCRIBER
        charges = self._current.add("transcription", model, usage, strict=self._strict)
        self._after_actual("transcription", model, usage, charges, None)

    def record_input_audio(self, nbytes: int) -> None:
        """Count ``nbytes`` of input audio appended by the client.

        In a translation session this is the billed quantity (per minute of input audio); in a
        realtime session it feeds the estimate of input audio tokens until ``response.done``.
        """
        self._touch()
        if nbytes < 0:
            raise CostError(f"audio length must be non-negative, got {nbytes}")
        ticks = nbytes * self._in_tpb
        tally = self._current
        tally.input_ticks += ticks
        if tally.kind == "translation" or self._input_billed:
            model = self._require_model()
            priced = tally.add_translation(model, ticks, strict=self._strict)
            self._actual_cache = None
            if self._hooks:
                duration = AudioDuration(ticks)
                card = self._book.get(model) if priced else None
                charges = price(card, duration) if card is not None else None
                self._after_actual("translation", model, duration, charges, None)
            else:
                self._after_frame(ticks)
        elif tally.est_model is not None:
            est = tally.est_user_ticks
            est[None] = est.get(None, 0) + ticks
            self._after_frame(ticks)

    def record_output_audio(self, response_id: str | None, nbytes: int) -> None:
        """Count ``nbytes`` of output audio received (an estimate until ``response.done``)."""
        self._touch()
        if nbytes < 0:
            raise CostError(f"audio length must be non-negative, got {nbytes}")
        ticks = nbytes * self._out_tpb
        tally = self._current
        tally.output_ticks += ticks
        if tally.est_model is not None and response_id is not None:
            est = tally.est_assistant_ticks
            est[response_id] = est.get(response_id, 0) + ticks
            self._after_frame(ticks)

    def record_response_created(self, response_id: str) -> None:
        """Attach the input audio appended so far to the estimate of ``response_id``."""
        self._touch()
        est = self._current.est_user_ticks
        pending = est.pop(None, 0)
        if pending:
            est[response_id] = est.get(response_id, 0) + pending

    def record_input_cleared(self) -> None:
        """Drop the estimate of input audio not yet attached to a response (buffer cleared)."""
        self._current.est_user_ticks.pop(None, None)

    # -- budgets and hooks --------------------------------------------------------------------

    def add_budget_callback(self, callback: Callable[[BudgetEvent], object]) -> None:
        """Call ``callback(event)`` once for each threshold as it is crossed.

        Raises:
            ConfigurationError: the meter has no budget.
        """
        if self._budget is None:
            raise ConfigurationError("this CostMeter has no budget; pass budget=Budget(...)")
        self._budget.add_callback(callback)

    def drain_budget_events(self) -> list[BudgetEvent]:
        """Budget events fired since the last drain, for the object that acts on them."""
        return [] if self._budget is None else self._budget.drain()

    def check_budget(self) -> None:
        """Raise if the hard stop has been reached.

        Raises:
            BudgetExceededError: spend reached the budget's limit.
        """
        if self._budget is not None and self._budget.exhausted:
            raise BudgetExceededError(self.priced_usd, self._budget.budget.limit_usd)

    def add_metrics_hook(self, hook: MetricsHook) -> None:
        """Call ``hook(update)`` with a :class:`CostUpdate` whenever actual usage is recorded
        (not on estimate-only audio frames). See :func:`realtime_kit.cost.otel_metrics_hook`."""
        self._hooks.append(hook)

    # -- exports ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready snapshot: money and quantities as decimal strings."""
        return meter_to_dict(self)

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def __str__(self) -> str:
        return meter_table(self)

    def __repr__(self) -> str:
        state = f"priced_usd={self.priced_usd}" + ("" if self.complete else ", incomplete")
        return f"CostMeter(model={self._model!r}, {state})"

    # -- internals ----------------------------------------------------------------------------

    def _touch(self) -> None:
        if self._clock is not None and self._started is None:
            self._started = self._clock()

    def _require_model(self) -> str:
        if self._model is None:
            raise ConfigurationError(
                "the session model is not known yet; pass model= or observe session.created first"
            )
        return self._model

    def _after_actual(
        self,
        source: Source,
        model: str,
        usage: Usage,
        charges: Charges | None,
        response_id: str | None,
    ) -> None:
        self._actual_cache = None
        if self._hooks:
            update = CostUpdate(
                source, model, usage, charges, self._current.session_id, response_id
            )
            for hook in self._hooks:
                hook(update)
        self._check_thresholds()

    def _after_frame(self, ticks: int) -> None:
        # Audio frames arrive 50 times a second. Rather than re-pricing the session on each, the
        # last check left a headroom: the ticks of audio that cannot reach the next threshold
        # even at the dearest audio rate in play. Only when it runs out is the spend re-priced.
        if self._budget is None:
            return
        if self._headroom > ticks:
            self._headroom -= ticks
            return
        self._check_thresholds()

    def _max_usd_per_tick(self) -> Decimal:
        tally = self._current
        rates = [Decimal(0)]
        if tally.est_model is not None:
            card = self._book.get(tally.est_model)
            if card is not None:
                for name, per_second in (
                    ("audio_input", USER_TOKENS_PER_SECOND),
                    ("audio_output", ASSISTANT_TOKENS_PER_SECOND),
                ):
                    if name in card.rates:
                        rates.append(card.rates[name] * per_second / _TICK_MILLION)
        if self._model is not None and (tally.kind == "translation" or self._input_billed):
            card = self._book.get(self._model)
            if card is not None and "minute" in card.rates:
                rates.append(card.rates["minute"] / (_SIXTY * TICKS_PER_SECOND))
        return max(rates)

    def _check_thresholds(self) -> None:
        tracker = self._budget
        self._headroom = 0
        if tracker is None or tracker.exhausted:
            return
        spent = self.priced_usd
        threshold = tracker.next_threshold_usd
        if threshold is None:
            return
        if spent < threshold:
            per_tick = self._max_usd_per_tick()
            # One tick of margin covers the 1e-12 rounding of per-minute money.
            self._headroom = (
                int(CTX.divide(threshold - spent, per_tick)) - 1 if per_tick else _NO_LIMIT
            )
            return
        fired = tracker.update(spent, includes_estimates=self.has_estimates)
        if tracker.budget.raise_on_hard_stop and any(e.level == "hard_stop" for e in fired):
            raise BudgetExceededError(spent, tracker.budget.limit_usd)
