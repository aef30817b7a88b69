"""One session's tallies: actual usage by model, estimates, and what could not be priced.

The meter keeps one :class:`SessionTally` per ``session.created`` it sees (a reconnect is a new
server session). Usage is stored as summed quantities per (source, model) and priced on demand,
so the hot path only adds integers and per-minute money is rounded once per tally, not per frame.

Imports only the standard library, ``realtime_kit.errors`` and the cost package's private modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, Literal, TypeAlias

from realtime_kit.cost._book import PriceBook
from realtime_kit.cost._usage import (
    CTX,
    TICKS_PER_SECOND,
    AudioDuration,
    Charges,
    TokenUsage,
    TranscriptionTokens,
    Usage,
    price,
    round_pico,
)
from realtime_kit.errors import UnpricedModelError

__all__ = [
    "ASSISTANT_TOKENS_PER_SECOND",
    "USER_TOKENS_PER_SECOND",
    "CostLine",
    "CostUpdate",
    "MetricsHook",
    "ResponseCost",
    "SessionKind",
    "SessionTally",
    "Source",
]

SessionKind: TypeAlias = Literal["realtime", "transcription", "translation"]
Source: TypeAlias = Literal["response", "transcription", "translation"]

#: Audio token rates used for estimates (PROTOCOL.md §6: 1 token / 100 ms in, 1 / 50 ms out).
USER_TOKENS_PER_SECOND: Final = 10
ASSISTANT_TOKENS_PER_SECOND: Final = 20
_MILLION: Final = Decimal(1_000_000)
_TICK_MILLION: Final = Decimal(TICKS_PER_SECOND * 1_000_000)


@dataclass(frozen=True, slots=True)
class CostLine:
    """One priced quantity: e.g. 1,200 cached audio input tokens of gpt-realtime-2 = $0.00048.

    ``quantity`` is in ``unit`` (``"tokens"`` or ``"seconds"``); ``usd`` is ``None`` when the
    quantity is unpriced; ``estimate`` marks amounts inferred from audio durations.
    """

    source: Source
    model: str
    rate: str
    quantity: Decimal
    unit: Literal["tokens", "seconds"]
    usd: Decimal | None
    estimate: bool = False

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (numbers as strings)."""
        return {
            "source": self.source,
            "model": self.model,
            "rate": self.rate,
            "quantity": str(self.quantity),
            "unit": self.unit,
            "usd": None if self.usd is None else str(self.usd),
            "estimate": self.estimate,
        }


@dataclass(frozen=True, slots=True)
class ResponseCost:
    """The actual usage and dollars of one ``response.done``."""

    response_id: str
    model: str
    usage: TokenUsage
    charges: Charges | None

    @property
    def usd(self) -> Decimal | None:
        """Dollars for this response; None when its model is unpriced."""
        return None if self.charges is None else self.charges.total


@dataclass(frozen=True, slots=True)
class CostUpdate:
    """What a metrics hook receives each time actual (non-estimated) usage is recorded."""

    source: Source
    model: str
    usage: Usage
    charges: Charges | None
    session_id: str | None
    response_id: str | None = None


MetricsHook = Callable[[CostUpdate], object]


@dataclass(slots=True)
class SessionTally:
    """Running totals of one server session."""

    book: PriceBook
    session_id: str | None = None
    kind: SessionKind | None = None
    tokens: dict[str, TokenUsage] = field(default_factory=dict)
    transcription_tokens: dict[str, TranscriptionTokens] = field(default_factory=dict)
    transcription_audio: dict[str, AudioDuration] = field(default_factory=dict)
    translation_ticks: dict[str, int] = field(default_factory=dict)
    responses: dict[str, ResponseCost] = field(default_factory=dict)
    unpriced: dict[tuple[Source, str], Usage] = field(default_factory=dict)
    # Estimates, in ticks of audio, keyed by response id (None: not yet attached to a response).
    est_user_ticks: dict[str | None, int] = field(default_factory=dict)
    est_assistant_ticks: dict[str, int] = field(default_factory=dict)
    est_model: str | None = None
    input_ticks: int = 0
    output_ticks: int = 0
    _minute_priced: dict[str, bool] = field(default_factory=dict)

    # -- recording ---------------------------------------------------------------------------

    def add(self, source: Source, model: str, usage: Usage, *, strict: bool) -> Charges | None:
        """Add priced usage (returns its charges); unpriced usage raises or is kept aside."""
        try:
            charges = price(self.book.card_for(model), usage)
        except UnpricedModelError:
            if strict:
                raise
            self._keep_unpriced(source, model, usage)
            return None
        if isinstance(usage, TokenUsage):
            self.tokens[model] = self.tokens.get(model, TokenUsage()) + usage
        elif isinstance(usage, TranscriptionTokens):
            table = self.transcription_tokens
            table[model] = table.get(model, TranscriptionTokens()) + usage
        elif source == "translation":
            self.translation_ticks[model] = self.translation_ticks.get(model, 0) + usage.ticks
        else:
            audio = self.transcription_audio
            audio[model] = audio.get(model, AudioDuration()) + usage
        return charges

    def add_translation(self, model: str, ticks: int, *, strict: bool) -> bool:
        """The hot path of translation sessions: add input audio ticks without pricing them now.

        Returns whether the audio is priced; unpriced audio raises (strict) or is kept aside.
        """
        priced = self._minute_priced.get(model)
        if priced is None:
            card = self.book.get(model)
            priced = card is not None and card.kind == "per_minute" and "minute" in card.rates
            self._minute_priced[model] = priced
        if priced:
            self.translation_ticks[model] = self.translation_ticks.get(model, 0) + ticks
            return True
        if strict:
            raise UnpricedModelError(model)
        self._keep_unpriced("translation", model, AudioDuration(ticks))
        return False

    def _keep_unpriced(self, source: Source, model: str, usage: Usage) -> None:
        key = (source, model)
        previous = self.unpriced.get(key)
        match previous, usage:
            case None, _:
                self.unpriced[key] = usage
            case TokenUsage() as a, TokenUsage() as b:
                self.unpriced[key] = a + b
            case TranscriptionTokens() as c, TranscriptionTokens() as d:
                self.unpriced[key] = c + d
            case AudioDuration() as e, AudioDuration() as f:
                self.unpriced[key] = e + f
            case _:
                # One model billed two ways (tokens, then seconds): keep both, apart.
                self._keep_unpriced(source, f"{model} ({type(usage).__name__})", usage)

    # -- reading -----------------------------------------------------------------------------

    def lines(self) -> list[CostLine]:
        """Every actual priced quantity, then every unpriced one."""
        out: list[CostLine] = []
        for model, usage in self.tokens.items():
            out += _token_lines("response", model, price(self.book.card_for(model), usage), usage)
        for model, tx in self.transcription_tokens.items():
            charges = price(self.book.card_for(model), tx)
            for rate, count in (("input", tx.input_tokens), ("output", tx.output_tokens)):
                if count:
                    usd = charges.get(rate, Decimal(0))
                    out.append(
                        CostLine("transcription", model, rate, Decimal(count), "tokens", usd)
                    )
        for model, duration in self.transcription_audio.items():
            usd = price(self.book.card_for(model), duration).total
            out.append(CostLine("transcription", model, "minute", duration.seconds, "seconds", usd))
        for model, ticks in self.translation_ticks.items():
            duration = AudioDuration(ticks)
            usd = price(self.book.card_for(model), duration).total
            out.append(CostLine("translation", model, "minute", duration.seconds, "seconds", usd))
        for (source, model), kept in self.unpriced.items():
            out += _unpriced_lines(source, model, kept)
        return out

    def actual_usd(self) -> Decimal:
        """Dollars of all priced actual usage."""
        return sum(
            (line.usd for line in self.lines() if line.usd is not None and not line.estimate),
            Decimal(0),
        )

    def estimated_usd(self) -> Decimal:
        """Dollars of the priced estimates, computed without building lines (hot path)."""
        if self.est_model is None:
            return Decimal(0)
        card = self.book.get(self.est_model)
        if card is None or card.kind != "tokens":
            return Decimal(0)
        # Token-seconds per tick scaled to integers: ticks × tokens/s × rate / (48,000 × 1M).
        weighted = Decimal(0)
        rate_in = card.rates.get("audio_input")
        rate_out = card.rates.get("audio_output")
        if rate_in is not None and self.est_user_ticks:
            user = sum(self.est_user_ticks.values())
            weighted += rate_in * (user * USER_TOKENS_PER_SECOND)
        if rate_out is not None and self.est_assistant_ticks:
            assistant = sum(self.est_assistant_ticks.values())
            weighted += rate_out * (assistant * ASSISTANT_TOKENS_PER_SECOND)
        if not weighted:
            return Decimal(0)
        return round_pico(CTX.divide(weighted, _TICK_MILLION))

    def estimate_lines(self) -> list[CostLine]:
        """Estimated audio tokens of responses whose ``response.done`` has not arrived."""
        if self.est_model is None:
            return []
        user = sum(self.est_user_ticks.values())
        assistant = sum(self.est_assistant_ticks.values())
        card = self.book.get(self.est_model)
        out: list[CostLine] = []
        for rate, ticks, per_second in (
            ("audio_input", user, USER_TOKENS_PER_SECOND),
            ("audio_output", assistant, ASSISTANT_TOKENS_PER_SECOND),
        ):
            if not ticks:
                continue
            tokens = CTX.divide(Decimal(ticks * per_second), Decimal(TICKS_PER_SECOND))
            usd: Decimal | None = None
            if card is not None and card.kind == "tokens" and rate in card.rates:
                usd = round_pico(CTX.divide(CTX.multiply(tokens, card.rates[rate]), _MILLION))
            out.append(CostLine("response", self.est_model, rate, tokens, "tokens", usd, True))
        return out


def _token_lines(source: Source, model: str, charges: Charges, usage: TokenUsage) -> list[CostLine]:
    return [
        CostLine(source, model, rate, Decimal(count), "tokens", charges.get(rate, Decimal(0)))
        for rate, count in usage.billable().items()
        if count
    ]


def _unpriced_lines(source: Source, model: str, usage: Usage) -> list[CostLine]:
    if isinstance(usage, TokenUsage):
        items = [(rate, Decimal(n)) for rate, n in usage.billable().items() if n]
        return [CostLine(source, model, rate, n, "tokens", None) for rate, n in items]
    if isinstance(usage, TranscriptionTokens):
        pairs = (("input", usage.input_tokens), ("output", usage.output_tokens))
        return [CostLine(source, model, rate, Decimal(n), "tokens", None) for rate, n in pairs if n]
    return [CostLine(source, model, "minute", usage.seconds, "seconds", None)]
