"""Handler slots for :meth:`RealtimeConnection.on`: inline for plain functions, an ordered
worker per ``async`` handler so a slow one never stalls the read loop.

Imports: anyio, the standard library and ``_sync``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from realtime_kit._sync import LazyEvent

__all__ = ["Handler", "HandlerSlot"]

E = TypeVar("E")
Handler = Callable[[E], object]
"""A handler of one event class: a plain function or an ``async`` one."""

Spawner = Callable[[Callable[[], Awaitable[None]]], None]


class HandlerSlot:
    """One subscribed handler; async ones get an ordered, unbounded queue and a worker."""

    def __init__(self, handler: Handler[Any], spawn: Spawner) -> None:
        self.handler = handler
        self.is_async = inspect.iscoroutinefunction(handler)
        self._spawn = spawn
        self._queue: MemoryObjectSendStream[Any] | None = None
        self._receive: MemoryObjectReceiveStream[Any] | None = None
        self._finished = LazyEvent()
        self.worker: int | None = None
        """The id of the worker task of an async handler, once it runs."""

    def dispatch(self, event: Any) -> None:
        """Run a plain handler now, or queue the event for the async handler's worker."""
        if not self.is_async:
            self.handler(event)
            return
        if self._queue is None:
            send, receive = anyio.create_memory_object_stream[Any](math.inf)
            self._queue, self._receive = send, receive
            self._spawn(lambda: self._work(receive))
        self._queue.send_nowait(event)

    async def _work(self, receive: MemoryObjectReceiveStream[Any]) -> None:
        self.worker = anyio.get_current_task().id
        try:
            async with receive:
                async for event in receive:
                    result = self.handler(event)
                    if inspect.isawaitable(result):
                        await result
        except anyio.ClosedResourceError:
            return  # the connection was released while events were still queued
        finally:
            self._finished.set()

    async def finished(self) -> None:
        """Wait until the worker has handled everything queued before :meth:`close`."""
        if self._queue is not None:
            await self._finished.wait()

    def close(self) -> None:
        """No more events: the worker finishes what is queued and ends."""
        if self._queue is not None:
            self._queue.close()

    def release(self) -> None:
        """Drop everything (after the connection's ``async with`` block)."""
        self.close()
        if self._receive is not None:
            self._receive.close()
