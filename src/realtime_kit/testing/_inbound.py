"""Reading client frames through the event layer, and turning bad ones into real ``error`` events.

Every frame a client sends gets an answer the real server could give, whatever it holds; nothing a
client sends may stop a session. The checks run cheapest first:

1. the text must parse as JSON (depth-limited, so ``"[" * 100000`` is a parse error, not a crash)
   → else ``invalid_json``;
2. it must be an object, with a string ``event_id`` if any and a string ``type``
   → else ``invalid_type`` / ``missing_required_parameter``; only a string ``event_id`` is ever
   echoed back in ``error.event_id``;
3. ``type`` must be an event this session kind accepts → else ``invalid_value`` on ``type``
   (PROTOCOL.md §8);
4. the project's typed models (:class:`realtime_kit.events.EventDecoder`) check the fields →
   missing field ``missing_required_parameter``, wrong JSON type ``invalid_type``, bad value
   ``invalid_value``, with ``param`` the dotted path (``session.audio.input.format.rate``).

Session logic then works on the event's wire form. The real service's code for unparsable JSON is
not in the stored sources (PROTOCOL.md §11); ``invalid_json`` is this server's choice.

Imports: pydantic_core, the event layer, the standard library, sibling testing modules.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pydantic_core

from realtime_kit.errors import DecodeError
from realtime_kit.events import EventDecoder, UnknownClientEvent
from realtime_kit.testing._parts import error_event, json_type

__all__ = ["read_client_frame"]

_log = logging.getLogger("realtime_kit.testing")
# Pydantic's words for a JSON type (after "Input should be [a valid]") → the error's words.
_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "list": "an array",
    "array": "an array",
    "dictionary": "an object",
    "an object": "an object",
}

# The server keeps its own decoder so its drift counts never mix with the client library's.
_DECODER = EventDecoder()


def _supported(etype: object, allowed: tuple[str, ...]) -> dict[str, Any]:
    return error_event(
        "invalid_value",
        f"Invalid value: '{etype}'. Supported values are: "
        + ", ".join(f"'{t}'" for t in allowed)
        + ".",
        param="type",
    )


def _precheck(text: str, allowed: tuple[str, ...]) -> tuple[dict[str, Any] | None, str | None]:
    """(an error to send, or None; the frame's ``event_id`` if it is a string)."""
    try:
        raw = pydantic_core.from_json(text)
    except ValueError as exc:
        # pydantic_core stops at 200 levels of nesting: a deep frame is a parse error here.
        detail = str(exc).removeprefix("Invalid JSON: ")
        return error_event("invalid_json", f"The server could not parse the JSON: {detail}."), None
    if not isinstance(raw, dict):
        return (
            error_event(
                "invalid_type",
                f"Invalid type for event: expected an object, but got {json_type(raw)} instead.",
            ),
            None,
        )
    # null is taken as "no event_id" (the SDK models it as optional); any other non-string is
    # refused, and never echoed: error.event_id is a string or null.
    eid = raw.get("event_id")
    if eid is not None and not isinstance(eid, str):
        return (
            error_event(
                "invalid_type",
                "Invalid type for 'event_id': expected a string, but got "
                f"{json_type(eid)} instead.",
                param="event_id",
            ),
            None,
        )
    etype = raw.get("type")
    if "type" not in raw:
        return (
            error_event(
                "missing_required_parameter",
                "Missing required parameter: 'type'.",
                param="type",
                event_id=eid,
            ),
            eid,
        )
    if not isinstance(etype, str):
        return (
            error_event(
                "invalid_type",
                f"Invalid type for 'type': expected a string, but got {json_type(etype)} instead.",
                param="type",
                event_id=eid,
            ),
            eid,
        )
    if etype not in allowed:
        error = _supported(etype, allowed)
        error["error"]["event_id"] = eid
        return error, eid
    return None, eid


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _value_at(raw: Any, path: str) -> tuple[bool, Any]:
    """(found, value) at a dotted wire path such as ``response.input[0].id`` in the raw frame."""
    value = raw
    for name, index in _STEP.findall(path):
        if name and isinstance(value, dict) and name in value:
            value = value[name]
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return False, None
    return True, value


def _from_decode_error(exc: DecodeError, raw: Any, eid: str | None) -> dict[str, Any]:
    message = str(exc.args[0]) if exc.args else str(exc)
    field = exc.field
    if field is None:
        return error_event("invalid_value", f"Invalid event: {message}.", param=None, event_id=eid)
    lowered = message.lower()
    if "required" in lowered:
        return error_event(
            "missing_required_parameter",
            f"Missing required parameter: '{field}'.",
            param=field,
            event_id=eid,
        )
    # Pydantic says "Input should be a valid <type>" (or "an object") for a wrong JSON type,
    # and "Input should be 'a' or 'b'" / "greater than" for a wrong value of the right type.
    first = message.split(";")[0].split(",")[0]
    found, value = _value_at(raw, field)
    wanted = _TYPE_WORDS.get(first.removeprefix("Input should be ").removeprefix("a valid "))
    if wanted is not None and found:
        return error_event(
            "invalid_type",
            f"Invalid type for '{field}': expected {wanted}, but got {json_type(value)} instead.",
            param=field,
            event_id=eid,
        )
    return error_event(
        "invalid_value",
        f"Invalid value for '{field}': {first}.",
        param=field,
        event_id=eid,
    )


_ARTICLE = {"array": "an array", "object": "an object", "integer": "an integer"}


def _coerced(raw: Any, wire: Any, path: str) -> tuple[str, str, Any] | None:
    """Where the typed models converted a value of another JSON type (``"10"`` → 10,
    ``1`` → true), as (path, expected, value). The real server does not convert: it refuses."""
    if isinstance(raw, dict) and isinstance(wire, dict):
        for key, value in raw.items():
            if key in wire:
                found = _coerced(value, wire[key], f"{path}.{key}" if path else key)
                if found is not None:
                    return found
        return None
    if isinstance(raw, list) and isinstance(wire, list):
        for index, (value, kept) in enumerate(zip(raw, wire, strict=False)):
            found = _coerced(value, kept, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    raw_type, wire_type = json_type(raw), json_type(wire)
    if raw_type == wire_type:
        return None
    wanted = "integer" if isinstance(wire, int) and not isinstance(wire, bool) else wire_type
    return path, _ARTICLE.get(wanted, f"a {wanted}"), raw


def read_client_frame(text: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    """Decode a client frame; returns its wire form, or an ``error`` event (``type == "error"``)
    to send back instead. ``allowed`` lists the event types this session kind accepts."""
    rejection, eid = _precheck(text, allowed)
    if rejection is not None:
        return rejection
    try:
        event = _DECODER.decode_client(text)
    except DecodeError as exc:
        return _from_decode_error(exc, pydantic_core.from_json(text), eid)
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        # The decoder promises DecodeError and nothing else (issue 12); a server that other
        # people's tests lean on must not depend on that promise to stay up.
        _log.warning("the event decoder raised %s on a client frame", type(exc).__name__)
        return error_event(
            "invalid_value", "Invalid event: a field has a value of the wrong shape.", event_id=eid
        )
    wire: dict[str, Any] = event.model_dump(mode="json", exclude_unset=True, by_alias=True)
    coerced = _coerced(pydantic_core.from_json(text), wire, "")
    if coerced is not None:
        path, expected, value = coerced
        return error_event(
            "invalid_type",
            f"Invalid type for '{path}': expected {expected}, but got {json_type(value)} instead.",
            param=path,
            event_id=eid,
        )
    if isinstance(event, UnknownClientEvent):
        # A type this session accepts that the project's schema does not model: refuse it the
        # same way as any unknown type rather than act on an unchecked payload.
        error = _supported(wire.get("type"), allowed)
        error["error"]["event_id"] = eid
        return error
    return wire
