"""The target languages a translation session may be asked for: a data file, not code.

The shipped list (``languages.toml`` beside this module) is *not* from the API reference, which
publishes none (PROTOCOL.md §11); it is what OpenAI's cookbook guide for ``gpt-realtime-translate``
lists, dated and sourced in the file. An application replaces it with its own file or codes
(:meth:`LanguageList.load`, :meth:`LanguageList.of`), and decides what an unknown code does:
a clear :class:`~realtime_kit.errors.UnsupportedLanguageError` (the default) or a pass-through.

File schema (TOML or JSON, same shape)::

    format = "realtime_kit.translation_languages/1"
    retrieved = 2026-12-04         # TOML date, or "2026-12-04" in JSON
    source = "https://..."
    status = "unofficial"          # optional: official | unofficial | custom
    [[languages]]
    code = "es"                    # what session.audio.output.language gets
    name = "Spanish"               # optional

Imports only the standard library and ``realtime_kit.errors``.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Final

from realtime_kit.errors import ConfigurationError, UnsupportedLanguageError

__all__ = ["TRANSLATION_LANGUAGES", "Language", "LanguageList"]

FORMAT_TAG: Final = "realtime_kit.translation_languages/1"
_CODE: Final = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8}){0,2}$")
_KEYS: Final = frozenset(
    {"format", "model", "retrieved", "source", "codes_from", "status", "note", "languages"}
)


@dataclass(frozen=True, slots=True)
class Language:
    """One target language: the code sent as ``audio.output.language`` and its English name."""

    code: str
    name: str = ""

    def __str__(self) -> str:
        return f"{self.code} ({self.name})" if self.name else self.code


def normalize_code(code: object) -> str:
    """A language code as the API takes it: trimmed, lower case, ``xx`` or ``xx-region``.

    Raises:
        ConfigurationError: not a string, or not shaped like a language code.
    """
    if not isinstance(code, str):
        raise ConfigurationError(f"a language code must be a string, not {type(code).__name__}")
    cleaned = code.strip().lower().replace("_", "-")
    if not _CODE.match(cleaned):
        raise ConfigurationError(
            f"{code!r} is not a language code (expected ISO-639-1 such as 'es' or 'pt-br')"
        )
    return cleaned


@dataclass(frozen=True)
class LanguageList:
    """The supported target languages, with where the list comes from and when.

    Attributes:
        languages: the languages, in the file's order.
        source: where the list was read (a URL, or "application" for codes given in code).
        retrieved: when it was taken from its source, if known.
        status: ``"official"`` (from the API reference), ``"unofficial"`` (the shipped list:
            OpenAI's cookbook, not the reference) or ``"custom"``.
    """

    languages: tuple[Language, ...]
    source: str
    retrieved: date | None = None
    status: str = "custom"

    def __post_init__(self) -> None:
        if not self.languages:
            raise ConfigurationError("a language list needs at least one language")
        codes = [lang.code for lang in self.languages]
        if len(set(codes)) != len(codes):
            raise ConfigurationError(f"duplicate codes in the language list: {codes}")

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def default(cls) -> LanguageList:
        """The shipped list (``realtime_kit/translator/languages.toml``)."""
        return _shipped()

    @classmethod
    def of(cls, codes: Iterable[str], *, source: str = "application") -> LanguageList:
        """A list from codes given in code (names left empty)."""
        if isinstance(codes, str):
            codes = [codes]
        return cls(tuple(Language(normalize_code(c)) for c in codes), source=source)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LanguageList:
        """Read a language file (``.toml`` or ``.json``).

        Raises:
            ConfigurationError: the file cannot be read or does not follow the schema.
        """
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"cannot read the language list {file}: {exc}") from exc
        try:
            document = json.loads(text) if file.suffix == ".json" else tomllib.loads(text)
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            kind = file.suffix[1:] or "TOML"
            raise ConfigurationError(f"{file} is not valid {kind}: {exc}") from exc
        return cls.from_document(document, where=str(file))

    @classmethod
    def from_document(cls, document: object, *, where: str = "language list") -> LanguageList:
        """Build a list from a parsed file (see the module docstring for the schema)."""
        if not isinstance(document, Mapping):
            raise ConfigurationError(f"{where}: the top level must be a table")
        unknown = set(document) - _KEYS
        if unknown:
            raise ConfigurationError(f"{where}: unknown keys {sorted(unknown)}")
        if document.get("format", FORMAT_TAG) != FORMAT_TAG:
            raise ConfigurationError(f"{where}: format must be {FORMAT_TAG!r}")
        entries = document.get("languages")
        if not isinstance(entries, list) or not entries:
            raise ConfigurationError(f"{where}: 'languages' must be a non-empty list")
        languages = []
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, Mapping) or "code" not in entry:
                raise ConfigurationError(f"{where}: language {number} needs a 'code'")
            name = entry.get("name", "")
            if not isinstance(name, str):
                raise ConfigurationError(f"{where}: language {number}: 'name' must be a string")
            languages.append(Language(normalize_code(entry["code"]), name))
        retrieved = document.get("retrieved")
        if isinstance(retrieved, str):
            try:
                retrieved = date.fromisoformat(retrieved)
            except ValueError as exc:
                raise ConfigurationError(
                    f"{where}: retrieved {retrieved!r} is not YYYY-MM-DD"
                ) from exc
        if retrieved is not None and not isinstance(retrieved, date):
            raise ConfigurationError(f"{where}: retrieved must be a date")
        source = document.get("source", where)
        status = document.get("status", "custom")
        if not isinstance(source, str) or status not in ("official", "unofficial", "custom"):
            raise ConfigurationError(
                f"{where}: source must be a string and status official|unofficial|custom"
            )
        return cls(tuple(languages), source=source, retrieved=retrieved, status=status)

    # -- lookup ------------------------------------------------------------------------------

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(lang.code for lang in self.languages)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.strip().lower() in self.codes

    def __iter__(self) -> Iterator[Language]:
        return iter(self.languages)

    def __len__(self) -> int:
        return len(self.languages)

    def get(self, code: str) -> Language | None:
        """The language with this code, if listed."""
        wanted = code.strip().lower()
        return next((lang for lang in self.languages if lang.code == wanted), None)

    def resolve(self, code: object, *, allow_unknown: bool = False) -> str:
        """Check ``code`` against the list; return it normalized.

        Raises:
            ConfigurationError: not shaped like a language code.
            UnsupportedLanguageError: not on the list (unless ``allow_unknown``).
        """
        normalized = normalize_code(code)
        if normalized in self.codes or allow_unknown:
            return normalized
        raise UnsupportedLanguageError(normalized, self.codes, self.describe())

    def describe(self) -> str:
        """Where the list comes from, for messages: source, date and status."""
        when = f", retrieved {self.retrieved.isoformat()}" if self.retrieved else ""
        return f"{self.source} ({self.status}{when})"


@functools.cache
def _shipped() -> LanguageList:
    text = resources.files("realtime_kit.translator").joinpath("languages.toml").read_text("utf-8")
    return LanguageList.from_document(tomllib.loads(text), where="languages.toml")


TRANSLATION_LANGUAGES: Final[tuple[str, ...]] = _shipped().codes
"""The codes of the shipped target-language list (unofficial: see ``languages.toml``)."""
