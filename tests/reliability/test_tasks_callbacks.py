"""``TaskHost`` works from event-loop callbacks under a plain ``asyncio.run()`` / ``uvloop.run()``.

The asyncio WebSocket driver calls the connection from ``data_received``, ``connection_lost``
and its keepalive timer, where no task is running. ``TaskHost.spawn`` and ``TaskHost.cancel``
are what those callbacks reach for (a reconnect, a fatal end, an ``async`` handler); they must
not ask anyio for the current backend there (issue 12, defect 1). These tests are synchronous on
purpose: they start their own loop, with no anyio runner around it, as a user's program would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from realtime_kit.client._tasks import TaskHost

Runner = Callable[[Coroutine[Any, Any, None]], None]


def _runners() -> list[Any]:
    runners: list[Any] = [pytest.param(asyncio.run, id="asyncio.run")]
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is in the dev extra (not on Windows)
        return runners
    return [*runners, pytest.param(uvloop.run, id="uvloop.run")]


RUNNERS = _runners()


def _setup() -> tuple[
    asyncio.AbstractEventLoop, list[dict[str, Any]], list[BaseException], TaskHost
]:
    """The running loop, what its exception handler would have logged (a lost exception), the
    errors a host reports, and the host."""
    loop = asyncio.get_running_loop()
    failures: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: failures.append(context))
    errors: list[BaseException] = []
    return loop, failures, errors, TaskHost(errors.append)


async def _settle(condition: Callable[[], bool], failures: list[dict[str, Any]]) -> None:
    """Yield to the loop until ``condition`` holds or a callback failed (no wall-clock wait)."""
    for _ in range(10_000):
        if condition() or failures:
            return
        await asyncio.sleep(0)


@pytest.mark.parametrize("run", RUNNERS)
@pytest.mark.parametrize("schedule", ["call_soon", "call_later"])
def test_spawn_from_a_loop_callback_runs_the_helper(run: Runner, schedule: str) -> None:
    async def main() -> None:
        loop, failures, errors, host = _setup()
        ran: list[str] = []

        async def helper() -> None:
            await asyncio.sleep(0)
            ran.append("helper")

        if schedule == "call_soon":
            loop.call_soon(host.spawn, helper)
        else:
            loop.call_later(0, host.spawn, helper)
        await _settle(lambda: bool(ran), failures)
        await host.wait()
        assert failures == []
        assert ran == ["helper"]
        assert errors == []

    run(main())


@pytest.mark.parametrize("run", RUNNERS)
def test_a_helper_spawned_from_a_callback_reports_its_exception(run: Runner) -> None:
    async def main() -> None:
        loop, failures, errors, host = _setup()

        async def broken() -> None:
            raise LookupError("from the helper")

        loop.call_soon(host.spawn, broken)
        await _settle(lambda: bool(errors), failures)
        await host.wait()
        assert failures == []
        assert [type(e) for e in errors] == [LookupError]

    run(main())


@pytest.mark.parametrize("run", RUNNERS)
def test_cancel_from_a_callback_stops_helpers_started_before_and_after(run: Runner) -> None:
    async def main() -> None:
        loop, failures, errors, host = _setup()
        started: list[str] = []
        finished: list[str] = []

        async def forever(name: str) -> None:
            started.append(name)
            try:
                await asyncio.Event().wait()
            finally:
                finished.append(name)

        loop.call_soon(host.spawn, lambda: forever("before"))
        await _settle(lambda: bool(started), failures)
        loop.call_soon(host.cancel)
        loop.call_soon(host.spawn, lambda: forever("after"))
        await _settle(lambda: len(finished) == 2, failures)
        await host.wait()
        assert failures == []
        # Both end: the later one is cancelled at its first wait (its cleanup still runs).
        assert sorted(finished) == ["after", "before"]
        assert errors == []

    run(main())
