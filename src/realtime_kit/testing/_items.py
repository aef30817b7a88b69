"""Conversation item events of a realtime session: create (with validation), delete, retrieve,
truncate.

:class:`ItemHandlers` is mixed into :class:`~realtime_kit.testing._realtime.RealtimeSession`; it
keeps the item rules in one place.

Imports: pybase64, the standard library, sibling testing modules.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import pybase64

from realtime_kit.testing._audio import BYTES_PER_MS, from_pcm24, to_pcm24

if TYPE_CHECKING:
    from realtime_kit.testing._parts import ServerParts
    from realtime_kit.testing._wire import Wire
    from realtime_kit.testing.faults import Faults

__all__ = ["ItemError", "ItemHandlers", "ItemHost", "check_new_item", "heard_words"]

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


class ItemHost(Protocol):
    """What checking a new item reads of its session (the realtime session is one; this module
    names only these, so it does not import the session's module, which mixes in this one's)."""

    @property
    def wire(self) -> Wire: ...

    @property
    def items(self) -> dict[str, dict[str, Any]]: ...

    @property
    def config(self) -> dict[str, Any]: ...


def _missing(path: str) -> ItemError:
    return ItemError("missing_required_parameter", f"Missing required parameter: '{path}'.", path)


def check_new_item(
    raw: Any, session: ItemHost, *, path: str = "item", fresh: bool = True
) -> tuple[dict[str, Any], bytes | None]:
    """Check an item to create; returns the stored form (no audio bytes) and its audio, if any.

    ``path`` names the item in errors (``response.input[2]`` for a response's own input);
    ``fresh`` items get an id and may not reuse one already in the conversation.

    Raises:
        ItemError: the item is malformed or not allowed (e.g. assistant audio).
    """
    if not isinstance(raw, dict):
        raise _missing(path)
    if "type" not in raw:
        raise _missing(f"{path}.type")
    item_type = raw.get("type")
    if item_type not in _ITEM_TYPES:
        raise ItemError(
            "invalid_value",
            f"Invalid value: '{item_type}'. Supported values are: "
            + ", ".join(f"'{t}'" for t in _ITEM_TYPES)
            + ".",
            f"{path}.type",
        )
    item_id = raw.get("id") or session.wire.ids.new("item")
    if not isinstance(item_id, str):
        raise ItemError(
            "invalid_type", "Invalid type for item id: expected a string.", f"{path}.id"
        )
    if fresh and item_id in session.items:
        raise ItemError("invalid_value", f"Item with id '{item_id}' already exists.", f"{path}.id")
    item: dict[str, Any] = {**raw, "id": item_id}
    if not str(item_type).startswith("mcp_"):
        # MCP items carry no object/status on the wire (SDK 3.51.0 types).
        item.update({"object": "realtime.item", "status": "completed"})
    audio: bytes | None = None
    if item_type == "message":
        role = raw.get("role")
        if not isinstance(role, str) or role not in _CONTENT_TYPES:
            raise ItemError(
                "invalid_value",
                f"Invalid value: '{role}'. Supported values are: 'user', 'system', 'assistant'.",
                f"{path}.role",
            )
        content = raw.get("content")
        if not isinstance(content, list):
            raise _missing(f"{path}.content")
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
                    f"{path}.content[{i}].type",
                )
            assert isinstance(part, dict)
            stored = dict(part)
            if ptype == "input_audio":
                encoded = part.get("audio")
                if not isinstance(encoded, str):
                    raise _missing(f"{path}.content[{i}].audio")
                try:
                    data = pybase64.b64decode(encoded, validate=True)
                except (binascii.Error, ValueError) as exc:
                    raise ItemError(
                        "invalid_value", "Invalid base64 audio.", f"{path}.content[{i}].audio"
                    ) from exc
                audio = to_pcm24(session.config["audio"]["input"]["format"], data)
                stored.pop("audio", None)
                stored.setdefault("transcript", None)
            elif ptype in ("input_text", "output_text") and not isinstance(part.get("text"), str):
                raise _missing(f"{path}.content[{i}].text")
            parts.append(stored)
        item["content"] = parts
    elif item_type == "function_call_output":
        if not isinstance(raw.get("call_id"), str):
            raise _missing(f"{path}.call_id")
        if not isinstance(raw.get("output"), str):
            raise _missing(f"{path}.output")
    elif item_type == "function_call":
        for key in ("name", "arguments"):
            if not isinstance(raw.get(key), str):
                raise _missing(f"{path}.{key}")
    return item, audio


class ItemHandlers:
    """``conversation.item.*`` handlers; mixed into the realtime session."""

    if TYPE_CHECKING:
        items: dict[str, dict[str, Any]]
        order: list[str]
        audio: dict[str, bytes]
        heard: dict[str, str]
        truncated: dict[str, int]
        speech_plan: dict[str, tuple[str, int]]
        parts: ServerParts
        faults: list[Faults]
        config: dict[str, Any]

        def insert_item(self, item: dict[str, Any], previous_item_id: str | None) -> str | None: ...

        async def send(self, event: dict[str, Any]) -> None: ...

        async def _error(
            self, code: str, message: str, eid: Any, param: str | None = None
        ) -> None: ...

    # conversation items --------------------------------------------------------------------
    async def _on_conversation_item_create(self, event: dict[str, Any], eid: Any) -> None:
        prev_req = event.get("previous_item_id")
        try:
            item, audio = check_new_item(event.get("item"), self)  # type: ignore[arg-type]
        except ItemError as exc:
            await self._error(exc.code, exc.message, eid, exc.param)
            return
        if prev_req is not None and prev_req != "root" and prev_req not in self.items:
            await self._error(
                "invalid_value",
                f"Previous item with item_id not found: {prev_req}",
                eid,
                "previous_item_id",
            )
            return
        if audio is not None:
            self.audio[item["id"]] = audio
            heard = self.parts.recognizer.recognize(audio)
            self.heard[item["id"]] = heard
        prev = self.insert_item(item, prev_req)
        await self.send({"type": "conversation.item.added", "previous_item_id": prev, "item": item})
        await self.send({"type": "conversation.item.done", "previous_item_id": prev, "item": item})

    async def _on_conversation_item_delete(self, event: dict[str, Any], eid: Any) -> None:
        item_id = event.get("item_id")
        if item_id not in self.items:
            await self._error(
                "item_delete_invalid_item_id",
                f"Item with item_id not found: {item_id}",
                eid,
                "item_id",
            )
            return
        self.order.remove(item_id)
        del self.items[item_id]
        self.audio.pop(item_id, None)
        self.truncated.pop(item_id, None)
        self.speech_plan.pop(item_id, None)
        await self.send({"type": "conversation.item.deleted", "item_id": item_id})

    async def _on_conversation_item_retrieve(self, event: dict[str, Any], eid: Any) -> None:
        item_id = event.get("item_id")
        if item_id not in self.items:
            await self._error(
                "item_retrieve_invalid_item_id",
                f"Item with item_id not found: {item_id}",
                eid,
                "item_id",
            )
            return
        item = json.loads(json.dumps(self.items[item_id]))
        pcm = self.audio.get(item_id)
        if pcm is not None:
            side = "input" if item.get("role") == "user" else "output"
            wire_audio = from_pcm24(self.config["audio"][side]["format"], pcm)
            for part in item.get("content") or []:
                if part.get("type") in ("input_audio", "output_audio"):
                    part["audio"] = pybase64.b64encode(wire_audio).decode("ascii")
        await self.send({"type": "conversation.item.retrieved", "item": item})

    async def _on_conversation_item_truncate(self, event: dict[str, Any], eid: Any) -> None:
        item_id = event.get("item_id")
        content_index = event.get("content_index")
        end_ms = event.get("audio_end_ms")
        item = self.items.get(str(item_id))
        if item is None:
            await self._error(
                "item_truncate_invalid_item_id",
                f"Item with item_id not found: {item_id}",
                eid,
                "item_id",
            )
            return
        if not _has_audio(item, self.speech_plan):
            await self._error(
                "invalid_value",
                "Only assistant messages with audio content can be truncated.",
                eid,
                "content_index",
            )
            return
        if content_index != 0:
            await self._error(
                "invalid_value",
                f"Invalid 'content_index': the item has no content part {content_index}; its "
                "audio is part 0.",
                eid,
                "content_index",
            )
            return
        rejection = None
        for faults in self.faults:
            rejection = rejection or faults.take_truncate_rejection()
        if rejection is not None:
            await self._error("invalid_value", rejection, eid, "audio_end_ms")
            return
        if isinstance(end_ms, bool) or not isinstance(end_ms, int) or end_ms < 0:
            await self._error(
                "invalid_value", "'audio_end_ms' must be 0 or more.", eid, "audio_end_ms"
            )
            return
        # Measured against the audio sent so far, wherever the item's stream is.
        pcm = self.audio.get(item["id"], b"")
        sent_ms = len(pcm) / BYTES_PER_MS
        if end_ms > sent_ms:
            await self._error(
                "invalid_value",
                f"Audio content of {int(sent_ms)}ms is already shorter than {end_ms}ms",
                eid,
                "audio_end_ms",
            )
            return
        kept = int(end_ms * BYTES_PER_MS) & ~1
        text, total = self.speech_plan.get(item["id"], (_transcript(item), len(pcm)))
        self.audio[item["id"]] = pcm[:kept]
        self.truncated[item["id"]] = end_ms
        if item.get("content"):
            item["content"][0]["transcript"] = heard_words(text, kept / total if total else 0.0)
        await self.send(
            {
                "type": "conversation.item.truncated",
                "item_id": item["id"],
                "content_index": 0,
                "audio_end_ms": end_ms,
            }
        )


def _has_audio(item: Mapping[str, Any], speech_plan: Mapping[str, Any]) -> bool:
    """An assistant message with an audio part — or one whose audio is about to stream."""
    if item.get("type") != "message" or item.get("role") != "assistant":
        return False
    if item.get("id") in speech_plan:
        return True
    content = item.get("content") or []
    return bool(content) and content[0].get("type") == "output_audio"


def _transcript(item: Mapping[str, Any]) -> str:
    content = item.get("content") or []
    return str(content[0].get("transcript") or "") if content else ""


def heard_words(text: str, fraction: float) -> str:
    """The words of ``text`` a listener heard when ``fraction`` (0…1) of its speech was played.

    Words are placed along the speech in proportion to their characters (no word timings exist in
    the fake); a word counts as heard once its last character's share of the text has played.
    """
    words = text.split()
    if not words or fraction <= 0:
        return ""
    total = len(" ".join(words))
    heard: list[str] = []
    end = 0
    for word in words:
        end += len(word) + (1 if heard else 0)
        if end / total > fraction + 1e-9:
            break
        heard.append(word)
    return " ".join(heard)
