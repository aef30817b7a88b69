"""The translator's output streams: its events and each language's translated audio.

Both sit on :class:`Queue`, an unbounded single-reader queue that can be read to its end after
its writer has closed it: a writer (a receiver that must keep reading the socket) never blocks,
and the streams stay readable after the ``async with`` block that produced them (anyio's memory
streams want both ends closed by their owners; this needs not).

Imports: anyio, the standard library, ``audio`` and the sibling events.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

import anyio

from realtime_kit.audio import PCMFrame
from realtime_kit.translator._events import TranslatorEvent

__all__ = ["AudioStream", "EventStream", "Queue"]

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


class EventStream:
    """The translator's events, in order (``async for``); one reader.

    Ends once every language's session has ended; then raises the error that ended the
    translation, if one did (after everything translated before it was handed out).
    """

    def __init__(
        self, queue: Queue[TranslatorEvent], take_error: Callable[[], BaseException | None]
    ) -> None:
        self._queue = queue
        self._take_error = take_error

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> TranslatorEvent:
        try:
            return await self._queue.get()
        except anyio.EndOfStream:
            error = self._take_error()
            if error is not None:
                raise error from None
            raise StopAsyncIteration from None


class AudioStream:
    """One language's translated audio (``async for frame in tr.audio("es")``)."""

    def __init__(self, queue: Queue[PCMFrame]) -> None:
        self._queue = queue

    def __aiter__(self) -> AudioStream:
        return self

    async def __anext__(self) -> PCMFrame:
        try:
            return await self._queue.get()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None
