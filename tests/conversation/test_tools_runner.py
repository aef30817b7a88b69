"""Running tool calls on asyncio and trio: threads, timeouts, errors, approval, interruption,
concurrency, fillers.

Time is never measured. A timeout is tiny (0.05 s) and set on a tool that waits for something
that never comes, so it can only fire late, never early; everything else waits on events.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Awaitable, Callable

import anyio
import pytest

from realtime_kit.conversation import (
    Tool,
    ToolCallRequest,
    ToolContext,
    ToolOutcome,
    ToolResult,
    ToolSet,
    tool,
)
from realtime_kit.errors import (
    ConfigurationError,
    ToolArgumentsError,
    ToolError,
    ToolOutputError,
    ToolTimeoutError,
)

pytestmark = pytest.mark.anyio

TINY = 0.05  # a timeout for tools that never finish on their own
NEVER = 3600.0  # a delay that a test never reaches
SECRET = "sk-proj-abcdefghijklmnopqrstuvwxyz"


def call(name: str, arguments: str = "{}", call_id: str | None = None) -> ToolCallRequest:
    return ToolCallRequest(call_id or f"call_{name}", name, arguments)


def error_of(result: ToolResult) -> str:
    payload = json.loads(result.output)
    assert list(payload) == ["error"]
    return str(payload["error"])


async def until(condition: Callable[[], bool]) -> None:
    """Wait for a condition another thread makes true (bounded, so a bug fails, not hangs)."""
    with anyio.fail_after(10):
        while not condition():  # noqa: ASYNC110 - the count changes in a worker thread
            await anyio.sleep(0.001)


class Counter:
    """A fake clock: each reading is one second later."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


# --- plain runs ---------------------------------------------------------------------------------


async def test_a_sync_tool_runs_in_a_worker_thread_and_never_blocks_the_loop() -> None:
    loop_thread = threading.get_ident()
    go = threading.Event()
    seen: dict[str, int] = {}

    @tool
    def blocking(n: int) -> dict[str, int]:
        seen["thread"] = threading.get_ident()
        assert go.wait(10), "the event loop was blocked"
        return {"n": n * 2}

    tools = ToolSet([blocking], clock=Counter())
    async with anyio.create_task_group() as tg:
        # The loop keeps running while the tool blocks its thread: this task releases it.
        tg.start_soon(anyio.to_thread.run_sync, go.set)
        result = await tools.run(call("blocking", '{"n": 21}'))
    assert seen["thread"] != loop_thread
    assert (result.outcome, result.output, result.value) == (ToolOutcome.OK, '{"n":42}', {"n": 42})
    assert result.ok
    assert (result.started, result.finished, result.duration) == (101.0, 102.0, 1.0)
    assert (result.call_id, result.name) == ("call_blocking", "blocking")
    assert result.arguments == '{"n": 21}'


async def test_an_async_tool_gets_its_context() -> None:
    seen: list[ToolContext] = []

    @tool
    async def lookup(ctx: ToolContext, city: str) -> str:
        seen.append(ctx)
        return f"sunny in {city}"

    result = await ToolSet([lookup]).run(
        call("lookup", '{"city": "Oslo"}', "c9"), extras={"conversation": "conv"}
    )
    assert (result.outcome, result.output) == (ToolOutcome.OK, "sunny in Oslo")
    (ctx,) = seen
    assert (ctx.call_id, ctx.name, ctx.arguments) == ("c9", "lookup", '{"city": "Oslo"}')
    assert ctx.extras == {"conversation": "conv"}
    assert not ctx.cancelled
    with pytest.raises(TypeError):
        ctx.extras["x"] = 1  # type: ignore[index]


async def test_a_sync_wrapper_returning_a_coroutine_is_awaited() -> None:
    async def inner() -> int:
        return 7

    def wrapper() -> Awaitable[int]:
        return inner()

    result = await ToolSet([Tool.from_function(wrapper)]).run(call("wrapper"))
    assert (result.outcome, result.output) == (ToolOutcome.OK, "7")


@dataclasses.dataclass
class Forecast:
    city: str
    high: float


async def test_results_are_serialised_for_the_model() -> None:
    @tool
    def as_dataclass() -> Forecast:
        return Forecast("Oslo", float("nan"))

    @tool
    def as_none() -> None:
        return None

    tools = ToolSet([as_dataclass, as_none])
    first, second = await tools.run_all([call("as_dataclass"), call("as_none")])
    assert first.output == '{"city":"Oslo","high":"NaN"}'
    assert second.output == "null"


# --- failures become outputs --------------------------------------------------------------------


@pytest.mark.parametrize("is_async", [False, True])
async def test_an_exception_becomes_an_error_output_and_a_record(is_async: bool) -> None:
    def boom(city: str) -> str:
        raise LookupError(f"no such city {city!r}; upstream said api_key={SECRET}\n  at line 3")

    async def aboom(city: str) -> str:
        return boom(city)

    made = Tool.from_function(aboom if is_async else boom, name="boom")
    result = await ToolSet([made]).run(call("boom", '{"city": "Atlantis"}'))
    assert result.outcome is ToolOutcome.ERROR
    assert isinstance(result.exception, LookupError)
    message = error_of(result)
    assert message.startswith("'boom' failed: LookupError: no such city 'Atlantis';")
    assert SECRET not in result.output
    assert "Traceback" not in result.output
    assert "\n" not in message
    assert SECRET not in json.dumps(result.to_dict())


async def test_a_hanging_async_tool_times_out_and_is_cancelled() -> None:
    contexts: list[ToolContext] = []

    @tool(timeout=TINY)
    async def hang(ctx: ToolContext) -> str:
        contexts.append(ctx)
        await anyio.sleep_forever()
        return "never"

    tools = ToolSet([hang])
    result = await tools.run(call("hang"))
    assert result.outcome is ToolOutcome.TIMEOUT
    assert error_of(result) == "'hang' did not finish within 0.05 s and was stopped."
    assert isinstance(result.exception, ToolTimeoutError)
    assert result.exception.timeout == TINY
    assert not result.thread_abandoned
    assert contexts[0].cancelled
    assert tools.abandoned_threads == 0


async def test_a_hanging_sync_tool_times_out_and_its_thread_is_abandoned() -> None:
    release = threading.Event()
    entered = threading.Event()
    contexts: list[ToolContext] = []

    @tool(timeout=TINY)
    def hang(ctx: ToolContext) -> str:
        contexts.append(ctx)
        entered.set()
        release.wait()
        return "late"

    tools = ToolSet([hang])
    try:
        result = await tools.run(call("hang"))
        assert result.outcome is ToolOutcome.TIMEOUT
        assert error_of(result) == "'hang' did not finish within 0.05 s and was stopped."
        assert isinstance(result.exception, ToolTimeoutError)
        assert result.exception.thread_abandoned is result.thread_abandoned
        assert tools.abandoned_threads == int(result.thread_abandoned)
    finally:
        release.set()
    await until(lambda: tools.abandoned_threads == 0)
    # Either the thread was running and was abandoned (it has finished now), or the deadline
    # came before the thread started (possible on a loaded machine) and the tool never ran.
    assert entered.is_set() is result.thread_abandoned
    if result.thread_abandoned:
        assert contexts[0].cancelled


async def test_a_call_given_up_before_its_thread_starts_never_runs() -> None:
    ran: list[str] = []

    @tool(timeout=TINY)
    def late() -> str:
        ran.append("late")
        return "late"

    @tool
    def after() -> str:
        ran.append("after")
        return "after"

    limiter = anyio.to_thread.current_default_thread_limiter()
    saved = limiter.total_tokens
    limiter.total_tokens = 1
    held, done = anyio.Event(), anyio.Event()

    async def hold_the_only_token() -> None:
        async with limiter:  # no worker thread can start while this is held
            held.set()
            await done.wait()

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(hold_the_only_token)
            await held.wait()
            result = await ToolSet([late]).run(call("late"))
            done.set()
        assert result.outcome is ToolOutcome.TIMEOUT
        assert not result.thread_abandoned
        # Worker threads start in order: once a later call has run, the first one had its chance.
        assert (await ToolSet([after]).run(call("after"))).ok
    finally:
        limiter.total_tokens = saved
    assert ran == ["after"]


async def test_a_sync_tool_can_stop_early_when_given_up() -> None:
    stopped = threading.Event()

    @tool(timeout=TINY)
    def patient(ctx: ToolContext) -> str:
        ctx.wait_cancelled()  # an interruptible sleep
        stopped.set()
        return "gave up"

    tools = ToolSet([patient])
    result = await tools.run(call("patient"))
    assert result.outcome is ToolOutcome.TIMEOUT
    await anyio.to_thread.run_sync(stopped.wait, 10)
    await until(lambda: tools.abandoned_threads == 0)


async def test_the_default_timeout_applies_unless_the_tool_says_otherwise() -> None:
    outlived = anyio.Event()

    @tool
    async def default_limit() -> str:
        await anyio.sleep_forever()
        return "never"

    @tool(timeout=None)
    async def unlimited() -> str:
        await outlived.wait()
        return "done"

    tools = ToolSet([default_limit, unlimited], default_timeout=TINY)
    assert (tools.timeout_for("default_limit"), tools.timeout_for("unlimited")) == (TINY, None)

    async def first() -> ToolResult:
        result = await tools.run(call("default_limit"))
        outlived.set()  # the unlimited tool is still waiting after the default has passed
        return result

    async with anyio.create_task_group() as tg:
        results: list[ToolResult] = []

        async def collect(fn: Callable[[], Awaitable[ToolResult]]) -> None:
            results.append(await fn())

        tg.start_soon(collect, first)
        tg.start_soon(collect, lambda: tools.run(call("unlimited")))
    outcomes = {r.name: r.outcome for r in results}
    assert outcomes == {"default_limit": ToolOutcome.TIMEOUT, "unlimited": ToolOutcome.OK}


async def test_an_unserialisable_result_is_an_error_output_and_kept() -> None:
    handle = object()

    @tool
    def opener() -> object:
        return {"handle": handle}

    result = await ToolSet([opener]).run(call("opener"))
    assert result.outcome is ToolOutcome.UNSERIALISABLE
    assert "could not be converted to text" in error_of(result)
    assert isinstance(result.exception, ToolOutputError)
    assert result.value == {"handle": handle}  # nothing is lost for the app


async def test_bad_arguments_and_unknown_tools_never_run_anything() -> None:
    ran: list[str] = []

    @tool
    def add(a: int, b: int) -> int:
        ran.append("add")
        return a + b

    tools = ToolSet([add])
    bad, unknown = await tools.run_all(
        [call("add", '{"a": 1, "b": "two"}'), call("subtract", '{"a": 1}')]
    )
    assert bad.outcome is ToolOutcome.INVALID_ARGUMENTS
    assert isinstance(bad.exception, ToolArgumentsError)
    assert error_of(bad).startswith("Invalid arguments for tool 'add': b: ")
    assert unknown.outcome is ToolOutcome.UNKNOWN_TOOL
    assert isinstance(unknown.exception, ToolError)
    assert error_of(unknown) == "There is no tool named 'subtract'. Available tools: add."
    assert ran == []


# --- approval -----------------------------------------------------------------------------------


async def test_approval_is_asked_and_a_denial_tells_the_model() -> None:
    ran: list[str] = []
    asked: list[ToolCallRequest] = []

    @tool(needs_approval=True)
    async def refund(amount: int) -> str:
        ran.append("refund")
        return "refunded"

    async def deny(request: ToolCallRequest) -> bool:
        asked.append(request)
        return False

    tools = ToolSet([refund])
    assert tools.requires_approval
    request = call("refund", '{"amount": 5}')
    denied = await tools.run(request, approve=deny)
    assert denied.outcome is ToolOutcome.DENIED
    assert error_of(denied) == "The user declined to let 'refund' run; it did not run."
    assert asked == [request]
    assert ran == []
    granted = await tools.run(request, approve=lambda r: True)
    assert (granted.outcome, granted.output) == (ToolOutcome.OK, "refunded")


async def test_a_per_call_predicate_decides_whether_to_ask() -> None:
    asked: list[str] = []

    async def big(request: ToolCallRequest) -> bool:
        return bool(json.loads(request.arguments)["amount"] > 100)

    @tool(needs_approval=big)
    def refund(amount: int) -> int:
        return amount

    def approve(request: ToolCallRequest) -> bool:
        asked.append(request.call_id)
        return True

    tools = ToolSet([refund])
    small, large = await tools.run_all(
        [call("refund", '{"amount": 5}', "small"), call("refund", '{"amount": 500}', "large")],
        approve=approve,
    )
    assert (small.outcome, large.outcome) == (ToolOutcome.OK, ToolOutcome.OK)
    assert asked == ["large"]


async def test_approval_without_a_hook_or_with_a_failing_one() -> None:
    @tool(needs_approval=True)
    def wire(amount: int) -> int:
        return amount

    def broken_predicate(request: ToolCallRequest) -> bool:
        raise RuntimeError("predicate bug")

    @tool(needs_approval=broken_predicate)
    def other() -> None: ...

    async def broken_hook(request: ToolCallRequest) -> bool:
        raise RuntimeError("the UI went away")

    tools = ToolSet([wire, other])
    unasked = await tools.run(call("wire", '{"amount": 1}'))
    assert unasked.outcome is ToolOutcome.DENIED
    assert isinstance(unasked.exception, ConfigurationError)
    assert "could not be asked" in error_of(unasked)
    failed = await tools.run(call("wire", '{"amount": 1}'), approve=broken_hook)
    assert failed.outcome is ToolOutcome.ERROR
    assert isinstance(failed.exception, RuntimeError)
    assert error_of(failed) == "Approval for 'wire' could not be obtained; it did not run."
    unchecked = await tools.run(call("other"), approve=lambda r: True)
    assert unchecked.outcome is ToolOutcome.ERROR
    assert "could not be checked" in error_of(unchecked)


# --- concurrency --------------------------------------------------------------------------------


async def test_calls_of_one_response_run_concurrently_and_return_in_call_order() -> None:
    first_started = anyio.Event()
    second_done = anyio.Event()
    finished: list[str] = []
    both = threading.Barrier(2, timeout=10)

    @tool
    async def first() -> str:
        first_started.set()
        await second_done.wait()  # only possible if the second runs at the same time
        return "first"

    @tool
    async def second() -> str:
        await first_started.wait()
        second_done.set()
        return "second"

    @tool
    def thread_a() -> str:
        both.wait()  # two worker threads at once, or a BrokenBarrierError
        return "a"

    @tool
    def thread_b() -> str:
        both.wait()
        return "b"

    tools = ToolSet([first, second, thread_a, thread_b])
    started: list[str] = []

    async def on_started(request: ToolCallRequest) -> None:
        started.append(request.name)

    results = await tools.run_all(
        [call("first"), call("second"), call("thread_a"), call("thread_b")],
        on_started=on_started,
        on_finished=lambda r: finished.append(r.name),
    )
    assert [r.output for r in results] == ["first", "second", "a", "b"]
    assert all(r.ok for r in results)
    assert sorted(started) == ["first", "second", "thread_a", "thread_b"]
    assert finished.index("second") < finished.index("first")  # completion order is reported
    assert await tools.run_all([]) == []


async def test_a_hook_error_propagates() -> None:
    @tool
    def quick() -> int:
        return 1

    def broken(result: ToolResult) -> None:
        raise KeyError("hook bug")

    with pytest.raises(ExceptionGroup) as caught:
        await ToolSet([quick]).run_all([call("quick")], on_finished=broken)
    assert caught.group_contains(KeyError)


# --- interruption -------------------------------------------------------------------------------


async def test_an_interrupt_cancels_cancel_tools_and_lets_finish_tools_finish() -> None:
    interrupt = anyio.Event()
    running = {"search": anyio.Event(), "booking": anyio.Event()}
    may_finish = anyio.Event()
    contexts: list[ToolContext] = []

    @tool(on_interrupt="cancel")
    async def search(ctx: ToolContext) -> str:
        contexts.append(ctx)
        running["search"].set()
        await anyio.sleep_forever()
        return "never"

    @tool  # on_interrupt="finish" is the default
    async def booking() -> str:
        running["booking"].set()
        await may_finish.wait()
        return "booked"

    tools = ToolSet([search, booking])

    async def user_barges_in() -> None:
        await running["search"].wait()
        await running["booking"].wait()
        interrupt.set()
        may_finish.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(user_barges_in)
        cancelled, finished = await tools.run_all(
            [call("search"), call("booking")], interrupt=interrupt
        )
    assert cancelled.outcome is ToolOutcome.CANCELLED
    assert error_of(cancelled) == (
        "'search' was cancelled because the user interrupted; it did not finish."
    )
    assert contexts[0].cancelled
    assert (finished.outcome, finished.output) == (ToolOutcome.OK, "booked")


async def test_an_interrupted_sync_tool_is_abandoned_and_counted() -> None:
    interrupt = anyio.Event()
    entered = threading.Event()

    @tool(on_interrupt="cancel", timeout=None)
    def crunch(ctx: ToolContext) -> str:
        entered.set()
        ctx.wait_cancelled()
        return "stopped"

    tools = ToolSet([crunch])

    async def interrupt_when_running() -> None:
        await anyio.to_thread.run_sync(entered.wait, 10)
        interrupt.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(interrupt_when_running)
        result = await tools.run(call("crunch"), interrupt=interrupt)
    assert result.outcome is ToolOutcome.CANCELLED
    assert result.thread_abandoned
    await until(lambda: tools.abandoned_threads == 0)  # it saw ctx.cancelled and returned


async def test_an_interrupt_before_the_start_or_during_approval_cancels() -> None:
    ran: list[str] = []
    asked = anyio.Event()

    @tool(on_interrupt="cancel")
    def quick() -> str:
        ran.append("quick")
        return "ran"

    @tool(on_interrupt="cancel", needs_approval=True)
    def careful() -> str:
        ran.append("careful")
        return "ran"

    async def slow_approval(request: ToolCallRequest) -> bool:
        asked.set()
        await anyio.sleep_forever()
        return True

    tools = ToolSet([quick, careful])
    already = anyio.Event()
    already.set()
    early = await tools.run(call("quick"), interrupt=already)
    assert early.outcome is ToolOutcome.CANCELLED

    interrupt = anyio.Event()

    async def barge_in() -> None:
        await asked.wait()
        interrupt.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(barge_in)
        waiting = await tools.run(call("careful"), approve=slow_approval, interrupt=interrupt)
    assert waiting.outcome is ToolOutcome.CANCELLED
    assert ran == []


async def test_cancelling_the_batch_from_outside_propagates_and_marks_contexts() -> None:
    contexts: list[ToolContext] = []
    entered = anyio.Event()

    @tool(timeout=None)
    async def forever(ctx: ToolContext) -> str:
        contexts.append(ctx)
        entered.set()
        await anyio.sleep_forever()
        return "never"

    tools = ToolSet([forever])
    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as tg:
            tg.start_soon(tools.run_all, [call("forever")])
            await entered.wait()
            scope.cancel()
    assert scope.cancelled_caught
    assert contexts[0].cancelled


# --- fillers ------------------------------------------------------------------------------------


async def test_a_slow_tool_asks_for_its_filler_once() -> None:
    said: list[tuple[str, str]] = []
    spoken = anyio.Event()

    @tool(filler="Let me check that.")
    async def slow_one() -> str:
        await spoken.wait()  # finishes only after the filler was asked for
        return "one"

    @tool(filler="Another moment.")
    async def slow_two() -> str:
        await spoken.wait()
        return "two"

    async def on_filler(text: str, request: ToolCallRequest) -> None:
        said.append((text, request.call_id))
        spoken.set()

    tools = ToolSet([slow_one, slow_two], filler_delay=0.01)
    results = await tools.run_all([call("slow_one"), call("slow_two")], on_filler=on_filler)
    assert [r.output for r in results] == ["one", "two"]
    assert len(said) == 1
    assert said[0] in {
        ("Let me check that.", "call_slow_one"),
        ("Another moment.", "call_slow_two"),
    }


async def test_no_filler_for_fast_tools_tools_without_one_or_after_an_interrupt() -> None:
    said: list[str] = []
    interrupt = anyio.Event()
    interrupt.set()

    @tool(filler="One moment.")
    def fast() -> str:
        return "fast"

    @tool
    async def plain() -> str:
        await anyio.sleep(TINY)
        return "plain"

    @tool(filler="Hmm.")
    async def finishing() -> str:
        await anyio.sleep(TINY)
        return "finishing"

    def record(text: str, request: ToolCallRequest) -> None:
        said.append(text)

    await ToolSet([fast], filler_delay=NEVER).run_all([call("fast")], on_filler=record)
    await ToolSet([plain], filler_delay=0.001).run_all([call("plain")], on_filler=record)
    await ToolSet([finishing], filler_delay=0.001).run_all(
        [call("finishing")], on_filler=record, interrupt=interrupt
    )
    assert said == []
