"""Reading client frames through the event layer, and turning bad ones into real ``error`` events.

The server reads every frame with :class:`realtime_kit.events.EventDecoder` (the project's typed
models); a frame they reject becomes the ``error`` the real server would send (missing field →
``missing_required_parameter``, wrong type → ``invalid_type``, unknown event type →
``invalid_value`` on ``type``). Session logic then works on the event's wire form.

Imports: the event layer, the standard library, sibling testing modules.
"""

from __future__ import annotations

import json
from typing import Any

from realtime_kit.errors import DecodeError
from realtime_kit.events import EventDecoder, UnknownClientEvent
from realtime_kit.testing._parts import error_event

__all__ = ["read_client_frame"]

# The server keeps its own decoder so its drift counts never mix with the client library's.
_DECODER = EventDecoder()


def _event_id(text: str) -> Any:
    try:
        raw = json.loads(text)
    except ValueError:
        return None
    return raw.get("event_id") if isinstance(raw, dict) else None


def read_client_frame(text: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    """Decode a client frame; returns its wire form, or an ``error`` event (``type == "error"``)
    to send back instead. ``allowed`` lists the event types this session kind accepts."""
    try:
        event = _DECODER.decode_client(text)
    except DecodeError as exc:
        eid = _event_id(text)
        message = str(exc.args[0]) if exc.args else str(exc)
        field = exc.field
        if field is None:
            if "JSON" in message:
                return error_event("invalid_json", "The server could not parse the JSON.")
            return error_event(
                "missing_required_parameter",
                "Missing required parameter: 'type'.",
                param="type",
                event_id=eid,
            )
        if "required" in message.lower():
            return error_event(
                "missing_required_parameter",
                f"Missing required parameter: '{field}'.",
                param=field,
                event_id=eid,
            )
        return error_event(
            "invalid_type" if "valid" in message.lower() else "invalid_value",
            f"Invalid value for '{field}': {message.split(';')[0]}.",
            param=field,
            event_id=eid,
        )
    wire: dict[str, Any] = event.model_dump(mode="json", exclude_unset=True, by_alias=True)
    etype = wire.get("type")
    if isinstance(event, UnknownClientEvent) or etype not in allowed:
        return error_event(
            "invalid_value",
            f"Invalid value: '{etype}'. Supported values are: "
            + ", ".join(f"'{t}'" for t in allowed)
            + ".",
            param="type",
            event_id=wire.get("event_id"),
        )
    return wire
