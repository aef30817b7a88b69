"""Validation of client-created conversation items (``conversation.item.create``).

Imports: pybase64, the standard library, sibling testing modules.
"""

from __future__ import annotations

import binascii
from typing import TYPE_CHECKING, Any

import pybase64

from realtime_kit.testing._audio import to_pcm24

if TYPE_CHECKING:
    from realtime_kit.testing._realtime import RealtimeSession

__all__ = ["ItemError", "check_new_item"]

_CONTENT_TYPES = {
    "user": ("input_text", "input_audio", "input_image"),
    "system": ("input_text",),
    "assistant": ("output_text",),
}
_ITEM_TYPES = (
    "message",
    "function_call",
    "function_call_output",
    "mcp_approval_response",
)


class ItemError(Exception):
    """A rejected item; fields are those of the wire ``error`` object."""

    def __init__(self, code: str, message: str, param: str) -> None:
        self.code = code
        self.message = message
        self.param = param
        super().__init__(message)


def _missing(path: str) -> ItemError:
    return ItemError("missing_required_parameter", f"Missing required parameter: '{path}'.", path)


def check_new_item(raw: Any, session: RealtimeSession) -> tuple[dict[str, Any], bytes | None]:
    """Check an item to create; returns the stored form (no audio bytes) and its audio, if any.

    Raises:
        ItemError: the item is malformed or not allowed (e.g. assistant audio).
    """
    if not isinstance(raw, dict):
        raise _missing("item")
    item_type = raw.get("type")
    if item_type not in _ITEM_TYPES:
        raise ItemError(
            "invalid_value",
            f"Invalid value: '{item_type}'. Supported values are: "
            + ", ".join(f"'{t}'" for t in _ITEM_TYPES)
            + ".",
            "item.type",
        )
    item_id = raw.get("id") or session.wire.ids.new("item")
    if item_id in session.items:
        raise ItemError("invalid_value", f"Item with id '{item_id}' already exists.", "item.id")
    item: dict[str, Any] = {**raw, "id": item_id, "object": "realtime.item", "status": "completed"}
    audio: bytes | None = None
    if item_type == "message":
        role = raw.get("role")
        if role not in _CONTENT_TYPES:
            raise ItemError(
                "invalid_value",
                f"Invalid value: '{role}'. Supported values are: 'user', 'system', 'assistant'.",
                "item.role",
            )
        content = raw.get("content")
        if not isinstance(content, list):
            raise _missing("item.content")
        parts: list[dict[str, Any]] = []
        for i, part in enumerate(content):
            ptype = part.get("type") if isinstance(part, dict) else None
            if ptype not in _CONTENT_TYPES[role]:
                hint = (
                    " Assistant audio cannot be created; send text instead."
                    if ptype == "output_audio"
                    else ""
                )
                raise ItemError(
                    "invalid_value",
                    f"Invalid value: '{ptype}'. Supported values are: "
                    + ", ".join(f"'{t}'" for t in _CONTENT_TYPES[role])
                    + "."
                    + hint,
                    f"item.content[{i}].type",
                )
            assert isinstance(part, dict)
            stored = dict(part)
            if ptype == "input_audio":
                encoded = part.get("audio")
                if not isinstance(encoded, str):
                    raise _missing(f"item.content[{i}].audio")
                try:
                    data = pybase64.b64decode(encoded, validate=True)
                except (binascii.Error, ValueError) as exc:
                    raise ItemError(
                        "invalid_value", "Invalid base64 audio.", f"item.content[{i}].audio"
                    ) from exc
                audio = to_pcm24(session.config["audio"]["input"]["format"], data)
                stored.pop("audio", None)
                stored.setdefault("transcript", None)
            elif ptype in ("input_text", "output_text") and not isinstance(part.get("text"), str):
                raise _missing(f"item.content[{i}].text")
            parts.append(stored)
        item["content"] = parts
    elif item_type == "function_call_output":
        if not isinstance(raw.get("call_id"), str):
            raise _missing("item.call_id")
        if not isinstance(raw.get("output"), str):
            raise _missing("item.output")
    elif item_type == "function_call":
        for key in ("name", "arguments"):
            if not isinstance(raw.get(key), str):
                raise _missing(f"item.{key}")
    return item, audio
