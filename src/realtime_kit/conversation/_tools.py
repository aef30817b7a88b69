"""Python functions as Realtime function tools: :class:`Tool` and the :func:`tool` decorator.

A :class:`Tool` wraps one sync or async function with what the session and the runner need:
its ``definition`` (the session's ``{"type": "function", name, description, parameters}``),
``parse_arguments`` (the model's JSON → validated Python values, or a
:class:`~realtime_kit.errors.ToolArgumentsError` the model can read), and its policies —
``timeout``, ``needs_approval``, a ``filler`` line for slow calls, and what happens to a running
call when the user interrupts (``on_interrupt``). Everything is checked when the tool is built:
a bad name, an undescribable parameter or a bad policy is a
:class:`~realtime_kit.errors.ConfigurationError` then, never a failure mid-call.

The decorated object is still callable like the function it wraps.

Imports: pydantic(-core), the standard library, ``realtime_kit.errors``, this package's
``_calls`` and ``_schema``.
"""

from __future__ import annotations

import copy
import functools
import inspect
import math
import re
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Literal, ParamSpec, TypeAlias, TypedDict, TypeVar, Unpack, overload

import pydantic_core

from realtime_kit.conversation._calls import ToolCallRequest
from realtime_kit.conversation._schema import FunctionSchema, build_function_schema
from realtime_kit.errors import ConfigurationError, ToolOutputError

__all__ = [
    "ApprovalPolicy",
    "InterruptPolicy",
    "Tool",
    "ToolOptions",
    "serialise_output",
    "tool",
]

P = ParamSpec("P")
R = TypeVar("R")

InterruptPolicy: TypeAlias = Literal["finish", "cancel"]
"""What a running call does when the user interrupts: run to completion, or be cancelled."""
ApprovalPolicy: TypeAlias = bool | Callable[[ToolCallRequest], bool | Awaitable[bool]]
"""``True``/``False``, or a predicate deciding per call (sync or async)."""

# Function names as the OpenAI API accepts them for function tools.
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_POLICIES = ("finish", "cancel")


class ToolOptions(TypedDict, total=False):
    """The keyword options of :class:`Tool`, :meth:`Tool.from_function` and :func:`tool`."""

    name: str | None
    description: str | None
    timeout: float | Literal["default"] | None
    needs_approval: ApprovalPolicy
    filler: str | None
    on_interrupt: InterruptPolicy


class Tool(Generic[P, R]):
    """A Python function the model can call.

    Build one with ``Tool(fn, ...)``, :meth:`from_function` or the :func:`tool` decorator.

    Args:
        function: what runs when the model calls the tool: sync (run in a worker thread) or
            async; a bound method, a ``functools.partial`` or a callable object works too.
        name: defaults to the function's ``__name__``.
        description: defaults to the docstring's text before its first section.
        timeout: seconds before the call is given up; ``None`` for no limit, ``"default"`` for
            the tool set's default.
        needs_approval: ask the approval hook before running (``True``), never (``False``), or
            decide per call with a predicate on the ``ToolCallRequest`` (sync or async).
        filler: a short line the agent may say when the call is slow (e.g. "Let me check
            that."); the tool set says when.
        on_interrupt: ``"finish"`` (the call runs to completion when the user interrupts) or
            ``"cancel"`` (it is cancelled, and the model is told so).
    """

    __slots__ = (
        "_schema",
        "description",
        "filler",
        "function",
        "is_async",
        "name",
        "needs_approval",
        "on_interrupt",
        "timeout",
    )

    name: str
    description: str | None
    timeout: float | Literal["default"] | None
    needs_approval: ApprovalPolicy
    filler: str | None
    on_interrupt: InterruptPolicy
    function: Callable[P, R]
    is_async: bool

    def __init__(
        self,
        function: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | Literal["default"] | None = "default",
        needs_approval: ApprovalPolicy = False,
        filler: str | None = None,
        on_interrupt: InterruptPolicy = "finish",
    ) -> None:
        if not callable(function):
            raise ConfigurationError(f"a tool needs a callable, got {type(function).__name__}")
        tool_name = name if name is not None else _default_name(function)
        if not isinstance(tool_name, str) or not _NAME.match(tool_name):
            raise ConfigurationError(
                f"tool name {tool_name!r} is not allowed: use 1-64 letters, digits, '_' or '-' "
                "(pass name=... for a lambda, a partial or a callable object)"
            )
        self.name = tool_name
        self.function = function
        self.is_async = _is_async(function, tool_name)
        self._schema: FunctionSchema = build_function_schema(function, tool_name)
        text = description if description is not None else self._schema.description
        self.description = text.strip() if text and text.strip() else None
        self.timeout = _check_timeout(timeout, tool_name)
        if not isinstance(needs_approval, bool) and not callable(needs_approval):
            raise ConfigurationError(
                f"tool {tool_name!r}: needs_approval must be a bool or a callable taking the "
                "ToolCallRequest"
            )
        self.needs_approval = needs_approval
        if filler is not None and (not isinstance(filler, str) or not filler.strip()):
            raise ConfigurationError(f"tool {tool_name!r}: filler must be a non-empty string")
        self.filler = filler.strip() if filler is not None else None
        if on_interrupt not in _POLICIES:
            raise ConfigurationError(
                f"tool {tool_name!r}: on_interrupt must be 'finish' or 'cancel', "
                f"not {on_interrupt!r}"
            )
        self.on_interrupt = on_interrupt

    @classmethod
    def from_function(
        cls, function: Callable[P, R], /, **options: Unpack[ToolOptions]
    ) -> Tool[P, R]:
        """A tool from ``function``; the options are those of :class:`Tool`."""
        return cls(function, **options)

    @property
    def parameters(self) -> dict[str, Any]:
        """The JSON Schema of the arguments (a fresh copy)."""
        return copy.deepcopy(self._schema.parameters)

    @property
    def definition(self) -> dict[str, Any]:
        """The entry for the session's ``tools`` list (a fresh copy each time)."""
        out: dict[str, Any] = {"type": "function", "name": self.name}
        if self.description is not None:
            out["description"] = self.description
        out["parameters"] = self.parameters
        return out

    @property
    def takes_context(self) -> bool:
        """Whether the function declares a ``ToolContext`` parameter."""
        return self._schema.takes_context

    def parse_arguments(self, arguments: str, *, call_id: str | None = None) -> dict[str, Any]:
        """The model's ``arguments`` JSON as validated Python values keyed by parameter name
        (pydantic models, dataclasses and enums built, defaults filled in).

        Raises :class:`~realtime_kit.errors.ToolArgumentsError` whose message tells the model
        what to fix; argument values never appear in it.
        """
        return self._schema.parse(arguments, call_id=call_id)

    def bind(self, values: dict[str, Any], context: Any) -> tuple[list[Any], dict[str, Any]]:
        """``(args, kwargs)`` for calling :attr:`function` with parsed ``values`` and the
        ``ToolContext`` (placed where the function declares it)."""
        return self._schema.bind(values, context)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call the wrapped function directly (handy in the app's own tests)."""
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        parts = [f"name={self.name!r}", "async" if self.is_async else "sync"]
        if self.timeout != "default":
            parts.append(f"timeout={self.timeout!r}")
        if self.needs_approval is not False:
            parts.append("needs_approval")
        if self.filler is not None:
            parts.append(f"filler={self.filler!r}")
        if self.on_interrupt != "finish":
            parts.append(f"on_interrupt={self.on_interrupt!r}")
        return f"Tool({', '.join(parts)})"


@overload
def tool(function: Callable[P, R], /) -> Tool[P, R]: ...


@overload
def tool(**options: Unpack[ToolOptions]) -> Callable[[Callable[P, R]], Tool[P, R]]: ...


def tool(
    function: Callable[P, R] | None = None, /, **options: Unpack[ToolOptions]
) -> Tool[P, R] | Callable[[Callable[P, R]], Tool[P, R]]:
    """Make a function a :class:`Tool`: ``@tool`` or ``@tool(timeout=10, filler="...")``.

    The options are those of :class:`Tool`.
    """

    def make(fn: Callable[P, R]) -> Tool[P, R]:
        return Tool(fn, **options)

    if function is not None:
        return make(function)
    return make


def serialise_output(value: object, *, tool: str, call_id: str | None = None) -> str:
    """The ``function_call_output.output`` string for a tool's return value.

    A ``str`` goes as it is; anything else is written as JSON (pydantic models, dataclasses,
    dicts, lists, numbers, ``None`` → ``null``, enums, dates; NaN and infinities as strings).
    Raises :class:`~realtime_kit.errors.ToolOutputError` for what JSON cannot hold.
    """
    if isinstance(value, str):
        return value
    try:
        return pydantic_core.to_json(value, inf_nan_mode="strings").decode("utf-8")
    except (pydantic_core.PydanticSerializationError, ValueError, TypeError, RecursionError) as exc:
        raise ToolOutputError(
            f"tool {tool!r} returned a {type(value).__name__} that cannot be written as JSON "
            "(return a str, a dict/list of JSON values, a pydantic model or a dataclass)",
            tool=tool,
            call_id=call_id,
        ) from exc


def _default_name(function: Callable[..., Any]) -> str | None:
    target: Any = function
    while isinstance(target, functools.partial):
        target = target.func
    name = getattr(target, "__name__", None)
    return name if isinstance(name, str) else None


def _is_async(function: Callable[..., Any], name: str) -> bool:
    target: Any = function
    while isinstance(target, functools.partial):
        target = target.func
    if not (inspect.isfunction(target) or inspect.ismethod(target)):
        target = getattr(type(target), "__call__", target)  # noqa: B004 - the class's __call__
    if inspect.isasyncgenfunction(target) or inspect.isgeneratorfunction(target):
        raise ConfigurationError(
            f"tool {name!r}: a generator cannot be a tool; return one result instead"
        )
    return inspect.iscoroutinefunction(target)


def _check_timeout(
    timeout: float | Literal["default"] | None, name: str
) -> float | Literal["default"] | None:
    if timeout is None or timeout == "default":
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise ConfigurationError(
            f"tool {name!r}: timeout must be seconds (a number), None or 'default'"
        )
    if not math.isfinite(timeout) or timeout <= 0:
        raise ConfigurationError(f"tool {name!r}: timeout must be a positive number of seconds")
    return float(timeout)
