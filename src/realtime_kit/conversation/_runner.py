"""Running one tool call safely: arguments, approval, timeout, interruption, serialisation.

:func:`run_call` never raises for anything the tool, its arguments or its approval do: every
ending becomes a :class:`ToolResult` whose ``output`` the model reads (``{"error": "..."}`` for
every failure — type and message, never a traceback or a credential) and whose ``exception`` the
app keeps. Only cancellation from outside (the conversation closing) and the caller's own hooks
propagate.

Synchronous tools run in a worker thread (``anyio.to_thread.run_sync``) so the event loop — and
the audio — keeps moving; a thread cannot be killed, so a timed-out or interrupted one is
*abandoned*: it runs on, its result is discarded, its :class:`ToolContext` is marked cancelled
so it can stop early, and the abandonment is logged and counted (:class:`ThreadTracker`).

Imports: anyio, the standard library, ``realtime_kit.errors``, this package's ``_calls`` and
``_tools``.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread

from realtime_kit.conversation._calls import (
    ToolCallRequest,
    ToolContext,
    ToolOutcome,
    ToolResult,
    describe_exception,
)
from realtime_kit.conversation._tools import Tool, serialise_output
from realtime_kit.errors import (
    ConfigurationError,
    ToolArgumentsError,
    ToolError,
    ToolOutputError,
    ToolTimeoutError,
)

__all__ = ["Approver", "ThreadTracker", "error_output", "run_call"]

_log = logging.getLogger("realtime_kit.conversation")

Approver = Callable[[ToolCallRequest], Awaitable[bool] | bool]
"""The app's answer to "may this call run?" (asked only for tools that need approval)."""


def error_output(message: str) -> str:
    """The output string of a failed call: ``{"error": message}``."""
    return json.dumps({"error": message}, ensure_ascii=False)


@dataclass(slots=True)
class _ThreadState:
    started: bool = False
    finished: bool = False
    given_up: bool = False
    abandoned: bool = False  # the function was still running when the call was given up


class ThreadTracker:
    """Counts worker threads that were given up while still running (thread-safe).

    A call given up before its thread started never runs at all: its thread returns at once.
    """

    __slots__ = ("_count", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    @property
    def running(self) -> int:
        """Abandoned threads that have not returned yet."""
        with self._lock:
            return self._count

    def starting(self, state: _ThreadState) -> bool:
        """The worker thread is about to call the function; ``False``: do not call it."""
        with self._lock:
            if state.given_up:
                return False
            state.started = True
            return True

    def finished(self, state: _ThreadState) -> None:
        """The function returned or raised (called in the worker thread)."""
        with self._lock:
            state.finished = True
            if state.abandoned:
                self._count -= 1

    def give_up(self, state: _ThreadState) -> bool:
        """The caller stopped waiting; returns whether the function is still running."""
        with self._lock:
            state.given_up = True
            state.abandoned = state.started and not state.finished
            if state.abandoned:
                self._count += 1
            return state.abandoned


@dataclass(slots=True)
class _Ending:
    outcome: ToolOutcome
    output: str
    value: Any = None
    exception: BaseException | None = None
    thread_abandoned: bool = False


async def run_call(
    call: ToolCallRequest,
    tool: Tool[..., Any] | None,
    *,
    available: tuple[str, ...],
    default_timeout: float | None,
    clock: Callable[[], float],
    tracker: ThreadTracker,
    extras: Mapping[str, Any] | None = None,
    approve: Approver | None = None,
    interrupt: anyio.Event | None = None,
    on_execute: Callable[[], None] | None = None,
) -> ToolResult:
    """Run ``call`` with ``tool`` (``None`` when the name is unknown) and return its record.

    ``interrupt``, when set, cancels the call if the tool's policy is ``"cancel"`` (before it
    starts, while it waits for approval, or while it runs). ``on_execute`` is called when the
    function itself starts (after arguments and approval).
    """
    started = clock()
    context = ToolContext(call, extras or {})
    if tool is None:
        names = ", ".join(available) or "none"
        ending = _Ending(
            ToolOutcome.UNKNOWN_TOOL,
            error_output(f"There is no tool named {call.name!r}. Available tools: {names}."),
            exception=ToolError(
                f"the model called an unknown tool {call.name!r}",
                tool=call.name,
                call_id=call.call_id,
            ),
        )
    else:
        run = _CallRun(tool, context, tracker, on_execute)
        ending = await run.guarded(default_timeout, approve, interrupt)
    return ToolResult(
        call_id=call.call_id,
        name=call.name,
        arguments=call.arguments,
        outcome=ending.outcome,
        output=ending.output,
        started=started,
        finished=clock(),
        value=ending.value,
        exception=ending.exception,
        thread_abandoned=ending.thread_abandoned,
    )


async def _answer(
    question: Callable[[ToolCallRequest], bool | Awaitable[bool]], call: ToolCallRequest
) -> bool:
    """The app's yes/no about ``call``, from a sync or an async callable."""
    answer = question(call)
    if inspect.isawaitable(answer):
        answer = await answer
    return bool(answer)


def _approval_failed(name: str, what: str, exc: Exception) -> _Ending:
    """The app's approval predicate or hook raised: the call does not run."""
    _log.warning("tool %r: approval could not be %s: %s", name, what, describe_exception(exc))
    return _Ending(
        ToolOutcome.ERROR,
        error_output(f"Approval for {name!r} could not be {what}; it did not run."),
        exception=exc,
    )


class _CallRun:
    """One call of a known tool, from its arguments to its ending."""

    __slots__ = ("context", "on_execute", "state", "tool", "tracker")

    def __init__(
        self,
        tool: Tool[..., Any],
        context: ToolContext,
        tracker: ThreadTracker,
        on_execute: Callable[[], None] | None,
    ) -> None:
        self.tool = tool
        self.context = context
        self.tracker = tracker
        self.on_execute = on_execute
        self.state = _ThreadState()

    async def guarded(
        self,
        default_timeout: float | None,
        approve: Approver | None,
        interrupt: anyio.Event | None,
    ) -> _Ending:
        """The whole call; a cancellation from outside marks the context cancelled."""
        ending: _Ending | None = None
        try:
            ending = await self._interruptible(default_timeout, approve, interrupt)
        finally:
            if ending is None:
                self.context.cancel()  # a thread still running may notice and stop
        return ending

    async def _interruptible(
        self,
        default_timeout: float | None,
        approve: Approver | None,
        interrupt: anyio.Event | None,
    ) -> _Ending:
        tool = self.tool
        try:
            values = tool.parse_arguments(self.context.arguments, call_id=self.context.call_id)
        except ToolArgumentsError as exc:
            return _Ending(ToolOutcome.INVALID_ARGUMENTS, error_output(str(exc)), exception=exc)
        limit = default_timeout if tool.timeout == "default" else tool.timeout

        async def body() -> _Ending:
            refused = await self._approval(approve)
            if refused is not None:
                return refused
            if self.on_execute is not None:
                self.on_execute()
            return await self._execute(values, limit)

        if tool.on_interrupt != "cancel" or interrupt is None:
            return await body()
        if interrupt.is_set():
            return self._cancelled()
        ending: _Ending | None = None
        async with anyio.create_task_group() as tg:
            scope = anyio.CancelScope()

            async def watch() -> None:
                await interrupt.wait()
                scope.cancel()

            tg.start_soon(watch)
            with scope:
                ending = await body()
            tg.cancel_scope.cancel()
        return ending if ending is not None else self._cancelled()

    def _cancelled(self) -> _Ending:
        self.context.cancel()
        return _Ending(
            ToolOutcome.CANCELLED,
            error_output(
                f"{self.tool.name!r} was cancelled because the user interrupted; it did not finish."
            ),
            thread_abandoned=self.state.abandoned,
        )

    async def _approval(self, approve: Approver | None) -> _Ending | None:
        """``None`` when the call may run, else how it ended."""
        policy = self.tool.needs_approval
        if policy is False:
            return None
        name = self.tool.name
        call = self.context.call
        if policy is not True:
            try:
                needed = await _answer(policy, call)
            except Exception as exc:  # noqa: BLE001 (the app's predicate: recorded, not raised)
                return _approval_failed(name, "checked", exc)
            if not needed:
                return None
        if approve is None:
            return _Ending(
                ToolOutcome.DENIED,
                error_output(
                    f"{name!r} needs the user's approval, which could not be asked; it did not run."
                ),
                exception=ConfigurationError(
                    f"tool {name!r} needs approval but no approve hook was given"
                ),
            )
        try:
            granted = await _answer(approve, call)
        except Exception as exc:  # noqa: BLE001 (the app's hook: recorded, not raised)
            return _approval_failed(name, "obtained", exc)
        if not granted:
            return _Ending(
                ToolOutcome.DENIED,
                error_output(f"The user declined to let {name!r} run; it did not run."),
            )
        return None

    async def _execute(self, values: dict[str, Any], limit: float | None) -> _Ending:
        tool = self.tool
        context = self.context
        args, kwargs = tool.bind(values, context)
        finished = False
        value: Any = None
        try:
            with anyio.move_on_after(limit) as deadline:
                if tool.is_async:
                    value = await tool.function(*args, **kwargs)
                else:
                    value = await self._in_thread(args, kwargs)
                    if inspect.isawaitable(value):  # a sync wrapper that returned a coroutine
                        value = await value
                finished = True
        except Exception as exc:  # noqa: BLE001 (the tool's error goes to the model and the record)
            _log.warning("tool %r raised %s", tool.name, describe_exception(exc))
            return _Ending(
                ToolOutcome.ERROR,
                error_output(f"{tool.name!r} failed: {describe_exception(exc)}"),
                exception=exc,
            )
        if deadline.cancel_called:
            assert limit is not None  # a deadline exists only with a limit
            context.cancel()
            _log.warning("tool %r did not finish within %gs", tool.name, limit)
            return _Ending(
                ToolOutcome.TIMEOUT,
                error_output(f"{tool.name!r} did not finish within {limit:g} s and was stopped."),
                value=value if finished else None,
                exception=ToolTimeoutError(
                    f"tool {tool.name!r} did not finish within {limit:g} s",
                    tool=tool.name,
                    timeout=limit,
                    thread_abandoned=self.state.abandoned,
                    call_id=context.call_id,
                ),
                thread_abandoned=self.state.abandoned,
            )
        try:
            output = serialise_output(value, tool=tool.name, call_id=context.call_id)
        except ToolOutputError as exc:
            _log.warning("tool %r: %s", tool.name, exc)
            return _Ending(
                ToolOutcome.UNSERIALISABLE,
                error_output(
                    f"{tool.name!r} ran, but its result could not be converted to text, so it "
                    "is not available."
                ),
                value=value,
                exception=exc,
            )
        return _Ending(ToolOutcome.OK, output, value=value)

    async def _in_thread(self, args: list[Any], kwargs: dict[str, Any]) -> Any:
        function = self.tool.function
        state = self.state
        tracker = self.tracker

        def work() -> tuple[Any]:
            if not tracker.starting(state):
                return (None,)  # given up before the thread got to it: never run it late
            try:
                # Boxed: trio refuses a worker result that is a coroutine (a sync wrapper's).
                return (function(*args, **kwargs),)
            finally:
                tracker.finished(state)

        try:
            return (await anyio.to_thread.run_sync(work, abandon_on_cancel=True))[0]
        except anyio.get_cancelled_exc_class():
            # Record the abandonment first: once cancelled, the tool may return at once.
            abandoned = tracker.give_up(state)
            self.context.cancel()
            if abandoned:
                _log.warning(
                    "tool %r: its worker thread was given up while still running (Python "
                    "cannot stop a thread); it runs on and its result will be discarded",
                    self.tool.name,
                )
            raise
