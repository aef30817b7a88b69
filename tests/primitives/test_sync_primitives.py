"""``_sync.Mailbox`` / ``Gate`` and ``_tasks.TaskHost``, on asyncio and trio."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import anyio.lowlevel
import pytest

from realtime_kit._sync import Gate, Mailbox
from realtime_kit.client._tasks import TaskHost

pytestmark = pytest.mark.anyio
asyncio_only = pytest.mark.parametrize("anyio_backend", ["asyncio"])


async def until(condition: Callable[[], object], what: str = "condition") -> None:
    """Let other tasks run until ``condition()`` holds (a hang fails instead of blocking)."""
    with anyio.fail_after(5):
        while not condition():
            await anyio.lowlevel.checkpoint()
    assert condition(), what


async def spin(times: int = 20) -> None:
    """Give every runnable task plenty of turns."""
    for _ in range(times):
        await anyio.lowlevel.checkpoint()


def parked(waiters: list[object] | None) -> int:
    return len(waiters) if waiters else 0


# -- Mailbox -----------------------------------------------------------------------------------


async def test_mailbox_is_fifo_and_push_reports_the_soft_bound() -> None:
    box: Mailbox[int] = Mailbox(3)
    assert box.push(1) is True
    assert box.push(2) is True
    assert box.push(3) is False  # now at the bound
    assert box.push(4) is False  # soft: still queued, still refused room
    assert len(box) == 4
    assert [await box.get() for _ in range(4)] == [1, 2, 3, 4]
    with pytest.raises(anyio.WouldBlock):
        box.get_nowait()


async def test_get_waits_for_a_push() -> None:
    box: Mailbox[str] = Mailbox(4)
    got: list[str] = []

    async def reader() -> None:
        got.append(await box.get())
        got.append(await box.get())

    async with anyio.create_task_group() as tg:
        tg.start_soon(reader)
        await until(lambda: parked(box._getters) == 1)
        assert got == []
        box.push("a")
        box.push("b")
    assert got == ["a", "b"]


async def test_put_waits_for_room() -> None:
    box: Mailbox[int] = Mailbox(2)
    await box.put(1)
    await box.put(2)
    done: list[int] = []

    async def putter() -> None:
        await box.put(3)
        done.append(3)

    async with anyio.create_task_group() as tg:
        tg.start_soon(putter)
        await spin()
        assert done == []
        assert len(box) == 2
        assert box.get_nowait() == 1
        await until(lambda: done)
    assert [box.get_nowait(), box.get_nowait()] == [2, 3]


async def test_wait_room_returns_once_below_the_bound_or_closed() -> None:
    box: Mailbox[int] = Mailbox(2)
    box.push(1)
    await box.wait_room()  # below the bound: no wait
    box.push(2)
    woken: list[str] = []

    async def waiter(name: str) -> None:
        await box.wait_room()
        woken.append(name)

    async with anyio.create_task_group() as tg:
        tg.start_soon(waiter, "by get")
        await spin()
        assert woken == []
        box.get_nowait()
    assert woken == ["by get"]
    box.push(3)
    async with anyio.create_task_group() as tg:
        tg.start_soon(waiter, "by close")
        await spin()
        assert woken == ["by get"]
        box.close()
    assert woken == ["by get", "by close"]


async def test_on_room_fires_once_when_drained_to_half() -> None:
    box: Mailbox[int] = Mailbox(8)
    for n in range(10):
        box.push(n)
    calls: list[int] = []
    box.on_room(lambda: calls.append(len(box)))
    for _ in range(5):
        box.get_nowait()  # 10 -> 5 left: still above half
    assert calls == []
    box.get_nowait()  # 4 left: half of 8
    assert calls == [4]
    box.get_nowait()
    for n in range(10):
        box.push(n)
    while len(box):
        box.get_nowait()
    assert calls == [4], "on_room fired more than once"


async def test_close_lets_readers_drain_then_end() -> None:
    box: Mailbox[int] = Mailbox(4)
    box.push(1)
    box.push(2)
    box.close()
    with pytest.raises(anyio.ClosedResourceError):
        box.push(3)
    with pytest.raises(anyio.ClosedResourceError):
        await box.put(3)
    assert await box.get() == 1
    assert box.get_nowait() == 2
    with pytest.raises(anyio.EndOfStream):
        await box.get()
    with pytest.raises(anyio.EndOfStream):
        box.get_nowait()


async def test_close_wakes_a_waiting_reader_with_end_of_stream() -> None:
    box: Mailbox[int] = Mailbox(4)
    ended: list[bool] = []

    async def reader() -> None:
        with pytest.raises(anyio.EndOfStream):
            await box.get()
        ended.append(True)

    async with anyio.create_task_group() as tg:
        tg.start_soon(reader)
        await until(lambda: parked(box._getters) == 1)
        box.close()
    assert ended == [True]


async def test_discard_drops_queued_items() -> None:
    box: Mailbox[int] = Mailbox(4)
    box.push(1)
    box.push(2)
    box.discard()
    assert len(box) == 0
    with pytest.raises(anyio.EndOfStream):
        box.get_nowait()
    with pytest.raises(anyio.ClosedResourceError):
        box.push(3)


async def test_a_cancelled_getter_does_not_strand_an_item() -> None:
    box: Mailbox[str] = Mailbox(4)
    first: list[str] = []
    second: list[str] = []

    async def getter(into: list[str], scope: anyio.CancelScope) -> None:
        with scope:
            into.append(await box.get())

    first_scope = anyio.CancelScope()
    async with anyio.create_task_group() as tg:
        tg.start_soon(getter, first, first_scope)
        await until(lambda: parked(box._getters) == 1)
        tg.start_soon(getter, second, anyio.CancelScope())
        await until(lambda: parked(box._getters) == 2)
        # The wake-up goes to the first getter, which is cancelled before it can run.
        box.push("x")
        first_scope.cancel()
        await spin()
        # Either the first getter still took it, or its wake-up passed on to the second one;
        # never an item in the box with a getter asleep next to it.
        assert sorted(first + second) == ["x"]
        assert len(box) == 0
        if not second:
            box.push("y")
    assert first + second in (["x", "y"], ["x"])
    assert second, "the second getter never got an item"


async def test_a_cancelled_putter_passes_the_room_on() -> None:
    box: Mailbox[str] = Mailbox(1)
    box.push("full")
    put: list[str] = []

    async def putter(item: str, scope: anyio.CancelScope) -> None:
        with scope:
            await box.put(item)
            put.append(item)

    first_scope = anyio.CancelScope()
    async with anyio.create_task_group() as tg:
        tg.start_soon(putter, "a", first_scope)
        await until(lambda: parked(box._putters) == 1)
        tg.start_soon(putter, "b", anyio.CancelScope())
        await until(lambda: parked(box._putters) == 2)
        assert box.get_nowait() == "full"  # room for one: the first putter is woken...
        first_scope.cancel()  # ...and cancelled before it runs
        await until(lambda: put, "no putter used the room")
        if put == ["a"]:
            box.get_nowait()  # the first one got in regardless (trio): make room for "b"
    assert put[-1] == "b"


# -- Gate --------------------------------------------------------------------------------------


async def test_gate_excludes_and_serves_every_task() -> None:
    gate = Gate()
    inside = 0
    most = 0
    entered: list[int] = []

    async def worker(n: int) -> None:
        nonlocal inside, most
        async with gate:
            inside += 1
            most = max(most, inside)
            assert gate.locked()
            await spin(3)
            entered.append(n)
            inside -= 1

    async with anyio.create_task_group() as tg:
        for n in range(6):
            tg.start_soon(worker, n)
    assert most == 1
    assert sorted(entered) == list(range(6))
    assert not gate.locked()


async def test_gate_hands_over_to_waiters_in_arrival_order() -> None:
    gate = Gate()
    order: list[str] = []
    release = anyio.Event()

    async def holder() -> None:
        async with gate:
            order.append("A")
            await release.wait()

    async def waiter(name: str) -> None:
        async with gate:
            order.append(name)

    async with anyio.create_task_group() as tg:
        tg.start_soon(holder)
        await until(gate.locked)
        tg.start_soon(waiter, "B")
        await until(lambda: parked(gate._waiters) == 1)
        tg.start_soon(waiter, "C")
        await until(lambda: parked(gate._waiters) == 2)
        release.set()
    assert order == ["A", "B", "C"]


async def test_gate_release_hands_over_instead_of_letting_the_holder_barge() -> None:
    gate = Gate()
    order: list[str] = []
    release = anyio.Event()

    async def holder() -> None:
        async with gate:
            order.append("A1")
            await release.wait()
        async with gate:  # straight back in, without a checkpoint in between
            order.append("A2")

    async def waiter() -> None:
        async with gate:
            order.append("B")

    async with anyio.create_task_group() as tg:
        tg.start_soon(holder)
        await until(gate.locked)
        tg.start_soon(waiter)
        await until(lambda: parked(gate._waiters) == 1)
        release.set()
    assert order == ["A1", "B", "A2"]


async def test_a_cancelled_gate_waiter_passes_the_hand_over_on() -> None:
    gate = Gate()
    entered: list[str] = []
    release = anyio.Event()

    async def holder() -> None:
        async with gate:
            await release.wait()

    async def waiter(name: str, scope: anyio.CancelScope) -> None:
        with scope:
            async with gate:
                entered.append(name)
                await anyio.lowlevel.checkpoint()

    b_scope = anyio.CancelScope()
    async with anyio.create_task_group() as tg:
        tg.start_soon(holder)
        await until(gate.locked)
        tg.start_soon(waiter, "B", b_scope)
        await until(lambda: parked(gate._waiters) == 1)
        tg.start_soon(waiter, "C", anyio.CancelScope())
        await until(lambda: parked(gate._waiters) == 2)
        release.set()
        await until(lambda: not gate.locked() or entered)  # the holder has left
        b_scope.cancel()  # B was woken, and is cancelled before (or as) it runs
        await until(lambda: "C" in entered, "C never got the gate")
    assert not gate.locked()


# -- TaskHost ----------------------------------------------------------------------------------


async def test_task_group_mode_sends_helper_errors_to_on_error() -> None:
    errors: list[BaseException] = []
    host = TaskHost(errors.append)
    boom = ValueError("helper failed")

    async def failing() -> None:
        await anyio.lowlevel.checkpoint()
        raise boom

    async with anyio.create_task_group() as tg:  # must not see the error
        host.task_group = tg
        host.spawn(failing)
    assert errors == [boom]


async def test_task_group_mode_cancel_stops_running_and_later_helpers() -> None:
    errors: list[BaseException] = []
    host = TaskHost(errors.append)
    stopped: list[str] = []
    started: list[str] = []

    async def forever(name: str) -> None:
        started.append(name)
        try:
            await anyio.sleep_forever()
        finally:
            stopped.append(name)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            host.task_group = tg
            host.spawn(lambda: forever("early"))
            await until(lambda: started)
            host.cancel()
            host.spawn(lambda: forever("late"))
    assert sorted(stopped) == ["early", "late"]
    assert errors == [], "a cancellation is not an error"


@asyncio_only
async def test_asyncio_mode_sends_helper_errors_to_on_error() -> None:
    errors: list[BaseException] = []
    host = TaskHost(errors.append)
    assert host.task_group is None
    boom = RuntimeError("helper failed")

    async def failing() -> None:
        await anyio.lowlevel.checkpoint()
        raise boom

    host.spawn(failing)
    with anyio.fail_after(5):
        await host.wait()
    assert errors == [boom]


@asyncio_only
async def test_asyncio_mode_wait_waits_for_running_helpers() -> None:
    host = TaskHost(lambda exc: pytest.fail(f"unexpected helper error {exc!r}"))
    go = anyio.Event()
    finished: list[int] = []

    async def helper(n: int) -> None:
        await go.wait()
        await spin(n)
        finished.append(n)

    for n in (3, 1, 2):
        host.spawn(lambda n=n: helper(n))  # type: ignore[misc]
    waited: list[bool] = []

    async def waiter() -> None:
        await host.wait()
        waited.append(True)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter)
            await spin()
            assert waited == []
            go.set()
    assert sorted(finished) == [1, 2, 3]
    assert waited == [True]


@asyncio_only
async def test_asyncio_mode_cancel_stops_helpers_and_wait_returns() -> None:
    errors: list[BaseException] = []
    host = TaskHost(errors.append)
    stopped: list[str] = []

    async def forever() -> None:
        try:
            await anyio.sleep_forever()
        finally:
            stopped.append("helper")

    host.spawn(forever)
    await spin()
    host.cancel()
    with anyio.fail_after(5):
        await host.wait()
    assert stopped == ["helper"]
    host.spawn(forever)  # started after cancel(): cancelled at once
    with anyio.fail_after(5):
        await host.wait()
    assert stopped == ["helper", "helper"]
    assert errors == []
