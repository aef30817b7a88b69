"""Transports: thin drivers that move JSON text frames to and from the Realtime API.

They know nothing about events or sessions; :mod:`realtime_kit.connection` pairs one with the
protocol core. Imports: anyio, websockets, the standard library and :mod:`realtime_kit.errors`.
"""

from __future__ import annotations

from realtime_kit.transports.base import (
    NORMAL_CLOSE_CODES,
    RECOVERABLE_CLOSE_CODES,
    Transport,
    TransportCapabilities,
    is_recoverable_close,
)
from realtime_kit.transports.websocket import WebSocketTransport

__all__ = [
    "NORMAL_CLOSE_CODES",
    "RECOVERABLE_CLOSE_CODES",
    "Transport",
    "TransportCapabilities",
    "WebSocketTransport",
    "is_recoverable_close",
]
