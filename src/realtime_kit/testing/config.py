"""Session configuration for the fake server: real defaults, and validation of ``session.update``.

Validation follows the real server's habits: an unknown key anywhere rejects the whole update
with ``unknown_parameter`` and the dotted path (``session.audio.input.foo``); a wrong value gives
``invalid_value``, a wrong JSON type ``invalid_type``, a missing ``type``
``missing_required_parameter``.
Updates merge partially: keys present change, keys absent stay, ``null`` clears.

Imports: the standard library, `realtime_kit.transcriber` (its list of transcription models), and
``testing._parts``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from realtime_kit.testing._parts import json_type
from realtime_kit.transcriber import TRANSCRIPTION_MODELS as _TRANSCRIPTION_MODELS

__all__ = [
    "REALTIME_MODELS",
    "TRANSCRIPTION_MODELS",
    "TRANSLATION_MODELS",
    "ConfigError",
    "check_format",
    "check_model_knobs",
    "default_realtime_session",
    "default_transcription_session",
    "default_translation_session",
    "invalid_type",
    "invalid_value",
    "merge_update",
    "validate_update",
]

REALTIME_MODELS = frozenset(
    {
        "gpt-realtime-2.1",
        "gpt-realtime-2.1-mini",
        "gpt-realtime-2",
        "gpt-realtime-1.5",
        "gpt-realtime",
        "gpt-realtime-2025-08-28",
        "gpt-realtime-mini",
        "gpt-realtime-mini-2025-10-06",
        "gpt-realtime-mini-2025-12-15",
        "gpt-audio-1.5",
        "gpt-audio-mini",
        "gpt-audio-mini-2025-10-06",
        "gpt-audio-mini-2025-12-15",
    }
)
# The models a transcription session accepts: one list for the SDK and its fake (PROTOCOL §2.6).
TRANSCRIPTION_MODELS = frozenset(_TRANSCRIPTION_MODELS)
TRANSLATION_MODELS = frozenset({"gpt-realtime-translate"})

DEFAULT_INSTRUCTIONS = (
    "Your knowledge cutoff is 2023-10. You are a helpful, witty, and friendly AI. Act like a human."
)
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar")


class ConfigError(Exception):
    """A rejected update; fields are those of the wire ``error`` object."""

    def __init__(self, code: str, message: str, param: str | None) -> None:
        self.code = code
        self.message = message
        self.param = param
        super().__init__(message)


def _server_vad() -> dict[str, Any]:
    return {
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 200,
        "idle_timeout_ms": None,
        "create_response": True,
        "interrupt_response": True,
    }


def _pcm() -> dict[str, Any]:
    return {"type": "audio/pcm", "rate": 24000}


def default_realtime_session(session_id: str, model: str, expires_at: int) -> dict[str, Any]:
    """The ``session.created`` payload of a new realtime session."""
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": session_id,
        "model": model,
        "output_modalities": ["audio"],
        "instructions": DEFAULT_INSTRUCTIONS,
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "expires_at": expires_at,
        "audio": {
            "input": {
                "format": _pcm(),
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": _server_vad(),
            },
            "output": {"format": _pcm(), "voice": "alloy", "speed": 1.0},
        },
        "include": None,
    }


def default_transcription_session(session_id: str, expires_at: int) -> dict[str, Any]:
    """The ``session.created`` payload of a new transcription session."""
    return {
        "type": "transcription",
        "object": "realtime.transcription_session",
        "id": session_id,
        "expires_at": expires_at,
        "audio": {
            "input": {
                "format": _pcm(),
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": _server_vad(),
            }
        },
        "include": None,
    }


def default_translation_session(session_id: str, model: str, expires_at: int) -> dict[str, Any]:
    """The ``session.created`` payload of a new translation session."""
    return {
        "id": session_id,
        "type": "translation",
        "model": model,
        "expires_at": expires_at,
        "audio": {
            "input": {"transcription": None, "noise_reduction": None},
            "output": {"language": "en"},
        },
    }


# Allowed keys: a dict maps to its children; None is a leaf checked by _check_value.
_FORMAT = {"type": None, "rate": None}
_TRANSCRIPTION = {
    "model": None,
    "language": None,
    "languages": None,
    "prompt": None,
    "keywords": None,
    "delay": None,
}
_NOISE = {"type": None, "strength": None}
_VAD_KEYS = {
    "server_vad": {
        "type",
        "threshold",
        "prefix_padding_ms",
        "silence_duration_ms",
        "idle_timeout_ms",
        "create_response",
        "interrupt_response",
    },
    "semantic_vad": {"type", "eagerness", "create_response", "interrupt_response"},
}
_INPUT = {
    "format": _FORMAT,
    "transcription": _TRANSCRIPTION,
    "noise_reduction": _NOISE,
    "turn_detection": None,
}
_REALTIME_KEYS: dict[str, Any] = {
    "type": None,
    "model": None,
    "output_modalities": None,
    "instructions": None,
    "prompt": None,
    "audio": {"input": _INPUT, "output": {"format": _FORMAT, "voice": None, "speed": None}},
    "tools": None,
    "tool_choice": None,
    "parallel_tool_calls": None,
    "reasoning": None,
    "max_output_tokens": None,
    "truncation": None,
    "tracing": None,
    "include": None,
}
_TRANSCRIPTION_KEYS: dict[str, Any] = {"type": None, "audio": {"input": _INPUT}, "include": None}
_TRANSLATION_KEYS: dict[str, Any] = {
    "type": None,
    "model": None,
    "audio": {
        "input": {"transcription": {"model": None}, "noise_reduction": _NOISE},
        "output": {"language": None},
    },
}


def invalid_type(path: str, expected: str, value: object) -> ConfigError:
    """``invalid_type`` for ``path``: what was expected and which JSON type came instead."""
    return ConfigError(
        "invalid_type",
        f"Invalid type for '{path}': expected {expected}, but got {json_type(value)} instead.",
        path,
    )


def invalid_value(
    path: str, value: object, supported: tuple[str, ...] | None = None
) -> ConfigError:
    """``invalid_value`` for ``path``, listing the supported values when given."""
    message = f"Invalid value: '{value}'."
    if supported:
        message += " Supported values are: " + ", ".join(f"'{s}'" for s in supported) + "."
    return ConfigError("invalid_value", message, path)


# The fields that take null (it clears them or means "off"); null anywhere else is a wrong type
# (PROTOCOL.md §2.1, §2.4) — a session whose ``audio.input`` became null would have no input.
_NULLABLE = frozenset(
    {
        "session.prompt",
        "session.tracing",
        "session.include",
        "session.audio.input.transcription",
        "session.audio.input.noise_reduction",
        "session.audio.input.turn_detection",
    }
)
# What a non-nullable leaf expects, for the error message (objects say "an object").
_LEAF_TYPES = {
    "type": "a string",
    "model": "a string",
    "output_modalities": "an array",
    "instructions": "a string",
    "tools": "an array",
    "tool_choice": "a string or an object",
    "parallel_tool_calls": "a boolean",
    "reasoning": "an object",
    "max_output_tokens": "an integer or 'inf'",
    "truncation": "a string or an object",
    "voice": "a string or an object",
    "speed": "a decimal",
    "rate": "an integer",
    "language": "a string",
    "languages": "an array",
    "prompt": "a string",
    "keywords": "an array",
    "delay": "a string",
    "strength": "a decimal",
}


def _walk_keys(value: Mapping[str, Any], allowed: Mapping[str, Any], path: str) -> None:
    for key, sub in value.items():
        child = f"{path}.{key}"
        if key not in allowed:
            raise ConfigError("unknown_parameter", f"Unknown parameter: '{child}'.", child)
        spec = allowed[key]
        if sub is None:
            if child not in _NULLABLE:
                expected = "an object" if isinstance(spec, Mapping) else _LEAF_TYPES.get(key)
                raise invalid_type(child, expected or "a value", sub)
            continue
        if isinstance(spec, Mapping):
            if not isinstance(sub, Mapping):
                raise invalid_type(child, "an object", sub)
            _walk_keys(sub, spec, child)


def _number(path: str, value: object, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_type(path, "a decimal", value)
    if not low <= value <= high:
        raise ConfigError(
            "decimal_above_max_value" if value > high else "decimal_below_min_value",
            f"Invalid '{path}': number {'above' if value > high else 'below'} "
            f"{'maximum' if value > high else 'minimum'} value. Expected a value "
            f"{'<=' if value > high else '>='} {high if value > high else low}, but got {value} "
            "instead.",
            path,
        )


def check_format(path: str, fmt: object) -> None:
    """Check an ``audio.*.format`` object (None = not given)."""
    if fmt is None:
        return
    if not isinstance(fmt, Mapping):
        raise invalid_type(path, "an object", fmt)
    kind = fmt.get("type")
    if kind not in ("audio/pcm", "audio/pcmu", "audio/pcma"):
        raise invalid_value(f"{path}.type", kind, ("audio/pcm", "audio/pcmu", "audio/pcma"))
    if kind == "audio/pcm" and fmt.get("rate", 24000) != 24000:
        raise invalid_value(f"{path}.rate", fmt.get("rate"), ("24000",))


def _check_turn_detection(path: str, td: object) -> None:
    if td is None:
        return
    if not isinstance(td, Mapping):
        raise invalid_type(path, "an object", td)
    kind = td.get("type")
    if kind not in _VAD_KEYS:
        raise invalid_value(f"{path}.type", kind, tuple(_VAD_KEYS))
    for key in td:
        if key not in _VAD_KEYS[kind]:
            raise ConfigError(
                "unknown_parameter", f"Unknown parameter: '{path}.{key}'.", f"{path}.{key}"
            )
    if "threshold" in td:
        _number(f"{path}.threshold", td["threshold"], 0.0, 1.0)
    for key in ("prefix_padding_ms", "silence_duration_ms"):
        if key in td:
            _number(f"{path}.{key}", td[key], 0, 10_000)
    if td.get("idle_timeout_ms") is not None:
        _number(f"{path}.idle_timeout_ms", td["idle_timeout_ms"], 0, 24 * 3600 * 1000)
    if td.get("eagerness", "auto") not in ("low", "medium", "high", "auto"):
        raise invalid_value(f"{path}.eagerness", td["eagerness"], ("low", "medium", "high", "auto"))


def _check_noise(path: str, nr: object) -> None:
    if nr is None or not isinstance(nr, Mapping):
        return
    if "type" in nr and nr["type"] not in ("near_field", "far_field"):
        raise invalid_value(f"{path}.type", nr["type"], ("near_field", "far_field"))
    if "strength" in nr:
        _number(f"{path}.strength", nr["strength"], 0.0, 1.0)


def _check_include(include: object) -> None:
    allowed = ("item.input_audio_transcription.logprobs",)
    if include is None:
        return
    if not isinstance(include, list):
        raise invalid_type("session.include", "an array", include)
    for i, value in enumerate(include):
        if value not in allowed:
            raise invalid_value(f"session.include[{i}]", value, allowed)


def _check_transcription(path: str, tr: object) -> None:
    if tr is None or not isinstance(tr, Mapping):
        return
    model = tr.get("model")
    if model is not None and model not in TRANSCRIPTION_MODELS:
        raise invalid_value(f"{path}.model", model, tuple(sorted(TRANSCRIPTION_MODELS)))
    delay = tr.get("delay")
    if delay is not None and delay not in ("minimal", "low", "medium", "high", "xhigh"):
        raise invalid_value(f"{path}.delay", delay, ("minimal", "low", "medium", "high", "xhigh"))


def validate_update(
    kind: str, update: object, *, current: Mapping[str, Any], audio_sent: bool = False
) -> None:
    """Check a ``session.update``'s ``session`` object for a session of ``kind``.

    Raises:
        ConfigError: the first problem found, as the real server would name it.
    """
    if not isinstance(update, Mapping):
        raise invalid_type("session", "an object", update)
    if kind == "translation":
        _walk_keys(update, _TRANSLATION_KEYS, "session")
        if "type" in update and update["type"] != "translation":
            raise invalid_value("session.type", update["type"], ("translation",))
        if "model" in update and update["model"] != current.get("model"):
            raise ConfigError(
                "invalid_value", "The session model cannot be changed.", "session.model"
            )
        audio = update.get("audio") or {}
        tr = (audio.get("input") or {}).get("transcription")
        _check_transcription("session.audio.input.transcription", tr)
        _check_noise(
            "session.audio.input.noise_reduction", (audio.get("input") or {}).get("noise_reduction")
        )
        return
    if "type" not in update:
        raise ConfigError(
            "missing_required_parameter",
            "Missing required parameter: 'session.type'.",
            "session.type",
        )
    if update["type"] != kind:
        raise invalid_value("session.type", update["type"], (kind,))
    _walk_keys(update, _REALTIME_KEYS if kind == "realtime" else _TRANSCRIPTION_KEYS, "session")
    audio = update.get("audio") or {}
    inp = audio.get("input") or {}
    out = audio.get("output") or {}
    check_format("session.audio.input.format", inp.get("format"))
    check_format("session.audio.output.format", out.get("format"))
    _check_turn_detection("session.audio.input.turn_detection", inp.get("turn_detection"))
    _check_transcription("session.audio.input.transcription", inp.get("transcription"))
    _check_noise("session.audio.input.noise_reduction", inp.get("noise_reduction"))
    _check_include(update.get("include"))
    if kind != "realtime":
        return
    if "model" in update and update["model"] != current.get("model"):
        if update["model"] not in REALTIME_MODELS:
            raise invalid_value("session.model", update["model"], tuple(sorted(REALTIME_MODELS)))
        raise ConfigError("invalid_value", "The session model cannot be changed.", "session.model")
    mods = update.get("output_modalities")
    if mods is not None and mods not in (["audio"], ["text"]):
        raise invalid_value("session.output_modalities", mods, ("audio", "text"))
    if "speed" in out:
        _number("session.audio.output.speed", out["speed"], 0.25, 1.5)
    if "voice" in out and audio_sent and out["voice"] != current["audio"]["output"]["voice"]:
        raise ConfigError(
            "cannot_update_voice",
            "Cannot update a conversation's voice if assistant audio is present.",
            "session.audio.output.voice",
        )
    check_model_knobs("session", update)


_EFFORTS = ("minimal", "low", "medium", "high", "xhigh")


def check_model_knobs(path: str, values: Mapping[str, Any]) -> None:
    """Checks shared by ``session.update`` and ``response.create``: output tokens, tools,
    tool choice, reasoning effort (``path`` is ``session`` or ``response``).

    Raises:
        ConfigError: the first problem found.
    """
    mot = values.get("max_output_tokens")
    if mot is not None and mot != "inf":
        if isinstance(mot, bool) or not isinstance(mot, int):
            raise invalid_type(f"{path}.max_output_tokens", "an integer or 'inf'", mot)
        _number(f"{path}.max_output_tokens", mot, 1, 32_000)
    tools = values.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise invalid_type(f"{path}.tools", "an array", tools)
        for i, tool in enumerate(tools):
            if not isinstance(tool, Mapping) or tool.get("type") not in ("function", "mcp"):
                raise invalid_value(f"{path}.tools[{i}].type", _get(tool, "type"), _TOOL_TYPES)
            key = "name" if tool["type"] == "function" else "server_label"
            if not isinstance(tool.get(key), str):
                raise ConfigError(
                    "missing_required_parameter",
                    f"Missing required parameter: '{path}.tools[{i}].{key}'.",
                    f"{path}.tools[{i}].{key}",
                )
    tc = values.get("tool_choice")
    if isinstance(tc, str) and tc not in ("none", "auto", "required"):
        raise invalid_value(f"{path}.tool_choice", tc, ("none", "auto", "required"))
    if isinstance(tc, Mapping):
        if tc.get("type") not in _TOOL_TYPES:
            raise invalid_value(f"{path}.tool_choice.type", tc.get("type"), _TOOL_TYPES)
        key = "name" if tc["type"] == "function" else "server_label"
        if not isinstance(tc.get(key), str):
            raise ConfigError(
                "missing_required_parameter",
                f"Missing required parameter: '{path}.tool_choice.{key}'.",
                f"{path}.tool_choice.{key}",
            )
    reasoning = values.get("reasoning")
    if isinstance(reasoning, Mapping) and reasoning.get("effort", "low") not in _EFFORTS:
        raise invalid_value(f"{path}.reasoning.effort", reasoning["effort"], _EFFORTS)


_TOOL_TYPES = ("function", "mcp")


def _get(value: object, key: str) -> object:
    return value.get(key) if isinstance(value, Mapping) else None


def merge_update(current: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Partial merge: present keys change (objects merge recursively), ``null`` clears.

    An object whose ``type`` changes (an audio format, a turn detector) is a different variant:
    it replaces the old one wholesale, so no field of the old variant leaks into the new one
    (``audio/pcmu`` has no ``rate``); a new turn detector starts from its defaults.
    """
    merged = copy.deepcopy(current)
    for key, value in update.items():
        old = merged.get(key)
        if isinstance(value, Mapping) and isinstance(old, dict):
            switched = "type" in value and value.get("type") != old.get("type")
            if not switched:
                merged[key] = merge_update(old, value)
            elif key == "turn_detection":
                merged[key] = _fill_vad(dict(value))
            else:
                merged[key] = copy.deepcopy(dict(value))
        elif isinstance(value, Mapping) and key == "turn_detection":
            merged[key] = _fill_vad(dict(value))
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _fill_vad(td: dict[str, Any]) -> dict[str, Any]:
    if td.get("type") == "server_vad":
        return {**_server_vad(), **td}
    return {
        "type": "semantic_vad",
        "eagerness": "auto",
        "create_response": True,
        "interrupt_response": True,
        **td,
    }
