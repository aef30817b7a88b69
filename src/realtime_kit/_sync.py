"""A one-shot event that allocates its waiter machinery only when somebody waits.

Idle connections outnumber busy ones; most of their events are set or checked but never awaited,
so a plain flag is enough until the first ``wait()``. Imports: anyio.
"""

from __future__ import annotations

import anyio
import anyio.lowlevel

__all__ = ["LazyEvent"]


class LazyEvent:
    """Like :class:`anyio.Event` (set once, never cleared), cheaper when nobody waits."""

    __slots__ = ("_event", "_flag")

    def __init__(self) -> None:
        self._flag = False
        self._event: anyio.Event | None = None

    def is_set(self) -> bool:
        """Whether :meth:`set` was called."""
        return self._flag

    def set(self) -> None:
        """Set the flag and wake every waiter."""
        self._flag = True
        if self._event is not None:
            self._event.set()

    async def wait(self) -> None:
        """Wait until the flag is set (returns at once if it is)."""
        if self._flag:
            await anyio.lowlevel.checkpoint()
            return
        if self._event is None:
            self._event = anyio.Event()
        await self._event.wait()
