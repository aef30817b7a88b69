"""Reading a tool's description and per-parameter descriptions out of its docstring.

Three common layouts are understood, and may even be mixed in one docstring:

* Google: an ``Args:`` (or ``Arguments:``, ``Parameters:``, ``Keyword Args:``) section with
  ``name (type): text`` entries, continuation lines indented deeper;
* Sphinx / reST: ``:param name: text`` or ``:param type name: text`` fields;
* NumPy: a ``Parameters`` header underlined with dashes, ``name : type`` lines, text indented below.

The description is the text before the first section or field (summary and any further
paragraphs); ``Returns``, ``Raises``, ``Examples`` and other sections are never part of it, since
the model reads the description to decide *when* to call the tool, not what it returns.

Imports: the standard library only.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

__all__ = ["DocInfo", "parse_docstring"]

# Section names that open a block in Google and NumPy layouts; the parameter ones are collected.
_PARAM_SECTIONS = frozenset(
    {
        "args",
        "arguments",
        "parameters",
        "params",
        "keyword args",
        "keyword arguments",
        "other parameters",
    }
)
_OTHER_SECTIONS = frozenset(
    {
        "returns",
        "return",
        "yields",
        "yield",
        "raises",
        "raise",
        "except",
        "exceptions",
        "warns",
        "example",
        "examples",
        "note",
        "notes",
        "attributes",
        "see also",
        "warning",
        "warnings",
        "todo",
        "references",
        "methods",
    }
)
_ALL_SECTIONS = _PARAM_SECTIONS | _OTHER_SECTIONS

_GOOGLE_HEADER = re.compile(r"^([A-Za-z][A-Za-z ]*?)\s*:\s*$")
_NUMPY_RULE = re.compile(r"^\s*-{3,}\s*$")
_SPHINX_FIELD = re.compile(r"^:([A-Za-z_]+)(?:\s+([^:]*?))?\s*:(.*)$")
_SPHINX_PARAM_KINDS = frozenset({"param", "parameter", "arg", "argument", "key", "keyword"})
_GOOGLE_ENTRY = re.compile(r"^\*{0,2}([A-Za-z_][A-Za-z0-9_]*)\s*(?:\([^)]*\))?\s*:(.*)$")
_NUMPY_ENTRY = re.compile(
    r"^\*{0,2}([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*\*{0,2}[A-Za-z_][A-Za-z0-9_]*)*)(\s*:.*)?$"
)


@dataclass(frozen=True, slots=True)
class DocInfo:
    """What a docstring says: the tool's ``description`` and a description per parameter."""

    description: str | None = None
    params: dict[str, str] = field(default_factory=dict)


def parse_docstring(doc: str | None) -> DocInfo:
    """Split ``doc`` into the tool description and the parameter descriptions.

    Never raises: text it cannot place stays in the description (before the first section) or
    is ignored (inside a section it does not collect).
    """
    if not doc or not doc.strip():
        return DocInfo()
    lines = inspect.cleandoc(doc).splitlines()
    params: dict[str, str] = {}
    description_end = len(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        header = _section_at(lines, i)
        if header is not None:
            name, body_start, numpy = header
            description_end = min(description_end, i)
            body_end = _section_end(lines, body_start, numpy)
            if name in _PARAM_SECTIONS:
                body = lines[body_start:body_end]
                found = _numpy_entries(body) if numpy else _google_entries(body)
                for key, text in found.items():
                    params.setdefault(key, text)
            i = body_end
            continue
        match = _SPHINX_FIELD.match(line)
        if match is not None:
            description_end = min(description_end, i)
            end = _continuation_end(lines, i + 1)
            kind, spec, text = match.group(1).lower(), match.group(2), match.group(3)
            if kind in _SPHINX_PARAM_KINDS and spec:
                name = spec.split()[-1].lstrip("*")
                body = [text.strip(), *(x.strip() for x in lines[i + 1 : end])]
                joined = _join(body)
                if joined:
                    params.setdefault(name, joined)
            i = end
            continue
        i += 1
    description = "\n".join(lines[:description_end]).strip()
    return DocInfo(description=description or None, params=params)


def _section_at(lines: list[str], i: int) -> tuple[str, int, bool] | None:
    """``(section name, first body line, numpy layout)`` if a section header starts at ``i``."""
    line = lines[i]
    if line[:1].isspace():
        return None
    if i + 1 < len(lines) and _NUMPY_RULE.match(lines[i + 1]):
        name = line.strip().lower()
        if name in _ALL_SECTIONS:
            return name, i + 2, True
    match = _GOOGLE_HEADER.match(line)
    if match is not None:
        name = match.group(1).strip().lower()
        if name in _ALL_SECTIONS:
            return name, i + 1, False
    return None


def _section_end(lines: list[str], start: int, numpy: bool) -> int:
    """Index of the first line after the section body that starts at ``start``."""
    j = start
    while j < len(lines):
        if _section_at(lines, j) is not None or _SPHINX_FIELD.match(lines[j]):
            return j
        line = lines[j]
        # A Google section body is indented: the first unindented line ends it.
        if not numpy and line.strip() and not line[:1].isspace():
            return j
        j += 1
    return j


def _continuation_end(lines: list[str], start: int) -> int:
    j = start
    while j < len(lines) and lines[j][:1].isspace() and lines[j].strip():
        j += 1
    return j


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _join(parts: list[str]) -> str:
    return " ".join(p for p in parts if p).strip()


def _google_entries(body: list[str]) -> dict[str, str]:
    content = [line for line in body if line.strip()]
    if not content:
        return {}
    base = min(_indent(line) for line in content)
    found: dict[str, str] = {}
    current: str | None = None
    parts: list[str] = []
    for line in body:
        if not line.strip():
            continue
        if _indent(line) == base:
            if current is not None:
                found[current] = _join(parts)
            match = _GOOGLE_ENTRY.match(line.strip())
            current, parts = (match.group(1), [match.group(2).strip()]) if match else (None, [])
        elif current is not None:
            parts.append(line.strip())
    if current is not None:
        found[current] = _join(parts)
    return {k: v for k, v in found.items() if v}


def _numpy_entries(body: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    names: list[str] = []
    parts: list[str] = []

    def close() -> None:
        text = _join(parts)
        if text:
            for name in names:
                found[name] = text

    for line in body:
        if not line.strip():
            continue
        if not line[:1].isspace():
            close()
            match = _NUMPY_ENTRY.match(line.strip())
            names = [n.strip().lstrip("*") for n in match.group(1).split(",")] if match else []
            parts = []
        elif names:
            parts.append(line.strip())
    close()
    return found
