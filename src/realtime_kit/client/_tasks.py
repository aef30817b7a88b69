"""Where a connection's helper tasks run: the caller's task group, or straight on asyncio.

A connection needs helper tasks only now and then (a queued write, an ``async`` handler, a
reconnect, a rollover watcher); an idle one on asyncio needs none. Owning an anyio task group
per connection just in case cost a task group, a cancel scope and a host task for every idle
session, so on asyncio without a caller task group the helpers are plain asyncio tasks that
this host tracks, cancels and awaits when the connection closes. On trio (or when the caller
hands over a task group) they go to that task group, as structured concurrency wants.

Every helper runs inside its own cancel scope; :meth:`TaskHost.cancel` cancels them all, and an
exception a helper did not handle is passed to ``on_error`` (the connection then ends with it)
instead of escaping into the caller's task group.

Imports: anyio and the standard library.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import anyio
from anyio.abc import TaskGroup

__all__ = ["TaskHost"]


class TaskHost:
    """Starts, tracks and stops one connection's helper tasks."""

    __slots__ = ("_cancelled", "_on_error", "_scopes", "_tasks", "task_group")

    def __init__(self, on_error: Callable[[BaseException], None]) -> None:
        self.task_group: TaskGroup | None = None
        """The task group helpers go to; ``None`` means plain asyncio tasks."""
        self._on_error = on_error
        self._scopes: set[anyio.CancelScope] | None = None  # allocated with the first helper
        self._tasks: set[asyncio.Task[None]] | None = None
        self._cancelled = False

    def spawn(self, fn: Callable[[], Awaitable[None]]) -> None:
        """Run ``fn()`` in the background until it returns or the host is cancelled.

        Safe to call from anywhere on the loop's thread: from a task, and from a socket or timer
        callback of a plain ``asyncio.run()`` / ``uvloop.run()``, where no task is current. Nothing
        here asks anyio for the running backend (that needs a current task); the helper's cancel
        scope is opened inside the helper itself.
        """
        scopes = self._scopes
        if scopes is None:
            scopes = self._scopes = set()

        async def helper() -> None:
            scope = anyio.CancelScope()
            if self._cancelled:
                # Cancelled before its first step: it still runs up to its first wait, so
                # its ``finally`` clauses (a worker's "finished" flag) still run.
                scope.cancel()
            scopes.add(scope)
            try:
                with scope:
                    await fn()
            except Exception as exc:  # noqa: BLE001 (handed to the connection, not dropped)
                self._on_error(exc)
            finally:
                scopes.discard(scope)

        if self.task_group is not None:
            self.task_group.start_soon(helper)
            return
        task = asyncio.get_running_loop().create_task(helper())
        tasks = self._tasks
        if tasks is None:
            tasks = self._tasks = set()
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def cancel(self) -> None:
        """Cancel every helper, and any started from now on."""
        self._cancelled = True
        for scope in list(self._scopes or ()):
            scope.cancel()

    async def wait(self) -> None:
        """Wait for the plain asyncio helpers to finish (task-group helpers end with it).

        A helper that is itself waiting here (a handler that closes the connection) is not
        waited for: it could never finish.
        """
        me = asyncio.current_task() if self._tasks else None
        while True:
            others = [task for task in self._tasks or () if task is not me]
            if not others:
                return
            await asyncio.wait(others)
