"""Reading a scenario's tables with one clear error per mistake.

A :class:`Table` wraps one TOML table (or a dict of the same shape) and hands out typed values:
a missing required key, a value of the wrong type or an unknown key (a typo) each raise one
:class:`~realtime_kit.errors.ConfigurationError` that names the file, the place and the key,
e.g. ``weather.toml: turn 2: barge_in_after_ms must be a number of milliseconds ≥ 0, not
'soon'``.

Imports: the standard library and ``errors``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Final

from realtime_kit.errors import ConfigurationError

__all__ = ["Table", "fail"]

_MISSING: Final = object()


def fail(source: str, where: str, message: str) -> ConfigurationError:
    """The error for a mistake at ``where`` in ``source`` (one line)."""
    place = f"{source}: {where}: " if where else f"{source}: "
    return ConfigurationError(place + message)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Table:
    """One table of a scenario; take every key you know, then call :meth:`finish`."""

    def __init__(self, data: Any, source: str, where: str) -> None:
        if not isinstance(data, Mapping):
            raise fail(source, where, f"must be a table, not {_show(data)}")
        self._data = data
        self._taken: set[str] = set()
        self.source = source
        self.where = where

    def error(self, key: str | None, message: str) -> ConfigurationError:
        """An error about ``key`` of this table (or the table itself)."""
        if key is None:
            return fail(self.source, self.where, message)
        return fail(self.source, self.where, f"{key} {message}")

    def has(self, key: str) -> bool:
        """Whether the key is present."""
        return key in self._data

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        """The value as is (``default`` when absent; required when no default is given)."""
        self._taken.add(key)
        if key not in self._data:
            if default is _MISSING:
                raise self.error(None, f"needs '{key}'")
            return default
        return self._data[key]

    def text(self, key: str, default: Any = _MISSING) -> Any:
        """A non-empty string."""
        value = self.raw(key, default)
        if value is default and key not in self._data:
            return value
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"must be a non-empty string, not {_show(value)}")
        return value

    def number(self, key: str, default: Any = _MISSING, *, unit: str = "a number") -> Any:
        """A number ≥ 0 (an int or a float, never a bool)."""
        value = self.raw(key, default)
        if value is default and key not in self._data:
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise self.error(key, f"must be {unit} ≥ 0, not {_show(value)}")
        return float(value)

    def integer(self, key: str, default: Any = _MISSING) -> Any:
        """A whole number ≥ 0."""
        value = self.raw(key, default)
        if value is default and key not in self._data:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(key, f"must be a whole number ≥ 0, not {_show(value)}")
        return value

    def boolean(self, key: str, default: Any = _MISSING) -> Any:
        """``true`` or ``false``."""
        value = self.raw(key, default)
        if value is default and key not in self._data:
            return value
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, not {_show(value)}")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        """A list of non-empty strings (a single string counts as a list of one)."""
        value = self.raw(key, ())
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(
            isinstance(v, str) and v.strip() for v in value
        ):
            raise self.error(key, f"must be a list of non-empty strings, not {_show(value)}")
        return tuple(value)

    def table(self, key: str) -> Table | None:
        """A sub-table, or None when absent."""
        value = self.raw(key, None)
        if value is None:
            return None
        return Table(value, self.source, f"{self.where}.{key}" if self.where else key)

    def tables(self, key: str, label: str | None = None) -> list[Table]:
        """A list of tables (``[[key]]``). Errors name each one ``<label> 2`` (``turn 2``), or
        ``<where>.<key>[2]`` without a label."""
        value = self.raw(key, [])
        if not isinstance(value, (list, tuple)):
            raise self.error(key, f"must be a list of tables, not {_show(value)}")
        prefix = f"{self.where}.{key}" if self.where else key
        return [
            Table(v, self.source, f"{label} {i}" if label else f"{prefix}[{i}]")
            for i, v in enumerate(value, start=1)
        ]

    def names(self) -> list[str]:
        """Every key of the table (for tables whose keys are data, like keywords)."""
        return [str(k) for k in self._data]

    def finish(self) -> None:
        """Raise for the first key nobody took (a typo, most often), with a suggestion."""
        for key in self._data:
            if key in self._taken:
                continue
            known = sorted(self._taken)
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(known)})"
            where = f"{self.where}: " if self.where else ""
            raise ConfigurationError(f"{self.source}: {where}unknown key '{key}'{hint}")
