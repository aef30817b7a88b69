"""Cost meter: dated, sourced price cards and a live, exact dollar meter with budgets.

``CostMeter.observe(event)`` folds every event sent and received into money: ``response.done``
usage (cached tokens ⊂ input tokens), input-transcription usage (``tokens`` or ``duration``), and
the input audio of translation sessions (which report no usage). Money is :class:`decimal.Decimal`.
A model with no price is never billed as $0: it raises
:class:`~realtime_kit.errors.UnpricedModelError` or, on a non-strict meter, is listed as unpriced.

Pure code: no sockets, no event loop; the only I/O is reading and writing card files. May import
``realtime_kit.errors`` and ``realtime_kit.events``; ``opentelemetry`` lazily (extra ``otel``).
"""

from __future__ import annotations

from realtime_kit.cost._book import PriceBook
from realtime_kit.cost._budget import BUDGET_LEVELS, Budget, BudgetEvent, BudgetLevel
from realtime_kit.cost._cards import (
    CARD_KINDS,
    RATE_NAMES,
    CardKind,
    CardStatus,
    PriceCard,
    model_family,
)
from realtime_kit.cost._export import cards_table, otel_metrics_hook
from realtime_kit.cost._meter import CostMeter
from realtime_kit.cost._session import (
    ASSISTANT_TOKENS_PER_SECOND,
    USER_TOKENS_PER_SECOND,
    CostLine,
    CostUpdate,
    MetricsHook,
    ResponseCost,
    SessionKind,
    SessionTally,
)
from realtime_kit.cost._usage import (
    BYTES_PER_SECOND,
    TICKS_PER_SECOND,
    AudioDuration,
    Charges,
    TokenUsage,
    TranscriptionTokens,
    Usage,
    b64_decoded_length,
    price,
)

__all__ = [
    "ASSISTANT_TOKENS_PER_SECOND",
    "BUDGET_LEVELS",
    "BYTES_PER_SECOND",
    "CARD_KINDS",
    "RATE_NAMES",
    "TICKS_PER_SECOND",
    "USER_TOKENS_PER_SECOND",
    "AudioDuration",
    "Budget",
    "BudgetEvent",
    "BudgetLevel",
    "CardKind",
    "CardStatus",
    "Charges",
    "CostLine",
    "CostMeter",
    "CostUpdate",
    "MetricsHook",
    "PriceBook",
    "PriceCard",
    "ResponseCost",
    "SessionKind",
    "SessionTally",
    "TokenUsage",
    "TranscriptionTokens",
    "Usage",
    "b64_decoded_length",
    "cards_table",
    "model_family",
    "otel_metrics_hook",
    "price",
]
