"""Price cards: what one model costs, as dated and sourced data, and the book that holds them.

A :class:`PriceCard` prices one model family in one of three ways (``kind``): per 1M tokens by
modality (realtime models), per 1M input/output tokens (token-priced transcription models), or per
minute of audio (``gpt-realtime-whisper``, ``gpt-live-transcribe``, ``gpt-realtime-translate``).
A missing rate means *unpriced*, never $0. A :class:`~realtime_kit.cost.PriceBook` maps model
names to cards and resolves dated snapshots (``gpt-realtime-2025-08-28``) to their family
(``gpt-realtime``); it lives in ``_book``, and reading and writing card files (JSON, TOML) in
``_cardfile``.

This module imports only the standard library and ``realtime_kit.errors``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Final, Literal, TypeAlias

from realtime_kit.errors import ConfigurationError, UnpricedModelError

__all__ = [
    "CARD_KINDS",
    "CARD_STATUSES",
    "RATE_NAMES",
    "CardKind",
    "CardStatus",
    "PriceCard",
    "model_family",
]

CardKind: TypeAlias = Literal["tokens", "transcription_tokens", "per_minute"]
CardStatus: TypeAlias = Literal["current", "deprecated", "retired"]

CARD_KINDS: Final[tuple[CardKind, ...]] = ("tokens", "transcription_tokens", "per_minute")
CARD_STATUSES: Final[tuple[CardStatus, ...]] = ("current", "deprecated", "retired")

#: The rate names each kind of card may carry, in display order.
RATE_NAMES: Final[Mapping[CardKind, tuple[str, ...]]] = MappingProxyType(
    {
        "tokens": (
            "text_input",
            "cached_text_input",
            "text_output",
            "audio_input",
            "cached_audio_input",
            "audio_output",
            "image_input",
            "cached_image_input",
        ),
        "transcription_tokens": ("input", "output"),
        "per_minute": ("minute",),
    }
)

_SNAPSHOT_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def model_family(model: str) -> str:
    """Return the family of a dated snapshot name, or the name itself.

    ``gpt-realtime-2025-08-28`` → ``gpt-realtime``;
    ``gpt-4o-mini-transcribe-2025-12-15`` → ``gpt-4o-mini-transcribe``; ``gpt-realtime-2`` is
    already a family and comes back unchanged.
    """
    return _SNAPSHOT_SUFFIX.sub("", model)


def _as_rate(name: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ConfigurationError(
            f"rate {name!r} must be a decimal string or an integer, got {value!r}"
            " (floats are refused because they are not exact)"
        )
    try:
        rate = Decimal(value)
    except ArithmeticError as exc:
        raise ConfigurationError(f"rate {name!r} is not a number: {value!r}") from exc
    if not rate.is_finite() or rate < 0:
        raise ConfigurationError(f"rate {name!r} must be a finite, non-negative number: {value!r}")
    return rate


@dataclass(frozen=True, slots=True)
class PriceCard:
    """The price of one model family.

    Args:
        model: the family name (``gpt-realtime-2``) or an exact snapshot name, which then wins
            over its family's card.
        kind: ``"tokens"`` (per 1M tokens by modality), ``"transcription_tokens"`` (per 1M
            input / output tokens) or ``"per_minute"`` (per minute of audio).
        rates: USD per unit; the allowed names per kind are in :data:`RATE_NAMES`. A name that is
            absent is unpriced: usage that needs it raises
            :class:`~realtime_kit.errors.UnpricedModelError` instead of costing $0. Strings and
            ints are accepted and stored as exact :class:`~decimal.Decimal`; floats are refused.
        effective: the date the price is known to hold from (for shipped cards: the day it was
            copied from ``source``, since the publisher gives no start date).
        source: where the price was read (a URL).
        status: ``"current"``, ``"deprecated"`` or ``"retired"`` (a shut-down model's card, kept
            for re-pricing old sessions).
        note: free text shown in tables (caveats, shutdown dates).

    Raises:
        ConfigurationError: an unknown kind, status or rate name, or a rate that is not an exact,
            non-negative number.
    """

    model: str
    kind: CardKind
    rates: Mapping[str, Decimal]
    effective: date
    source: str
    status: CardStatus = "current"
    note: str = ""

    def __post_init__(self) -> None:
        if not self.model:
            raise ConfigurationError("a price card needs a model name")
        if self.kind not in CARD_KINDS:
            raise ConfigurationError(
                f"card {self.model!r}: kind must be one of {CARD_KINDS}, got {self.kind!r}"
            )
        if self.status not in CARD_STATUSES:
            raise ConfigurationError(
                f"card {self.model!r}: status must be one of {CARD_STATUSES}, got {self.status!r}"
            )
        if not isinstance(self.effective, date):
            raise ConfigurationError(f"card {self.model!r}: effective must be a datetime.date")
        allowed = RATE_NAMES[self.kind]
        unknown = sorted(set(self.rates) - set(allowed))
        if unknown:
            raise ConfigurationError(
                f"card {self.model!r} ({self.kind}): unknown rate names {unknown}; "
                f"allowed: {list(allowed)}"
            )
        clean = {name: _as_rate(name, self.rates[name]) for name in allowed if name in self.rates}
        object.__setattr__(self, "rates", MappingProxyType(clean))

    def __hash__(self) -> int:
        return hash((self.model, self.kind, tuple(self.rates.items()), self.effective))

    @property
    def priced(self) -> bool:
        """True when the card carries at least one rate."""
        return bool(self.rates)

    @property
    def complete(self) -> bool:
        """True when every rate its kind can use is present."""
        return all(name in self.rates for name in RATE_NAMES[self.kind])

    def rate(self, name: str) -> Decimal:
        """The rate called ``name``.

        Raises:
            UnpricedModelError: the card has no such rate (the model is not priced for it).
        """
        try:
            return self.rates[name]
        except KeyError:
            raise UnpricedModelError(self.model) from None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (rates as strings, ``effective`` as ISO date)."""
        out: dict[str, object] = {
            "model": self.model,
            "kind": self.kind,
            "effective": self.effective.isoformat(),
            "source": self.source,
            "status": self.status,
        }
        if self.note:
            out["note"] = self.note
        out["rates"] = {name: str(value) for name, value in self.rates.items()}
        return out
