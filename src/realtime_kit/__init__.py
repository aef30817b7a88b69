"""realtime_kit: an async SDK for the OpenAI Realtime API (GA).

The package root re-exports the public names of its subpackages; ``__all__`` here and there agree
(a test checks it).
"""

from __future__ import annotations

from realtime_kit import audio, conversation, cost, errors, events, transcriber, translator
from realtime_kit.audio import PCMFrame, PlaybackClock, PlaybackPosition, Resampler
from realtime_kit.client import (
    ConnectionRestored,
    RealtimeConnection,
    ReconnectPolicy,
    RolloverPolicy,
    connect,
)
from realtime_kit.conversation import Conversation, ConversationLog, tool
from realtime_kit.cost import Budget, BudgetEvent, CostMeter, PriceBook, PriceCard
from realtime_kit.errors import DecodeError, RealtimeKitError
from realtime_kit.events import (
    ClientEvent,
    ServerEvent,
    UnknownClientEvent,
    UnknownServerEvent,
    decode_client_event,
    decode_server_event,
    encode_event,
)
from realtime_kit.rest import RealtimeREST, verify_webhook
from realtime_kit.transcriber import Transcriber, Transcript, transcribe_file
from realtime_kit.translator import Translation, Translator, translate_file

__all__ = [
    "Budget",
    "BudgetEvent",
    "ClientEvent",
    "ConnectionRestored",
    "Conversation",
    "ConversationLog",
    "CostMeter",
    "DecodeError",
    "PCMFrame",
    "PlaybackClock",
    "PlaybackPosition",
    "PriceBook",
    "PriceCard",
    "RealtimeConnection",
    "RealtimeKitError",
    "RealtimeREST",
    "ReconnectPolicy",
    "Resampler",
    "RolloverPolicy",
    "ServerEvent",
    "Transcriber",
    "Transcript",
    "Translation",
    "Translator",
    "UnknownClientEvent",
    "UnknownServerEvent",
    "__version__",
    "audio",
    "connect",
    "conversation",
    "cost",
    "decode_client_event",
    "decode_server_event",
    "encode_event",
    "errors",
    "events",
    "tool",
    "transcribe_file",
    "transcriber",
    "translate_file",
    "translator",
    "verify_webhook",
]

__version__ = "0.1.0.dev0"
