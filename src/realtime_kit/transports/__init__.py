"""Transports: thin drivers that move JSON text frames (and, for WebRTC, media) to and from the
Realtime API.

They know nothing about events or sessions; the client layer (:mod:`realtime_kit.client`) pairs
one with the protocol core. The WebRTC transport lives in :mod:`realtime_kit.transports.webrtc`
and needs the ``webrtc`` extra; its settings (:class:`WebRTCConfig`) are importable without it.

Imports: anyio, websockets, the standard library and :mod:`realtime_kit.errors`.
"""

from __future__ import annotations

from realtime_kit.transports._webrtc_options import IceServer, WebRTCConfig
from realtime_kit.transports.base import (
    NORMAL_CLOSE_CODES,
    RECOVERABLE_CLOSE_CODES,
    MediaTransport,
    Transport,
    TransportCapabilities,
    TransportLayer,
    TransportStateChanged,
    is_recoverable_close,
)
from realtime_kit.transports.websocket import WebSocketTransport

__all__ = [
    "NORMAL_CLOSE_CODES",
    "RECOVERABLE_CLOSE_CODES",
    "IceServer",
    "MediaTransport",
    "Transport",
    "TransportCapabilities",
    "TransportLayer",
    "TransportStateChanged",
    "WebRTCConfig",
    "WebSocketTransport",
    "is_recoverable_close",
]
