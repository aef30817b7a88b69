"""Keeping credentials out of error messages built from what a server sent back.

A server (or a proxy in front of it) that refuses a handshake may echo the request in its body,
``Authorization: Bearer sk-…`` included. Before such text goes into an exception it passes
through :func:`redact`: the exact credentials this client sent, and anything that looks like a
credential (a bearer token, an ``sk-``/``ek_`` key, the browser-style key sub-protocol, a
``key=``/``token:`` pair), become ``[redacted]``.

Imports: the standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

__all__ = ["REDACTED", "credentials_in", "redact"]

REDACTED: Final = "[redacted]"

_PATTERNS: Final = (
    # "Bearer <token>" anywhere (an echoed Authorization header, a log line).
    (re.compile(r"(?i)\b(bearer)\s+[^\s\"',;]+"), rf"\1 {REDACTED}"),
    # The browser way: the key rides in a sub-protocol.
    (re.compile(r"(?i)(openai-insecure-api-key\.)[^\s\"',;]+"), rf"\1{REDACTED}"),
    # Standard, project, restricted and ephemeral keys by their look.
    (re.compile(r"\b(?:sk|rk|ek)[-_][A-Za-z0-9_\-]{6,}"), REDACTED),
    # name=value / name: value pairs whose name says "secret".
    (
        re.compile(
            r"(?i)\b((?:api[-_]?key|access[-_]?token|token|secret|password)\s*[:=]\s*)"
            r"[^\s\"',;&]+"
        ),
        rf"\1{REDACTED}",
    ),
)
_SECRET_HEADER: Final = re.compile(r"(?i)authorization|api[-_]?key|secret|token|cookie")
_SHORTEST_SECRET: Final = 6  # shorter "secrets" would redact ordinary words


def credentials_in(
    headers: Mapping[str, str] | None, subprotocols: Sequence[str] | None = None
) -> tuple[str, ...]:
    """The credential values a request carries: secret-looking headers and key sub-protocols.

    For ``Authorization: Bearer X`` both the whole value and ``X`` are returned.
    """
    found: list[str] = []
    for name, value in (headers or {}).items():
        if _SECRET_HEADER.search(name):
            found.append(value)
            found.extend(value.split()[1:])
    for protocol in subprotocols or ():
        prefix, _, rest = protocol.partition(".")
        if rest and _SECRET_HEADER.search(prefix):
            found.append(rest)
    return tuple(sorted({s for s in found if len(s) >= _SHORTEST_SECRET}, key=len, reverse=True))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with ``secrets`` (exact values) and credential-looking parts replaced."""
    for secret in secrets:
        if len(secret) >= _SHORTEST_SECRET:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
