"""The price book: cards keyed by model name, with snapshot resolution and card files.

:class:`PriceBook` maps model names to :class:`~realtime_kit.cost.PriceCard` objects and
resolves a dated snapshot to its family's card; it reads and writes card files through
``_cardfile``.

Imports only the standard library, ``realtime_kit.errors`` and the cost package's ``_cards``
and ``_cardfile``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Literal

from realtime_kit.cost._cardfile import (
    cards_document,
    cards_from_document,
    dump_path,
    load_path,
    parse_text,
    shipped_cards,
    write_text,
)
from realtime_kit.cost._cards import PriceCard, model_family
from realtime_kit.errors import ConfigurationError, UnpricedModelError

__all__ = ["PriceBook"]


class PriceBook:
    """A set of price cards keyed by model name, with snapshot resolution.

    ``PriceBook.default()`` holds the cards shipped with the package (see ``docs/cost.md``).
    Books are immutable: :meth:`with_cards` returns a new book in which the given cards replace
    or add to the old ones. Load and save card files with :meth:`load` / :meth:`dump` (JSON or
    TOML, chosen by suffix) or :meth:`loads` / :meth:`dumps`.
    """

    __slots__ = ("_cards",)

    def __init__(self, cards: Iterable[PriceCard] = ()) -> None:
        table: dict[str, PriceCard] = {}
        for card in cards:
            if not isinstance(card, PriceCard):
                raise ConfigurationError(f"a PriceBook holds PriceCard objects, got {card!r}")
            table[card.model] = card
        self._cards: Mapping[str, PriceCard] = MappingProxyType(table)

    @classmethod
    def default(cls) -> PriceBook:
        """The cards shipped with realtime_kit (read once from the packaged ``cards.toml``)."""
        return _shipped_book()

    def with_cards(self, cards: Iterable[PriceCard] | PriceBook) -> PriceBook:
        """A new book with ``cards`` added; a card for a model already present replaces it."""
        return PriceBook([*self._cards.values(), *cards])

    def get(self, model: str) -> PriceCard | None:
        """The card for ``model``: an exact match first, then its family; None if neither."""
        card = self._cards.get(model)
        if card is None:
            card = self._cards.get(model_family(model))
        return card

    def card_for(self, model: str) -> PriceCard:
        """Like :meth:`get`, but a model with no card raises.

        Raises:
            UnpricedModelError: no card for the model or its family.
        """
        card = self.get(model)
        if card is None:
            raise UnpricedModelError(model)
        return card

    def __iter__(self) -> Iterator[PriceCard]:
        return iter(self._cards.values())

    def __len__(self) -> int:
        return len(self._cards)

    def __contains__(self, model: object) -> bool:
        return isinstance(model, str) and self.get(model) is not None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PriceBook):
            return NotImplemented
        return dict(self._cards) == dict(other._cards)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PriceBook({sorted(self._cards)!r})"

    def to_dict(self) -> dict[str, object]:
        """The book in the card-file schema, ready for ``json.dumps``."""
        return cards_document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> PriceBook:
        """Build a book from the card-file schema (the parsed JSON or TOML document).

        Raises:
            ConfigurationError: the document does not follow the schema.
        """
        return cls(cards_from_document(data))

    @classmethod
    def loads(cls, text: str, format: Literal["json", "toml"]) -> PriceBook:
        """Parse a card document from text."""
        return cls(parse_text(text, format))

    def dumps(self, format: Literal["json", "toml"]) -> str:
        """Write the book as JSON or TOML text that :meth:`loads` reads back unchanged."""
        return write_text(list(self), format)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PriceBook:
        """Read a ``.json`` or ``.toml`` card file.

        Raises:
            ConfigurationError: unreadable file, unknown suffix, or a document off the schema.
        """
        return cls(load_path(path))

    def dump(self, path: str | os.PathLike[str]) -> None:
        """Write the book to a ``.json`` or ``.toml`` file."""
        dump_path(list(self), path)


@functools.cache
def _shipped_book() -> PriceBook:
    return PriceBook(shipped_cards())
