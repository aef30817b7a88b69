# ======================================================================================
#  GENERATED FILE - DO NOT EDIT BY HAND.
#  Written by tools/generate_events.py from schema/realtime.schema.json.
#  To change it: edit schema/overlay.json (or refresh the schema with tools/sync_schema.py),
#  then run `python tools/generate_events.py`. CI fails when this file is stale.
# ======================================================================================
"""Typed models of every Realtime event (realtime, transcription and translation sessions)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import Discriminator, Field, Tag

from realtime_kit.events._base import (
    AudioAppendMixin,
    AudioPayloadMixin,
    ClientEventBase,
    RealtimeModel,
    ServerEventBase,
    UnknownObject,
    make_tagger,
)

_AudioFormatsUnion_tag = make_tagger(
    {
        "audio/pcm": "AudioFormatPcm",
        "audio/pcma": "AudioFormatPcma",
        "audio/pcmu": "AudioFormatPcmu",
    },
    None,
)
_ClientSecretCreateRequestSessionUnion_tag = make_tagger(
    {"realtime": "RealtimeSessionConfig", "transcription": "TranscriptionSessionConfig"}, None
)
_ClientSecretCreateResponseSessionUnion_tag = make_tagger(
    {"realtime": "RealtimeSession", "transcription": "TranscriptionSession"}, None
)
_ConversationItemInputAudioTranscriptionCompletedUsageUnion_tag = make_tagger(
    {"duration": "TranscriptionUsageDuration", "tokens": "TranscriptionUsageTokens"}, None
)
_ConversationItemUnion_tag = make_tagger(
    {
        "function_call": "FunctionCallItem",
        "function_call_output": "FunctionCallOutputItem",
        "mcp_approval_request": "McpApprovalRequestItem",
        "mcp_approval_response": "McpApprovalResponseItem",
        "mcp_call": "McpCallItem",
        "mcp_list_tools": "McpListToolsItem",
        "message:assistant": "AssistantMessageItem",
        "message:system": "SystemMessageItem",
        "message:user": "UserMessageItem",
    },
    None,
)
_McpCallItemErrorUnion_tag = make_tagger(
    {
        "http_error": "McpHttpError",
        "protocol_error": "McpProtocolError",
        "tool_execution_error": "McpToolExecutionError",
    },
    None,
)
_RealtimeSessionToolsUnion_tag = make_tagger({"function": "FunctionTool", "mcp": "McpTool"}, None)
_ResponseCreateParamsInputUnion_tag = make_tagger(
    {
        "function_call": "FunctionCallItem",
        "function_call_output": "FunctionCallOutputItem",
        "item_reference": "ItemReference",
        "mcp_approval_request": "McpApprovalRequestItem",
        "mcp_approval_response": "McpApprovalResponseItem",
        "mcp_call": "McpCallItem",
        "mcp_list_tools": "McpListToolsItem",
        "message:assistant": "AssistantMessageItem",
        "message:system": "SystemMessageItem",
        "message:user": "UserMessageItem",
    },
    None,
)
_SessionCreatedSessionUnion_tag = make_tagger(
    {
        "realtime": "RealtimeSession",
        "transcription": "TranscriptionSession",
        "translation": "TranslationSession",
    },
    None,
)
_SessionUpdateSessionUnion_tag = make_tagger(
    {"realtime": "RealtimeSessionConfig", "transcription": "TranscriptionSessionConfig"},
    "TranslationSessionConfig",
)
_TurnDetectionUnion_tag = make_tagger(
    {"semantic_vad": "SemanticVad", "server_vad": "ServerVad"}, None
)


class ConversationCreatedEvent(ServerEventBase):
    """The ``conversation.created`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("conversation",)
    event_id: str | None = None
    type: Literal["conversation.created"] = "conversation.created"
    conversation: ConversationCreatedConversation


class ConversationCreatedConversation(RealtimeModel):
    """The ``ConversationCreatedConversation`` object."""

    id: str | None = None
    object: str | None = None


class ConversationItemAddedEvent(ServerEventBase):
    """The ``conversation.item.added`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("item",)
    event_id: str | None = None
    type: Literal["conversation.item.added"] = "conversation.item.added"
    previous_item_id: str | None = None
    item: ConversationItem


class SystemMessageItem(RealtimeModel):
    """The ``SystemMessageItem`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("content",)
    id: str | None = None
    object: Literal["realtime.item"] | str | None = None
    type: Literal["message"] = "message"
    status: Literal["completed", "incomplete", "in_progress"] | str | None = None
    role: Literal["system"] | str
    content: list[SystemMessageItemContent]


class SystemMessageItemContent(RealtimeModel):
    """The ``SystemMessageItemContent`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["input_text"] | None = "input_text"
    text: str | None = None


class UserMessageItem(RealtimeModel):
    """The ``UserMessageItem`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("content",)
    id: str | None = None
    object: Literal["realtime.item"] | str | None = None
    type: Literal["message"] = "message"
    status: Literal["completed", "incomplete", "in_progress"] | str | None = None
    role: Literal["user"] | str
    content: list[UserMessageItemContent]


class UserMessageItemContent(RealtimeModel):
    """The ``UserMessageItemContent`` object."""

    type: Literal["input_text", "input_audio", "input_image"] | str | None = None
    text: str | None = None
    audio: str | None = None
    image_url: str | None = None
    detail: Literal["auto", "low", "high"] | str | None = None
    transcript: str | None = None


class AssistantMessageItem(RealtimeModel):
    """The ``AssistantMessageItem`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("content",)
    id: str | None = None
    object: Literal["realtime.item"] | str | None = None
    type: Literal["message"] = "message"
    status: Literal["completed", "incomplete", "in_progress"] | str | None = None
    role: Literal["assistant"] | str
    content: list[AssistantMessageItemContent]


class AssistantMessageItemContent(RealtimeModel):
    """The ``AssistantMessageItemContent`` object."""

    type: Literal["output_text", "output_audio"] | str | None = None
    text: str | None = None
    audio: str | None = None
    transcript: str | None = None


class FunctionCallItem(RealtimeModel):
    """The ``FunctionCallItem`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    id: str | None = None
    object: Literal["realtime.item"] | str | None = None
    type: Literal["function_call"] = "function_call"
    status: Literal["completed", "incomplete", "in_progress"] | str | None = None
    call_id: str | None = None
    name: str
    arguments: str


class FunctionCallOutputItem(RealtimeModel):
    """The ``FunctionCallOutputItem`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    id: str | None = None
    object: Literal["realtime.item"] | str | None = None
    type: Literal["function_call_output"] = "function_call_output"
    status: Literal["completed", "incomplete", "in_progress"] | str | None = None
    call_id: str
    output: str


class McpApprovalResponseItem(RealtimeModel):
    """The ``McpApprovalResponseItem`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["mcp_approval_response"] = "mcp_approval_response"
    id: str
    approval_request_id: str
    approve: bool
    reason: str | None = None


class McpListToolsItem(RealtimeModel):
    """The ``McpListToolsItem`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("tools",)
    type: Literal["mcp_list_tools"] = "mcp_list_tools"
    id: str | None = None
    server_label: str
    tools: list[McpListToolsTool]


class McpListToolsTool(RealtimeModel):
    """The ``McpListToolsTool`` object."""

    name: str
    description: str | None = None
    input_schema: dict[str, Any]
    annotations: dict[str, Any] | None = None


class McpCallItem(RealtimeModel):
    """The ``McpCallItem`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("error",)
    type: Literal["mcp_call"] = "mcp_call"
    id: str
    server_label: str
    name: str
    arguments: str
    approval_request_id: str | None = None
    output: str | None = None
    error: (
        Annotated[
            Annotated[McpHttpError, Tag("McpHttpError")]
            | Annotated[McpProtocolError, Tag("McpProtocolError")]
            | Annotated[McpToolExecutionError, Tag("McpToolExecutionError")]
            | Annotated[UnknownObject, Tag("__unknown__")],
            Discriminator(_McpCallItemErrorUnion_tag),
        ]
        | None
    ) = None


class McpProtocolError(RealtimeModel):
    """The ``McpProtocolError`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["protocol_error"] = "protocol_error"
    code: int
    message: str


class McpToolExecutionError(RealtimeModel):
    """The ``McpToolExecutionError`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["tool_execution_error"] = "tool_execution_error"
    message: str


class McpHttpError(RealtimeModel):
    """The ``McpHttpError`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["http_error"] = "http_error"
    code: int
    message: str


class McpApprovalRequestItem(RealtimeModel):
    """The ``McpApprovalRequestItem`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["mcp_approval_request"] = "mcp_approval_request"
    id: str
    server_label: str
    name: str
    arguments: str


class ConversationItemCreatedEvent(ServerEventBase):
    """The ``conversation.item.created`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("item",)
    event_id: str | None = None
    type: Literal["conversation.item.created"] = "conversation.item.created"
    previous_item_id: str | None = None
    item: ConversationItem


class ConversationItemDeletedEvent(ServerEventBase):
    """The ``conversation.item.deleted`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["conversation.item.deleted"] = "conversation.item.deleted"
    item_id: str


class ConversationItemDoneEvent(ServerEventBase):
    """The ``conversation.item.done`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("item",)
    event_id: str | None = None
    type: Literal["conversation.item.done"] = "conversation.item.done"
    previous_item_id: str | None = None
    item: ConversationItem


class ConversationItemInputAudioTranscriptionCompletedEvent(ServerEventBase):
    """The ``conversation.item.input_audio_transcription.completed`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("languages", "logprobs", "usage")
    event_id: str | None = None
    type: Literal["conversation.item.input_audio_transcription.completed"] = (
        "conversation.item.input_audio_transcription.completed"
    )
    item_id: str
    content_index: int
    transcript: str
    languages: list[TranscriptionLanguage] | None = None
    logprobs: list[LogProbProperties] | None = None
    usage: Annotated[
        Annotated[TranscriptionUsageDuration, Tag("TranscriptionUsageDuration")]
        | Annotated[TranscriptionUsageTokens, Tag("TranscriptionUsageTokens")]
        | Annotated[UnknownObject, Tag("__unknown__")],
        Discriminator(_ConversationItemInputAudioTranscriptionCompletedUsageUnion_tag),
    ]


class TranscriptionLanguage(RealtimeModel):
    """The ``TranscriptionLanguage`` object."""

    code: str


class LogProbProperties(RealtimeModel):
    """The ``LogProbProperties`` object."""

    token: str
    logprob: float
    bytes: list[int]


class TranscriptionUsageTokens(RealtimeModel):
    """The ``TranscriptionUsageTokens`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("input_token_details",)
    type: Literal["tokens"] = "tokens"
    input_tokens: int
    input_token_details: TranscriptionUsageTokensInputTokenDetails | None = None
    output_tokens: int
    total_tokens: int


class TranscriptionUsageTokensInputTokenDetails(RealtimeModel):
    """The ``TranscriptionUsageTokensInputTokenDetails`` object."""

    text_tokens: int | None = None
    audio_tokens: int | None = None


class TranscriptionUsageDuration(RealtimeModel):
    """The ``TranscriptionUsageDuration`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["duration"] = "duration"
    seconds: float


class ConversationItemInputAudioTranscriptionDeltaEvent(ServerEventBase):
    """The ``conversation.item.input_audio_transcription.delta`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("logprobs",)
    event_id: str | None = None
    type: Literal["conversation.item.input_audio_transcription.delta"] = (
        "conversation.item.input_audio_transcription.delta"
    )
    item_id: str
    content_index: int | None = None
    delta: str | None = None
    logprobs: list[LogProbProperties] | None = None
    obfuscation: str | None = None


class ConversationItemInputAudioTranscriptionFailedEvent(ServerEventBase):
    """The ``conversation.item.input_audio_transcription.failed`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("error",)
    event_id: str | None = None
    type: Literal["conversation.item.input_audio_transcription.failed"] = (
        "conversation.item.input_audio_transcription.failed"
    )
    item_id: str
    content_index: int
    error: ConversationItemInputAudioTranscriptionFailedError


class ConversationItemInputAudioTranscriptionFailedError(RealtimeModel):
    """The ``ConversationItemInputAudioTranscriptionFailedError`` object."""

    type: str | None = None
    code: str | None = None
    message: str | None = None
    param: str | None = None


class ConversationItemInputAudioTranscriptionSegmentEvent(ServerEventBase):
    """The ``conversation.item.input_audio_transcription.segment`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["conversation.item.input_audio_transcription.segment"] = (
        "conversation.item.input_audio_transcription.segment"
    )
    item_id: str
    content_index: int
    text: str
    id: str
    speaker: str
    start: float
    end: float


class ConversationItemRetrievedEvent(ServerEventBase):
    """The ``conversation.item.retrieved`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("item",)
    event_id: str | None = None
    type: Literal["conversation.item.retrieved"] = "conversation.item.retrieved"
    item: ConversationItem


class ConversationItemTruncatedEvent(ServerEventBase):
    """The ``conversation.item.truncated`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["conversation.item.truncated"] = "conversation.item.truncated"
    item_id: str
    content_index: int
    audio_end_ms: int


class ErrorEvent(ServerEventBase):
    """The ``error`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("error",)
    event_id: str | None = None
    type: Literal["error"] = "error"
    error: ErrorDetails


class ErrorDetails(RealtimeModel):
    """The ``ErrorDetails`` object."""

    type: str
    code: str | None = None
    message: str
    param: str | None = None
    event_id: str | None = None


class InputAudioBufferClearedEvent(ServerEventBase):
    """The ``input_audio_buffer.cleared`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["input_audio_buffer.cleared"] = "input_audio_buffer.cleared"


class InputAudioBufferCommittedEvent(ServerEventBase):
    """The ``input_audio_buffer.committed`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["input_audio_buffer.committed"] = "input_audio_buffer.committed"
    previous_item_id: str | None = None
    item_id: str


class InputAudioBufferDtmfEventReceivedEvent(ServerEventBase):
    """The ``input_audio_buffer.dtmf_event_received`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["input_audio_buffer.dtmf_event_received"] = (
        "input_audio_buffer.dtmf_event_received"
    )
    event: str
    received_at: int


class InputAudioBufferSpeechStartedEvent(ServerEventBase):
    """The ``input_audio_buffer.speech_started`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["input_audio_buffer.speech_started"] = "input_audio_buffer.speech_started"
    audio_start_ms: int
    item_id: str


class InputAudioBufferSpeechStoppedEvent(ServerEventBase):
    """The ``input_audio_buffer.speech_stopped`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["input_audio_buffer.speech_stopped"] = "input_audio_buffer.speech_stopped"
    audio_end_ms: int
    item_id: str


class InputAudioBufferTimeoutTriggeredEvent(ServerEventBase):
    """The ``input_audio_buffer.timeout_triggered`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["input_audio_buffer.timeout_triggered"] = "input_audio_buffer.timeout_triggered"
    audio_start_ms: int
    audio_end_ms: int
    item_id: str


class McpListToolsCompletedEvent(ServerEventBase):
    """The ``mcp_list_tools.completed`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["mcp_list_tools.completed"] = "mcp_list_tools.completed"
    item_id: str


class McpListToolsFailedEvent(ServerEventBase):
    """The ``mcp_list_tools.failed`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["mcp_list_tools.failed"] = "mcp_list_tools.failed"
    item_id: str


class McpListToolsInProgressEvent(ServerEventBase):
    """The ``mcp_list_tools.in_progress`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["mcp_list_tools.in_progress"] = "mcp_list_tools.in_progress"
    item_id: str


class OutputAudioBufferClearedEvent(ServerEventBase):
    """The ``output_audio_buffer.cleared`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["output_audio_buffer.cleared"] = "output_audio_buffer.cleared"
    response_id: str


class OutputAudioBufferStartedEvent(ServerEventBase):
    """The ``output_audio_buffer.started`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["output_audio_buffer.started"] = "output_audio_buffer.started"
    response_id: str


class OutputAudioBufferStoppedEvent(ServerEventBase):
    """The ``output_audio_buffer.stopped`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["output_audio_buffer.stopped"] = "output_audio_buffer.stopped"
    response_id: str


class RateLimitsUpdatedEvent(ServerEventBase):
    """The ``rate_limits.updated`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("rate_limits",)
    event_id: str | None = None
    type: Literal["rate_limits.updated"] = "rate_limits.updated"
    rate_limits: list[RateLimit]


class RateLimit(RealtimeModel):
    """The ``RateLimit`` object."""

    name: Literal["requests", "tokens"] | str | None = None
    limit: int | None = None
    remaining: int | None = None
    reset_seconds: float | None = None


class ResponseContentPartAddedEvent(ServerEventBase):
    """The ``response.content_part.added`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("part",)
    event_id: str | None = None
    type: Literal["response.content_part.added"] = "response.content_part.added"
    response_id: str
    item_id: str
    output_index: int
    content_index: int
    part: ResponseContentPartAddedPart


class ResponseContentPartAddedPart(RealtimeModel):
    """The ``ResponseContentPartAddedPart`` object."""

    type: Literal["audio", "text"] | str | None = None
    text: str | None = None
    audio: str | None = None
    transcript: str | None = None


class ResponseContentPartDoneEvent(ServerEventBase):
    """The ``response.content_part.done`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("part",)
    event_id: str | None = None
    type: Literal["response.content_part.done"] = "response.content_part.done"
    response_id: str
    item_id: str
    output_index: int
    content_index: int
    part: ResponseContentPartAddedPart


class ResponseCreatedEvent(ServerEventBase):
    """The ``response.created`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("response",)
    event_id: str | None = None
    type: Literal["response.created"] = "response.created"
    response: Response


class Response(RealtimeModel):
    """The ``Response`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = (
        "status_details",
        "output",
        "metadata",
        "audio",
        "usage",
    )
    id: str | None = None
    object: Literal["realtime.response"] | str | None = None
    status: (
        Literal["completed", "cancelled", "failed", "incomplete", "in_progress"] | str | None
    ) = None
    status_details: ResponseStatusDetails | None = None
    output: list[ConversationItem] | None = None
    metadata: Metadata | None = None
    audio: ResponseAudio | None = None
    usage: Usage | None = None
    conversation_id: str | None = None
    output_modalities: list[Literal["text", "audio"] | str] | None = None
    max_output_tokens: int | Literal["inf"] | str | None = None


class ResponseStatusDetails(RealtimeModel):
    """The ``ResponseStatusDetails`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("error",)
    type: Literal["completed", "cancelled", "failed", "incomplete"] | str | None = None
    reason: (
        Literal["turn_detected", "client_cancelled", "max_output_tokens", "content_filter"]
        | str
        | None
    ) = None
    error: ResponseStatusDetailsError | None = None


class ResponseStatusDetailsError(RealtimeModel):
    """The ``ResponseStatusDetailsError`` object."""

    type: str | None = None
    code: str | None = None
    message: str | None = None


class ResponseAudio(RealtimeModel):
    """The ``ResponseAudio`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("output",)
    output: ResponseAudioOutput | None = None


class ResponseAudioOutput(RealtimeModel):
    """The ``ResponseAudioOutput`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("format", "voice")
    format: AudioFormats | None = None
    voice: VoiceIdsOrCustomVoice | None = None


class AudioFormatPcm(RealtimeModel):
    """The ``AudioFormatPcm`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["audio/pcm"] | None = "audio/pcm"
    rate: int | None = None


class AudioFormatPcmu(RealtimeModel):
    """The ``AudioFormatPcmu`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["audio/pcmu"] | None = "audio/pcmu"


class AudioFormatPcma(RealtimeModel):
    """The ``AudioFormatPcma`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["audio/pcma"] | None = "audio/pcma"


class CustomVoice(RealtimeModel):
    """The ``CustomVoice`` object."""

    id: str


class Usage(RealtimeModel):
    """The ``Usage`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("input_token_details", "output_token_details")
    total_tokens: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    input_token_details: InputTokenDetails | None = None
    output_token_details: TranscriptionUsageTokensInputTokenDetails | None = None


class InputTokenDetails(RealtimeModel):
    """The ``InputTokenDetails`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("cached_tokens_details",)
    cached_tokens: int | None = None
    text_tokens: int | None = None
    image_tokens: int | None = None
    audio_tokens: int | None = None
    cached_tokens_details: CachedTokensDetails | None = None


class CachedTokensDetails(RealtimeModel):
    """The ``CachedTokensDetails`` object."""

    text_tokens: int | None = None
    image_tokens: int | None = None
    audio_tokens: int | None = None


class ResponseDoneEvent(ServerEventBase):
    """The ``response.done`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("response",)
    event_id: str | None = None
    type: Literal["response.done"] = "response.done"
    response: Response


class ResponseFunctionCallArgumentsDeltaEvent(ServerEventBase):
    """The ``response.function_call_arguments.delta`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["response.function_call_arguments.delta"] = (
        "response.function_call_arguments.delta"
    )
    response_id: str
    item_id: str
    output_index: int
    call_id: str
    delta: str


class ResponseFunctionCallArgumentsDoneEvent(ServerEventBase):
    """The ``response.function_call_arguments.done`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["response.function_call_arguments.done"] = "response.function_call_arguments.done"
    response_id: str
    item_id: str
    output_index: int
    call_id: str
    name: str
    arguments: str


class ResponseMcpCallCompletedEvent(ServerEventBase):
    """The ``response.mcp_call.completed`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["response.mcp_call.completed"] = "response.mcp_call.completed"
    output_index: int
    item_id: str


class ResponseMcpCallFailedEvent(ServerEventBase):
    """The ``response.mcp_call.failed`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["response.mcp_call.failed"] = "response.mcp_call.failed"
    output_index: int
    item_id: str


class ResponseMcpCallInProgressEvent(ServerEventBase):
    """The ``response.mcp_call.in_progress`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["response.mcp_call.in_progress"] = "response.mcp_call.in_progress"
    output_index: int
    item_id: str


class ResponseMcpCallArgumentsDeltaEvent(ServerEventBase):
    """The ``response.mcp_call_arguments.delta`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["response.mcp_call_arguments.delta"] = "response.mcp_call_arguments.delta"
    response_id: str
    item_id: str
    output_index: int
    delta: str
    obfuscation: str | None = None


class ResponseMcpCallArgumentsDoneEvent(ServerEventBase):
    """The ``response.mcp_call_arguments.done`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["response.mcp_call_arguments.done"] = "response.mcp_call_arguments.done"
    response_id: str
    item_id: str
    output_index: int
    arguments: str


class ResponseOutputAudioDeltaEvent(ServerEventBase, AudioPayloadMixin):
    """The ``response.output_audio.delta`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_audio_field: ClassVar[str] = "delta"
    event_id: str | None = None
    type: Literal["response.output_audio.delta"] = "response.output_audio.delta"
    response_id: str
    item_id: str
    output_index: int
    content_index: int
    delta: str


class ResponseOutputAudioDoneEvent(ServerEventBase):
    """The ``response.output_audio.done`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["response.output_audio.done"] = "response.output_audio.done"
    response_id: str
    item_id: str
    output_index: int
    content_index: int


class ResponseOutputAudioTranscriptDeltaEvent(ServerEventBase):
    """The ``response.output_audio_transcript.delta`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["response.output_audio_transcript.delta"] = (
        "response.output_audio_transcript.delta"
    )
    response_id: str
    item_id: str
    output_index: int
    content_index: int
    delta: str
    obfuscation: str | None = None


class ResponseOutputAudioTranscriptDoneEvent(ServerEventBase):
    """The ``response.output_audio_transcript.done`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["response.output_audio_transcript.done"] = "response.output_audio_transcript.done"
    response_id: str
    item_id: str
    output_index: int
    content_index: int
    transcript: str


class ResponseOutputItemAddedEvent(ServerEventBase):
    """The ``response.output_item.added`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("item",)
    event_id: str | None = None
    type: Literal["response.output_item.added"] = "response.output_item.added"
    response_id: str
    output_index: int
    item: ConversationItem


class ResponseOutputItemDoneEvent(ServerEventBase):
    """The ``response.output_item.done`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("item",)
    event_id: str | None = None
    type: Literal["response.output_item.done"] = "response.output_item.done"
    response_id: str
    output_index: int
    item: ConversationItem


class ResponseOutputTextDeltaEvent(ServerEventBase):
    """The ``response.output_text.delta`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["response.output_text.delta"] = "response.output_text.delta"
    response_id: str
    item_id: str
    output_index: int
    content_index: int
    delta: str


class ResponseOutputTextDoneEvent(ServerEventBase):
    """The ``response.output_text.done`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["response.output_text.done"] = "response.output_text.done"
    response_id: str
    item_id: str
    output_index: int
    content_index: int
    text: str


class SessionClosedEvent(ServerEventBase):
    """The ``session.closed`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["session.closed"] = "session.closed"


class SessionCreatedEvent(ServerEventBase):
    """The ``session.created`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("session",)
    event_id: str | None = None
    type: Literal["session.created"] = "session.created"
    session: Annotated[
        Annotated[RealtimeSession, Tag("RealtimeSession")]
        | Annotated[TranscriptionSession, Tag("TranscriptionSession")]
        | Annotated[TranslationSession, Tag("TranslationSession")]
        | Annotated[UnknownObject, Tag("__unknown__")],
        Discriminator(_SessionCreatedSessionUnion_tag),
    ]


class RealtimeSession(RealtimeModel):
    """The ``RealtimeSession`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = (
        "audio",
        "tracing",
        "tools",
        "tool_choice",
        "reasoning",
        "truncation",
        "prompt",
    )
    type: Literal["realtime"] = "realtime"
    id: str | None = None
    object: Literal["realtime.session"] | str | None = None
    expires_at: int | None = None
    output_modalities: list[Literal["text", "audio"] | str] | None = None
    model: (
        Literal[
            "gpt-realtime",
            "gpt-realtime-1.5",
            "gpt-realtime-2",
            "gpt-realtime-2.1",
            "gpt-realtime-2.1-mini",
            "gpt-realtime-2025-08-28",
            "gpt-4o-realtime-preview",
            "gpt-4o-realtime-preview-2024-10-01",
            "gpt-4o-realtime-preview-2024-12-17",
            "gpt-4o-realtime-preview-2025-06-03",
            "gpt-4o-mini-realtime-preview",
            "gpt-4o-mini-realtime-preview-2024-12-17",
            "gpt-realtime-mini",
            "gpt-realtime-mini-2025-10-06",
            "gpt-realtime-mini-2025-12-15",
            "gpt-audio-1.5",
            "gpt-audio-mini",
            "gpt-audio-mini-2025-10-06",
            "gpt-audio-mini-2025-12-15",
        ]
        | str
        | None
    ) = None
    instructions: str | None = None
    audio: RealtimeSessionAudio | None = None
    include: list[Literal["item.input_audio_transcription.logprobs"] | str] | None = None
    tracing: Literal["auto"] | TracingConfig | str | None = None
    tools: (
        list[
            Annotated[
                Annotated[FunctionTool, Tag("FunctionTool")]
                | Annotated[McpTool, Tag("McpTool")]
                | Annotated[UnknownObject, Tag("__unknown__")],
                Discriminator(_RealtimeSessionToolsUnion_tag),
            ]
        ]
        | None
    ) = None
    tool_choice: ToolChoiceOptions | ToolChoiceFunction | ToolChoiceMCP | None = None
    reasoning: Reasoning | None = None
    max_output_tokens: int | Literal["inf"] | str | None = None
    truncation: Truncation | None = None
    prompt: Prompt | None = None
    parallel_tool_calls: bool | None = None


class RealtimeSessionAudio(RealtimeModel):
    """The ``RealtimeSessionAudio`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("input", "output")
    input: RealtimeSessionAudioInput | None = None
    output: RealtimeSessionAudioOutput | None = None


class RealtimeSessionAudioInput(RealtimeModel):
    """The ``RealtimeSessionAudioInput`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = (
        "format",
        "transcription",
        "noise_reduction",
        "turn_detection",
    )
    format: AudioFormats | None = None
    transcription: AudioTranscriptionResponse | None = None
    noise_reduction: RealtimeSessionAudioInputNoiseReduction | None = None
    turn_detection: TurnDetection | None = None


class AudioTranscriptionResponse(RealtimeModel):
    """The ``AudioTranscriptionResponse`` object."""

    model: (
        Literal[
            "whisper-1",
            "gpt-transcribe",
            "gpt-live-transcribe",
            "gpt-4o-mini-transcribe",
            "gpt-4o-mini-transcribe-2025-12-15",
            "gpt-4o-transcribe",
            "gpt-4o-transcribe-diarize",
            "gpt-realtime-whisper",
        ]
        | str
        | None
    ) = None
    language: str | None = None
    languages: list[str] | None = None
    prompt: str | None = None
    delay: Literal["minimal", "low", "medium", "high", "xhigh"] | str | None = None
    keywords: list[str] | None = None


class RealtimeSessionAudioInputNoiseReduction(RealtimeModel):
    """The ``RealtimeSessionAudioInputNoiseReduction`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("type",)
    type: NoiseReductionType | None = None
    strength: float | None = None


class ServerVad(RealtimeModel):
    """The ``ServerVad`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["server_vad"] = "server_vad"
    threshold: float | None = None
    prefix_padding_ms: int | None = None
    silence_duration_ms: int | None = None
    create_response: bool | None = None
    interrupt_response: bool | None = None
    idle_timeout_ms: int | None = None


class SemanticVad(RealtimeModel):
    """The ``SemanticVad`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["semantic_vad"] = "semantic_vad"
    eagerness: Literal["low", "medium", "high", "auto"] | str | None = None
    create_response: bool | None = None
    interrupt_response: bool | None = None


class RealtimeSessionAudioOutput(RealtimeModel):
    """The ``RealtimeSessionAudioOutput`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("format", "voice")
    format: AudioFormats | None = None
    voice: VoiceIdsOrCustomVoice | None = None
    speed: float | None = None


class TracingConfig(RealtimeModel):
    """The ``TracingConfig`` object."""

    workflow_name: str | None = None
    group_id: str | None = None
    metadata: dict[str, Any] | None = None


class FunctionTool(RealtimeModel):
    """The ``FunctionTool`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["function"] | None = "function"
    name: str | None = None
    description: str | None = None
    parameters: dict[str, Any] | None = None


class McpTool(RealtimeModel):
    """The ``McpTool`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("allowed_tools", "allowed_callers", "require_approval")
    type: Literal["mcp"] = "mcp"
    server_label: str
    server_url: str | None = None
    connector_id: (
        Literal[
            "connector_dropbox",
            "connector_gmail",
            "connector_googlecalendar",
            "connector_googledrive",
            "connector_microsoftteams",
            "connector_outlookcalendar",
            "connector_outlookemail",
            "connector_sharepoint",
        ]
        | str
        | None
    ) = None
    tunnel_id: str | None = None
    authorization: str | None = Field(default=None, repr=False)
    server_description: str | None = None
    headers: dict[str, str] | None = Field(default=None, repr=False)
    allowed_tools: list[str] | McpToolFilter | None = None
    allowed_callers: list[CallableToolAllowedCaller] | None = None
    require_approval: McpToolApprovalFilter | Literal["always", "never"] | str | None = None
    defer_loading: bool | None = None


class McpToolFilter(RealtimeModel):
    """The ``McpToolFilter`` object."""

    tool_names: list[str] | None = None
    read_only: bool | None = None


class McpToolApprovalFilter(RealtimeModel):
    """The ``McpToolApprovalFilter`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("always", "never")
    always: McpToolFilter | None = None
    never: McpToolFilter | None = None


class ToolChoiceFunction(RealtimeModel):
    """The ``ToolChoiceFunction`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["function"] = "function"
    name: str


class ToolChoiceMCP(RealtimeModel):
    """The ``ToolChoiceMCP`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["mcp"] = "mcp"
    server_label: str
    name: str | None = None


class Reasoning(RealtimeModel):
    """The ``Reasoning`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("effort",)
    effort: ReasoningEffort | None = None


class RetentionRatioTruncation(RealtimeModel):
    """The ``RetentionRatioTruncation`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("token_limits",)
    type: Literal["retention_ratio"] = "retention_ratio"
    retention_ratio: float
    token_limits: RetentionRatioTruncationTokenLimits | None = None


class RetentionRatioTruncationTokenLimits(RealtimeModel):
    """The ``RetentionRatioTruncationTokenLimits`` object."""

    post_instructions: int | None = None


class Prompt(RealtimeModel):
    """The ``Prompt`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("variables",)
    id: str
    version: str | None = None
    variables: ResponsePromptVariables | None = None


class InputTextContent(RealtimeModel):
    """The ``InputTextContent`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("prompt_cache_breakpoint",)
    type: Literal["input_text"] = "input_text"
    text: str
    prompt_cache_breakpoint: PromptCacheBreakpointConfig | None = None


class PromptCacheBreakpointConfig(RealtimeModel):
    """The ``PromptCacheBreakpointConfig`` object."""

    mode: Literal["explicit"] | str
    ttl: Literal["30m", "12h"] | str | None = None


class InputImageContent(RealtimeModel):
    """The ``InputImageContent`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("detail", "prompt_cache_breakpoint")
    type: Literal["input_image"] = "input_image"
    image_url: str | None = None
    file_id: str | None = None
    detail: ImageDetail
    prompt_cache_breakpoint: PromptCacheBreakpointConfig | None = None


class InputFileContent(RealtimeModel):
    """The ``InputFileContent`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("prompt_cache_breakpoint", "detail")
    type: Literal["input_file"] = "input_file"
    file_id: str | None = None
    filename: str | None = None
    file_data: str | None = None
    prompt_cache_breakpoint: PromptCacheBreakpointConfig | None = None
    file_url: str | None = None
    detail: FileInputDetail | None = None


class TranscriptionSession(RealtimeModel):
    """The ``TranscriptionSession`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("audio",)
    type: Literal["transcription"] = "transcription"
    id: str | None = None
    object: str | None = None
    expires_at: int | None = None
    include: list[Literal["item.input_audio_transcription.logprobs"] | str] | None = None
    audio: TranscriptionSessionAudio | None = None


class TranscriptionSessionAudio(RealtimeModel):
    """The ``TranscriptionSessionAudio`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("input",)
    input: TranscriptionSessionAudioInput | None = None


class TranscriptionSessionAudioInput(RealtimeModel):
    """The ``TranscriptionSessionAudioInput`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = (
        "format",
        "transcription",
        "noise_reduction",
        "turn_detection",
    )
    format: AudioFormats | None = None
    transcription: AudioTranscriptionResponse | None = None
    noise_reduction: TranscriptionSessionAudioInputNoiseReduction | None = None
    turn_detection: TranscriptionSessionAudioInputTurnDetection | None = None


class TranscriptionSessionAudioInputNoiseReduction(RealtimeModel):
    """The ``TranscriptionSessionAudioInputNoiseReduction`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("type",)
    type: NoiseReductionType | None = None
    strength: float | None = None


class TranscriptionSessionAudioInputTurnDetection(RealtimeModel):
    """The ``TranscriptionSessionAudioInputTurnDetection`` object."""

    type: str | None = None
    threshold: float | None = None
    prefix_padding_ms: int | None = None
    silence_duration_ms: int | None = None
    create_response: bool | None = None
    interrupt_response: bool | None = None
    idle_timeout_ms: int | None = None


class TranslationSession(RealtimeModel):
    """The ``TranslationSession`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("audio",)
    id: str
    type: Literal["translation"] = "translation"
    expires_at: int
    model: str
    audio: TranslationSessionAudio


class TranslationSessionAudio(RealtimeModel):
    """The ``TranslationSessionAudio`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("input", "output")
    input: TranslationSessionAudioInput | None = None
    output: TranslationSessionAudioOutput | None = None


class TranslationSessionAudioInput(RealtimeModel):
    """The ``TranslationSessionAudioInput`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("transcription", "noise_reduction")
    transcription: TranslationSessionAudioInputTranscription | None = None
    noise_reduction: TranslationSessionAudioInputNoiseReduction | None = None


class TranslationSessionAudioInputTranscription(RealtimeModel):
    """The ``TranslationSessionAudioInputTranscription`` object."""

    model: str


class TranslationSessionAudioInputNoiseReduction(RealtimeModel):
    """The ``TranslationSessionAudioInputNoiseReduction`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("type",)
    type: NoiseReductionType
    strength: float | None = None


class TranslationSessionAudioOutput(RealtimeModel):
    """The ``TranslationSessionAudioOutput`` object."""

    language: str | None = None


class SessionInputTranscriptDeltaEvent(ServerEventBase):
    """The ``session.input_transcript.delta`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["session.input_transcript.delta"] = "session.input_transcript.delta"
    delta: str
    elapsed_ms: int | None = None


class SessionOutputAudioDeltaEvent(ServerEventBase, AudioPayloadMixin):
    """The ``session.output_audio.delta`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_audio_field: ClassVar[str] = "delta"
    event_id: str | None = None
    type: Literal["session.output_audio.delta"] = "session.output_audio.delta"
    delta: str
    sample_rate: int | None = None
    channels: int | None = None
    format: Literal["pcm16"] | str | None = None
    elapsed_ms: int | None = None


class SessionOutputTranscriptDeltaEvent(ServerEventBase):
    """The ``session.output_transcript.delta`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["session.output_transcript.delta"] = "session.output_transcript.delta"
    delta: str
    elapsed_ms: int | None = None


class SessionUpdatedEvent(ServerEventBase):
    """The ``session.updated`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("session",)
    event_id: str | None = None
    type: Literal["session.updated"] = "session.updated"
    session: Annotated[
        Annotated[RealtimeSession, Tag("RealtimeSession")]
        | Annotated[TranscriptionSession, Tag("TranscriptionSession")]
        | Annotated[TranslationSession, Tag("TranslationSession")]
        | Annotated[UnknownObject, Tag("__unknown__")],
        Discriminator(_SessionCreatedSessionUnion_tag),
    ]


class ConversationItemCreateEvent(ClientEventBase):
    """The ``conversation.item.create`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("item",)
    event_id: str | None = None
    type: Literal["conversation.item.create"] = "conversation.item.create"
    previous_item_id: str | None = None
    item: ConversationItem


class ConversationItemDeleteEvent(ClientEventBase):
    """The ``conversation.item.delete`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["conversation.item.delete"] = "conversation.item.delete"
    item_id: str


class ConversationItemRetrieveEvent(ClientEventBase):
    """The ``conversation.item.retrieve`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["conversation.item.retrieve"] = "conversation.item.retrieve"
    item_id: str


class ConversationItemTruncateEvent(ClientEventBase):
    """The ``conversation.item.truncate`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["conversation.item.truncate"] = "conversation.item.truncate"
    item_id: str
    content_index: int
    audio_end_ms: int


class InputAudioBufferAppendEvent(ClientEventBase, AudioAppendMixin):
    """The ``input_audio_buffer.append`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_audio_field: ClassVar[str] = "audio"
    event_id: str | None = None
    type: Literal["input_audio_buffer.append"] = "input_audio_buffer.append"
    audio: str


class InputAudioBufferClearEvent(ClientEventBase):
    """The ``input_audio_buffer.clear`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["input_audio_buffer.clear"] = "input_audio_buffer.clear"


class InputAudioBufferCommitEvent(ClientEventBase):
    """The ``input_audio_buffer.commit`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["input_audio_buffer.commit"] = "input_audio_buffer.commit"


class OutputAudioBufferClearEvent(ClientEventBase):
    """The ``output_audio_buffer.clear`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["output_audio_buffer.clear"] = "output_audio_buffer.clear"


class ResponseCancelEvent(ClientEventBase):
    """The ``response.cancel`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["response.cancel"] = "response.cancel"
    response_id: str | None = None


class ResponseCreateEvent(ClientEventBase):
    """The ``response.create`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("response",)
    event_id: str | None = None
    type: Literal["response.create"] = "response.create"
    response: ResponseCreateParams | None = None


class ResponseCreateParams(RealtimeModel):
    """The ``ResponseCreateParams`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = (
        "audio",
        "tools",
        "tool_choice",
        "reasoning",
        "metadata",
        "prompt",
        "input",
    )
    output_modalities: list[Literal["text", "audio"] | str] | None = None
    instructions: str | None = None
    audio: ResponseAudio | None = None
    tools: (
        list[
            Annotated[
                Annotated[FunctionTool, Tag("FunctionTool")]
                | Annotated[McpTool, Tag("McpTool")]
                | Annotated[UnknownObject, Tag("__unknown__")],
                Discriminator(_RealtimeSessionToolsUnion_tag),
            ]
        ]
        | None
    ) = None
    tool_choice: ToolChoiceOptions | ToolChoiceFunction | ToolChoiceMCP | None = None
    parallel_tool_calls: bool | None = None
    reasoning: Reasoning | None = None
    max_output_tokens: int | Literal["inf"] | str | None = None
    conversation: Literal["auto", "none"] | str | None = None
    metadata: Metadata | None = None
    prompt: Prompt | None = None
    input: (
        list[
            Annotated[
                Annotated[AssistantMessageItem, Tag("AssistantMessageItem")]
                | Annotated[FunctionCallItem, Tag("FunctionCallItem")]
                | Annotated[FunctionCallOutputItem, Tag("FunctionCallOutputItem")]
                | Annotated[ItemReference, Tag("ItemReference")]
                | Annotated[McpApprovalRequestItem, Tag("McpApprovalRequestItem")]
                | Annotated[McpApprovalResponseItem, Tag("McpApprovalResponseItem")]
                | Annotated[McpCallItem, Tag("McpCallItem")]
                | Annotated[McpListToolsItem, Tag("McpListToolsItem")]
                | Annotated[SystemMessageItem, Tag("SystemMessageItem")]
                | Annotated[UserMessageItem, Tag("UserMessageItem")]
                | Annotated[UnknownObject, Tag("__unknown__")],
                Discriminator(_ResponseCreateParamsInputUnion_tag),
            ]
        ]
        | None
    ) = None


class ItemReference(RealtimeModel):
    """The ``ItemReference`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    type: Literal["item_reference"] = "item_reference"
    id: str


class SessionCloseEvent(ClientEventBase):
    """The ``session.close`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    event_id: str | None = None
    type: Literal["session.close"] = "session.close"


class SessionInputAudioBufferAppendEvent(ClientEventBase, AudioAppendMixin):
    """The ``session.input_audio_buffer.append`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_audio_field: ClassVar[str] = "audio"
    event_id: str | None = None
    type: Literal["session.input_audio_buffer.append"] = "session.input_audio_buffer.append"
    audio: str


class SessionUpdateEvent(ClientEventBase):
    """The ``session.update`` event."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("session",)
    event_id: str | None = None
    type: Literal["session.update"] = "session.update"
    session: Annotated[
        Annotated[RealtimeSessionConfig, Tag("RealtimeSessionConfig")]
        | Annotated[TranscriptionSessionConfig, Tag("TranscriptionSessionConfig")]
        | Annotated[TranslationSessionConfig, Tag("TranslationSessionConfig")]
        | Annotated[UnknownObject, Tag("__unknown__")],
        Discriminator(_SessionUpdateSessionUnion_tag),
    ]


class RealtimeSessionConfig(RealtimeModel):
    """The ``RealtimeSessionConfig`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = (
        "audio",
        "tracing",
        "tools",
        "tool_choice",
        "reasoning",
        "truncation",
        "prompt",
    )
    type: Literal["realtime"] = "realtime"
    output_modalities: list[Literal["text", "audio"] | str] | None = None
    model: (
        Literal[
            "gpt-realtime",
            "gpt-realtime-1.5",
            "gpt-realtime-2",
            "gpt-realtime-2.1",
            "gpt-realtime-2.1-mini",
            "gpt-realtime-2025-08-28",
            "gpt-4o-realtime-preview",
            "gpt-4o-realtime-preview-2024-10-01",
            "gpt-4o-realtime-preview-2024-12-17",
            "gpt-4o-realtime-preview-2025-06-03",
            "gpt-4o-mini-realtime-preview",
            "gpt-4o-mini-realtime-preview-2024-12-17",
            "gpt-realtime-mini",
            "gpt-realtime-mini-2025-10-06",
            "gpt-realtime-mini-2025-12-15",
            "gpt-audio-1.5",
            "gpt-audio-mini",
            "gpt-audio-mini-2025-10-06",
            "gpt-audio-mini-2025-12-15",
        ]
        | str
        | None
    ) = None
    instructions: str | None = None
    audio: RealtimeAudioConfig | None = None
    include: list[Literal["item.input_audio_transcription.logprobs"] | str] | None = None
    tracing: Literal["auto"] | TracingConfig | str | None = None
    tools: (
        list[
            Annotated[
                Annotated[FunctionTool, Tag("FunctionTool")]
                | Annotated[McpTool, Tag("McpTool")]
                | Annotated[UnknownObject, Tag("__unknown__")],
                Discriminator(_RealtimeSessionToolsUnion_tag),
            ]
        ]
        | None
    ) = None
    tool_choice: ToolChoiceOptions | ToolChoiceFunction | ToolChoiceMCP | None = None
    parallel_tool_calls: bool | None = None
    reasoning: Reasoning | None = None
    max_output_tokens: int | Literal["inf"] | str | None = None
    truncation: Truncation | None = None
    prompt: Prompt | None = None


class RealtimeAudioConfig(RealtimeModel):
    """The ``RealtimeAudioConfig`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("input", "output")
    input: RealtimeAudioInputConfig | None = None
    output: RealtimeSessionAudioOutput | None = None


class RealtimeAudioInputConfig(RealtimeModel):
    """The ``RealtimeAudioInputConfig`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = (
        "format",
        "transcription",
        "noise_reduction",
        "turn_detection",
    )
    format: AudioFormats | None = None
    transcription: AudioTranscription | None = None
    noise_reduction: RealtimeSessionAudioInputNoiseReduction | None = None
    turn_detection: TurnDetection | None = None


class AudioTranscription(RealtimeModel):
    """The ``AudioTranscription`` object."""

    model: (
        Literal[
            "whisper-1",
            "gpt-transcribe",
            "gpt-live-transcribe",
            "gpt-4o-mini-transcribe",
            "gpt-4o-mini-transcribe-2025-12-15",
            "gpt-4o-transcribe",
            "gpt-4o-transcribe-diarize",
            "gpt-realtime-whisper",
        ]
        | str
        | None
    ) = None
    language: str | None = None
    languages: list[str] | None = None
    keywords: list[str] | None = None
    prompt: str | None = None
    delay: Literal["minimal", "low", "medium", "high", "xhigh"] | str | None = None


class TranscriptionSessionConfig(RealtimeModel):
    """The ``TranscriptionSessionConfig`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("audio",)
    type: Literal["transcription"] = "transcription"
    audio: TranscriptionSessionConfigAudio | None = None
    include: list[Literal["item.input_audio_transcription.logprobs"] | str] | None = None


class TranscriptionSessionConfigAudio(RealtimeModel):
    """The ``TranscriptionSessionConfigAudio`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("input",)
    input: RealtimeAudioInputConfig | None = None


class TranslationSessionConfig(RealtimeModel):
    """The ``TranslationSessionConfig`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("audio",)
    audio: TranslationSessionAudio | None = None


class CallReferRequest(RealtimeModel):
    """The ``CallReferRequest`` object."""

    target_uri: str


class CallRejectRequest(RealtimeModel):
    """The ``CallRejectRequest`` object."""

    status_code: int | None = None


class ClientSecretCreateRequest(RealtimeModel):
    """The ``ClientSecretCreateRequest`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("expires_after", "session")
    expires_after: ClientSecretCreateRequestExpiresAfter | None = None
    session: (
        Annotated[
            Annotated[RealtimeSessionConfig, Tag("RealtimeSessionConfig")]
            | Annotated[TranscriptionSessionConfig, Tag("TranscriptionSessionConfig")]
            | Annotated[UnknownObject, Tag("__unknown__")],
            Discriminator(_ClientSecretCreateRequestSessionUnion_tag),
        ]
        | None
    ) = None


class ClientSecretCreateRequestExpiresAfter(RealtimeModel):
    """The ``ClientSecretCreateRequestExpiresAfter`` object."""

    anchor: Literal["created_at"] | str | None = None
    seconds: int | None = None


class ClientSecretCreateResponse(RealtimeModel):
    """The ``ClientSecretCreateResponse`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("session",)
    value: str = Field(repr=False)
    expires_at: int
    session: Annotated[
        Annotated[RealtimeSession, Tag("RealtimeSession")]
        | Annotated[TranscriptionSession, Tag("TranscriptionSession")]
        | Annotated[UnknownObject, Tag("__unknown__")],
        Discriminator(_ClientSecretCreateResponseSessionUnion_tag),
    ]


class TranslationClientSecretCreateRequest(RealtimeModel):
    """The ``TranslationClientSecretCreateRequest`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("expires_after", "session")
    expires_after: ClientSecretCreateRequestExpiresAfter | None = None
    session: TranslationSessionCreateConfig


class TranslationSessionCreateConfig(RealtimeModel):
    """The ``TranslationSessionCreateConfig`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("audio",)
    model: str
    audio: TranslationSessionAudio | None = None


class TranslationClientSecretCreateResponse(RealtimeModel):
    """The ``TranslationClientSecretCreateResponse`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("session",)
    value: str = Field(repr=False)
    expires_at: int
    session: TranslationSession


class CallIncomingWebhook(RealtimeModel):
    """The ``CallIncomingWebhook`` object."""

    _rk_always: ClassVar[frozenset[str]] = frozenset(["type"])
    _rk_nested: ClassVar[tuple[str, ...]] = ("data",)
    created_at: int
    id: str
    data: CallIncomingWebhookData
    object: Literal["event"] | str | None = None
    type: Literal["realtime.call.incoming"] = "realtime.call.incoming"


class CallIncomingWebhookData(RealtimeModel):
    """The ``CallIncomingWebhookData`` object."""

    _rk_nested: ClassVar[tuple[str, ...]] = ("sip_headers",)
    call_id: str
    sip_headers: list[CallIncomingWebhookDataSipHeaders]
    sip_media_security: Literal["rtp", "srtp"] | str | None = None


class CallIncomingWebhookDataSipHeaders(RealtimeModel):
    """The ``CallIncomingWebhookDataSipHeaders`` object."""

    name: str
    value: str


ConversationItem = Annotated[
    Annotated[AssistantMessageItem, Tag("AssistantMessageItem")]
    | Annotated[FunctionCallItem, Tag("FunctionCallItem")]
    | Annotated[FunctionCallOutputItem, Tag("FunctionCallOutputItem")]
    | Annotated[McpApprovalRequestItem, Tag("McpApprovalRequestItem")]
    | Annotated[McpApprovalResponseItem, Tag("McpApprovalResponseItem")]
    | Annotated[McpCallItem, Tag("McpCallItem")]
    | Annotated[McpListToolsItem, Tag("McpListToolsItem")]
    | Annotated[SystemMessageItem, Tag("SystemMessageItem")]
    | Annotated[UserMessageItem, Tag("UserMessageItem")]
    | Annotated[UnknownObject, Tag("__unknown__")],
    Discriminator(_ConversationItemUnion_tag),
]
Metadata = dict[str, str] | None
AudioFormats = Annotated[
    Annotated[AudioFormatPcm, Tag("AudioFormatPcm")]
    | Annotated[AudioFormatPcma, Tag("AudioFormatPcma")]
    | Annotated[AudioFormatPcmu, Tag("AudioFormatPcmu")]
    | Annotated[UnknownObject, Tag("__unknown__")],
    Discriminator(_AudioFormatsUnion_tag),
]
VoiceIdsOrCustomVoice = (
    Literal["alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"]
    | CustomVoice
    | str
)
NoiseReductionType = Literal["near_field", "far_field"] | str
TurnDetection = (
    Annotated[
        Annotated[SemanticVad, Tag("SemanticVad")]
        | Annotated[ServerVad, Tag("ServerVad")]
        | Annotated[UnknownObject, Tag("__unknown__")],
        Discriminator(_TurnDetectionUnion_tag),
    ]
    | None
)
CallableToolAllowedCaller = Literal["direct", "programmatic"] | str
ToolChoiceOptions = Literal["none", "auto", "required"] | str
ReasoningEffort = Literal["minimal", "low", "medium", "high", "xhigh"] | str
Truncation = Literal["auto", "disabled"] | RetentionRatioTruncation | str
ImageDetail = Literal["low", "high", "auto", "original"] | str
FileInputDetail = Literal["auto", "low", "high"] | str
ResponsePromptVariables = (
    dict[str, str | InputTextContent | InputImageContent | InputFileContent] | None
)

SERVER_EVENT_CLASSES: tuple[type[ServerEventBase], ...] = (
    ConversationCreatedEvent,
    ConversationItemAddedEvent,
    ConversationItemCreatedEvent,
    ConversationItemDeletedEvent,
    ConversationItemDoneEvent,
    ConversationItemInputAudioTranscriptionCompletedEvent,
    ConversationItemInputAudioTranscriptionDeltaEvent,
    ConversationItemInputAudioTranscriptionFailedEvent,
    ConversationItemInputAudioTranscriptionSegmentEvent,
    ConversationItemRetrievedEvent,
    ConversationItemTruncatedEvent,
    ErrorEvent,
    InputAudioBufferClearedEvent,
    InputAudioBufferCommittedEvent,
    InputAudioBufferDtmfEventReceivedEvent,
    InputAudioBufferSpeechStartedEvent,
    InputAudioBufferSpeechStoppedEvent,
    InputAudioBufferTimeoutTriggeredEvent,
    McpListToolsCompletedEvent,
    McpListToolsFailedEvent,
    McpListToolsInProgressEvent,
    OutputAudioBufferClearedEvent,
    OutputAudioBufferStartedEvent,
    OutputAudioBufferStoppedEvent,
    RateLimitsUpdatedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseDoneEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseMcpCallCompletedEvent,
    ResponseMcpCallFailedEvent,
    ResponseMcpCallInProgressEvent,
    ResponseMcpCallArgumentsDeltaEvent,
    ResponseMcpCallArgumentsDoneEvent,
    ResponseOutputAudioDeltaEvent,
    ResponseOutputAudioDoneEvent,
    ResponseOutputAudioTranscriptDeltaEvent,
    ResponseOutputAudioTranscriptDoneEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputTextDeltaEvent,
    ResponseOutputTextDoneEvent,
    SessionClosedEvent,
    SessionCreatedEvent,
    SessionInputTranscriptDeltaEvent,
    SessionOutputAudioDeltaEvent,
    SessionOutputTranscriptDeltaEvent,
    SessionUpdatedEvent,
)
CLIENT_EVENT_CLASSES: tuple[type[ClientEventBase], ...] = (
    ConversationItemCreateEvent,
    ConversationItemDeleteEvent,
    ConversationItemRetrieveEvent,
    ConversationItemTruncateEvent,
    InputAudioBufferAppendEvent,
    InputAudioBufferClearEvent,
    InputAudioBufferCommitEvent,
    OutputAudioBufferClearEvent,
    ResponseCancelEvent,
    ResponseCreateEvent,
    SessionCloseEvent,
    SessionInputAudioBufferAppendEvent,
    SessionUpdateEvent,
)
KnownServerEvent = Union[
    ConversationCreatedEvent,
    ConversationItemAddedEvent,
    ConversationItemCreatedEvent,
    ConversationItemDeletedEvent,
    ConversationItemDoneEvent,
    ConversationItemInputAudioTranscriptionCompletedEvent,
    ConversationItemInputAudioTranscriptionDeltaEvent,
    ConversationItemInputAudioTranscriptionFailedEvent,
    ConversationItemInputAudioTranscriptionSegmentEvent,
    ConversationItemRetrievedEvent,
    ConversationItemTruncatedEvent,
    ErrorEvent,
    InputAudioBufferClearedEvent,
    InputAudioBufferCommittedEvent,
    InputAudioBufferDtmfEventReceivedEvent,
    InputAudioBufferSpeechStartedEvent,
    InputAudioBufferSpeechStoppedEvent,
    InputAudioBufferTimeoutTriggeredEvent,
    McpListToolsCompletedEvent,
    McpListToolsFailedEvent,
    McpListToolsInProgressEvent,
    OutputAudioBufferClearedEvent,
    OutputAudioBufferStartedEvent,
    OutputAudioBufferStoppedEvent,
    RateLimitsUpdatedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseDoneEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseMcpCallCompletedEvent,
    ResponseMcpCallFailedEvent,
    ResponseMcpCallInProgressEvent,
    ResponseMcpCallArgumentsDeltaEvent,
    ResponseMcpCallArgumentsDoneEvent,
    ResponseOutputAudioDeltaEvent,
    ResponseOutputAudioDoneEvent,
    ResponseOutputAudioTranscriptDeltaEvent,
    ResponseOutputAudioTranscriptDoneEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputTextDeltaEvent,
    ResponseOutputTextDoneEvent,
    SessionClosedEvent,
    SessionCreatedEvent,
    SessionInputTranscriptDeltaEvent,
    SessionOutputAudioDeltaEvent,
    SessionOutputTranscriptDeltaEvent,
    SessionUpdatedEvent,
]
KnownClientEvent = Union[
    ConversationItemCreateEvent,
    ConversationItemDeleteEvent,
    ConversationItemRetrieveEvent,
    ConversationItemTruncateEvent,
    InputAudioBufferAppendEvent,
    InputAudioBufferClearEvent,
    InputAudioBufferCommitEvent,
    OutputAudioBufferClearEvent,
    ResponseCancelEvent,
    ResponseCreateEvent,
    SessionCloseEvent,
    SessionInputAudioBufferAppendEvent,
    SessionUpdateEvent,
]

ConversationCreatedEvent.model_rebuild()
ConversationCreatedConversation.model_rebuild()
ConversationItemAddedEvent.model_rebuild()
SystemMessageItem.model_rebuild()
SystemMessageItemContent.model_rebuild()
UserMessageItem.model_rebuild()
UserMessageItemContent.model_rebuild()
AssistantMessageItem.model_rebuild()
AssistantMessageItemContent.model_rebuild()
FunctionCallItem.model_rebuild()
FunctionCallOutputItem.model_rebuild()
McpApprovalResponseItem.model_rebuild()
McpListToolsItem.model_rebuild()
McpListToolsTool.model_rebuild()
McpCallItem.model_rebuild()
McpProtocolError.model_rebuild()
McpToolExecutionError.model_rebuild()
McpHttpError.model_rebuild()
McpApprovalRequestItem.model_rebuild()
ConversationItemCreatedEvent.model_rebuild()
ConversationItemDeletedEvent.model_rebuild()
ConversationItemDoneEvent.model_rebuild()
ConversationItemInputAudioTranscriptionCompletedEvent.model_rebuild()
TranscriptionLanguage.model_rebuild()
LogProbProperties.model_rebuild()
TranscriptionUsageTokens.model_rebuild()
TranscriptionUsageTokensInputTokenDetails.model_rebuild()
TranscriptionUsageDuration.model_rebuild()
ConversationItemInputAudioTranscriptionDeltaEvent.model_rebuild()
ConversationItemInputAudioTranscriptionFailedEvent.model_rebuild()
ConversationItemInputAudioTranscriptionFailedError.model_rebuild()
ConversationItemInputAudioTranscriptionSegmentEvent.model_rebuild()
ConversationItemRetrievedEvent.model_rebuild()
ConversationItemTruncatedEvent.model_rebuild()
ErrorEvent.model_rebuild()
ErrorDetails.model_rebuild()
InputAudioBufferClearedEvent.model_rebuild()
InputAudioBufferCommittedEvent.model_rebuild()
InputAudioBufferDtmfEventReceivedEvent.model_rebuild()
InputAudioBufferSpeechStartedEvent.model_rebuild()
InputAudioBufferSpeechStoppedEvent.model_rebuild()
InputAudioBufferTimeoutTriggeredEvent.model_rebuild()
McpListToolsCompletedEvent.model_rebuild()
McpListToolsFailedEvent.model_rebuild()
McpListToolsInProgressEvent.model_rebuild()
OutputAudioBufferClearedEvent.model_rebuild()
OutputAudioBufferStartedEvent.model_rebuild()
OutputAudioBufferStoppedEvent.model_rebuild()
RateLimitsUpdatedEvent.model_rebuild()
RateLimit.model_rebuild()
ResponseContentPartAddedEvent.model_rebuild()
ResponseContentPartAddedPart.model_rebuild()
ResponseContentPartDoneEvent.model_rebuild()
ResponseCreatedEvent.model_rebuild()
Response.model_rebuild()
ResponseStatusDetails.model_rebuild()
ResponseStatusDetailsError.model_rebuild()
ResponseAudio.model_rebuild()
ResponseAudioOutput.model_rebuild()
AudioFormatPcm.model_rebuild()
AudioFormatPcmu.model_rebuild()
AudioFormatPcma.model_rebuild()
CustomVoice.model_rebuild()
Usage.model_rebuild()
InputTokenDetails.model_rebuild()
CachedTokensDetails.model_rebuild()
ResponseDoneEvent.model_rebuild()
ResponseFunctionCallArgumentsDeltaEvent.model_rebuild()
ResponseFunctionCallArgumentsDoneEvent.model_rebuild()
ResponseMcpCallCompletedEvent.model_rebuild()
ResponseMcpCallFailedEvent.model_rebuild()
ResponseMcpCallInProgressEvent.model_rebuild()
ResponseMcpCallArgumentsDeltaEvent.model_rebuild()
ResponseMcpCallArgumentsDoneEvent.model_rebuild()
ResponseOutputAudioDeltaEvent.model_rebuild()
ResponseOutputAudioDoneEvent.model_rebuild()
ResponseOutputAudioTranscriptDeltaEvent.model_rebuild()
ResponseOutputAudioTranscriptDoneEvent.model_rebuild()
ResponseOutputItemAddedEvent.model_rebuild()
ResponseOutputItemDoneEvent.model_rebuild()
ResponseOutputTextDeltaEvent.model_rebuild()
ResponseOutputTextDoneEvent.model_rebuild()
SessionClosedEvent.model_rebuild()
SessionCreatedEvent.model_rebuild()
RealtimeSession.model_rebuild()
RealtimeSessionAudio.model_rebuild()
RealtimeSessionAudioInput.model_rebuild()
AudioTranscriptionResponse.model_rebuild()
RealtimeSessionAudioInputNoiseReduction.model_rebuild()
ServerVad.model_rebuild()
SemanticVad.model_rebuild()
RealtimeSessionAudioOutput.model_rebuild()
TracingConfig.model_rebuild()
FunctionTool.model_rebuild()
McpTool.model_rebuild()
McpToolFilter.model_rebuild()
McpToolApprovalFilter.model_rebuild()
ToolChoiceFunction.model_rebuild()
ToolChoiceMCP.model_rebuild()
Reasoning.model_rebuild()
RetentionRatioTruncation.model_rebuild()
RetentionRatioTruncationTokenLimits.model_rebuild()
Prompt.model_rebuild()
InputTextContent.model_rebuild()
PromptCacheBreakpointConfig.model_rebuild()
InputImageContent.model_rebuild()
InputFileContent.model_rebuild()
TranscriptionSession.model_rebuild()
TranscriptionSessionAudio.model_rebuild()
TranscriptionSessionAudioInput.model_rebuild()
TranscriptionSessionAudioInputNoiseReduction.model_rebuild()
TranscriptionSessionAudioInputTurnDetection.model_rebuild()
TranslationSession.model_rebuild()
TranslationSessionAudio.model_rebuild()
TranslationSessionAudioInput.model_rebuild()
TranslationSessionAudioInputTranscription.model_rebuild()
TranslationSessionAudioInputNoiseReduction.model_rebuild()
TranslationSessionAudioOutput.model_rebuild()
SessionInputTranscriptDeltaEvent.model_rebuild()
SessionOutputAudioDeltaEvent.model_rebuild()
SessionOutputTranscriptDeltaEvent.model_rebuild()
SessionUpdatedEvent.model_rebuild()
ConversationItemCreateEvent.model_rebuild()
ConversationItemDeleteEvent.model_rebuild()
ConversationItemRetrieveEvent.model_rebuild()
ConversationItemTruncateEvent.model_rebuild()
InputAudioBufferAppendEvent.model_rebuild()
InputAudioBufferClearEvent.model_rebuild()
InputAudioBufferCommitEvent.model_rebuild()
OutputAudioBufferClearEvent.model_rebuild()
ResponseCancelEvent.model_rebuild()
ResponseCreateEvent.model_rebuild()
ResponseCreateParams.model_rebuild()
ItemReference.model_rebuild()
SessionCloseEvent.model_rebuild()
SessionInputAudioBufferAppendEvent.model_rebuild()
SessionUpdateEvent.model_rebuild()
RealtimeSessionConfig.model_rebuild()
RealtimeAudioConfig.model_rebuild()
RealtimeAudioInputConfig.model_rebuild()
AudioTranscription.model_rebuild()
TranscriptionSessionConfig.model_rebuild()
TranscriptionSessionConfigAudio.model_rebuild()
TranslationSessionConfig.model_rebuild()
CallReferRequest.model_rebuild()
CallRejectRequest.model_rebuild()
ClientSecretCreateRequest.model_rebuild()
ClientSecretCreateRequestExpiresAfter.model_rebuild()
ClientSecretCreateResponse.model_rebuild()
TranslationClientSecretCreateRequest.model_rebuild()
TranslationSessionCreateConfig.model_rebuild()
TranslationClientSecretCreateResponse.model_rebuild()
CallIncomingWebhook.model_rebuild()
CallIncomingWebhookData.model_rebuild()
CallIncomingWebhookDataSipHeaders.model_rebuild()

__all__ = [
    "CLIENT_EVENT_CLASSES",
    "SERVER_EVENT_CLASSES",
    "AssistantMessageItem",
    "AssistantMessageItemContent",
    "AudioFormatPcm",
    "AudioFormatPcma",
    "AudioFormatPcmu",
    "AudioFormats",
    "AudioTranscription",
    "AudioTranscriptionResponse",
    "CachedTokensDetails",
    "CallIncomingWebhook",
    "CallIncomingWebhookData",
    "CallIncomingWebhookDataSipHeaders",
    "CallReferRequest",
    "CallRejectRequest",
    "CallableToolAllowedCaller",
    "ClientSecretCreateRequest",
    "ClientSecretCreateRequestExpiresAfter",
    "ClientSecretCreateResponse",
    "ConversationCreatedConversation",
    "ConversationCreatedEvent",
    "ConversationItem",
    "ConversationItemAddedEvent",
    "ConversationItemCreateEvent",
    "ConversationItemCreatedEvent",
    "ConversationItemDeleteEvent",
    "ConversationItemDeletedEvent",
    "ConversationItemDoneEvent",
    "ConversationItemInputAudioTranscriptionCompletedEvent",
    "ConversationItemInputAudioTranscriptionDeltaEvent",
    "ConversationItemInputAudioTranscriptionFailedError",
    "ConversationItemInputAudioTranscriptionFailedEvent",
    "ConversationItemInputAudioTranscriptionSegmentEvent",
    "ConversationItemRetrieveEvent",
    "ConversationItemRetrievedEvent",
    "ConversationItemTruncateEvent",
    "ConversationItemTruncatedEvent",
    "CustomVoice",
    "ErrorDetails",
    "ErrorEvent",
    "FileInputDetail",
    "FunctionCallItem",
    "FunctionCallOutputItem",
    "FunctionTool",
    "ImageDetail",
    "InputAudioBufferAppendEvent",
    "InputAudioBufferClearEvent",
    "InputAudioBufferClearedEvent",
    "InputAudioBufferCommitEvent",
    "InputAudioBufferCommittedEvent",
    "InputAudioBufferDtmfEventReceivedEvent",
    "InputAudioBufferSpeechStartedEvent",
    "InputAudioBufferSpeechStoppedEvent",
    "InputAudioBufferTimeoutTriggeredEvent",
    "InputFileContent",
    "InputImageContent",
    "InputTextContent",
    "InputTokenDetails",
    "ItemReference",
    "KnownClientEvent",
    "KnownServerEvent",
    "LogProbProperties",
    "McpApprovalRequestItem",
    "McpApprovalResponseItem",
    "McpCallItem",
    "McpHttpError",
    "McpListToolsCompletedEvent",
    "McpListToolsFailedEvent",
    "McpListToolsInProgressEvent",
    "McpListToolsItem",
    "McpListToolsTool",
    "McpProtocolError",
    "McpTool",
    "McpToolApprovalFilter",
    "McpToolExecutionError",
    "McpToolFilter",
    "Metadata",
    "NoiseReductionType",
    "OutputAudioBufferClearEvent",
    "OutputAudioBufferClearedEvent",
    "OutputAudioBufferStartedEvent",
    "OutputAudioBufferStoppedEvent",
    "Prompt",
    "PromptCacheBreakpointConfig",
    "RateLimit",
    "RateLimitsUpdatedEvent",
    "RealtimeAudioConfig",
    "RealtimeAudioInputConfig",
    "RealtimeSession",
    "RealtimeSessionAudio",
    "RealtimeSessionAudioInput",
    "RealtimeSessionAudioInputNoiseReduction",
    "RealtimeSessionAudioOutput",
    "RealtimeSessionConfig",
    "Reasoning",
    "ReasoningEffort",
    "Response",
    "ResponseAudio",
    "ResponseAudioOutput",
    "ResponseCancelEvent",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartAddedPart",
    "ResponseContentPartDoneEvent",
    "ResponseCreateEvent",
    "ResponseCreateParams",
    "ResponseCreatedEvent",
    "ResponseDoneEvent",
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseFunctionCallArgumentsDoneEvent",
    "ResponseMcpCallArgumentsDeltaEvent",
    "ResponseMcpCallArgumentsDoneEvent",
    "ResponseMcpCallCompletedEvent",
    "ResponseMcpCallFailedEvent",
    "ResponseMcpCallInProgressEvent",
    "ResponseOutputAudioDeltaEvent",
    "ResponseOutputAudioDoneEvent",
    "ResponseOutputAudioTranscriptDeltaEvent",
    "ResponseOutputAudioTranscriptDoneEvent",
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseOutputTextDeltaEvent",
    "ResponseOutputTextDoneEvent",
    "ResponsePromptVariables",
    "ResponseStatusDetails",
    "ResponseStatusDetailsError",
    "RetentionRatioTruncation",
    "RetentionRatioTruncationTokenLimits",
    "SemanticVad",
    "ServerVad",
    "SessionCloseEvent",
    "SessionClosedEvent",
    "SessionCreatedEvent",
    "SessionInputAudioBufferAppendEvent",
    "SessionInputTranscriptDeltaEvent",
    "SessionOutputAudioDeltaEvent",
    "SessionOutputTranscriptDeltaEvent",
    "SessionUpdateEvent",
    "SessionUpdatedEvent",
    "SystemMessageItem",
    "SystemMessageItemContent",
    "ToolChoiceFunction",
    "ToolChoiceMCP",
    "ToolChoiceOptions",
    "TracingConfig",
    "TranscriptionLanguage",
    "TranscriptionSession",
    "TranscriptionSessionAudio",
    "TranscriptionSessionAudioInput",
    "TranscriptionSessionAudioInputNoiseReduction",
    "TranscriptionSessionAudioInputTurnDetection",
    "TranscriptionSessionConfig",
    "TranscriptionSessionConfigAudio",
    "TranscriptionUsageDuration",
    "TranscriptionUsageTokens",
    "TranscriptionUsageTokensInputTokenDetails",
    "TranslationClientSecretCreateRequest",
    "TranslationClientSecretCreateResponse",
    "TranslationSession",
    "TranslationSessionAudio",
    "TranslationSessionAudioInput",
    "TranslationSessionAudioInputNoiseReduction",
    "TranslationSessionAudioInputTranscription",
    "TranslationSessionAudioOutput",
    "TranslationSessionConfig",
    "TranslationSessionCreateConfig",
    "Truncation",
    "TurnDetection",
    "Usage",
    "UserMessageItem",
    "UserMessageItemContent",
    "VoiceIdsOrCustomVoice",
]
