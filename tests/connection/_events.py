"""Shared helpers for the connection tests."""

from __future__ import annotations

from typing import Any

import realtime_kit


async def until(conn: realtime_kit.RealtimeConnection, cls: type[Any]) -> list[Any]:
    """The events up to and including the first of class ``cls``."""
    seen: list[Any] = []
    async for event in conn:
        seen.append(event)
        if isinstance(event, cls):
            return seen
    raise AssertionError(f"connection ended before {cls.__name__}: {[e.type for e in seen]}")
