"""Small synchronisation pieces for the per-frame paths, cheap on both anyio backends.

* :class:`LazyEvent`: a one-shot event that allocates waiter machinery only when somebody waits
  (idle connections outnumber busy ones; most of their events are set or checked, never awaited).
* :class:`Gate`: an async mutex with the same cheap parking.
* :class:`Mailbox`: the soft-bounded FIFO between a connection's reader and ``async for``. A
  waiting consumer is parked on the running loop's cheapest primitive (a bare asyncio future,
  or a trio event) instead of a general-purpose stream, so handing over an event costs one
  wake-up and nothing else; an item already waiting costs none.

Imports: anyio and the standard library.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

import anyio
import anyio.lowlevel

__all__ = ["Gate", "LazyEvent", "Mailbox", "on_asyncio"]

T = TypeVar("T")


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


class _Parker(Protocol):
    def set(self) -> None: ...

    async def wait(self) -> None: ...


class _FuturePark:
    """One wait on asyncio: a bare future (``anyio.Event`` would look up the backend first)."""

    __slots__ = ("_future",)

    def __init__(self) -> None:
        self._future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def set(self) -> None:
        if not self._future.done():
            self._future.set_result(None)

    async def wait(self) -> None:
        await self._future


def on_asyncio() -> bool:
    """Whether the calling task runs on an asyncio event loop (rather than trio)."""
    try:
        return asyncio.current_task() is not None
    except RuntimeError:
        return False  # no asyncio loop in this thread


def _park() -> _Parker:
    return _FuturePark() if on_asyncio() else anyio.Event()


class Mailbox(Generic[T]):
    """A FIFO with a soft bound between one connection's producer and its consumers.

    :meth:`push` always queues and says whether there is still room; a producer that cannot wait
    (a socket callback) then pauses its source until :meth:`on_room` fires, one that can awaits
    :meth:`wait_room`. :meth:`put` is the waiting form for queues that must never overfill.
    ``get`` raises :class:`anyio.EndOfStream` once closed and drained; queueing into a closed
    mailbox raises :class:`anyio.ClosedResourceError`. Storage is allocated on first use, so
    an idle mailbox costs a few pointers.
    """

    __slots__ = ("_closed", "_getters", "_items", "_limit", "_putters", "_room_callback")

    def __init__(self, limit: int) -> None:
        self._items: deque[T] | None = None
        self._limit = limit
        self._closed = False
        self._getters: list[_Parker] | None = None
        self._putters: list[_Parker] | None = None
        self._room_callback: Callable[[], None] | None = None

    def __len__(self) -> int:
        return len(self._items) if self._items is not None else 0

    def push(self, item: T) -> bool:
        """Queue ``item`` now; ``False`` when the mailbox is now at or over its bound."""
        if self._closed:
            raise anyio.ClosedResourceError
        items = self._items
        if items is None:
            items = self._items = deque()
        items.append(item)
        if self._getters:
            self._getters.pop(0).set()
        return len(items) < self._limit

    async def put(self, item: T) -> None:
        """Queue ``item``, first waiting until there is room."""
        while len(self) >= self._limit and not self._closed:
            await self.wait_room()
        self.push(item)

    async def wait_room(self) -> None:
        """Wait until the mailbox is below its bound (or closed)."""
        while len(self) >= self._limit and not self._closed:
            if self._putters is None:
                self._putters = []
            await _wait(self._putters)

    def on_room(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once, when readers have taken the mailbox down to half its bound."""
        self._room_callback = callback

    def get_nowait(self) -> T:
        """The oldest item.

        Raises:
            anyio.WouldBlock: empty for now.
            anyio.EndOfStream: closed and empty.
        """
        if self._items:
            return self._pop()
        if self._closed:
            raise anyio.EndOfStream
        raise anyio.WouldBlock

    async def get(self) -> T:
        """The oldest item, waiting for one (see :meth:`get_nowait` for the end)."""
        # No exceptions on the way: an empty mailbox is the usual case for a waiting reader.
        while not self._items:
            if self._closed:
                raise anyio.EndOfStream
            if self._getters is None:
                self._getters = []
            await _wait(self._getters)
        return self._pop()

    def _pop(self) -> T:
        items = self._items
        assert items
        item = items.popleft()
        left = len(items)
        if not left:
            self._items = None  # an idle connection keeps no empty deque block
        if left < self._limit:
            if self._putters:
                self._putters.pop(0).set()
            if self._room_callback is not None and left <= self._limit // 2:
                callback, self._room_callback = self._room_callback, None
                callback()
        return item

    def close(self) -> None:
        """No more items: waiting readers drain what is queued, then see the end."""
        self._closed = True
        for waiters in (self._getters, self._putters):
            while waiters:
                waiters.pop(0).set()

    def discard(self) -> None:
        """Close and drop whatever is still queued (nobody will read it)."""
        self.close()
        self._items = None


class Gate:
    """An async mutex (``async with gate:``) that costs two pointers until it is contended.

    Releasing hands the gate straight to the longest waiter, so a task that arrives later cannot
    take it first and nobody waits forever.
    """

    __slots__ = ("_held", "_waiters")

    def __init__(self) -> None:
        self._held = False
        self._waiters: list[_Parker] | None = None

    def locked(self) -> bool:
        """Whether some task holds the gate."""
        return self._held

    async def __aenter__(self) -> None:
        if not self._held:
            self._held = True
            return
        if self._waiters is None:
            self._waiters = []
        parker = _park()
        self._waiters.append(parker)
        try:
            await parker.wait()
        except BaseException:
            if parker in self._waiters:
                self._waiters.remove(parker)
            else:
                self._release()  # it was handed to us as we were cancelled: pass it on
            raise
        # Woken by a release: the gate was handed over and is ours (still held).

    async def __aexit__(self, *exc_info: object) -> None:
        self._release()

    def _release(self) -> None:
        if self._waiters:
            self._waiters.pop(0).set()
        else:
            self._held = False


async def _wait(waiters: list[_Parker]) -> None:
    parker = _park()
    waiters.append(parker)
    try:
        await parker.wait()
    except BaseException:
        # Cancelled: leave the queue, and if we were already woken pass the wake-up on so the
        # item (or the room) is not stranded with nobody to take it.
        if parker in waiters:
            waiters.remove(parker)
        elif waiters:
            waiters.pop(0).set()
        raise
