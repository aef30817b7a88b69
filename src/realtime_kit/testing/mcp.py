"""MCP tools for the fake server: a fake MCP server, tool listing, calls and approvals.

When a session's ``tools`` gain an ``{"type": "mcp", "server_label": ...}`` entry, the server lists
that MCP server's tools the way the real one does (a ``mcp_list_tools`` conversation item with
``mcp_list_tools.in_progress`` → ``.completed``, or ``.failed`` for an unknown label). When the
brain calls one of those tools, the response carries an ``mcp_call`` item with streamed arguments,
``response.mcp_call.in_progress`` → ``.completed`` (or ``.failed``) and the output; then the brain
answers from the result in the same response. With ``require_approval`` in force the response
instead ends with an ``mcp_approval_request`` item; the client's ``mcp_approval_response`` item
plus ``response.create`` lets the call run (or not).

Imports: the standard library and sibling testing modules.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from realtime_kit.testing.brain import ToolCall

if TYPE_CHECKING:
    from realtime_kit.testing._host import SessionHost
    from realtime_kit.testing._messages import ResponseSide

__all__ = ["FakeMcpServer", "McpToolError", "list_new_mcp_servers", "run_mcp_call"]

_ARG_CHUNK = 12


class McpToolError(Exception):
    """Raise from a :class:`FakeMcpServer` handler to make the call fail (``mcp_call.failed``)."""


@dataclass
class FakeMcpServer:
    """An MCP server the fake Realtime server can "reach".

    Args:
        tools: tool descriptions ``{"name", "input_schema", "description"?}``.
        handler: ``(name, arguments) -> output``; raise :class:`McpToolError` to fail the call.
            Default: a short JSON acknowledgement echoing the arguments.
        fail_listing: make the tool listing fail (``mcp_list_tools.failed``).
    """

    tools: Sequence[Mapping[str, Any]]
    handler: Callable[[str, Mapping[str, Any]], str] | None = None
    fail_listing: bool = False
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def call(self, name: str, arguments: Mapping[str, Any]) -> str:
        self.calls.append((name, dict(arguments)))
        if self.handler is not None:
            return self.handler(name, arguments)
        return json.dumps({"tool": name, "ok": True, "arguments": dict(arguments)})


def _allowed(tool: Mapping[str, Any], config: Mapping[str, Any]) -> bool:
    allowed = config.get("allowed_tools")
    if allowed is None:
        return True
    names = allowed if isinstance(allowed, list) else allowed.get("tool_names")
    return names is None or tool.get("name") in names


def needs_approval(config: Mapping[str, Any], name: str) -> bool:
    """Does ``require_approval`` (default ``"always"``, as on the real API) cover ``name``?"""
    rule = config.get("require_approval", "always")
    if rule == "never":
        return False
    if isinstance(rule, Mapping):
        never = (rule.get("never") or {}).get("tool_names") or []
        return name not in never
    return True


async def list_new_mcp_servers(session: SessionHost) -> None:
    """List the tools of every MCP server newly present in the session's ``tools``."""
    for tool in session.config.get("tools") or []:
        if not isinstance(tool, Mapping) or tool.get("type") != "mcp":
            continue
        label = str(tool.get("server_label"))
        if label in session.mcp_listed:
            session.mcp_listed[label] = dict(tool)  # approval rules may change; no re-listing
            continue
        session.mcp_listed[label] = dict(tool)
        item_id = session.wire.ids.new("item")
        item: dict[str, Any] = {"id": item_id, "type": "mcp_list_tools", "server_label": label}
        prev = session.insert_item({**item, "tools": []}, None)
        await session.send(
            {
                "type": "conversation.item.added",
                "previous_item_id": prev,
                "item": {**item, "tools": []},
            }
        )
        await session.send({"type": "mcp_list_tools.in_progress", "item_id": item_id})
        server = session.parts.mcp_servers.get(label)
        if server is None or server.fail_listing:
            await session.send({"type": "mcp_list_tools.failed", "item_id": item_id})
            continue
        tools = [dict(t) for t in server.tools if _allowed(t, tool)]
        for listed in tools:
            session.mcp_tools[str(listed["name"])] = label
        session.items[item_id]["tools"] = tools
        await session.send({"type": "mcp_list_tools.completed", "item_id": item_id})
        await session.send(
            {
                "type": "conversation.item.done",
                "previous_item_id": prev,
                "item": {**item, "tools": tools},
            }
        )


async def run_mcp_call(
    run: ResponseSide, call: ToolCall, index: int, *, approval_request_id: str | None = None
) -> str | None:
    """Stream an ``mcp_call`` item (or an approval request); returns the tool output, if any."""
    s = run.s
    label = s.mcp_tools[call.name]
    config = s.mcp_listed.get(label, {})
    arguments = call.arguments_json()
    if approval_request_id is None and needs_approval(config, call.name):
        request = {
            "id": s.wire.ids.new("mcpr"),
            "type": "mcp_approval_request",
            "server_label": label,
            "name": call.name,
            "arguments": arguments,
        }
        await run.add_item(request, index)
        await run.done_item(request, index)
        return None
    item: dict[str, Any] = {
        "id": s.wire.ids.new("mcp"),
        "type": "mcp_call",
        "server_label": label,
        "name": call.name,
        "arguments": "",
    }
    if approval_request_id is not None:
        item["approval_request_id"] = approval_request_id
    await run.add_item(item, index)
    common = {"response_id": run.id, "item_id": item["id"], "output_index": index}
    for i in range(0, len(arguments), _ARG_CHUNK):
        await s.send(
            {
                "type": "response.mcp_call_arguments.delta",
                **common,
                "delta": arguments[i : i + _ARG_CHUNK],
            }
        )
    await s.send({"type": "response.mcp_call_arguments.done", **common, "arguments": arguments})
    await s.send(
        {"type": "response.mcp_call.in_progress", "item_id": item["id"], "output_index": index}
    )
    item["arguments"] = arguments
    server = s.parts.mcp_servers.get(label)
    output: str | None = None
    try:
        if server is None:
            raise McpToolError(f"MCP server {label!r} is not reachable")
        output = server.call(call.name, json.loads(arguments) if arguments else {})
    except (McpToolError, ValueError) as exc:
        item["error"] = {"type": "tool_execution_error", "message": str(exc)}
        await s.send(
            {"type": "response.mcp_call.failed", "item_id": item["id"], "output_index": index}
        )
    else:
        item["output"] = output
        await s.send(
            {"type": "response.mcp_call.completed", "item_id": item["id"], "output_index": index}
        )
    await run.done_item(item, index)
    return output if output is not None else f"error: {item['error']['message']}"
