"""Session options of a voice agent, checked locally and turned into a ``session.update``.

Every option of a realtime session (PROTOCOL.md §2.1) is reachable: typed keyword arguments for
the common ones, :class:`TurnDetection` for server/semantic VAD or push-to-talk, and ``session=``
for anything else (merged last, so a new server field needs no SDK release). Values are checked
here so a typo fails at once with a :class:`~realtime_kit.errors.ConfigurationError` instead of a
server ``error`` mid-call.

Imports: the standard library and ``errors``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

from realtime_kit.errors import ConfigurationError

__all__ = [
    "AUDIO_FORMATS",
    "DEFAULT_INPUT_TRANSCRIPTION",
    "AudioFormat",
    "TurnDetection",
    "build_session",
    "merge_session",
    "turn_detection_payload",
]

AudioFormat: TypeAlias = Literal["pcm16", "pcmu", "pcma"]
"""The wire audio format: PCM16 at 24 kHz, or G.711 μ-law / A-law at 8 kHz."""

AUDIO_FORMATS: Final[dict[str, dict[str, Any]]] = {
    "pcm16": {"type": "audio/pcm", "rate": 24000},
    "pcmu": {"type": "audio/pcmu"},
    "pcma": {"type": "audio/pcma"},
}

DEFAULT_INPUT_TRANSCRIPTION: Final = "gpt-4o-mini-transcribe"
"""Input transcription is on by default: the log, the transcript events, and a reconnect that
replays spoken turns as text all need the user's words. Pass ``input_transcription=None`` to
turn it off (spoken user turns then cannot be replayed after a drop)."""

_EFFORTS: Final = ("minimal", "low", "medium", "high", "xhigh")
_EAGERNESS: Final = ("low", "medium", "high", "auto")
_NOISE: Final = ("near_field", "far_field")
_TOOL_CHOICES: Final = ("none", "auto", "required")


@dataclass(frozen=True, slots=True)
class TurnDetection:
    """How turns end: the server's VAD (``server_vad``), its semantic VAD (``semantic_vad``).

    Pass ``turn_detection=None`` to the conversation for push-to-talk (the app ends each turn
    with :meth:`Conversation.end_turn`).

    Attributes:
        type: ``server_vad`` or ``semantic_vad``.
        threshold, prefix_padding_ms, silence_duration_ms: server VAD only.
        eagerness: semantic VAD only (``low``/``medium``/``high``/``auto``).
        idle_timeout_ms: server VAD only: after this much silence the server commits and
            answers (``UserIdle`` events).
        create_response: the server starts a response at the end of each user turn.
        interrupt_response: the user's speech interrupts the assistant (barge-in). When False,
            the conversation does not cut playback or cancel anything either.
    """

    type: Literal["server_vad", "semantic_vad"] = "server_vad"
    threshold: float | None = None
    prefix_padding_ms: int | None = None
    silence_duration_ms: int | None = None
    eagerness: Literal["low", "medium", "high", "auto"] | None = None
    idle_timeout_ms: int | None = None
    create_response: bool = True
    interrupt_response: bool = True

    def __post_init__(self) -> None:
        if self.type not in ("server_vad", "semantic_vad"):
            raise ConfigurationError(
                f"turn detection type must be server_vad or semantic_vad, not {self.type!r}"
            )
        server_only = {
            "threshold": self.threshold,
            "prefix_padding_ms": self.prefix_padding_ms,
            "silence_duration_ms": self.silence_duration_ms,
            "idle_timeout_ms": self.idle_timeout_ms,
        }
        if self.type == "semantic_vad":
            bad = [name for name, value in server_only.items() if value is not None]
            if bad:
                raise ConfigurationError(
                    f"semantic_vad takes no {', '.join(bad)} (server_vad only)"
                )
            if self.eagerness is not None and self.eagerness not in _EAGERNESS:
                raise ConfigurationError(
                    f"eagerness must be one of {_EAGERNESS}, not {self.eagerness!r}"
                )
        elif self.eagerness is not None:
            raise ConfigurationError("eagerness is for semantic_vad only")
        if self.threshold is not None and not 0.0 <= self.threshold <= 1.0:
            raise ConfigurationError(f"threshold must lie in 0…1, not {self.threshold!r}")
        for name in ("prefix_padding_ms", "silence_duration_ms", "idle_timeout_ms"):
            value = server_only[name]
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise ConfigurationError(f"{name} must be a non-negative int, not {value!r}")

    def payload(self) -> dict[str, Any]:
        """The ``turn_detection`` object of a ``session.update``."""
        out: dict[str, Any] = {"type": self.type}
        for name in (
            "threshold",
            "prefix_padding_ms",
            "silence_duration_ms",
            "eagerness",
            "idle_timeout_ms",
        ):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out["create_response"] = self.create_response
        out["interrupt_response"] = self.interrupt_response
        return out


TurnDetectionArg: TypeAlias = (
    TurnDetection | Literal["server_vad", "semantic_vad"] | Mapping[str, Any] | None
)


def turn_detection_payload(value: TurnDetectionArg) -> dict[str, Any] | None:
    """Normalise a ``turn_detection=`` argument to its wire form (None = push-to-talk)."""
    if value is None:
        return None
    if isinstance(value, str):
        return TurnDetection(type=value).payload()
    if isinstance(value, TurnDetection):
        return value.payload()
    if isinstance(value, Mapping):
        known = set(TurnDetection.__dataclass_fields__)
        extra = {k: v for k, v in value.items() if k not in known}
        typed = TurnDetection(**{k: v for k, v in value.items() if k in known})
        return {**typed.payload(), **extra}
    raise ConfigurationError(
        f"turn_detection must be a TurnDetection, a type name, a mapping or None, not {value!r}"
    )


def _transcription(value: str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            raise ConfigurationError("input_transcription must name a model")
        return {"model": value}
    if isinstance(value, Mapping):
        return dict(value)
    raise ConfigurationError(
        f"input_transcription must be a model name, a mapping or None, not {value!r}"
    )


def _noise(value: str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value not in _NOISE:
            raise ConfigurationError(
                f"noise_reduction must be one of {_NOISE} or None, not {value!r}"
            )
        return {"type": value}
    if isinstance(value, Mapping):
        out = dict(value)
        strength = out.get("strength")
        if strength is not None and not 0.0 <= float(strength) <= 1.0:
            raise ConfigurationError(f"noise_reduction strength must lie in 0…1, not {strength!r}")
        return out
    raise ConfigurationError(
        f"noise_reduction must be a type name, a mapping or None, not {value!r}"
    )


def _tool_choice(value: str | Mapping[str, Any] | None) -> str | dict[str, Any] | None:
    if value is None or isinstance(value, Mapping):
        return None if value is None else dict(value)
    if value in _TOOL_CHOICES:
        return value
    # A bare tool name is the common wish: force that function.
    return {"type": "function", "name": value}


def build_session(
    *,
    model: str | None,
    instructions: str | None,
    voice: str | Mapping[str, Any] | None,
    speed: float | None,
    output_modalities: Sequence[str] | None,
    audio_format: AudioFormat,
    turn_detection: TurnDetectionArg,
    input_transcription: str | Mapping[str, Any] | None,
    noise_reduction: str | Mapping[str, Any] | None,
    tools: Sequence[Mapping[str, Any]] | None,
    tool_choice: str | Mapping[str, Any] | None,
    parallel_tool_calls: bool | None,
    reasoning_effort: str | None,
    max_output_tokens: int | Literal["inf"] | None,
    truncation: str | Mapping[str, Any] | None,
    prompt: Mapping[str, Any] | None,
    tracing: str | Mapping[str, Any] | None,
    include: Sequence[str] | None,
    extra: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The ``session`` of the first ``session.update``: every option given, checked.

    Raises:
        ConfigurationError: an option out of range or of the wrong shape.
    """
    if audio_format not in AUDIO_FORMATS:
        raise ConfigurationError(
            f"audio_format must be one of {sorted(AUDIO_FORMATS)}, not {audio_format!r}"
        )
    session: dict[str, Any] = {"type": "realtime"}
    if model is not None:
        session["model"] = model
    if instructions is not None:
        session["instructions"] = instructions
    if output_modalities is not None:
        modes = list(output_modalities)
        if modes not in (["audio"], ["text"]):
            raise ConfigurationError(
                f"output_modalities must be ['audio'] or ['text'], not {modes!r}"
            )
        session["output_modalities"] = modes
    audio_in: dict[str, Any] = {"format": dict(AUDIO_FORMATS[audio_format])}
    audio_in["turn_detection"] = turn_detection_payload(turn_detection)
    audio_in["transcription"] = _transcription(input_transcription)
    audio_in["noise_reduction"] = _noise(noise_reduction)
    audio_out: dict[str, Any] = {"format": dict(AUDIO_FORMATS[audio_format])}
    if voice is not None:
        audio_out["voice"] = dict(voice) if isinstance(voice, Mapping) else voice
    if speed is not None:
        if not 0.25 <= speed <= 1.5:
            raise ConfigurationError(f"speed must lie in 0.25…1.5, not {speed!r}")
        audio_out["speed"] = speed
    session["audio"] = {"input": audio_in, "output": audio_out}
    if tools is not None:
        session["tools"] = [dict(t) for t in tools]
    choice = _tool_choice(tool_choice)
    if choice is not None:
        session["tool_choice"] = choice
    if parallel_tool_calls is not None:
        session["parallel_tool_calls"] = parallel_tool_calls
    if reasoning_effort is not None:
        if reasoning_effort not in _EFFORTS:
            raise ConfigurationError(
                f"reasoning_effort must be one of {_EFFORTS}, not {reasoning_effort!r}"
            )
        session["reasoning"] = {"effort": reasoning_effort}
    if max_output_tokens is not None:
        if max_output_tokens != "inf" and (
            isinstance(max_output_tokens, bool)
            or not isinstance(max_output_tokens, int)
            or max_output_tokens < 1
        ):
            raise ConfigurationError(
                f"max_output_tokens must be a positive int or 'inf', not {max_output_tokens!r}"
            )
        session["max_output_tokens"] = max_output_tokens
    if truncation is not None:
        session["truncation"] = _truncation(truncation)
    if prompt is not None:
        if "id" not in prompt:
            raise ConfigurationError("prompt needs an 'id' (a stored prompt reference)")
        session["prompt"] = dict(prompt)
    if tracing is not None:
        session["tracing"] = tracing if isinstance(tracing, str) else dict(tracing)
    if include is not None:
        session["include"] = list(include)
    if extra:
        session = merge_session(session, extra)
    return session


def _truncation(value: str | Mapping[str, Any]) -> str | dict[str, Any]:
    if isinstance(value, str):
        if value not in ("auto", "disabled"):
            raise ConfigurationError(
                f"truncation must be 'auto', 'disabled' or a retention_ratio mapping, not {value!r}"
            )
        return value
    out = dict(value)
    if out.get("type") == "retention_ratio":
        ratio = out.get("retention_ratio")
        if not isinstance(ratio, (int, float)) or not 0.0 <= float(ratio) <= 1.0:
            raise ConfigurationError(f"retention_ratio must lie in 0…1, not {ratio!r}")
    return out


def merge_session(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``extra`` over ``base`` (mappings merge; anything else replaces)."""
    out = dict(base)
    for key, value in extra.items():
        current = out.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            out[key] = merge_session(current, value)
        else:
            out[key] = value
    return out
