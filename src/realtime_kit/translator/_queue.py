"""An unbounded, single-reader queue that can be read to its end after its writer has closed it.

The translator's event and audio streams must never block a writer (a socket callback, a
receiver that must keep reading) and must stay readable after the ``async with`` block that
produced them; anyio's memory streams want both ends closed by their owners, this needs not.

Imports: anyio and the standard library.
"""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

import anyio

__all__ = ["Queue"]

T = TypeVar("T")


class Queue(Generic[T]):
    """``put`` never waits; ``get`` waits for an item, or raises ``EndOfStream`` once closed
    and drained."""

    def __init__(self) -> None:
        self._items: deque[T] = deque()
        self._closed = False
        self._ready: anyio.Event | None = None  # made by the reader (needs an event loop)

    @property
    def closed(self) -> bool:
        return self._closed

    def put(self, item: T) -> bool:
        """Add ``item``; False (and nothing added) once closed."""
        if self._closed:
            return False
        self._items.append(item)
        if self._ready is not None:
            self._ready.set()
        return True

    def close(self) -> None:
        self._closed = True
        if self._ready is not None:
            self._ready.set()

    async def get(self) -> T:
        while not self._items:
            if self._closed:
                raise anyio.EndOfStream
            self._ready = anyio.Event()  # one reader: only it replaces the event
            await self._ready.wait()
        return self._items.popleft()
