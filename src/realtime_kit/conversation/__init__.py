"""realtime_kit.conversation: the voice agent's tools (the Conversation itself joins them here).

* :func:`tool` / :class:`Tool` — a sync or async Python function as a Realtime function tool:
  JSON Schema from type hints, pydantic models and docstrings; validated arguments; timeout,
  approval, filler line and interruption policy;
* :class:`ToolSet` — the tools of one agent by name (plus MCP servers that pass through), which
  runs the calls of a response concurrently and never lets a tool crash the conversation;
* :class:`ToolCallRequest`, :class:`ToolContext`, :class:`ToolResult`, :class:`ToolOutcome` —
  one call's request, what the tool may know about it, and its typed record.

Imports: anyio, pydantic, ``errors``, ``events``. Never ``testing``.
"""

from __future__ import annotations

from realtime_kit.conversation._calls import (
    ToolCallRequest,
    ToolContext,
    ToolOutcome,
    ToolResult,
)
from realtime_kit.conversation._runner import Approver
from realtime_kit.conversation._tools import (
    ApprovalPolicy,
    InterruptPolicy,
    Tool,
    ToolOptions,
    tool,
)
from realtime_kit.conversation._toolset import CallHook, FillerHook, ResultHook, ToolSet

__all__ = [
    "ApprovalPolicy",
    "Approver",
    "CallHook",
    "FillerHook",
    "InterruptPolicy",
    "ResultHook",
    "Tool",
    "ToolCallRequest",
    "ToolContext",
    "ToolOptions",
    "ToolOutcome",
    "ToolResult",
    "ToolSet",
    "tool",
]
