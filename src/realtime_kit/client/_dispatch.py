"""Handlers for :meth:`RealtimeConnection.on`: a slot per handler — inline for plain
functions, an ordered worker per ``async`` handler so a slow one never stalls the read loop —
and the table that finds the slots for an event's class (its base classes included).

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

__all__ = ["Handler", "HandlerSlot", "HandlerTable"]

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


class HandlerTable:
    """The slots subscribed per event class, and those that get an event of a given class."""

    __slots__ = ("_by_type", "cache")

    def __init__(self) -> None:
        self._by_type: dict[type[Any], list[HandlerSlot]] = {}
        self.cache: dict[type[Any], list[HandlerSlot]] = {}
        """Event class → its slots, filled by :meth:`slots_for` (read it first: one lookup)."""

    def subscribe(
        self, event_type: type[Any], handler: Handler[Any], spawn: Spawner
    ) -> tuple[HandlerSlot, Callable[[], None]]:
        """Add a slot for ``handler``; the slot and a function that removes (and closes) it."""
        slot = HandlerSlot(handler, spawn)
        self._by_type.setdefault(event_type, []).append(slot)
        self.cache.clear()

        def unsubscribe() -> None:
            slots = self._by_type.get(event_type, [])
            if slot in slots:
                slots.remove(slot)
                slot.close()
                self.cache.clear()

        return slot, unsubscribe

    def slots_for(self, cls: type[Any]) -> list[HandlerSlot]:
        """The slots of ``cls`` and of its base classes, in the order of its MRO."""
        cached = self.cache.get(cls)
        if cached is None:
            cached = [slot for base in cls.__mro__ for slot in self._by_type.get(base, ())]
            self.cache[cls] = cached
        return cached

    def all(self) -> list[HandlerSlot]:
        """Every slot."""
        return [slot for slots in self._by_type.values() for slot in slots]
