"""Planning a restore: what to send to a fresh session so it continues an old one.

A Realtime session cannot be resumed; a reconnect (or a proactive rollover) opens a new one.
:func:`plan_restore` reads an old session's :class:`~realtime_kit.protocol.RealtimeProtocol`
and returns the events that re-create it as far as the API allows: one ``session.update`` with
the confirmed config, then one ``conversation.item.create`` per replayable item, in order.
Audio cannot be replayed into history, so spoken turns come back as their transcripts (text);
what cannot come back is listed in :attr:`RestorePlan.lost` with the reason.

Imports: the standard library, :mod:`realtime_kit.events` and ``protocol`` siblings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from realtime_kit.events import ClientEvent, decode_client_event
from realtime_kit.protocol.core import RealtimeProtocol
from realtime_kit.protocol.records import ItemRecord

__all__ = ["LostState", "RestorePlan", "plan_restore", "session_update_payload"]

_SERVER_ONLY: Final = frozenset({"id", "object", "expires_at", "model", "client_secret"})


@dataclass(frozen=True, slots=True)
class LostState:
    """Something the new session does not have. ``what`` names it; ``reason`` says why."""

    what: str
    reason: str


@dataclass(slots=True)
class RestorePlan:
    """Events to send to the new session, and the accounting of what they cover."""

    events: list[ClientEvent] = field(default_factory=list)
    restored_config: bool = False
    restored_items: list[str] = field(default_factory=list)
    lost: list[LostState] = field(default_factory=list)


def session_update_payload(kind: str, session: dict[str, Any]) -> dict[str, Any]:
    """The ``session`` of a ``session.update`` that re-applies a confirmed config."""
    if kind == "translation":
        audio = session.get("audio") or {}
        payload_audio: dict[str, Any] = {}
        audio_input = audio.get("input") or {}
        kept = {k: audio_input[k] for k in ("transcription", "noise_reduction") if k in audio_input}
        if kept:
            payload_audio["input"] = kept
        language = (audio.get("output") or {}).get("language")
        if language is not None:
            payload_audio["output"] = {"language": language}
        return {"audio": payload_audio}
    payload = {k: v for k, v in session.items() if k not in _SERVER_ONLY}
    payload["type"] = kind
    return payload


def _event(payload: dict[str, Any]) -> ClientEvent:
    return decode_client_event(json.dumps(payload))


def _replay_item(record: ItemRecord) -> tuple[dict[str, Any] | None, str]:
    item = record.item
    kind = record.type
    if kind == "message":
        role = record.role
        parts: list[dict[str, Any]] = []
        content = item.get("content") if isinstance(item.get("content"), list) else []
        count = max(len(content or []), max(record.texts, default=-1) + 1)
        for index in range(count):
            part = (content or [])[index] if index < len(content or []) else {}
            part_type = part.get("type") if isinstance(part, dict) else None
            text = record.texts.get(index)
            if part_type in ("input_text", "output_text", "text") and text is None:
                text = part.get("text")
            if part_type == "input_image" and role == "user" and part.get("image_url"):
                parts.append(
                    {k: v for k, v in part.items() if k in ("type", "image_url", "detail")}
                )
            elif isinstance(text, str) and text:
                parts.append(
                    {"type": "output_text" if role == "assistant" else "input_text", "text": text}
                )
        if not parts:
            return None, "no text or transcript to replay (audio cannot be re-inserted)"
        return {"id": record.id, "type": "message", "role": role, "content": parts}, ""
    if kind == "function_call":
        if not record.done and item.get("status") != "completed":
            return None, "function call was still being generated"
        keys: tuple[str, ...] = ("id", "type", "name", "arguments", "call_id")
        return {k: item[k] for k in keys if k in item}, ""
    if kind == "function_call_output":
        keys = ("id", "type", "call_id", "output")
        return {k: item[k] for k in keys if k in item}, ""
    return None, f"{kind or 'unknown'} items cannot be created by a client"


def plan_restore(
    old: RealtimeProtocol, *, replay_history: bool = True, audio_replayed: bool = False
) -> RestorePlan:
    """Plan the events that carry ``old``'s config and history into a new session.

    ``audio_replayed`` says the caller re-sends the uncommitted input audio itself, so it is
    not reported lost. Next: after the new session's ``session.created``, send
    ``plan.events`` in order.
    """
    plan = RestorePlan()
    if old.session is not None:
        plan.events.append(
            _event(
                {"type": "session.update", "session": session_update_payload(old.kind, old.session)}
            )
        )
        plan.restored_config = True
    active = old.active_response
    if active is not None:
        plan.lost.append(LostState(f"response {active.id or '(requested)'}", f"was {active.state}"))
    if old.buffered_input_ms > 0 and not audio_replayed:
        plan.lost.append(
            LostState(
                f"{old.buffered_input_ms:.0f} ms of uncommitted input audio",
                "not yet part of any item",
            )
        )
    if old.kind != "realtime" or not replay_history:
        return plan
    for record in old.items:
        if (
            record.response_id is not None
            and active is not None
            and record.response_id == active.id
        ):
            plan.lost.append(LostState(f"item {record.id}", "belonged to the interrupted response"))
            continue
        item, reason = _replay_item(record)
        if item is None:
            plan.lost.append(LostState(f"item {record.id}", reason))
            continue
        plan.events.append(_event({"type": "conversation.item.create", "item": item}))
        plan.restored_items.append(record.id)
    return plan
