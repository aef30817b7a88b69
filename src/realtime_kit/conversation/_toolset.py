"""The tools of one agent: :class:`ToolSet`, a name → :class:`Tool` mapping that runs calls.

A tool set is built once from functions, :class:`Tool` objects and MCP server definitions
(plain dicts or :class:`realtime_kit.events.McpTool`; the *server* runs MCP tools, so they only
pass through to the session's ``tools``). Everything is checked at construction: duplicate
names or MCP labels, undescribable parameters, an MCP entry without ``server_label`` or without
exactly one of ``server_url``/``connector_id``/``tunnel_id`` — each a
:class:`~realtime_kit.errors.ConfigurationError`.

:meth:`ToolSet.run_all` runs the calls of one response concurrently (one task group; asyncio
and trio) and returns their results in call order once every call has ended, so the caller can
send all outputs and then one ``response.create``. It may ask for a filler line once per batch
when a call with a ``filler`` is still running after ``filler_delay`` seconds.

Imports: anyio, pydantic, the standard library, ``realtime_kit.errors``, ``realtime_kit.events``
and this package's ``_calls``, ``_tools`` and ``_runner``.
"""

from __future__ import annotations

import copy
import inspect
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any

import anyio
from anyio.abc import TaskGroup
from pydantic import ValidationError

from realtime_kit.conversation._calls import ToolCallRequest, ToolResult
from realtime_kit.conversation._runner import Approver, ThreadTracker, run_call
from realtime_kit.conversation._tools import Tool
from realtime_kit.errors import ConfigurationError
from realtime_kit.events import McpTool

__all__ = ["CallHook", "FillerHook", "ResultHook", "ToolSet"]

CallHook = Callable[[ToolCallRequest], Awaitable[None] | None]
"""Told when a call starts (before its arguments are checked or approval is asked)."""
ResultHook = Callable[[ToolResult], Awaitable[None] | None]
"""Told each result as soon as its call ends (completion order, not call order)."""
FillerHook = Callable[[str, ToolCallRequest], Awaitable[None] | None]
"""Asked to say a tool's filler line; at most once per :meth:`ToolSet.run_all`."""

_MCP_TARGETS = ("server_url", "connector_id", "tunnel_id")


class ToolSet(Mapping[str, Tool[..., Any]]):
    """Function tools by name, plus MCP server definitions that pass through.

    Args:
        tools: functions (sync or async), :class:`Tool` objects, other tool sets, and MCP
            definitions (``{"type": "mcp", "server_label": ..., "server_url": ...}`` or an
            :class:`~realtime_kit.events.McpTool`).
        default_timeout: seconds for tools whose ``timeout`` is ``"default"``; ``None`` for
            no limit.
        filler_delay: seconds a call with a ``filler`` may run before the filler is asked for.
        clock: seconds from a monotonic clock, stamped on every result.
    """

    __slots__ = ("_clock", "_mcp", "_threads", "_tools", "default_timeout", "filler_delay")

    def __init__(
        self,
        tools: Iterable[Tool[..., Any] | Callable[..., Any] | Mapping[str, Any] | McpTool] = (),
        *,
        default_timeout: float | None = 30.0,
        filler_delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(tools, ToolSet):
            tools = [tools]
        elif isinstance(tools, Tool) or callable(tools) or isinstance(tools, Mapping | McpTool):
            raise ConfigurationError("ToolSet takes a list of tools, e.g. ToolSet([get_weather])")
        self.default_timeout = _check_seconds(default_timeout, "default_timeout", allow_none=True)
        filler = _check_seconds(filler_delay, "filler_delay", allow_none=False)
        assert filler is not None
        self.filler_delay: float = filler
        self._clock = clock
        self._threads = ThreadTracker()
        self._tools: dict[str, Tool[..., Any]] = {}
        self._mcp: dict[str, dict[str, Any]] = {}
        for index, entry in enumerate(tools):
            self._add(index, entry)

    def _add(self, index: int, entry: object) -> None:
        if isinstance(entry, ToolSet):
            for item in (*entry.values(), *entry.mcp):
                self._add(index, item)
            return
        if isinstance(entry, McpTool):
            entry = entry.model_dump(mode="json", exclude_unset=True, by_alias=True)
        if isinstance(entry, Mapping):
            if entry.get("type") == "function":
                raise ConfigurationError(
                    f"tools[{index}]: a function definition without its Python function cannot "
                    "be run; pass the function (or Tool.from_function(fn))"
                )
            definition = _mcp_definition(index, entry)
            label = definition["server_label"]
            if label in self._mcp:
                raise ConfigurationError(
                    f"tools[{index}]: MCP server_label {label!r} is used twice"
                )
            self._mcp[label] = definition
            return
        if isinstance(entry, Tool):
            made: Tool[..., Any] = entry
        elif callable(entry):
            made = Tool(entry)
        else:
            raise ConfigurationError(
                f"tools[{index}]: {type(entry).__name__} is not a tool (pass a function, a Tool "
                "or an MCP definition)"
            )
        if made.name in self._tools:
            raise ConfigurationError(
                f"tools[{index}]: tool name {made.name!r} is used twice; pass name=... to one"
            )
        self._tools[made.name] = made

    # Mapping[str, Tool]
    def __getitem__(self, name: str) -> Tool[..., Any]:
        return self._tools[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tools)

    def __len__(self) -> int:
        return len(self._tools)

    def __repr__(self) -> str:
        # MCP entries may hold authorization and headers: only their labels are shown.
        mcp = f", mcp={list(self._mcp)!r}" if self._mcp else ""
        return f"ToolSet({list(self._tools)!r}{mcp})"

    @property
    def mcp(self) -> list[dict[str, Any]]:
        """The MCP definitions (copies), in the order given."""
        return [copy.deepcopy(d) for d in self._mcp.values()]

    @property
    def definitions(self) -> list[dict[str, Any]]:
        """The session's ``tools`` list: function tools, then MCP servers (fresh copies)."""
        return [t.definition for t in self._tools.values()] + self.mcp

    @property
    def requires_approval(self) -> bool:
        """Whether any tool may ask for approval (then the caller must pass ``approve``)."""
        return any(t.needs_approval is not False for t in self._tools.values())

    @property
    def abandoned_threads(self) -> int:
        """Worker threads of synchronous tools given up (timeout, interruption) and still
        running. Python cannot stop them; a tool can end early by checking
        ``ToolContext.cancelled``."""
        return self._threads.running

    def timeout_for(self, name: str) -> float | None:
        """The timeout that applies to the tool ``name`` (its own, or the default)."""
        own = self._tools[name].timeout
        return self.default_timeout if own == "default" else own

    async def run(
        self,
        call: ToolCallRequest,
        *,
        extras: Mapping[str, Any] | None = None,
        approve: Approver | None = None,
        interrupt: anyio.Event | None = None,
    ) -> ToolResult:
        """Run one call and return its record; never raises for the tool's own failures.

        Args:
            call: what the model asked for.
            extras: put in the tool's ``ToolContext.extras``.
            approve: asked whether a call that needs approval may run.
            interrupt: once set, calls of tools with ``on_interrupt="cancel"`` are cancelled.
        """
        return await self._run(call, extras, approve, interrupt, None)

    async def run_all(
        self,
        calls: Iterable[ToolCallRequest],
        *,
        extras: Mapping[str, Any] | None = None,
        approve: Approver | None = None,
        interrupt: anyio.Event | None = None,
        on_started: CallHook | None = None,
        on_finished: ResultHook | None = None,
        on_filler: FillerHook | None = None,
    ) -> list[ToolResult]:
        """Run ``calls`` concurrently; their results in call order once all have ended.

        ``on_started``/``on_finished`` are told about each call as it starts and ends;
        ``on_filler`` is asked at most once for the filler of a call still running
        ``filler_delay`` seconds after it began executing (never once ``interrupt`` is set).
        The hooks are the caller's code: an exception from one propagates (in an
        ``ExceptionGroup``) and cancels the batch.
        """
        batch = list(calls)
        results: list[ToolResult | None] = [None] * len(batch)
        filler_state = {"said": False}

        async def one(index: int, call: ToolCallRequest, tg: TaskGroup) -> None:
            ended = anyio.Event()

            def executing() -> None:
                tool = self._tools.get(call.name)
                if on_filler is not None and tool is not None and tool.filler is not None:
                    tg.start_soon(filler_timer, tool.filler, call, ended)

            if on_started is not None:
                await _maybe_await(on_started(call))
            try:
                result = await self._run(call, extras, approve, interrupt, executing)
            finally:
                ended.set()
            results[index] = result
            if on_finished is not None:
                await _maybe_await(on_finished(result))

        async def filler_timer(text: str, call: ToolCallRequest, ended: anyio.Event) -> None:
            with anyio.move_on_after(self.filler_delay):
                await ended.wait()
            if ended.is_set() or filler_state["said"] or (interrupt and interrupt.is_set()):
                return
            filler_state["said"] = True
            assert on_filler is not None
            await _maybe_await(on_filler(text, call))

        async with anyio.create_task_group() as tg:
            for index, call in enumerate(batch):
                tg.start_soon(one, index, call, tg)
        return [r for r in results if r is not None]

    async def _run(
        self,
        call: ToolCallRequest,
        extras: Mapping[str, Any] | None,
        approve: Approver | None,
        interrupt: anyio.Event | None,
        on_execute: Callable[[], None] | None,
    ) -> ToolResult:
        return await run_call(
            call,
            self._tools.get(call.name),
            available=tuple(self._tools),
            default_timeout=self.default_timeout,
            clock=self._clock,
            tracker=self._threads,
            extras=extras,
            approve=approve,
            interrupt=interrupt,
            on_execute=on_execute,
        )


async def _maybe_await(value: Awaitable[None] | None) -> None:
    if inspect.isawaitable(value):
        await value


def _check_seconds(value: float | None, what: str, *, allow_none: bool) -> float | None:
    if value is None and allow_none:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        extra = " or None" if allow_none else ""
        raise ConfigurationError(f"{what} must be a positive number of seconds{extra}")
    return float(value)


def _mcp_definition(index: int, entry: Mapping[str, Any]) -> dict[str, Any]:
    """A checked copy of an MCP tool definition. Error messages never echo values (an MCP
    entry may carry ``authorization`` and ``headers``)."""
    where = f"tools[{index}]"
    if entry.get("type") != "mcp":
        raise ConfigurationError(
            f"{where}: a dict tool must be an MCP definition with type 'mcp' (function tools "
            "are passed as Python functions)"
        )
    label = entry.get("server_label")
    if not isinstance(label, str) or not label.strip():
        raise ConfigurationError(f"{where}: an MCP tool needs a non-empty server_label")
    targets = [key for key in _MCP_TARGETS if entry.get(key) is not None]
    if len(targets) != 1:
        found = ", ".join(targets) or "none"
        raise ConfigurationError(
            f"{where}: MCP tool {label!r} needs exactly one of server_url, connector_id or "
            f"tunnel_id (found: {found})"
        )
    try:
        McpTool.model_validate(dict(entry))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        )
        raise ConfigurationError(f"{where}: MCP tool {label!r}: {problems}") from None
    return copy.deepcopy(dict(entry))
