"""``realtime-kit cost``: print the shipped price cards (or those of a card file).

A card file that cannot be read or does not follow the schema raises ``ConfigurationError``,
which :func:`realtime_kit.cli.main` prints as one line (exit code 2). Card data (models, rate
names, notes) is escaped before rich sees it: a card file is user input.

Imports: argparse, the standard library, :mod:`realtime_kit.cost`; rich (the ``cli`` extra)
lazily, with a plain-text table when it is missing.
"""

from __future__ import annotations

import argparse
from typing import Any

from realtime_kit.cost import RATE_NAMES, PriceBook, PriceCard

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``cost`` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "cost",
        help="print the price cards",
        description="Print the dated, sourced price cards the cost meter uses.",
    )
    parser.add_argument(
        "--cards", metavar="FILE", help="layer a JSON or TOML card file over the shipped cards"
    )
    parser.add_argument("--plain", action="store_true", help="plain text, no colours")
    parser.set_defaults(handler=run)


def _unit(card: PriceCard) -> str:
    return "per minute" if card.kind == "per_minute" else "per 1M tokens"


def _rates(card: PriceCard) -> list[str]:
    """The card's rates, then the rates it lacks: those are unpriced, never free."""
    if not card.rates:
        return ["unpriced"]
    missing = [name for name in RATE_NAMES[card.kind] if name not in card.rates]
    return [f"{name} {value}" for name, value in card.rates.items()] + [
        f"{name} unpriced" for name in missing
    ]


def run(args: argparse.Namespace) -> int:
    book = PriceBook.default()
    if args.cards:
        book = book.with_cards(PriceBook.load(args.cards))
    cards = sorted(book, key=lambda c: (c.kind, c.model))
    try:
        if args.plain:
            raise ImportError("plain output asked for")
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table
    except ImportError:
        for card in cards:
            print(
                f"{card.model:26} {card.kind:21} {card.status:10} {', '.join(_rates(card))}"
                f" ({_unit(card)}),"
                f" effective {card.effective}, {card.source}"
                + (f" ({card.note})" if card.note else "")
            )
        return 0
    # Sources are long URLs: numbered notes under the table keep it readable in 80 columns.
    sources: list[str] = []
    table = Table(title="realtime_kit price cards (USD)")
    table.add_column("model", overflow="fold")
    table.add_column("rates", min_width=28, no_wrap=True)
    table.add_column("effective", no_wrap=True)
    table.add_column("src", justify="right", no_wrap=True)
    for card in cards:
        if card.source not in sources:
            sources.append(card.source)
        model = card.model if card.status == "current" else f"{card.model} ({card.status})"
        table.add_row(
            escape(model),
            escape("\n".join([*_rates(card), f"({_unit(card)})"])),
            str(card.effective),
            escape(f"[{sources.index(card.source) + 1}]"),
        )
    console = Console()
    console.print(table)
    for number, source in enumerate(sources, start=1):
        console.print(f"[{number}] {source}", markup=False, overflow="fold")
    # What a card's source does not say plainly (partial cards, figures read elsewhere).
    for card in cards:
        if card.note:
            console.print(f"{card.model}: {card.note}", markup=False, overflow="fold")
    return 0
