"""Price-card files: the one place the cost package does I/O.

Schema (JSON or TOML, same shape)::

    format = "realtime_kit.price_cards/1"
    [[cards]]
    model = "gpt-realtime-2"
    kind = "tokens"                 # or "transcription_tokens", "per_minute"
    effective = 2026-11-23          # TOML date, or "2026-11-23" in JSON
    source = "https://..."
    status = "current"              # optional: current | deprecated | retired
    note = "..."                    # optional
    [cards.rates]
    text_input = "4.00"             # strings (or integers) so that rates stay exact

Numbers with a fraction are read as exact decimals (``parse_float=Decimal``), so a file written by
hand with ``text_input = 4.00`` is still exact. TOML is read with the standard library's
``tomllib``; the writer below emits only the small subset the schema needs.

Cards in, cards out: :class:`~realtime_kit.cost.PriceBook` (``_book``) wraps them. Imports only
the standard library, ``realtime_kit.errors`` and ``realtime_kit.cost._cards``.
"""

from __future__ import annotations

import functools
import json
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Final, Literal

from realtime_kit.cost._cards import CARD_KINDS, CARD_STATUSES, PriceCard
from realtime_kit.errors import ConfigurationError

__all__ = [
    "FORMAT_TAG",
    "cards_document",
    "cards_from_document",
    "dump_path",
    "load_path",
    "parse_text",
    "shipped_cards",
    "write_text",
]

FORMAT_TAG: Final = "realtime_kit.price_cards/1"
_CARD_KEYS: Final = frozenset({"model", "kind", "effective", "source", "status", "note", "rates"})


def _parse_date(where: str, value: object) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ConfigurationError(f"{where}: effective {value!r} is not YYYY-MM-DD") from exc
    raise ConfigurationError(f"{where}: effective must be a date, got {value!r}")


def _text(where: str, card: Mapping[str, object], key: str, default: str | None = None) -> str:
    value = card.get(key, default)
    if not isinstance(value, str):
        raise ConfigurationError(f"{where}: {key!r} must be a string, got {value!r}")
    return value


def _card_from_mapping(index: int, raw: object) -> PriceCard:
    where = f"cards[{index}]"
    if not isinstance(raw, Mapping):
        raise ConfigurationError(f"{where}: a card must be a table/object, got {raw!r}")
    unknown = sorted(set(raw) - _CARD_KEYS)
    if unknown:
        raise ConfigurationError(f"{where}: unknown keys {unknown}")
    model = _text(where, raw, "model")
    where = f"{where} ({model})"
    kind = _text(where, raw, "kind")
    status = _text(where, raw, "status", "current")
    if kind not in CARD_KINDS:
        raise ConfigurationError(f"{where}: kind must be one of {CARD_KINDS}, got {kind!r}")
    if status not in CARD_STATUSES:
        raise ConfigurationError(f"{where}: status must be one of {CARD_STATUSES}, got {status!r}")
    rates = raw.get("rates", {})
    if not isinstance(rates, Mapping):
        raise ConfigurationError(f"{where}: rates must be a table/object, got {rates!r}")
    return PriceCard(
        model=model,
        kind=kind,
        rates={str(name): value for name, value in rates.items()},
        effective=_parse_date(where, raw.get("effective")),
        source=_text(where, raw, "source"),
        status=status,
        note=_text(where, raw, "note", ""),
    )


def cards_from_document(data: Mapping[str, object]) -> list[PriceCard]:
    """The cards of a parsed card document."""
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"a card document must be a table/object, got {type(data)}")
    tag = data.get("format", FORMAT_TAG)
    if tag != FORMAT_TAG:
        raise ConfigurationError(f"unsupported card file format {tag!r}; expected {FORMAT_TAG!r}")
    cards = data.get("cards")
    if not isinstance(cards, list):
        raise ConfigurationError("a card document needs a 'cards' list")
    return [_card_from_mapping(i, raw) for i, raw in enumerate(cards)]


def cards_document(cards: Iterable[PriceCard]) -> dict[str, object]:
    """The card document of ``cards``, ready for ``json.dumps``."""
    return {"format": FORMAT_TAG, "cards": [card.to_dict() for card in cards]}


def parse_text(text: str, format: Literal["json", "toml"]) -> list[PriceCard]:
    """Parse JSON or TOML card text."""
    try:
        if format == "json":
            document = json.loads(text, parse_float=Decimal)
        elif format == "toml":
            document = tomllib.loads(text, parse_float=Decimal)
        else:
            raise ConfigurationError(f"card format must be 'json' or 'toml', got {format!r}")
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"price card {format} is not valid: {exc}") from exc
    return cards_from_document(document)


def _toml_string(value: str) -> str:
    # json.dumps writes a basic string whose escapes TOML shares; TOML also forbids a raw DEL.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(name: str) -> str:
    bare = name.replace("_", "").replace("-", "").isalnum() and name.isascii()
    return name if bare else _toml_string(name)


def write_text(cards: Sequence[PriceCard], format: Literal["json", "toml"]) -> str:
    """Write ``cards`` as JSON or TOML text."""
    if format == "json":
        return json.dumps(cards_document(cards), indent=2, ensure_ascii=False) + "\n"
    if format != "toml":
        raise ConfigurationError(f"card format must be 'json' or 'toml', got {format!r}")
    lines = [f"format = {_toml_string(FORMAT_TAG)}"]
    if not cards:
        lines.append("cards = []")
    for card in cards:
        lines += [
            "",
            "[[cards]]",
            f"model = {_toml_string(card.model)}",
            f"kind = {_toml_string(card.kind)}",
            f"effective = {card.effective.isoformat()}",
            f"source = {_toml_string(card.source)}",
            f"status = {_toml_string(card.status)}",
        ]
        if card.note:
            lines.append(f"note = {_toml_string(card.note)}")
        lines += ["", "[cards.rates]"]
        lines += [f"{_toml_key(k)} = {_toml_string(str(v))}" for k, v in card.rates.items()]
    return "\n".join(lines) + "\n"


def _format_of(path: Path) -> Literal["json", "toml"]:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix == ".toml":
        return "toml"
    raise ConfigurationError(f"price card file must end in .json or .toml: {path}")


def load_path(path: str | os.PathLike[str]) -> list[PriceCard]:
    """Read a ``.json`` or ``.toml`` card file."""
    path = Path(path)
    fmt = _format_of(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read price card file {path}: {exc}") from exc
    return parse_text(text, fmt)


def dump_path(cards: Sequence[PriceCard], path: str | os.PathLike[str]) -> None:
    """Write ``cards`` to a ``.json`` or ``.toml`` file (format from the suffix)."""
    path = Path(path)
    text = write_text(cards, _format_of(path))
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot write price card file {path}: {exc}") from exc


@functools.cache
def shipped_cards() -> tuple[PriceCard, ...]:
    """The cards of the packaged ``cards.toml``, read once."""
    text = resources.files("realtime_kit.cost").joinpath("cards.toml").read_text(encoding="utf-8")
    return tuple(parse_text(text, "toml"))
