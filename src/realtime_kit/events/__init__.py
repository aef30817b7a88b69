"""Typed Realtime events: the generated models and the codec around them.

``decode_server_event`` / ``decode_client_event`` turn a text frame into a typed event (or raise
:class:`~realtime_kit.errors.DecodeError`); ``encode_event`` turns an event into compact JSON.
Every event class is named after its wire type (``response.output_audio.delta`` →
:class:`ResponseOutputAudioDeltaEvent`). The models are generated from ``schema/`` by
``tools/generate_events.py``; see the "Events" page of the documentation.

May import: pydantic, numpy, pybase64, ``realtime_kit.errors``.
"""

from __future__ import annotations

from realtime_kit.events import _generated
from realtime_kit.events._base import (
    AudioAppendMixin,
    AudioPayloadMixin,
    ClientEventBase,
    RealtimeModel,
    ServerEventBase,
    UnknownObject,
)
from realtime_kit.events._codec import (
    ClientEvent,
    DriftReport,
    EventDecoder,
    ServerEvent,
    UnknownClientEvent,
    UnknownServerEvent,
    decode_client_event,
    decode_server_event,
    drift_report,
    encode_event,
    encode_events,
)
from realtime_kit.events._generated import *  # noqa: F403 - the generated public names

__all__ = [  # noqa: PLE0604 - extended from the generated module's own list
    "AudioAppendMixin",
    "AudioPayloadMixin",
    "ClientEvent",
    "ClientEventBase",
    "DriftReport",
    "EventDecoder",
    "RealtimeModel",
    "ServerEvent",
    "ServerEventBase",
    "UnknownClientEvent",
    "UnknownObject",
    "UnknownServerEvent",
    "decode_client_event",
    "decode_server_event",
    "drift_report",
    "encode_event",
    "encode_events",
    *_generated.__all__,
]
