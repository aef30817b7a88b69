"""Exports of a cost meter: a JSON-ready dict, a readable table, and OpenTelemetry metrics.

The meter is read through its read side, :class:`~realtime_kit.cost._totals.MeterTotals`.

OpenTelemetry is optional (``pip install 'realtime-kit[otel]'``); it is imported only when
:func:`otel_metrics_hook` is called. Imports only the standard library, ``realtime_kit.errors``,
the cost package's private modules and, lazily, ``opentelemetry``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from realtime_kit.cost._cards import RATE_NAMES, PriceCard
from realtime_kit.cost._session import CostLine, CostUpdate, MetricsHook
from realtime_kit.cost._totals import MeterTotals
from realtime_kit.cost._usage import TokenUsage, TranscriptionTokens
from realtime_kit.errors import MissingExtraError

__all__ = ["cards_table", "meter_table", "meter_to_dict", "otel_metrics_hook"]

_CENT = Decimal("0.01")
_MICRO = Decimal("0.000001")


def _str_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def meter_to_dict(meter: MeterTotals) -> dict[str, object]:
    """See :meth:`CostMeter.to_dict`."""
    return {
        "model": meter.model,
        "transcription_model": meter.transcription_model,
        "complete": meter.complete,
        "priced_usd": str(meter.priced_usd),
        "actual_usd": str(meter.actual_usd),
        "estimated_usd": str(meter.estimated_usd),
        "by_modality": {k: str(v) for k, v in meter.by_modality().items()},
        "tokens": {k: v for k, v in meter.tokens.billable().items() if v},
        "conversation_seconds": str(meter.conversation_seconds),
        "usd_per_minute": _str_or_none(meter.usd_per_minute()),
        "tokens_per_minute": _str_or_none(meter.tokens_per_minute()),
        "projected_usd_per_hour": _str_or_none(meter.projected_usd_per_hour()),
        "sessions": [
            {
                "session_id": tally.session_id,
                "kind": tally.kind,
                "actual_usd": str(tally.actual_usd()),
                "lines": [line.to_dict() for line in tally.lines()],
                "estimates": [line.to_dict() for line in tally.estimate_lines()],
            }
            for tally in meter.sessions
        ],
        "responses": {
            rid: {"model": cost.model, "usd": _str_or_none(cost.usd)}
            for rid, cost in meter.responses.items()
        },
        "budget": None
        if meter.budget is None
        else {
            "limit_usd": str(meter.budget.limit_usd),
            "warn_percent": str(meter.budget.warn_percent),
            "wrap_up_percent": str(meter.budget.wrap_up_percent),
            "exhausted": meter.budget_exhausted,
            "events": [event.to_dict() for event in meter.budget_events],
        },
    }


def _money(value: Decimal | None) -> str:
    if value is None:
        return "UNPRICED"
    return f"${value.quantize(_MICRO)}"


def _quantity(line: CostLine) -> str:
    if line.unit == "tokens":
        return f"{line.quantity.quantize(Decimal(1)):,} tok"
    return f"{line.quantity.quantize(Decimal('0.001'))} s"


def _grid(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    out = []
    for n, row in enumerate(table):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def meter_table(meter: MeterTotals) -> str:
    """See ``CostMeter.__str__``: one row per priced quantity, then totals."""
    rows = [
        [
            line.source,
            line.model,
            line.rate + (" (est.)" if line.estimate else ""),
            _quantity(line),
            _money(line.usd),
        ]
        for line in meter.lines()
    ]
    out = _grid(["source", "model", "rate", "quantity", "usd"], rows)
    total = meter.priced_usd
    out.append("")
    label = "total" if meter.complete else "total (priced part only; some usage is UNPRICED)"
    # The rounded figure helps only once there is a cent to show: "(~$0.00)" reads as "free".
    cents = f" (~${total.quantize(_CENT)})" if total >= _CENT else ""
    out.append(f"{label}: ${total.quantize(_MICRO)}{cents}")
    if meter.has_estimates:
        out.append(f"  of which estimated: ${meter.estimated_usd.quantize(_MICRO)}")
    per_hour = meter.projected_usd_per_hour()
    if per_hour is not None:
        minutes = (meter.conversation_seconds / 60).quantize(Decimal("0.01"))
        out.append(f"conversation: {minutes} min; projected ${per_hour.quantize(_CENT)}/hour")
    if meter.budget is not None:
        fired = ", ".join(e.level for e in meter.budget_events) or "none"
        out.append(f"budget: ${meter.budget.limit_usd} (fired: {fired})")
    return "\n".join(out)


def cards_table(cards: Iterable[PriceCard]) -> str:
    """A Markdown table of price cards (used for ``docs/cost.md``)."""
    rows = []
    for card in cards:
        names = RATE_NAMES[card.kind]
        unit = "per minute" if card.kind == "per_minute" else "per 1M tokens"
        rates = ", ".join(f"{n} {card.rates[n]}" for n in names if n in card.rates)
        missing = [n for n in names if n not in card.rates]
        if missing and card.rates:
            rates += f"; unpriced: {', '.join(missing)}"
        rows.append(
            f"| `{card.model}` | {card.kind} | {card.status} | {rates or 'unpriced'} ({unit}) "
            f"| {card.effective.isoformat()} | <{card.source}> |"
        )
    header = "| model | kind | status | USD rates | effective | source |\n|---|---|---|---|---|---|"
    return "\n".join([header, *rows])


def otel_metrics_hook(
    meter_provider: Any = None, *, prefix: str = "realtime_kit.cost"
) -> MetricsHook:
    """A metrics hook that records OpenTelemetry counters.

    Counters: ``<prefix>.usd`` (dollars, as float) and ``<prefix>.tokens`` / ``<prefix>.seconds``
    (quantities), with attributes ``source``, ``model`` and ``rate``. Unpriced usage is counted
    in quantities only. Pass the hook to :meth:`CostMeter.add_metrics_hook`.

    Args:
        meter_provider: an OpenTelemetry ``MeterProvider``; the global one when None.
        prefix: instrument name prefix.

    Raises:
        MissingExtraError: ``opentelemetry-api`` is not installed (extra ``otel``).
    """
    try:
        from opentelemetry import metrics
    except ImportError as exc:
        raise MissingExtraError("otel", "opentelemetry-api") from exc
    provider = meter_provider if meter_provider is not None else metrics.get_meter_provider()
    otel_meter = provider.get_meter("realtime_kit.cost")
    usd = otel_meter.create_counter(f"{prefix}.usd", unit="USD", description="dollars billed")
    tokens = otel_meter.create_counter(f"{prefix}.tokens", unit="{token}", description="tokens")
    seconds = otel_meter.create_counter(f"{prefix}.seconds", unit="s", description="audio billed")

    def hook(update: CostUpdate) -> None:
        base = {"source": update.source, "model": update.model}
        usage = update.usage
        if isinstance(usage, TokenUsage):
            quantities: dict[str, int] = usage.billable()
        elif isinstance(usage, TranscriptionTokens):
            quantities = {"input": usage.input_tokens, "output": usage.output_tokens}
        else:
            seconds.add(float(usage.seconds), {**base, "rate": "minute"})
            quantities = {}
        for rate, count in quantities.items():
            if count:
                tokens.add(count, {**base, "rate": rate})
        if update.charges is not None:
            for rate, money in update.charges.items():
                usd.add(float(money), {**base, "rate": rate})

    return hook
