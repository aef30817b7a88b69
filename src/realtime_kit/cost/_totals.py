"""The read side of a :class:`~realtime_kit.cost.CostMeter`: totals, lines and rates.

:class:`MeterTotals` holds the tallies a meter has folded so far and answers every question
about them — actual, estimated and priced dollars, what is unpriced, tokens, lines per model and
rate, dollars per modality, conversation time and the per-minute figures, the budget's state.
:class:`~realtime_kit.cost.CostMeter` extends it with the recording side; ``_export`` reads it.

Imports only the standard library, ``realtime_kit.errors`` and the cost package's private
modules (``_book``, ``_budget``, ``_session``, ``_usage``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Final

from realtime_kit.cost._book import PriceBook
from realtime_kit.cost._budget import Budget, BudgetEvent, BudgetTracker
from realtime_kit.cost._session import CostLine, ResponseCost, SessionTally
from realtime_kit.cost._usage import CTX, TICKS_PER_SECOND, TokenUsage
from realtime_kit.errors import UnpricedModelError

__all__ = ["MeterTotals"]

_SIXTY: Final = Decimal(60)


class MeterTotals:
    """What a meter has folded so far, and the figures read from it.

    Args:
        book: the price book the tallies price with.
        clock: a monotonic clock in seconds, or None (see ``CostMeter``).
        budget: the budget's tracker, or None.
    """

    def __init__(
        self,
        book: PriceBook,
        clock: Callable[[], float] | None,
        budget: BudgetTracker | None,
    ) -> None:
        self._book = book
        self._clock = clock
        self._started: float | None = None
        self._budget = budget
        self._model: str | None = None
        self._transcription_model: str | None = None
        self._actual_cache: Decimal | None = None
        self._sessions: list[SessionTally] = [SessionTally(book)]
        self._current = self._sessions[0]

    @property
    def model(self) -> str | None:
        """The session model being billed."""
        return self._model

    @property
    def transcription_model(self) -> str | None:
        """The input-transcription model being billed."""
        return self._transcription_model

    # -- results ------------------------------------------------------------------------------

    @property
    def complete(self) -> bool:
        """False when some observed usage, or an estimate, has no price (non-strict meters only)."""
        return self._first_unpriced() is None

    def _first_unpriced(self) -> str | None:
        for tally in self._sessions:
            for _, model in tally.unpriced:
                return model
            for line in tally.estimate_lines():
                if line.usd is None:
                    return line.model
        return None

    @property
    def unpriced(self) -> list[CostLine]:
        """Usage with no price (non-strict meters), one line per model and rate."""
        return [line for line in self.lines() if line.usd is None]

    @property
    def actual_usd(self) -> Decimal:
        """Dollars of usage the API reported (and of translation audio), without estimates."""
        if self._actual_cache is None:
            self._actual_cache = sum((tally.actual_usd() for tally in self._sessions), Decimal(0))
        return self._actual_cache

    @property
    def estimated_usd(self) -> Decimal:
        """Dollars of audio not yet confirmed by a ``response.done`` (0 when none pending)."""
        return sum((tally.estimated_usd() for tally in self._sessions), Decimal(0))

    @property
    def has_estimates(self) -> bool:
        """True while part of the total is an estimate."""
        return any(tally.estimate_lines() for tally in self._sessions)

    @property
    def priced_usd(self) -> Decimal:
        """Actual plus estimated dollars of everything that has a price."""
        return self.actual_usd + self.estimated_usd

    @property
    def total_usd(self) -> Decimal:
        """Actual plus estimated dollars, exact.

        Raises:
            UnpricedModelError: part of the usage has no price (only non-strict meters get this
                far); read :attr:`priced_usd` and :attr:`unpriced` instead.
        """
        model = self._first_unpriced()
        if model is not None:
            raise UnpricedModelError(model)
        return self.priced_usd

    @property
    def sessions(self) -> list[SessionTally]:
        """Per-session tallies, oldest first (a reconnect starts a new one)."""
        return list(self._sessions)

    @property
    def responses(self) -> Mapping[str, ResponseCost]:
        """Every billed response of every session, by response id."""
        return {rid: cost for tally in self._sessions for rid, cost in tally.responses.items()}

    @property
    def tokens(self) -> TokenUsage:
        """All realtime-model tokens billed so far (priced and unpriced)."""
        total = TokenUsage()
        for tally in self._sessions:
            for usage in tally.tokens.values():
                total = total + usage
            for (source, _), other in tally.unpriced.items():
                if source == "response" and isinstance(other, TokenUsage):
                    total = total + other
        return total

    def lines(self, *, estimates: bool = True) -> list[CostLine]:
        """Every priced or unpriced quantity of every session, estimates last."""
        out = [line for tally in self._sessions for line in tally.lines()]
        if estimates:
            out += [line for tally in self._sessions for line in tally.estimate_lines()]
        return out

    def by_modality(self) -> dict[str, Decimal]:
        """Priced dollars (estimates included) by ``text``, ``audio``, ``image``,
        ``transcription`` and ``translation``."""
        out: dict[str, Decimal] = {}
        for line in self.lines():
            if line.usd is None:
                continue
            key = line.source if line.source != "response" else line.rate.split("_")[-2]
            out[key] = out.get(key, Decimal(0)) + line.usd
        return out

    @property
    def conversation_seconds(self) -> Decimal:
        """Conversation time so far (see ``clock`` in the constructor)."""
        if self._clock is not None:
            if self._started is None:
                return Decimal(0)
            return Decimal(str(max(0.0, self._clock() - self._started)))
        ticks = sum(max(t.input_ticks, t.output_ticks) for t in self._sessions)
        return Decimal(ticks) / TICKS_PER_SECOND

    def usd_per_minute(self) -> Decimal | None:
        """Priced dollars per minute of conversation (None before any time has passed)."""
        seconds = self.conversation_seconds
        if not seconds:
            return None
        return CTX.divide(self.priced_usd * _SIXTY, seconds)

    def tokens_per_minute(self) -> Decimal | None:
        """Realtime-model tokens per minute of conversation (None before any time has passed)."""
        seconds = self.conversation_seconds
        if not seconds:
            return None
        return CTX.divide(Decimal(self.tokens.total_tokens) * _SIXTY, seconds)

    def projected_usd_per_hour(self) -> Decimal | None:
        """Priced dollars per hour at the rate so far (None before any time has passed)."""
        per_minute = self.usd_per_minute()
        return None if per_minute is None else per_minute * _SIXTY

    # -- budget -------------------------------------------------------------------------------

    @property
    def budget(self) -> Budget | None:
        """The budget, if any."""
        return None if self._budget is None else self._budget.budget

    @property
    def budget_events(self) -> tuple[BudgetEvent, ...]:
        """Every budget event fired so far, in order."""
        return () if self._budget is None else self._budget.fired

    @property
    def budget_exhausted(self) -> bool:
        """True once spend has reached the budget's limit."""
        return self._budget is not None and self._budget.exhausted
