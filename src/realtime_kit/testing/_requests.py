"""Checking a ``response.create`` request of the fake server, and resolving its ``input``.

PROTOCOL.md §3 ("``response.create.response``"): per-response overrides of the session
(``instructions``, ``output_modalities``, ``audio.output``, ``tools``, ``tool_choice``,
``max_output_tokens``, ``reasoning``, ``prompt``, ``parallel_tool_calls``), ``conversation``
``"auto"`` | ``"none"`` (out of band), ``metadata`` (at most 16 pairs, keys up to 64 characters,
string values up to 512) and ``input`` — items, or ``{"type": "item_reference", "id"}`` naming an
item of the conversation; ``[]`` means no context at all.

A bad request is refused whole, with the error the real server would send, before any response
exists.

Imports: the standard library and sibling testing modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from realtime_kit.testing._items import ItemError, check_new_item
from realtime_kit.testing.config import (
    ConfigError,
    check_format,
    check_model_knobs,
    invalid_type,
    invalid_value,
)

if TYPE_CHECKING:
    from realtime_kit.testing._host import SessionHost

__all__ = ["RESPONSE_KEYS", "RequestError", "check_response_request"]

RESPONSE_KEYS = frozenset(
    {
        "audio",
        "conversation",
        "input",
        "instructions",
        "max_output_tokens",
        "metadata",
        "output_modalities",
        "parallel_tool_calls",
        "prompt",
        "reasoning",
        "tool_choice",
        "tools",
    }
)
_NULLABLE = frozenset({"metadata", "prompt"})
_METADATA_PAIRS = 16
_METADATA_KEY = 64
_METADATA_VALUE = 512


class RequestError(Exception):
    """A refused ``response.create``; fields are those of the wire ``error`` object."""

    def __init__(self, code: str, message: str, param: str | None) -> None:
        self.code = code
        self.message = message
        self.param = param
        super().__init__(message)


def _refuse(exc: ConfigError | ItemError) -> RequestError:
    return RequestError(exc.code, exc.message, exc.param)


def check_response_request(
    params: Mapping[str, Any], session: SessionHost
) -> list[Mapping[str, Any]] | None:
    """Check ``response.create``'s ``response`` object.

    Returns:
        The response's own input items (references resolved to the conversation's items), or
        None when it reads the conversation.

    Raises:
        RequestError: the first problem found, as the real server names it.
    """
    try:
        _check_fields(params)
    except ConfigError as exc:
        raise _refuse(exc) from None
    if "input" not in params:
        return None
    return _resolve_input(params["input"], session)


def _check_fields(params: Mapping[str, Any]) -> None:
    for key, value in params.items():
        path = f"response.{key}"
        if key not in RESPONSE_KEYS:
            raise ConfigError("unknown_parameter", f"Unknown parameter: '{path}'.", path)
        if value is None and key not in _NULLABLE:
            raise invalid_type(path, "a value", value)
    conversation = params.get("conversation", "auto")
    if conversation not in ("auto", "none"):
        raise invalid_value("response.conversation", conversation, ("auto", "none"))
    mods = params.get("output_modalities")
    if mods is not None and mods not in (["audio"], ["text"]):
        raise invalid_value("response.output_modalities", mods, ("audio", "text"))
    audio = params.get("audio")
    if audio is not None:
        if not isinstance(audio, Mapping):
            raise invalid_type("response.audio", "an object", audio)
        out = audio.get("output")
        if out is not None:
            if not isinstance(out, Mapping):
                raise invalid_type("response.audio.output", "an object", out)
            check_format("response.audio.output.format", out.get("format"))
            voice = out.get("voice")
            if voice is not None and not isinstance(voice, str | Mapping):
                raise invalid_type("response.audio.output.voice", "a string or an object", voice)
    check_model_knobs("response", params)
    _check_metadata(params.get("metadata"))


def _check_metadata(metadata: object) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, Mapping):
        raise invalid_type("response.metadata", "an object", metadata)
    if len(metadata) > _METADATA_PAIRS:
        raise ConfigError(
            "object_above_max_properties",
            f"Invalid 'response.metadata': too many properties. Expected an object with at most "
            f"{_METADATA_PAIRS} properties, but got an object with {len(metadata)} properties "
            "instead.",
            "response.metadata",
        )
    for key, value in metadata.items():
        path = f"response.metadata.{key}"
        if len(key) > _METADATA_KEY:
            raise ConfigError(
                "string_above_max_length",
                f"Invalid 'response.metadata': key '{key[:80]}' is longer than {_METADATA_KEY} "
                "characters.",
                "response.metadata",
            )
        if not isinstance(value, str):
            raise invalid_type(path, "a string", value)
        if len(value) > _METADATA_VALUE:
            raise ConfigError(
                "string_above_max_length",
                f"Invalid '{path}': string too long. Expected a string with maximum length "
                f"{_METADATA_VALUE}, but got a string with length {len(value)} instead.",
                path,
            )


def _resolve_input(entries: object, session: SessionHost) -> list[Mapping[str, Any]]:
    if not isinstance(entries, list):
        raise RequestError(
            "invalid_type",
            "Invalid type for 'response.input': expected an array.",
            "response.input",
        )
    items: list[Mapping[str, Any]] = []
    for i, entry in enumerate(entries):
        path = f"response.input[{i}]"
        if isinstance(entry, Mapping) and entry.get("type") == "item_reference":
            ref = session.items.get(str(entry.get("id")))
            if ref is None:
                raise RequestError(
                    "invalid_value", f"Item with item_id not found: {entry.get('id')}", path
                )
            items.append(ref)
            continue
        try:
            item, _audio = check_new_item(entry, session, path=path, fresh=False)
        except ItemError as exc:
            raise _refuse(exc) from None
        items.append(item)
    return items
