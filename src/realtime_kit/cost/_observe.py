"""Wiring from typed events to the meter: one handler per event class that carries cost.

``dispatch(meter, event)`` looks the event's class up in a table (one dict lookup per event, so
the 50-per-second audio frames stay cheap) and calls the meter's ``record_*`` method. Audio
durations come from the base64 *length*, never from decoding. Events with no cost meaning are
ignored by design.

The meter is seen through :class:`UsageRecorder`, the methods it is fed with (so this module
does not import the meter, which imports it). Imports ``realtime_kit.events``,
``realtime_kit.errors`` and the cost package's private modules.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final, Protocol

from realtime_kit.cost._session import ResponseCost, SessionKind
from realtime_kit.cost._usage import (
    AudioDuration,
    TokenUsage,
    TranscriptionTokens,
    b64_decoded_length,
)
from realtime_kit.errors import CostError
from realtime_kit.events import (
    ConversationItemInputAudioTranscriptionCompletedEvent,
    InputAudioBufferAppendEvent,
    InputAudioBufferClearedEvent,
    InputAudioBufferClearEvent,
    RealtimeSession,
    RealtimeSessionConfig,
    ResponseCreatedEvent,
    ResponseDoneEvent,
    ResponseOutputAudioDeltaEvent,
    SessionCreatedEvent,
    SessionInputAudioBufferAppendEvent,
    SessionOutputAudioDeltaEvent,
    SessionUpdatedEvent,
    SessionUpdateEvent,
    TranscriptionSession,
    TranscriptionSessionConfig,
    TranscriptionUsageDuration,
    TranscriptionUsageTokens,
    TranslationSession,
    TranslationSessionConfig,
)

__all__ = ["UsageRecorder", "dispatch"]

_PCM16: Final = "audio/pcm"


class UsageRecorder(Protocol):
    """The recording side of a :class:`~realtime_kit.cost.CostMeter`, which the events feed."""

    def start_session(self, session_id: str | None, kind: SessionKind | None) -> None: ...

    def set_models(
        self, *, model: str | None = None, transcription_model: str | None = None
    ) -> None: ...

    def set_audio_formats(
        self, *, input_format: str | None = None, output_format: str | None = None
    ) -> None: ...

    def record_response_created(self, response_id: str) -> None: ...

    def record_response_usage(self, response_id: str, usage: TokenUsage | None) -> ResponseCost: ...

    def record_transcription_usage(self, usage: TranscriptionTokens | AudioDuration) -> None: ...

    def record_input_audio(self, nbytes: int) -> None: ...

    def record_output_audio(self, response_id: str | None, nbytes: int) -> None: ...

    def record_input_cleared(self) -> None: ...


def _format_type(fmt: object) -> str | None:
    value = getattr(fmt, "type", None)
    return value if isinstance(value, str) else None


def _session(meter: UsageRecorder, event: SessionCreatedEvent | SessionUpdatedEvent) -> None:
    session = event.session
    if isinstance(session, RealtimeSession):
        meter.start_session(session.id, "realtime")
        audio = session.audio
        inp = audio.input if audio is not None else None
        out = audio.output if audio is not None else None
        transcription = inp.transcription if inp is not None else None
        meter.set_models(
            model=session.model,
            transcription_model=transcription.model if transcription is not None else None,
        )
        meter.set_audio_formats(
            input_format=_format_type(inp.format) if inp is not None else None,
            output_format=_format_type(out.format) if out is not None else None,
        )
    elif isinstance(session, TranscriptionSession):
        meter.start_session(session.id, "transcription")
        t_audio = session.audio.input if session.audio is not None else None
        t_model = t_audio.transcription if t_audio is not None else None
        meter.set_models(transcription_model=t_model.model if t_model is not None else None)
        meter.set_audio_formats(
            input_format=_format_type(t_audio.format) if t_audio is not None else None
        )
    elif isinstance(session, TranslationSession):
        meter.start_session(session.id, "translation")
        l_input = session.audio.input
        l_model = l_input.transcription if l_input is not None else None
        meter.set_models(
            model=session.model,
            transcription_model=l_model.model if l_model is not None else None,
        )
        # Translation audio is PCM16 24 kHz in both directions (PROTOCOL.md §5).
        meter.set_audio_formats(input_format=_PCM16, output_format=_PCM16)
    # A session object of a kind this SDK does not know leaves the configuration unchanged.


def _session_update(meter: UsageRecorder, event: SessionUpdateEvent) -> None:
    # The client's request names the transcription model before the server confirms it; the
    # confirmation (session.updated) overrides whatever is read here.
    session = event.session
    model: str | None = None
    if isinstance(session, RealtimeSessionConfig | TranscriptionSessionConfig):
        inp = session.audio.input if session.audio is not None else None
        if inp is not None and inp.transcription is not None:
            model = inp.transcription.model
    elif isinstance(session, TranslationSessionConfig):
        l_inp = session.audio.input if session.audio is not None else None
        if l_inp is not None and l_inp.transcription is not None:
            model = l_inp.transcription.model
    if model is not None:
        meter.set_models(transcription_model=model)


def _response_created(meter: UsageRecorder, event: ResponseCreatedEvent) -> None:
    if event.response.id is not None:
        meter.record_response_created(event.response.id)


def _response_done(meter: UsageRecorder, event: ResponseDoneEvent) -> None:
    response = event.response
    usage = TokenUsage.from_wire(response.usage) if response.usage is not None else None
    meter.record_response_usage(response.id or "", usage)


def _transcription(
    meter: UsageRecorder, event: ConversationItemInputAudioTranscriptionCompletedEvent
) -> None:
    usage = event.usage
    if isinstance(usage, TranscriptionUsageTokens):
        meter.record_transcription_usage(
            TranscriptionTokens(usage.input_tokens, usage.output_tokens)
        )
    elif isinstance(usage, TranscriptionUsageDuration):
        # str() first: the float 1.1 must count as 1.1 s, not 1.100000000000000088817… s.
        meter.record_transcription_usage(AudioDuration.from_seconds(Decimal(str(usage.seconds))))
    else:
        raise CostError(
            f"transcription usage of unknown type {getattr(usage, 'type', None)!r} for item"
            f" {event.item_id!r}; it cannot be priced"
        )


def _append(
    meter: UsageRecorder, event: InputAudioBufferAppendEvent | SessionInputAudioBufferAppendEvent
) -> None:
    meter.record_input_audio(b64_decoded_length(event.audio))


def _audio_out(meter: UsageRecorder, event: ResponseOutputAudioDeltaEvent) -> None:
    meter.record_output_audio(event.response_id, b64_decoded_length(event.delta))


def _translated_audio(meter: UsageRecorder, event: SessionOutputAudioDeltaEvent) -> None:
    meter.record_output_audio(None, b64_decoded_length(event.delta))


def _cleared(meter: UsageRecorder, event: object) -> None:
    meter.record_input_cleared()


_HANDLERS: Final[dict[type[Any], Callable[[UsageRecorder, Any], None]]] = {
    InputAudioBufferAppendEvent: _append,
    SessionInputAudioBufferAppendEvent: _append,
    ResponseOutputAudioDeltaEvent: _audio_out,
    SessionOutputAudioDeltaEvent: _translated_audio,
    ResponseCreatedEvent: _response_created,
    ResponseDoneEvent: _response_done,
    ConversationItemInputAudioTranscriptionCompletedEvent: _transcription,
    SessionCreatedEvent: _session,
    SessionUpdatedEvent: _session,
    SessionUpdateEvent: _session_update,
    InputAudioBufferClearEvent: _cleared,
    InputAudioBufferClearedEvent: _cleared,
}


def dispatch(meter: UsageRecorder, event: object) -> None:
    """Fold one event (client or server) into ``meter``; events without cost are ignored."""
    handler = _HANDLERS.get(type(event))
    if handler is not None:
        handler(meter, event)
